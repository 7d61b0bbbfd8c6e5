package io.portcullis.bpf.tv;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Target;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TranslationValidatorTest {
    private static final String SMALL = """
            policy small on %s {
                default deny;
                non-ip allow;
                no-telnet: deny tcp from any to any port 23;
                web: allow tcp from any to { 10.1.0.0/16, 2001:db8:1::/64 } port { 80, 443 };
                replies: allow tcp established from any to 10.0.0.0/8;
                ping: allow icmp type echo-request from 192.0.2.0/24 to any;
                ndp: allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                gre: allow proto 47 from 198.51.100.0/24 to any;
            }
            """;

    private static ResolvedPolicy load(Path dir, String text) throws Exception {
        Path f = Files.writeString(dir.resolve("p" + text.hashCode() + ".policy"), text);
        return Loader.load(List.of(f)).policies().get(0);
    }

    @Test
    void compiledProgramsAreProvenForEveryTarget(@TempDir Path dir) throws Exception {
        for (Target t : Target.values()) {
            ResolvedPolicy p = load(dir, String.format(SMALL, t.syntax()));
            TranslationValidator.Result r = TranslationValidator.validate(BpfCompiler.compile(p), p);
            assertTrue(r.valid(), t + ": " + r.problems());
            assertTrue(r.stats().layouts() > 300, "layouts: " + r.stats());
        }
    }

    @Test
    void anotherPolicysProgramIsAMismatchWithWitnessRuleInstructionAndPath(@TempDir Path dir) throws Exception {
        ResolvedPolicy p = load(dir, String.format(SMALL, "xdp"));
        // The same rules with web and no-telnet swapped: no difference, since they do not overlap ...
        List<ResolvedRule> rules = new ArrayList<>(p.rules());
        ResolvedPolicy noPing = new ResolvedPolicy(p.name(), p.target(), p.defaultAction(), p.nonIp(),
                rules.subList(0, 3), p.expects(), p.asserts(), p.span(), p.defaultSpan(), p.defaultWaivers());
        // ... but without ping, ndp and gre, the program allows what the policy denies.
        TranslationValidator.Result r = TranslationValidator.validate(BpfCompiler.compile(p), noPing);
        assertFalse(r.valid());
        TranslationValidator.Problem first = r.problems().get(0);
        assertEquals(TranslationValidator.Kind.MISMATCH, first.kind());
        String text = first.render();
        assertTrue(text.contains("returns 2 (allow) where the policy says deny by the default"), text);
        assertTrue(text.contains("witness packet: "), text);
        assertTrue(text.contains("witness frame: Ethernet"), text);
        assertTrue(text.contains("program: returns at instruction"), text);
        assertTrue(text.contains("path: instructions 0-"), text);
    }

    @Test
    void aReadWithoutABoundsCheckIsReported() {
        ResolvedPolicy p = allowAll();
        // r2 = data; r0 = *(u8 *)(r2 + 12): no data_end check at all.
        List<Insn> code = List.of(ldxw(R2, R1, 0), ldxb(R0, R2, 12), mov64Imm(R0, 2), exit());
        TranslationValidator.Result r = TranslationValidator.validate(code, p);
        assertEquals(TranslationValidator.Kind.OUT_OF_BOUNDS, r.problems().get(0).kind(), r.problems().toString());
        assertTrue(r.problems().get(0).message().contains("offset 12"), r.problems().toString());
    }

    @Test
    void anUnmodelledInstructionMeansNothingIsProven() {
        TranslationValidator.Result r = TranslationValidator.validate(List.of(call(5), exit()), allowAll());
        assertEquals(TranslationValidator.Kind.UNSUPPORTED, r.problems().get(0).kind());
        assertTrue(r.problems().get(0).message().contains("call"), r.problems().toString());
    }

    @Test
    void aLoopIsRefused() {
        TranslationValidator.Result r = TranslationValidator.validate(List.of(mov64Imm(R0, 2), ja(-2), exit()), allowAll());
        assertEquals(TranslationValidator.Kind.UNSUPPORTED, r.problems().get(0).kind());
        assertTrue(r.problems().get(0).message().contains("loop"), r.problems().toString());
    }

    /**
     * CPU v4 instructions and 32-bit ALU/JMP: a program that computes XDP_PASS (2) for every frame through ld_imm64,
     * bswap, a sign-extending move, gotol and jmp32. Against "allow everything", the only frames it gets wrong are the
     * malformed ones (which must be dropped), and the value it returns must be exactly 2.
     */
    @Test
    void v4InstructionsAreModelledExactly() {
        List<Insn> code = List.of(
                ldImm64(R0, 0x0200_0000_0000_0000L),
                bswap(R0, 64),                                                   // 2
                new Insn(Op.ALU | Op.X | Op.MOV, R3, R0, 8, 0),                  // w3 = (s8) w0 = 2
                new Insn(Op.JMP32 | Op.JA, 0, 0, 0, 1),                          // gotol +1
                mov64Imm(R0, 1),                                                 // skipped
                alu64Imm(Op.LSH, R3, 60),                                        // r3 = 0x2000...
                jmp32Imm(Op.JNE, R3, 0, 2),                                      // low 32 bits are 0: not taken
                alu64Imm(Op.RSH, R3, 60),                                        // 2
                mov64Reg(R0, R3),
                exit());
        TranslationValidator.Result r = TranslationValidator.validate(code, allowAll());
        assertEquals(1, r.problems().size(), r.problems().toString());
        String m = r.problems().get(0).message();
        assertTrue(m.contains("returns 2 (allow) where the policy says deny (a malformed frame is dropped)"), m);
    }

    private static ResolvedPolicy allowAll() {
        try {
            Path dir = Files.createTempDirectory("tv");
            return load(dir, "policy all { default allow; non-ip allow; }");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
