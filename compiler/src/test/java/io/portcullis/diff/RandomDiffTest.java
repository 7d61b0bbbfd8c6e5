package io.portcullis.diff;

import io.portcullis.check.RandomPolicies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diff.DiffResult.Kind;
import io.portcullis.diff.DiffResult.PolicyDiff;
import io.portcullis.diff.DiffResult.Region;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The diff against brute force: for random pairs of small policies, every packet of a universe that represents every
 * class the policies can tell apart lies in a reported region exactly when its verdict changed, in exactly one region,
 * of the right kind, and the region's rules are the ones the reference evaluator names for that packet.
 */
class RandomDiffTest {
    static final List<Packet> UNIVERSE = RandomPolicies.universe();
    /**
     * Each universe packet as an assignment of every BDD variable. The layout is the same in every space, so this is
     * computed once; membership is then a walk down a region's BDD instead of building the packet's set per pair.
     */
    static final List<boolean[]> BITS = assignments();

    private static List<boolean[]> assignments() {
        PacketSpace space = new PacketSpace();
        List<boolean[]> out = new ArrayList<>();
        for (Packet p : UNIVERSE) out.add(space.bdd().anySat(space.packet(p)));
        return out;
    }

    /** Whether the assignment lies in {@code set}: follow its bits from the root. */
    static boolean holds(Bdd bdd, int set, boolean[] bits) {
        int n = set;
        while (n != Bdd.TRUE && n != Bdd.FALSE) n = bits[bdd.var(n)] ? bdd.high(n) : bdd.low(n);
        return n == Bdd.TRUE;
    }

    @Test
    void regionsEqualTheBruteForceDifference() {
        Random random = new Random(20261126);
        int pairs = 200, regions = 0, unchanged = 0, inexact = 0;
        for (int k = 0; k < pairs; k++) {
            ResolvedPolicy before = RandomPolicies.policy(random, 1 + random.nextInt(8));
            ResolvedPolicy after = mutate(random, before);
            PolicyDiff d = SemanticDiff.comparePolicy("random", before, after);
            Replay.assertReplays(d);
            Bdd bdd = d.space().bdd();
            int changedPackets = 0;
            for (int u = 0; u < UNIVERSE.size(); u++) {
                Packet p = UNIVERSE.get(u);
                Evaluator.Decision o = Evaluator.evaluate(before, p), n = Evaluator.evaluate(after, p);
                List<Region> in = new ArrayList<>();
                for (Region r : d.regions()) if (!r.nonIp() && holds(bdd, r.set(), BITS.get(u))) in.add(r);
                if (o.action() == n.action()) {
                    assertEquals(List.of(), in, "pair #" + k + ": unchanged packet " + p + " in a region");
                    continue;
                }
                changedPackets++;
                assertEquals(1, in.size(), "pair #" + k + ": changed packet " + p + " in exactly one region");
                Region r = in.get(0);
                assertEquals(n.action() == Action.ALLOW ? Kind.NEW_ALLOW : Kind.NEW_DENY, r.kind());
                assertEquals(n.ruleIndex(), r.newSide().index(), "pair #" + k + ": new rule for " + p);
                assertEquals(o.ruleIndex(), r.oldSide().index(), "pair #" + k + ": old rule for " + p);
            }
            // Every region holds at least one universe packet: regions are unions of the classes it represents.
            Summary summary = new Summary(d.space());
            for (Region r : d.regions()) {
                if (r.nonIp()) continue;
                int covered = d.space().match(summary.match(r.set()));
                assertTrue(bdd.subset(r.set(), covered), "pair #" + k + ": the summary holds its region: " + r.line());
                assertEquals(covered == r.set(), r.exact(), "pair #" + k + ": 'within' exactly when larger: " + r.line());
                assertTrue(BITS.stream().anyMatch(b -> holds(bdd, r.set(), b)),
                        "pair #" + k + ": region " + r.line() + " has a representative");
                if (!r.exact()) inexact++;
            }
            assertEquals(changedPackets == 0, d.regions().isEmpty(), "pair #" + k);
            if (d.regions().isEmpty()) unchanged++;
            regions += d.regions().size();
        }
        // Both outcomes must be exercised, or the test proves little.
        assertTrue(unchanged > 20 && unchanged < pairs - 20, "unchanged pairs: " + unchanged);
        System.out.println("diff exactness: " + pairs + " random pairs, " + regions + " regions (" + inexact
                + " summarised with 'within'), " + unchanged + " pairs without change; universe " + UNIVERSE.size());
    }

    /** A policy close to {@code p}: reordered, a rule dropped, flipped, added or rewritten, or left alone. */
    static ResolvedPolicy mutate(Random r, ResolvedPolicy p) {
        List<ResolvedRule> rules = new ArrayList<>(p.rules());
        Action def = p.defaultAction();
        switch (r.nextInt(7)) {
            case 0 -> { if (rules.size() > 1) Collections.swap(rules, r.nextInt(rules.size() - 1), rules.size() - 1); }
            case 1 -> { if (!rules.isEmpty()) rules.remove(r.nextInt(rules.size())); }
            case 2 -> {
                if (!rules.isEmpty()) {
                    int i = r.nextInt(rules.size());
                    ResolvedRule x = rules.get(i);
                    rules.set(i, new ResolvedRule(i, x.label(), x.action().opposite(), x.match(), x.span(), List.of()));
                }
            }
            case 3 -> rules.add(r.nextInt(rules.size() + 1), RandomPolicies.policy(r, 1).rules().get(0));
            case 4 -> def = def.opposite();
            case 5 -> { /* unchanged */ }
            default -> rules = new ArrayList<>(RandomPolicies.policy(r, 1 + r.nextInt(6)).rules());
        }
        List<ResolvedRule> renumbered = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            ResolvedRule x = rules.get(i);
            renumbered.add(new ResolvedRule(i, "n" + (i + 1), x.action(), x.match(), RandomPolicies.span(i + 2), List.of()));
        }
        return new ResolvedPolicy(p.name(), p.target(), def, p.nonIp(), renumbered, List.of(), List.of(), p.span(),
                p.defaultSpan());
    }
}
