package io.portcullis.cli;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diff.DiffReport;
import io.portcullis.diff.DiffResult;
import io.portcullis.driver.Portcullis;
import io.portcullis.report.JsonReport;
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

    Main(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal, Library library) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.terminal = terminal;
        this.library = library;
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

    private int dispatch(List<String> args) throws UsageException, InputException {
        if (args.isEmpty()) {
            err.print(Usage.TOOL);
            return USAGE;
        }
        String first = args.get(0);
        List<String> rest = args.subList(1, args.size());
        switch (first) {
            case "-h", "--help" -> {
                out.print(Usage.TOOL);
                return OK;
            }
            case "--version" -> {
                out.println("portcullis " + version());
                return OK;
            }
            case "help" -> {
                if (rest.size() > 1) throw new UsageException(null, "help takes at most one command");
                String command = rest.isEmpty() ? null : rest.get(0);
                if (command != null && !List.of("check", "build", "eval", "diff", "verify").contains(command)) {
                    throw new UsageException(null, "unknown command '" + command + "'");
                }
                out.print(Usage.of(command));
                return OK;
            }
            case "check" -> {
                return check(Arguments.check(rest));
            }
            case "build" -> {
                return build(Arguments.build(rest));
            }
            case "eval" -> {
                return eval(Arguments.eval(rest));
            }
            case "diff" -> {
                return diff(Arguments.diff(rest));
            }
            case "verify" -> {
                return TranslationCheck.command(rest, out, err);
            }
            default -> throw new UsageException(null, first.startsWith("-")
                    ? "unknown option '" + first + "'"
                    : "unknown command '" + first + "' (commands: check, build, eval, diff, verify)");
        }
    }

    private int check(Arguments.Check a) throws InputException {
        if (a.help()) {
            out.print(Usage.CHECK);
            return OK;
        }
        Arguments.Common c = a.common();
        Portcullis.CheckResult result = library.check(c.paths(), options(c, Portcullis.KernelMode.NEVER));
        if (a.format() == Arguments.Format.JSON) {
            out.println(JsonReport.render(result.diagnostics()).stripTrailing());
        } else {
            printFindings(result.diagnostics());
        }
        return result.fails(c.failOn()) ? FINDINGS : OK;
    }

    private int build(Arguments.Build a) throws InputException {
        if (a.help()) {
            out.print(Usage.BUILD);
            return OK;
        }
        Arguments.Common c = a.common();
        Portcullis.BuildResult result = library.build(c.paths(), a.outDir(), options(c, a.kernel()));
        printFindings(result.diagnostics());
        for (String note : result.notes()) err.println("note: " + note);
        for (Path object : result.objects()) out.println("wrote " + object);
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

    private int diff(Arguments.Diff a) throws InputException {
        if (a.help()) {
            out.print(Usage.DIFF);
            return OK;
        }
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
