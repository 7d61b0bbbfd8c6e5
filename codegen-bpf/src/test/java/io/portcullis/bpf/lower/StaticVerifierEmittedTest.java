package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.verify.ObjectVerifier;
import io.portcullis.bpf.verify.ProgramType;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every object the compiler emits for generated policies (small to 1,000 rules, every target, cpu v3 and v4 code)
 * passes the static verifier, and where bpf() is allowed the kernel's verifier agrees.
 */
class StaticVerifierEmittedTest {
    private static List<ResolvedPolicy> policies() {
        List<ResolvedPolicy> out = new ArrayList<>();
        for (Target t : Target.values()) {
            out.add(RuleGen.policy(40, 11, t));
            out.add(RuleGen.policy(t == Target.XDP ? 1000 : 300, 5, t));
        }
        // Over 24k instructions: cpu v4 code with gotol (25,341 instructions; 1,100 rules gave 25,143 before the
        // parser packed the keys, 20,190 after, with no jump far enough to need gotol).
        out.add(RuleGen.policy(1300, 7, Target.XDP));
        out.add(LargePolicy.build(300));
        out.add(MixedPolicy.build());
        return out;
    }

    @Test
    void everyEmittedObjectIsAcceptedStaticallyAndByTheKernel() throws Exception {
        Bpf.Availability a = Bpf.availability();
        int objects = 0, kernelAgreed = 0;
        for (ResolvedPolicy p : policies()) {
            byte[] o = BpfCompiler.compile(p);
            List<ObjectVerifier.Program> progs = ObjectVerifier.verify(o);
            assertEquals(1, progs.size(), p.name());
            ObjectVerifier.Program prog = progs.get(0);
            assertEquals(ProgramType.of(p.target()), prog.type(), "type from the section name");
            assertTrue(prog.accepted(), p.name() + " on " + p.target() + ": " + prog.verification().problems());
            System.out.printf("static verifier: %s (%s) %d insns, %d analysed, %.1f ms%n", p.name(), p.target().syntax(),
                    prog.verification().slots(), prog.verification().analysed(), prog.verification().nanos() / 1e6);
            objects++;
            if (p.name().equals("gen1300")) {
                assertTrue(prog.verification().insns().stream().anyMatch(i -> i.opcode() == 0x06), "cpu v4 gotol present");
            }
            if (a.available()) {
                KernelVerifier.Verification k = KernelVerifier.verify(o, p.target());
                assertEquals(KernelVerifier.Status.ACCEPTED, k.status(), p.name() + ": " + k.log());
                kernelAgreed++;
            }
        }
        System.out.println("emitted objects: " + objects + " accepted by the static verifier"
                + (a.available() ? ", " + kernelAgreed + " accepted by the kernel too" : "; kernel agreement skipped: " + a.reason()));
        org.junit.jupiter.api.Assumptions.assumeTrue(a.available(), "kernel agreement on emitted objects skipped: " + a.reason());
    }

    @Test
    void aRemovedBoundsCheckIsCaught() throws Exception {
        // Turn the first packet bounds check of a real object into an unconditional fall-through: the read after it
        // is no longer proven inside the packet.
        byte[] o = BpfCompiler.compile(RuleGen.policy(20, 3, Target.XDP));
        io.portcullis.bpf.elf.ElfFile f = io.portcullis.bpf.elf.ElfFile.parse(o);
        io.portcullis.bpf.elf.ElfFile.Section sec = f.sectionHeader("xdp").orElseThrow();
        List<io.portcullis.bpf.asm.Insn> insns = io.portcullis.bpf.asm.Decoder.decode(f.contents(sec));
        int check = -1;
        for (int i = 0; i < insns.size() && check < 0; i++) {
            if (insns.get(i).isJump() && insns.get(i).usesSrcReg()) check = i;
        }
        assertTrue(check > 0, "a register comparison (the bounds check) exists");
        List<io.portcullis.bpf.asm.Insn> mutated = new ArrayList<>(insns);
        mutated.set(check, BoundsChecks.skipped(insns.get(check)));
        var v = io.portcullis.bpf.verify.StaticVerifier.verify(mutated, ProgramType.XDP);
        assertEquals(io.portcullis.bpf.verify.Reason.PACKET_OUT_OF_RANGE, v.problems().get(0).reason(), v.problems().toString());
    }
}
