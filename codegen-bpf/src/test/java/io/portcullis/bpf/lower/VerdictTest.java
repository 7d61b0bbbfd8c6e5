package io.portcullis.bpf.lower;

import static io.portcullis.bpf.lower.Frames.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Crafted frames run through the compiled {@link MixedPolicy} in the kernel ({@code bpftool prog run}). */
class VerdictTest {
    static final int PASS = Target.XDP.code(Action.ALLOW), DROP = Target.XDP.code(Action.DENY);
    static final int TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58, GRE = 47, ESP = 50;
    static final int SYN = 0x02, ACK = 0x10, RST = 0x04;
    static final int HOP = 0, ROUTING = 43, FRAG = 44, AH = 51, DSTOPTS = 60, NONE = 59;

    private static Bpftool.Load mixed, nonIpAllow;

    /** Per test, so each one is reported as skipped with the reason (a class-level skip shows as "0 tests"). */
    @BeforeEach void load() throws Exception {
        String why = Bpftool.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "kernel tests skipped: " + why);
        if (mixed != null) return;
        mixed = Bpftool.load(BpfCompiler.compile(MixedPolicy.build()), "mixed");
        assertTrue(mixed.ok(), mixed.log());
        ResolvedPolicy p = Policies.policy("nonip-allow", Action.DENY, Action.ALLOW);
        nonIpAllow = Bpftool.load(BpfCompiler.compile(p), "nonip");
        assertTrue(nonIpAllow.ok(), nonIpAllow.log());
    }

    @AfterAll static void unload() {
        if (mixed != null) mixed.unpin();
        if (nonIpAllow != null) nonIpAllow.unpin();
    }

    static int run(byte[] frame) throws Exception { return Bpftool.run(mixed.pin(), frame); }

    static byte[] v4(String src, String dst, int proto, byte[] l4) { return eth(0x0800, ipv4(src, dst, proto, l4)); }
    static byte[] v6(String src, String dst, int next, byte[] payload) { return eth(0x86DD, ipv6(src, dst, next, payload)); }

    /** A frame rule 1 allows: TCP SYN to 10.1.2.3:443. */
    static byte[] allowedTcp4() { return v4("192.0.2.1", "10.1.2.3", TCP, tcp(40000, 443, SYN)); }

    @Test void tcpV4PortsAndPrefixes() throws Exception {
        assertEquals(PASS, run(allowedTcp4()));
        assertEquals(PASS, run(v4("192.0.2.1", "10.1.255.3", TCP, tcp(40000, 8050, SYN))), "in the 8000-8099 range");
        assertEquals(DROP, run(v4("192.0.2.1", "10.1.2.3", TCP, tcp(40000, 8100, SYN))), "just past the range");
        assertEquals(DROP, run(v4("192.0.2.1", "10.1.2.3", TCP, tcp(40000, 22, SYN))));
        assertEquals(DROP, run(v4("192.0.2.1", "10.2.2.3", TCP, tcp(40000, 443, SYN))), "outside 10.1/16");
        assertEquals(DROP, run(v4("192.0.2.1", "10.1.2.3", UDP, udp(40000, 443))), "udp is not tcp");
    }

    @Test void exceptSetsAndRuleOrder() throws Exception {
        assertEquals(DROP, run(v4("203.0.113.9", "10.1.2.3", TCP, tcp(40000, 443, SYN))), "rule 0 denies 203.0.113/24");
        assertEquals(PASS, run(v4("203.0.113.7", "10.1.2.3", TCP, tcp(40000, 443, SYN))), "except 203.0.113.7");
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:1:5::1", TCP, tcp(40000, 443, SYN))));
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8:1:ff::1", TCP, tcp(40000, 443, SYN))), "except the /64");
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8:2::1", TCP, tcp(40000, 443, SYN))));
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8:1:5::1", TCP, tcp(40000, 80, SYN))));
    }

    @Test void tcpState() throws Exception {
        assertEquals(PASS, run(v4("192.0.2.1", "10.5.5.5", TCP, tcp(22, 40000, ACK))), "established");
        assertEquals(PASS, run(v4("192.0.2.1", "10.5.5.5", TCP, tcp(22, 40000, RST))), "RST counts as established");
        assertEquals(DROP, run(v4("192.0.2.1", "10.5.5.5", TCP, tcp(22, 40000, SYN))));
        // 10.9/16 NEW is denied before rule 9 would allow 10.200/16; established passes through rule 2.
        assertEquals(DROP, run(v4("10.9.1.1", "10.200.0.1", TCP, tcp(40000, 22, SYN))));
        assertEquals(PASS, run(v4("10.9.1.1", "10.200.0.1", TCP, tcp(40000, 22, SYN | ACK))));
        assertEquals(PASS, run(v4("10.9.1.1", "10.200.0.1", UDP, udp(40000, 22))), "state only constrains tcp");
    }

    @Test void udpAndSourcePorts() throws Exception {
        assertEquals(PASS, run(v4("192.0.2.1", "192.0.2.53", UDP, udp(5353, 53))));
        assertEquals(PASS, run(v4("192.0.2.1", "192.0.2.53", UDP, udp(1024, 53))));
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.53", UDP, udp(1023, 53))), "source port below 1024");
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.53", UDP, udp(5353, 54))));
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.53", TCP, tcp(5353, 53, SYN))));
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:9::5", UDP, udp(9, 4500))));
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8:9::5", UDP, udp(9, 4501))));
    }

    @Test void icmpTypeAndCode() throws Exception {
        assertEquals(PASS, run(v4("192.0.2.1", "192.0.2.2", ICMP, icmp(8, 0))));
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.2", ICMP, icmp(8, 1))), "code must be 0");
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.2", ICMP, icmp(0, 0))));
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8::a", ICMPV6, icmp(128, 7))), "any code");
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8::a", ICMPV6, icmp(129, 0))));
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8::a", ICMP, icmp(8, 0))), "icmp clause is IPv4 only");
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.2", ICMPV6, icmp(128, 0))), "icmpv6 clause is IPv6 only");
        assertEquals(DROP, run(v4("192.0.2.1", "192.0.2.2", ICMP, Arrays.copyOf(icmp(8, 0), 4))), "short ICMP header");
    }

    @Test void otherProtocols() throws Exception {
        assertEquals(PASS, run(v4("198.51.100.1", "198.51.100.2", GRE, zeros(4))));
        assertEquals(DROP, run(v4("198.51.100.2", "198.51.100.1", GRE, zeros(4))));
        assertEquals(PASS, run(v6("2001:db8::1", "2001:db8::2", GRE, zeros(4))));
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:200::1", ESP, zeros(16))), "ESP ends the walk");
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:200::1", NONE, zeros(0))), "no next header");
    }

    @Test void vlanTags() throws Exception {
        byte[] ip = ipv4("192.0.2.1", "10.1.2.3", TCP, tcp(40000, 443, SYN));
        assertEquals(PASS, run(eth(0x0800, ip, 0x8100)));
        assertEquals(PASS, run(eth(0x0800, ip, 0x88A8, 0x8100)), "QinQ");
        assertEquals(DROP, run(eth(0x0800, ip, 0x88A8, 0x8100, 0x8100)), "three tags are malformed");
        byte[] ip6 = ipv6("2001:db8::9", "2001:db8:1:5::1", TCP, tcp(40000, 443, SYN));
        assertEquals(PASS, run(eth(0x86DD, ip6, 0x8100, 0x8100)));
        assertEquals(DROP, run(eth(0x86DD, ipv6("2001:db8::9", "2001:db8:1:5::1", TCP, tcp(40000, 80, SYN)), 0x8100)));
        assertEquals(DROP, run(Arrays.copyOf(eth(0x0800, ip, 0x8100), 16)), "tag cut short");
    }

    @Test void ipv4HeaderShapes() throws Exception {
        // Options hold bytes that would read as port 443 if the program ignored IHL.
        byte[] opts = {1, 1, 1, (byte) 0xbb};
        assertEquals(PASS, run(eth(0x0800, ipv4("192.0.2.1", "10.1.2.3", TCP, 0, opts, -1, tcp(40000, 443, SYN)))));
        assertEquals(DROP, run(eth(0x0800, ipv4("192.0.2.1", "10.1.2.3", TCP, 0, new byte[] {0, 0, 1, (byte) 0xbb}, -1,
                tcp(40000, 22, SYN)))));
        assertEquals(DROP, run(eth(0x0800, ipv4("192.0.2.1", "10.1.2.3", TCP, 0, new byte[0], 4, tcp(40000, 443, SYN)))), "IHL 4");
        byte[] bad = allowedTcp4();
        bad[14] = 0x65; // version 6 in an IPv4 EtherType
        assertEquals(DROP, run(bad));
        assertEquals(PASS, run(cat(allowedTcp4(), zeros(10))), "padding after total length");
        byte[] ihlPastEnd = eth(0x0800, ipv4("192.0.2.1", "10.200.0.1", GRE, 0, new byte[0], 15, zeros(4)));
        assertEquals(DROP, run(ihlPastEnd), "IHL 15 beyond the frame");
    }

    @Test void truncatedFrames() throws Exception {
        byte[] ok = allowedTcp4();
        assertEquals(DROP, run(Arrays.copyOf(ok, 14)), "Ethernet only");
        assertEquals(DROP, run(Arrays.copyOf(ok, 14 + 19)), "19 bytes of IPv4");
        assertEquals(DROP, run(Arrays.copyOf(ok, ok.length - 1)), "total length past the frame");
        // Total length covers only 10 bytes of TCP: the header must fit the IP payload even with padding after it.
        byte[] shortTcp = eth(0x0800, ipv4("192.0.2.1", "10.1.2.3", TCP, Arrays.copyOf(tcp(40000, 443, SYN), 10)));
        assertEquals(DROP, run(shortTcp));
        assertEquals(DROP, run(cat(shortTcp, zeros(20))));
        byte[] totalBelowHeader = allowedTcp4();
        totalBelowHeader[16] = 0;
        totalBelowHeader[17] = 19;
        assertEquals(DROP, run(totalBelowHeader), "total length below IHL*4");
        byte[] v6ok = v6("2001:db8::9", "2001:db8:1:5::1", TCP, tcp(40000, 443, SYN));
        assertEquals(DROP, run(Arrays.copyOf(v6ok, 14 + 39)), "39 bytes of IPv6");
        assertEquals(DROP, run(Arrays.copyOf(v6ok, v6ok.length - 1)), "payload length past the frame");
        assertEquals(PASS, run(cat(v6ok, zeros(3))), "padding after the IPv6 payload");
    }

    @Test void ipv6ExtensionHeaders() throws Exception {
        String s = "2001:db8::9", d = "2001:db8:1:5::1";
        byte[] chain = cat(optsHeader(ROUTING, 0), optsHeader(DSTOPTS, 1), optsHeader(AH, 0), ahHeader(FRAG, 1),
                fragHeader(TCP, 0, true), tcp(40000, 443, SYN));
        assertEquals(PASS, run(v6(s, d, HOP, chain)), "hop-by-hop, routing, dstopts, AH, first fragment, TCP");
        byte[] chain22 = cat(optsHeader(ROUTING, 0), optsHeader(DSTOPTS, 1), optsHeader(AH, 0), ahHeader(FRAG, 1),
                fragHeader(TCP, 0, true), tcp(40000, 22, SYN));
        assertEquals(DROP, run(v6(s, d, HOP, chain22)));
        assertEquals(DROP, run(v6(s, d, ROUTING, cat(optsHeader(HOP, 0), tcp(40000, 443, SYN)))), "hop-by-hop not first");
        assertEquals(PASS, run(v6(s, d, DSTOPTS, cat(eightHeaders(7), tcp(40000, 443, SYN)))), "8 extension headers");
        assertEquals(DROP, run(v6(s, d, DSTOPTS, cat(eightHeaders(8), tcp(40000, 443, SYN)))), "9 extension headers");
        byte[] overlong = cat(optsHeader(TCP, 3), tcp(40000, 443, SYN)); // claims 32 bytes, payload has 32 + 20
        assertEquals(PASS, run(v6(s, d, DSTOPTS, overlong)));
        byte[] outside = optsHeader(TCP, 3);
        assertEquals(DROP, run(v6(s, d, DSTOPTS, Arrays.copyOf(outside, 16))), "header longer than the payload");
        assertEquals(DROP, run(v6(s, d, DSTOPTS, cat(optsHeader(TCP, 0), Arrays.copyOf(tcp(40000, 443, SYN), 12)))),
                "short TCP after extension headers");
    }

    /** {@code extra + 1} destination-options headers in a row, the last pointing at TCP. */
    private static byte[] eightHeaders(int extra) {
        byte[] out = new byte[0];
        for (int i = 0; i < extra; i++) out = cat(out, optsHeader(DSTOPTS, 0));
        return cat(out, optsHeader(TCP, 0));
    }

    @Test void nonFirstFragments() throws Exception {
        // The fragment's data starts with bytes that would read as port 443 / 4500: they must not be read.
        byte[] looksLikeTcp = tcp(40000, 443, SYN);
        int offset100 = 100; // in 8-byte units, no MF flag
        assertEquals(DROP, run(eth(0x0800, ipv4("192.0.2.1", "10.1.2.3", TCP, offset100, new byte[0], -1, looksLikeTcp))));
        assertEquals(PASS, run(eth(0x0800, ipv4("192.0.2.1", "10.200.0.1", TCP, offset100, new byte[0], -1, looksLikeTcp))),
                "a rule with no transport constraint matches fragments");
        assertEquals(PASS, run(eth(0x0800, ipv4("192.0.2.1", "10.1.2.3", TCP, 0x2000, new byte[0], -1, looksLikeTcp))),
                "MF set, offset 0: a first fragment");
        // A non-first fragment may be shorter than any transport header.
        assertEquals(PASS, run(eth(0x0800, ipv4("192.0.2.1", "10.200.0.1", UDP, offset100, new byte[0], -1, zeros(2)))));
        byte[] udp4500 = udp(9, 4500);
        assertEquals(DROP, run(v6("2001:db8::9", "2001:db8:9::5", FRAG, cat(fragHeader(UDP, 10, false), udp4500))));
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:9::5", FRAG, cat(fragHeader(UDP, 0, true), udp4500))));
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:200::1", FRAG, cat(fragHeader(UDP, 10, false), zeros(3)))));
        assertEquals(PASS, run(v6("2001:db8::9", "2001:db8:200::1", DSTOPTS,
                cat(optsHeader(FRAG, 0), fragHeader(ROUTING, 10, false), zeros(3)))), "no walking past a non-first fragment");
    }

    @Test void nonIp() throws Exception {
        assertEquals(DROP, run(arp()));
        assertEquals(PASS, Bpftool.run(nonIpAllow.pin(), arp()));
        assertEquals(PASS, Bpftool.run(nonIpAllow.pin(), eth(0x8100, zeros(30))), "a tag, then EtherType 0");
        assertEquals(DROP, Bpftool.run(nonIpAllow.pin(), allowedTcp4()), "IP goes to the (deny) default");
        assertEquals(PASS, Bpftool.run(nonIpAllow.pin(), eth(0x0806, zeros(28), 0x8100)), "ARP in a VLAN");
    }

}
