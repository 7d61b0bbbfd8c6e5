package io.portcullis.space;

import java.util.Arrays;

/**
 * A reduced ordered binary decision diagram package: nodes are ints, 0 is false, 1 is true, variable 0 is tested
 * first. Hash-consed, so equal sets are equal ints and emptiness, equality and inclusion are O(1) after an operation.
 *
 * <p>Memory is managed as a stack. A node's children are always older than the node, so the nodes made after a
 * {@link #mark()} sit above it, and {@link #release(int, int[])} drops every one of them that the given roots do not
 * reach, renumbering the survivors downwards. The checker does its per-rule work between a mark and a release, so the
 * node table holds the policy's lasting sets plus one rule's scratch, not the scratch of every rule: that keeps it
 * small enough to stay in the processor's caches, which is where most of the time went (an operation on a table of
 * millions of nodes was a hundred times slower than the same operation on a fresh one).
 *
 * <p>A diagram package is not thread-safe. For work that only reads a finished set of diagrams, {@link #overlay()}
 * gives each thread a package of its own on top of this one: ids below {@link #base()} name this package's nodes
 * (read, never written), newer nodes live in the overlay. While overlays are in use this package must not change;
 * {@link #freeze()} makes any attempt to add or release nodes fail.
 */
public final class Bdd {
    public static final int FALSE = 0, TRUE = 1;
    private static final int AND = 0, OR = 1, DIFF = 2, MEETS = 3, EXCEEDS = 4; // the last two: tests, no nodes
    private static final int MAX_CACHE = 1 << 22;

    private final int varCount;
    // An overlay's ids below base are its parent's nodes, read from pnodes/pbuckets; its own node n is at
    // nodes[4(n - base)]. For a package of its own base is 0 and pnodes is empty.
    private int base;
    private int[] pnodes, pbuckets;
    private final Bdd parent;
    private boolean frozen;
    // Node n is nodes[4n..4n+3]: variable, low child, high child, next node in its hash bucket. One array, so that a
    // lookup touches one cache line per node instead of four (most of the engine's time is memory latency).
    private static final int VAR = 0, LOW = 1, HIGH = 2, NEXT = 3;
    private int[] nodes;
    private int size;
    private int[] buckets;              // newest node first, so the nodes above a mark lead every chain
    // Cache entry k is cache[4k..4k+3]: a * 8 + op, b, result, epoch (one cache line per lookup, as above).
    private int[] cache;
    private int cacheMask;
    private int epoch;                  // bumped by every release
    private int[] floor = new int[16];  // floor[e]: nodes below it were untouched by the releases since epoch e
    private int lastMark, resetEpoch;

    public Bdd(int varCount) {
        this.varCount = varCount;
        base = 0;
        pnodes = pbuckets = new int[0];
        parent = null;
        int cap = 1 << 16;
        nodes = new int[4 * cap];
        nodes[VAR] = nodes[4 + VAR] = varCount; // terminals sort after every variable
        size = 2;
        buckets = new int[1 << 16];
        allocateCache(1 << 16);
    }

    private Bdd(Bdd parent, int cacheEntries) {
        this.parent = parent;
        varCount = parent.varCount;
        base = parent.size;
        pnodes = parent.nodes;
        pbuckets = parent.buckets;
        nodeLimit = parent.nodeLimit;
        nodes = new int[4 * (1 << 14)];
        size = base;
        buckets = new int[1 << 14];
        allocateCache(cacheEntries);
    }

    /**
     * A package for one thread on top of this one, which must be {@link #freeze() frozen}: every node of this package
     * keeps its id there, and operations on them give the same sets (and the same results) as here.
     */
    public Bdd overlay() {
        // Operations there walk this package's diagrams, as large as this table: a small cache would thrash (see
        // rehash). Half the largest cache, since each thread has one.
        return overlay(Math.min(Math.max(1 << 14, Integer.highestOneBit(size)), MAX_CACHE / 2));
    }

