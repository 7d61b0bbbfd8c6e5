package io.portcullis.space;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Packets as BDDs: one bit-vector per header field, most significant bit first, in a fixed variable order
 * (family, fragment, protocol, destination, source, destination port, source port, ICMP type, ICMP code, TCP state).
 * IPv4 addresses use the first 32 bits of the 128-bit address fields; the rest stay free.
 *
 * <p>Fields that mean nothing for a packet (ports of ICMP, anything past the IP header of a non-first fragment) are
 * never constrained by any set built here, so every set is exact on the packets that exist.
 */
public final class PacketSpace {
    public static final int FAMILY = 0;      // 0 = IPv4, 1 = IPv6
    public static final int FRAG = 1;        // 1 = non-first fragment
    public static final int PROTO = 2;       // 8 bits
    // The bit-level layout's variables, public for analyses that model header bytes bit by bit (translation
    // validation); each field's first variable is its most significant bit. A compressed space numbers them otherwise.
    public static final int DST = PROTO + 8; // 128 bits
    public static final int SRC = DST + 128; // 128 bits
    public static final int DPORT = SRC + 128;
    public static final int SPORT = DPORT + 16;
    public static final int ITYPE = SPORT + 16;
    public static final int ICODE = ITYPE + 8;
    public static final int EST = ICODE + 8; // 1 = TCP ACK or RST set
    public static final int VARS = EST + 1;
    // Bit-level layout: 128 bits per address, 16 per port. With an atom table, each address and port field holds the
    // index of its atom instead (see Atoms), in as few bits as the table needs; the order of the fields is the same.
    final int dstBase, srcBase, dportBase, sportBase, itypeBase, icodeBase, estBase, vars;
    private final int addrWidth, portWidth;
    private final Atoms atoms; // null: bit-level fields

    private final Bdd bdd;
    private final Map<RuleMatch, long[]> matchCache = new HashMap<>(); // {node, bdd epoch when made}
    // The same for one address field: rules name the same networks again and again (src, then dst).
    private final Map<AddrSet, long[]> srcCache = new HashMap<>(), dstCache = new HashMap<>();
    private final int v4, v6, nonFrag, tcp, udp, tcpOrUdp, icmpAny, hasPorts, newConnection;
    private final int[] prefs; // the witness preferences after the protocol, in the order they apply
    private final int oddBoth; // prefs[ODD_SRC] & prefs[ODD_DST]
    private static final int ODD_SRC = 5, ODD_DST = 6; // the preferences for host addresses ending in 1

    /** A space with bit-level address and port fields: any value can be encoded. */
    public PacketSpace() { this(null, 0); }

    /**
     * A bit-level space with {@code extraVars} more variables after the packet fields ({@code VARS..VARS+extraVars-1}),
     * which no set built here constrains: an analysis may use them for what the policy does not see (frame layout, raw
     * bytes).
     */
    public PacketSpace(int extraVars) { this(null, extraVars); }

    /**
     * A space whose address and port fields are compressed over the atoms of {@code boundaries} (plus the witness
     * preferences' own). Only sets whose address and port ranges start and end at those boundaries can be built; a
     * single packet's values map to their atoms.
     */
    public static PacketSpace compressed(Atoms.Builder boundaries) {
        boundaries.ports(40000, 65535).ports(1024, 65535).ports(1, 65535);
        for (Prefix p : DOC_PREFIXES) boundaries.prefix(p);
        return new PacketSpace(boundaries.build(), 0);
    }

    private static final Prefix DOC_SRC4 = new Prefix(Ip.v4(0xC0000200L), 24), DOC_DST4 = new Prefix(Ip.v4(0xC6336400L), 24),
            DOC6 = new Prefix(Ip.v6(0x20010db800000000L, 0), 32);
    private static final List<Prefix> DOC_PREFIXES = List.of(DOC_SRC4, DOC_DST4, DOC6);

