package io.portcullis.bpf.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.portcullis.bpf.packet.FrameBuilder.Ipv6Ext;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FrameBuilderTest {
    static final Ip A4 = Ip.parse("192.0.2.7").orElseThrow(), B4 = Ip.parse("10.1.3.4").orElseThrow();
    static final Ip A6 = Ip.parse("2001:db8::7").orElseThrow(), B6 = Ip.parse("2001:db8::4").orElseThrow();

    static Packet v4(int proto, boolean frag) {
        return new Packet(Family.IPV4, A4, B4, proto, proto == 6 || proto == 17 ? 40000 : 0, proto == 6 || proto == 17 ? 443 : 0,
                proto == 6 ? Set.of(TcpFlag.SYN, TcpFlag.ACK) : Set.of(), proto == 1 ? 8 : 0, 0, frag);
    }

    static Packet v6(int proto, boolean frag) {
        return new Packet(Family.IPV6, A6, B6, proto, proto == 6 || proto == 17 ? 5353 : 0, proto == 6 || proto == 17 ? 53 : 0,
                proto == 6 ? Set.of(TcpFlag.RST) : Set.of(), proto == 58 ? 128 : 0, 0, frag);
    }

    static int u16(byte[] b, int off) { return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff); }
    static int u8(byte[] b, int off) { return b[off] & 0xff; }

    @Test void ipv4Tcp() {
        byte[] f = FrameBuilder.ethernet(v4(6, false));
        assertEquals(14 + 20 + 20, f.length);
        assertArrayEquals(FrameBuilder.DST_MAC, Arrays.copyOfRange(f, 0, 6));
        assertArrayEquals(FrameBuilder.SRC_MAC, Arrays.copyOfRange(f, 6, 12));
        assertEquals(0x0800, u16(f, 12));
        assertEquals(0x45, u8(f, 14));
        assertEquals(40, u16(f, 16));                   // total length
        assertEquals(0x4000, u16(f, 20));               // DF, offset 0
        assertEquals(64, u8(f, 22));                    // TTL
        assertEquals(6, u8(f, 23));
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 7, 10, 1, 3, 4}, Arrays.copyOfRange(f, 26, 34));
        assertEquals(0, FrameBuilder.checksum(f, 14, 20, 0), "IPv4 header checksum must verify");
        assertEquals(40000, u16(f, 34));
        assertEquals(443, u16(f, 36));
        assertEquals(0x50, u8(f, 46));                  // data offset 5
        assertEquals(0x12, u8(f, 47));                  // SYN|ACK
        assertEquals(0, FrameBuilder.pseudoChecksum(A4.toBytes(), B4.toBytes(), 6, Arrays.copyOfRange(f, 34, 54)),
                "TCP checksum must verify");
    }

    @Test void ipv4UdpAndIcmpAndOther() {
        byte[] u = FrameBuilder.ethernet(v4(17, false));
        assertEquals(14 + 20 + 8, u.length);
        assertEquals(17, u8(u, 23));
        assertEquals(8, u16(u, 38));                    // UDP length
        assertEquals(443, u16(u, 36));
        byte[] i = FrameBuilder.ethernet(v4(1, false));
        assertEquals(14 + 20 + 8, i.length);
        assertEquals(8, u8(i, 34));                     // echo request
        assertEquals(0, FrameBuilder.checksum(i, 34, 8, 0), "ICMP checksum must verify");
        byte[] o = FrameBuilder.ethernet(v4(47, false));
        assertEquals(14 + 20 + 8, o.length);
        assertEquals(47, u8(o, 23));
        assertEquals(28, u16(o, 16));
    }

    @Test void ipv4NonFirstFragment() {
        byte[] f = FrameBuilder.ethernet(v4(6, true));
        assertEquals(14 + 20 + 16, f.length);
        assertEquals(185, u16(f, 20));                  // offset 185, no flags
        assertEquals(36, u16(f, 16));
        assertEquals(0, FrameBuilder.checksum(f, 14, 20, 0));
    }

    @Test void ipv6Tcp() {
        byte[] f = FrameBuilder.ethernet(v6(6, false));
        assertEquals(14 + 40 + 20, f.length);
        assertEquals(0x86DD, u16(f, 12));
        assertEquals(0x60, u8(f, 14));
        assertEquals(20, u16(f, 18));                   // payload length
        assertEquals(6, u8(f, 20));                     // next header
        assertEquals(64, u8(f, 21));                    // hop limit
        assertArrayEquals(A6.toBytes(), Arrays.copyOfRange(f, 22, 38));
        assertArrayEquals(B6.toBytes(), Arrays.copyOfRange(f, 38, 54));
        assertEquals(5353, u16(f, 54));
        assertEquals(53, u16(f, 56));
        assertEquals(0x04, u8(f, 67));                  // RST
        assertEquals(0, FrameBuilder.pseudoChecksum(A6.toBytes(), B6.toBytes(), 6, Arrays.copyOfRange(f, 54, 74)));
    }

    @Test void ipv6Icmpv6() {
        byte[] f = FrameBuilder.ethernet(v6(58, false));
        assertEquals(14 + 40 + 8, f.length);
        assertEquals(58, u8(f, 20));
        assertEquals(128, u8(f, 54));
        assertEquals(0, FrameBuilder.pseudoChecksum(A6.toBytes(), B6.toBytes(), 58, Arrays.copyOfRange(f, 54, 62)));
    }

    @Test void ipv6NonFirstFragment() {
        byte[] f = FrameBuilder.ethernet(v6(17, true));
        assertEquals(14 + 40 + 8 + 16, f.length);
        assertEquals(44, u8(f, 20));                    // fragment header follows
        assertEquals(24, u16(f, 18));
        assertEquals(17, u8(f, 54));                    // its next header is the protocol
        assertEquals(185, u16(f, 56) >>> 3);
        assertEquals(0, u16(f, 56) & 1);                // no more fragments
    }

    @Test void bareIpPacket() {
        byte[] ip = FrameBuilder.ip(v4(6, false));
        assertArrayEquals(Arrays.copyOfRange(FrameBuilder.ethernet(v4(6, false)), 14, 54), ip);
        assertEquals(0x45, u8(ip, 0));
        assertEquals(0x60, u8(FrameBuilder.ip(v6(6, false)), 0));
    }

    @Test void vlanTags() {
        byte[] f = FrameBuilder.variant(v4(6, false)).vlan(0x88A8, 100).vlan(0x8100, 200).ethernet();
        assertEquals(14 + 8 + 40, f.length);
        assertEquals(0x88A8, u16(f, 12));
        assertEquals(100, u16(f, 14));
        assertEquals(0x8100, u16(f, 16));
        assertEquals(200, u16(f, 18));
        assertEquals(0x0800, u16(f, 20));
        assertEquals(0x45, u8(f, 22));
        assertThrows(IllegalArgumentException.class, () -> FrameBuilder.variant(v4(6, false)).vlan(0x0800, 1));
    }

    @Test void ipv4Options() {
        byte[] f = FrameBuilder.variant(v4(6, false)).ipv4Options(2).ethernet();
        assertEquals(0x47, u8(f, 14));                  // IHL 7
        assertEquals(48, u16(f, 16));
        assertEquals(1, u8(f, 34));                     // NOP option
        assertEquals(0, FrameBuilder.checksum(f, 14, 28, 0));
        assertEquals(40000, u16(f, 42));                // TCP after the options
        byte[] padded = FrameBuilder.variant(v4(17, false)).ipv4Options(new byte[] {7, 3, 4}).ip();
        assertEquals(0x46, u8(padded, 0));
        assertEquals(0, u8(padded, 23));                // EOL padding
        assertThrows(IllegalArgumentException.class, () -> FrameBuilder.variant(v4(6, false)).ipv4Options(11));
    }

    @Test void ipv6ExtensionChain() {
        byte[] f = FrameBuilder.variant(v6(6, false))
                .ipv6Extension(Ipv6Ext.HOP_BY_HOP).ipv6Extension(Ipv6Ext.ROUTING, 1).ipv6Extension(Ipv6Ext.DEST_OPTS)
                .ipv6Extension(Ipv6Ext.FRAGMENT).ipv6Extension(Ipv6Ext.AH).ethernet();
        int at = 54;
        assertEquals(0, u8(f, 20));                     // hop-by-hop first
        assertEquals(43, u8(f, at));                    // -> routing
        at += 8;
        assertEquals(60, u8(f, at));                    // -> dest opts
        assertEquals(1, u8(f, at + 1));
        at += 16;                                       // (1 + 1) * 8
        assertEquals(44, u8(f, at));                    // -> fragment
        at += 8;
        assertEquals(51, u8(f, at));                    // -> AH
        assertEquals(1, u16(f, at + 2));                // first fragment: offset 0, M set
        at += 8;
        assertEquals(6, u8(f, at));                     // AH -> TCP
        assertEquals(4, u8(f, at + 1));                 // (4 + 2) * 4 = 24 bytes
        at += 24;
        assertEquals(5353, u16(f, at));
        assertEquals(f.length - 54, u16(f, 18));        // payload length covers the chain
        assertEquals(at + 20, f.length);
        assertThrows(IllegalArgumentException.class, () -> FrameBuilder.variant(v4(6, false)).ipv6Extension(Ipv6Ext.AH));
    }

    @Test void ipv6ExtensionBeforeFragmentOfNonFirstFragment() {
        byte[] f = FrameBuilder.variant(v6(6, true)).ipv6Extension(Ipv6Ext.DEST_OPTS).ethernet();
        assertEquals(60, u8(f, 20));
        assertEquals(44, u8(f, 54));
        assertEquals(6, u8(f, 62));
        assertEquals(185, u16(f, 64) >>> 3);
        assertEquals(14 + 40 + 8 + 8 + 16, f.length);
    }

    @Test void truncation() {
        byte[] full = FrameBuilder.ethernet(v4(6, false));
        byte[] cut = FrameBuilder.variant(v4(6, false)).truncate(40).ethernet();
        assertArrayEquals(Arrays.copyOf(full, 40), cut);
        assertEquals(full.length, FrameBuilder.variant(v4(6, false)).truncate(1000).ethernet().length);
    }

    @Test void deterministic() {
        assertArrayEquals(FrameBuilder.ethernet(v6(17, false)), FrameBuilder.ethernet(v6(17, false)));
    }
}
