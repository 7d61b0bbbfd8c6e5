package io.portcullis.cli;

import io.portcullis.check.CheckConfig;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis.KernelMode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Parses one command's arguments into a plain record; every mistake is a {@link UsageException}. */
final class Arguments {
    private Arguments() {}

    enum Format { TEXT, JSON, SARIF, JUNIT, HTML }

    /** Options shared by check and build. */
    record Common(Severity failOn, Map<String, Severity> severities, List<Path> paths, CheckConfig config) {}

    /** {@code output} is null for stdout. */
    record Check(Format format, Path output, Common common, boolean help) {}

    /** {@code stats}: print each object's size, verifier work and headroom against the kernel's limits. */
    record Build(Path outDir, KernelMode kernel, Common common, boolean help, boolean stats) {
        Build(Path outDir, KernelMode kernel, Common common, boolean help) { this(outDir, kernel, common, help, false); }
    }

    record Eval(Path file, String policy, String packet, boolean help) {}

    /** When {@code portcullis diff} exits 1. */
    enum DiffFailOn { NEW_ALLOW, NEW_DENY, ANY, NEVER }

    record Diff(Format format, DiffFailOn failOn, Path before, Path after, boolean help) {}

    static Diff diff(List<String> args) throws UsageException {
        Tokens t = new Tokens("diff", args);
        Format format = Format.TEXT;
        DiffFailOn failOn = DiffFailOn.NEVER;
        List<String> positional = new ArrayList<>();
        boolean help = false;
        while (t.hasNext()) {
            String a = t.next();
            if (t.isPositional()) {
                positional.add(a);
            } else if (isHelp(a)) {
                help = true;
            } else if (t.is(a, "--format")) {
                String v = t.value(a);
                format = switch (v) {
                    case "text" -> Format.TEXT;
                    case "json" -> Format.JSON;
                    default -> throw new UsageException("diff", "--format must be text or json, not '" + v + "'");
                };
            } else if (t.is(a, "--fail-on")) {
                String v = t.value(a);
                failOn = switch (v) {
                    case "new-allow" -> DiffFailOn.NEW_ALLOW;
                    case "new-deny" -> DiffFailOn.NEW_DENY;
                    case "any" -> DiffFailOn.ANY;
                    case "never" -> DiffFailOn.NEVER;
                    default -> throw new UsageException("diff",
                            "--fail-on must be new-allow, new-deny, any or never, not '" + v + "'");
                };
            } else {
                throw t.unknown(a);
            }
        }
        if (help) return new Diff(format, failOn, null, null, true);
        if (positional.size() != 2) {
            throw new UsageException("diff", "diff takes exactly two paths: OLD NEW (got " + positional.size()
                    + "); each is a .policy file or a directory");
        }
        return new Diff(format, failOn, toPath("diff", positional.get(0)), toPath("diff", positional.get(1)), false);
    }

    static Check check(List<String> args) throws UsageException {
        Tokens t = new Tokens("check", args);
        Format format = Format.TEXT;
        Path output = null;
        CommonBuilder common = new CommonBuilder("check");
        boolean help = false;
        while (t.hasNext()) {
            String a = t.next();
            if (t.isPositional()) {
                common.path(a);
            } else if (isHelp(a)) {
                help = true;
            } else if (t.is(a, "--format")) {
                String v = t.value(a);
                format = switch (v) {
                    case "text" -> Format.TEXT;
                    case "json" -> Format.JSON;
                    case "sarif" -> Format.SARIF;
                    case "junit" -> Format.JUNIT;
                    case "html" -> Format.HTML;
                    default -> throw new UsageException("check",
                            "--format must be text, json, sarif, junit or html, not '" + v + "'");
                };
            } else if (t.is(a, "--output")) {
                output = toPath("check", t.value(a));
            } else if (t.is(a, "--kernel") || t.is(a, "-o") || a.equals("--stats")) {
                throw new UsageException("check", a + " applies to 'portcullis build' only"
                        + (a.equals("-o") ? "; write a report to a file with --output FILE" : ""));
            } else if (!common.accept(a, t)) {
                throw t.unknown(a);
            }
        }
        if (help) return new Check(format, output, null, true);
        return new Check(format, output, common.build(), false);
    }

