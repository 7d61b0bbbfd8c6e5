package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.resolve.InputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Argument parsing, exit codes and output routing, against a stand-in library. */
class MainTest {

    /** What a run printed and returned. */
    record Run(int code, String out, String err) {}

    /** Records the calls and answers with whatever the test set up. */
    static class FakeLibrary implements Library {
        Portcullis.Options options;
        List<Path> inputs;
        Path outDir;
        List<String> evalArgs;
        RuntimeException fail;
        InputException input;
        Portcullis.CheckResult check = new Portcullis.CheckResult(List.of(), List.of(), List.of());
        List<Path> objects = List.of();
        List<String> notes = List.of();
        Evaluator.Decision decision = new Evaluator.Decision(Action.ALLOW, 0);
        ResolvedPolicy evalPolicy = null;

        private void maybeFail() throws InputException {
            if (input != null) throw input;
            if (fail != null) throw fail;
        }

        @Override
        public Portcullis.CheckResult check(List<Path> inputs, Portcullis.Options options) throws InputException {
            this.inputs = inputs;
            this.options = options;
            maybeFail();
            return check;
        }

        @Override
        public Portcullis.BuildResult build(List<Path> inputs, Path outDir, Portcullis.Options options)
                throws InputException {
            this.inputs = inputs;
            this.outDir = outDir;
            this.options = options;
            maybeFail();
            return new Portcullis.BuildResult(check, objects, check.diagnostics(), notes);
        }

        @Override
        public Portcullis.EvalResult eval(Path file, String policy, String packet) throws InputException {
            this.evalArgs = List.of(file.toString(), policy, packet);
            maybeFail();
            return new Portcullis.EvalResult(decision, evalPolicy, List.of());
        }
    }

    private final FakeLibrary lib = new FakeLibrary();
    private final Map<String, String> env = new HashMap<>();

