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
 * The frame layouts as sets in one packet space. Variables: the packet fields ({@code 0..VARS-1}), the TCP flags byte
 * (8, most significant first; with the fields, these are what the decision code reads), then the layout
 * number ({@code k} bits, most significant first), then the frame length ({@value #LEN_BITS} bits) interleaved with
 * the IP length field ({@value #IPLEN_BITS} bits; IPv4 total length, IPv6 payload length), most significant first, then
 * eight per frame offset for arbitrary bytes. A point of this space is one concrete frame: its layout, its length, its
 * policy fields and its other bytes.
 */
final class FrameSpace {
    /** Frame lengths 0..2^17-1: every length an IP length field can describe, with its link-layer header. */
    static final int LEN_BITS = 17, IPLEN_BITS = 16;
    /** Frame offsets past the longest layout that still have variables (payload the program might read). */
    static final int PAST = 64;
    final List<Layout> layouts;
    final PacketSpace space;
    final Bdd bdd;
    final Bits bits;
    final int k, flagsVar, walkVar, layoutVar, lenVar, arbVar;
    /**
     * The walk proof's variables ({@link WalkProof}): a table reference {@code R} and a rule index {@code B} (the best
     * rule so far), 32 bits each, placed after the packet fields so that the field projection keeps them. Order: the
     * top three bits of B and of R, then the bits 28..0 of R and B interleaved, so that comparing a rule taken from R
     * with B is a small diagram.
     */
    static final int WALK_BITS = 64;
    final int[] walkRef, walkBest;
    /** Offsets {@code 0..maxLength-1} have byte variables; a read past them cannot be modelled. */
    final int maxLength;
    final int[] minterm;
    /** Every frame of every layout, with each layout's constraints. */
    final int all;
    final int packets, malformed, nonIp;
    final int[] length;   // the frame length as a 64-bit vector of its variables
    final int[] ipLength; // the IP length field
    private final Map<Integer, List<Group>> groups = new HashMap<>();
    private final Map<Long, Integer> atLeast = new HashMap<>();

    FrameSpace(List<Layout> layouts) {
        this.layouts = List.copyOf(layouts);
        int n = layouts.size();
        int kk = 1;
        while ((1 << kk) < n) kk++;
        k = kk;
        int max = 0;
        for (Layout l : layouts) max = Math.max(max, l.length());
        maxLength = max + PAST;
        space = new PacketSpace(8 + WALK_BITS + k + LEN_BITS + IPLEN_BITS + 8 * maxLength);
        bdd = space.bdd();
        bits = new Bits(bdd);
        flagsVar = PacketSpace.VARS;
        walkVar = flagsVar + 8;
        layoutVar = walkVar + WALK_BITS;
        walkRef = bits.konst(0);
        walkBest = bits.konst(0);
        for (int b = 0; b < 32; b++) {
            walkRef[b] = bdd.ithVar(walkBit(false, b));
            walkBest[b] = bdd.ithVar(walkBit(true, b));
        }
        lenVar = layoutVar + k;
        arbVar = lenVar + LEN_BITS + IPLEN_BITS;
        length = bits.konst(0);
        ipLength = bits.konst(0);
        for (int b = 0; b < LEN_BITS; b++) length[b] = bdd.ithVar(lenBit(b));
        for (int b = 0; b < IPLEN_BITS; b++) ipLength[b] = bdd.ithVar(ipBit(b));
        minterm = new int[n];
        int init = Bdd.FALSE, pk = Bdd.FALSE, mal = Bdd.FALSE, non = Bdd.FALSE;
        Map<Long, Integer> fits = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Layout l = layouts.get(i);
            int m = Bdd.TRUE;
            for (int j = k - 1; j >= 0; j--) {
                m = ((i >>> (k - 1 - j)) & 1) != 0 ? bdd.mk(layoutVar + j, Bdd.FALSE, m) : bdd.mk(layoutVar + j, m, Bdd.FALSE);
            }
            minterm[i] = m;
            init = bdd.or(init, bdd.and(m, constraint(l)));
            switch (l.expect) {
                case PACKET -> {
                    int ok = fits.computeIfAbsent((long) l.minIpLen << 32 | (l.l3 + l.fixed), key -> {
                        // IPLEN >= minIpLen and l3 + fixed + IPLEN <= frame length
                        int holds = bdd.not(bits.ult(ipLength, bits.konst(l.minIpLen)));
                        int inFrame = bdd.not(bits.ult(length, bits.add(ipLength, bits.konst(l.l3 + l.fixed))));
                        return bdd.and(holds, inFrame);
                    });
                    pk = bdd.or(pk, bdd.and(m, ok));
                    mal = bdd.or(mal, bdd.diff(m, ok));
                }
                case NON_IP -> {
                    int ok = atLeast(l.l3);
                    non = bdd.or(non, bdd.and(m, ok));
                    mal = bdd.or(mal, bdd.diff(m, ok));
                }
                default -> mal = bdd.or(mal, m);
            }
        }
        all = init;
        packets = pk;
        malformed = mal;
        nonIp = non;
    }

    /** The variable of bit {@code b} (0 = least significant) of the walk's best rule ({@code best}) or reference. */
    int walkBit(boolean best, int b) {
        if (b >= 29) return walkVar + (best ? 0 : 3) + (31 - b);
        return walkVar + 6 + 2 * (28 - b) + (best ? 1 : 0);
    }

    /** Whether variable {@code v} is one of the walk proof's. */
    boolean isWalkVar(int v) { return v >= walkVar && v < layoutVar; }

    /** The variable of bit {@code b} (0 = least significant) of the frame length. */
    int lenBit(int b) { return b == LEN_BITS - 1 ? lenVar : lenVar + 1 + 2 * (IPLEN_BITS - 1 - b); }

    /** The variable of bit {@code b} of the IP length field. */
    int ipBit(int b) { return lenVar + 2 + 2 * (IPLEN_BITS - 1 - b); }

    /** Forgets the sets built on demand (after the node table was released above them). */
    void clearCaches() {
        groups.clear();
        atLeast.clear();
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
            int flags = bdd.or(bdd.ithVar(flagsVar + 7 - 4), bdd.ithVar(flagsVar + 7 - 2));
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

    /** The layouts that have one byte spec at one offset (past a layout's bytes: arbitrary). */
    record Group(int spec, int layouts) {}

    /** The byte specs at frame offset {@code o}, each with the layouts (long enough to hold it) that have it. */
    List<Group> groups(int o) {
        List<Group> g = groups.get(o);
        if (g != null) return g;
        Map<Integer, boolean[]> by = new LinkedHashMap<>();
        int n = layouts.size();
        for (int i = 0; i < n; i++) {
            Layout l = layouts.get(i);
            by.computeIfAbsent(o < l.length() ? l.bytes[o] : FrameModel.ARB, s -> new boolean[n])[i] = true;
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
            else if (spec >= FrameModel.IPLEN) c[bit] = bdd.ithVar(ipBit(bit + (spec == FrameModel.IPLEN ? 8 : 0)));
            else if (spec == FrameModel.TCP_FLAGS) c[bit] = bdd.ithVar(flagsVar + 7 - bit);
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
        if (n >= 1L << LEN_BITS) return Bdd.FALSE;
        return atLeast.computeIfAbsent(n, m -> bdd.not(bits.ult(length, bits.konst(m))));
    }

    /** A subset of {@code set} with the shortest frame length, then the smallest IP length field. */
    int shortest(int set) {
        int s = set;
        for (int b = LEN_BITS - 1; b >= 0; b--) {
            int t = bdd.diff(s, bdd.ithVar(lenBit(b)));
            if (t != Bdd.FALSE) s = t;
        }
        for (int b = IPLEN_BITS - 1; b >= 0; b--) {
            int t = bdd.diff(s, bdd.ithVar(ipBit(b)));
            if (t != Bdd.FALSE) s = t;
        }
        return s;
    }

    /** The frame length of a point. */
    int lengthOf(boolean[] point) {
        int v = 0;
        for (int b = LEN_BITS - 1; b >= 0; b--) v = v << 1 | (point[lenBit(b)] ? 1 : 0);
        return v;
    }

    /** The IP length field of a point. */
    int ipLengthOf(boolean[] point) {
        int v = 0;
        for (int b = IPLEN_BITS - 1; b >= 0; b--) v = v << 1 | (point[ipBit(b)] ? 1 : 0);
        return v;
    }

    /** What the reference semantics makes of the frame of a point. */
    Expect expectOf(boolean[] point) {
        int c = cube(point);
        if (bdd.intersects(c, packets)) return Expect.PACKET;
        if (bdd.intersects(c, nonIp)) return Expect.NON_IP;
        return Expect.MALFORMED;
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
        byte[] out = new byte[lengthOf(point)];
        // Bytes past the modelled offsets are never read by a program that was validated: zeros.
        for (int o = 0; o < Math.min(out.length, maxLength); o++) {
            int spec = o < l.length() ? l.bytes[o] : FrameModel.ARB;
            int v = 0;
            for (int bit = 7; bit >= 0; bit--) {
                boolean one;
                if (spec == FrameModel.ARB) one = point[arb(o, bit)];
                else if (spec >= FrameModel.IPLEN) one = point[ipBit(bit + (spec == FrameModel.IPLEN ? 8 : 0))];
                else if (spec == FrameModel.TCP_FLAGS) one = point[flagsVar + 7 - bit];
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
