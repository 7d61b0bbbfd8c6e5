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
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.space.Samples;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every bundled example policy, compiled and loaded into the kernel, gives the reference evaluator's verdict on each
 * rule's witness packets, boundary packets and random packets, also behind VLAN tags, IPv4 options and IPv6
 * extension headers.
 */
class ExamplePoliciesKernelTest {
    static final Path POLICIES = Path.of(System.getProperty("golden.cases", "cases")).resolve("../../policies").normalize();

    @Test
    void examplePoliciesAgreeWithTheReferenceEvaluatorInTheKernel() throws Exception {
        Portcullis.CheckResult r = Portcullis.check(List.of(POLICIES),
                new Portcullis.Options(Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25), Portcullis.KernelMode.NEVER));
        assertFalse(r.fails(Severity.ERROR), "the bundled policies check clean: " + r.diagnostics());
        assertTrue(r.policies().size() >= 2, "at least the edge and k8s-node policies");
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel test runs skipped: " + a.reason());
        int total = 0;
        for (ResolvedPolicy p : r.policies()) {
            List<Packet> packets = Samples.of(p, 3000, 42);
            try (LoadedProgram prog = LoadedProgram.load(BpfCompiler.compile(p), p.target())) {
                for (Packet pkt : packets) {
                    int want = p.target().code(Evaluator.evaluate(p, pkt).action());
                    assertEquals(want, prog.run(FrameBuilder.ethernet(pkt)), p.name() + ": " + pkt);
                    FrameBuilder.Variant tagged = FrameBuilder.variant(pkt).vlan(FrameBuilder.ETH_P_8021AD, 100)
                            .vlan(FrameBuilder.ETH_P_8021Q, 200);
                    assertEquals(want, prog.run(tagged.ethernet()), p.name() + " (QinQ): " + pkt);
                    FrameBuilder.Variant v = FrameBuilder.variant(pkt);
                    if (pkt.family() == Family.IPV4) v.ipv4Options(2);
                    else if (!pkt.nonFirstFragment()) v.ipv6Extension(FrameBuilder.Ipv6Ext.DEST_OPTS)
                            .ipv6Extension(FrameBuilder.Ipv6Ext.ROUTING);
                    assertEquals(want, prog.run(v.ethernet()), p.name() + " (options/extension headers): " + pkt);
                    total += 3;
                }
            }
        }
        System.out.println("example policies in the kernel: " + r.policies().size() + " policies, " + total
                + " frames, all equal to the reference evaluator");
    }
}
