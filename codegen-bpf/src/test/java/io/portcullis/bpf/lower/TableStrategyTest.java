package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ReadOnlyData;
import io.portcullis.bpf.interp.Interpreter;
import io.portcullis.bpf.interp.Program;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.bpf.tv.TranslationValidator;
import io.portcullis.bpf.verify.ObjectVerifier;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The table strategy without a kernel: the object's read-only sections, deterministic bytes, the interpreter's verdict
 * (reading the tables through {@link ReadOnlyData}) against the reference evaluator on every target, the static
 * verifier's acceptance, and translation validation. Kernel runs are in ScaleTest, DifferentialTest,
 * KernelLoadTest and EveryTargetKernelTest.
 */
class TableStrategyTest {
    @ParameterizedTest
    @EnumSource(Target.class)
    void interpreterGivesTheEvaluatorsVerdictOnEveryTarget(Target target) throws Exception {
        ResolvedPolicy p = RuleGen.policy(300, 5, target);
        byte[] obj = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        Program prog = Program.fromElf(obj, target);
        RuleGen gen = new RuleGen(17);
        int allowed = 0;
        for (int i = 0; i < 1500; i++) {
            Packet pkt = gen.packet(p);
            Evaluator.Decision d = Evaluator.evaluate(p, pkt);
            int want = target.code(d.action());
            assertEquals(want, Interpreter.testRun(prog, FrameBuilder.ethernet(pkt)).retval(), () -> "packet " + pkt);
            if (d.action() == io.portcullis.ir.Action.ALLOW) allowed++;
        }
        assertTrue(allowed > 0 && allowed < 1500, "both verdicts occur: " + allowed);
    }

    @Test void objectHoldsTablesInReadOnlySectionsAndIsDeterministic() throws Exception {
        ResolvedPolicy p = RuleGen.policy(2000, 3, Target.XDP);
        byte[] a = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        byte[] b = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        assertTrue(Arrays.equals(a, b), "byte-identical on every run");
        ElfFile f = ElfFile.parse(a);
        ReadOnlyData data = ReadOnlyData.of(f, f.sectionHeader("xdp").orElseThrow());
        assertFalse(data.isEmpty());
        assertTrue(data.regions().stream().anyMatch(r -> r.section().equals(".rodata.v")), "verdict table");
        assertTrue(data.regions().stream().anyMatch(r -> r.section().startsWith(".rodata.t")), "node tables");
        // One byte per rule and one for the default.
        ReadOnlyData.Region v = data.regions().stream().filter(r -> r.section().equals(".rodata.v")).findFirst().orElseThrow();
        assertEquals(2001, v.size());
        for (ReadOnlyData.Region r : data.regions()) assertTrue(r.size() <= DecisionTable.CHUNK_BYTES, r.section());
    }

    @Test void staticVerifierAcceptsTablePrograms() throws Exception {
        for (Target t : Target.values()) {
            byte[] obj = BpfCompiler.compile(RuleGen.policy(300, 5, t), BpfCompiler.Strategy.TABLE);
            for (ObjectVerifier.Program prog : ObjectVerifier.verify(obj)) {
                if (!prog.section().equals(t.section())) continue;
                assertTrue(prog.accepted(), () -> t + ": " + prog.verification().problems());
            }
        }
    }

    @Test void translationValidationProvesASmallTableProgram() throws Exception {
        ResolvedPolicy p = MixedPolicy.build();
        TranslationValidator.Result r = TranslationValidator.validate(BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE), p);
        assertTrue(r.valid(), () -> r.problems().get(0).render());
    }
}
