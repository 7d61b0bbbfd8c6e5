package io.portcullis.bpf.packet;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.TcpFlag;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes a {@link Packet} as the bytes a program sees: an Ethernet frame (xdp, tc) or a bare IP packet (cgroup).
 * (Owner: bpf tooling.)
 *
 * <p>Deterministic: fixed MAC addresses, IPv4 identification 0, TCP sequence 1, window 65535. Checksums are computed
 * (IPv4 header, TCP, UDP, ICMP, ICMPv6) so captured frames also look valid to other tools. {@link #variant(Packet)}
 * builds the unusual encodings a parser must survive: VLAN tags, IPv4 options, IPv6 extension headers, truncation.
 */
public final class FrameBuilder {
    private FrameBuilder() {}

    public static final byte[] DST_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    public static final byte[] SRC_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    public static final int ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86DD, ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88A8;
    /** Fragment offset (in 8-byte units) used for non-first fragments. */
    public static final int FRAGMENT_OFFSET = 185;
    /** Payload bytes after the IP header(s) of a non-first fragment. */
    public static final int FRAGMENT_PAYLOAD = 16;
    /** Payload bytes for protocols other than TCP, UDP, ICMP. */
    public static final int OTHER_PAYLOAD = 8;

    /** IPv6 extension headers that {@link Variant#ipv6Extension} can insert before the transport header. */
    public enum Ipv6Ext {
        HOP_BY_HOP(0), ROUTING(43), FRAGMENT(44), AH(51), DEST_OPTS(60);

        private final int number;
        Ipv6Ext(int number) { this.number = number; }
        /** The Next Header value that announces this header. */
        public int number() { return number; }
    }

    public static byte[] ethernet(Packet p) { return variant(p).ethernet(); }

    /** The bare IP packet (no Ethernet header), as cgroup skb programs see it. */
    public static byte[] ip(Packet p) { return variant(p).ip(); }

    public static Variant variant(Packet p) { return new Variant(p); }

    /** A builder for evasion-style encodings of one packet. */
    public static final class Variant {
        private final Packet p;
        private final List<int[]> vlans = new ArrayList<>();
        private byte[] ipv4Options = new byte[0];
        private final List<byte[]> extensions = new ArrayList<>();
        private final List<Integer> extTypes = new ArrayList<>();
        private int truncate = -1;

        private Variant(Packet p) { this.p = p; }

        /** Adds a VLAN tag ({@code tpid} 0x8100 or 0x88A8); tags are written outermost first, in call order. */
        public Variant vlan(int tpid, int vid) {
            if (tpid != ETH_P_8021Q && tpid != ETH_P_8021AD) throw new IllegalArgumentException("VLAN TPID must be 0x8100 or 0x88A8");
            if (vid < 0 || vid > 0xfff) throw new IllegalArgumentException("VLAN id must be 0..4095");
            vlans.add(new int[] {tpid, vid});
            return this;
        }

        /** IPv4 options: {@code words} 4-byte words of NOP options (IHL becomes 5 + words, at most 15). */
        public Variant ipv4Options(int words) {
            byte[] o = new byte[words * 4];
            Arrays.fill(o, (byte) 1);
            return ipv4Options(o);
        }

        /** IPv4 options as given, padded with End-of-Option-List (0) bytes to a multiple of 4. */
        public Variant ipv4Options(byte[] options) {
            if (p.family() != Family.IPV4) throw new IllegalArgumentException("IPv4 options on an IPv6 packet");
            int padded = (options.length + 3) / 4 * 4;
            if (padded > 40) throw new IllegalArgumentException("IPv4 options are at most 40 bytes");
            ipv4Options = Arrays.copyOf(options, padded);
            return this;
        }

        /**
         * Appends an IPv6 extension header of its smallest size: hop-by-hop, routing and destination options 8 bytes,
         * fragment 8 bytes (a first fragment: offset 0, more-fragments set), AH 24 bytes (12-byte ICV).
         */
        public Variant ipv6Extension(Ipv6Ext kind) {
            return ipv6Extension(kind, kind == Ipv6Ext.AH ? 4 : 0);
        }

        /**
         * Appends an IPv6 extension header with the given Hdr Ext Len field: {@code (len + 1) * 8} bytes for
         * hop-by-hop, routing, destination options; {@code (len + 2) * 4} for AH; ignored for the fragment header.
         */
        public Variant ipv6Extension(Ipv6Ext kind, int len) {
            if (p.family() != Family.IPV6) throw new IllegalArgumentException("IPv6 extension header on an IPv4 packet");
            if (len < 0 || len > 255) throw new IllegalArgumentException("extension header length field must be 0..255");
            byte[] h;
            switch (kind) {
                case HOP_BY_HOP, DEST_OPTS -> {
                    h = new byte[(len + 1) * 8];
                    // One PadN option fills the header after next-header and length.
                    h[2] = 1;
                    h[3] = (byte) (h.length - 4);
                }
                case ROUTING -> {
                    h = new byte[(len + 1) * 8];
                    h[2] = 4; // segment routing type; segments left 0, so a receiver skips it
                }
                case FRAGMENT -> {
                    h = new byte[8];
                    h[3] = 1; // offset 0, M flag
                    h[7] = 0x2a;
                }
                case AH -> {
                    if (len < 1) throw new IllegalArgumentException("AH length field must be at least 1");
                    h = new byte[(len + 2) * 4];
                    h[7] = 1; // SPI 1
                    h[11] = 1; // sequence 1
                }
                default -> throw new IllegalArgumentException("unknown extension header " + kind);
            }
            if (kind != Ipv6Ext.FRAGMENT) h[1] = (byte) len;
            extensions.add(h);
            extTypes.add(kind.number());
            return this;
        }

        /** Cuts the result to its first {@code n} bytes (no effect if it is already shorter). */
        public Variant truncate(int n) {
            if (n < 0) throw new IllegalArgumentException("truncation length must be >= 0");
            truncate = n;
            return this;
        }

        public byte[] ethernet() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(DST_MAC);
            out.writeBytes(SRC_MAC);
            for (int[] v : vlans) {
                put16(out, v[0]);
                put16(out, v[1]);
            }
            put16(out, p.family() == Family.IPV4 ? ETH_P_IP : ETH_P_IPV6);
            out.writeBytes(untruncatedIp());
            return cut(out.toByteArray());
        }

        public byte[] ip() { return cut(untruncatedIp()); }

        private byte[] cut(byte[] b) { return truncate >= 0 && truncate < b.length ? Arrays.copyOf(b, truncate) : b; }

        private byte[] untruncatedIp() {
            byte[] payload = p.nonFirstFragment() ? new byte[FRAGMENT_PAYLOAD] : transport();
            return p.family() == Family.IPV4 ? ipv4(payload) : ipv6(payload);
        }

        private byte[] transport() {
            byte[] src = p.src().toBytes(), dst = p.dst().toBytes();
            int proto = p.proto();
            byte[] t;
            if (proto == ProtoClause.TCP) {
                t = new byte[20];
                set16(t, 0, p.sport());
                set16(t, 2, p.dport());
                t[7] = 1; // sequence number 1
                t[12] = 5 << 4;
                int flags = 0;
                for (TcpFlag f : p.flags()) flags |= f.bit();
                t[13] = (byte) flags;
                set16(t, 14, 0xffff);
                set16(t, 16, pseudoChecksum(src, dst, proto, t));
            } else if (proto == ProtoClause.UDP) {
                t = new byte[8];
                set16(t, 0, p.sport());
                set16(t, 2, p.dport());
                set16(t, 4, 8);
                int c = pseudoChecksum(src, dst, proto, t);
                set16(t, 6, c == 0 ? 0xffff : c); // 0 means "no checksum" in UDP
            } else if (proto == ProtoClause.ICMP && p.family() == Family.IPV4
                    || proto == ProtoClause.ICMPV6 && p.family() == Family.IPV6) {
                t = new byte[8];
                t[0] = (byte) p.icmpType();
                t[1] = (byte) p.icmpCode();
                int c = p.family() == Family.IPV4 ? checksum(t, 0, t.length, 0) : pseudoChecksum(src, dst, proto, t);
                set16(t, 2, c);
            } else {
                t = new byte[OTHER_PAYLOAD];
            }
            return t;
        }

        private byte[] ipv4(byte[] payload) {
            int ihl = 5 + ipv4Options.length / 4;
            byte[] h = new byte[ihl * 4 + payload.length];
            h[0] = (byte) (0x40 | ihl);
            set16(h, 2, h.length);
            // Non-first fragment: offset 185, no more-fragments flag; otherwise don't-fragment.
            set16(h, 6, p.nonFirstFragment() ? FRAGMENT_OFFSET : 0x4000);
            h[8] = 64;
            h[9] = (byte) p.proto();
            System.arraycopy(p.src().toBytes(), 0, h, 12, 4);
            System.arraycopy(p.dst().toBytes(), 0, h, 16, 4);
            System.arraycopy(ipv4Options, 0, h, 20, ipv4Options.length);
            set16(h, 10, checksum(h, 0, ihl * 4, 0));
            System.arraycopy(payload, 0, h, ihl * 4, payload.length);
            return h;
        }

        private byte[] ipv6(byte[] payload) {
            List<byte[]> chain = new ArrayList<>(extensions);
            List<Integer> types = new ArrayList<>(extTypes);
            if (p.nonFirstFragment()) {
                byte[] frag = new byte[8];
                set16(frag, 2, FRAGMENT_OFFSET << 3); // offset in the high 13 bits, M flag clear
                frag[7] = 0x2b;
                chain.add(frag);
                types.add(Ipv6Ext.FRAGMENT.number());
            }
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            for (int i = 0; i < chain.size(); i++) {
                byte[] h = chain.get(i).clone();
                h[0] = (byte) (i + 1 < chain.size() ? types.get(i + 1) : p.proto());
                rest.writeBytes(h);
            }
            rest.writeBytes(payload);
            byte[] body = rest.toByteArray();
            byte[] h = new byte[40 + body.length];
            h[0] = 0x60;
            set16(h, 4, body.length);
            h[6] = (byte) (chain.isEmpty() ? p.proto() : types.get(0));
            h[7] = 64;
            System.arraycopy(p.src().toBytes(), 0, h, 8, 16);
            System.arraycopy(p.dst().toBytes(), 0, h, 24, 16);
            System.arraycopy(body, 0, h, 40, body.length);
            return h;
        }
    }

    /** The Internet checksum (RFC 1071) of {@code b[off, off+len)}, starting from a partial sum. */
    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2) sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) sum += (b[off + len - 1] & 0xff) << 8;
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    /** Transport checksum over the IPv4 or IPv6 pseudo-header and the segment (whose checksum field is 0). */
    static int pseudoChecksum(byte[] src, byte[] dst, int proto, byte[] segment) {
        long sum = 0;
        for (byte[] a : new byte[][] {src, dst}) {
            for (int i = 0; i < a.length; i += 2) sum += ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
        }
        sum += proto + segment.length;
        return checksum(segment, 0, segment.length, sum);
    }

    private static void put16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v & 0xff);
    }

    private static void set16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
