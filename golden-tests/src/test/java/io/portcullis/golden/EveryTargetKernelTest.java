package io.portcullis.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.space.Samples;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every bundled policy, recompiled for each target, gives the reference evaluator's verdict in the kernel, in that
 * target's return codes. Test runs always take an Ethernet frame; for cgroup skb programs the kernel strips it, so
 * the same frames exercise the parser that starts at the IP header (see KernelTest#cgroupTestRunStartsAtTheIpHeader).
 */
class EveryTargetKernelTest {
    @ParameterizedTest
    @EnumSource(Target.class)
    void bundledPoliciesAgreeWithTheEvaluatorOnEveryTarget(Target target) throws Exception {
        check(target, BpfCompiler.Strategy.AUTO);
    }

    /** The same with the decision diagram as .rodata tables (what large policies get): maps made by our loader. */
    @ParameterizedTest
    @EnumSource(Target.class)
    void tableProgramsAgreeWithTheEvaluatorOnEveryTarget(Target target) throws Exception {
        check(target, BpfCompiler.Strategy.TABLE);
    }

    private static void check(Target target, BpfCompiler.Strategy strategy) throws Exception {
        Portcullis.CheckResult r = Portcullis.check(List.of(ExamplePoliciesKernelTest.POLICIES),
                new Portcullis.Options(Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25), Portcullis.KernelMode.NEVER));
        assertFalse(r.fails(Severity.ERROR), "the bundled policies check clean: " + r.diagnostics());
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel test runs skipped: " + a.reason());
        int frames = 0, allowed = 0;
        for (ResolvedPolicy original : r.policies()) {
            ResolvedPolicy p = new ResolvedPolicy(original.name(), target, original.defaultAction(), original.nonIp(),
                    original.rules(), original.expects(), original.asserts(), original.span(), original.defaultSpan());
            try (LoadedProgram prog = LoadedProgram.load(BpfCompiler.compile(p, strategy), target)) {
                assertEquals(target.section(), sectionOf(prog), "program type follows the section");
                for (Packet pkt : Samples.of(p, 1500, 7)) {
                    int want = target.code(Evaluator.evaluate(p, pkt).action());
                    assertEquals(want, prog.run(FrameBuilder.ethernet(pkt)), p.name() + " on " + target.syntax() + ": " + pkt);
                    if (want == target.code(io.portcullis.ir.Action.ALLOW)) allowed++;
                    frames++;
                    if (target.ethernet()) {
                        // VLAN tags exist only below the IP layer; cgroup programs never see them.
                        byte[] tagged = FrameBuilder.variant(pkt).vlan(FrameBuilder.ETH_P_8021Q, 7).ethernet();
                        assertEquals(want, prog.run(tagged), p.name() + " (VLAN) on " + target.syntax() + ": " + pkt);
                        frames++;
                    }
                }
            }
        }
        assertTrue(allowed > 0 && allowed < frames, "both verdicts occur: " + allowed + " of " + frames);
        System.out.println(target.syntax() + " (" + strategy + "): " + frames + " frames equal to the reference evaluator");
    }

    /** The section the image was loaded from decides the program type; it must be the target's. */
    private static String sectionOf(LoadedProgram prog) {
        int type = prog.image().progType();
        return switch (type) {
            case Bpf.PROG_TYPE_XDP -> "xdp";
            case Bpf.PROG_TYPE_SCHED_CLS -> "tc";
            case Bpf.PROG_TYPE_CGROUP_SKB -> prog.image().expectedAttachType() == Bpf.ATTACH_CGROUP_INET_INGRESS
                    ? "cgroup_skb/ingress" : "cgroup_skb/egress";
            default -> "type " + type;
        };
    }
}
