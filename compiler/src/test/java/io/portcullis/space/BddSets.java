package io.portcullis.space;

import java.util.Random;

/** Test helpers over small packages: truth tables (the meaning of a node) and random sets built by operations. */
final class BddSets {
    private BddSets() {}

    /** The truth table of {@code n} over all 2^vars assignments (bit x: assignment x, variable i its bit i). */
    static long[] table(Bdd bdd, int n, int vars) {
        long[] t = new long[Math.max(1, (1 << vars) / 64)];
        for (int x = 0; x < 1 << vars; x++) {
            int m = n;
            while (m != Bdd.TRUE && m != Bdd.FALSE) m = ((x >>> bdd.var(m)) & 1) != 0 ? bdd.high(m) : bdd.low(m);
            if (m == Bdd.TRUE) t[x >>> 6] |= 1L << (x & 63);
        }
        return t;
    }

    /** A set made by {@code 2^depth} literals over {@code vars} variables combined with and, or and diff. */
    static int random(Bdd bdd, Random r, int depth, int vars) {
        if (depth == 0) {
            int v = r.nextInt(vars);
            return r.nextBoolean() ? bdd.ithVar(v) : bdd.nithVar(v);
        }
        int a = random(bdd, r, depth - 1, vars), b = random(bdd, r, depth - 1, vars);
        return switch (r.nextInt(3)) {
            case 0 -> bdd.and(a, b);
            case 1 -> bdd.or(a, b);
            default -> bdd.diff(a, b);
        };
    }
}
