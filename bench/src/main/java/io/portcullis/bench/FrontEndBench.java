package io.portcullis.bench;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.report.JsonReport;
import io.portcullis.report.TextReport;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.PolicyParser;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Times the front end alone, phase by phase, on generated policies: parse (lexer, parser, AST), load (read + parse +
 * resolve, as the CLI does it) and rendering the text and JSON reports of one finding per rule (each with two related
 * rules, as conflict findings have). The checker is left out on purpose: {@link CheckBench} times the whole path.
 * Each size runs {@code --reps} times in one JVM; the first run is the cold one a CLI start sees. Times are wall clock
 * and CPU of the whole process (all threads: JIT and GC count). The peak heap is that of parse+resolve (the sum of the
 * heap pools' peaks, an upper bound), with a collection just before. The digest covers
 * the resolved policies and every diagnostic, so two builds can be compared for identical results.
 *
 * <pre>
 * mvn -B -q -pl bench -am package -DskipTests
 * java -Xmx2g -cp bench/target/classes:$(cat bench/target/classpath.txt) io.portcullis.bench.FrontEndBench [--seed N] [--reps N] [SIZES...]
 * </pre>
 */
public final class FrontEndBench {
    private FrontEndBench() {}

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        long seed = 20261125L;
        int reps = 3;
        Path dir = Path.of("bench", "target", "policies");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> sizes.add(Integer.parseInt(args[i].replace("k", "000")));
            }
        }
        if (sizes.isEmpty()) sizes = List.of(1_000, 10_000, 100_000);
        Files.createDirectories(dir);
        System.out.printf(Locale.ROOT, "seed %d, %d cores, max heap %d MB, java %s, %d runs per size (first = cold)%n",
                seed, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.version"), reps);
        System.out.println("| rules | parse | parse CPU | parse+resolve | parse+resolve CPU | rules/s | text report | json report | peak heap (load) | digest |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        for (int n : sizes) {
            Path file = dir.resolve("frontend-" + n + ".policy");
            RuleGenerator.write(file, n, seed);
            double[] parse = new double[reps], load = new double[reps], text = new double[reps], json = new double[reps];
            double[] parseCpu = new double[reps], loadCpu = new double[reps];
            long peak = 0;
            String digest = null;
            for (int r = 0; r < reps; r++) {
                System.gc();
                List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(p -> p.getType() == MemoryType.HEAP).toList();
                long c0 = cpu();
                long t0 = System.nanoTime();
                String source = Files.readString(file);
                PolicyParser.ParseResult parsed = PolicyParser.parse(new SourceFile(file, file.toString(), source));
                long t1 = System.nanoTime();
                long c1 = cpu();
                if (parsed.file().policies().isEmpty()) throw new IllegalStateException("nothing parsed");
                parsed = null;
                source = null;
                System.gc();
                heap.forEach(MemoryPoolMXBean::resetPeakUsage);
                long c2 = cpu();
                long t2 = System.nanoTime();
                Loader.LoadResult loaded = Loader.load(List.of(file));
                long t3 = System.nanoTime();
                long c3 = cpu();
                peak = Math.max(peak, heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum());
                List<Diagnostic> findings = findings(loaded);
                long t4 = System.nanoTime();
                String textOut = TextReport.render(findings, false);
                long t5 = System.nanoTime();
                String jsonOut = JsonReport.render(findings);
                long t6 = System.nanoTime();
                parse[r] = (t1 - t0) / 1e9;
                load[r] = (t3 - t2) / 1e9;
                parseCpu[r] = (c1 - c0) / 1e9;
                loadCpu[r] = (c3 - c2) / 1e9;
                text[r] = (t5 - t4) / 1e9;
                json[r] = (t6 - t5) / 1e9;
                String d = digest(loaded, textOut, jsonOut);
                if (digest != null && !digest.equals(d)) throw new IllegalStateException("runs differ: " + digest + " " + d);
                digest = d;
            }
            System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %,.0f | %s | %s | %d MB | %s |%n", n, times(parse), times(parseCpu),
                    times(load), times(loadCpu),
                    n / min(load), times(text), times(json), peak >> 20, digest);
        }
    }

    /** One warning per rule, pointing at it, naming the two rules before it: the shape of a conflict finding. */
    private static List<Diagnostic> findings(Loader.LoadResult loaded) {
        List<Diagnostic> out = new ArrayList<>(loaded.diagnostics());
        for (ResolvedPolicy p : loaded.policies()) {
            List<ResolvedRule> rules = p.rules();
            for (int i = 2; i < rules.size(); i++) {
                ResolvedRule a = rules.get(i - 2), b = rules.get(i - 1), r = rules.get(i);
                out.add(new Diagnostic("shadowed", Severity.WARNING, r.span(), "rule '" + r.displayName()
                        + "' never decides a packet: earlier rules cover all of it", "delete it", p.name(), r.label(),
                        List.of(new Diagnostic.Related(a.label(), a.span().line(), a.index(), null),
                                new Diagnostic.Related(b.label(), b.span().line(), b.index(), null)), null, null));
            }
        }
        return out;
    }

    private static String digest(Loader.LoadResult loaded, String text, String json) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(loaded.policies().toString().getBytes(StandardCharsets.UTF_8));
        md.update(loaded.guards().toString().getBytes(StandardCharsets.UTF_8));
        md.update(loaded.networks().toString().getBytes(StandardCharsets.UTF_8));
        md.update(loaded.diagnostics().toString().getBytes(StandardCharsets.UTF_8));
        md.update(text.getBytes(StandardCharsets.UTF_8));
        md.update(json.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest(), 0, 6);
    }

    /** CPU time of the whole process (JIT compiler and garbage collector threads included): steadier than wall time on a busy machine. */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double min(double[] xs) {
        double m = Double.MAX_VALUE;
        for (double x : xs) m = Math.min(m, x);
        return m;
    }

    /** "cold / best warm" when there are several runs. */
    private static String times(double[] xs) {
        if (xs.length == 1) return String.format(Locale.ROOT, "%.3f s", xs[0]);
        double best = Double.MAX_VALUE;
        for (int i = 1; i < xs.length; i++) best = Math.min(best, xs[i]);
        return String.format(Locale.ROOT, "%.3f / %.3f s", xs[0], best);
    }
}
