package io.portcullis.bpf.tv;

import io.portcullis.ir.Family;
import io.portcullis.ir.ProtoClause;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PacketSpace.Field;

/**
 * The packets whose table key lies in an interval, in one packet space: translation validation's definition of the
 * seven keys the decision tables test (the README states them; {@link Tables#key} is the same definition on one
 * concrete packet). In the frame space (bit-level fields) every key is a function of the fields alone; in a space
 * whose addresses are compressed to atoms, the low word of an IPv6 address only has a meaning under a known high
 * word ({@code ctx}).
 *
 * <ul>
 * <li>0-3: the destination and source address: IPv4 the address, IPv6 its high (0, 2) and low (1, 3) 64-bit words;
 * the low-word keys are 0 for IPv4;</li>
 * <li>4: the protocol, plus 256 for a non-first fragment;</li>
 * <li>5: for a TCP or UDP packet that is not a non-first fragment its destination port; for an ICMP packet of the
 * family (ICMPv6 for IPv6) that is not a non-first fragment {@code type << 8 | code}; otherwise 0;</li>
 * <li>6: for a TCP or UDP packet that is not a non-first fragment its source port, plus 65536 for a TCP segment with
 * ACK or RST set; otherwise 0.</li>
 * </ul>
 */
final class KeySets {
    private final PacketSpace s;
    private final Bdd bdd;
    private final Family family;
    private final boolean bitLevel;
    private final int nonFrag, tcpUdp, icmp, hasPorts, tcpEst;

    KeySets(PacketSpace s, Family family) {
        this.s = s;
        this.bdd = s.bdd();
        this.family = family;
        this.bitLevel = s.atoms() == null;
        nonFrag = bdd.not(s.nonFirstFragment());
        int tcp = range(Field.PROTO, ProtoClause.TCP, ProtoClause.TCP);
        tcpUdp = bdd.or(tcp, range(Field.PROTO, ProtoClause.UDP, ProtoClause.UDP));
        int ic = family == Family.IPV4 ? ProtoClause.ICMP : ProtoClause.ICMPV6;
        icmp = bdd.and(range(Field.PROTO, ic, ic), nonFrag);
        hasPorts = bdd.and(tcpUdp, nonFrag);
        tcpEst = bdd.and(tcp, s.established());
    }

    int hasPorts() { return hasPorts; }

    int icmp() { return icmp; }

    int tcpEst() { return tcpEst; }

    private final java.util.Map<String, int[]> cache = new java.util.HashMap<>();

    /** As {@link #set}, remembered while the node table keeps the result. */
    int cached(int dim, long lo, long hi, long ctx) {
        String key = dim + ":" + lo + ":" + hi + ":" + ctx;
        int[] e = cache.get(key);
        if (e != null && bdd.stillValid(e[0], e[1])) return e[0];
        int r = set(dim, lo, hi, ctx);
        cache.put(key, new int[] {r, bdd.epoch()});
        return r;
    }

    /** A field range: built directly (no intermediate sets) in the bit-level space. */
    private int range(Field f, long lo, long hi) {
        if (!bitLevel) return s.range(f, lo, hi);
        return switch (f) {
            case PROTO -> interval(PacketSpace.PROTO, 8, lo, hi);
            case DPORT -> interval(PacketSpace.DPORT, 16, lo, hi);
            case SPORT -> interval(PacketSpace.SPORT, 16, lo, hi);
            case ICMP -> interval(PacketSpace.ITYPE, 16, lo, hi);
        };
    }

