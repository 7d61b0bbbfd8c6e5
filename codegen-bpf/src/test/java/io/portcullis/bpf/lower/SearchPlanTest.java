package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SearchPlanTest {
    @Test void aPointBetweenTwoEqualNeighboursIsOneEqualityTest() {
        // [0, 80) -> 0, [80, 80] -> 1, [81, max] -> 0: the plain search needs 2 compares for every key, the plan 1.
        long[] starts = {0, 80, 81};
        int[] kids = {0, 1, 0};
        List<SearchPlan.Entry> plan = SearchPlan.of(starts, kids);
        assertEquals(1, plan.size());
        assertArrayEquals(new long[] {80}, plan.get(0).points());
        assertEquals(5, SearchPlan.compares(SearchPlan.plan(starts, kids, 0)));
        assertEquals(3, SearchPlan.compares(plan));
        assertEquals(1, SearchPlan.kidOf(plan, 80));
        assertEquals(0, SearchPlan.kidOf(plan, 79));
        assertEquals(0, SearchPlan.kidOf(plan, 81));
    }

    @Test void withoutPointsThePlanIsThePlainSearch() {
        long[] starts = {0, 10, 20, 30};
        int[] kids = {0, 1, 2, 1};
        List<SearchPlan.Entry> plan = SearchPlan.of(starts, kids);
        assertEquals(4, plan.size());
        for (SearchPlan.Entry e : plan) assertEquals(0, e.points().length);
    }

    /** Random nodes as the diagram makes them (adjacent intervals lead to different children): same child for every key. */
    @Test void plansKeepEveryKeysChildAndNeverCostMore() {
        Random r = new Random(20261207);
        for (int iter = 0; iter < 3000; iter++) {
            int n = 1 + r.nextInt(r.nextBoolean() ? 6 : 60);
            long[] starts = new long[n];
            int[] kids = new int[n];
            long at = 0;
            int kinds = 1 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                starts[i] = at;
                at += r.nextInt(3) == 0 ? 1 : 1 + r.nextInt(1000); // many single values
                int k;
                do k = r.nextInt(kinds + 1); while (kinds > 0 && i > 0 && k == kids[i - 1]);
                kids[i] = k;
            }
            List<SearchPlan.Entry> plain = SearchPlan.plan(starts, kids, 0);
            List<SearchPlan.Entry> plan = SearchPlan.of(starts, kids);
            assertTrue(SearchPlan.compares(plan) <= SearchPlan.compares(plain));
            for (int cap = 0; cap <= SearchPlan.MAX_CAP; cap++) {
                List<SearchPlan.Entry> p = SearchPlan.plan(starts, kids, cap);
                for (int i = 0; i < n; i++) {
                    for (long v : new long[] {starts[i], starts[i] + 1, (i + 1 < n ? starts[i + 1] : at + 5) - 1}) {
                        int want = kids[index(starts, v)];
                        assertEquals(want, SearchPlan.kidOf(p, v), "cap " + cap + " key " + v);
                        assertEquals(want, SearchPlan.kidOf(plan, v), "best plan, key " + v);
                    }
                }
            }
        }
    }

    private static int index(long[] starts, long v) {
        int i = 0;
        while (i + 1 < starts.length && starts[i + 1] <= v) i++;
        return i;
    }
}
