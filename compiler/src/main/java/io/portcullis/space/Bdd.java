package io.portcullis.space;

import java.util.Arrays;

/**
 * A reduced ordered binary decision diagram package: nodes are ints, 0 is false, 1 is true, variable 0 is tested
 * first. Hash-consed, so equal sets are equal ints and emptiness, equality and inclusion are O(1) after an operation.
 * No garbage collection: a manager lives for one analysis.
 */
public final class Bdd {
    public static final int FALSE = 0, TRUE = 1;
    private static final int AND = 0, OR = 1, DIFF = 2;

    private final int varCount;
    private int[] var, low, high;
    private int size;
    private int[] table; // open addressing: node ids, 0 = empty slot
    private int[] cacheKeyA, cacheKeyB, cacheOp, cacheVal;
    private int cacheMask;

    public Bdd(int varCount) {
        this.varCount = varCount;
        int cap = 1 << 16;
        var = new int[cap];
        low = new int[cap];
        high = new int[cap];
        var[0] = var[1] = varCount; // terminals sort after every variable
        size = 2;
        table = new int[1 << 17];
        int cacheSize = 1 << 18;
        cacheMask = cacheSize - 1;
        cacheKeyA = new int[cacheSize];
        cacheKeyB = new int[cacheSize];
        cacheOp = new int[cacheSize];
        cacheVal = new int[cacheSize];
        Arrays.fill(cacheOp, -1);
    }

    public int varCount() { return varCount; }
    public int nodeCount() { return size; }
    public int var(int n) { return var[n]; }
    public int low(int n) { return low[n]; }
    public int high(int n) { return high[n]; }

    /** The node testing {@code v} with the given children (reduced and shared). */
    public int mk(int v, int lo, int hi) {
        if (lo == hi) return lo;
        int h = hash(v, lo, hi) & (table.length - 1);
        while (true) {
            int n = table[h];
            if (n == 0) break;
            if (var[n] == v && low[n] == lo && high[n] == hi) return n;
            h = (h + 1) & (table.length - 1);
        }
        if (size == var.length) {
            int cap = var.length * 2;
            var = Arrays.copyOf(var, cap);
            low = Arrays.copyOf(low, cap);
            high = Arrays.copyOf(high, cap);
        }
        int n = size++;
        var[n] = v;
        low[n] = lo;
        high[n] = hi;
        table[h] = n;
        if (size * 2 > table.length) rehash();
        return n;
    }

    private void rehash() {
        table = new int[table.length * 2];
        // A fixed operation cache thrashes once the diagram holds millions of nodes, and every miss recomputes a
        // whole sub-diagram; it grows with the node table, up to 8M entries (128 MB).
        if (cacheOp.length < table.length / 2 && cacheOp.length < 1 << 23) {
            int cacheSize = cacheOp.length * 2;
            cacheMask = cacheSize - 1;
            cacheKeyA = new int[cacheSize];
            cacheKeyB = new int[cacheSize];
            cacheOp = new int[cacheSize];
            cacheVal = new int[cacheSize];
            Arrays.fill(cacheOp, -1);
        }
        for (int n = 2; n < size; n++) {
            int h = hash(var[n], low[n], high[n]) & (table.length - 1);
            while (table[h] != 0) h = (h + 1) & (table.length - 1);
            table[h] = n;
        }
    }

    private static int hash(int v, int lo, int hi) {
        int h = v * 0x9E3779B1 ^ lo * 0x85EBCA6B ^ hi * 0xC2B2AE35;
        return h ^ (h >>> 15);
    }

    /** The set where variable {@code v} is 1. */
    public int ithVar(int v) { return mk(v, FALSE, TRUE); }

    public int nithVar(int v) { return mk(v, TRUE, FALSE); }

    public int and(int a, int b) { return apply(AND, a, b); }

    public int or(int a, int b) { return apply(OR, a, b); }

    /** a and not b. */
    public int diff(int a, int b) { return apply(DIFF, a, b); }

    public int not(int a) { return diff(TRUE, a); }

    public boolean subset(int a, int b) { return diff(a, b) == FALSE; }

    public boolean intersects(int a, int b) { return and(a, b) != FALSE; }

    /** if c then t else e. */
    public int ite(int c, int t, int e) { return or(and(c, t), diff(e, c)); }

    private int apply(int op, int a, int b) {
        switch (op) {
            case AND -> {
                if (a == FALSE || b == FALSE) return FALSE;
                if (a == TRUE) return b;
                if (b == TRUE || a == b) return a;
                if (a > b) { int t = a; a = b; b = t; }
            }
            case OR -> {
                if (a == TRUE || b == TRUE) return TRUE;
                if (a == FALSE) return b;
                if (b == FALSE || a == b) return a;
                if (a > b) { int t = a; a = b; b = t; }
            }
            default -> {
                if (a == FALSE || b == TRUE || a == b) return FALSE;
                if (b == FALSE) return a;
            }
        }
        int slot = (a * 31 + b * 17 + op) * 0x9E3779B1;
        slot = (slot ^ (slot >>> 16)) & cacheMask;
        if (cacheOp[slot] == op && cacheKeyA[slot] == a && cacheKeyB[slot] == b) return cacheVal[slot];
        int va = var[a], vb = var[b];
        int v = Math.min(va, vb);
        int a0 = va == v ? low[a] : a, a1 = va == v ? high[a] : a;
        int b0 = vb == v ? low[b] : b, b1 = vb == v ? high[b] : b;
        int r = mk(v, apply(op, a0, b0), apply(op, a1, b1));
        cacheOp[slot] = op;
        cacheKeyA[slot] = a;
        cacheKeyB[slot] = b;
        cacheVal[slot] = r;
        return r;
    }

    /**
     * One satisfying assignment of {@code n} as a bit array over all variables, choosing 0 for every variable that
     * the path leaves free and preferring the 0 branch; null when {@code n} is empty.
     */
    public boolean[] anySat(int n) {
        if (n == FALSE) return null;
        boolean[] bits = new boolean[varCount];
        while (n != TRUE) {
            if (low[n] != FALSE) {
                n = low[n];
            } else {
                bits[var[n]] = true;
                n = high[n];
            }
        }
        return bits;
    }
}
