package io.portcullis.bench;

import io.portcullis.check.Checker;
import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Times the real check path on generated policies: in this JVM (load = parse + resolve, then check), and the CLI
 * ({@code ./portcullis check FILE}) as a separate process, wall clock, start-up included. Besides wall time it reports
 * the CPU time of the check, of the whole process (every thread: the checker's, the JIT's, the collector's) and of
 * the thread that ran it; on a busy machine CPU time says more about the work done than wall time does. With
 * {@code --reps N} each size is loaded and checked N times in this JVM and the run with the least check CPU is shown
 * (later runs are warm). {@code -Dportcullis.threads=N} sets the checker's threads.
 *
 * <pre>
 * mvn -B -q -pl bench -am package -DskipTests
 * java -Xmx2g -XX:TieredStopAtLevel=1 -XX:+UseTransparentHugePages -cp bench/target/classes:$(cat bench/target/classpath.txt) \
 *     io.portcullis.bench.CheckBench [--cli ./portcullis] [--seed N] [--reps N] [SIZES...]
 * </pre>
 */
public final class CheckBench {
    private CheckBench() {}

    record Row(int rules, double loadS, double checkS, double checkCpuS, double checkThreadS, long peakHeap, double cliS,
               int cliExit, Map<String, Integer> codes) {
        double analysisS() { return loadS + checkS; }
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        long seed = 20261125L;
        String cli = Files.isExecutable(Path.of("portcullis")) ? "./portcullis" : null;
        int reps = 1;
        Path dir = Path.of("bench", "target", "policies");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--cli" -> cli = args[++i];
                case "--no-cli" -> cli = null;
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> sizes.add(Integer.parseInt(args[i].replace("k", "000")));
            }
        }
        if (sizes.isEmpty()) sizes = List.of(1_000, 10_000, 100_000);
        Files.createDirectories(dir);
        System.out.printf(Locale.ROOT, "seed %d, %d cores, max heap %d MB, java %s%n", seed,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.version"));
        List<Row> rows = new ArrayList<>();
        for (int n : sizes) {
            Path file = dir.resolve("bench-" + n + ".policy");
            RuleGenerator.write(file, n, seed);
            try {
                Row best = null;
                for (int k = 0; k < reps; k++) {
                    Row r = measure(n, file, k == 0 ? cli : null);
                    if (best == null || r.checkCpuS < best.checkCpuS) best = r.cliS < 0 && best != null ? withCli(r, best) : r;
                }
                rows.add(best);
            } catch (OutOfMemoryError e) {
                // A size that does not fit is a result too: report it and go on with the others.
                System.gc();
                System.out.printf(Locale.ROOT, "%7d rules: out of memory (max heap %d MB)%n", n, Runtime.getRuntime().maxMemory() >> 20);
                continue;
            }
            Row r = rows.get(rows.size() - 1);
            System.out.printf(Locale.ROOT, "%7d rules: load %.2f s, check %.2f s (CPU %.2f s, its thread %.2f s), peak heap"
                            + " %d MB, cli %s; findings %s%n", n, r.loadS, r.checkS, r.checkCpuS, r.checkThreadS,
                    r.peakHeap >> 20, r.cliS < 0 ? "-" : String.format(Locale.ROOT, "%.2f s (exit %d)", r.cliS, r.cliExit),
                    r.codes);
        }
        System.out.println();
        System.out.println("| rules | parse+resolve | check | check CPU | analysis | rules/s | peak heap | CLI wall |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %d | %.2f s | %.2f s | %.2f s | %.2f s | %,.0f | %d MB | %s |%n", r.rules,
                    r.loadS, r.checkS, r.checkCpuS, r.analysisS(), r.rules / r.analysisS(), r.peakHeap >> 20,
                    r.cliS < 0 ? "-" : String.format(Locale.ROOT, "%.2f s", r.cliS));
        }
        Row ten = find(rows, 10_000), hundred = find(rows, 100_000);
        if (ten != null && hundred != null) {
            System.out.printf(Locale.ROOT, "10k -> 100k: analysis x%.1f%s%n", hundred.analysisS() / ten.analysisS(),
                    ten.cliS > 0 ? String.format(Locale.ROOT, ", CLI wall x%.1f", hundred.cliS / ten.cliS) : "");
        }
    }

    private static Row find(List<Row> rows, int n) {
        return rows.stream().filter(r -> r.rules == n).findFirst().orElse(null);
    }

    private static Row withCli(Row r, Row from) {
        return new Row(r.rules, r.loadS, r.checkS, r.checkCpuS, r.checkThreadS, r.peakHeap, from.cliS, from.cliExit, r.codes);
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private static Row measure(int n, Path file, String cli) throws Exception {
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long t0 = System.nanoTime();
        Loader.LoadResult loaded = Loader.load(List.of(file));
        long t1 = System.nanoTime(), c1 = OS.getProcessCpuTime(), h1 = THREADS.getCurrentThreadCpuTime();
        Map<String, Integer> codes = new TreeMap<>();
        for (Diagnostic d : loaded.diagnostics()) codes.merge(d.code(), 1, Integer::sum);
        for (ResolvedPolicy p : loaded.policies()) {
            for (Diagnostic d : Checker.check(p, loaded.guards(), LocalDate.of(2026, 1, 1))) codes.merge(d.code(), 1, Integer::sum);
        }
        long t2 = System.nanoTime(), c2 = OS.getProcessCpuTime(), h2 = THREADS.getCurrentThreadCpuTime();
        // The sum of the pools' peaks bounds the true peak from above (the pools need not peak at the same moment).
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        double cliS = -1;
        int exit = -1;
        if (cli != null) {
            ProcessBuilder pb = new ProcessBuilder(cli, "check", file.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("PORTCULLIS_JAVA_OPTS", "-Xmx2g");
            long c0 = System.nanoTime();
            exit = pb.start().waitFor();
            cliS = (System.nanoTime() - c0) / 1e9;
        }
        return new Row(n, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (c2 - c1) / 1e9, (h2 - h1) / 1e9, peak, cliS, exit, codes);
    }

}
