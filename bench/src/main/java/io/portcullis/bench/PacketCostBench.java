package io.portcullis.bench;

import io.portcullis.bpf.asm.Asm;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.BpfException;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.kernel.ProgramImage;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.lower.CodegenException;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-packet cost, side by side, in one run: for each policy size it builds a constant-verdict program (the floor:
 * what BPF_PROG_TEST_RUN itself costs), the linear first-match chain most eBPF firewalls use
 * ({@link BpfCompiler.Strategy#LINEAR}) and Portcullis's program in both forms (the decision diagram inline, and as
 * read-only tables), then times each on the same frames with
 * BPF_PROG_TEST_RUN (the kernel's average duration over {@code repeat} runs, median over rounds, programs interleaved
 * so that load from other processes hits all of them alike). Every run's return value is compared with the reference
 * evaluator's verdict. A program the kernel refuses is reported with the verifier's reason.
 *
 * <pre>
 * mvn -B -q -pl bench -am package -DskipTests
 * java -Xmx4g -cp bench/target/classes:$(cat bench/target/classpath.txt) io.portcullis.bench.PacketCostBench \
 *     [--seed N] [--repeat N] [--rounds N] [--only linear,inline,table] [10 100 1k 10k 100k]
 * </pre>
 * {@code --only} builds and times just the listed programs besides the floor (a quick look at one strategy).
 */
public final class PacketCostBench {
    private PacketCostBench() {}

    /**
     * The programs compared: the floor, the linear baseline, and Portcullis's two decision strategies, the diagram
     * inline as code and as .rodata tables; {@link SizeResult#chosen} is the one a build picks for the size.
     */
    public enum Kind { FLOOR, LINEAR, INLINE, TABLE }

    /** A program of one kind for one size: loaded ({@code program} set) or not, with the reason. */
    public static final class Built implements AutoCloseable {
        public final Kind kind;
        public final long compileMs;
        public final int instructions;
        public final int processed;
        /** Null when loaded; otherwise "not compiled: ..." or "refused by verifier: ...". */
        public final String failure;
        final LoadedProgram program;

        Built(Kind kind, long compileMs, int instructions, int processed, String failure, LoadedProgram program) {
            this.kind = kind;
            this.compileMs = compileMs;
            this.instructions = instructions;
            this.processed = processed;
            this.failure = failure;
            this.program = program;
        }

        public boolean loaded() { return program != null; }

        @Override public void close() {
            if (program != null) program.close();
        }
    }

    /** One timing: median ns per packet over the rounds, and whether every run returned the expected verdict. */
    public record Timing(double ns, boolean verdictsCorrect, int retval) {}

    /** The results for one size. {@code times} maps packet kind, then program kind, to a timing (absent if not loaded). */
    public record SizeResult(int rules, Map<Kind, Built> programs, List<PacketKinds.Probe> probes,
                             Map<String, Map<Kind, Timing>> times, Kind chosen) {
        public Timing time(String packet, Kind k) { return times.getOrDefault(packet, Map.of()).get(k); }
    }

    public record Config(List<Integer> sizes, long seed, int repeat, int rounds, Path dir, java.util.Set<Kind> kinds) {
        public Config(List<Integer> sizes, long seed, int repeat, int rounds, Path dir) {
            this(sizes, seed, repeat, rounds, dir, java.util.EnumSet.allOf(Kind.class));
        }
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        long seed = 20261125L;
        int repeat = 100_000, rounds = 7;
        Path dir = Path.of("bench", "target", "policies");
        java.util.Set<Kind> kinds = java.util.EnumSet.allOf(Kind.class);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--only" -> {
                    kinds = java.util.EnumSet.of(Kind.FLOOR);
                    for (String k : args[++i].split(",")) kinds.add(Kind.valueOf(k.strip().toUpperCase(Locale.ROOT)));
                }
                default -> sizes.add(Integer.parseInt(args[i].replace("k", "000")));
            }
        }
        if (sizes.isEmpty()) sizes = List.of(10, 100, 1_000, 10_000, 100_000);
        Bpf.Availability a = Bpf.availability();
        if (!a.available()) {
            System.err.println("PacketCostBench needs bpf(): " + a.reason());
            System.exit(2);
        }
        System.out.printf(Locale.ROOT, "seed %d, repeat %d, %d rounds (median), %d cores, kernel %s, java %s%n", seed,
                repeat, rounds, Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"),
                System.getProperty("java.version"));
        List<SizeResult> results = new ArrayList<>();
        Config config = new Config(sizes, seed, repeat, rounds, dir, kinds);
        for (int n : sizes) {
            SizeResult r = measure(n, config, System.out);
            results.add(r);
            r.programs().values().forEach(Built::close);
        }
        System.out.println();
        System.out.print(programTable(results));
        System.out.println();
        System.out.print(costTable(results));
        System.out.println();
        System.out.print(goals(results));
        boolean wrong = results.stream().flatMap(r -> r.times().values().stream()).flatMap(m -> m.values().stream())
                .anyMatch(t -> !t.verdictsCorrect());
        if (wrong) {
            System.out.println("ERROR: some program returned a verdict other than the reference evaluator's");
            System.exit(1);
        }
    }

    /** Builds, loads and times the programs for one size; the caller closes the programs. */
    public static SizeResult measure(int n, Config config, java.io.PrintStream log) throws Exception {
        Files.createDirectories(config.dir());
        Path file = config.dir().resolve("cost-" + n + ".policy");
        RuleGenerator.write(file, n, config.seed());
        long t0 = System.nanoTime();
        Loader.LoadResult loaded = Loader.load(List.of(file));
        if (loaded.policies().size() != 1) {
            throw new IllegalStateException("generated policy did not load: " + loaded.diagnostics());
        }
        ResolvedPolicy policy = loaded.policies().get(0);
        log.printf(Locale.ROOT, "%d rules: loaded in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
        List<PacketKinds.Probe> probes = PacketKinds.pick(policy, config.seed());
        for (PacketKinds.Probe p : probes) {
            log.printf(Locale.ROOT, "  %-10s %s (%s)%n", p.name(), p.packet(), p.decidedBy());
        }
        Map<Kind, Built> programs = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            if (!config.kinds().contains(k)) continue;
            Built b = build(k, policy);
            programs.put(k, b);
            log.printf(Locale.ROOT, "  %-10s %s%n", k.name().toLowerCase(Locale.ROOT), describe(b));
        }
        Map<String, Map<Kind, double[]>> samples = new LinkedHashMap<>();
        Map<String, Map<Kind, Boolean>> correct = new LinkedHashMap<>();
        Map<String, Map<Kind, Integer>> retvals = new LinkedHashMap<>();
        for (int round = 0; round < config.rounds(); round++) {
            for (PacketKinds.Probe p : probes) {
                byte[] frame = FrameBuilder.ethernet(p.packet());
                int expected = policy.target().code(p.verdict());
                for (Built b : programs.values()) {
                    if (!b.loaded()) continue;
                    LoadedProgram.RunStats s = b.program.run(frame, config.repeat());
                    samples.computeIfAbsent(p.name(), x -> new LinkedHashMap<>())
                            .computeIfAbsent(b.kind, x -> new double[config.rounds()])[round] = s.averageNs();
                    boolean ok = b.kind == Kind.FLOOR || s.retval() == expected;
                    correct.computeIfAbsent(p.name(), x -> new LinkedHashMap<>()).merge(b.kind, ok, Boolean::logicalAnd);
                    retvals.computeIfAbsent(p.name(), x -> new LinkedHashMap<>()).put(b.kind, s.retval());
                }
            }
        }
        Map<String, Map<Kind, Timing>> times = new LinkedHashMap<>();
        for (var e : samples.entrySet()) {
            Map<Kind, Timing> m = new LinkedHashMap<>();
            for (var k : e.getValue().entrySet()) {
                m.put(k.getKey(), new Timing(median(k.getValue()), correct.get(e.getKey()).get(k.getKey()),
                        retvals.get(e.getKey()).get(k.getKey())));
            }
            times.put(e.getKey(), m);
        }
        Kind chosen;
        try {
            chosen = BpfCompiler.strategyFor(policy) == BpfCompiler.Strategy.TABLE ? Kind.TABLE : Kind.INLINE;
        } catch (CodegenException e) {
            chosen = Kind.TABLE;
        }
        return new SizeResult(n, programs, probes, times, chosen);
    }

    static Built build(Kind kind, ResolvedPolicy policy) {
        long t0 = System.nanoTime();
        byte[] object;
        ProgramImage image;
        try {
            if (kind == Kind.FLOOR) {
                image = ProgramImage.of(Asm.program(Asm.mov64Imm(0, policy.target().code(Action.ALLOW)), Asm.exit()),
                        policy.target(), "GPL", "floor");
            } else {
                object = BpfCompiler.compile(policy, kind == Kind.LINEAR ? BpfCompiler.Strategy.LINEAR
                        : kind == Kind.INLINE ? BpfCompiler.Strategy.DIAGRAM : BpfCompiler.Strategy.TABLE);
                image = ProgramImage.fromElf(object, policy.target());
            }
        } catch (CodegenException e) {
            return new Built(kind, ms(t0), -1, -1, "not compiled: " + e.getMessage(), null);
        }
        long compileMs = ms(t0);
        KernelVerifier.Verification v = KernelVerifier.verify(image);
        if (v.status() != KernelVerifier.Status.ACCEPTED) {
            return new Built(kind, compileMs, image.instructions(), v.processed(), "refused by verifier: " + reason(v.log()), null);
        }
        try {
            return new Built(kind, compileMs, image.instructions(), v.processed(), null, LoadedProgram.load(image));
        } catch (BpfException e) {
            return new Built(kind, compileMs, image.instructions(), v.processed(),
                    "refused by verifier: " + reason(e.getMessage() + "\n" + e.log()), null);
        }
    }

    /**
     * The line of a verifier log that says why: the kernel ends a rejection with the cause ("BPF program is too
     * large...", "The sequence of 8193 jumps is too complex.") followed by statistics lines, which are skipped.
     */
    static String reason(String log) {
        String[] lines = log.strip().split("\n");
        String errno = lines.length > 0 && lines[0].startsWith("bpf(") ? lines[0] : "";
        for (int i = lines.length - 1; i > 0; i--) {
            String l = lines[i].strip();
            if (l.isEmpty() || l.startsWith("processed ") || l.startsWith("verification time")
                    || l.startsWith("stack depth") || l.startsWith("mark_precise") || l.startsWith("max_states")) continue;
            return l + (errno.isEmpty() ? "" : " [" + errno.replace("bpf(BPF_PROG_LOAD) failed: ", "") + "]");
        }
        return errno.isEmpty() ? "no reason given" : errno;
    }

    private static long ms(long t0) { return (System.nanoTime() - t0) / 1_000_000; }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String describe(Built b) {
        String size = b.instructions < 0 ? "" : String.format(Locale.ROOT, "%,d instructions, ", b.instructions);
        String compile = String.format(Locale.ROOT, "built in %.2f s", b.compileMs / 1000.0);
        if (!b.loaded()) return size + compile + "; " + b.failure;
        return size + compile + String.format(Locale.ROOT, ", %,d processed by the verifier", b.processed);
    }

    public static String programTable(List<SizeResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| rules | program | instructions | verifier processed | build | status |\n");
        sb.append("| ---: | --- | ---: | ---: | ---: | --- |\n");
        for (SizeResult r : results) {
            for (Built b : r.programs().values()) {
                sb.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %.2f s | %s |%n", r.rules(),
                        b.kind.name().toLowerCase(Locale.ROOT), b.instructions < 0 ? "-" : String.format(Locale.ROOT, "%,d", b.instructions),
                        b.processed < 0 ? "-" : String.format(Locale.ROOT, "%,d", b.processed), b.compileMs / 1000.0,
                        b.loaded() ? "loaded" : b.failure.replace("|", "\\|")));
            }
        }
        return sb.toString();
    }

    public static String costTable(List<SizeResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| rules | packet | floor ns | linear ns | inline ns | table ns | inline/floor | table/floor | built as | linear/built |\n");
        sb.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n");
        for (SizeResult r : results) {
            for (PacketKinds.Probe p : r.probes()) {
                Timing f = r.time(p.name(), Kind.FLOOR), l = r.time(p.name(), Kind.LINEAR);
                Timing in = r.time(p.name(), Kind.INLINE), t = r.time(p.name(), Kind.TABLE), o = r.time(p.name(), r.chosen());
                sb.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.rules(), p.name(),
                        ns(f), cell(r, Kind.LINEAR, l), cell(r, Kind.INLINE, in), cell(r, Kind.TABLE, t),
                        f != null && in != null ? ratio(in.ns() / f.ns()) : "-",
                        f != null && t != null ? ratio(t.ns() / f.ns()) : "-",
                        r.chosen().name().toLowerCase(Locale.ROOT),
                        l != null && o != null ? ratio(l.ns() / o.ns()) : "-"));
            }
        }
        return sb.toString();
    }

    /** The goals of issue #4, each stated as met or not met from the figures above; nothing is assumed. */
    public static String goals(List<SizeResult> results) {
        StringBuilder sb = new StringBuilder();
        for (SizeResult r : results) {
            Built ours = r.programs().get(r.chosen()), linear = r.programs().get(Kind.LINEAR);
            if (ours == null) {
                sb.append(String.format(Locale.ROOT, "%,d rules: portcullis (%s) not measured (--only)%n", r.rules(),
                        r.chosen().name().toLowerCase(Locale.ROOT)));
                continue;
            }
            if (!ours.loaded()) {
                sb.append(String.format(Locale.ROOT, "%,d rules: portcullis %s%n", r.rules(), ours.failure));
                continue;
            }
            double worstOverFloor = 0, leastSpeedup = Double.POSITIVE_INFINITY;
            for (PacketKinds.Probe p : r.probes()) {
                Timing f = r.time(p.name(), Kind.FLOOR), o = r.time(p.name(), r.chosen()), l = r.time(p.name(), Kind.LINEAR);
                worstOverFloor = Math.max(worstOverFloor, o.ns() / f.ns());
                if (l != null) leastSpeedup = Math.min(leastSpeedup, l.ns() / o.ns());
            }
            sb.append(String.format(Locale.ROOT, "%,d rules: portcullis (%s) at most %s the floor", r.rules(),
                    r.chosen().name().toLowerCase(Locale.ROOT), ratio(worstOverFloor)));
            if (r.rules() == 10_000) sb.append(worstOverFloor <= 3 ? " (goal <= 3x: met)" : " (goal <= 3x: NOT met)");
            if (linear == null) {
                sb.append("; linear baseline not measured (--only)");
            } else if (linear.loaded()) {
                double goal = r.rules() >= 1_000 ? 10 : 1;
                sb.append(String.format(Locale.ROOT, "; linear at least %s portcullis (goal %s: %s)", ratio(leastSpeedup),
                        goal == 1 ? "faster" : ">= 10x", leastSpeedup > goal || goal == 10 && leastSpeedup >= goal ? "met" : "NOT met"));
            } else {
                sb.append("; linear baseline ").append(linear.failure);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A timing, "refused" when the program did not load, "-" when it was not built (--only). */
    private static String cell(SizeResult r, Kind k, Timing t) {
        if (t != null) return ns(t);
        return r.programs().containsKey(k) ? "refused" : "-";
    }

    private static String ns(Timing t) {
        if (t == null) return "-";
        return String.format(Locale.ROOT, "%.0f%s", t.ns(), t.verdictsCorrect() ? "" : " (WRONG VERDICT)");
    }

    private static String ratio(double x) { return String.format(Locale.ROOT, x >= 10 ? "%.0fx" : "%.1fx", x); }
}
