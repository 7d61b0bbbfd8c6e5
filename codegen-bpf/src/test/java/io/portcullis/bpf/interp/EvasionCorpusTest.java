package io.portcullis.bpf.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.bpf.packet.FrameBuilder.Ipv6Ext;
import io.portcullis.bpf.packet.FrameParser;
import io.portcullis.diag.SourceFile;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.PolicyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evasion corpus: denied (and allowed) flows re-encoded the ways firewalls have been evaded - IPv4 fragments
 * (first, non-first, tiny first fragments that split the transport header, offsets overlapping it), bad and odd IHL,
 * options, total lengths shorter and longer than the frame, IPv6 extension chains (each kind, many in a row, past the
 * walk bound, hop-by-hop out of place, unknown next headers, a fragment header in the middle, lengths past the
 * payload), VLAN, QinQ and three tags, version/EtherType disagreements, non-IP frames, and every frame truncated at
 * every byte, raw and with its IP lengths fixed up to the cut. Each frame goes through every target's program in the
 * interpreter and, where bpf() is allowed, in the kernel; the verdict must be the one LANGUAGE.md gives the frame
 * ({@link FrameParser}: malformed frames are dropped). A bypass is a frame the program allows that the language
 * denies; there must be none, and no frame may be dropped that the language allows.
 */
class EvasionCorpusTest {
    @TempDir Path dir;

    static final String POLICIES = """
            policy blocklist {
                default allow;
                non-ip allow;
                no-telnet: deny tcp from any to any port 23;
                no-db:     deny tcp from any to { 10.2.0.0/16, 2001:db8:2::/48 } port 5432;
                no-dns6:   deny udp from any to 2001:db8:3::/48 port 53;
                no-ping:   deny icmp type echo-request from any to 10.9.0.0/16;
                no-new-in: deny tcp new from any to 10.3.0.0/16;
                no-gre:    deny proto 47 from any to 10.4.0.0/16;
                no-ra:     deny icmpv6 type router-advertisement from any6 to any6;
            }
            policy allowlist {
                default deny;
                non-ip deny;
                web:     allow tcp from any to { 10.1.0.0/16, 2001:db8:1::/48 } port { 80, 443 };
                replies: allow tcp established from any to 10.3.0.0/16;
                dns:     allow udp from 10.0.0.0/8 to 10.0.0.53 port 53;
                ndp:     allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                bulk:    allow proto 17 from 10.5.0.0/16 to 10.6.0.0/16;
            }
            """;

    /** Flows each policy denies, and a few it allows (so over-blocking shows too). */
    static final String[] FLOWS = {
        "tcp 192.0.2.7:40000 -> 10.1.3.4:23",
        "tcp 192.0.2.7:40000 -> 10.2.0.9:5432",
        "tcp [2001:db8:9::7]:40000 -> [2001:db8:2::9]:5432",
        "udp [2001:db8:9::7]:5353 -> [2001:db8:3::53]:53",
        "icmp 192.0.2.7 -> 10.9.0.1 type echo-request",
        "tcp 192.0.2.7:40000 -> 10.3.0.1:22",
        "tcp 192.0.2.7:40000 -> 10.3.0.1:22 flags { ack }",
        "proto 47 192.0.2.7 -> 10.4.0.1",
        "icmpv6 fe80::1 -> ff02::1 type router-advertisement",
        "icmpv6 fe80::1 -> ff02::1 type neighbor-solicitation",
        "tcp 192.0.2.7:40000 -> 10.1.3.4:443",
        "tcp [2001:db8:9::7]:40000 -> [2001:db8:1::4]:80",
        "udp 192.0.2.7:5353 -> 10.0.0.53:53",
        "udp 10.5.0.1:7000 -> 10.6.0.1:9000",
        "tcp 198.51.100.1:1024 -> 10.7.0.1:65535 flags { syn, fin, urg }",
    };

