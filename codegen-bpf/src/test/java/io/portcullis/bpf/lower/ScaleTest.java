package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Generated policies far past the verifier's 8192-jump wall compile, pass the verifier and give the reference
 * evaluator's verdict on packets drawn inside random rules. CI runs 1,000 and 10,000 rules (10,000 was past the 1M
 * processed-instruction budget before the decision code was made prunable); {@code -Dportcullis.scale.rules=N}
 * runs one more size.
 */
class ScaleTest {
    @ParameterizedTest(name = "{0} rules, {2}")
    @CsvSource({"1000, 3000, DIAGRAM", "1000, 3000, TABLE", "10000, 3000, TABLE", "10000, 3000, AUTO"})
    void generatedPolicyMatchesTheEvaluator(int rules, int packets, BpfCompiler.Strategy strategy) throws Exception {
        check(rules, packets, strategy);
    }

    /** Which strategy AUTO picks: inline for small policies (golden tests stay inline), tables for large ones. */
    @Test void autoPicksInlineForSmallAndTablesForLargePolicies() throws Exception {
        assertTrue(!hasReadOnlyData(BpfCompiler.compile(RuleGen.policy(100, 11, Target.XDP))));
        assertTrue(hasReadOnlyData(BpfCompiler.compile(RuleGen.policy(10_000, 11, Target.XDP))));
    }

    private static boolean hasReadOnlyData(byte[] obj) {
        return io.portcullis.bpf.elf.ElfFile.parse(obj).sectionNames().stream().anyMatch(n -> n.startsWith(".rodata"));
    }

    @Test void sizeFromSystemProperty() throws Exception {
        int rules = Integer.getInteger("portcullis.scale.rules", 0);
        Assumptions.assumeTrue(rules > 0, "set -Dportcullis.scale.rules=N to run a policy of N generated rules");
        BpfCompiler.Strategy s = BpfCompiler.Strategy.valueOf(System.getProperty("portcullis.scale.strategy", "AUTO"));
        check(rules, Integer.getInteger("portcullis.scale.packets", 3000), s);
    }

    /**
     * 100,000 generated rules need an inline diagram of about 4.6M instructions: more than a program may have. Forced
     * inline, compilation stops before LLVM and before loading, naming the limit (AUTO uses tables instead).
     */
    @Test void tooLargeForInlineCodeIsRefusedNamingTheLimit() {
        ResolvedPolicy p = RuleGen.policy(100_000, 11, Target.XDP);
        CodegenException e = assertThrows(CodegenException.class, () -> BpfCompiler.compile(p, BpfCompiler.Strategy.DIAGRAM));
        assertEquals(Limits.PROGRAM_LENGTH, e.limit());
        assertTrue(e.getMessage().contains("1000000 instructions"), e.getMessage());
        assertTrue(e.getMessage().contains("BPF_COMPLEXITY_LIMIT_INSNS"), e.getMessage());
    }

    private static void check(int rules, int packets, BpfCompiler.Strategy strategy) throws Exception {
        ResolvedPolicy p = RuleGen.policy(rules, 11, Target.XDP);
        long t0 = System.nanoTime();
        byte[] obj = BpfCompiler.compile(p, strategy);
        long compileMs = (System.nanoTime() - t0) / 1_000_000;
        // The static verifier (which build runs on every object) accepts it too, kernel or not.
        io.portcullis.bpf.verify.ObjectVerifier.Program sv = io.portcullis.bpf.verify.ObjectVerifier.verify(obj).get(0);
        assertTrue(sv.accepted(), () -> "static verifier: " + sv.verification().problems());
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel test runs skipped: " + a.reason());
        t0 = System.nanoTime();
        KernelVerifier.Verification v = KernelVerifier.verify(obj, p.target());
        long verifyMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(KernelVerifier.Status.ACCEPTED, v.status(), () -> v.log().substring(Math.max(0, v.log().length() - 2000)));
        System.out.printf("scale: %d rules, %s: compile %d ms, verify %d ms, %d instructions, %d processed, %d object bytes%n",
                rules, strategy, compileMs, verifyMs, v.instructions(), v.processed(), obj.length);
        RuleGen gen = new RuleGen(99);
        int late = 0;
        try (LoadedProgram prog = LoadedProgram.load(obj, p.target())) {
            for (int i = 0; i < packets; i++) {
                Packet pkt = gen.packet(p);
                Evaluator.Decision d = Evaluator.evaluate(p, pkt);
                if (d.ruleIndex() > rules / 2) late++;
                assertEquals(p.target().code(d.action()), prog.run(FrameBuilder.ethernet(pkt)), () -> "packet " + pkt);
            }
        }
        // Late rules must decide some packets, or the test would only exercise the first few rules. (With more rules,
        // more of the packets drawn inside a late rule are decided by an earlier overlapping one: 76 of 3000 at 10k.)
        // (43 of 3000 at 100k: the threshold is halved there.)
        int least = rules >= 100_000 ? packets / 100 : packets / 50;
        assertTrue(late >= least, "rules past the middle decided only " + late + " packets");
    }
}