    private PacketSpace(Atoms atoms, int extraVars) {
        this.atoms = atoms;
        if (atoms == null) {
            addrWidth = 128;
            portWidth = 16;
        } else {
            addrWidth = Math.max(Atoms.bitsFor(atoms.addresses(Family.IPV4).count()),
                    Atoms.bitsFor(atoms.addresses(Family.IPV6).count()));
            portWidth = Atoms.bitsFor(atoms.ports().count());
        }
        dstBase = PROTO + 8;
        srcBase = dstBase + addrWidth;
        dportBase = srcBase + addrWidth;
        sportBase = dportBase + portWidth;
        itypeBase = sportBase + portWidth;
        icodeBase = itypeBase + 8;
        estBase = icodeBase + 8; // 1 = TCP ACK or RST set
        vars = estBase + 1;
        bdd = new Bdd(vars + extraVars);
        v4 = bdd.nithVar(FAMILY);
        v6 = bdd.ithVar(FAMILY);
        nonFrag = bdd.nithVar(FRAG);
        tcp = value(PROTO, 8, ProtoClause.TCP);
        udp = value(PROTO, 8, ProtoClause.UDP);
        tcpOrUdp = bdd.or(tcp, udp);
        hasPorts = bdd.and(tcpOrUdp, nonFrag);
        icmpAny = bdd.and(nonFrag, bdd.or(bdd.and(v4, value(PROTO, 8, ProtoClause.ICMP)),
                bdd.and(v6, value(PROTO, 8, ProtoClause.ICMPV6))));
        // Built once, before any caller marks the node stack, so they survive every release.
        newConnection = bdd.nithVar(estBase);
        prefs = new int[] {portRange(sportBase, 40000, 65535), portRange(sportBase, 1024, 65535),
            portRange(dportBase, 1, 65535),
            bdd.or(prefix(srcBase, DOC_SRC4), prefix(srcBase, DOC6)),
            bdd.or(prefix(dstBase, DOC_DST4), prefix(dstBase, DOC6)),
            odd(srcBase), odd(dstBase)};
        oddBoth = bdd.and(prefs[ODD_SRC], prefs[ODD_DST]);
    }

    /**
     * This space on {@code overlay}, an {@link Bdd#overlay()} of this space's package: the same fields and atoms, every
     * set of this space valid there, and the sets built there private to the overlay's thread.
     */
    public PacketSpace on(Bdd overlay) { return new PacketSpace(this, overlay); }

    private PacketSpace(PacketSpace o, Bdd overlay) {
        if (overlay.base() == 0 || overlay.base() > o.bdd.nodeCount()) {
            throw new IllegalArgumentException("not an overlay of this space's package");
        }
        atoms = o.atoms;
        addrWidth = o.addrWidth;
        portWidth = o.portWidth;
        dstBase = o.dstBase;
        srcBase = o.srcBase;
        dportBase = o.dportBase;
        sportBase = o.sportBase;
        itypeBase = o.itypeBase;
        icodeBase = o.icodeBase;
        estBase = o.estBase;
        vars = o.vars;
        bdd = overlay;
        v4 = o.v4;
        v6 = o.v6;
        nonFrag = o.nonFrag;
        tcp = o.tcp;
        udp = o.udp;
        tcpOrUdp = o.tcpOrUdp;
        hasPorts = o.hasPorts;
        icmpAny = o.icmpAny;
        newConnection = o.newConnection;
        prefs = o.prefs;
        oddBoth = o.oddBoth;
    }

    /** The atom table, or null for bit-level fields. */
    public Atoms atoms() { return atoms; }

    public Bdd bdd() { return bdd; }

    public int family(Family f) { return f == Family.IPV4 ? v4 : v6; }

    /** The field of {@code width} bits (at most 63) starting at variable {@code base} equals {@code v}. */
    private int value(int base, int width, long v) {
        int n = Bdd.TRUE;
        for (int i = width - 1; i >= 0; i--) {
            boolean bit = ((v >>> (width - 1 - i)) & 1) != 0;
            n = bit ? bdd.mk(base + i, Bdd.FALSE, n) : bdd.mk(base + i, n, Bdd.FALSE);
        }
        return n;
    }

