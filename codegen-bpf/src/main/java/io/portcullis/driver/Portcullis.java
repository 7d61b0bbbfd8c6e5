package io.portcullis.driver;

import io.portcullis.check.CheckConfig;
import io.portcullis.check.Checker;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one library call behind the CLI and the Maven plugin: load, resolve, check, compile, verify, write.
 * Front ends map options in and print findings out; they hold no logic of their own.
 */
public final class Portcullis {
    private Portcullis() {}

    public enum KernelMode { AUTO, ALWAYS, NEVER }

    /**
     * @param failOn     findings at or above this severity fail the run
     * @param severities per-code overrides of the default severity (OFF drops a finding)
     * @param today      the date waivers are checked against
     * @param kernel     whether to run the kernel verifier: AUTO when the machine allows, ALWAYS fails when it cannot
     * @param config     the organisation's check settings (administrative ports, waiver warning window)
     */
    public record Options(Severity failOn, Map<String, Severity> severities, LocalDate today, KernelMode kernel,
                          CheckConfig config) {
        public Options {
            severities = Map.copyOf(severities);
        }

        /** With the default check settings (admin ports, waiver window). */
        public Options(Severity failOn, Map<String, Severity> severities, LocalDate today, KernelMode kernel) {
            this(failOn, severities, today, kernel, CheckConfig.DEFAULTS);
        }

        public static Options defaults() {
            return new Options(Severity.ERROR, Map.of(), LocalDate.now(), KernelMode.AUTO);
        }

        public Options withConfig(CheckConfig c) { return new Options(failOn, severities, today, kernel, c); }
    }

    /** Everything a check found. Counts exclude waived findings. */
    public record CheckResult(List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics,
                              List<Loader.NamedNetwork> networks) {
        public CheckResult(List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {
            this(policies, guards, diagnostics, List.of());
        }

        public long count(Severity s) {
            return diagnostics.stream().filter(d -> !d.isWaived() && d.severity() == s).count();
        }

        /** True when any unwaived finding is at or above {@code failOn}. */
        public boolean fails(Severity failOn) {
            return diagnostics.stream().anyMatch(d -> !d.isWaived() && d.severity().atLeast(failOn));
        }
    }

    /**
     * A build: the check, the objects written, the diagnostics of the whole run, notes (e.g. kernel unavailable) and
     * the statistics of each object written (same order as {@code objects}).
     */
    public record BuildResult(CheckResult check, List<Path> objects, List<Diagnostic> diagnostics, List<String> notes,
                              List<BuildStats> stats) {
        public BuildResult(CheckResult check, List<Path> objects, List<Diagnostic> diagnostics, List<String> notes) {
            this(check, objects, diagnostics, notes, List.of());
        }

        public boolean fails(Severity failOn) {
            return diagnostics.stream().anyMatch(d -> !d.isWaived() && d.severity().atLeast(failOn));
        }
    }

    /** The reference verdict for one packet, or the diagnostics that prevented it. */
    public record EvalResult(Evaluator.Decision decision, ResolvedPolicy policy, List<Diagnostic> diagnostics) {}

    /**
     * Why a policy gives one packet its verdict: every rule's field tests, and the guards loaded with the file.
     * {@code explanation} is null when the file, the policy or the packet could not be read ({@code diagnostics} say why).
     */
    public record ExplainResult(Evaluator.Explanation explanation, ResolvedPolicy policy, io.portcullis.ir.Packet packet,
                                List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {}

    /** A semantic diff, or (result null) the errors that kept either version from loading. */
    public record DiffRun(io.portcullis.diff.DiffResult result, List<Diagnostic> diagnostics) {}

    /** Compares two versions (files or directories) of the same policies by meaning. */
    public static DiffRun diff(Path before, Path after) throws InputException {
        return Differ.diff(before, after);
    }

    public static CheckResult check(List<Path> inputs, Options options) throws InputException {
        if (inputs.isEmpty()) throw new InputException("no policy files or directories given");
        return checkSources(Loader.sources(inputs), options);
    }

    /** As {@link #check}, on exactly these files (e.g. a build tool's include/exclude selection plus guard files). */
    public static CheckResult checkSources(List<Loader.Source> sources, Options options) throws InputException {
        return check(Loader.loadSources(sources, Loader.defaultLimits()), options);
    }

    private static CheckResult check(Loader.LoadResult loaded, Options options) {
        List<Diagnostic> all = new ArrayList<>(loaded.diagnostics());
        for (ResolvedPolicy p : loaded.policies()) {
            all.addAll(Checker.check(p, loaded.guards(), options.today(), options.config()));
        }
        return new CheckResult(loaded.policies(), loaded.guards(), Diagnostics.finish(all, options), loaded.networks());
    }

    public static BuildResult build(List<Path> inputs, Path outDir, Options options) throws InputException {
        if (inputs.isEmpty()) throw new InputException("no policy files or directories given");
        return build(Loader.sources(inputs), outDir, options, inputs);
    }

    public static BuildResult buildSources(List<Loader.Source> sources, Path outDir, Options options) throws InputException {
        return build(sources, outDir, options, List.of());
    }

    /** Loads, then checks the policies while their objects are prepared beside the check (see {@link Builder.Ahead}). */
    private static BuildResult build(List<Loader.Source> sources, Path outDir, Options options, List<Path> inputs)
            throws InputException {
        Loader.LoadResult loaded = Loader.loadSources(sources, Loader.defaultLimits());
        Builder.Ahead ahead = Builder.Ahead.start(loaded.policies(), inputs);
        return Builder.build(check(loaded, options), outDir, options, inputs, ahead);
    }

    public static EvalResult eval(Path file, String policyName, String packetText) throws InputException {
        return Evaluation.eval(file, policyName, packetText);
    }

    public static ExplainResult explain(Path file, String policyName, String packetText) throws InputException {
        return Evaluation.explain(file, policyName, packetText);
    }

    static String codeOf(Diagnostic d) { return d.code() == null ? Codes.SYNTAX : d.code(); }
}
