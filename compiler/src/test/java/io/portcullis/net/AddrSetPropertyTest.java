package io.portcullis.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.portcullis.ir.Family;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Set operations and prefix counts against a brute-force bitmap over a small corner of the address space. */
class AddrSetPropertyTest {
    static final int SPACE = 64; // 10.0.0.0 - 10.0.0.63

    static Prefix randomPrefix(Random rnd) {
        int len = 26 + rnd.nextInt(7);
        int size = 1 << (32 - len);
        int first = rnd.nextInt(SPACE / size) * size;
        return new Prefix(Ip.parse("10.0.0." + first).orElseThrow(), len);
    }

    static AddrSet randomSet(Random rnd, BitSet bits) {
        AddrSet s = AddrSet.EMPTY;
        int n = rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            Prefix p = randomPrefix(rnd);
            s = s.union(AddrSet.of(p));
            int size = 1 << (32 - p.length());
            int first = Integer.parseInt(p.address().toString().substring("10.0.0.".length()));
            bits.set(first, first + size);
        }
        return s;
    }

    @Test
    void minusUnionAndPrefixCountAgreeWithBruteForce() {
        Random rnd = new Random(7);
        for (int k = 0; k < 3000; k++) {
            BitSet ab = new BitSet(), bb = new BitSet();
            AddrSet a = randomSet(rnd, ab), b = randomSet(rnd, bb);
            AddrSet diff = a.minus(b);
            AddrSet union = a.union(b);
            BitSet wantDiff = (BitSet) ab.clone();
            wantDiff.andNot(bb);
            BitSet wantUnion = (BitSet) ab.clone();
            wantUnion.or(bb);
            for (int i = 0; i < SPACE; i++) {
                Ip ip = Ip.parse("10.0.0." + i).orElseThrow();
                assertEquals(wantDiff.get(i), diff.contains(ip), a + " minus " + b + " at " + ip);
                assertEquals(wantUnion.get(i), union.contains(ip), a + " union " + b + " at " + ip);
            }
            List<Prefix> ps = diff.prefixes(Family.IPV4);
            assertEquals(ps.size(), diff.prefixCount(Long.MAX_VALUE));
            assertEquals(Math.min(ps.size(), 2), diff.prefixCount(2));
        }
    }
}