    /**
     * lo <= field <= hi for a field of {@code width} bits, built in one pass: below the first bit where lo and hi
     * differ, the 0 branch only has to stay at or above lo and the 1 branch at or below hi; above it the bits are
     * those of lo (and hi).
     */
    private int range(int base, int width, long lo, long hi) {
        if (Long.compareUnsigned(lo, hi) > 0) return Bdd.FALSE;
        int d = 0; // the first bit, from the most significant, where lo and hi differ (lo has 0 there, hi 1)
        while (d < width && bit(lo, width, d) == bit(hi, width, d)) d++;
        int n;
        if (d == width) {
            n = Bdd.TRUE;
        } else {
            int ge = Bdd.TRUE, le = Bdd.TRUE;
            for (int i = width - 1; i > d; i--) {
                ge = bit(lo, width, i) ? bdd.mk(base + i, Bdd.FALSE, ge) : bdd.mk(base + i, ge, Bdd.TRUE);
                le = bit(hi, width, i) ? bdd.mk(base + i, Bdd.TRUE, le) : bdd.mk(base + i, le, Bdd.FALSE);
            }
            n = bdd.mk(base + d, ge, le);
        }
        for (int i = d - 1; i >= 0; i--) n = bit(lo, width, i) ? bdd.mk(base + i, Bdd.FALSE, n) : bdd.mk(base + i, n, Bdd.FALSE);
        return n;
    }

    /** Bit {@code i} of a {@code width}-bit value, counting from the most significant (0). */
    private static boolean bit(long v, int width, int i) { return ((v >>> (width - 1 - i)) & 1) != 0; }

    private int ports(int base, PortSet ps) {
        int n = Bdd.FALSE;
        for (PortSet.Range r : ps.ranges()) n = bdd.or(n, portRange(base, r.lo(), r.hi()));
        return n;
    }

    /** lo <= port <= hi, for the port field at {@code base}. */
    private int portRange(int base, int lo, int hi) {
        if (atoms == null) return range(base, 16, lo, hi);
        Atoms.Table t = atoms.ports();
        int i = t.index(0, lo), j = t.index(0, hi);
        if (!t.isBoundary(0, lo) || !t.endsAt(j, 0, hi)) throw notInTable("port range " + lo + "-" + hi);
        return atomRange(base, portWidth, t.count(), i, j);
    }

    /** Atoms i..j of a table of {@code count}; the last atom also owns every index past the table. */
    private int atomRange(int base, int width, int count, int i, int j) {
        long top = j == count - 1 ? (1L << width) - 1 : j;
        if (i == 0 && top == (1L << width) - 1) return Bdd.TRUE;
        return range(base, width, i, top);
    }

    private static IllegalStateException notInTable(String what) {
        return new IllegalStateException("packet space: " + what + " does not start and end at atom boundaries");
    }

    /** Addresses whose last bit is 1: with atoms, the atoms holding such an address. */
    private int odd(int base) {
        if (atoms == null) return bdd.or(bdd.and(v4, bdd.ithVar(base + 31)), bdd.and(v6, bdd.ithVar(base + 127)));
        int n = Bdd.FALSE;
        for (Family f : Family.values()) {
            Atoms.Table t = atoms.addresses(f);
            List<Integer> runs = new java.util.ArrayList<>(); // [first, last] of each run of such atoms
            for (int k = 0; k < t.count(); k++) {
                if (!t.wide(k) && (t.startLo(k) & 1) == 0) continue;
                if (!runs.isEmpty() && runs.get(runs.size() - 1) == k - 1) runs.set(runs.size() - 1, k);
                else {
                    runs.add(k);
                    runs.add(k);
                }
            }
            int[] sets = new int[runs.size() / 2];
            for (int r = 0; r < sets.length; r++) {
                sets[r] = atomRange(base, addrWidth, t.count(), runs.get(2 * r), runs.get(2 * r + 1));
            }
            n = bdd.or(n, bdd.and(family(f), bdd.orAll(sets, 0, sets.length)));
        }
        return n;
    }

    private int prefix(int base, Prefix p) {
        if (atoms != null) return bdd.and(family(p.family()), atomPrefix(base, p));
        int n = Bdd.TRUE;
        Ip a = p.address();
        for (int i = p.length() - 1; i >= 0; i--) {
            n = a.bit(i) ? bdd.mk(base + i, Bdd.FALSE, n) : bdd.mk(base + i, n, Bdd.FALSE);
        }
        return bdd.and(family(p.family()), n);
    }

