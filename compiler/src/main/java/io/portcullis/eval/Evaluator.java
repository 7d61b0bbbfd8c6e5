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
import java.util.ArrayList;
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
        return match(m, p, null);
    }

    /** Whether one rule matches, and if not, why: one line per header field that fails (empty when it matches). */
    public record RuleExplanation(ResolvedRule rule, List<String> misses) {
        public RuleExplanation {
            misses = List.copyOf(misses);
        }

        public boolean matches() { return misses.isEmpty(); }
    }

    /**
     * Every rule of the policy against one packet, in order, with the decision. The decision is the first rule whose
     * misses are empty, computed by the same field tests as {@link #evaluate}, so the two cannot disagree.
     */
    public record Explanation(Decision decision, List<RuleExplanation> rules) {
        public Explanation {
            rules = List.copyOf(rules);
        }
    }

    public static Explanation explain(ResolvedPolicy policy, Packet packet) {
        List<RuleExplanation> out = new ArrayList<>();
        Decision decision = null;
        for (ResolvedRule r : policy.rules()) {
            List<String> misses = new ArrayList<>();
            match(r.match(), packet, misses);
            out.add(new RuleExplanation(r, misses));
            if (decision == null && misses.isEmpty()) decision = new Decision(r.action(), r.index());
        }
        if (decision == null) decision = new Decision(policy.defaultAction(), -1);
        return new Explanation(decision, out);
    }

    /** Why {@code m} does not match {@code p} (empty when it matches); for asserts and guards. */
    public static List<String> misses(RuleMatch m, Packet p) {
        List<String> misses = new ArrayList<>();
        match(m, p, misses);
        return misses;
    }

    /**
     * The one definition of "a match holds for a packet". With {@code misses} null it stops at the first field that
     * fails (the evaluator's fast path); otherwise it tests every field and records each failure. The tests are
     * independent of one another, so both ways give the same answer.
     */
    private static boolean match(RuleMatch m, Packet p, List<String> misses) {
        Family f = p.family();
        if (!m.src().contains(p.src())) {
            if (misses == null) return false;
            misses.add(addressMiss("src", p.src(), m.src(), f));
        }
        if (!m.dst().contains(p.dst())) {
            if (misses == null) return false;
            misses.add(addressMiss("dst", p.dst(), m.dst(), f));
        }
        if (m.sports() != null && !(p.hasPorts() && m.sports().contains(p.sport()))) {
            if (misses == null) return false;
            misses.add(p.hasPorts() ? "sport " + p.sport() + " not in " + m.sports() : "sport: the rule wants source ports "
                    + m.sports() + ", and " + noPorts(p));
        }
        if (m.state() != TcpState.ANY) {
            String want = m.state() == TcpState.ESTABLISHED ? "established" : "new";
            if (!p.isTcp() || p.nonFirstFragment()) {
                if (misses == null) return false;
                misses.add("state: the rule wants tcp " + want + ", the packet is "
                        + (p.nonFirstFragment() ? "a non-first fragment" : Packet.protoName(p.proto(), f)));
            } else if (p.established() != (m.state() == TcpState.ESTABLISHED)) {
                if (misses == null) return false;
                misses.add("state: the packet is " + (p.established() ? "established (ack or rst set)" : "new (no ack, no rst)")
                        + ", the rule wants " + want);
            }
        }
        List<List<String>> clauseMisses = misses == null ? null : new ArrayList<>();
        List<ProtoClause> otherProtocol = misses == null ? null : new ArrayList<>();
        for (ProtoClause c : m.protos()) {
            List<String> cm = misses == null ? null : new ArrayList<>();
            if (clauseMatches(m, c, p, f, cm)) return misses == null || misses.isEmpty();
            if (cm == null) continue;
            if (cm.isEmpty()) otherProtocol.add(c);
            else clauseMisses.add(cm);
        }
        if (misses == null) return false;
        // Alternatives for another protocol say only that; the ones for the packet's protocol say which field fails.
        if (clauseMisses.isEmpty()) {
            List<String> wanted = new ArrayList<>();
            for (ProtoClause c : otherProtocol) wanted.add(describe(c));
            misses.add("proto " + Packet.protoName(p.proto(), f) + ", the rule wants "
                    + (wanted.size() == 1 ? wanted.get(0) : "one of: " + String.join(", ", wanted)));
        } else if (clauseMisses.size() == 1) {
            misses.addAll(clauseMisses.get(0));
        } else {
            List<String> parts = new ArrayList<>();
            for (List<String> cm : clauseMisses) parts.add(String.join("; ", cm));
            misses.add("no alternative of the rule's services matches: " + String.join(" | ", parts));
        }
        return false;
    }

    /**
     * Whether one protocol alternative holds. When it is for another protocol or family, {@code misses} stays empty
     * (the caller says so once for all such alternatives); otherwise it gets the fields that fail.
     */
    private static boolean clauseMatches(RuleMatch m, ProtoClause c, Packet p, Family f, List<String> misses) {
        if (c.proto() >= 0 && c.proto() != p.proto() || c.family() != null && c.family() != f) return false;
        if (p.nonFirstFragment() && !m.matchesFragments(c)) {
            if (misses == null) return false;
            misses.add("fragment: a non-first fragment has no transport header, and the rule looks past the IP header");
        }
        if (c.dports() != null && !(p.hasPorts() && c.dports().contains(p.dport()))) {
            if (misses == null) return false;
            misses.add(p.hasPorts() ? "dport " + p.dport() + " not in " + c.dports()
                    : "dport: the rule wants destination ports " + c.dports() + ", and " + noPorts(p));
        }
        if (c.icmpType() >= 0 && !(p.isIcmp() && p.icmpType() == c.icmpType())) {
            if (misses == null) return false;
            misses.add(p.isIcmp() ? "icmp type " + p.icmpType() + ", the rule wants " + c.icmpType()
                    : "icmp type: the rule wants type " + c.icmpType() + ", and " + noIcmp(p));
        }
        if (c.icmpCode() >= 0 && !(p.isIcmp() && p.icmpCode() == c.icmpCode())) {
            if (misses == null) return false;
            misses.add(p.isIcmp() ? "icmp code " + p.icmpCode() + ", the rule wants " + c.icmpCode()
                    : "icmp code: the rule wants code " + c.icmpCode() + ", and " + noIcmp(p));
        }
        return misses == null || misses.isEmpty();
    }

    private static String noIcmp(Packet p) {
        return p.nonFirstFragment() ? "a non-first fragment has no ICMP header" : "the packet has no ICMP header";
    }

    private static String noPorts(Packet p) {
        return p.nonFirstFragment() ? "a non-first fragment has no ports" : "the packet ("
                + Packet.protoName(p.proto(), p.family()) + ") has no ports";
    }

    /** How many prefixes a miss message lists before it abbreviates. */
    private static final int SHOWN_PREFIXES = 4;

    private static String addressMiss(String field, io.portcullis.net.Ip ip, AddrSet set, Family f) {
        if (set.isEmpty(f)) {
            return field + " " + ip + ": the rule has no " + (f == Family.IPV4 ? "IPv4" : "IPv6") + " " + field
                    + " addresses (it matches " + (f == Family.IPV4 ? "IPv6" : "IPv4") + " only)";
        }
        List<io.portcullis.net.Prefix> ps = set.prefixes(f);
        String shown;
        if (ps.size() == 1) {
            shown = ps.get(0).toString();
        } else {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < Math.min(SHOWN_PREFIXES, ps.size()); i++) names.add(ps.get(i).toString());
            if (ps.size() > SHOWN_PREFIXES) names.add("... " + ps.size() + " prefixes in all");
            shown = "{ " + String.join(", ", names) + " }";
        }
        return field + " " + ip + " not in " + shown;
    }

    private static String describe(ProtoClause c) {
        if (c.proto() < 0) return "any protocol";
        String s = c.family() != null ? Packet.protoName(c.proto(), c.family())
                : c.proto() == ProtoClause.TCP ? "tcp" : c.proto() == ProtoClause.UDP ? "udp" : "proto " + c.proto();
        if (c.dports() != null) s += " port " + c.dports();
        if (c.icmpType() >= 0) s += " type " + c.icmpType();
        if (c.icmpCode() >= 0) s += " code " + c.icmpCode();
        return s;
    }
}
