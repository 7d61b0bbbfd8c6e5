package io.portcullis.bpf.tv;

import io.portcullis.space.Bdd;
import java.util.ArrayList;
import java.util.List;

/**
 * Bit-vectors whose bits are BDDs over the symbolic inputs: bit {@code i} (0 = least significant) of a 64-bit
 * register is the set of inputs for which that bit is 1. Every operation is exact, so a branch condition is exactly
 * the set of inputs that take the branch.
 */
final class Bits {
    static final int W = 64;
    private final Bdd b;

    Bits(Bdd b) { this.b = b; }

    Bdd bdd() { return b; }

    int[] konst(long v) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = ((v >>> i) & 1) != 0 ? Bdd.TRUE : Bdd.FALSE;
        return r;
    }

    private final java.util.Map<Long, int[]> shared = new java.util.HashMap<>();

    /** The constant {@code v}, one array per value: callers must not modify it. */
    int[] shared(long v) {
        int[] r = shared.get(v);
        if (r == null) {
            if (shared.size() > 1 << 16) shared.clear();
            r = konst(v);
            shared.put(v, r);
        }
        return r;
    }

    /** The value when every bit is a constant, else null. */
    static Long constant(int[] x) {
        long v = 0;
        for (int i = 0; i < W; i++) {
            if (x[i] == Bdd.TRUE) v |= 1L << i;
            else if (x[i] != Bdd.FALSE) return null;
        }
        return v;
    }

    int[] and(int[] x, int[] y) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = b.and(x[i], y[i]);
        return r;
    }

    int[] or(int[] x, int[] y) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = b.or(x[i], y[i]);
        return r;
    }

    int xor1(int p, int q) {
        if (p == Bdd.FALSE) return q;
        if (q == Bdd.FALSE) return p;
        if (p == Bdd.TRUE) return b.not(q);
        if (q == Bdd.TRUE) return b.not(p);
        return b.or(b.diff(p, q), b.diff(q, p));
    }

    int[] xor(int[] x, int[] y) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = xor1(x[i], y[i]);
        return r;
    }

    int[] not(int[] x) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = b.not(x[i]);
        return r;
    }

    int[] add(int[] x, int[] y) { return addc(x, y, Bdd.FALSE); }

    int[] sub(int[] x, int[] y) { return addc(x, not(y), Bdd.TRUE); }

    int[] neg(int[] x) { return sub(konst(0), x); }

    private int[] addc(int[] x, int[] y, int carry) {
        int[] r = new int[W];
        int c = carry;
        for (int i = 0; i < W; i++) {
            int p = x[i], q = y[i];
            int pq = xor1(p, q);
            r[i] = xor1(pq, c);
            // carry = p&q | c&(p^q)
            c = b.or(b.and(p, q), b.and(c, pq));
        }
        return r;
    }

    int[] shl(int[] x, int k) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = i - k >= 0 ? x[i - k] : Bdd.FALSE;
        return r;
    }

    int[] lshr(int[] x, int k) {
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = i + k < W ? x[i + k] : Bdd.FALSE;
        return r;
    }

    /** Arithmetic shift right of the low {@code width} bits (32 or 64); higher bits become 0. */
    int[] ashr(int[] x, int k, int width) {
        int[] r = new int[W];
        for (int i = 0; i < width; i++) r[i] = i + k < width ? x[i + k] : x[width - 1];
        for (int i = width; i < W; i++) r[i] = Bdd.FALSE;
        return r;
    }

    /** Multiplication where at least one side is a constant (shift and add). */
    int[] mulConst(int[] x, long k) {
        int[] r = konst(0);
        for (int i = 0; i < W; i++) if (((k >>> i) & 1) != 0) r = add(r, shl(x, i));
        return r;
    }

    int[] zext(int[] x, int width) {
        int[] r = x.clone();
        for (int i = width; i < W; i++) r[i] = Bdd.FALSE;
        return r;
    }

    int[] sext(int[] x, int width) {
        int[] r = x.clone();
        for (int i = width; i < W; i++) r[i] = x[width - 1];
        return r;
    }

    /** Reverses the byte order of the low {@code width} bits; higher bits become 0. */
    int[] bswap(int[] x, int width) {
        int[] r = konst(0);
        int bytes = width / 8;
        for (int j = 0; j < bytes; j++) {
            for (int i = 0; i < 8; i++) r[8 * (bytes - 1 - j) + i] = x[8 * j + i];
        }
        return r;
    }

    int eq(int[] x, int[] y) {
        int r = Bdd.TRUE;
        for (int i = W - 1; i >= 0 && r != Bdd.FALSE; i--) r = b.and(r, b.not(xor1(x[i], y[i])));
        return r;
    }

    /** Unsigned x < y. */
    int ult(int[] x, int[] y) {
        Long ky = constant(y), kx = ky == null ? constant(x) : null;
        if (ky != null || kx != null) {
            // One side constant k: at each bit, from the least significant, x < k is (x_i = 0 and k_i = 1) or equal
            // bits and the lower bits smaller, so one operation per bit.
            int[] v = ky != null ? x : y;
            long k = ky != null ? ky : kx;
            int lt = Bdd.FALSE;
            for (int i = 0; i < W; i++) {
                boolean ki = ((k >>> i) & 1) != 0;
                int p = v[i];
                if (ky != null) {
                    // v < k: k_i = 1 -> !p | lt; k_i = 0 -> !p & lt
                    lt = ki ? b.or(b.not(p), lt) : b.diff(lt, p);
                } else {
                    // k < v: k_i = 0 -> p | lt; k_i = 1 -> p & lt
                    lt = ki ? b.and(p, lt) : b.or(p, lt);
                }
            }
            return lt;
        }
        int lt = Bdd.FALSE;
        for (int i = 0; i < W; i++) {
            int p = x[i], q = y[i];
            if (p == q) continue;
            // lt_i = (!p & q) | (p == q) & lt_{i-1}
            lt = b.or(b.diff(q, p), b.and(b.not(xor1(p, q)), lt));
        }
        return lt;
    }

    /** Signed x < y over the low {@code width} bits. */
    int slt(int[] x, int[] y, int width) {
        int[] xs = sext(x, width), ys = sext(y, width);
        xs[W - 1] = b.not(xs[W - 1]);
        ys[W - 1] = b.not(ys[W - 1]);
        return ult(xs, ys);
    }

    int nonZero(int[] x) {
        int r = Bdd.FALSE;
        for (int i = 0; i < W && r != Bdd.TRUE; i++) r = b.or(r, x[i]);
        return r;
    }

    /** Bitwise if-then-else; shares the bits both sides have in common. */
    int[] ite(int c, int[] t, int[] e) {
        if (t == e) return t;
        int[] r = new int[W];
        for (int i = 0; i < W; i++) r[i] = t[i] == e[i] ? t[i] : b.ite(c, t[i], e[i]);
        return r;
    }

    /** One concrete value of {@code x} within {@code set}, and the subset of {@code set} where x has that value. */
    record Case(long value, int set) {}

    /** The distinct values {@code x} takes on {@code set}, each with the inputs that give it; at most {@code max}. */
    List<Case> values(int[] x, int set, int max) {
        List<Case> out = new ArrayList<>();
        split(x, set, W - 1, 0L, out, max);
        return out;
    }

    private void split(int[] x, int set, int bit, long prefix, List<Case> out, int max) {
        if (set == Bdd.FALSE) return;
        if (out.size() > max) return;
        if (bit < 0) {
            out.add(new Case(prefix, set));
            return;
        }
        int xb = x[bit];
        if (xb == Bdd.TRUE) { split(x, set, bit - 1, prefix | 1L << bit, out, max); return; }
        if (xb == Bdd.FALSE) { split(x, set, bit - 1, prefix, out, max); return; }
        split(x, b.diff(set, xb), bit - 1, prefix, out, max);
        split(x, b.and(set, xb), bit - 1, prefix | 1L << bit, out, max);
    }
}
