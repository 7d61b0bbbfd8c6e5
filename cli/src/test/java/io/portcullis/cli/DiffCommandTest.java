package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis diff} on real files: output, exit codes for every --fail-on, JSON, usage errors. */
class DiffCommandTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    private static final String OLD = """
            policy edge on xdp {
                default deny;
                web: allow tcp from any to 10.1.0.0/16 port 443;
                ssh: allow tcp from 192.0.2.0/24 to 10.1.0.0/16 port 22;
            }
            """;

    // db is new (newly allowed); ssh is gone (newly denied); web is unchanged.
    private static final String NEW = """
            policy edge on xdp {
                default deny;
                web: allow tcp from any to 10.1.0.0/16 port 443;
                db:  allow tcp from any to 10.2.0.0/16 port 5432;
            }
            """;

    @Test
    void textListsEachRegionAndExitsZeroByDefault() throws IOException {
        Path o = write("old/edge.policy", OLD), n = write("new/edge.policy", NEW);
        Run r = run("diff", o.toString(), n.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals("edge: newly allowed: tcp from any to 10.2.0.0/16 port 5432", lines[0]);
        assertTrue(lines[1].startsWith("   = witness: tcp ") && lines[1].contains("-> 10.2.0.1:5432"), lines[1]);
        assertTrue(lines[2].matches("   = now: +allowed by 'db' \\(.*edge\\.policy:4\\)"), lines[2]);
        assertTrue(lines[3].matches("   = before: denied by the default \\(.*edge\\.policy:2\\)"), lines[3]);
        assertEquals("edge: newly denied: tcp from 192.0.2.0/24 to 10.1.0.0/16 port 22", lines[4]);
        assertTrue(lines[7].contains("allowed by 'ssh'"), lines[7]);
        assertEquals("1 region newly allowed, 1 region newly denied, in 1 of 1 policy", lines[8]);
        assertEquals("", r.err());
    }

    @Test
    void failOnDecidesTheExitCode() throws IOException {
        Path o = write("old/edge.policy", OLD), n = write("new/edge.policy", NEW);
        Path onlyDeny = write("deny/edge.policy", OLD.replace("    ssh: allow tcp from 192.0.2.0/24 to 10.1.0.0/16 port 22;\n", ""));
        assertEquals(1, run("diff", "--fail-on", "new-allow", o.toString(), n.toString()).code());
        assertEquals(1, run("diff", "--fail-on=new-deny", o.toString(), n.toString()).code());
        assertEquals(1, run("diff", "--fail-on", "any", o.toString(), n.toString()).code());
        assertEquals(0, run("diff", "--fail-on", "never", o.toString(), n.toString()).code());
        assertEquals(0, run("diff", "--fail-on", "new-allow", o.toString(), onlyDeny.toString()).code());
        assertEquals(1, run("diff", "--fail-on", "new-deny", o.toString(), onlyDeny.toString()).code());
        assertEquals(0, run("diff", "--fail-on", "new-deny", onlyDeny.toString(), o.toString()).code());
    }

    @Test
    void reorderedRulesReportNoChange() throws IOException {
        Path o = write("old/edge.policy", OLD);
        Path n = write("new/edge.policy", """
                policy edge on xdp {
                    default deny;
                    ssh: allow tcp from 192.0.2.0/24 to 10.1.0.0/16 port 22;
                    web: allow tcp to 10.1.0.0/16 port 443;
                }
                """);
        Run r = run("diff", "--fail-on", "any", o.toString(), n.toString());
        assertEquals(0, r.code());
        assertEquals("no change in behaviour (1 policy compared)\n", r.out());
    }

    @Test
    void jsonIsOneObjectWithTheContract() throws IOException {
        Path o = write("old/edge.policy", OLD), n = write("new/edge.policy", NEW);
        Run r = run("diff", "--format", "json", "--fail-on", "new-allow", o.toString(), n.toString());
        assertEquals(1, r.code());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(1, j.get("version").asInt());
        assertEquals(2, j.get("regions").size());
        JsonNode first = j.get("regions").get(0);
        assertEquals("new-allow", first.get("kind").asText());
        assertEquals("edge", first.get("policy").asText());
        assertEquals("ipv4", first.get("witness").get("family").asText());
        assertEquals("db", first.get("new").get("rule").asText());
        assertEquals(4, first.get("new").get("line").asInt());
        assertEquals(-1, first.get("old").get("index").asInt());
        assertEquals("changed", j.get("policies").get(0).get("status").asText());
        assertEquals(1, j.get("summary").get("newlyDenied").asInt());
        assertEquals(r.out().strip(), r.out().strip().lines().findFirst().orElse(""), "one line");
    }

    @Test
    void usageAndInputErrorsExitTwo() throws IOException {
        Path o = write("old/edge.policy", OLD);
        Run one = run("diff", o.toString());
        assertEquals(2, one.code());
        assertTrue(one.err().contains("diff takes exactly two paths"), one.err());
        assertTrue(one.err().contains("portcullis diff --help"), one.err());
        assertEquals(2, run("diff", "--fail-on", "warning", o.toString(), o.toString()).code());
        assertEquals(2, run("diff", "--format", "xml", o.toString(), o.toString()).code());
        assertEquals(2, run("diff", "--kernel", "never", o.toString(), o.toString()).code());
        Run missing = run("diff", o.toString(), dir.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("portcullis: no such file or directory"), missing.err());
    }

    @Test
    void aVersionWithErrorsIsReportedNotCompared() throws IOException {
        Path o = write("old/edge.policy", OLD);
        Path n = write("new/edge.policy", "policy edge on xdp {\n    default deny;\n    web: allow tcp to 10.1.0.0/16 port;\n}\n");
        Run r = run("diff", o.toString(), n.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains("edge.policy:3:"), r.out());
        assertTrue(r.err().contains("diff needs both versions free of errors"), r.err());
    }

    @Test
    void helpHasExamples() {
        Run r = run("diff", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: portcullis diff"));
        assertTrue(r.out().contains("Examples:"));
        assertEquals(r.out(), run("help", "diff").out());
        assertTrue(run("--help").out().matches("(?s).*\\n  diff +compare two versions.*"));
    }
}
