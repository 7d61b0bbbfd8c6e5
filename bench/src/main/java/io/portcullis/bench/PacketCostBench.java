package io.portcullis.bench;

import io.portcullis.bpf.asm.Asm;
import io.portcullis.bpf.interp.Hook;
import io.portcullis.bpf.interp.Interpreter;
import io.portcullis.bpf.interp.Program;
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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * read-only tables), then times each on the same frames, programs interleaved so that load from other processes hits
 * all of them alike. Every run's return value is compared with the reference evaluator's verdict. A program the kernel
 * refuses is reported with the verifier's reason.
 *
 * <p><b>How a figure is taken.</b> The kernel reports {@code duration}, the integer part of (time spent in its test
 * loop) / repeat, so it cannot tell 8.1 ns from 8.9 ns. Each sample is therefore two BPF_PROG_TEST_RUN calls on the
 * same program and frame, one with {@code repeat} runs and one with {@code SLOPE_FACTOR * repeat}, and the harness
 * reads this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) around each call. The difference of the two calls' times
 * divided by the difference of their run counts is the cost of one run of the kernel's loop: everything paid once
 * per call (JNA, copying the frame in, the kernel's setup and teardown, the clock reads) is the same in both calls
 * and cancels, and nothing else is subtracted. Thread CPU time, like the kernel's own figure, leaves out the time the
 * thread is off the CPU (the kernel's loop stops its clock while it reschedules), so other processes on this shared
 * machine slow a figure mostly through the caches they share. But not only: softirq work that other processes leave
 * pending runs in this thread when the test loop re-enables bottom halves, and the fixed cost of a call varies, so a
 * call is sometimes milliseconds slower than it should be, never faster. A figure is therefore the slope between the
 * fastest shorter call and the fastest longer call over all rounds (interference only adds time, so the minima are
 * the least disturbed); the slope of each round is kept for paired comparisons (rounds interleave the programs) and
 * its spread is printed. Wall-clock time is read too, as a cross-check, and the kernel's integer figure (of the
 * longer call; the smallest over the rounds, for the same reason) is kept beside each figure: a sub-ns figure should
 * lie in [k, k+1), and one more than 0.25 ns outside is marked '~' in the table (a disturbed measurement).
 * The instructions each program executes per packet are counted once by our interpreter (deterministic).
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
        /** The program for our interpreter (instruction counts), or null when it was not compiled. */
        final Program interpreted;

        Built(Kind kind, long compileMs, int instructions, int processed, String failure, LoadedProgram program,
              Program interpreted) {
            this.kind = kind;
            this.compileMs = compileMs;
            this.instructions = instructions;
            this.processed = processed;
            this.failure = failure;
            this.program = program;
            this.interpreted = interpreted;
        }

        public boolean loaded() { return program != null; }

        @Override public void close() {
            if (program != null) program.close();
        }
    }

    /**
     * One timing over the rounds: {@code ns} the CPU-time slope per run between the fastest shorter call and the fastest
     * longer call of all rounds (sub-ns, see the class comment),
     * {@code wallNs} the median wall-clock slope, {@code kernelNs} the smallest of the kernel's integer figures,
     * {@code perRound} the slope of each round (in order, for paired comparisons of interleaved programs),
     * {@code steps} the instructions executed per packet (interpreter; -1 if unknown), and whether every run returned
     * the expected verdict.
     */
    public record Timing(double ns, double wallNs, double kernelNs, double[] perRound, int steps,
                         boolean verdictsCorrect, int retval) {}

    /**
     * Runs in the shorter call of a sample. Each XDP test run with repeat &gt; 1 also swaps the program into the XDP
     * dispatcher and back (bpf_prog_change_xdp), a fixed cost of about 0.3-0.7 ms on this machine that varies from call to
     * call; it cancels in the slope, but its variation divided by the 2,000,000 runs the two calls differ by is what
     * limits the precision (about 0.1-0.2 ns per sample; hence the median over rounds).
     */
    public static final int DEFAULT_REPEAT = 1_000_000;

    /** The longer call of a sample runs this many times as many repeats as the shorter one. */
    public static final int SLOPE_FACTOR = 3;

    /**
     * One sample: the kernel's integer average of the longer call, the CPU time of the shorter and the longer call,
     * their slope per run, the wall-clock slope, and the return value.
     */
    public record Sample(long kernelNs, long shortCpuNs, long longCpuNs, double cpuNs, double wallNs, int retval) {}

    /**
     * The cost of one run from two calls of {@code repeat} and {@code factor * repeat} runs that took {@code shortNs}
     * and {@code longNs}: what the calls have in common cancels.
     */
    public static double slope(long shortNs, long longNs, int repeat, int factor) {
        return (double) (longNs - shortNs) / ((long) (factor - 1) * repeat);
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Times {@code p} on {@code frame}: two test runs, {@code repeat} and {@link #SLOPE_FACTOR} times as many. */
    public static Sample sample(LoadedProgram p, byte[] frame, int repeat) {
        long c0 = THREADS.getCurrentThreadCpuTime(), w0 = System.nanoTime();
        p.run(frame, repeat);
        long c1 = THREADS.getCurrentThreadCpuTime(), w1 = System.nanoTime();
        LoadedProgram.RunStats s = p.run(frame, SLOPE_FACTOR * repeat);
        long c2 = THREADS.getCurrentThreadCpuTime(), w2 = System.nanoTime();
        return new Sample(s.averageNs(), c1 - c0, c2 - c1, slope(c1 - c0, c2 - c1, repeat, SLOPE_FACTOR),
                slope(w1 - w0, w2 - w1, repeat, SLOPE_FACTOR), s.retval());
    }

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
        int repeat = DEFAULT_REPEAT, rounds = 7;
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
        if (!THREADS.isCurrentThreadCpuTimeSupported()) {
            System.err.println("PacketCostBench needs the thread CPU clock (ThreadMXBean.getCurrentThreadCpuTime)");
            System.exit(2);
        }
        THREADS.setThreadCpuTimeEnabled(true);
        System.out.printf(Locale.ROOT, "seed %d, repeat %d and %d, %d rounds (median), %d cores, kernel %s, java %s, load %s%n",
                seed, repeat, SLOPE_FACTOR * repeat, rounds, Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.version"), System.getProperty("java.version"), loadAverage());
        List<SizeResult> results = new ArrayList<>();
        Config config = new Config(sizes, seed, repeat, rounds, dir, kinds);
        for (int n : sizes) {
            SizeResult r = measure(n, config, System.out);
            results.add(r);
            r.programs().values().forEach(Built::close);
        }
        System.out.println();
        System.out.println("load average at the end: " + loadAverage());
        System.out.println();
        System.out.print(programTable(results));
        System.out.println();
        System.out.print(costTable(results));
        System.out.println();
        System.out.print(stepsTable(results));
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
        // Warm-up: one short call per program and frame (page faults, JNA and JIT paths), not recorded.
        for (PacketKinds.Probe p : probes) {
            for (Built b : programs.values()) if (b.loaded()) b.program.run(FrameBuilder.ethernet(p.packet()), 1_000);
        }
        int rounds = config.rounds();
        Map<String, Map<Kind, Sample[]>> samples = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (PacketKinds.Probe p : probes) {
                byte[] frame = FrameBuilder.ethernet(p.packet());
                for (Built b : programs.values()) {
                    if (!b.loaded()) continue;
                    samples.computeIfAbsent(p.name(), x -> new LinkedHashMap<>())
                            .computeIfAbsent(b.kind, x -> new Sample[rounds])[round] = sample(b.program, frame, config.repeat());
                }
            }
        }
        Map<String, Map<Kind, Timing>> times = new LinkedHashMap<>();
        for (PacketKinds.Probe p : probes) {
            Map<Kind, Sample[]> byKind = samples.get(p.name());
            if (byKind == null) continue;
            byte[] frame = FrameBuilder.ethernet(p.packet());
            int expected = policy.target().code(p.verdict());
            Map<Kind, Timing> m = new LinkedHashMap<>();
            for (var e : byKind.entrySet()) {
                Sample[] ss = e.getValue();
                boolean ok = true;
                for (Sample x : ss) ok &= e.getKey() == Kind.FLOOR || x.retval() == expected;
                double[] cpu = new double[rounds], wall = new double[rounds], kernel = new double[rounds];
                long shortest = Long.MAX_VALUE, longest = Long.MAX_VALUE;
                for (int i = 0; i < rounds; i++) {
                    cpu[i] = ss[i].cpuNs();
                    wall[i] = ss[i].wallNs();
                    kernel[i] = ss[i].kernelNs();
                    shortest = Math.min(shortest, ss[i].shortCpuNs());
                    longest = Math.min(longest, ss[i].longCpuNs());
                }
                m.put(e.getKey(), new Timing(slope(shortest, longest, config.repeat(), SLOPE_FACTOR), median(wall), min(kernel), cpu,
                        steps(programs.get(e.getKey()), frame), ok, ss[rounds - 1].retval()));
            }
            times.put(p.name(), m);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-10s", p.name()));
            for (var e : m.entrySet()) {
                double[] r = e.getValue().perRound().clone();
                Arrays.sort(r);
                line.append(String.format(Locale.ROOT, "  %s %.2f [%.2f-%.2f] cpu / %.2f wall / %.0f kernel ns",
                        e.getKey().name().toLowerCase(Locale.ROOT), e.getValue().ns(), r[0], r[r.length - 1],
                        e.getValue().wallNs(), e.getValue().kernelNs()));
            }
            log.println(line);
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
        Program interpreted;
        try {
            if (kind == Kind.FLOOR) {
                byte[] code = Asm.program(Asm.mov64Imm(0, policy.target().code(Action.ALLOW)), Asm.exit());
                image = ProgramImage.of(code, policy.target(), "GPL", "floor");
                interpreted = Program.of(Hook.of(policy.target()), "floor", code);
            } else {
                object = BpfCompiler.compile(policy, kind == Kind.LINEAR ? BpfCompiler.Strategy.LINEAR
                        : kind == Kind.INLINE ? BpfCompiler.Strategy.DIAGRAM : BpfCompiler.Strategy.TABLE);
                image = ProgramImage.fromElf(object, policy.target());
                interpreted = Program.fromElf(object, policy.target());
            }
        } catch (CodegenException e) {
            return new Built(kind, ms(t0), -1, -1, "not compiled: " + e.getMessage(), null, null);
        }
        long compileMs = ms(t0);
        KernelVerifier.Verification v = KernelVerifier.verify(image);
        if (v.status() != KernelVerifier.Status.ACCEPTED) {
            return new Built(kind, compileMs, image.instructions(), v.processed(), "refused by verifier: " + reason(v.log()),
                    null, interpreted);
        }
        try {
            return new Built(kind, compileMs, image.instructions(), v.processed(), null, LoadedProgram.load(image),
                    interpreted);
        } catch (BpfException e) {
            return new Built(kind, compileMs, image.instructions(), v.processed(),
                    "refused by verifier: " + reason(e.getMessage() + "\n" + e.log()), null, interpreted);
        }
    }

    /** Instructions {@code b} executes on {@code frame} in our interpreter; -1 if it cannot run there. */
    static int steps(Built b, byte[] frame) {
        if (b == null || b.interpreted == null) return -1;
        try {
            return Interpreter.testRun(b.interpreted, frame).steps();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them ("?" where there is none). */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "?";
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

    private static double min(double[] xs) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : xs) m = Math.min(m, x);
        return m;
    }

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

    /**
     * Sub-ns figures (median CPU-time slope per run), the kernel's integer figure in parentheses, ratios from the
     * sub-ns figures; {@code linear/built} is the linear chain's cost over the program {@code build} picks.
     */
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
                        l != null && o != null ? ratio2(l.ns() / o.ns()) : "-"));
            }
        }
        return sb.toString();
    }

    /** Instructions executed per packet (our interpreter), per program; "-" where the program was not built. */
    public static String stepsTable(List<SizeResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| rules | packet | floor insns | linear insns | inline insns | table insns |\n");
        sb.append("| ---: | --- | ---: | ---: | ---: | ---: |\n");
        for (SizeResult r : results) {
            for (PacketKinds.Probe p : r.probes()) {
                sb.append(String.format(Locale.ROOT, "| %,d | %s |", r.rules(), p.name()));
                for (Kind k : Kind.values()) {
                    Built b = r.programs().get(k);
                    int n = b == null ? -1 : steps(b, FrameBuilder.ethernet(p.packet()));
                    sb.append(n < 0 ? " - |" : String.format(Locale.ROOT, " %,d |", n));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** Whether the sub-ns figure lies more than 0.25 ns outside [k, k + 1), k the kernel's integer figure. */
    public static boolean disturbed(Timing t) {
        return t.ns() < t.kernelNs() - 0.25 || t.ns() > t.kernelNs() + 1.25;
    }

    /** In how many rounds {@code a} was cheaper than {@code b} (rounds interleave the programs, so they pair up). */
    public static int roundsCheaper(Timing a, Timing b) {
        int n = 0;
        for (int i = 0; i < Math.min(a.perRound().length, b.perRound().length); i++) if (a.perRound()[i] < b.perRound()[i]) n++;
        return n;
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
            int fewestRounds = Integer.MAX_VALUE, rounds = 0;
            StringBuilder perPacket = new StringBuilder();
            for (PacketKinds.Probe p : r.probes()) {
                Timing f = r.time(p.name(), Kind.FLOOR), o = r.time(p.name(), r.chosen()), l = r.time(p.name(), Kind.LINEAR);
                worstOverFloor = Math.max(worstOverFloor, o.ns() / f.ns());
                if (l != null) {
                    leastSpeedup = Math.min(leastSpeedup, l.ns() / o.ns());
                    int n = roundsCheaper(o, l);
                    fewestRounds = Math.min(fewestRounds, n);
                    rounds = o.perRound().length;
                    perPacket.append(perPacket.length() == 0 ? "" : ", ").append(p.name()).append(' ').append(n);
                }
            }
            sb.append(String.format(Locale.ROOT, "%,d rules: portcullis (%s) at most %s the floor", r.rules(),
                    r.chosen().name().toLowerCase(Locale.ROOT), ratio(worstOverFloor)));
            if (r.rules() == 10_000) sb.append(worstOverFloor <= 3 ? " (goal <= 3x: met)" : " (goal <= 3x: NOT met)");
            if (linear == null) {
                sb.append("; linear baseline not measured (--only)");
            } else if (linear.loaded()) {
                double goal = r.rules() >= 1_000 ? 10 : 1;
                boolean met = goal == 1 ? leastSpeedup > 1 && fewestRounds == rounds : leastSpeedup >= goal;
                sb.append(String.format(Locale.ROOT, "; linear at least %s portcullis, portcullis cheaper in at least %d of %d"
                        + " rounds on every packet (goal %s: %s)", ratio2(leastSpeedup), fewestRounds, rounds,
                        goal == 1 ? "faster in every round" : ">= 10x", met ? "met" : "NOT met"));
                sb.append(" [rounds cheaper: ").append(perPacket).append(']');
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
        return String.format(Locale.ROOT, "%.2f%s (%.0f)%s", t.ns(), disturbed(t) ? "~" : "", t.kernelNs(),
                t.verdictsCorrect() ? "" : " (WRONG VERDICT)");
    }

    private static String ratio(double x) { return String.format(Locale.ROOT, x >= 10 ? "%.0fx" : "%.1fx", x); }

    /** Ratios near 1 need two decimals to say which side of 1 they are on. */
    private static String ratio2(double x) { return String.format(Locale.ROOT, x >= 10 ? "%.0fx" : "%.2fx", x); }
}
