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
    // Public for analyses that model header bytes bit by bit (translation validation); each field's first variable is
    // its most significant bit.
    public static final int FAMILY = 0;      // 0 = IPv4, 1 = IPv6
    public static final int FRAG = 1;        // 1 = non-first fragment
    public static final int PROTO = 2;       // 8 bits
    public static final int DST = PROTO + 8; // 128 bits
    public static final int SRC = DST + 128; // 128 bits
    public static final int DPORT = SRC + 128;
    public static final int SPORT = DPORT + 16;
    public static final int ITYPE = SPORT + 16;
    public static final int ICODE = ITYPE + 8;
    public static final int EST = ICODE + 8; // 1 = TCP ACK or RST set
    public static final int VARS = EST + 1;

    private final Bdd bdd;
    private final Map<RuleMatch, Integer> matchCache = new HashMap<>();
    private final int v4, v6, nonFrag, tcp, udp, tcpOrUdp, icmpAny, hasPorts;

    public PacketSpace() { this(0); }

    /**
     * A space with {@code extraVars} more variables after the packet fields ({@code VARS..VARS+extraVars-1}), which no
     * set built here constrains: an analysis may use them for what the policy does not see (frame layout, raw bytes).
     */
    public PacketSpace(int extraVars) {
        bdd = new Bdd(VARS + extraVars);
        v4 = bdd.nithVar(FAMILY);
        v6 = bdd.ithVar(FAMILY);
        nonFrag = bdd.nithVar(FRAG);
        tcp = value(PROTO, 8, ProtoClause.TCP);
        udp = value(PROTO, 8, ProtoClause.UDP);
        tcpOrUdp = bdd.or(tcp, udp);
        hasPorts = bdd.and(tcpOrUdp, nonFrag);
        icmpAny = bdd.and(nonFrag, bdd.or(bdd.and(v4, value(PROTO, 8, ProtoClause.ICMP)),
                bdd.and(v6, value(PROTO, 8, ProtoClause.ICMPV6))));
    }

    public Bdd bdd() { return bdd; }

    public int family(Family f) { return f == Family.IPV4 ? v4 : v6; }

    /** The field of {@code width} bits starting at variable {@code base} equals {@code v}. */
    private int value(int base, int width, long v) {
        int n = Bdd.TRUE;
        for (int i = width - 1; i >= 0; i--) {
            boolean bit = ((v >>> (width - 1 - i)) & 1) != 0;
            n = bit ? bdd.mk(base + i, Bdd.FALSE, n) : bdd.mk(base + i, n, Bdd.FALSE);
        }
        return n;
    }

    /** lo <= field <= hi for a field of {@code width} bits. */
    private int range(int base, int width, long lo, long hi) {
        int le = Bdd.TRUE, ge = Bdd.TRUE;
        for (int i = width - 1; i >= 0; i--) {
            boolean hb = ((hi >>> (width - 1 - i)) & 1) != 0;
            boolean lb = ((lo >>> (width - 1 - i)) & 1) != 0;
            le = hb ? bdd.mk(base + i, Bdd.TRUE, le) : bdd.mk(base + i, le, Bdd.FALSE);
            ge = lb ? bdd.mk(base + i, Bdd.FALSE, ge) : bdd.mk(base + i, ge, Bdd.TRUE);
        }
        return bdd.and(ge, le);
    }

    private int ports(int base, PortSet ps) {
        int n = Bdd.FALSE;
        for (PortSet.Range r : ps.ranges()) n = bdd.or(n, range(base, 16, r.lo(), r.hi()));
        return n;
    }

    private int prefix(int base, Prefix p) {
        int n = Bdd.TRUE;
        Ip a = p.address();
        for (int i = p.length() - 1; i >= 0; i--) {
            n = a.bit(i) ? bdd.mk(base + i, Bdd.FALSE, n) : bdd.mk(base + i, n, Bdd.FALSE);
        }
        return bdd.and(family(p.family()), n);
    }

    /** Packets whose address field at {@code base} lies in {@code s} (the family bit follows from the address). */
    public int addresses(int base, AddrSet s) {
        int n = Bdd.FALSE;
        for (Family f : Family.values()) {
            if (s.isAll(f)) {
                n = bdd.or(n, family(f));
                continue;
            }
            for (Prefix p : s.prefixes(f)) n = bdd.or(n, prefix(base, p));
        }
        return n;
    }

    /** Exactly the packets {@code m} matches; the same reading as the reference evaluator. */
    public int match(RuleMatch m) {
        Integer cached = matchCache.get(m);
        if (cached != null) return cached;
        int n = bdd.and(addresses(SRC, m.src()), addresses(DST, m.dst()));
        if (m.sports() != null) n = bdd.and(n, bdd.and(hasPorts, ports(SPORT, m.sports())));
        if (m.state() != TcpState.ANY) {
            int est = m.state() == TcpState.ESTABLISHED ? bdd.ithVar(EST) : bdd.nithVar(EST);
            n = bdd.and(n, bdd.and(bdd.and(tcp, nonFrag), est));
        }
        int clauses = Bdd.FALSE;
        for (ProtoClause c : m.protos()) clauses = bdd.or(clauses, clause(m, c));
        n = bdd.and(n, clauses);
        matchCache.put(m, n);
        return n;
    }

    private int clause(RuleMatch m, ProtoClause c) {
        int n = Bdd.TRUE;
        if (c.proto() >= 0) n = bdd.and(n, value(PROTO, 8, c.proto()));
        if (c.family() != null) n = bdd.and(n, family(c.family()));
        if (!m.matchesFragments(c)) n = bdd.and(n, nonFrag);
        if (c.dports() != null) n = bdd.and(n, bdd.and(hasPorts, ports(DPORT, c.dports())));
        if (c.icmpType() >= 0) n = bdd.and(n, bdd.and(icmpAny, value(ITYPE, 8, c.icmpType())));
        if (c.icmpCode() >= 0) n = bdd.and(n, bdd.and(icmpAny, value(ICODE, 8, c.icmpCode())));
        return n;
    }

    /** The set holding exactly one packet. */
    public int packet(Packet p) {
        int n = bdd.and(family(p.family()), p.nonFirstFragment() ? bdd.ithVar(FRAG) : nonFrag);
        n = bdd.and(n, value(PROTO, 8, p.proto()));
        n = bdd.and(n, address(DST, p.dst()));
        n = bdd.and(n, address(SRC, p.src()));
        if (p.hasPorts()) n = bdd.and(n, bdd.and(value(DPORT, 16, p.dport()), value(SPORT, 16, p.sport())));
        if (p.isTcp() && !p.nonFirstFragment()) n = bdd.and(n, p.established() ? bdd.ithVar(EST) : bdd.nithVar(EST));
        if (p.isIcmp()) n = bdd.and(n, bdd.and(value(ITYPE, 8, p.icmpType()), value(ICODE, 8, p.icmpCode())));
        return n;
    }

    private int address(int base, Ip ip) { return prefix(base, Prefix.host(ip)); }

    /**
     * A concrete, readable packet from a non-empty set: it prefers whole packets over fragments, IPv4, TCP then UDP
     * then ICMP, connection attempts, an ephemeral source port, a non-zero destination port, sources in the
     * documentation ranges (from 192.0.2.0/24 to 198.51.100.0/24, 2001:db8::/32), and host addresses ending in 1, whenever the set allows.
     * Each preference is kept only when the set still has packets, so the result is always in the set.
     */
    public Packet witness(int set) {
        if (set == Bdd.FALSE) return null;
        int s = set;
        s = prefer(s, nonFrag);
        s = prefer(s, v4);
        int proto = bdd.and(s, tcp) != Bdd.FALSE ? tcp : bdd.and(s, udp) != Bdd.FALSE ? udp : icmpAny;
        s = prefer(s, proto);
        s = prefer(s, bdd.nithVar(EST));
        s = prefer(s, range(SPORT, 16, 40000, 65535));
        s = prefer(s, range(SPORT, 16, 1024, 65535));
        s = prefer(s, range(DPORT, 16, 1, 65535));
        s = prefer(s, bdd.or(prefix(SRC, new Prefix(Ip.v4(0xC0000200L), 24)),
                prefix(SRC, new Prefix(Ip.v6(0x20010db800000000L, 0), 32))));
        s = prefer(s, bdd.or(prefix(DST, new Prefix(Ip.v4(0xC6336400L), 24)),
                prefix(DST, new Prefix(Ip.v6(0x20010db800000000L, 0), 32))));
        s = prefer(s, bdd.or(bdd.and(v4, bdd.ithVar(SRC + 31)), bdd.and(v6, bdd.ithVar(SRC + 127))));
        s = prefer(s, bdd.or(bdd.and(v4, bdd.ithVar(DST + 31)), bdd.and(v6, bdd.ithVar(DST + 127))));
        boolean[] b = bdd.anySat(s);
        Family f = b[FAMILY] ? Family.IPV6 : Family.IPV4;
        boolean frag = b[FRAG];
        int pr = (int) bits(b, PROTO, 8);
        Ip src = ip(b, SRC, f), dst = ip(b, DST, f);
        boolean ports = (pr == ProtoClause.TCP || pr == ProtoClause.UDP) && !frag;
        boolean icmp = !frag && (f == Family.IPV4 ? pr == ProtoClause.ICMP : pr == ProtoClause.ICMPV6);
        Set<TcpFlag> flags = Set.of();
        if (pr == ProtoClause.TCP && !frag) flags = b[EST] ? EnumSet.of(TcpFlag.ACK) : EnumSet.of(TcpFlag.SYN);
        return new Packet(f, src, dst, pr, ports ? (int) bits(b, SPORT, 16) : 0, ports ? (int) bits(b, DPORT, 16) : 0,
                flags, icmp ? (int) bits(b, ITYPE, 8) : 0, icmp ? (int) bits(b, ICODE, 8) : 0, frag);
    }

    private int prefer(int s, int pref) {
        int t = bdd.and(s, pref);
        return t == Bdd.FALSE ? s : t;
    }

    private static long bits(boolean[] b, int base, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) v = (v << 1) | (b[base + i] ? 1 : 0);
        return v;
    }

    private static Ip ip(boolean[] b, int base, Family f) {
        if (f == Family.IPV4) return Ip.v4(bits(b, base, 32));
        return Ip.v6(bits(b, base, 64), bits(b, base + 64, 64));
    }

    /** Convenience for callers that hold rule matches in order. */
    public int union(List<RuleMatch> ms) {
        int n = Bdd.FALSE;
        for (RuleMatch m : ms) n = bdd.or(n, match(m));
        return n;
    }
}
