package io.portcullis.bench;

import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import io.portcullis.space.PacketSpace;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/**
 * The packets the cost benchmark times: one decided by an early rule, one by a rule as late as the policy allows,
 * one that reaches the default, and the late and default cases again for IPv6. Each packet's verdict and deciding rule
 * come from the reference evaluator, so they are facts about the policy, not assumptions.
 */
public final class PacketKinds {
    private PacketKinds() {}

    /** A timed packet: its name in the table, the packet, the evaluator's verdict and which rule decides it. */
    public record Probe(String name, Packet packet, Action verdict, int ruleIndex, String decidedBy) {}

    /** Candidates tried from the end of the policy when looking for a late match. */
    static final int LATE_TRIES = 400;

    public static List<Probe> pick(ResolvedPolicy policy, long seed) {
        PacketSpace space = new PacketSpace();
        List<Probe> out = new ArrayList<>();
        add(out, early(policy, space));
        add(out, late(policy, space, Family.IPV4, "late"));
        add(out, fallThrough(policy, Family.IPV4, seed, "default"));
        add(out, late(policy, space, Family.IPV6, "late-v6"));
        add(out, fallThrough(policy, Family.IPV6, seed, "default-v6"));
        return out;
    }

    private static void add(List<Probe> out, Probe p) {
        if (p != null) out.add(p);
    }

    private static Probe early(ResolvedPolicy policy, PacketSpace space) {
        List<ResolvedRule> rules = policy.rules();
        for (int i = 0; i < Math.min(rules.size(), 100); i++) {
            Packet w = space.witness(space.match(rules.get(i).match()));
            if (w == null || w.family() != Family.IPV4) continue;
            Evaluator.Decision d = Evaluator.evaluate(policy, w);
            if (d.ruleIndex() >= 0 && d.ruleIndex() <= i) return probe("early", policy, w, d);
        }
        return null;
    }

    /** The witness of a rule near the end that the rule itself (or the latest rule found) decides. */
    private static Probe late(ResolvedPolicy policy, PacketSpace space, Family family, String name) {
        List<ResolvedRule> rules = policy.rules();
        Packet best = null;
        Evaluator.Decision bestDecision = null;
        int tries = 0;
        for (int i = rules.size() - 1; i >= 0 && tries < LATE_TRIES; i--) {
            Packet w = space.witness(space.bdd().and(space.match(rules.get(i).match()), space.family(family)));
            if (w == null) continue;
            tries++;
            Evaluator.Decision d = Evaluator.evaluate(policy, w);
            if (d.ruleIndex() < 0) continue;
            if (bestDecision == null || d.ruleIndex() > bestDecision.ruleIndex()) {
                best = w;
                bestDecision = d;
            }
            if (d.ruleIndex() == i) break;
        }
        return best == null ? null : probe(name, policy, best, bestDecision);
    }

    /** A TCP connection attempt no rule matches, drawn at random (seeded). */
    private static Probe fallThrough(ResolvedPolicy policy, Family family, long seed, String name) {
        Random r = new Random(seed);
        for (int i = 0; i < 10_000; i++) {
            Ip src = family == Family.IPV4 ? Ip.v4(r.nextInt() & 0xffffffffL) : Ip.v6(r.nextLong(), r.nextLong());
            Ip dst = family == Family.IPV4 ? Ip.v4(r.nextInt() & 0xffffffffL) : Ip.v6(r.nextLong(), r.nextLong());
            Packet p = new Packet(family, src, dst, ProtoClause.TCP, 40000, 1 + r.nextInt(65535), EnumSet.of(TcpFlag.SYN),
                    0, 0, false);
            Evaluator.Decision d = Evaluator.evaluate(policy, p);
            if (d.ruleIndex() < 0) return probe(name, policy, p, d);
        }
        return null;
    }

    private static Probe probe(String name, ResolvedPolicy policy, Packet p, Evaluator.Decision d) {
        String by = d.ruleIndex() < 0 ? "the default"
                : "rule " + policy.rules().get(d.ruleIndex()).displayName() + ", " + (d.ruleIndex() + 1) + " of " + policy.rules().size();
        return new Probe(name, p, d.action(), d.ruleIndex(), by + ": " + d.action().label());
    }
}
