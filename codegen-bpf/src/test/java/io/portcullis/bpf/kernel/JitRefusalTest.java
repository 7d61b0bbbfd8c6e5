package io.portcullis.bpf.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.Target;
import java.io.InputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A program the kernel verifier accepts and the x86-64 JIT of Linux 6.18 then refuses (load fails with ENOTSUPP, the
 * kernel logs "bpf_jit: fatal error"): {@code jit/refused-by-x86-jit.o}, a cgroup ingress program our compiler wrote
 * for a random policy of {@code DifferentialPropertyTest} while a jump-folding layout change (since reverted) was in.
 * The refusal must be explained as the JIT's, not reported as the verifier finding the program unsafe. On a kernel
 * whose JIT takes the program the test says so and checks that it loads.
 */
class JitRefusalTest {
    @Test
    void aRefusalAfterTheVerifierIsExplainedAsTheJits() throws Exception {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel tests skipped: " + a.reason());
        byte[] elf;
        try (InputStream in = JitRefusalTest.class.getResourceAsStream("/jit/refused-by-x86-jit.o")) {
            elf = in.readAllBytes();
        }
        KernelVerifier.Verification v = KernelVerifier.verify(elf, Target.CGROUP_INGRESS);
        if (v.status() == KernelVerifier.Status.ACCEPTED) {
            System.out.println("jit refusal: this kernel's JIT takes the program (" + v.processed() + " processed); nothing to explain");
            assertTrue(v.processed() > 0, "the verifier's count is there");
            return;
        }
        assertEquals(KernelVerifier.Status.REJECTED, v.status(), v.log());
        assertTrue(v.enotsupp() && v.log().startsWith("bpf(BPF_PROG_LOAD) failed: ENOTSUPP"),
                v.log().lines().findFirst().orElse(""));
        assertTrue(v.log().contains(KernelVerifier.AFTER_VERIFIER), "the refusal is explained as the JIT's");
        assertTrue(v.processed() > 0, "the verifier went through the program: " + v.processed() + " processed");
        System.out.println("jit refusal: refused after " + v.processed() + " processed instructions, explained as the JIT's");
    }
}