    static Build build(List<String> args) throws UsageException {
        Tokens t = new Tokens("build", args);
        Path out = Path.of("out");
        KernelMode kernel = KernelMode.AUTO;
        CommonBuilder common = new CommonBuilder("build");
        boolean help = false, stats = false;
        while (t.hasNext()) {
            String a = t.next();
            if (t.isPositional()) {
                common.path(a);
            } else if (isHelp(a)) {
                help = true;
            } else if (t.is(a, "-o") || t.is(a, "--output")) {
                out = toPath("build", t.value(a));
            } else if (a.equals("--stats")) {
                stats = true;
            } else if (t.is(a, "--kernel")) {
                String v = t.value(a);
                kernel = switch (v) {
                    case "auto" -> KernelMode.AUTO;
                    case "always" -> KernelMode.ALWAYS;
                    case "never" -> KernelMode.NEVER;
                    default -> throw new UsageException("build", "--kernel must be auto, always or never, not '" + v + "'");
                };
            } else if (!common.accept(a, t)) {
                throw t.unknown(a);
            }
        }
        if (help) return new Build(out, kernel, null, true);
        return new Build(out, kernel, common.build(), false, stats);
    }

    static Eval eval(List<String> args) throws UsageException {
        Tokens t = new Tokens("eval", args);
        List<String> positional = new ArrayList<>();
        boolean help = false;
        while (t.hasNext()) {
            String a = t.next();
            if (t.isPositional()) {
                positional.add(a);
            } else if (isHelp(a)) {
                help = true;
            } else {
                throw t.unknown(a);
            }
        }
        if (help) return new Eval(null, null, null, true);
        if (positional.size() != 3) {
            throw new UsageException("eval", "eval takes exactly three arguments: FILE POLICY PACKET (got "
                    + positional.size() + "); quote the packet, e.g. 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'");
        }
        return new Eval(toPath("eval", positional.get(0)), positional.get(1), positional.get(2), false);
    }

    /** explain takes what eval takes: FILE POLICY PACKET. */
    static Eval explain(List<String> args) throws UsageException {
        Tokens t = new Tokens("explain", args);
        List<String> positional = new ArrayList<>();
        while (t.hasNext()) {
            String a = t.next();
            if (t.isPositional()) positional.add(a);
            else throw t.unknown(a);
        }
        if (positional.size() != 3) {
            throw new UsageException("explain", "explain takes exactly three arguments: FILE POLICY PACKET (got "
                    + positional.size() + "); quote the packet, e.g. 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'");
        }
        return new Eval(toPath("explain", positional.get(0)), positional.get(1), positional.get(2), false);
    }

    record Fmt(boolean check, List<Path> paths) {}

    static Fmt fmt(List<String> args) throws UsageException {
        Tokens t = new Tokens("fmt", args);
        boolean check = false;
        List<Path> paths = new ArrayList<>();
        while (t.hasNext()) {
            String a = t.next();
            if (t.isPositional()) paths.add(toPath("fmt", a));
            else if (t.is(a, "--check")) check = true;
            else throw t.unknown(a);
        }
        if (paths.isEmpty()) throw new UsageException("fmt", "no PATH given: name policy files or directories");
        return new Fmt(check, List.copyOf(paths));
    }

    static boolean isHelp(String a) { return a.equals("-h") || a.equals("--help"); }

