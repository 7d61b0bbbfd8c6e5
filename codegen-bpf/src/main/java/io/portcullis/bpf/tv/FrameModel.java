package io.portcullis.bpf.tv;

import io.portcullis.ir.ProtoClause;
import io.portcullis.space.PacketSpace;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames translation validation quantifies over, written from LANGUAGE.md independently of the code generator:
 * a list of frame <em>layouts</em>. A layout fixes the structure of a frame (VLAN depth, IP version, IPv4 header
 * length, the IPv6 extension-header chain, the transport protocol class, fragment kind, the length fields and the
 * frame length) and says what the reference semantics makes of every frame of that shape: a packet (then the verdict
 * is the policy's), a malformed frame (dropped) or a non-IP frame (the {@code non-ip} verdict).
 *
 * <p>Within a layout every byte is one of: a constant (structure), a byte of a policy header field (the packet
 * space's variables: addresses, protocol, ports, ICMP type and code), or an arbitrary byte (a variable of its own,
 * per frame offset). Arbitrary bytes may carry a constraint (an EtherType that is not IP, a VLAN TPID that is one of
 * the two tag types, a fragment offset that is zero or not, TCP flags that agree with the packet's TCP state). So a
 * layout stands for every frame of that shape: all addresses, ports, protocols in its class, flags, MAC addresses,
 * checksums, options contents, VLAN ids, and so on.
 */
final class FrameModel {
    enum Expect { PACKET, MALFORMED, NON_IP }

    /** A byte spec: 0..255 a constant, FIELD + v a byte of packet-space variables starting at v, ARB arbitrary. */
    static final int ARB = -1, FIELD = 1 << 20;

    /** {@code (bytes[offset..offset+width) big-endian & mask) in values}, or not in values when {@code negate}. */
    record ArbConstraint(int offset, int width, long mask, long[] values, boolean negate) {}

    static final class Layout {
        final String what;
        final int[] bytes;
        final Expect expect;
        final int family, frag;   // -1: unconstrained
        final int[] protoIn, protoNotIn;
        final int estFlags;       // frame offset of the TCP flags byte, or -1
        final List<ArbConstraint> arb;

        Layout(String what, int[] bytes, Expect expect, int family, int frag, int[] protoIn, int[] protoNotIn,
               int estFlags, List<ArbConstraint> arb) {
            this.what = what;
            this.bytes = bytes;
            this.expect = expect;
            this.family = family;
            this.frag = frag;
            this.protoIn = protoIn;
            this.protoNotIn = protoNotIn;
            this.estFlags = estFlags;
            this.arb = List.copyOf(arb);
        }

        int length() { return bytes.length; }
    }

    static final int ETH_IP = 0x0800, ETH_IPV6 = 0x86DD, VLAN_Q = 0x8100, VLAN_AD = 0x88A8;
    static final int HOP = 0, ROUTING = 43, FRAGMENT = 44, AH = 51, DSTOPTS = 60;
    static final int[] EXT_TYPES = {HOP, ROUTING, FRAGMENT, AH, DSTOPTS};

    /** Transport classes: the protocol values a layout stands for, and how many transport bytes must be present. */
    enum L4 { TCP, UDP, ICMP, OTHER }

    private final boolean ethernet;
    private boolean truncateAll;
    private final List<Layout> out = new ArrayList<>();

    private FrameModel(boolean ethernet) { this.ethernet = ethernet; }

    /** Every layout for a target that sees Ethernet frames ({@code ethernet}) or bare IP packets (cgroup). */
    static List<Layout> layouts(boolean ethernet) {
        FrameModel m = new FrameModel(ethernet);
        m.generate();
        return m.out;
    }

    // ---- building one frame ------------------------------------------------------------------------------

    /** A frame under construction. */
    private final class F {
        final List<Integer> b = new ArrayList<>();
        final List<ArbConstraint> arb = new ArrayList<>();
        int family = -1, frag = -1, estFlags = -1;
        int[] protoIn, protoNotIn;
        final StringBuilder what = new StringBuilder();

        F copy() {
            F f = new F();
            f.b.addAll(b);
            f.arb.addAll(arb);
            f.family = family;
            f.frag = frag;
            f.estFlags = estFlags;
            f.protoIn = protoIn;
            f.protoNotIn = protoNotIn;
            f.what.append(what);
            return f;
        }

        int at() { return b.size(); }
        void arb(int n) { for (int i = 0; i < n; i++) b.add(ARB); }
        void k8(int v) { b.add(v & 0xff); }
        void k16(int v) { k8(v >>> 8); k8(v); }
        void field(int base, int bytes) { for (int i = 0; i < bytes; i++) b.add(FIELD + base + 8 * i); }
        void arbWhere(int width, long mask, boolean negate, long... values) {
            arb.add(new ArbConstraint(at(), width, mask, values, negate));
            arb(width);
        }
        F say(String s) {
            if (what.length() > 0) what.append(", ");
            what.append(s);
            return this;
        }

        /** The frame of {@code length} bytes (cut, or padded with arbitrary bytes). */
        void emit(int length, Expect e) {
            int[] bytes = new int[length];
            for (int i = 0; i < length; i++) bytes[i] = i < b.size() ? b.get(i) : ARB;
            // A constraint on bytes the frame does not hold constrains nothing.
            List<ArbConstraint> kept = new ArrayList<>();
            for (ArbConstraint c : arb) if (c.offset() + c.width() <= length) kept.add(c);
            int est = estFlags >= 0 && estFlags < length ? estFlags : -1;
            String desc = what + ", " + length + "-byte frame";
            out.add(new Layout(desc, bytes, e, family, frag, protoIn, protoNotIn, est, kept));
        }

        /** Every truncation of this frame shorter than {@code full}: all malformed. */
        void truncations(int full) {
            for (int len = 0; len < full; len++) {
                F t = copy();
                t.say("truncated");
                t.emit(len, Expect.MALFORMED);
            }
        }
    }

    /** Ethernet header with {@code tags} VLAN tags; the EtherType after the tags is written by the caller. */
    private F ethernet(int tags) {
        F f = new F();
        f.arb(12);
        for (int i = 0; i < tags; i++) {
            f.arbWhere(2, 0xffff, false, VLAN_Q, VLAN_AD);
            f.arb(2);
        }
        f.say(tags == 0 ? "Ethernet" : "Ethernet with " + tags + " VLAN tag" + (tags > 1 ? "s" : ""));
        return f;
    }

    private void generate() {
        int depths = ethernet ? 3 : 1;
        if (ethernet) {
            for (int d = 0; d <= 2; d++) {
                F f = ethernet(d);
                f.arbWhere(2, 0xffff, true, ETH_IP, ETH_IPV6, VLAN_Q, VLAN_AD);
                f.say("EtherType not IP");
                int l3 = f.at();
                f.emit(l3, Expect.NON_IP);
                f.emit(l3 + 46, Expect.NON_IP);
                f.truncations(l3);
            }
            F three = ethernet(3);
            three.say("a third VLAN tag");
            three.emit(22, Expect.MALFORMED);
            three.emit(26, Expect.MALFORMED);
            three.emit(64, Expect.MALFORMED);
        } else {
            F f = new F();
            f.arbWhere(1, 0xf0, true, 0x40, 0x60);
            f.say("IP version neither 4 nor 6");
            f.emit(1, Expect.NON_IP);
            f.emit(40, Expect.NON_IP);
            new F().say("empty").emit(0, Expect.MALFORMED);
        }
        for (int d = 0; d < depths; d++) {
            // Every structural layout at every depth (a code generator may emit one parser per VLAN depth); every
            // truncation without tags, and at one and two tags for a plain IPv4 and IPv6 TCP frame.
            truncateAll = d == 0;
            ipv4Layouts(d, true);
            ipv6Layouts(d, true);
        }
    }

    private F l3(int depth, int etherType) {
        if (!ethernet) return new F();
        F f = ethernet(depth);
        f.k16(etherType);
        return f;
    }

    // ---- IPv4 -----------------------------------------------------------------------------------------------

    private static int need(L4 l4) {
        return switch (l4) {
            case TCP -> 20;
            case UDP, ICMP -> 8;
            case OTHER -> 0;
        };
    }

    private void ipv4Layouts(int depth, boolean full) {
        for (int ihl = 0; ihl <= 15; ihl++) {
            if (ihl < 5) {
                if (!full) continue;
                F f = l3(depth, ETH_IP);
                int l3 = f.at();
                ipv4Header(f, 0x40 | ihl, 40, 20, false, L4.TCP);
                f.say("IPv4 IHL " + ihl);
                f.emit(l3 + 40, Expect.MALFORMED);
                continue;
            }
            if (!full && ihl != 5 && ihl != 6 && ihl != 15) continue;
            int hlen = ihl * 4;
            for (boolean nonFirst : new boolean[] {false, true}) {
                for (L4 l4 : nonFirst ? new L4[] {L4.OTHER} : L4.values()) {
                    int n4 = nonFirst ? 0 : need(l4);
                    int[][] classes = {
                            // {total length, frame length (relative to l3), expect packet?}
                            {hlen + n4, hlen + n4, 1},
                            {hlen + n4 + 4, hlen + n4 + 6, 1},
                            {hlen + n4 - 1, hlen + n4, n4 > 0 ? 0 : -1},
                            {hlen - 1, hlen + n4, 0},
                            {hlen + n4, hlen + n4 - 1, 0},
                            // Every header present, but the total length runs past the frame.
                            {hlen + n4 + 4, hlen + n4, 0},
                    };
                    for (int[] c : classes) {
                        if (c[2] < 0) continue;
                        F f = l3(depth, ETH_IP);
                        int l3 = f.at();
                        ipv4Header(f, 0x40 | ihl, c[0], hlen, nonFirst, l4);
                        if (!nonFirst) transport(f, l4);
                        f.say("IPv4 IHL " + ihl + (nonFirst ? ", non-first fragment" : ", " + name(l4, 4))
                                + ", total length " + c[0]);
                        f.emit(l3 + c[1], c[2] == 1 ? Expect.PACKET : Expect.MALFORMED);
                        if (c == classes[0] && (truncateAll ? ihl <= 6 : ihl == 5 && l4 == L4.TCP && !nonFirst)) {
                            f.truncations(l3 + c[1]);
                        }
                    }
                }
            }
        }
        if (full && ethernet) {
            // Without Ethernet (cgroup) the version nibble is what says IPv4: another version is a non-IP packet.
            F f = l3(depth, ETH_IP);
            int l3 = f.at();
            f.arbWhere(1, 0xf0, true, 0x40);
            ipv4Rest(f, 40, 20, false, L4.TCP);
            f.say("IPv4 EtherType with an IP version other than 4");
            f.emit(l3 + 40, Expect.MALFORMED);
        }
    }

    private void ipv4Header(F f, int b0, int total, int hlen, boolean nonFirst, L4 l4) {
        f.k8(b0);
        ipv4Rest(f, total, hlen, nonFirst, l4);
    }

    /** Bytes 1.. of an IPv4 header of {@code hlen} bytes (options arbitrary). */
    private void ipv4Rest(F f, int total, int hlen, boolean nonFirst, L4 l4) {
        f.family = 0;
        f.arb(1);
        f.k16(total);
        f.arb(2);
        f.arbWhere(2, 0x1fff, nonFirst, 0);
        f.frag = nonFirst ? 1 : 0;
        f.arb(1);
        f.field(PacketSpace.PROTO, 1);
        protoClass(f, nonFirst ? null : l4, ProtoClause.ICMP, false);
        f.arb(2);
        f.field(PacketSpace.SRC, 4);
        f.field(PacketSpace.DST, 4);
        f.arb(Math.max(0, hlen - 20));
    }

    private static void protoClass(F f, L4 l4, int icmp, boolean v6Final) {
        if (l4 == null) return;
        switch (l4) {
            case TCP -> f.protoIn = new int[] {ProtoClause.TCP};
            case UDP -> f.protoIn = new int[] {ProtoClause.UDP};
            case ICMP -> f.protoIn = new int[] {icmp};
            case OTHER -> f.protoNotIn = v6Final
                    ? new int[] {ProtoClause.TCP, ProtoClause.UDP, icmp, HOP, ROUTING, FRAGMENT, AH, DSTOPTS}
                    : new int[] {ProtoClause.TCP, ProtoClause.UDP, icmp};
        }
    }

    private static String name(L4 l4, int version) {
        return switch (l4) {
            case TCP -> "TCP";
            case UDP -> "UDP";
            case ICMP -> version == 4 ? "ICMP" : "ICMPv6";
            case OTHER -> "another protocol";
        };
    }

    /** The transport header's bytes that the policy sees; the rest are arbitrary. */
    private void transport(F f, L4 l4) {
        int t = f.at();
        switch (l4) {
            case TCP -> {
                f.field(PacketSpace.SPORT, 2);
                f.field(PacketSpace.DPORT, 2);
                f.arb(9);
                f.estFlags = t + 13;
                f.arb(7);
            }
            case UDP -> {
                f.field(PacketSpace.SPORT, 2);
                f.field(PacketSpace.DPORT, 2);
                f.arb(4);
            }
            case ICMP -> {
                f.field(PacketSpace.ITYPE, 1);
                f.field(PacketSpace.ICODE, 1);
                f.arb(6);
            }
            case OTHER -> { }
        }
    }

    // ---- IPv6 -----------------------------------------------------------------------------------------------

    /** One extension header of a chain: its type, its length byte, and for a fragment header whether it is non-first. */
    private record Ext(int type, int len, boolean nonFirst) {
        int bytes() {
            return switch (type) {
                case FRAGMENT -> 8;
                case AH -> (len + 2) * 4;
                default -> (len + 1) * 8;
            };
        }

        String describe() {
            String n = switch (type) {
                case HOP -> "hop-by-hop";
                case ROUTING -> "routing";
                case FRAGMENT -> nonFirst ? "fragment (non-first)" : "fragment (first)";
                case AH -> "AH";
                default -> "destination options";
            };
            return type == FRAGMENT || len == 0 ? n : n + " (length byte " + len + ")";
        }
    }

    private static Ext nfHeader() { return new Ext(FRAGMENT, 0, true); }

    private List<List<Ext>> chains(boolean full) {
        List<List<Ext>> cs = new ArrayList<>();
        Ext[] one = {new Ext(HOP, 0, false), new Ext(ROUTING, 0, false), new Ext(DSTOPTS, 0, false),
                new Ext(AH, 0, false), new Ext(FRAGMENT, 0, false)};
        cs.add(List.of());
        if (!full) {
            cs.add(List.of(new Ext(ROUTING, 1, false)));
            cs.add(List.of(new Ext(FRAGMENT, 0, true)));
            return cs;
        }
        for (Ext e : one) cs.add(List.of(e));
        for (Ext a : one) for (Ext b : one) cs.add(List.of(a, b));
        for (int t : new int[] {HOP, ROUTING, DSTOPTS, AH}) cs.add(List.of(new Ext(t, 1, false)));
        cs.add(List.of(new Ext(HOP, 2, false), new Ext(AH, 3, false)));
        Ext nf = new Ext(FRAGMENT, 0, true);
        cs.add(List.of(nf));
        cs.add(List.of(one[0], nf));
        cs.add(List.of(one[1], one[3], nf));
        List<Ext> eight = List.of(one[0], one[1], one[2], one[3], one[4], one[1], one[2], one[2]);
        // Every walk level ends in a transport header somewhere, and meets every header type.
        for (int n = 3; n < 8; n++) cs.add(eight.subList(0, n));
        for (int n = 3; n <= 8; n++) {
            for (Ext last : new Ext[] {one[1], one[2], one[3], one[4], new Ext(ROUTING, 1, false)}) {
                List<Ext> c = new ArrayList<>();
                for (int i = 0; i < n - 1; i++) c.add(one[1]);
                c.add(last);
                cs.add(c);
            }
            List<Ext> c = new ArrayList<>();
            for (int i = 0; i < n - 1; i++) c.add(one[2]);
            c.add(nfHeader());
            cs.add(c);
        }
        cs.add(eight);
        List<Ext> eightNf = new ArrayList<>(eight.subList(0, 7));
        eightNf.add(nf);
        cs.add(eightNf);
        return cs;
    }

    private void ipv6Layouts(int depth, boolean full) {
        for (List<Ext> chain : chains(full)) {
            boolean hopLater = false;
            for (int i = 1; i < chain.size(); i++) hopLater |= chain.get(i).type() == HOP;
            boolean nonFirst = !chain.isEmpty() && chain.get(chain.size() - 1).nonFirst();
            int ext = 0;
            for (Ext e : chain) ext += e.bytes();
            List<L4> classes = new ArrayList<>();
            if (nonFirst) classes.add(null);
            else classes.addAll(List.of(L4.values()));
            for (L4 l4 : classes) {
                if (hopLater && l4 != L4.TCP) continue;
                int n4 = l4 == null ? 0 : need(l4);
                int[][] lens = hopLater
                        ? new int[][] {{ext + n4, ext + n4, 0}}
                        : new int[][] {
                                {ext + n4, ext + n4, 1},
                                {ext + n4 + 4, ext + n4 + 6, 1},
                                {ext + n4 - 1, ext + n4, n4 > 0 ? 0 : -1},
                                {ext - 1, ext + n4, ext > 0 ? 0 : -1},
                                {ext + n4, ext + n4 - 1, ext + n4 > 0 ? 0 : -1},
                                {ext + n4 + 4, ext + n4, 0},
                        };
                for (int[] c : lens) {
                    if (c[2] < 0) continue;
                    F f = l3(depth, ETH_IPV6);
                    int l3 = f.at();
                    ipv6(f, chain, c[0], l4, false);
                    f.emit(l3 + 40 + c[1], c[2] == 1 ? Expect.PACKET : Expect.MALFORMED);
                    boolean truncate = c == lens[0] && c[2] == 1 && (truncateAll
                            ? chain.isEmpty() ? l4 != L4.OTHER : chain.size() == 1 && l4 == L4.TCP
                            : chain.isEmpty() && l4 == L4.TCP);
                    if (truncate) f.truncations(l3 + 40 + c[1]);
                }
            }
            if (full && chain.size() == 8 && !nonFirst) {
                // Eight extension headers and then a ninth: past the walk's bound.
                F f = l3(depth, ETH_IPV6);
                int l3 = f.at();
                ipv6(f, chain, ext + 8, null, true);
                f.emit(l3 + 40 + ext + 8, Expect.MALFORMED);
            }
        }
        if (full && ethernet) {
            F f = l3(depth, ETH_IPV6);
            int l3 = f.at();
            f.arbWhere(1, 0xf0, true, 0x60);
            f.arb(3);
            f.k16(20);
            f.field(PacketSpace.PROTO, 1);
            f.arb(1);
            f.field(PacketSpace.SRC, 16);
            f.field(PacketSpace.DST, 16);
            f.family = 1;
            f.frag = 0;
            f.protoIn = new int[] {ProtoClause.TCP};
            transport(f, L4.TCP);
            f.say("IPv6 EtherType with an IP version other than 6");
            f.emit(l3 + 60, Expect.MALFORMED);
        }
    }

    /**
     * An IPv6 header with payload length {@code plen}, the extension chain, and the transport header of class
     * {@code l4} (null: a non-first fragment, or with {@code overlong} a ninth extension header after the chain).
     */
    private void ipv6(F f, List<Ext> chain, int plen, L4 l4, boolean overlong) {
        StringBuilder d = new StringBuilder("IPv6");
        f.family = 1;
        f.frag = 0;
        f.arbWhere(1, 0xf0, false, 0x60);
        f.arb(3);
        f.k16(plen);
        int nhAt = f.at();
        f.k8(0); // patched below
        f.arb(1);
        f.field(PacketSpace.SRC, 16);
        f.field(PacketSpace.DST, 16);
        for (Ext e : chain) {
            f.b.set(nhAt, e.type());
            d.append(", ").append(e.describe());
            int start = f.at();
            nhAt = start;
            f.k8(0);
            if (e.type() == FRAGMENT) {
                f.arb(1);
                f.arbWhere(2, 0xfff8, e.nonFirst(), 0);
                f.arb(4);
                if (e.nonFirst()) {
                    f.frag = 1;
                    break;
                }
            } else {
                f.k8(e.len());
                f.arb(e.bytes() - 2);
            }
        }
        f.b.set(nhAt, FIELD + PacketSpace.PROTO);
        if (overlong) {
            f.protoIn = EXT_TYPES.clone();
            d.append(", then a ninth extension header");
        } else if (l4 != null) {
            protoClass(f, l4, ProtoClause.ICMPV6, true);
            transport(f, l4);
            d.append(", ").append(name(l4, 6));
        } else {
            d.append(", any next header");
        }
        f.say(d + ", payload length " + plen);
    }
}