    private Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env, false, lib).run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertNoStackTrace(Run r) {
        assertFalse(r.err().contains("\tat "), "no stack trace expected:\n" + r.err());
        assertFalse(r.out().contains("\tat "), "no stack trace expected:\n" + r.out());
    }

    private static void assertUsageError(Run r, String fragment) {
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains(fragment), "stderr should mention '" + fragment + "':\n" + r.err());
        assertEquals("", r.out());
        assertNoStackTrace(r);
    }

    @Test
    void helpOnToolAndEveryCommandGoesToStdoutAndExitsZero() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"help"},
                new String[] {"check", "--help"}, new String[] {"build", "-h"}, new String[] {"eval", "--help"},
                new String[] {"help", "build"}, new String[] {"check", "--format", "json", "-h", "p"})) {
            Run r = run(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().startsWith("Usage: portcullis"), String.join(" ", args) + ":\n" + r.out());
            assertTrue(r.out().contains("Examples:"), String.join(" ", args));
            assertEquals("", r.err());
        }
        assertTrue(run("check", "--help").out().contains("--fail-on"));
        assertTrue(run("build", "--help").out().contains("-o, --output DIR"));
        assertTrue(run("eval", "--help").out().contains("PACKET"));
        assertEquals(null, lib.inputs, "help must not run the library");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("portcullis \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), r.out());
    }

    @Test
    void usageMistakesExitTwoWithAHintAndNoStackTrace() {
        assertUsageError(run(), "Usage: portcullis");
        assertUsageError(run("frobnicate"), "unknown command 'frobnicate'");
        assertUsageError(run("--frob"), "unknown option '--frob'");
        assertUsageError(run("check"), "no PATH given");
        assertUsageError(run("check", "--bogus", "p"), "unknown option '--bogus'");
        assertUsageError(run("check", "--format", "xml", "p"), "--format must be text, json, sarif, junit or html");
        assertUsageError(run("check", "--format"), "--format needs a value");
        assertUsageError(run("check", "--fail-on", "info", "p"), "--fail-on must be error or warning");
        assertUsageError(run("check", "--severity", "nonsense=error", "p"), "unknown finding code 'nonsense'");
        assertUsageError(run("check", "--severity", "conflict", "p"), "CODE=LEVEL");
        assertUsageError(run("check", "--severity", "conflict=fatal", "p"), "level must be error, warning, info or off");
        assertUsageError(run("check", "--kernel", "never", "p"), "build");
        assertUsageError(run("build", "--kernel", "sometimes", "p"), "--kernel must be auto, always or never");
        assertUsageError(run("build", "-o"), "-o needs a value");
        assertUsageError(run("eval", "f.policy", "edge"), "exactly three arguments");
        assertUsageError(run("help", "frob"), "unknown command 'frob'");
        assertTrue(run("check", "--bogus", "p").err().contains("portcullis check --help"));
        assertEquals(null, lib.inputs, "a usage error must not run the library");
    }

    @Test
    void inputErrorsFromTheLibraryExitTwo() {
        lib.input = new InputException("no such file or directory: nowhere/x.policy");
        Run r = run("check", "nowhere/x.policy");
        assertUsageError(r, "nowhere/x.policy");
        assertEquals(Main.USAGE, run("build", "nowhere").code());
        assertEquals(Main.USAGE, run("eval", "nowhere", "p", "tcp 1.2.3.4:1 -> 5.6.7.8:2").code());
    }

    @Test
    void unexpectedExceptionsExitThreeWithOneLine() {
        lib.fail = new IllegalStateException("boom\nsecond line");
        Run r = run("check", "p");
        assertEquals(Main.INTERNAL, r.code());
        assertEquals("internal error: java.lang.IllegalStateException: boom\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void stackTraceOnlyWithPortcullisDebug() {
        lib.fail = new IllegalStateException("boom");
        env.put("PORTCULLIS_DEBUG", "1");
        Run r = run("build", "p");
        assertEquals(Main.INTERNAL, r.code());
        assertTrue(r.err().startsWith("internal error: java.lang.IllegalStateException: boom\n"), r.err());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void errorsThrownAsErrorsAreInternalToo() {
        lib.fail = null;
        Library throwing = new FakeLibrary() {
            @Override
            public Portcullis.CheckResult check(List<Path> inputs, Portcullis.Options options) {
                throw new StackOverflowError();
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Main(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), env, false, throwing)
                .run(new String[] {"check", "p"});
        assertEquals(Main.INTERNAL, code);
        assertEquals("internal error: java.lang.StackOverflowError\n", err.toString());
    }

    @Test
    void checkMapsOptionsIntoTheLibraryCall() {
        Run r = run("check", "--fail-on", "warning", "--severity", "shadowed=error", "--severity=redundant=off",
                "--severity", "correlation=warning", "a.policy", "dir", "--", "--odd-name.policy");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(Path.of("a.policy"), Path.of("dir"), Path.of("--odd-name.policy")), lib.inputs);
        assertEquals(Severity.WARNING, lib.options.failOn());
        assertEquals(Map.of("shadowed", Severity.ERROR, "redundant", Severity.OFF, "correlation", Severity.WARNING),
                lib.options.severities());
        assertNotNull(lib.options.today());
    }

    @Test
    void cleanCheckExitsZeroWithASummary() {
        Run r = run("check", "p");
        assertEquals(0, r.code());
        assertEquals("0 errors, 0 warnings, 0 infos\n", r.out());
        assertEquals("", r.err());
        assertEquals(Severity.ERROR, lib.options.failOn());
        assertEquals(Map.of(), lib.options.severities());
    }

    @Test
    void buildRoutesNotesToStderrAndObjectsToStdout() {
        lib.objects = List.of(Path.of("target/bpf/edge.o"), Path.of("target/bpf/k8s-node.o"));
        lib.notes = List.of("verification by the kernel was not possible: bpf() is not allowed");
        Run r = run("build", "-o", "target/bpf", "--kernel", "never", "policies");
        assertEquals(0, r.code(), r.err());
        assertEquals(Path.of("target/bpf"), lib.outDir);
        assertEquals(Portcullis.KernelMode.NEVER, lib.options.kernel());
        assertEquals("note: verification by the kernel was not possible: bpf() is not allowed\n", r.err());
        assertTrue(r.out().endsWith("0 infos\nwrote target/bpf/edge.o\nwrote target/bpf/k8s-node.o\n"), r.out());
        assertFalse(r.out().contains("note:"));
    }

    @Test
    void buildDefaultsToOutAndKernelAuto() {
        assertEquals(0, run("build", "x.policy").code());
        assertEquals(Path.of("out"), lib.outDir);
        assertEquals(Portcullis.KernelMode.AUTO, lib.options.kernel());
        assertEquals(0, run("build", "--output=o2", "--kernel=always", "x.policy").code());
        assertEquals(Path.of("o2"), lib.outDir);
        assertEquals(Portcullis.KernelMode.ALWAYS, lib.options.kernel());
    }

    @Test
    void evalPrintsTheVerdictAloneOnStdout() {
        lib.decision = new Evaluator.Decision(Action.DENY, -1);
        Run r = run("eval", "policies/edge.policy", "edge", "tcp 192.0.2.7:40000 -> 10.1.3.4:23");
        assertEquals(0, r.code(), r.err());
        assertEquals("deny\n", r.out());
        assertEquals(List.of(Path.of("policies/edge.policy").toString(), "edge", "tcp 192.0.2.7:40000 -> 10.1.3.4:23"),
                lib.evalArgs);
        lib.decision = new Evaluator.Decision(Action.ALLOW, 3);
        assertEquals("allow\n", run("eval", "f", "p", "udp 1.1.1.1:1 -> 2.2.2.2:53").out());
    }

    @Test
    void evalWithoutAVerdictIsAnInputErrorForThePacketAndAFindingForThePolicy() {
        lib.decision = null;
        lib.evalPolicy = new ResolvedPolicy("web", Target.XDP, Action.DENY, Action.ALLOW, List.of(), List.of(), List.of(),
                null, null);
        Run badPacket = run("eval", "f.policy", "web", "tcp nowhere");
        assertEquals(Main.USAGE, badPacket.code());
        assertEquals("", badPacket.out());
        assertTrue(badPacket.err().contains("not a packet: tcp nowhere"), badPacket.err());
        lib.evalPolicy = null;
        Run broken = run("eval", "f.policy", "web", "tcp 1.2.3.4:1 -> 5.6.7.8:2");
        assertEquals(Main.FINDINGS, broken.code());
        assertEquals("", broken.out());
        assertTrue(broken.err().contains("has errors"), broken.err());
    }
}
