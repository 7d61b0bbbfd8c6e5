package io.portcullis.bpf.tv;

import io.portcullis.ir.ProtoClause;
import io.portcullis.space.PacketSpace;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames translation validation quantifies over, written from LANGUAGE.md independently of the code generator:
 * a list of frame <em>layouts</em>. A layout fixes the structure of a frame (VLAN depth, IP version, IPv4 header
 * length, the IPv6 extension-header chain, the transport protocol class, fragment kind) but not its lengths: the frame
 * length ({@code data_end}) and the IP total length (IPv6: payload length) are free bit-vectors, so one layout stands
 * for every length and every truncation of its shape. A layout says what the reference semantics makes of each of its
 * frames as a function of those two lengths: a packet (then the verdict is the policy's) when the IP length holds the
 * headers and fits the frame, else a malformed frame (dropped); a non-IP frame (the {@code non-ip} verdict) when the
 * frame holds its Ethernet header, else malformed; or malformed at every length.
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

    /**
     * A byte spec: 0..255 a constant, FIELD + v a byte of packet-space variables starting at v, IPLEN + 0 / + 1 the
     * high / low byte of the IP length variables, TCP_FLAGS the TCP flags byte (variables of its own, next to the
     * packet fields, tied to the packet's {@code established} state), ARB arbitrary. Offsets past a layout's bytes are
     * arbitrary.
     */
    static final int ARB = -1, FIELD = 1 << 20, TCP_FLAGS = 1 << 23, IPLEN = 1 << 24;

    /** {@code (bytes[offset..offset+width) big-endian & mask) in values}, or not in values when {@code negate}. */
    record ArbConstraint(int offset, int width, long mask, long[] values, boolean negate) {}

    /**
     * {@code expect}: PACKET means a packet when {@code IPLEN >= minIpLen} and {@code l3 + fixed + IPLEN <= frame
     * length}, malformed otherwise; NON_IP means non-IP when the frame holds {@code l3} bytes, malformed otherwise;
     * MALFORMED means malformed at every length.
     */
    static final class Layout {
        final String what;
        final int[] bytes;
        final Expect expect;
        final int l3, fixed, minIpLen;
        final int family, frag;   // -1: unconstrained
        final int[] protoIn, protoNotIn;
        final int estFlags;       // frame offset of the TCP flags byte, or -1
        final List<ArbConstraint> arb;

        Layout(String what, int[] bytes, Expect expect, int l3, int fixed, int minIpLen, int family, int frag,
               int[] protoIn, int[] protoNotIn, int estFlags, List<ArbConstraint> arb) {
            this.what = what;
            this.bytes = bytes;
            this.expect = expect;
            this.l3 = l3;
            this.fixed = fixed;
            this.minIpLen = minIpLen;
            this.family = family;
            this.frag = frag;
            this.protoIn = protoIn;
            this.protoNotIn = protoNotIn;
            this.estFlags = estFlags;
            this.arb = List.copyOf(arb);
        }

        /** How many bytes the layout fixes; the frame may be shorter (truncated) or longer (arbitrary bytes). */
        int length() { return bytes.length; }
    }

    static final int ETH_IP = 0x0800, ETH_IPV6 = 0x86DD, VLAN_Q = 0x8100, VLAN_AD = 0x88A8;
    static final int HOP = 0, ROUTING = 43, FRAGMENT = 44, AH = 51, DSTOPTS = 60;
    static final int[] EXT_TYPES = {HOP, ROUTING, FRAGMENT, AH, DSTOPTS};

    /** Transport classes: the protocol values a layout stands for, and how many transport bytes must be present. */
    enum L4 { TCP, UDP, ICMP, OTHER }

    private final boolean ethernet;
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

        void ipLength() { b.add(IPLEN); b.add(IPLEN + 1); }

        /**
         * The layout of these bytes at every frame length. A constraint may lie on bytes a short frame does not hold:
         * it still constrains the layout's variables, but every frame of that length is still covered (the missing
         * bytes can be chosen to meet it) and its expectation never depends on missing bytes.
         */
        void emit(Expect e, int l3, int fixed, int minIpLen) {
            int[] bytes = new int[b.size()];
            for (int i = 0; i < bytes.length; i++) bytes[i] = b.get(i);
            out.add(new Layout(what.toString(), bytes, e, l3, fixed, minIpLen, family, frag, protoIn, protoNotIn,
                    estFlags, arb));
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
                f.emit(Expect.NON_IP, f.at(), 0, 0);
            }
            F three = ethernet(3);
            three.say("a third VLAN tag");
            three.emit(Expect.MALFORMED, 0, 0, 0);
        } else {
            F f = new F();
            f.arbWhere(1, 0xf0, true, 0x40, 0x60);
            f.say("IP version neither 4 nor 6");
            f.emit(Expect.NON_IP, 1, 0, 0);
        }
        for (int d = 0; d < depths; d++) {
            // Every structural layout at every depth (a code generator may emit one parser per VLAN depth).
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

    /**
     * IHL 0-15 is every value of the field; each with every transport class and as a non-first fragment. Total and
     * frame length are free: one layout covers every total length and every frame length.
     */
    private void ipv4Layouts(int depth, boolean full) {
        for (int ihl = 0; ihl <= 15; ihl++) {
            if (ihl < 5) {
                if (!full) continue;
                F f = l3(depth, ETH_IP);
                ipv4Header(f, 0x40 | ihl, 20, false, L4.TCP);
                f.say("IPv4 IHL " + ihl);
                f.emit(Expect.MALFORMED, 0, 0, 0);
                continue;
            }
            if (!full && ihl != 5 && ihl != 6 && ihl != 15) continue;
            int hlen = ihl * 4;
            for (boolean nonFirst : new boolean[] {false, true}) {
                for (L4 l4 : nonFirst ? new L4[] {L4.OTHER} : L4.values()) {
                    int n4 = nonFirst ? 0 : need(l4);
                    F f = l3(depth, ETH_IP);
                    int l3 = f.at();
                    ipv4Header(f, 0x40 | ihl, hlen, nonFirst, l4);
                    if (!nonFirst) transport(f, l4);
                    f.say("IPv4 IHL " + ihl + (nonFirst ? ", non-first fragment" : ", " + name(l4, 4)));
                    f.emit(Expect.PACKET, l3, 0, hlen + n4);
                }
            }
        }
        if (full && ethernet) {
            // Without Ethernet (cgroup) the version nibble is what says IPv4: another version is a non-IP packet.
            F f = l3(depth, ETH_IP);
            f.arbWhere(1, 0xf0, true, 0x40);
            ipv4Rest(f, 20, false, L4.TCP);
            f.say("IPv4 EtherType with an IP version other than 4");
            f.emit(Expect.MALFORMED, 0, 0, 0);
        }
    }

    private void ipv4Header(F f, int b0, int hlen, boolean nonFirst, L4 l4) {
        f.k8(b0);
        ipv4Rest(f, hlen, nonFirst, l4);
    }

    /** Bytes 1.. of an IPv4 header of {@code hlen} bytes (options arbitrary). */
    private void ipv4Rest(F f, int hlen, boolean nonFirst, L4 l4) {
        f.family = 0;
        f.arb(1);
        f.ipLength();
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
                f.b.add(TCP_FLAGS);
                f.arb(6);
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
                F f = l3(depth, ETH_IPV6);
                int l3 = f.at();
                ipv6(f, chain, l4, false);
                // A hop-by-hop header after the first is malformed at every length.
                if (hopLater) f.emit(Expect.MALFORMED, 0, 0, 0);
                else f.emit(Expect.PACKET, l3, 40, ext + n4);
            }
            if (full && chain.size() == 8 && !nonFirst) {
                // Eight extension headers and then a ninth: past the walk's bound.
                F f = l3(depth, ETH_IPV6);
                ipv6(f, chain, null, true);
                f.emit(Expect.MALFORMED, 0, 0, 0);
            }
        }
        if (full && ethernet) {
            F f = l3(depth, ETH_IPV6);
            f.arbWhere(1, 0xf0, true, 0x60);
            f.arb(3);
            f.ipLength();
            f.field(PacketSpace.PROTO, 1);
            f.arb(1);
            f.field(PacketSpace.SRC, 16);
            f.field(PacketSpace.DST, 16);
            f.family = 1;
            f.frag = 0;
            f.protoIn = new int[] {ProtoClause.TCP};
            transport(f, L4.TCP);
            f.say("IPv6 EtherType with an IP version other than 6");
            f.emit(Expect.MALFORMED, 0, 0, 0);
        }
    }

    /**
     * An IPv6 header with a free payload length, the extension chain, and the transport header of class
     * {@code l4} (null: a non-first fragment, or with {@code overlong} a ninth extension header after the chain).
     */
    private void ipv6(F f, List<Ext> chain, L4 l4, boolean overlong) {
        StringBuilder d = new StringBuilder("IPv6");
        f.family = 1;
        f.frag = 0;
        f.arbWhere(1, 0xf0, false, 0x60);
        f.arb(3);
        f.ipLength();
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
        f.say(d.toString());
    }
}
