package io.portcullis.bpf.lower;

import java.io.ByteArrayOutputStream;

/** Hand-crafted Ethernet frames for the tests (checksums are not checked by the program, so they are left 0). */
final class Frames {
    static final byte[] MAC_DST = {2, 0, 0, 0, 0, 1}, MAC_SRC = {2, 0, 0, 0, 0, 2};

    private Frames() {}

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    static byte[] be16(int v) { return new byte[] {(byte) (v >>> 8), (byte) v}; }

    static byte[] zeros(int n) { return new byte[n]; }

    /** Ethernet header with the given VLAN tag TPIDs (each tag gets VLAN id 5), then {@code etherType} and payload. */
    static byte[] eth(int etherType, byte[] payload, int... tagTpids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAC_DST);
        out.writeBytes(MAC_SRC);
        for (int tpid : tagTpids) {
            out.writeBytes(be16(tpid));
            out.writeBytes(be16(5));
        }
        out.writeBytes(be16(etherType));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    static byte[] ip4(String addr) {
        String[] p = addr.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) b[i] = (byte) Integer.parseInt(p[i]);
        return b;
    }

    static byte[] ip6(String addr) {
        return io.portcullis.net.Ip.parse(addr).orElseThrow().toBytes();
    }

    /** IPv4 header (IHL from the options' length unless {@code ihlOverride} >= 0), then {@code payload}. */
    static byte[] ipv4(String src, String dst, int proto, int fragField, byte[] options, int ihlOverride, byte[] payload) {
        int hlen = 20 + options.length;
        int ihl = ihlOverride >= 0 ? ihlOverride : hlen / 4;
        byte[] h = new byte[20];
        h[0] = (byte) (0x40 | ihl);
        System.arraycopy(be16(hlen + payload.length), 0, h, 2, 2);
        System.arraycopy(be16(fragField), 0, h, 6, 2);
        h[8] = 64;
        h[9] = (byte) proto;
        System.arraycopy(ip4(src), 0, h, 12, 4);
        System.arraycopy(ip4(dst), 0, h, 16, 4);
        return cat(h, options, payload);
    }

    static byte[] ipv4(String src, String dst, int proto, byte[] payload) {
        return ipv4(src, dst, proto, 0, new byte[0], -1, payload);
    }

    /** IPv6 header with first next-header {@code nextHeader}; {@code payload} includes any extension headers. */
    static byte[] ipv6(String src, String dst, int nextHeader, byte[] payload) {
        byte[] h = new byte[40];
        h[0] = 0x60;
        System.arraycopy(be16(payload.length), 0, h, 4, 2);
        h[6] = (byte) nextHeader;
        h[7] = 64;
        System.arraycopy(ip6(src), 0, h, 8, 16);
        System.arraycopy(ip6(dst), 0, h, 24, 16);
        return cat(h, payload);
    }

    /** An options-style extension header (hop-by-hop, routing, destination options) of (len + 1) * 8 bytes. */
    static byte[] optsHeader(int next, int len) {
        byte[] h = new byte[(len + 1) * 8];
        h[0] = (byte) next;
        h[1] = (byte) len;
        return h;
    }

    /** An AH header of (len + 2) * 4 bytes. */
    static byte[] ahHeader(int next, int len) {
        byte[] h = new byte[(len + 2) * 4];
        h[0] = (byte) next;
        h[1] = (byte) len;
        return h;
    }

    /** A fragment header: offset in 8-byte units, M flag. */
    static byte[] fragHeader(int next, int offsetUnits, boolean more) {
        byte[] h = new byte[8];
        h[0] = (byte) next;
        int v = (offsetUnits << 3) | (more ? 1 : 0);
        System.arraycopy(be16(v), 0, h, 2, 2);
        h[4] = 0x12;
        return h;
    }

    static byte[] tcp(int sport, int dport, int flags) {
        byte[] h = new byte[20];
        System.arraycopy(be16(sport), 0, h, 0, 2);
        System.arraycopy(be16(dport), 0, h, 2, 2);
        h[12] = 0x50;
        h[13] = (byte) flags;
        return h;
    }

    static byte[] udp(int sport, int dport) {
        byte[] h = new byte[8];
        System.arraycopy(be16(sport), 0, h, 0, 2);
        System.arraycopy(be16(dport), 0, h, 2, 2);
        System.arraycopy(be16(8), 0, h, 4, 2);
        return h;
    }

    static byte[] icmp(int type, int code) {
        byte[] h = new byte[8];
        h[0] = (byte) type;
        h[1] = (byte) code;
        return h;
    }

    static byte[] arp() {
        byte[] a = new byte[28];
        System.arraycopy(be16(1), 0, a, 0, 2);
        System.arraycopy(be16(0x0800), 0, a, 2, 2);
        a[4] = 6;
        a[5] = 4;
        System.arraycopy(be16(1), 0, a, 6, 2);
        return eth(0x0806, a);
    }
}
