package io.portcullis.bpf.packet;

import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import java.util.EnumSet;
import java.util.Set;

/**
 * How LANGUAGE.md reads raw bytes: Ethernet, up to two VLAN tags (a third is malformed), IPv4 honouring IHL and
 * options, IPv6 walking at most 8 hop-by-hop (first only), routing, fragment, destination-options and AH headers,
 * then the TCP, UDP or ICMP header, which must fit in the IP payload. Written from the language reference, apart
 * from the compiled parser, so that the two can be compared on crafted frames: it is the oracle of the evasion
 * corpus. (Owner: bpf tooling.)
 */
public final class FrameParser {
    private FrameParser() {}

    public static final int MAX_VLAN_TAGS = 2, MAX_EXTENSION_HEADERS = 8;

    public enum Kind { IP, NON_IP, MALFORMED }

    /** The reading of one frame: a packet, a non-IP frame, or a malformed one and why. */
    public record Reading(Kind kind, Packet packet, String why) {
        static Reading malformed(String why) { return new Reading(Kind.MALFORMED, null, why); }

        /** The verdict the language gives this frame under {@code policy}: malformed frames are dropped. */
        public Action verdict(ResolvedPolicy policy) {
            return switch (kind) {
                case MALFORMED -> Action.DENY;
                case NON_IP -> policy.nonIp();
                case IP -> Evaluator.evaluate(policy, packet).action();
            };
        }

        @Override public String toString() {
            return kind == Kind.IP ? packet.toString() : kind == Kind.NON_IP ? "non-IP" : "malformed: " + why;
        }
    }

    /** An Ethernet frame, as xdp and tc programs see it. */
    public static Reading ethernet(byte[] f) {
        if (f.length < 14) return Reading.malformed("the Ethernet header is cut at byte " + f.length);
        int type = be16(f, 12), at = 14;
        for (int tags = 0; ; tags++) {
            if (type == FrameBuilder.ETH_P_IP) return ipv4(f, at);
            if (type == FrameBuilder.ETH_P_IPV6) return ipv6(f, at);
            if (type != FrameBuilder.ETH_P_8021Q && type != FrameBuilder.ETH_P_8021AD) return new Reading(Kind.NON_IP, null, null);
            if (tags == MAX_VLAN_TAGS) return Reading.malformed("a third VLAN tag");
            if (at + 4 > f.length) return Reading.malformed("a VLAN tag cut at byte " + f.length);
            type = be16(f, at + 2);
            at += 4;
        }
    }

    /** A packet from its IP header on, as cgroup skb programs see it: the version nibble decides the family. */
    public static Reading ip(byte[] b) {
        if (b.length < 1) return Reading.malformed("no IP header");
        int version = (b[0] & 0xff) >>> 4;
        if (version == 4) return ipv4(b, 0);
        if (version == 6) return ipv6(b, 0);
        return new Reading(Kind.NON_IP, null, null);
    }

    private static Reading ipv4(byte[] b, int o) {
        if (o + 20 > b.length) return Reading.malformed("the IPv4 header is cut");
        if ((b[o] & 0xff) >>> 4 != 4) return Reading.malformed("IPv4 EtherType with IP version " + ((b[o] & 0xff) >>> 4));
        int ihl = b[o] & 0xf;
        if (ihl < 5) return Reading.malformed("IHL " + ihl + " < 5");
        int hlen = ihl * 4;
        if (o + hlen > b.length) return Reading.malformed("IHL " + ihl + " runs past the frame");
        int total = be16(b, o + 2);
        if (total < hlen) return Reading.malformed("total length " + total + " shorter than the header");
        if (o + total > b.length) return Reading.malformed("total length " + total + " runs past the frame");
        int proto = b[o + 9] & 0xff;
        Ip src = Ip.v4(be32(b, o + 12)), dst = Ip.v4(be32(b, o + 16));
        if ((be16(b, o + 6) & 0x1fff) != 0) return fragment(Family.IPV4, src, dst, proto);
        return transport(b, Family.IPV4, src, dst, proto, o + hlen, total - hlen);
    }

