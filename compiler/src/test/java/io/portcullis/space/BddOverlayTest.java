package io.portcullis.space;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Overlays (a thread's package on top of a frozen one): operations there give the sets the parent would give, the
 * parent's nodes keep their ids, results copy back into the parent as the same sets, and an overlay put on top of the
 * grown parent again ({@link Bdd#rebase()}) knows nothing of its old nodes.
 */
class BddOverlayTest {
    private static final int VARS = 9;

    private static long[] table(Bdd bdd, int n) { return BddSets.table(bdd, n, VARS); }

    private static int random(Bdd bdd, Random r, int depth) { return BddSets.random(bdd, r, depth, VARS); }

    @Test
    void overlayOperationsGiveTheParentsSetsAndCopyBack() {
        Random r = new Random(7);
        int overlayNodes = 0;
        for (int round = 0; round < 40; round++) {
            Bdd parent = new Bdd(VARS);
            int[] sets = new int[12];
            for (int k = 0; k < sets.length; k++) sets[k] = random(parent, r, 3);
            parent.freeze();
            Bdd overlay = parent.overlay(1 << 10);
            assertEquals(parent.nodeCount(), overlay.base());
            for (int k = 0; k + 1 < sets.length; k++) {
                int a = sets[k], b = sets[k + 1];
                int and = overlay.and(a, b), or = overlay.or(a, b), diff = overlay.diff(a, b);
                // Parent nodes keep their ids: the parent's own answers, computed after thawing, are the same sets.
                assertEquals(overlay.intersects(a, b), and != Bdd.FALSE);
                assertEquals(overlay.subset(a, b), diff == Bdd.FALSE);
                long[] expectAnd = new long[(1 << VARS) / 64], expectOr = new long[expectAnd.length];
                long[] ta = table(parent, a), tb = table(parent, b);
                for (int w = 0; w < ta.length; w++) {
                    expectAnd[w] = ta[w] & tb[w];
                    expectOr[w] = ta[w] | tb[w];
                }
                assertArrayEquals(expectAnd, table(overlay, and), "and, round " + round);
                assertArrayEquals(expectOr, table(overlay, or), "or, round " + round);
                if (or >= overlay.base()) overlayNodes++;
            }
            // A frozen parent refuses new nodes; its overlay's results copy into it once thawed.
            assertThrows(IllegalStateException.class, () -> { // some of these nodes do not exist yet
                for (int v = 0; v < VARS; v++) for (int x : sets) for (int y : sets) parent.mk(v, x, y);
            });
            int result = overlay.or(overlay.and(sets[0], sets[1]), overlay.diff(sets[2], sets[3]));
            long[] want = table(overlay, result);
            parent.thaw();
            int copied = parent.copier().copy(overlay, result);
            assertTrue(copied < parent.nodeCount());
            assertArrayEquals(want, table(parent, copied), "copy, round " + round);
            assertEquals(parent.or(parent.and(sets[0], sets[1]), parent.diff(sets[2], sets[3])), copied,
                    "the copy is the parent's own canonical node, round " + round);
            // Rebased on the grown parent: results as before, and no answer cached for an old overlay node survives.
            int grown = random(parent, r, 3);
            parent.freeze();
            overlay.rebase();
            assertEquals(parent.nodeCount(), overlay.base());
            int again = overlay.and(grown, sets[4]);
            long[] tg = table(parent, grown), t4 = table(parent, sets[4]), expect = new long[tg.length];
            for (int w = 0; w < tg.length; w++) expect[w] = tg[w] & t4[w];
            assertArrayEquals(expect, table(overlay, again), "after rebase, round " + round);
            parent.thaw();
        }
        assertTrue(overlayNodes > 50, "the overlays made nodes of their own: " + overlayNodes);
    }
}