    private int atomPrefix(int base, Prefix p) {
        long[] last = Atoms.last(p);
        Ip a = Prefix.network(p.address(), p.length());
        return atomRun(base, p.family(), a.hi(), a.lo(), last[0], last[1]);
    }

    /** Addresses from (fh, fl) to (lh, ll) of family {@code f}, as atom indices (the family bit not included). */
    private int atomRun(int base, Family f, long fh, long fl, long lh, long ll) {
        Atoms.Table t = atoms.addresses(f);
        int i = t.index(fh, fl), j = t.index(lh, ll);
        if (!t.isBoundary(fh, fl) || !t.endsAt(j, lh, ll)) {
            throw notInTable(new Ip(f, fh, fl) + " to " + new Ip(f, lh, ll));
        }
        return atomRange(base, addrWidth, t.count(), i, j);
    }

    /** Packets whose address field at {@code base} lies in {@code s} (the family bit follows from the address). */
    public int addresses(int base, AddrSet s) {
        Map<AddrSet, long[]> cache = base == srcBase ? srcCache : base == dstBase ? dstCache : null;
        if (cache == null) return addressesOf(base, s);
        long[] known = cache.get(s);
        if (known != null && bdd.stillValid((int) known[0], (int) known[1])) return (int) known[0];
        int n = addressesOf(base, s);
        cache.put(s, new long[] {n, bdd.epoch()});
        return n;
    }

    private int addressesOf(int base, AddrSet s) {
        int n = Bdd.FALSE;
        for (Family f : Family.values()) {
            if (s.isAll(f)) {
                n = bdd.or(n, family(f));
                continue;
            }
            if (atoms == null) {
                for (Prefix p : s.prefixes(f)) n = bdd.or(n, prefix(base, p));
            } else {
                // By runs of contiguous addresses: their ends are boundaries of the table, the cut points between
                // the prefixes of a difference or union (any minus the private ranges, say) need not be.
                int m = Bdd.FALSE;
                for (long[] r : Atoms.runs(s, f)) m = bdd.or(m, atomRun(base, f, r[0], r[1], r[2], r[3]));
                n = bdd.or(n, bdd.and(family(f), m));
            }
        }
        return n;
    }

    /** Exactly the packets {@code m} matches; the same reading as the reference evaluator. */
    public int match(RuleMatch m) {
        long[] cached = matchCache.get(m);
        if (cached != null && bdd.stillValid((int) cached[0], (int) cached[1])) return (int) cached[0];
        int n = bdd.and(addresses(srcBase, m.src()), addresses(dstBase, m.dst()));
        if (m.sports() != null) n = bdd.and(n, bdd.and(hasPorts, ports(sportBase, m.sports())));
        if (m.state() != TcpState.ANY) {
            int est = m.state() == TcpState.ESTABLISHED ? bdd.ithVar(estBase) : bdd.nithVar(estBase);
            n = bdd.and(n, bdd.and(bdd.and(tcp, nonFrag), est));
        }
        int clauses = Bdd.FALSE;
        for (ProtoClause c : m.protos()) clauses = bdd.or(clauses, clause(m, c));
        n = bdd.and(n, clauses);
        matchCache.put(m, new long[] {n, bdd.epoch()});
        return n;
    }

    private int clause(RuleMatch m, ProtoClause c) {
        int n = Bdd.TRUE;
        if (c.proto() >= 0) n = bdd.and(n, value(PROTO, 8, c.proto()));
        if (c.family() != null) n = bdd.and(n, family(c.family()));
        if (!m.matchesFragments(c)) n = bdd.and(n, nonFrag);
        if (c.dports() != null) n = bdd.and(n, bdd.and(hasPorts, ports(dportBase, c.dports())));
        if (c.icmpType() >= 0) n = bdd.and(n, bdd.and(icmpAny, value(itypeBase, 8, c.icmpType())));
        if (c.icmpCode() >= 0) n = bdd.and(n, bdd.and(icmpAny, value(icodeBase, 8, c.icmpCode())));
        return n;
    }

