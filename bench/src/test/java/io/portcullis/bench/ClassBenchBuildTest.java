package io.portcullis.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.verify.ObjectVerifier;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ClassBench-style policy of 100,000 rules, compiled as {@code build} compiles it, passes both verifiers that
 * {@code build} runs: the static verifier (before, it refused the program: LLVM shares one search block between two
 * table chunks, and the join of pointers into two read-only regions was "pointer or scalar") and, where bpf() is
 * allowed, the kernel's.
 */
class ClassBenchBuildTest {
    @Test
    void hundredThousandRulesPassBothVerifiers(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("r100000.policy");
        Files.writeString(f, RuleGenerator.text(100_000, TableTvScaleTest.SEED));
        ResolvedPolicy p = Loader.load(List.of(f)).policies().get(0);
        long t0 = System.nanoTime();
        byte[] obj = BpfCompiler.compile(p);
        long compiled = System.nanoTime();
        ObjectVerifier.Program sv = ObjectVerifier.verify(obj).get(0);
        assertTrue(sv.accepted(), () -> "static verifier: " + sv.verification().problems());
        String kernel;
        Bpf.Availability a = Bpf.availability();
        if (a.available()) {
            KernelVerifier.Verification k = KernelVerifier.verify(obj, p.target());
            assertEquals(KernelVerifier.Status.ACCEPTED, k.status(), () -> k.log().substring(Math.max(0, k.log().length() - 2000)));
            kernel = k.processed() + " processed by the kernel verifier";
        } else {
            kernel = "kernel verifier not run: " + a.reason();
        }
        System.out.printf("ClassBench 100k: compiled in %.1f s, %d instructions, %d bytes; static verifier accepted "
                        + "(estimate %s processed); %s%n", (compiled - t0) / 1e9, sv.verification().slots(), obj.length,
                sv.verification().complexity() == null ? "none" : sv.verification().complexity().processed(), kernel);
    }
}
