package io.portcullis.bpf.tv;

import io.portcullis.bpf.tv.FrameModel.ArbConstraint;
import io.portcullis.bpf.tv.FrameModel.Expect;
import io.portcullis.bpf.tv.FrameModel.Layout;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The frame layouts as sets in one packet space. Variables: the packet fields ({@code 0..VARS-1}), then the layout
 * number ({@code k} bits, most significant first), then eight per frame offset for arbitrary bytes. A point of this
 * space is one concrete frame: its layout, its policy fields and its other bytes.
 */
final class FrameSpace {
    final List<Layout> layouts;
    final PacketSpace space;
    final Bdd bdd;
    final Bits bits;
    final int k, layoutVar, arbVar, maxLength;
    final int[] minterm;
    /** Every frame of every layout, with each layout's constraints. */
    final int all;
    final int packets, malformed, nonIp;
    final int[] length; // the frame length as a bit-vector over the layout variables
    private final Map<Integer, List<Group>> groups = new HashMap<>();
    private final Map<Integer, Integer> atLeast = new HashMap<>();

    FrameSpace(List<Layout> layouts) {
        this.layouts = List.copyOf(layouts);
        int n = layouts.size();
        int kk = 1;
        while ((1 << kk) < n) kk++;
        k = kk;
        int max = 0;
        for (Layout l : layouts) max = Math.max(max, l.length());
        maxLength = max;
        space = new PacketSpace(k + 8 * maxLength);
        bdd = space.bdd();
        bits = new Bits(bdd);
        layoutVar = PacketSpace.VARS;
        arbVar = layoutVar + k;
        minterm = new int[n];
        int init = Bdd.FALSE;
        boolean[] pk = new boolean[n], mal = new boolean[n], non = new boolean[n];
        for (int i = 0; i < n; i++) {
            Layout l = layouts.get(i);
            int m = Bdd.TRUE;
            for (int j = k - 1; j >= 0; j--) {
                m = ((i >>> (k - 1 - j)) & 1) != 0 ? bdd.mk(layoutVar + j, Bdd.FALSE, m) : bdd.mk(layoutVar + j, m, Bdd.FALSE);
            }
            minterm[i] = m;
            init = bdd.or(init, bdd.and(m, constraint(l)));
            pk[i] = l.expect == Expect.PACKET;
            mal[i] = l.expect == Expect.MALFORMED;
            non[i] = l.expect == Expect.NON_IP;
        }
        all = init;
        packets = setOf(pk);
        malformed = setOf(mal);
        nonIp = setOf(non);
        length = new int[Bits.W];
        for (int b = 0; b < Bits.W; b++) {
            boolean[] has = new boolean[n];
            for (int i = 0; i < n; i++) has[i] = (((long) layouts.get(i).length() >>> b) & 1) != 0;
            length[b] = setOf(has);
        }
    }

    /** The set of frames whose layout number is a member. */
    int setOf(boolean[] member) {
        return build(member, 0, 0);
    }

    private int build(boolean[] member, int level, int base) {
        if (base >= member.length) return Bdd.FALSE;
        if (level == k) return member[base] ? Bdd.TRUE : Bdd.FALSE;
        int lo = build(member, level + 1, base);
        int hi = build(member, level + 1, base + (1 << (k - 1 - level)));
        return bdd.mk(layoutVar + level, lo, hi);
    }

    /** The variable of bit {@code bit} (0 = least significant) of the arbitrary byte at frame offset {@code o}. */
    int arb(int o, int bit) { return arbVar + 8 * o + (7 - bit); }

    private int constraint(Layout l) {
        int c = Bdd.TRUE;
        if (l.family >= 0) c = bdd.and(c, l.family == 1 ? bdd.ithVar(PacketSpace.FAMILY) : bdd.nithVar(PacketSpace.FAMILY));
        if (l.frag >= 0) c = bdd.and(c, l.frag == 1 ? bdd.ithVar(PacketSpace.FRAG) : bdd.nithVar(PacketSpace.FRAG));
        if (l.protoIn != null) c = bdd.and(c, protoIn(l.protoIn));
        if (l.protoNotIn != null) c = bdd.diff(c, protoIn(l.protoNotIn));
        if (l.estFlags >= 0) {
            // ACK is 0x10, RST 0x04: established exactly when one of them is set.
            int flags = bdd.or(bdd.ithVar(arb(l.estFlags, 4)), bdd.ithVar(arb(l.estFlags, 2)));
            int est = bdd.ithVar(PacketSpace.EST);
            c = bdd.and(c, bdd.or(bdd.and(est, flags), bdd.diff(bdd.not(est), flags)));
        }
        for (ArbConstraint a : l.arb) {
            int in = Bdd.FALSE;
            for (long v : a.values()) {
                int eq = Bdd.TRUE;
                for (int j = 0; j < a.width() * 8; j++) {
                    if (((a.mask() >>> j) & 1) == 0) continue;
                    int var = arb(a.offset() + a.width() - 1 - j / 8, j % 8);
                    eq = bdd.and(eq, ((v >>> j) & 1) != 0 ? bdd.ithVar(var) : bdd.nithVar(var));
                }
                in = bdd.or(in, eq);
            }
            c = bdd.and(c, a.negate() ? bdd.not(in) : in);
        }
        return c;
    }