    /** The set holding exactly one packet. */
    public int packet(Packet p) {
        int n = bdd.and(family(p.family()), p.nonFirstFragment() ? bdd.ithVar(FRAG) : nonFrag);
        n = bdd.and(n, value(PROTO, 8, p.proto()));
        n = bdd.and(n, address(dstBase, p.dst()));
        n = bdd.and(n, address(srcBase, p.src()));
        if (p.hasPorts()) n = bdd.and(n, bdd.and(port(dportBase, p.dport()), port(sportBase, p.sport())));
        if (p.isTcp() && !p.nonFirstFragment()) n = bdd.and(n, p.established() ? bdd.ithVar(estBase) : bdd.nithVar(estBase));
        if (p.isIcmp()) n = bdd.and(n, bdd.and(value(itypeBase, 8, p.icmpType()), value(icodeBase, 8, p.icmpCode())));
        return n;
    }

    /** The set of one address: with atoms, of the atom holding it (exact for membership in any set of this space). */
    private int address(int base, Ip ip) {
        if (atoms == null) return prefix(base, Prefix.host(ip));
        Atoms.Table t = atoms.addresses(ip.family());
        int k = t.index(ip.hi(), ip.lo());
        return bdd.and(family(ip.family()), atomRange(base, addrWidth, t.count(), k, k));
    }

    private int port(int base, int v) {
        if (atoms == null) return value(base, 16, v);
        int k = atoms.ports().index(0, v);
        return atomRange(base, portWidth, atoms.ports().count(), k, k);
    }

    /**
     * A concrete, readable packet from a non-empty set: it prefers whole packets over fragments, IPv4, TCP then UDP
     * then ICMP, connection attempts, an ephemeral source port, a non-zero destination port, sources in the
     * documentation ranges (from 192.0.2.0/24 to 198.51.100.0/24, 2001:db8::/32), and host addresses ending in 1, whenever the set allows.
     * Each preference is kept only when the set still has packets, so the result is always in the set.
     */
    public Packet witness(int set) {
        if (set == Bdd.FALSE) return null;
        // The preferences that apply are gathered in c, a small set independent of the input, and each is tried by a
        // test of the input against c & preference (which stops at the first packet it finds and makes no node), not
        // by cutting the input down one preference at a time (each cut walked and rebuilt the whole input). The input is
        // cut once, by c, at the end: the same set, so the same packet.
        int c = Bdd.TRUE;
        c = prefer(set, c, nonFrag);
        c = prefer(set, c, v4);
        int proto = bdd.intersects(set, bdd.and(c, tcp)) ? tcp : bdd.intersects(set, bdd.and(c, udp)) ? udp : icmpAny;
        c = prefer(set, c, proto);
        c = prefer(set, c, newConnection);
        for (int k = 0; k < ODD_SRC; k++) c = prefer(set, c, prefs[k]);
        int s = bdd.and(set, c);
        // The last two preferences (ODD_SRC, ODD_DST) are large sets over many atoms: instead of building the set
        // they leave (which copies them under every path of s), test them and take the first packet of s & z.
        int z = Bdd.TRUE;
        boolean oddSrc = bdd.intersects(s, prefs[ODD_SRC]);
        if (oddSrc) z = prefs[ODD_SRC];
        int both = oddSrc ? oddBoth : prefs[ODD_DST];
        boolean oddDst = bdd.intersects(s, both);
        if (oddDst) z = both;
        boolean[] b = bdd.anySat(s, z);
        Family f = b[FAMILY] ? Family.IPV6 : Family.IPV4;
        boolean frag = b[FRAG];
        int pr = (int) bits(b, PROTO, 8);
        Ip src = ip(b, srcBase, f, oddSrc), dst = ip(b, dstBase, f, oddDst);
        boolean ports = (pr == ProtoClause.TCP || pr == ProtoClause.UDP) && !frag;
        boolean icmp = !frag && (f == Family.IPV4 ? pr == ProtoClause.ICMP : pr == ProtoClause.ICMPV6);
        Set<TcpFlag> flags = Set.of();
        if (pr == ProtoClause.TCP && !frag) flags = b[estBase] ? EnumSet.of(TcpFlag.ACK) : EnumSet.of(TcpFlag.SYN);
        return new Packet(f, src, dst, pr, ports ? portOf(b, sportBase) : 0, ports ? portOf(b, dportBase) : 0,
                flags, icmp ? (int) bits(b, itypeBase, 8) : 0, icmp ? (int) bits(b, icodeBase, 8) : 0, frag);
    }

