package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The help table and the dispatch table name the same commands, and every command's help works the same way. */
class CommandTableTest {
    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), false, new MainTest.FakeLibrary()).run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelpAndAHandler() {
        Main main = new Main(System.out, System.err, Map.of(), false, new MainTest.FakeLibrary());
        assertEquals(main.handlers().keySet().stream().sorted().toList(), Usage.names().stream().sorted().toList());
    }

    @Test
    void everyCommandHelpIsOnStdoutWithUsageAndExamples() {
        String tool = run("--help").out();
        for (Usage.Command c : Usage.COMMANDS) {
            for (String[] args : new String[][] {{c.name(), "--help"}, {c.name(), "-h"}, {"help", c.name()},
                    {c.name(), "some", "args", "--help"}}) {
                Run r = run(args);
                assertEquals(Main.OK, r.code(), String.join(" ", args) + ": " + r.err());
                assertEquals(c.help(), r.out(), String.join(" ", args));
                assertEquals("", r.err());
            }
            assertTrue(c.help().startsWith("Usage: portcullis " + c.name()), c.name());
            assertTrue(c.help().contains("Examples:\n  portcullis " + c.name()), c.name() + " help has examples");
            assertTrue(tool.contains("  " + c.name() + " "), "the tool's help lists " + c.name());
            assertTrue(tool.contains(c.summary()), c.name());
        }
    }

    @Test
    void helpAfterTheTerminatorIsAnArgument() {
        Run r = run("fmt", "--", "--help");
        assertEquals(Main.USAGE, r.code(), "a file named --help does not exist");
        assertTrue(r.err().contains("--help"), r.err());
    }

    @Test
    void versionComesFromTheBuild() {
        Run r = run("--version");
        assertEquals(Main.OK, r.code());
        // version.properties is filtered from the pom: never the raw placeholder, never "unknown".
        assertTrue(r.out().matches("portcullis \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), r.out());
    }
}