    /**
     * {@code lo <= x <= hi} for the {@code width} variables from {@code base} (most significant first), built from the
     * least significant bit up with one node per (bit, still tight to lo, still tight to hi): no set operations.
     */
    private int interval(int base, int width, long lo, long hi) {
        if (Long.compareUnsigned(lo, hi) > 0) return Bdd.FALSE;
        // n[tl][th]: the set of the lower bits given whether the higher bits so far equal lo's (tl) and hi's (th).
        int[][] n = {{Bdd.TRUE, Bdd.TRUE}, {Bdd.TRUE, Bdd.TRUE}};
        for (int i = 0; i < width; i++) {
            int var = base + width - 1 - i;
            boolean lb = ((lo >>> i) & 1) != 0, hb = ((hi >>> i) & 1) != 0;
            int[][] m = new int[2][2];
            for (int tl = 0; tl < 2; tl++) {
                for (int th = 0; th < 2; th++) {
                    int[] kid = new int[2];
                    for (int b = 0; b < 2; b++) {
                        boolean ok = (tl == 0 || b >= (lb ? 1 : 0)) && (th == 0 || b <= (hb ? 1 : 0));
                        kid[b] = !ok ? Bdd.FALSE : n[tl == 1 && b == (lb ? 1 : 0) ? 1 : 0][th == 1 && b == (hb ? 1 : 0) ? 1 : 0];
                    }
                    m[tl][th] = bdd.mk(var, kid[0], kid[1]);
                }
            }
            n = m;
        }
        return n[1][1];
    }

    /**
     * The packets (of this family, as far as the key says) whose key {@code dim} lies in {@code lo..hi}; {@code ctx} is
     * the high word for an IPv6 low-word key in a compressed space.
     */
    int set(int dim, long lo, long hi, long ctx) {
        return switch (dim) {
            case Tables.DST_HI, Tables.SRC_HI -> address(dim == Tables.DST_HI, false, lo, hi, ctx);
            case Tables.DST_LO, Tables.SRC_LO -> address(dim == Tables.DST_LO, true, lo, hi, ctx);
            case Tables.PROTO -> proto(lo, hi);
            case Tables.L4 -> l4(lo, hi);
            default -> sport(lo, hi);
        };
    }

    private int address(boolean dst, boolean low, long lo, long hi, long ctx) {
        if (family == Family.IPV4) {
            if (low) return lo == 0 ? Bdd.TRUE : Bdd.FALSE;
            if (bitLevel) return interval(dst ? PacketSpace.DST : PacketSpace.SRC, 32, lo, hi);
            return s.addressRange(dst, family, 0, lo, 0, hi);
        }
        if (bitLevel) return interval((dst ? PacketSpace.DST : PacketSpace.SRC) + (low ? 64 : 0), 64, lo, hi);
        if (!low) return s.addressRange(dst, family, lo, 0, hi, -1L);
        return s.addressRange(dst, family, ctx, lo, ctx, hi);
    }

    private int proto(long lo, long hi) {
        int r = Bdd.FALSE;
        if (lo <= 255) r = bdd.and(range(Field.PROTO, lo, Math.min(hi, 255)), nonFrag);
        if (hi >= 256) r = bdd.or(r, bdd.diff(range(Field.PROTO, Math.max(lo, 256) - 256, hi - 256), nonFrag));
        return r;
    }

    private int l4(long lo, long hi) {
        hi = Math.min(hi, 65535);
        int ports = bdd.and(hasPorts, range(Field.DPORT, lo, hi));
        int types = bdd.and(icmp, range(Field.ICMP, lo, hi));
        int r = bdd.or(ports, types);
        if (lo == 0) r = bdd.or(r, bdd.diff(bdd.not(hasPorts), icmp));
        return r;
    }

    private int sport(long lo, long hi) {
        int r = Bdd.FALSE;
        if (lo <= 65535) r = bdd.diff(range(Field.SPORT, lo, Math.min(hi, 65535)), tcpEst);
        if (hi >= 65536) r = bdd.or(r, bdd.and(range(Field.SPORT, Math.max(lo, 65536) - 65536, hi - 65536), tcpEst));
        r = bdd.and(r, hasPorts);
        if (lo == 0) r = bdd.or(r, bdd.not(hasPorts));
        return r;
    }
}
