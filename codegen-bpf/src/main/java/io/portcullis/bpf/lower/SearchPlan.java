package io.portcullis.bpf.lower;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of the search that finds a key's interval in one decision-diagram node, as emitted inline
 * ({@link DiagramLowering}). A node's intervals are often single values between two intervals that lead to the same
 * child (a host address, a port, a protocol, with "the rest" on both sides): a balanced search needs two compares to
 * isolate such a point at its bottom, an equality test one, and removing the point also merges its neighbours, which
 * shortens the search over the rest. So a plan is a list of entries, found by a balanced search of unsigned
 * {@code >=} compares on their starts, each with up to {@code cap} points tested for equality, in order, before the
 * entry's own child.
 *
 * <p>{@link #of} tries each cap from 0 (the plain balanced search) to {@link #MAX_CAP} and keeps the one with the fewest
 * compares on average over the node's intervals (each interval counted once; the plain search on a tie). Pure.
 */
final class SearchPlan {
    /** Points folded into one entry at most: each costs one compare for every key that reaches the entry. */
    static final int MAX_CAP = 3;

    /**
     * Values from {@code start} up to the next entry's start lead to {@code kid}, except each {@code points[i]}, which
     * leads to {@code pointKids[i]}; kids are indices into the node's children.
     */
    record Entry(long start, int kid, long[] points, int[] pointKids) {}

    private SearchPlan() {}

    /**
     * The cheapest plan for intervals {@code i = 0..n-1}, interval i being {@code [starts[i], starts[i+1])} (unsigned;
     * the last one up to the key's maximum) leading to child {@code kids[i]}, where equal numbers mean the same child.
     */
    static List<Entry> of(long[] starts, int[] kids) {
        List<Entry> best = plan(starts, kids, 0);
        long bestCost = compares(best);
        for (int cap = 1; cap <= MAX_CAP; cap++) {
            List<Entry> p = plan(starts, kids, cap);
            long c = compares(p);
            if (c < bestCost) {
                best = p;
                bestCost = c;
            }
        }
        return best;
    }

    /** Folds each single-value interval whose two neighbours lead to the same child into the entry before it. */
    static List<Entry> plan(long[] starts, int[] kids, int cap) {
        int n = starts.length;
        List<Entry> out = new ArrayList<>();
        long[] pts = new long[cap];
        int[] pk = new int[cap];
        int i = 0;
        while (i < n) {
            long start = starts[i];
            int kid = kids[i];
            int np = 0;
            i++;
            // Fold "kid, point, kid" while there is room: the point becomes an equality test, its right neighbour joins.
            while (np < cap && i + 1 < n && starts[i + 1] == starts[i] + 1 && kids[i + 1] == kid) {
                pts[np] = starts[i];
                pk[np] = kids[i];
                np++;
                i += 2;
            }
            long[] p = new long[np];
            int[] q = new int[np];
            System.arraycopy(pts, 0, p, 0, np);
            System.arraycopy(pk, 0, q, 0, np);
            out.add(new Entry(start, kid, p, q));
        }
        return out;
    }

    /**
     * Compares executed, summed over the original intervals (so comparable between plans of one node): the depth of
     * the entry in the balanced search, plus the equality tests done before reaching the interval.
     */
    static long compares(List<Entry> plan) {
        long[] depth = new long[plan.size()];
        depths(depth, 0, plan.size() - 1, 0);
        long sum = 0;
        for (int e = 0; e < plan.size(); e++) {
            Entry en = plan.get(e);
            int np = en.points().length;
            // The rest of the entry: 1 + np intervals of the original node, each after all np equality tests.
            sum += (1L + np) * (depth[e] + np);
            for (int k = 0; k < np; k++) sum += depth[e] + k + 1;
        }
        return sum;
    }

    /** Depths in the balanced search that {@link DiagramLowering} emits: split at {@code (lo + hi + 1) / 2}. */
    private static void depths(long[] out, int lo, int hi, long d) {
        if (lo == hi) {
            out[lo] = d;
            return;
        }
        int mid = (lo + hi + 1) >>> 1;
        depths(out, lo, mid - 1, d + 1);
        depths(out, mid, hi, d + 1);
    }

    /** The child the plan gives {@code v} (for tests). */
    static int kidOf(List<Entry> plan, long v) {
        int e = 0;
        for (int i = 0; i < plan.size(); i++) if (Long.compareUnsigned(plan.get(i).start(), v) <= 0) e = i;
        Entry en = plan.get(e);
        for (int k = 0; k < en.points().length; k++) if (en.points()[k] == v) return en.pointKids()[k];
        return en.kid();
    }
}