    /** As {@link #overlay()}, with an operation cache of {@code cacheEntries} (a power of two). */
    public Bdd overlay(int cacheEntries) {
        if (!frozen) throw new IllegalStateException("an overlay needs a frozen package");
        if (Integer.bitCount(cacheEntries) != 1) throw new IllegalArgumentException("cache size " + cacheEntries);
        return new Bdd(this, cacheEntries);
    }

    /**
     * Copies sets of finished overlays (no longer in use) into this package. Each overlay's nodes are copied once, however
     * many of its sets share them, so copy the sets of one batch through one copier.
     */
    public Copier copier() { return new Copier(); }

    /** See {@link #copier()}. */
    public final class Copier {
        private final java.util.Map<Bdd, int[]> memos = new java.util.IdentityHashMap<>(); // new id + 1, 0: not yet

        private Copier() {}

        /** The set {@code n} of {@code overlay}, an overlay of this package, as a node of this package. */
        public int copy(Bdd overlay, int n) {
            if (overlay.parent != Bdd.this || overlay.base > size) throw new IllegalArgumentException("not an overlay of this package");
            return copyFrom(overlay, n, memos.computeIfAbsent(overlay, o -> new int[o.size - o.base]));
        }
    }

    private int copyFrom(Bdd overlay, int n, int[] memo) {
        if (n < overlay.base) return n;
        int k = n - overlay.base;
        if (memo[k] != 0) return memo[k] - 1;
        int o = 4 * k;
        int[] t = overlay.nodes;
        int r = mk(t[o + VAR], copyFrom(overlay, t[o + LOW], memo), copyFrom(overlay, t[o + HIGH], memo));
        memo[k] = r + 1;
        return r;
    }

    /**
     * This overlay, emptied and put on top of its parent as the parent is now (frozen again, after it grew): the same
     * as a new {@link #overlay(int)} of the same cache size, without allocating the tables again.
     */
    public void rebase() {
        if (parent == null) throw new IllegalStateException("not an overlay");
        if (!parent.frozen) throw new IllegalStateException("an overlay needs a frozen package");
        base = parent.size;
        pnodes = parent.nodes;
        pbuckets = parent.buckets;
        size = base;
        Arrays.fill(buckets, 0);
        // Every cached result may name a node of the old overlay under an id the parent now uses.
        clearCache();
        if (epoch + 1 == floor.length) floor = Arrays.copyOf(floor, floor.length * 2);
        floor[epoch] = base;
        epoch++;
        resetEpoch = epoch;
        lastMark = 0;
    }

    /** From now on nodes may not be added or released here, so that overlays can read this package from any thread. */
    public void freeze() { frozen = true; }

    /** Allows changes again, once no overlay of this package is in use any more. */
    public void thaw() { frozen = false; }

    /** The first id of this package's own nodes: lower ids are its parent's (0 for a package of its own). */
    public int base() { return base; }

    private void allocateCache(int entries) {
        cacheMask = entries - 1;
        cache = new int[4 * entries];
        clearCache();
    }

    /** Thrown by {@link #mk} when the node table would pass the limit set with {@link #limitNodes}. */
    public static final class NodeLimitException extends RuntimeException {
        NodeLimitException(int limit) { super("more than " + limit + " BDD nodes", null, false, false); }
    }

    private int nodeLimit = Integer.MAX_VALUE;

    /**
     * Caps the node table at {@code max} nodes (Integer.MAX_VALUE: no cap): an analysis whose sets may blow up
     * (translation validation of an arbitrary program) gets an exception instead of running out of memory.
     */
    public void limitNodes(int max) { nodeLimit = max; }

    public int varCount() { return varCount; }
    public int nodeCount() { return size; }
    public int var(int n) { return n < base ? pnodes[4 * n + VAR] : nodes[4 * (n - base) + VAR]; }
    public int low(int n) { return n < base ? pnodes[4 * n + LOW] : nodes[4 * (n - base) + LOW]; }
    public int high(int n) { return n < base ? pnodes[4 * n + HIGH] : nodes[4 * (n - base) + HIGH]; }