    @Test void noCraftedFrameGetsAVerdictTheLanguageDoesNotGiveIt() throws Exception {
        Files.writeString(dir.resolve("evasion.policy"), POLICIES);
        Loader.LoadResult loaded = Loader.loadFile(dir.resolve("evasion.policy"));
        assertEquals(2, loaded.policies().size(), () -> loaded.diagnostics().toString());
        List<Packet> flows = new ArrayList<>();
        for (String f : FLOWS) flows.add(packet(f));
        List<byte[]> corpus = new ArrayList<>();
        for (Packet p : flows) corpus.addAll(variants(p));
        corpus.addAll(nonIp());
        Bpf.Availability kernel = Bpf.availability();
        if (!kernel.available()) System.out.println("evasion corpus: kernel leg skipped: " + kernel.reason());
        List<String> failures = new ArrayList<>();
        int malformed = 0;
        for (byte[] f : corpus) if (FrameParser.ethernet(f).kind() == FrameParser.Kind.MALFORMED) malformed++;
        StringBuilder summary = new StringBuilder();
        long total = 0, totalKernel = 0;
        for (Target t : Target.values()) {
            int tried = 0, kernelTried = 0, refused = 0, bypass = 0, overblock = 0;
            for (ResolvedPolicy base : loaded.policies()) {
                ResolvedPolicy p = RandomPolicy.retarget(base, t);
                byte[] elf = BpfCompiler.compile(p);
                Program prog = Program.fromElf(elf, t);
                try (LoadedProgram k = kernel.available() ? LoadedProgram.load(elf, t) : null) {
                    for (byte[] frame : corpus) {
                        byte[] seen = t.ethernet() ? frame : Arrays.copyOfRange(frame, Math.min(14, frame.length), frame.length);
                        if (!t.ethernet() && frame.length < 14) continue; // a test run needs an Ethernet header
                        FrameParser.Reading reading = t.ethernet() ? FrameParser.ethernet(seen) : FrameParser.ip(seen);
                        int want = t.code(reading.verdict(p));
                        int got = interpret(prog, frame);
                        tried++;
                        Integer kgot = null;
                        if (k != null && frame.length >= LoadedProgram.MIN_INPUT) {
                            try {
                                kgot = k.run(frame);
                                kernelTried++;
                            } catch (io.portcullis.bpf.kernel.BpfException e) {
                                // skb test runs refuse an IP EtherType whose IP header is cut (EINVAL): such frames
                                // never reach a tc or cgroup program, and the interpreter still runs them.
                                if (e.errno() != Bpf.EINVAL || t.ethernet() && t != Target.TC_INGRESS && t != Target.TC_EGRESS) throw e;
                                refused++;
                            }
                        }
                        for (Integer g : new Integer[] {got, kgot}) {
                            if (g == null || g == want) continue;
                            boolean allowedByProgram = g == t.code(Action.ALLOW);
                            if (allowedByProgram) bypass++;
                            else overblock++;
                            if (failures.size() < 20) {
                                failures.add((allowedByProgram ? "BYPASS " : "OVERBLOCK ") + p.name() + " on " + t.syntax()
                                        + (g == got ? " (interpreter)" : " (kernel)") + ": language reads " + reading
                                        + " -> " + want + ", program returned " + g + "; frame " + HexFormat.of().formatHex(frame));
                            }
                        }
                    }
                }
            }
            total += tried;
            totalKernel += kernelTried;
            summary.append(String.format("  %-15s %,7d frames in the interpreter, %,7d in the kernel (%,d refused by the test run),"
                    + " %d bypasses, %d over-blocked%n", t.syntax(), tried, kernelTried, refused, bypass, overblock));
        }
        System.out.printf("evasion corpus: %,d crafted frames from %d flows (%,d malformed as Ethernet frames), %,d runs in the"
                + " interpreter, %,d in the kernel%n%s", corpus.size(), flows.size(), malformed, total, totalKernel, summary);
        failures.forEach(System.out::println);
        assertTrue(failures.isEmpty(), () -> failures.size() + "+ frames with the wrong verdict:\n" + String.join("\n", failures));
        assertTrue(malformed > corpus.size() / 4, "the corpus is mostly attacks, not plain frames: " + malformed);
    }

