package io.portcullis.bpf.tv;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.interp.Context;
import io.portcullis.bpf.interp.Hook;
import io.portcullis.bpf.interp.Interpreter;
import io.portcullis.bpf.interp.Program;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frame length and the IP length fields are symbolic: a program that misbehaves at one length the old enumerated
 * frame model never listed (a 1,234-byte frame, an IPv4 total length of 777, an skb length of 999) must be caught, and
 * the witness frame must make the interpreter return the wrong verdict, while the unmodified program gets it right.
 */
class SymbolicLengthTest {
    private static final String POLICY = """
            policy p on %s {
                default deny;
                non-ip deny;
                web: allow tcp from any to 10.1.0.0/16 port 80;
            }
            """;

    private static ResolvedPolicy load(Path dir, Target t) throws Exception {
        Path f = Files.writeString(dir.resolve("p-" + t.name() + ".policy"), String.format(POLICY, t.syntax()));
        return Loader.load(List.of(f)).policies().get(0);
    }

    private static List<Insn> compiled(ResolvedPolicy p) throws Exception {
        byte[] code = ElfFile.parse(BpfCompiler.compile(p)).section(p.target().section()).orElseThrow();
        return Decoder.decode(code);
    }

    /** {@code prefix} then the compiled program (jumps are relative, so the program is unchanged). */
    private static List<Insn> prepend(List<Insn> prog, Insn... prefix) {
        List<Insn> out = new ArrayList<>(List.of(prefix));
        out.addAll(prog);
        return out;
    }

    /** The witness frame's bytes, from the "witness frame: ...: hex" line. */
    private static byte[] witnessFrame(TranslationValidator.Problem pr) {
        for (String d : pr.details()) {
            if (!d.startsWith("witness frame: ")) continue;
            String hex = d.substring(d.lastIndexOf(": ") + 2);
            if (hex.equals("(empty)")) return new byte[0];
            String[] parts = hex.split(" ");
            byte[] b = new byte[parts.length];
            for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(parts[i], 16);
            return b;
        }
        throw new AssertionError("no witness frame: " + pr.render());
    }

    private static TranslationValidator.Problem onlyMismatch(TranslationValidator.Result r) {
        assertFalse(r.valid(), "the mutant must not be proven");
        TranslationValidator.Problem pr = r.problems().get(0);
        assertEquals(TranslationValidator.Kind.MISMATCH, pr.kind(), pr.render());
        return pr;
    }

    @Test
    void originalProgramsAreProven(@TempDir Path dir) throws Exception {
        for (Target t : new Target[] {Target.XDP, Target.CGROUP_INGRESS}) {
            ResolvedPolicy p = load(dir, t);
            TranslationValidator.Result r = TranslationValidator.validate(compiled(p), p);
            assertTrue(r.valid(), t + ": " + r.problems());
        }
    }

    @Test
    void aWrongVerdictAtOneFrameLengthIsCaught(@TempDir Path dir) throws Exception {
        ResolvedPolicy p = load(dir, Target.XDP);
        List<Insn> good = compiled(p);
        // if (data_end - data == 1234) return XDP_PASS;
        List<Insn> bad = prepend(good,
                ldxw(R2, R1, 0), ldxw(R3, R1, 4), alu64Reg(Op.SUB, R3, R2),
                jmpImm(Op.JNE, R3, 1234, 2), mov64Imm(R0, 2), exit());
        TranslationValidator.Problem pr = onlyMismatch(TranslationValidator.validate(bad, p));
        assertTrue(pr.message().contains("returns 2 (allow) where the policy says deny"), pr.render());
        byte[] frame = witnessFrame(pr);
        assertEquals(1234, frame.length, pr.render());
        assertTrue(pr.render().contains("1234-byte frame"), pr.render());
        confirm(Hook.XDP, good, bad, frame, 1, 2);
    }

    @Test
    void aWrongVerdictAtOneIpv4TotalLengthIsCaught(@TempDir Path dir) throws Exception {
        ResolvedPolicy p = load(dir, Target.XDP);
        List<Insn> good = compiled(p);
        // if (data + 18 <= data_end && be16(data[16..17]) == 777) return XDP_PASS;
        List<Insn> bad = prepend(good,
                ldxw(R2, R1, 0), ldxw(R3, R1, 4), mov64Reg(R4, R2), add64Imm(R4, 18),
                jmpReg(Op.JGT, R4, R3, 5),
                ldxh(R5, R2, 16), be(R5, 16),
                jmpImm(Op.JNE, R5, 777, 2), mov64Imm(R0, 2), exit());
        TranslationValidator.Problem pr = onlyMismatch(TranslationValidator.validate(bad, p));
        byte[] frame = witnessFrame(pr);
        assertEquals(777, (frame[16] & 0xff) << 8 | frame[17] & 0xff, pr.render());
        assertTrue(pr.render().contains("total length 777"), pr.render());
        // A well-formed packet is preferred as the witness: the frame holds the whole IP packet.
        assertTrue(pr.render().contains("witness packet: "), pr.render());
        assertTrue(frame.length >= 14 + 777, pr.render());
        confirm(Hook.XDP, good, bad, frame, 1, 2);
    }

    @Test
    void aWrongVerdictAtOneSkbLengthIsCaught(@TempDir Path dir) throws Exception {
        ResolvedPolicy p = load(dir, Target.CGROUP_INGRESS);
        List<Insn> good = compiled(p);
        // if (skb->len == 999) return 1 (allow);
        List<Insn> bad = prepend(good, ldxw(R2, R1, 0), jmpImm(Op.JNE, R2, 999, 2), mov64Imm(R0, 1), exit());
        TranslationValidator.Problem pr = onlyMismatch(TranslationValidator.validate(bad, p));
        byte[] frame = witnessFrame(pr);
        assertEquals(999, frame.length, pr.render());
        confirm(Hook.CGROUP_SKB_INGRESS, good, bad, frame, 0, 1);
    }

    /** The interpreter agrees: the original program returns {@code right} on the witness, the mutant {@code wrong}. */
    private static void confirm(Hook hook, List<Insn> good, List<Insn> bad, byte[] frame, int right, int wrong) {
        // The frame as the program sees it (a cgroup program's starts at the IP header), len = its length.
        Context ctx = new Context(hook, frame, frame.length, 0, 1);
        assertEquals(right, Interpreter.run(Program.of(hook, "good", good), ctx, null).retval());
        assertEquals(wrong, Interpreter.run(Program.of(hook, "bad", bad), ctx, null).retval());
    }
}
