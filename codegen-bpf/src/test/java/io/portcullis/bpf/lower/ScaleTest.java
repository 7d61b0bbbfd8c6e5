package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Generated policies far past the verifier's 8192-jump wall compile, pass the verifier and give the reference
 * evaluator's verdict on packets drawn inside random rules.
 */
class ScaleTest {
    @ParameterizedTest(name = "{0} rules")
    // 10,000 and 100,000 rules are not here yet: the verifier's 1M processed-instruction budget runs out (README).
    @CsvSource({"1000, 3000"})
    void generatedPolicyMatchesTheEvaluator(int rules, int packets) throws Exception {
        ResolvedPolicy p = RuleGen.policy(rules, 11, Target.XDP);
        long t0 = System.nanoTime();
        byte[] obj = BpfCompiler.compile(p);
        long compileMs = (System.nanoTime() - t0) / 1_000_000;
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel test runs skipped: " + a.reason());
        t0 = System.nanoTime();
        KernelVerifier.Verification v = KernelVerifier.verify(obj, p.target());
        long verifyMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(KernelVerifier.Status.ACCEPTED, v.status(), () -> v.log().substring(Math.max(0, v.log().length() - 2000)));
        System.out.printf("scale: %d rules: compile %d ms, verify %d ms, %d instructions, %d processed%n",
                rules, compileMs, verifyMs, v.instructions(), v.processed());
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
        // Late rules must decide some packets, or the test would only exercise the first few rules.
        assertTrue(late > packets / 20, "rules past the middle decided only " + late + " packets");
    }
}
