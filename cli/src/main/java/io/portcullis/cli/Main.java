package io.portcullis.cli;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diff.DiffReport;
import io.portcullis.diff.DiffResult;
import io.portcullis.driver.Portcullis;
import io.portcullis.driver.Reports;
import io.portcullis.report.TextReport;
import io.portcullis.resolve.InputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The {@code portcullis} command. Maps arguments to one library call and its result to output and an exit code;
 * it holds no policy logic. Exit codes: 0 clean, 1 findings at or above the fail level, 2 usage or input error,
 * 3 internal error.
 */
public final class Main {
    public static final int OK = 0;
    public static final int FINDINGS = 1;
    public static final int USAGE = 2;
    public static final int INTERNAL = 3;

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final boolean terminal;
    private final Library library;
    private final Progress progress;

    Main(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal, Library library) {
        this(out, err, env, terminal, library, Progress.real(err, false));
    }

    Main(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal, Library library, Progress progress) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.terminal = terminal;
        this.library = library;
        this.progress = progress;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool in-process and returns its exit code. Colour needs {@code out} to be the real terminal. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean terminal = out == System.out && System.console() != null;
        return new Main(out, err, System.getenv(), terminal, Library.REAL).run(args);
    }

    int run(String[] args) {
        try {
            return dispatch(Arrays.asList(args));
        } catch (UsageException e) {
            err.println("portcullis: " + e.getMessage());
            err.println(e.command() == null
                    ? "Run 'portcullis --help' for usage."
                    : "Run 'portcullis " + e.command() + " --help' for usage.");
            return USAGE;
        } catch (InputException e) {
            err.println("portcullis: " + e.getMessage());
            return USAGE;
        } catch (Throwable e) {
            // Everything that is not the user's mistake is ours: one line, the trace only on request.
            err.println("internal error: " + describe(e));
            if (debug()) err.print(stackTrace(e));
            return INTERNAL;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** One command's work: its arguments (after the command name) in, an exit code out. */
    interface Handler {
        int run(List<String> args) throws UsageException, InputException;
    }

    /** The commands, by name; {@link Usage#COMMANDS} holds their help. A test checks the two tables agree. */
    Map<String, Handler> handlers() {
        Map<String, Handler> h = new java.util.LinkedHashMap<>();
        h.put("check", a -> check(Arguments.check(a)));
        h.put("build", a -> build(Arguments.build(a)));
        h.put("eval", a -> eval(Arguments.eval(a)));
        h.put("explain", a -> explain(Arguments.explain(a)));
        h.put("diff", a -> diff(Arguments.diff(a)));
        h.put("fmt", a -> new FmtCommand(out, err, progress).run(Arguments.fmt(a)));
        h.put("run", a -> RunCommand.run(a, out, err));
        h.put(VerifyCommand.NAME, a -> {
            if (!TranslationCheck.wanted(a)) return new VerifyCommand(out, err).run(a);
            // verify --policy: the object must be safe (our verifier, and the kernel's where possible) and implement
            // the policy (translation validation); the exit code is the worse of the two.
            int safety = new VerifyCommand(out, err).run(TranslationCheck.without(a, java.util.Set.of("--policy", "--name")));
            int meaning = TranslationCheck.command(TranslationCheck.without(a, java.util.Set.of("--kernel")), out, err);
            return Math.max(safety, meaning);
        });
        return h;
    }

    private int dispatch(List<String> args) throws UsageException, InputException {
        if (args.isEmpty()) {
            err.print(Usage.tool());
            return USAGE;
        }
        String first = args.get(0);
        List<String> rest = args.subList(1, args.size());
        switch (first) {
            case "-h", "--help" -> {
                out.print(Usage.tool());
                return OK;
            }
            case "--version" -> {
                out.println("portcullis " + version());
                return OK;
            }
            case "help" -> {
                if (rest.size() > 1) throw new UsageException(null, "help takes at most one command");
                String command = rest.isEmpty() ? null : rest.get(0);
                if (command != null && Usage.find(command) == null) {
                    throw new UsageException(null, "unknown command '" + command + "'");
                }
                out.print(Usage.of(command));
                return OK;
            }
            default -> {
                Handler handler = handlers().get(first);
                if (handler == null) {
                    throw new UsageException(null, first.startsWith("-")
                            ? "unknown option '" + first + "'"
                            : "unknown command '" + first + "' (commands: " + String.join(", ", Usage.names()) + ")");
                }
                // --help anywhere before '--' shows the command's help and runs nothing, whatever else is given.
                for (String a : rest) {
                    if (a.equals("--")) break;
                    if (Arguments.isHelp(a) && Usage.find(first) != null) {
                        out.print(Usage.of(first));
                        return OK;
                    }
                }
                // -q/--quiet (any command): no progress lines on stderr.
                List<String> args2 = new java.util.ArrayList<>();
                boolean ended = false;
                for (String a : rest) {
                    if (a.equals("--")) ended = true;
                    if (!ended && (a.equals("-q") || a.equals("--quiet"))) progress.quiet();
                    else args2.add(a);
                }
                try {
                    return handler.run(args2);
                } finally {
                    progress.done();
                }
            }
        }
    }

    private int check(Arguments.Check a) throws InputException {
        if (a.help()) {
            out.print(Usage.CHECK);
            return OK;
        }
        Arguments.Common c = a.common();
        progress.start("checking " + describe(c.paths()));
        Portcullis.Options options = options(c, Portcullis.KernelMode.NEVER);
        Portcullis.CheckResult result = library.check(c.paths(), options);
        Reports.Format format = Reports.Format.valueOf(a.format().name());
        // Colour only on the terminal itself; the HTML page's program statistics may use the kernel verifier.
        Reports.Context context = new Reports.Context(Path.of(""), version(), a.output() == null && colour(), true);
        String report = Reports.render(format, result, options, context);
        if (a.output() != null) {
            try {
                Reports.write(a.output(), report);
            } catch (IOException e) {
                throw new InputException("cannot write " + a.output() + ": " + e.getMessage());
            }
        } else {
            out.print(report);
        }
        return result.fails(c.failOn()) ? FINDINGS : OK;
    }

    private int build(Arguments.Build a) throws InputException {
        if (a.help()) {
            out.print(Usage.BUILD);
            return OK;
        }
        Arguments.Common c = a.common();
        progress.start("checking and compiling " + describe(c.paths()));
        Portcullis.BuildResult result = library.build(c.paths(), a.outDir(), options(c, a.kernel()));
        printFindings(result.diagnostics());
        for (String note : result.notes()) err.println("note: " + note);
        for (Path object : result.objects()) out.println("wrote " + object);
        if (a.stats()) result.stats().forEach(s -> out.print(s.render()));
        return result.fails(c.failOn()) ? FINDINGS : OK;
    }

    private int eval(Arguments.Eval a) throws InputException {
        if (a.help()) {
            out.print(Usage.EVAL);
            return OK;
        }
        Portcullis.EvalResult result = library.eval(a.file(), a.policy(), a.packet());
        // stdout carries the verdict alone, so scripts can compare it; anything else goes to stderr.
        if (!result.diagnostics().isEmpty()) err.print(TextReport.render(result.diagnostics(), colour()));
        if (result.decision() == null) {
            // The policy was found, so what could not be read is the packet argument: a usage mistake.
            if (result.policy() != null) {
                err.println("portcullis: not a packet: " + a.packet());
                return USAGE;
            }
            err.println("portcullis: " + a.file() + " has errors, so policy " + a.policy() + " cannot be evaluated");
            return FINDINGS;
        }
        out.println(result.decision().action().label());
        return OK;
    }

    private int explain(Arguments.Eval a) throws InputException {
        Portcullis.ExplainResult result = library.explain(a.file(), a.policy(), a.packet());
        if (!result.diagnostics().isEmpty()) err.print(TextReport.render(result.diagnostics(), colour()));
        if (result.explanation() == null) {
            if (result.policy() != null) {
                err.println("portcullis: not a packet: " + a.packet());
                return USAGE;
            }
            err.println("portcullis: " + a.file() + " has errors, so policy " + a.policy() + " cannot be explained");
            return FINDINGS;
        }
        out.print(ExplainText.render(result));
        return OK;
    }

    private int diff(Arguments.Diff a) throws InputException {
        if (a.help()) {
            out.print(Usage.DIFF);
            return OK;
        }
        progress.start("comparing " + describe(List.of(a.before(), a.after())));
        Portcullis.DiffRun run = library.diff(a.before(), a.after());
        if (run.result() == null) {
            // Neither version can be compared while it has errors; they are findings, as in check.
            printFindings(run.diagnostics());
            err.println("portcullis: diff needs both versions free of errors");
            return FINDINGS;
        }
        DiffResult d = run.result();
        if (a.format() == Arguments.Format.JSON) out.println(DiffReport.json(d));
        else out.print(DiffReport.text(d));
        long allow = d.count(DiffResult.Kind.NEW_ALLOW), deny = d.count(DiffResult.Kind.NEW_DENY);
        boolean fails = switch (a.failOn()) {
            case NEW_ALLOW -> allow > 0;
            case NEW_DENY -> deny > 0;
            case ANY -> allow + deny > 0;
            case NEVER -> false;
        };
        return fails ? FINDINGS : OK;
    }

    /** "3 files (2.1 MB)" for a progress line; just the paths when they cannot be listed (the library will say why). */
    private static String describe(List<Path> paths) {
        try {
            return Progress.files(io.portcullis.resolve.Loader.sources(paths).stream()
                    .map(io.portcullis.resolve.Loader.Source::file).toList());
        } catch (InputException | RuntimeException e) {
            return paths.size() == 1 ? paths.get(0).toString() : paths.size() + " paths";
        }
    }

    private Portcullis.Options options(Arguments.Common c, Portcullis.KernelMode kernel) {
        return new Portcullis.Options(c.failOn(), c.severities(), LocalDate.now(), kernel, c.config());
    }

    /** The findings and the report's closing summary line (printed even when there is nothing to report). */
    private void printFindings(List<Diagnostic> diagnostics) {
        String text = TextReport.render(diagnostics, colour());
        out.print(text);
        if (!text.isEmpty() && !text.endsWith("\n")) out.println();
    }

    private boolean colour() {
        return terminal && env.get("NO_COLOR") == null;
    }

    private boolean debug() {
        String v = env.get("PORTCULLIS_DEBUG");
        return v != null && !v.isEmpty();
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getName() + (m == null || m.isBlank() ? "" : ": " + m.strip().lines().findFirst().orElse(""));
    }

    private static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
