package io.portcullis.bench;

import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.tv.TranslationValidator;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Times translation validation of one policy's object: {@code TvBench POLICY OBJ [RUNS]}. OBJ is compiled from POLICY
 * (and written) when it does not exist yet, so repeated runs time validation alone. Prints one line per run.
 */
public final class TvBench {
    private TvBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TvBench POLICY OBJ [RUNS]");
            System.exit(2);
        }
        ResolvedPolicy p = Loader.load(List.of(Path.of(args[0]))).policies().get(0);
        Path obj = Path.of(args[1]);
        if (!Files.exists(obj)) {
            long t0 = System.nanoTime();
            Files.write(obj, BpfCompiler.compile(p));
            System.out.printf("compiled %s in %.1f s%n", obj, (System.nanoTime() - t0) / 1e9);
        }
        byte[] elf = Files.readAllBytes(obj);
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        for (int i = 0; i < runs; i++) {
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
            TranslationValidator.Result r = TranslationValidator.validate(elf, p);
            System.out.printf("run %d: %s in %.2f s (%.2f s CPU), %s%n", i + 1, r.valid() ? "proven" : "NOT proven",
                    (System.nanoTime() - t0) / 1e9, (mx.getCurrentThreadCpuTime() - c0) / 1e9, r.stats());
            if (!r.valid()) System.out.println(r.problems().get(0).render());
        }
    }
}
