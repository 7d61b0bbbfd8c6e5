package io.portcullis.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.interp.Interpreter;
import io.portcullis.bpf.interp.Program;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.space.Samples;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bundled policies, compiled for each target, give the reference evaluator's verdict in the BPF interpreter: the
 * same packets as {@link EveryTargetKernelTest}, but with no kernel needed, so this runs on every machine.
 */
class EveryTargetInterpreterTest {
    @ParameterizedTest
    @EnumSource(Target.class)
    void bundledPoliciesAgreeWithTheEvaluatorInTheInterpreter(Target target) throws Exception {
        Portcullis.CheckResult r = Portcullis.check(List.of(ExamplePoliciesKernelTest.POLICIES),
                new Portcullis.Options(Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25), Portcullis.KernelMode.NEVER));
        assertFalse(r.fails(Severity.ERROR), "the bundled policies check clean: " + r.diagnostics());
        int frames = 0, allowed = 0;
        for (ResolvedPolicy original : r.policies()) {
            ResolvedPolicy p = new ResolvedPolicy(original.name(), target, original.defaultAction(), original.nonIp(),
                    original.rules(), original.expects(), original.asserts(), original.span(), original.defaultSpan());
            Program prog = Program.fromElf(BpfCompiler.compile(p), target);
            for (Packet pkt : Samples.of(p, 1500, 7)) {
                int want = target.code(Evaluator.evaluate(p, pkt).action());
                assertEquals(want, Interpreter.testRun(prog, FrameBuilder.ethernet(pkt)).retval(),
                        p.name() + " on " + target.syntax() + ": " + pkt);
                if (want == target.code(Action.ALLOW)) allowed++;
                frames++;
                if (target.ethernet()) {
                    byte[] tagged = FrameBuilder.variant(pkt).vlan(FrameBuilder.ETH_P_8021AD, 7).vlan(FrameBuilder.ETH_P_8021Q, 9).ethernet();
                    assertEquals(want, Interpreter.testRun(prog, tagged).retval(), p.name() + " (QinQ) on " + target.syntax() + ": " + pkt);
                    frames++;
                }
            }
        }
        assertTrue(allowed > 0 && allowed < frames, "both verdicts occur: " + allowed + " of " + frames);
        System.out.println(target.syntax() + ": " + frames + " frames in the interpreter equal to the reference evaluator");
    }
}
