package io.portcullis.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The node stack: released scratch is gone, kept roots keep their meaning, and no cached result outlives its nodes. */
class BddReleaseTest {
    private static final int VARS = 8;

    private static long[] table(Bdd bdd, int n) { return BddSets.table(bdd, n, VARS); }

    private static int random(Bdd bdd, Random r, int depth) { return BddSets.random(bdd, r, depth, VARS); }

    @Test
    void keptRootsKeepTheirMeaningAndOperationsAfterAReleaseStayExact() {
        Random r = new Random(7);
        Bdd bdd = new Bdd(VARS);
        int base = random(bdd, r, 4);
        long[] baseTable = table(bdd, base);
        for (int round = 0; round < 500; round++) {
            int mark = bdd.mark();
            int a = bdd.or(base, random(bdd, r, 4)), b = bdd.diff(random(bdd, r, 5), base);
            long[] ta = table(bdd, a), tb = table(bdd, b), tab = table(bdd, bdd.and(a, b));
            int[] roots = {a, b};
            bdd.release(mark, roots);
            assertTrue(bdd.nodeCount() <= mark + 2 * (1 << VARS), "scratch is dropped");
            assertEquals(java.util.Arrays.toString(ta), java.util.Arrays.toString(table(bdd, roots[0])), "round " + round);
            assertEquals(java.util.Arrays.toString(tb), java.util.Arrays.toString(table(bdd, roots[1])), "round " + round);
            // Recomputed after the release: any stale cache entry from the dropped nodes would show here.
            assertEquals(java.util.Arrays.toString(tab), java.util.Arrays.toString(table(bdd, bdd.and(roots[0], roots[1]))));
            assertEquals(java.util.Arrays.toString(baseTable), java.util.Arrays.toString(table(bdd, base)));
            assertEquals(roots[0], bdd.or(base, roots[0]), "hash-consing still finds the kept nodes");
            if (round % 50 == 49) {
                // Nested scopes: the outer release is below the inner one's mark, which must void the whole cache.
                int outer = bdd.mark();
                int x = bdd.and(roots[0], random(bdd, r, 4));
                int inner = bdd.mark();
                bdd.or(x, random(bdd, r, 4));
                bdd.release(inner);
                bdd.release(outer);
                assertEquals(java.util.Arrays.toString(tab), java.util.Arrays.toString(table(bdd, bdd.and(roots[0], roots[1]))));
            }
        }
    }

    @Test
    void matchCacheNeverReturnsAReleasedNode() {
        PacketSpace space = new PacketSpace();
        Bdd bdd = space.bdd();
        RuleMatch m = new RuleMatch(AddrSet.of(new Prefix(Ip.v4(0x0A000000L), 8)), AddrSet.all(io.portcullis.ir.Family.IPV4),
                null, List.of(new ProtoClause(ProtoClause.TCP, null, PortSet.of(22, 22), -1, -1)), TcpState.NEW);
        int mark = bdd.mark();
        int inside = space.match(m);
        io.portcullis.ir.Packet w = space.witness(inside);
        bdd.release(mark);
        // The same match made again after the release must be a live node describing the same packets.
        int again = space.match(m);
        assertEquals(w, space.witness(again));
        assertTrue(bdd.subset(space.packet(w), again));
        assertTrue(again < bdd.nodeCount());
    }
}
