package io.portcullis.cli;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfWriter;
import io.portcullis.bpf.kernel.Bpf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis verify} on object files: verdicts, reasons with the instruction, exit codes, usage errors. */
class VerifyCommandTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path object(String name, String section, byte[] code) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, new ElfWriter().program(section, "prog", code).license("GPL").build());
        return p;
    }

    /** Reads a byte of the packet without checking data_end first. */
    private static final byte[] UNCHECKED = program(ldxw(R2, R1, 0), ldxb(R0, R2, 12), mov64Imm(R0, 2), exit());
    /** The same read after a check of 14 bytes. */
    private static final byte[] CHECKED = program(ldxw(R2, R1, 0), ldxw(R3, R1, 4), mov64Reg(R4, R2), add64Imm(R4, 14),
            jmpReg(Op.JGT, R4, R3, 3), ldxb(R0, R2, 12), mov64Imm(R0, 2), exit(), mov64Imm(R0, 1), exit());

    @Test
    void anUnsafeProgramIsRejectedWithTheInstructionAndTheReason() throws Exception {
        Run r = run("verify", "--kernel", "never", object("bad.o", "xdp", UNCHECKED).toString());
        assertEquals(Main.FINDINGS, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("section xdp (prog, xdp, 4 insns): REJECTED by the static verifier"), r.out());
        assertTrue(r.out().contains("0001: r0 = *(u8 *)(r2 +12)"), r.out());
        assertTrue(r.out().contains("packet-out-of-range: invalid access to packet, off=12 size=1"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void aSafeProgramIsAcceptedWhateverItsSectionIsCalled() throws Exception {
        Run r = run("verify", "--kernel=never", object("xdp.o", "xdp", CHECKED).toString());
        assertEquals(Main.OK, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("section xdp (prog, xdp, 10 insns): accepted by the static verifier"), r.out());
        assertTrue(r.out().matches("(?s).*section xdp: complexity estimate: \\d+ instructions processed by the kernel's verifier "
                + "\\(limit 1000000\\), \\d+ pending branches at most \\(limit 8192\\).*"), r.out());
        // libbpf's "classifier" section is a tc program, whose context is __sk_buff: offset 0 is skb->len, a number.
        Run tc = run("verify", "--kernel", "never", object("tc.o", "classifier", CHECKED).toString());
        assertEquals(Main.FINDINGS, tc.code(), tc.out());
        assertTrue(tc.out().contains("(prog, tc, 10 insns): REJECTED") && tc.out().contains("invalid-memory-access: R2 invalid mem access 'scalar'"), tc.out());
    }

    @Test
    void aStricterReasonSaysSo() throws Exception {
        Run r = run("verify", "--kernel", "never", object("ret.o", "xdp", program(mov64Imm(R0, 9), exit())).toString());
        assertEquals(Main.FINDINGS, r.code());
        assertTrue(r.out().contains("return-value: R0 at exit is 9, not a xdp verdict in [0, 4]"), r.out());
        assertTrue(r.out().contains("Portcullis is stricter here"), r.out());
    }

    @Test
    void theKernelGivesItsVerdictWhereItRuns() throws Exception {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel verification skipped: " + a.reason());
        Run bad = run("verify", object("bad.o", "xdp", UNCHECKED).toString());
        assertEquals(Main.FINDINGS, bad.code());
        assertTrue(bad.out().contains("REJECTED by the kernel verifier:") && bad.out().contains("invalid access to packet"), bad.out());
        Run good = run("verify", "--kernel", "always", object("good.o", "xdp", CHECKED).toString());
        assertEquals(Main.OK, good.code(), good.out());
        assertTrue(good.out().contains("section xdp: accepted by the kernel verifier"), good.out());
    }

    @Test
    void unreadableInputsAndBadArgumentsAreUsageErrors() throws Exception {
        Run missing = run("verify", dir.resolve("nope.o").toString());
        assertEquals(Main.USAGE, missing.code());
        assertTrue(missing.err().contains("nope.o: no such file"), missing.err());
        Path text = Files.writeString(dir.resolve("text.o"), "not an object\n");
        Run notElf = run("verify", text.toString());
        assertEquals(Main.USAGE, notElf.code());
        assertTrue(notElf.err().contains("not a BPF object"), notElf.err());
        assertFalse(notElf.err().contains("Exception"), notElf.err());
        Run unknown = run("verify", "--kernel", "never", object("x.o", "socket", CHECKED).toString());
        assertEquals(Main.USAGE, unknown.code());
        assertTrue(unknown.out().contains("skipped"), unknown.out());
        assertEquals(Main.USAGE, run("verify").code());
        assertEquals(Main.USAGE, run("verify", "--kernel", "sometimes", "x.o").code());
        assertEquals(Main.USAGE, run("verify", "--frobnicate", "x.o").code());
        Run help = run("verify", "--help");
        assertEquals(Main.OK, help.code());
        assertTrue(help.out().startsWith("Usage: portcullis verify"), help.out());
    }
}
