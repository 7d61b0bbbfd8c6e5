package io.portcullis.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.verify.ObjectVerifier;
import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every bundled policy and every golden case, compiled for each of the five targets, passes the static verifier;
 * where bpf() is allowed, the kernel's verifier accepts the same objects (the two agree).
 */
class StaticVerifierExamplesTest {
    @Test
    void everyExampleOnEveryTargetIsAcceptedByBothVerifiers() throws Exception {
        List<Path> inputs = new ArrayList<>();
        inputs.add(ExamplePoliciesKernelTest.POLICIES);
        try (Stream<Path> s = Files.list(GoldenTest.CASES)) {
            s.filter(d -> Files.isRegularFile(d.resolve("policy.policy"))).sorted().forEach(d -> inputs.add(d.resolve("policy.policy")));
        }
        Bpf.Availability a = Bpf.availability();
        int objects = 0, kernel = 0;
        long nanos = 0;
        double lo = Double.MAX_VALUE, hi = 0;
        List<String> outside = new ArrayList<>();
        for (Path in : inputs) {
            Portcullis.CheckResult r = Portcullis.check(List.of(in),
                    new Portcullis.Options(Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25), Portcullis.KernelMode.NEVER));
            for (ResolvedPolicy original : r.policies()) {
                for (Target t : Target.values()) {
                    ResolvedPolicy p = new ResolvedPolicy(original.name(), t, original.defaultAction(), original.nonIp(),
                            original.rules(), original.expects(), original.asserts(), original.span(), original.defaultSpan());
                    byte[] o = BpfCompiler.compile(p);
                    List<ObjectVerifier.Program> progs = ObjectVerifier.verify(o);
                    assertEquals(1, progs.size());
                    assertTrue(progs.get(0).accepted(), p.name() + " on " + t.syntax() + ": " + progs.get(0).verification().problems());
                    nanos += progs.get(0).verification().nanos();
                    objects++;
                    io.portcullis.bpf.verify.Complexity c = progs.get(0).verification().complexity();
                    assertTrue(c != null && c.complete() && !c.nearLimit(), p.name() + " on " + t.syntax() + ": " + c);
                    if (a.available()) {
                        KernelVerifier.Verification k = KernelVerifier.verify(o, t);
                        assertEquals(KernelVerifier.Status.ACCEPTED, k.status(), p.name() + " on " + t.syntax() + ": " + k.log());
                        kernel++;
                        // The complexity estimate against the kernel's processed count (band as in ComplexityEstimateTest).
                        double ratio = (double) c.processed() / k.processed();
                        lo = Math.min(lo, ratio);
                        hi = Math.max(hi, ratio);
                        if (ratio < 0.85 || ratio > 1.35) {
                            outside.add(p.name() + " on " + t.syntax() + ": estimate " + c.processed() + ", kernel " + k.processed());
                        }
                    }
                }
            }
        }
        assertTrue(objects >= 5 * (inputs.size() + 1), "policies found: " + objects);
        assertTrue(outside.isEmpty(), "complexity estimate/kernel outside [0.85, 1.35]:\n" + String.join("\n", outside));
        if (kernel > 0) System.out.printf("complexity estimate / kernel processed on %d example objects: [%.3f, %.3f]%n", kernel, lo, hi);
        System.out.printf("static verifier: %d example objects accepted (%.1f ms on average)%s%n", objects, nanos / 1e6 / objects,
                a.available() ? ", " + kernel + " accepted by the kernel too" : "; kernel agreement skipped: " + a.reason());
        org.junit.jupiter.api.Assumptions.assumeTrue(a.available(), "kernel agreement on the examples skipped: " + a.reason());
    }
}