    private static Reading ipv6(byte[] b, int o) {
        if (o + 40 > b.length) return Reading.malformed("the IPv6 header is cut");
        if ((b[o] & 0xff) >>> 4 != 6) return Reading.malformed("IPv6 EtherType with IP version " + ((b[o] & 0xff) >>> 4));
        int plen = be16(b, o + 4), p = o + 40;
        if (p + plen > b.length) return Reading.malformed("payload length " + plen + " runs past the frame");
        Ip src = Ip.v6(be64(b, o + 8), be64(b, o + 16)), dst = Ip.v6(be64(b, o + 24), be64(b, o + 32));
        int nh = b[o + 6] & 0xff, off = 0;
        for (int count = 0; isExtension(nh); count++) {
            if (count == MAX_EXTENSION_HEADERS) return Reading.malformed("more than " + MAX_EXTENSION_HEADERS + " extension headers");
            if (nh == 0 && count > 0) return Reading.malformed("a hop-by-hop header that is not first");
            if (nh == 44) {
                if (off + 8 > plen) return Reading.malformed("a fragment header past the payload");
                int next = b[p + off] & 0xff;
                boolean nonFirst = be16(b, p + off + 2) >>> 3 != 0;
                off += 8;
                if (nonFirst) return fragment(Family.IPV6, src, dst, next);
                nh = next;
                continue;
            }
            if (off + 2 > plen) return Reading.malformed("extension header " + nh + " past the payload");
            int len = nh == 51 ? ((b[p + off + 1] & 0xff) + 2) * 4 : ((b[p + off + 1] & 0xff) + 1) * 8;
            if (off + len > plen) return Reading.malformed("extension header " + nh + " runs past the payload");
            nh = b[p + off] & 0xff;
            off += len;
        }
        return transport(b, Family.IPV6, src, dst, nh, p + off, plen - off);
    }

    /** Hop-by-hop, routing, fragment, AH, destination options. ESP (50) ends the walk: it is the protocol. */
    public static boolean isExtension(int nh) { return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60; }

    private static Reading fragment(Family f, Ip src, Ip dst, int proto) {
        return new Reading(Kind.IP, new Packet(f, src, dst, proto, 0, 0, Set.of(), 0, 0, true), null);
    }

    /** The transport header at {@code t}, of which {@code room} bytes lie inside the IP payload. */
    private static Reading transport(byte[] b, Family f, Ip src, Ip dst, int proto, int t, int room) {
        int icmp = f == Family.IPV4 ? ProtoClause.ICMP : ProtoClause.ICMPV6;
        if (proto == ProtoClause.TCP) {
            if (room < 20) return Reading.malformed("a TCP header of " + room + " bytes");
            Set<TcpFlag> flags = EnumSet.noneOf(TcpFlag.class);
            for (TcpFlag fl : TcpFlag.values()) if ((b[t + 13] & fl.bit()) != 0) flags.add(fl);
            return new Reading(Kind.IP, new Packet(f, src, dst, proto, be16(b, t), be16(b, t + 2), flags, 0, 0, false), null);
        }
        if (proto == ProtoClause.UDP) {
            if (room < 8) return Reading.malformed("a UDP header of " + room + " bytes");
            return new Reading(Kind.IP, new Packet(f, src, dst, proto, be16(b, t), be16(b, t + 2), Set.of(), 0, 0, false), null);
        }
        if (proto == icmp) {
            if (room < 8) return Reading.malformed("an ICMP header of " + room + " bytes");
            return new Reading(Kind.IP, new Packet(f, src, dst, proto, 0, 0, Set.of(), b[t] & 0xff, b[t + 1] & 0xff, false), null);
        }
        return new Reading(Kind.IP, new Packet(f, src, dst, proto, 0, 0, Set.of(), 0, 0, false), null);
    }

    private static int be16(byte[] b, int o) { return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff); }

    private static long be32(byte[] b, int o) { return ((long) be16(b, o) << 16) | be16(b, o + 2); }

    private static long be64(byte[] b, int o) { return (be32(b, o) << 32) | be32(b, o + 4); }
}