    private void clearCache() {
        for (int k = 0; k < cache.length; k += 4) cache[k] = -1;
    }

    /** The node testing {@code v} with the given children (reduced and shared). */
    public int mk(int v, int lo, int hi) {
        if (lo == hi) return lo;
        int h = hash(v, lo, hi);
        if (lo < base && hi < base) { // only then can the parent hold it
            int[] t = pnodes;
            for (int n = pbuckets[h & (pbuckets.length - 1)]; n != 0; n = t[4 * n + NEXT]) {
                int o = 4 * n;
                if (t[o + VAR] == v && t[o + LOW] == lo && t[o + HIGH] == hi) return n;
            }
        }
        int b = h & (buckets.length - 1);
        int[] t = nodes;
        for (int n = buckets[b]; n != 0; n = t[4 * (n - base) + NEXT]) {
            int o = 4 * (n - base);
            if (t[o + VAR] == v && t[o + LOW] == lo && t[o + HIGH] == hi) return n;
        }
        if (frozen) throw new IllegalStateException("node added to a frozen package");
        if (size >= nodeLimit) throw new NodeLimitException(nodeLimit);
        if (4 * (size - base) == nodes.length) grow();
        int n = size++;
        int o = 4 * (n - base);
        nodes[o + VAR] = v;
        nodes[o + LOW] = lo;
        nodes[o + HIGH] = hi;
        if (size - base > buckets.length) {
            rehash(buckets.length * 2);
        } else {
            nodes[o + NEXT] = buckets[b];
            buckets[b] = n;
        }
        return n;
    }

    private void grow() {
        nodes = Arrays.copyOf(nodes, nodes.length * 2);
    }

    /** Rebuilds the buckets, inserting in id order so that newer nodes stay ahead of older ones in every chain. */
    private void rehash(int bucketCount) {
        buckets = new int[bucketCount];
        for (int n = Math.max(2, base); n < size; n++) {
            int o = 4 * (n - base);
            int b = hash(nodes[o + VAR], nodes[o + LOW], nodes[o + HIGH]) & (bucketCount - 1);
            nodes[o + NEXT] = buckets[b];
            buckets[b] = n;
        }
        // A cache much smaller than the table thrashes, and every miss recomputes a whole sub-diagram.
        if (cacheMask + 1 < bucketCount && cacheMask + 1 < MAX_CACHE) allocateCache(Math.min(bucketCount, MAX_CACHE));
    }