    /** The interpreter's return value; frames shorter than an Ethernet header are run with the bytes as they are. */
    static int interpret(Program prog, byte[] frame) {
        if (frame.length >= Hook.ETH_HLEN) return Interpreter.testRun(prog, frame).retval();
        return Interpreter.run(prog, new Context(prog.hook(), frame, frame.length, 0, 1), null).retval();
    }

    static Packet packet(String text) {
        PolicyParser.PacketResult r = PolicyParser.parsePacket(SourceFile.ofString("<flow>", text));
        assertTrue(r.diagnostics().isEmpty(), () -> text + ": " + r.diagnostics());
        List<io.portcullis.diag.Diagnostic> ds = new ArrayList<>();
        Packet p = Loader.resolvePacket(r.packet(), ds);
        assertTrue(ds.isEmpty(), () -> text + ": " + ds);
        return p;
    }

    // ---- the corpus ----

    static List<byte[]> variants(Packet p) {
        List<byte[]> out = new ArrayList<>();
        List<byte[]> wholes = new ArrayList<>();
        wholes.add(FrameBuilder.ethernet(p));
        wholes.add(FrameBuilder.variant(p).vlan(FrameBuilder.ETH_P_8021Q, 7).ethernet());
        wholes.add(FrameBuilder.variant(p).vlan(FrameBuilder.ETH_P_8021AD, 7).vlan(FrameBuilder.ETH_P_8021Q, 8).ethernet());
        wholes.add(FrameBuilder.variant(p).vlan(FrameBuilder.ETH_P_8021Q, 7).vlan(FrameBuilder.ETH_P_8021Q, 8).ethernet());
        out.add(FrameBuilder.variant(p).vlan(FrameBuilder.ETH_P_8021AD, 1).vlan(FrameBuilder.ETH_P_8021Q, 2)
                .vlan(FrameBuilder.ETH_P_8021Q, 3).ethernet());
        Packet frag = new Packet(p.family(), p.src(), p.dst(), p.proto(), 0, 0, java.util.Set.of(), 0, 0, true);
        wholes.add(FrameBuilder.ethernet(frag));
        if (p.family() == Family.IPV4) {
            wholes.add(FrameBuilder.variant(p).ipv4Options(10).ethernet());
            for (int words = 1; words < 10; words++) out.add(FrameBuilder.variant(p).ipv4Options(words).ethernet());
            // A record-route option and a timestamp option, as bytes.
            out.add(FrameBuilder.variant(p).ipv4Options(new byte[] {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0}).ethernet());
            out.add(FrameBuilder.variant(p).ipv4Options(new byte[] {0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0}).ethernet());
            out.addAll(ipv4Header(FrameBuilder.ethernet(p), 14));
            out.addAll(ipv4Header(FrameBuilder.variant(p).vlan(FrameBuilder.ETH_P_8021Q, 7).ethernet(), 18));
        } else {
            wholes.add(FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.HOP_BY_HOP).ipv6Extension(Ipv6Ext.ROUTING)
                    .ipv6Extension(Ipv6Ext.FRAGMENT).ipv6Extension(Ipv6Ext.AH).ipv6Extension(Ipv6Ext.DEST_OPTS).ethernet());
            out.addAll(ipv6Chains(p));
            out.addAll(ipv6Header(FrameBuilder.ethernet(p), 14));
        }
        out.addAll(wholes);
        for (byte[] w : wholes) {
            out.addAll(truncations(w));
            out.addAll(consistentTruncations(w));
        }
        return out;
    }

    private static int l3(byte[] f) {
        int at = 12;
        while (be16(f, at) == FrameBuilder.ETH_P_8021Q || be16(f, at) == FrameBuilder.ETH_P_8021AD) at += 4;
        return at + 2;
    }

    /** The frame cut at every length below its own. */
    static List<byte[]> truncations(byte[] f) {
        List<byte[]> out = new ArrayList<>();
        for (int n = 0; n < f.length; n++) out.add(Arrays.copyOf(f, n));
        return out;
    }

    /** The frame cut inside its IP packet, with the IP length fields saying so (only the transport header is short). */
    static List<byte[]> consistentTruncations(byte[] f) {
        List<byte[]> out = new ArrayList<>();
        int o = l3(f);
        boolean v4 = be16(f, o - 2) == FrameBuilder.ETH_P_IP;
        int fixed = v4 ? (f[o] & 0xf) * 4 : 40;
        for (int n = o + fixed; n < f.length; n++) {
            byte[] c = Arrays.copyOf(f, n);
            if (v4) put16(c, o + 2, n - o);
            else put16(c, o + 4, n - o - 40);
            out.add(c);
        }
        return out;
    }

    /** IHL, total length, version and fragment fields of the IPv4 header at {@code o}, one at a time. */
    static List<byte[]> ipv4Header(byte[] f, int o) {
        List<byte[]> out = new ArrayList<>();
        int total = be16(f, o + 2);
        for (int ihl = 0; ihl < 16; ihl++) {
            if (ihl == 5) continue;
            byte[] c = f.clone();
            c[o] = (byte) (0x40 | ihl);
            out.add(c);
        }
        for (int v : new int[] {0, 5, 6, 15}) {
            byte[] c = f.clone();
            c[o] = (byte) (v << 4 | 5);
            out.add(c);
        }
        for (int len : new int[] {0, 1, 19, 20, 21, 27, 28, 39, total - 1, total + 1, total + 100, 65535}) {
            byte[] c = f.clone();
            put16(c, o + 2, len);
            out.add(c);
        }
        // Trailing padding after the IP packet is not part of it.
        out.add(Arrays.copyOf(f, f.length + 18));
        // Fragment fields: first fragment, offsets overlapping the transport header, the largest offset, flag bits.
        for (int field : new int[] {0x2000, 0x0001, 0x2001, 0x0002, 0x0003, 0x00b9, 0x1fff, 0x3fff, 0x4000, 0x8000, 0xa000, 0x6001}) {
            byte[] c = f.clone();
            put16(c, o + 6, field);
            out.add(c);
        }
        // Tiny first fragments: more-fragments set, offset 0, an IP payload of k bytes (frame cut there, or padded).
        int hlen = (f[o] & 0xf) * 4;
        for (int k = 0; k < total - hlen; k++) {
            byte[] c = Arrays.copyOf(f, o + hlen + k);
            put16(c, o + 2, hlen + k);
            put16(c, o + 6, 0x2000);
            out.add(c);
            byte[] padded = Arrays.copyOf(c, Math.max(c.length, 60));
            out.add(padded);
        }
        // An overlapping second fragment that rewrites the TCP header's ports and flags from offset 8 bytes on... and
        // one at offset 0 without more-fragments (a complete packet again).
        byte[] overlap = f.clone();
        put16(overlap, o + 6, 0x0001);
        if (overlap.length >= o + hlen + 14) overlap[o + hlen + 13] = 0x02;
        out.add(overlap);
        return out;
    }

    /** Payload length, version and next-header fields of the IPv6 header at {@code o}. */
    static List<byte[]> ipv6Header(byte[] f, int o) {
        List<byte[]> out = new ArrayList<>();
        int plen = be16(f, o + 4);
        for (int len : new int[] {0, 1, 7, 8, 19, plen - 1, plen + 1, plen + 100, 65535}) {
            byte[] c = f.clone();
            put16(c, o + 4, len);
            out.add(c);
        }
        out.add(Arrays.copyOf(f, f.length + 18));
        for (int v : new int[] {0, 4, 7, 15}) {
            byte[] c = f.clone();
            c[o] = (byte) (v << 4);
            out.add(c);
        }
        // Unknown or terminal next headers in place of the transport protocol.
        for (int nh : new int[] {50, 59, 135, 139, 140, 253, 254, 255, 1, 4, 41}) {
            byte[] c = f.clone();
            c[o + 6] = (byte) nh;
            out.add(c);
        }
        return out;
    }

    static List<byte[]> ipv6Chains(Packet p) {
        List<byte[]> out = new ArrayList<>();
        for (Ipv6Ext e : Ipv6Ext.values()) {
            out.add(FrameBuilder.variant(p).ipv6Extension(e).ethernet());
            // Many of a kind: up to the bound, and past it (hop-by-hop may appear once only, first).
            for (int n = 2; n <= 10; n++) {
                FrameBuilder.Variant v = FrameBuilder.variant(p);
                for (int i = 0; i < n; i++) v.ipv6Extension(e);
                out.add(v.ethernet());
            }
        }
        for (int n = 7; n <= 9; n++) {
            FrameBuilder.Variant v = FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.HOP_BY_HOP);
            for (int i = 1; i < n; i++) v.ipv6Extension(Ipv6Ext.DEST_OPTS);
            out.add(v.ethernet());
        }
        out.add(FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.DEST_OPTS).ipv6Extension(Ipv6Ext.HOP_BY_HOP).ethernet());
        // A first fragment header in the middle of the chain, and a non-first one after other headers.
        out.add(FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.DEST_OPTS).ipv6Extension(Ipv6Ext.FRAGMENT)
                .ipv6Extension(Ipv6Ext.ROUTING).ethernet());
        Packet frag = new Packet(p.family(), p.src(), p.dst(), p.proto(), 0, 0, java.util.Set.of(), 0, 0, true);
        out.add(FrameBuilder.variant(frag).ipv6Extension(Ipv6Ext.HOP_BY_HOP).ipv6Extension(Ipv6Ext.ROUTING).ethernet());
        for (int len = 1; len <= 6; len++) out.add(FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.AH, len).ethernet());
        for (int len = 1; len <= 3; len++) out.add(FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.DEST_OPTS, len).ethernet());
        // Length fields that run past the payload, and unknown protocols after a destination-options header.
        byte[] base = FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.DEST_OPTS).ethernet();
        for (int len : new int[] {1, 2, 3, 30, 255}) {
            byte[] c = base.clone();
            c[14 + 40 + 1] = (byte) len;
            out.add(c);
        }
        for (int nh : new int[] {0, 43, 44, 50, 51, 59, 60, 135, 253}) {
            byte[] c = base.clone();
            c[14 + 40] = (byte) nh;
            out.add(c);
        }
        // A fragment header whose offset field is non-zero but whose M flag alone is set, and the reverse.
        byte[] firstFrag = FrameBuilder.variant(p).ipv6Extension(Ipv6Ext.FRAGMENT).ethernet();
        for (int field : new int[] {0x0000, 0x0001, 0x0008, 0x0009, 0xfff8, 0x0006}) {
            byte[] c = firstFrag.clone();
            put16(c, 14 + 40 + 2, field);
            out.add(c);
        }
        return out;
    }

    static List<byte[]> nonIp() {
        List<byte[]> out = new ArrayList<>();
        byte[] arp = new byte[42];
        System.arraycopy(FrameBuilder.DST_MAC, 0, arp, 0, 6);
        put16(arp, 12, 0x0806);
        put16(arp, 14, 1);
        put16(arp, 16, 0x0800);
        out.add(arp);
        byte[] lldp = arp.clone();
        put16(lldp, 12, 0x88cc);
        out.add(lldp);
        byte[] llc = arp.clone();
        put16(llc, 12, 28);
        out.add(llc);
        byte[] taggedArp = new byte[46];
        put16(taggedArp, 12, FrameBuilder.ETH_P_8021Q);
        put16(taggedArp, 16, 0x0806);
        out.add(taggedArp);
        out.addAll(truncations(taggedArp));
        return out;
    }

    private static int be16(byte[] b, int o) { return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff); }

    private static void put16(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 8);
        b[o + 1] = (byte) v;
    }
}