    private int protoIn(int[] values) {
        int r = Bdd.FALSE;
        for (int v : values) {
            int eq = Bdd.TRUE;
            for (int j = 7; j >= 0; j--) {
                int var = PacketSpace.PROTO + (7 - j);
                eq = bdd.and(eq, ((v >>> j) & 1) != 0 ? bdd.ithVar(var) : bdd.nithVar(var));
            }
            r = bdd.or(r, eq);
        }
        return r;
    }

    /** The layouts that have one byte spec at one offset. */
    record Group(int spec, int layouts) {}

    /** The byte specs at frame offset {@code o}, each with the layouts (long enough to hold it) that have it. */
    List<Group> groups(int o) {
        List<Group> g = groups.get(o);
        if (g != null) return g;
        Map<Integer, boolean[]> by = new LinkedHashMap<>();
        int n = layouts.size();
        for (int i = 0; i < n; i++) {
            Layout l = layouts.get(i);
            if (o >= l.length()) continue;
            by.computeIfAbsent(l.bytes[o], s -> new boolean[n])[i] = true;
        }
        List<Group> out = new java.util.ArrayList<>();
        for (Map.Entry<Integer, boolean[]> e : by.entrySet()) out.add(new Group(e.getKey(), setOf(e.getValue())));
        groups.put(o, out);
        return out;
    }

    /** The 8 bits (least significant first) of byte spec {@code spec} at frame offset {@code o}, on its own layouts. */
    int[] bitsOf(int spec, int o) {
        int[] c = new int[8];
        for (int bit = 0; bit < 8; bit++) {
            if (spec == FrameModel.ARB) c[bit] = bdd.ithVar(arb(o, bit));
            else if (spec >= FrameModel.FIELD) c[bit] = bdd.ithVar(spec - FrameModel.FIELD + (7 - bit));
            else c[bit] = ((spec >>> bit) & 1) != 0 ? Bdd.TRUE : Bdd.FALSE;
        }
        return c;
    }

    /**
     * The byte at frame offset {@code o} for the frames of {@code set} (anything outside {@code set}). When every
     * layout of the set has the same kind of byte there, the bits do not depend on the layout at all, which keeps the
     * values the decision code compares as small as the header fields themselves.
     */
    int[] content(int o, int set) {
        List<Group> hit = new java.util.ArrayList<>();
        for (Group g : groups(o)) if (bdd.intersects(set, g.layouts())) hit.add(g);
        if (hit.size() == 1) return bitsOf(hit.get(0).spec(), o);
        int[] c = new int[8];
        java.util.Arrays.fill(c, Bdd.FALSE);
        for (Group g : hit) {
            int[] b = bitsOf(g.spec(), o);
            for (int bit = 0; bit < 8; bit++) c[bit] = bdd.or(c[bit], bdd.and(g.layouts(), b[bit]));
        }
        return c;
    }

    /** The frames at least {@code n} bytes long. */
    int atLeast(long n) {
        if (n <= 0) return Bdd.TRUE;
        if (n > maxLength) return Bdd.FALSE;
        return atLeast.computeIfAbsent((int) n, m -> {
            boolean[] has = new boolean[layouts.size()];
            for (int i = 0; i < has.length; i++) has[i] = layouts.get(i).length() >= m;
            return setOf(has);
        });
    }

    /** The layout number of a point of the space. */
    int layoutOf(boolean[] point) {
        int id = 0;
        for (int j = 0; j < k; j++) id = id << 1 | (point[layoutVar + j] ? 1 : 0);
        return id;
    }

    /** The concrete frame bytes of a point. */
    byte[] frameOf(boolean[] point) {
        Layout l = layouts.get(layoutOf(point));
        byte[] out = new byte[l.length()];
        for (int o = 0; o < out.length; o++) {
            int spec = l.bytes[o];
            int v = 0;
            for (int bit = 7; bit >= 0; bit--) {
                boolean one;
                if (spec == FrameModel.ARB) one = point[arb(o, bit)];
                else if (spec >= FrameModel.FIELD) one = point[spec - FrameModel.FIELD + (7 - bit)];
                else one = ((spec >>> bit) & 1) != 0;
                v = v << 1 | (one ? 1 : 0);
            }
            out[o] = (byte) v;
        }
        return out;
    }

    /** The single point as a set (every variable fixed). */
    int cube(boolean[] point) {
        int n = Bdd.TRUE;
        for (int v = point.length - 1; v >= 0; v--) n = point[v] ? bdd.mk(v, Bdd.FALSE, n) : bdd.mk(v, n, Bdd.FALSE);
        return n;
    }
}
