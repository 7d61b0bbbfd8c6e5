package io.portcullis.cli;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.elf.ElfWriter;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.ir.Packet;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.PolicyParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis run}: objects built by {@code portcullis build}, every PACKET form, every exit code. */
class RunCommandTest {
    @TempDir static Path dir;
    static Path xdp, cgroup;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll static void build() throws IOException {
        Files.writeString(dir.resolve("p.policy"), """
                policy web on xdp {
                    default deny;
                    public-web: allow tcp from any to 10.1.0.0/16 port { 80, 443 };
                    ndp: allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                    router-adv: allow icmpv6 type router-advertisement from fe80::/10 to any6;
                }
                policy pods on cgroup egress {
                    default deny;
                    dns: allow udp from 10.244.0.0/16 to 10.96.0.10 port 53;
                }
                """);
        Run b = run("build", "--kernel", "never", "-o", dir.resolve("out").toString(), dir.resolve("p.policy").toString());
        assertEquals(0, b.code(), b.out() + b.err());
        xdp = dir.resolve("out/web.o");
        cgroup = dir.resolve("out/pods.o");
    }

    @Test void printsTheReturnValueAndItsName() {
        Run allow = run("run", xdp.toString(), "tcp 192.0.2.7:40000 -> 10.1.3.4:443");
        assertEquals(0, allow.code(), allow.err());
        assertEquals("2 XDP_PASS\n", allow.out());
        Run deny = run("run", xdp.toString(), "tcp 192.0.2.7:40000 -> 10.1.3.4:22");
        assertEquals("1 XDP_DROP\n", deny.out());
        assertEquals("1 XDP_DROP\n", run("run", xdp.toString(), "tcp 192.0.2.7 -> 10.1.3.4 fragment").out());
        assertEquals("1 allow\n", run("run", cgroup.toString(), "udp 10.244.1.2:5353 -> 10.96.0.10:53").out());
        assertEquals("0 drop\n", run("run", cgroup.toString(), "udp 10.244.1.2:5353 -> 10.96.0.11:53").out());
    }

    @Test void framesFromAFileAndFromHex() throws IOException {
        byte[] frame = FrameBuilder.ethernet(packet("tcp 192.0.2.7:40000 -> 10.1.3.4:80"));
        Path f = dir.resolve("frame.bin");
        Files.write(f, frame);
        assertEquals("2 XDP_PASS\n", run("run", xdp.toString(), "@" + f).out());
        assertEquals("2 XDP_PASS\n", run("run", xdp.toString(), "hex:" + HexFormat.ofDelimiter(":").formatHex(frame)).out());
        // Cut inside the TCP header: malformed, dropped.
        String cut = HexFormat.of().formatHex(frame, 0, frame.length - 1);
        assertEquals("1 XDP_DROP\n", run("run", xdp.toString(), "hex:" + cut).out());
    }

    @Test void traceListsTheInstructionsToStderr() {
        Run r = run("run", "--trace", xdp.toString(), "tcp 192.0.2.7:40000 -> 10.1.3.4:443");
        assertEquals("2 XDP_PASS\n", r.out());
        assertTrue(r.err().startsWith("0000: "), r.err());
        assertTrue(r.err().contains("exit"), r.err());
        assertTrue(r.err().lines().count() > 10, r.err());
    }

    @Test void aFaultIsExitOneWithTheInstruction() throws IOException {
        // Reads byte 100 of the packet without a bounds check.
        byte[] obj = new ElfWriter().program("xdp", "oob", program(ldxw(R2, R1, 0), ldxb(R0, R2, 100), exit()))
                .license("GPL").build();
        Path o = dir.resolve("oob.o");
        Files.write(o, obj);
        Run r = run("run", o.toString(), "tcp 192.0.2.7:40000 -> 10.1.3.4:443");
        assertEquals(1, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().contains("at instruction 1 (r0 = *(u8 *)(r2 +100))"), r.err());
        assertTrue(r.err().contains("packet offset 100"), r.err());
    }

    @Test void usageAndInputErrorsAreExitTwo() throws IOException {
        assertEquals(2, run("run", xdp.toString()).code());
        assertEquals(2, run("run", dir.resolve("missing.o").toString(), "tcp 1.2.3.4:1 -> 5.6.7.8:2").code());
        Run bad = run("run", xdp.toString(), "tcp 1.2.3.4 ->");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("not a packet"), bad.err());
        Run shortFrame = run("run", xdp.toString(), "hex:0102");
        assertEquals(2, shortFrame.code());
        assertTrue(shortFrame.err().contains("at least 14"), shortFrame.err());
        assertEquals(2, run("run", xdp.toString(), "hex:zz").code());
        assertEquals(2, run("run", "--bogus", xdp.toString(), "hex:00").code());
        Path notElf = dir.resolve("policy-as-object.o");
        Files.writeString(notElf, "policy x {}");
        Run r = run("run", notElf.toString(), "tcp 1.2.3.4:1 -> 5.6.7.8:2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not an ELF object"), r.err());
        byte[] two = new ElfWriter().program("xdp", "a", program(mov64Imm(R0, 2), exit()))
                .program("tc", "b", program(mov64Imm(R0, 0), exit())).license("GPL").build();
        Path twoPath = dir.resolve("two.o");
        Files.write(twoPath, two);
        Run ambiguous = run("run", twoPath.toString(), "tcp 1.2.3.4:1 -> 5.6.7.8:2");
        assertEquals(2, ambiguous.code());
        assertTrue(ambiguous.err().contains("--section"), ambiguous.err());
        assertEquals("0 TC_ACT_OK\n", run("run", "--section", "tc", twoPath.toString(), "tcp 1.2.3.4:1 -> 5.6.7.8:2").out());
    }

    @Test void helpIsExitZero() {
        Run r = run("run", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: portcullis run"));
        assertEquals(r.out(), run("help", "run").out());
    }

    static Packet packet(String text) {
        PolicyParser.PacketResult p = PolicyParser.parsePacket(io.portcullis.diag.SourceFile.ofString("<t>", text));
        return Loader.resolvePacket(p.packet(), new ArrayList<>());
    }
}
