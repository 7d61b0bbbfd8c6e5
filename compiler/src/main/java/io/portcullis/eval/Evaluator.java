package io.portcullis.eval;

import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import java.util.List;

/**
 * The reference evaluator: the verdict a policy gives one well-formed IP packet, by first match.
 * It is deliberately the most literal reading of LANGUAGE.md, so the packet-set engine, the compiled program and the
 * kernel can all be checked against it.
 */
public final class Evaluator {
    private Evaluator() {}

    /** The verdict and the 0-based index of the deciding rule, or -1 when the default decided. */
    public record Decision(Action action, int ruleIndex) {}

    public static Decision evaluate(ResolvedPolicy policy, Packet packet) {
        return evaluate(policy.rules(), policy.defaultAction(), packet, -1);
    }

    /** First match over {@code rules}, skipping the rule with index {@code skip} (-1: none). */
    public static Decision evaluate(List<ResolvedRule> rules, Action defaultAction, Packet packet, int skip) {
        for (ResolvedRule r : rules) {
            if (r.index() != skip && matches(r.match(), packet)) return new Decision(r.action(), r.index());
        }
        return new Decision(defaultAction, -1);
    }

    public static boolean matches(RuleMatch m, Packet p) {
        Family f = p.family();
        if (!in(m.src(), p) || !in(m.dst(), p)) return false;
        if (!(m.src().contains(p.src()) && m.dst().contains(p.dst()))) return false;
        if (m.sports() != null && !(p.hasPorts() && m.sports().contains(p.sport()))) return false;
        if (m.state() != TcpState.ANY) {
            if (!p.isTcp() || p.nonFirstFragment()) return false;
            if (p.established() != (m.state() == TcpState.ESTABLISHED)) return false;
        }
        for (ProtoClause c : m.protos()) {
            if (clauseMatches(m, c, p, f)) return true;
        }
        return false;
    }

    private static boolean in(AddrSet s, Packet p) { return !s.isEmpty(p.family()); }

    private static boolean clauseMatches(RuleMatch m, ProtoClause c, Packet p, Family f) {
        if (c.proto() >= 0 && c.proto() != p.proto()) return false;
        if (c.family() != null && c.family() != f) return false;
        if (p.nonFirstFragment() && !m.matchesFragments(c)) return false;
        if (c.dports() != null && !(p.hasPorts() && c.dports().contains(p.dport()))) return false;
        if (c.icmpType() >= 0 && !(p.isIcmp() && p.icmpType() == c.icmpType())) return false;
        if (c.icmpCode() >= 0 && !(p.isIcmp() && p.icmpCode() == c.icmpCode())) return false;
        return true;
    }
}
