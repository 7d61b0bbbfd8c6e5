package io.portcullis.bpf.lower;

import io.portcullis.bpf.lower.DecisionDiagram.Dim;
import io.portcullis.bpf.lower.DecisionDiagram.Node;
import io.portcullis.ir.Family;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link DecisionDiagram} serialised as read-only data for the table walk ({@link TableLowering}). Pure and
 * deterministic: nodes are laid out in the diagram's own order.
 *
 * <p>Nodes of one field (dim) live together in chunks of at most {@link #CHUNK_BYTES}: each chunk becomes one
 * {@code .rodata.*} section, which libbpf loads as one array map whose single value may not exceed 4 MiB. A node is
 * {@code u32 n, u32 0}, then its {@code n} interval starts (u64 for IPv6 address words, u32 otherwise), then its
 * {@code n} children as u32 references; little-endian, each node 8-byte aligned. A reference is
 * {@code dim << 29 | chunk << 24 | offset / 4} for a node, {@code LEAF << 29 | rule} for a leaf, where the rule is
 * the rules' count for "no rule matches" (so that the smallest index over groups is the first match).
 */
final class DecisionTable {
    /** The largest value an array map may have: KMALLOC_MAX_SIZE on x86-64 (kernel/bpf/arraymap.c). */
    static final int CHUNK_BYTES = 4 << 20;
    /**
     * Node bytes per chunk. Each chunk is padded to a power of two plus 8 bytes, so the walk bounds an offset with
     * one AND ({@link Chunk#mask}) instead of a compare and a branch: any masked offset plus an 8-byte read stays
     * inside the value. Half of {@link #CHUNK_BYTES}, so the padded chunk still fits one array-map value.
     */
    static final int CHUNK_DATA = CHUNK_BYTES / 2;
    static final int DIM_SHIFT = 29, CHUNK_SHIFT = 24, LEAF = 7;
    static final int MAX_CHUNKS = 32, OFFSET_MASK = (1 << CHUNK_SHIFT) - 1, RULE_MASK = (1 << DIM_SHIFT) - 1;

    /** One chunk: the node bytes (padded), the offset mask that keeps reads inside, the most intervals of any node. */
    record Chunk(int dim, int index, byte[] bytes, int maxIntervals, int mask) {}

    /** Per dim the chunks (possibly none), the roots' references, and whether the dim's starts are 64-bit. */
    record Table(Family family, List<List<Chunk>> chunks, long[] roots, boolean[] wide, long bytes) {}

    private DecisionTable() {}

    static boolean wide(Family f, int dim) {
        return f == Family.IPV6 && dim <= Dim.SRC_LO.ordinal();
    }

    static long leaf(int rule) { return ((long) LEAF << DIM_SHIFT) | rule; }

    static Table of(Family family, DecisionDiagram.Diagram d, int ruleCount) throws CodegenException {
        if (ruleCount >= RULE_MASK) {
            throw new CodegenException(Limits.PROGRAM_LENGTH, "a decision table holds at most " + RULE_MASK + " rules");
        }
        List<Node> nodes = DecisionDiagram.nodes(d.roots());
        // Pass 1: place every node.
        Map<Node, long[]> place = new IdentityHashMap<>(); // node -> {chunk, byte offset}
        int dims = DecisionDiagram.DIMS;
        int[] chunkOf = new int[dims];
        int[] used = new int[dims];
        List<List<int[]>> maxes = new ArrayList<>(); // per dim, per chunk: {max intervals}
        for (int i = 0; i < dims; i++) maxes.add(new ArrayList<>());
        boolean[] wide = new boolean[dims];
        for (int i = 0; i < dims; i++) wide[i] = wide(family, i);
        for (Node n : nodes) {
            if (n.isLeaf()) continue;
            int size = size(n, wide[n.dim]);
            if (size > CHUNK_DATA) {
                throw new CodegenException(Limits.MAP_VALUE, "one decision node of the " + family + " rules needs "
                        + size + " bytes, over the " + CHUNK_DATA + " bytes a table may hold (half the kernel's limit of "
                        + CHUNK_BYTES + " bytes per array-map value)");
            }
            if (maxes.get(n.dim).isEmpty() || used[n.dim] + size > CHUNK_DATA) {
                if (!maxes.get(n.dim).isEmpty()) chunkOf[n.dim]++;
                if (chunkOf[n.dim] >= MAX_CHUNKS) {
                    throw new CodegenException(Limits.MAP_VALUE, "the " + family + " rules need more than "
                            + MAX_CHUNKS + " tables of " + CHUNK_DATA + " bytes for the "
                            + Dim.values()[n.dim].name().toLowerCase(java.util.Locale.ROOT) + " key");
                }
                maxes.get(n.dim).add(new int[] {0});
                used[n.dim] = 0;
            }
            place.put(n, new long[] {chunkOf[n.dim], used[n.dim]});
            used[n.dim] += size;
            int[] m = maxes.get(n.dim).get(chunkOf[n.dim]);
            m[0] = Math.max(m[0], n.kids.length);
        }
        // Pass 2: write them.
        List<List<ByteArrayOutputStream>> out = new ArrayList<>();
        for (int i = 0; i < dims; i++) {
            List<ByteArrayOutputStream> l = new ArrayList<>();
            for (int c = 0; c < maxes.get(i).size(); c++) l.add(new ByteArrayOutputStream());
            out.add(l);
        }
        for (Node n : nodes) {
            if (n.isLeaf()) continue;
            long[] at = place.get(n);
            ByteArrayOutputStream o = out.get(n.dim).get((int) at[0]);
            if (o.size() != at[1]) throw new IllegalStateException("table layout out of step");
            int k = n.kids.length;
            le(o, k, 4);
            le(o, 0, 4);
            for (long s : n.starts) le(o, s, wide[n.dim] ? 8 : 4);
            for (Node kid : n.kids) le(o, ref(kid, place, ruleCount), 4);
            while (o.size() % 8 != 0) o.write(0);
        }
        List<List<Chunk>> chunks = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < dims; i++) {
            List<Chunk> l = new ArrayList<>();
            for (int c = 0; c < out.get(i).size(); c++) {
                byte[] data = out.get(i).get(c).toByteArray();
                int pow2 = Integer.highestOneBit(Math.max(8, data.length - 1)) << 1;
                byte[] b = java.util.Arrays.copyOf(data, pow2 + 8);
                total += b.length;
                l.add(new Chunk(i, c, b, maxes.get(i).get(c)[0], pow2 - 1));
            }
            chunks.add(List.copyOf(l));
        }
        long[] roots = new long[d.roots().size()];
        for (int g = 0; g < roots.length; g++) roots[g] = ref(d.roots().get(g), place, ruleCount);
        return new Table(family, List.copyOf(chunks), roots, wide, total);
    }

    private static int size(Node n, boolean wide) {
        long s = 8 + (long) n.kids.length * ((wide ? 8 : 4) + 4);
        return (int) Math.min(Integer.MAX_VALUE, (s + 7) & ~7L);
    }

    private static long ref(Node n, Map<Node, long[]> place, int ruleCount) {
        if (n.isLeaf()) return leaf(n.rule == DecisionDiagram.NO_RULE ? ruleCount : n.rule);
        long[] at = place.get(n);
        return ((long) n.dim << DIM_SHIFT) | (at[0] << CHUNK_SHIFT) | (at[1] / 4);
    }

    private static void le(ByteArrayOutputStream o, long v, int bytes) {
        for (int i = 0; i < bytes; i++) o.write((int) (v >>> (8 * i)) & 0xff);
    }

    /** Binary-search steps that bring {@code n} intervals down to one: cnt becomes ceil(cnt / 2) per step. */
    static int steps(int n) {
        int s = 0;
        while (n > 1) {
            n -= n >>> 1;
            s++;
        }
        return s;
    }
}