    /** {@code c & pref} when the input {@code set} still has packets there, else {@code c}. */
    private int prefer(int set, int c, int pref) {
        int t = bdd.and(c, pref);
        return t == c || bdd.intersects(set, t) ? t : c;
    }

    private static long bits(boolean[] b, int base, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) v = (v << 1) | (b[base + i] ? 1 : 0);
        return v;
    }

    /**
     * The address a witness shows: with atoms, the smallest member of its atom, or the smallest odd member when the
     * preference for addresses ending in 1 applied (the atom then has one). That is the address the bit-level space
     * gives for the same set, since every set is a union of whole atoms and atoms are ordered by value.
     */
    private Ip ip(boolean[] b, int base, Family f, boolean odd) {
        if (atoms == null) {
            if (f == Family.IPV4) return Ip.v4(bits(b, base, 32));
            return Ip.v6(bits(b, base, 64), bits(b, base + 64, 64));
        }
        Atoms.Table t = atoms.addresses(f);
        int k = (int) Math.min(bits(b, base, addrWidth), t.count() - 1);
        long lo = t.startLo(k);
        if (odd) lo |= 1;
        return f == Family.IPV4 ? Ip.v4(lo) : Ip.v6(t.startHi(k), lo);
    }

    private int portOf(boolean[] b, int base) {
        if (atoms == null) return (int) bits(b, base, 16);
        return (int) atoms.ports().startLo((int) Math.min(bits(b, base, portWidth), atoms.ports().count() - 1));
    }

    /** Header fields other than the addresses, for {@link #range}. */
    public enum Field {
        /** The IP protocol (8 bits). */
        PROTO,
        /** The destination and source ports (with atoms: a port range must start and end at boundaries). */
        DPORT, SPORT,
        /** ICMP type and code as one 16-bit number, {@code type << 8 | code}. */
        ICMP
    }

    /**
     * Packets whose field {@code f} lies in {@code lo..hi}, for analyses that build sets from intervals of their own
     * (translation validation reading decision tables). Nothing else of the packet is constrained; in particular a
     * port range says nothing about the protocol.
     */
    public int range(Field f, long lo, long hi) {
        return switch (f) {
            case PROTO -> range(PROTO, 8, lo, hi);
            case DPORT -> portRange(dportBase, (int) lo, (int) hi);
            case SPORT -> portRange(sportBase, (int) lo, (int) hi);
            case ICMP -> range(itypeBase, 16, lo, hi);
        };
    }

    /** Non-first fragments. */
    public int nonFirstFragment() { return bdd.ithVar(FRAG); }

    /** Packets whose {@code established} bit (TCP ACK or RST) is set; meaningful for TCP whole packets only. */
    public int established() { return bdd.ithVar(estBase); }

    /**
     * Packets of family {@code f} whose destination ({@code dst}) or source address lies from {@code (fh, fl)} to
     * {@code (lh, ll)} (IPv4: {@code fl}, {@code ll} hold the address); with atoms, both ends must be boundaries.
     */
    public int addressRange(boolean dst, Family f, long fh, long fl, long lh, long ll) {
        int base = dst ? dstBase : srcBase;
        if (atoms != null) return bdd.and(family(f), atomRun(base, f, fh, fl, lh, ll));
        if (f == Family.IPV4) return bdd.and(v4, range(base, 32, fl, ll));
        int hiPart = Long.compareUnsigned(fh, lh) == 0 ? bdd.and(range(base, 64, fh, fh), range(base + 64, 64, fl, ll))
                : bdd.or(bdd.or(bdd.and(range(base, 64, fh, fh), range(base + 64, 64, fl, -1L)),
                        bdd.and(range(base, 64, lh, lh), range(base + 64, 64, 0, ll))),
                        Long.compareUnsigned(fh + 1, lh) < 0 ? range(base, 64, fh + 1, lh - 1) : Bdd.FALSE);
        return bdd.and(v6, hiPart);
    }

    /** Convenience for callers that hold rule matches in order. */
    public int union(List<RuleMatch> ms) {
        int n = Bdd.FALSE;
        for (RuleMatch m : ms) n = bdd.or(n, match(m));
        return n;
    }
}