    private static int hash(int v, int lo, int hi) {
        long h = ((long) lo << 32 | (hi & 0xFFFFFFFFL)) * 0x9E3779B97F4A7C15L + v * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    /** The current top of the node stack, for a later {@link #release}. */
    public int mark() { return size; }

    /** Drops every node made since {@code mark}: the scratch of a computation whose results are no longer needed. */
    public void release(int mark) { release(mark, new int[0]); }

    /** Drops every node made since {@code mark} except what {@code root} reaches; returns root's new id. */
    public int release(int mark, int root) {
        int[] r = {root};
        release(mark, r);
        return r[0];
    }

    /**
     * Drops every node made since {@code mark} that none of {@code roots} reaches and renumbers the rest; the roots are
     * replaced, in place, by their new ids. Ids below the mark are unchanged; any other id held elsewhere is void.
     */
    public void release(int mark, int[] roots) {
        if (mark < Math.max(2, base) || mark > size) throw new IllegalArgumentException("bad mark " + mark);
        if (mark == size) return;
        if (frozen) throw new IllegalStateException("release in a frozen package");
        int[] map = new int[size - mark]; // new id + 1 of each node above the mark that survives, 0 when dropped
        for (int r : roots) markReachable(r, mark, map);
        // Unlink every node above the mark, newest first: each is at the head of its chain when its turn comes.
        int[] t = nodes;
        for (int n = size - 1; n >= mark; n--) {
            int o = 4 * (n - base);
            int b = hash(t[o + VAR], t[o + LOW], t[o + HIGH]) & (buckets.length - 1);
            buckets[b] = t[o + NEXT];
        }
        int top = mark;
        for (int n = mark; n < size; n++) {
            if (map[n - mark] == 0) continue;
            int o = 4 * (n - base);
            int v = t[o + VAR], lo = remap(t[o + LOW], mark, map), hi = remap(t[o + HIGH], mark, map);
            int m = top++;
            int p = 4 * (m - base);
            t[p + VAR] = v;
            t[p + LOW] = lo;
            t[p + HIGH] = hi;
            int b = hash(v, lo, hi) & (buckets.length - 1);
            t[p + NEXT] = buckets[b];
            buckets[b] = m;
            map[n - mark] = m + 1;
        }
        for (int k = 0; k < roots.length; k++) roots[k] = remap(roots[k], mark, map);
        size = top;
        // Cached results that name a dropped or renumbered node are void. Entries made before this release stay
        // valid when all their nodes are below every mark released since (checked on lookup); a release below an
        // earlier one breaks that order, and then the cache is simply cleared.
        if (epoch + 1 == floor.length) floor = Arrays.copyOf(floor, floor.length * 2);
        floor[epoch] = mark;
        epoch++;
        if (mark < lastMark) {
            clearCache();
            resetEpoch = epoch;
        }
        lastMark = mark;
    }

    private void markReachable(int n, int mark, int[] map) {
        while (n >= mark && map[n - mark] == 0) {
            map[n - mark] = 1;
            markReachable(nodes[4 * (n - base) + LOW], mark, map);
            n = nodes[4 * (n - base) + HIGH];
        }
    }

    private static int remap(int n, int mark, int[] map) { return n < mark ? n : map[n - mark] - 1; }

    /** The set where variable {@code v} is 1. */
    public int ithVar(int v) { return mk(v, FALSE, TRUE); }

    public int nithVar(int v) { return mk(v, TRUE, FALSE); }

    public int and(int a, int b) { return apply(AND, a, b); }

    public int or(int a, int b) { return apply(OR, a, b); }

    /** a and not b. */
    public int diff(int a, int b) { return apply(DIFF, a, b); }

    public int not(int a) { return diff(TRUE, a); }

    /** Whether every element of a is in b. Makes no node: a test walks the two diagrams and stops at the answer. */
    public boolean subset(int a, int b) { return test(EXCEEDS, a, b) == 0; }

    /** Whether a and b share an element; makes no node (see {@link #subset}). */
    public boolean intersects(int a, int b) { return test(MEETS, a, b) != 0; }

    /**
     * 1 when a and b meet (MEETS) or a has an element outside b (EXCEEDS), else 0: the emptiness of and/diff without
     * building the result, and stopping at the first element found. Results are cached like those of {@link #apply}.
     */
    private int test(int op, int a, int b) {
        if (op == MEETS) {
            if (a == FALSE || b == FALSE) return 0;
            if (a == TRUE || b == TRUE || a == b) return 1;
            if (a > b) { int t = a; a = b; b = t; }
        } else {
            if (a == FALSE || b == TRUE || a == b) return 0;
            if (b == FALSE || a == TRUE) return 1;
        }
        int key = a * 8 + op;
        int h = hash(op, a, b);
        int[] c = cache;
        int slot = 4 * (h & cacheMask);
        if (c[slot] == key && c[slot + 1] == b) {
            int r = c[slot + 2], e = c[slot + 3];
            if (e == epoch || Math.max(a, b) < floor[e]) return r;
        }
        int[] ta, tb;
        int oa, ob;
        if (a < base) { ta = pnodes; oa = 4 * a; } else { ta = nodes; oa = 4 * (a - base); }
        if (b < base) { tb = pnodes; ob = 4 * b; } else { tb = nodes; ob = 4 * (b - base); }
        int va = ta[oa + VAR], vb = tb[ob + VAR];
        int v = Math.min(va, vb);
        int a0 = va == v ? ta[oa + LOW] : a, a1 = va == v ? ta[oa + HIGH] : a;
        int b0 = vb == v ? tb[ob + LOW] : b, b1 = vb == v ? tb[ob + HIGH] : b;
        int r = test(op, a0, b0) != 0 || test(op, a1, b1) != 0 ? 1 : 0;
        c = cache;
        slot = 4 * (h & cacheMask);
        c[slot] = key;
        c[slot + 1] = b;
        c[slot + 2] = r;
        c[slot + 3] = epoch;
        return r;
    }

    /** if c then t else e. */
    public int ite(int c, int t, int e) { return or(and(c, t), diff(e, c)); }

    /** The union of {@code sets}, combined pairwise as a balanced tree (cheaper than a running union of many sets). */
    public int orAll(int[] sets, int from, int to) {
        if (to - from <= 0) return FALSE;
        if (to - from == 1) return sets[from];
        int mid = (from + to) >>> 1;
        return or(orAll(sets, from, mid), orAll(sets, mid, to));
    }

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
        int key = a * 8 + op;
        int h = hash(op, a, b);
        int[] c = cache;
        int slot = 4 * (h & cacheMask);
        if (c[slot] == key && c[slot + 1] == b) {
            int r = c[slot + 2], e = c[slot + 3];
            if (e == epoch || Math.max(Math.max(a, b), r) < floor[e]) return r;
        }
        int[] ta, tb;
        int oa, ob;
        if (a < base) { ta = pnodes; oa = 4 * a; } else { ta = nodes; oa = 4 * (a - base); }
        if (b < base) { tb = pnodes; ob = 4 * b; } else { tb = nodes; ob = 4 * (b - base); }
        int va = ta[oa + VAR], vb = tb[ob + VAR];
        int v = Math.min(va, vb);
        int a0 = va == v ? ta[oa + LOW] : a, a1 = va == v ? ta[oa + HIGH] : a;
        int b0 = vb == v ? tb[ob + LOW] : b, b1 = vb == v ? tb[ob + HIGH] : b;
        int r = mk(v, apply(op, a0, b0), apply(op, a1, b1));
        c = cache; // the cache may have been reallocated meanwhile
        slot = 4 * (h & cacheMask);
        c[slot] = key;
        c[slot + 1] = b;
        c[slot + 2] = r;
        c[slot + 3] = epoch;
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
            if (low(n) != FALSE) {
                n = low(n);
            } else {
                bits[var(n)] = true;
                n = high(n);
            }
        }
        return bits;
    }

    /**
     * What {@code anySat(and(a, b))} gives, without building the conjunction: the first satisfying assignment in
     * variable order (0 before 1, free variables 0), found by a walk that tests which branch still meets; null when
     * a and b are disjoint.
     */
    public boolean[] anySat(int a, int b) {
        if (!intersects(a, b)) return null;
        boolean[] bits = new boolean[varCount];
        while (a != TRUE || b != TRUE) {
            int va = var(a), vb = var(b);
            int v = Math.min(va, vb);
            int a0 = va == v ? low(a) : a, a1 = va == v ? high(a) : a;
            int b0 = vb == v ? low(b) : b, b1 = vb == v ? high(b) : b;
            if (test(MEETS, a0, b0) != 0) {
                a = a0;
                b = b0;
            } else {
                bits[v] = true;
                a = a1;
                b = b1;
            }
        }
        return bits;
    }

    /**
     * Whether {@code id}, obtained while {@link #epoch()} was {@code epochThen}, still names the same node: no release
     * since then dropped or renumbered it. For caches kept outside this class.
     */
    public boolean stillValid(int id, int epochThen) {
        return epochThen == epoch || epochThen >= resetEpoch && id < floorSince(epochThen);
    }

    /** The number of releases so far. */
    public int epoch() { return epoch; }

    private int floorSince(int e) {
        // Marks only grow between cache clears (see release), so the first release after e has the lowest mark.
        return e < epoch ? floor[e] : Integer.MAX_VALUE;
    }
}