    private static Path toPath(String command, String s) throws UsageException {
        if (s.isEmpty()) throw new UsageException(command, "an empty path is not a path");
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new UsageException(command, "not a valid path: " + s);
        }
    }

    /** --fail-on, --severity and the PATH list. */
    private static final class CommonBuilder {
        private final String command;
        private Severity failOn = Severity.ERROR;
        private final Map<String, Severity> severities = new TreeMap<>();
        private final List<Path> paths = new ArrayList<>();
        private io.portcullis.net.PortSet adminPorts = CheckConfig.DEFAULT_ADMIN_PORTS;
        private int waiverWindow = CheckConfig.DEFAULTS.waiverWindowDays();

        CommonBuilder(String command) { this.command = command; }

        void path(String s) throws UsageException { paths.add(toPath(command, s)); }

        boolean accept(String a, Tokens t) throws UsageException {
            if (t.is(a, "--fail-on")) {
                String v = t.value(a);
                failOn = switch (v) {
                    case "error" -> Severity.ERROR;
                    case "warning" -> Severity.WARNING;
                    default -> throw new UsageException(command, "--fail-on must be error or warning, not '" + v + "'");
                };
                return true;
            }
            if (t.is(a, "--admin-ports")) {
                String v = t.value(a);
                try {
                    adminPorts = CheckConfig.parsePorts(v);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(command, "--admin-ports takes ports and ranges separated by commas, e.g."
                            + " 22,3389,5432,2379-2380, not '" + v + "'");
                }
                return true;
            }
            if (t.is(a, "--waiver-window")) {
                String v = t.value(a);
                try {
                    waiverWindow = Integer.parseInt(v);
                    if (waiverWindow < 0) throw new NumberFormatException();
                } catch (NumberFormatException e) {
                    throw new UsageException(command, "--waiver-window takes a number of days (0 or more), not '" + v + "'");
                }
                return true;
            }
            if (t.is(a, "--severity")) {
                String v = t.value(a);
                int eq = v.indexOf('=');
                if (eq <= 0) throw new UsageException(command, "--severity takes CODE=LEVEL, e.g. --severity shadowed=error");
                String code = v.substring(0, eq).trim();
                String level = v.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
                if (!Codes.known(code)) {
                    throw new UsageException(command, "--severity: unknown finding code '" + code + "' (known: "
                            + String.join(", ", Codes.catalogue().keySet()) + ")");
                }
                Severity s = switch (level) {
                    case "error" -> Severity.ERROR;
                    case "warning" -> Severity.WARNING;
                    case "info" -> Severity.INFO;
                    case "off" -> Severity.OFF;
                    default -> throw new UsageException(command,
                            "--severity " + code + ": level must be error, warning, info or off, not '" + level + "'");
                };
                severities.put(code, s);
                return true;
            }
            return false;
        }

        Common build() throws UsageException {
            if (paths.isEmpty()) throw new UsageException(command, "no PATH given: name policy files or directories");
            return new Common(failOn, Map.copyOf(severities), List.copyOf(paths), new CheckConfig(adminPorts, waiverWindow));
        }
    }

    /** Walks the arguments; knows {@code --name value}, {@code --name=value} and the {@code --} terminator. */
    private static final class Tokens {
        private final String command;
        private final List<String> args;
        private int i;
        private boolean optionsEnded;
        private boolean positional;
        private String inlineValue;

        Tokens(String command, List<String> args) {
            this.command = command;
            this.args = args;
        }

        boolean hasNext() {
            while (i < args.size() && !optionsEnded && args.get(i).equals("--")) {
                optionsEnded = true;
                i++;
            }
            return i < args.size();
        }

        /** The next argument; for {@code --name=value} only the name, with the value kept for {@link #value}. */
        String next() {
            String a = args.get(i++);
            inlineValue = null;
            positional = optionsEnded || !a.startsWith("-") || a.equals("-");
            if (!positional && a.startsWith("--")) {
                int eq = a.indexOf('=');
                if (eq > 0) {
                    inlineValue = a.substring(eq + 1);
                    return a.substring(0, eq);
                }
            }
            return a;
        }

        boolean isPositional() { return positional; }

        boolean is(String a, String name) { return a.equals(name); }

        String value(String option) throws UsageException {
            if (inlineValue != null) return inlineValue;
            if (i >= args.size()) throw new UsageException(command, option + " needs a value");
            return args.get(i++);
        }

        UsageException unknown(String a) {
            return new UsageException(command, "unknown option '" + a + "'");
        }
    }
}
