package io.portcullis.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PolicySets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The shortcuts the checker takes for speed give what the direct definitions give: node-free tests, the first packet
 * of a conjunction, the decided sets from the earlier deciding rules only, the redundancy walk that stops early, and
 * the candidate lists of the rule index.
 */
class EngineShortcutsTest {

    private static int randomSet(Bdd bdd, Random r, int vars, int depth) {
        if (depth == 0) {
            int v = r.nextInt(vars);
            return r.nextInt(5) == 0 ? (r.nextBoolean() ? Bdd.TRUE : Bdd.FALSE) : r.nextBoolean() ? bdd.ithVar(v) : bdd.nithVar(v);
        }
        int a = randomSet(bdd, r, vars, depth - 1), b = randomSet(bdd, r, vars, depth - 1);
        return switch (r.nextInt(3)) {
            case 0 -> bdd.and(a, b);
            case 1 -> bdd.or(a, b);
            default -> bdd.diff(a, b);
        };
    }

    @Test
    void testsAndFirstPacketAgreeWithTheBuiltSets() {
        Random r = new Random(11);
        Bdd bdd = new Bdd(10);
        int meets = 0, subsets = 0;
        for (int round = 0; round < 3000; round++) {
            int a = randomSet(bdd, r, 10, 1 + r.nextInt(4)), b = randomSet(bdd, r, 10, 1 + r.nextInt(4));
            boolean m = bdd.and(a, b) != Bdd.FALSE, s = bdd.diff(a, b) == Bdd.FALSE;
            assertEquals(m, bdd.intersects(a, b), "intersects, round " + round);
            assertEquals(s, bdd.subset(a, b), "subset, round " + round);
            assertArrayEquals(bdd.anySat(bdd.and(a, b)), bdd.anySat(a, b), "anySat, round " + round);
            if (m) meets++;
            if (s) subsets++;
        }
        assertTrue(meets > 300 && meets < 2700 && subsets > 100 && subsets < 2900, meets + " " + subsets);
    }

    @Test
    void decidedSetsCandidatesAndRedundancyWalkMatchTheDefinitions() {
        definitions(1, PolicySets.BLOCK);
    }

    /** The same on two threads, in blocks of 3 rules, so that small policies take the parallel sweep. */
    @Test
    void parallelDecidedSetsMatchTheDefinitions() {
        definitions(2, 3);
    }

    private static void definitions(int threads, int block) {
        Random r = new Random(5);
        int dead = 0, alike = 0;
        for (int round = 0; round < 120; round++) {
            ResolvedPolicy policy = RandomPolicies.policy(r, 2 + r.nextInt(14));
            PacketSpace space = Checker.space(policy, List.of(), CheckConfig.DEFAULTS);
            PolicySets sets = new PolicySets(space, policy, threads, block);
            Bdd bdd = space.bdd();
            int n = sets.size();
            int before = Bdd.FALSE;
            for (int i = 0; i < n; i++) {
                String at = "round " + round + ", rule " + i;
                assertEquals(bdd.diff(sets.match(i), before), sets.decided(i), "decided, " + at);
                before = bdd.or(before, sets.match(i));
                if (sets.decided(i) == Bdd.FALSE) dead++;
                int[] earlier = sets.earlierDeciding(i);
                int[] all = sets.overlapping(i);
                int[] later = sets.overlappingLater(i);
                int firstLater = 0;
                while (firstLater < all.length && all[firstLater] <= i) firstLater++;
                assertArrayEquals(Arrays.copyOfRange(all, firstLater, all.length), later, "overlappingLater, round " + round);
                for (int j = 0; j < n; j++) {
                    if (j != i && bdd.intersects(sets.match(i), sets.match(j))) {
                        assertTrue(Arrays.binarySearch(all, j) >= 0, "overlapping misses " + j + ", " + at);
                    }
                    boolean listed = Arrays.binarySearch(earlier, j) >= 0;
                    if (j < i && bdd.intersects(sets.decided(j), sets.match(i))) {
                        assertTrue(listed, "earlierDeciding misses " + j + ", " + at);
                    }
                    if (listed) assertTrue(j < i && sets.decided(j) != Bdd.FALSE, "earlierDeciding lists " + j + ", " + at);
                }
                if (sets.decided(i) == Bdd.FALSE && sets.match(i) != Bdd.FALSE) {
                    int end = sets.coveredBy(i), upTo = Bdd.FALSE;
                    assertTrue(end >= 0 && end < i, "coveredBy, " + at);
                    for (int j = 0; j <= end; j++) upTo = bdd.or(upTo, sets.match(j));
                    assertTrue(bdd.subset(sets.match(i), upTo), "rules up to coveredBy cover, " + at);
                }
                Action action = policy.rules().get(i).action();
                int allowed = sets.allowedWithin(sets.decided(i), all, i + 1);
                boolean same = action == Action.ALLOW ? allowed == sets.decided(i) : allowed == Bdd.FALSE;
                assertEquals(same, sets.decidedAlike(sets.decided(i), later, i + 1, action), "decidedAlike, " + at);
                if (same) alike++;
            }
        }
        assertTrue(dead > 20 && alike > 20, "the random policies exercise both cases: " + dead + " " + alike);
    }
}
