package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xml.sax.InputSource;

/** {@code check --format F [--output FILE]} with the real library, and when text is coloured. */
class ReportFormatsCliTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    private Run run(Map<String, String> env, boolean terminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, terminal, Library.REAL).run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Run run(String... args) { return run(Map.of(), false, args); }

    private Path policy() throws Exception {
        Path p = dir.resolve("bad.policy");
        Files.writeString(p, """
                policy bad {
                    default deny;
                    block-db:   deny tcp from any to 10.2.0.0/16 port 5432;
                    db-clients: allow tcp from 10.1.0.0/16 to 10.2.0.0/16 port 5432;
                    ndp:        allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                    router-adv: allow icmpv6 type router-advertisement from fe80::/10 to any6;
                }
                """);
        return p;
    }

    @Test
    void everyFormatOnStdout() throws Exception {
        String p = policy().toString();
        ObjectMapper m = new ObjectMapper();
        Run json = run("check", "--format", "json", p);
        assertEquals(Main.FINDINGS, json.code(), json.err());
        JsonNode j = m.readTree(json.out());
        assertEquals(1, j.get("version").asInt());
        assertEquals("conflict", j.at("/findings/0/code").asText());

        Run sarif = run("check", "--format", "sarif", p);
        assertEquals(Main.FINDINGS, sarif.code());
        JsonNode s = m.readTree(sarif.out());
        assertEquals("2.1.0", s.get("version").asText());
        assertEquals("conflict", s.at("/runs/0/results/0/ruleId").asText());
        assertEquals(4, s.at("/runs/0/results/0/locations/0/physicalLocation/region/startLine").asInt());

        Run junit = run("check", "--format", "junit", p);
        assertEquals(Main.FINDINGS, junit.code());
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(junit.out())));
        assertEquals("testsuites", doc.getDocumentElement().getTagName());
        assertEquals("1", doc.getDocumentElement().getAttribute("failures"));

        Run html = run("check", "--format", "html", p);
        assertEquals(Main.FINDINGS, html.code());
        assertTrue(html.out().startsWith("<!DOCTYPE html>"), html.out());
        assertTrue(html.out().contains("id=\"matrix-bad\""));

        Run text = run("check", "--format", "text", p);
        assertTrue(text.out().contains("error[conflict]"), text.out());
    }

    @Test
    void outputGoesToTheFileAtomically() throws Exception {
        String p = policy().toString();
        for (String f : List.of("text", "json", "sarif", "junit", "html")) {
            Path target = dir.resolve("reports/" + f + ".out");
            Run r = run("check", "--format", f, "--output", target.toString(), p);
            assertEquals(Main.FINDINGS, r.code(), r.err());
            assertEquals("", r.out(), "nothing on stdout with --output");
            assertTrue(Files.size(target) > 100, f);
            assertEquals(run("check", "--format", f, p).out().replaceAll("\\s+", ""),
                    Files.readString(target).replaceAll("\\s+", ""), f + ": the file holds what stdout would");
        }
        try (Stream<Path> s = Files.list(dir.resolve("reports"))) {
            assertEquals(5, s.count(), "no temporary files left");
        }
        Run toDir = run("check", "--format", "json", "--output", dir.toString(), p);
        assertEquals(Main.USAGE, toDir.code());
        assertTrue(toDir.err().startsWith("portcullis: cannot write "), toDir.err());
        assertFalse(toDir.err().contains("\tat "));
    }

    @Test
    void usageMistakes() throws Exception {
        String p = policy().toString();
        Run bogus = run("check", "--format", "xml", p);
        assertEquals(Main.USAGE, bogus.code());
        assertTrue(bogus.err().contains("--format must be text, json, sarif, junit or html, not 'xml'"), bogus.err());
        Run o = run("check", "-o", "x", p);
        assertEquals(Main.USAGE, o.code());
        assertTrue(o.err().contains("--output FILE"), o.err());
    }

    @Test
    void colourOnlyOnATerminalWithoutNoColor() throws Exception {
        String p = policy().toString();
        assertTrue(run(Map.of(), true, "check", p).out().contains("\u001b["), "a terminal gets colour");
        assertFalse(run(Map.of(), false, "check", p).out().contains("\u001b["), "a pipe gets none");
        Map<String, String> noColor = new HashMap<>();
        noColor.put("NO_COLOR", "");
        assertFalse(run(noColor, true, "check", p).out().contains("\u001b["), "NO_COLOR with any value, even empty");
        assertFalse(run(Map.of("NO_COLOR", "1"), true, "check", p).out().contains("\u001b["));
        Path file = dir.resolve("t.txt");
        run(Map.of(), true, "check", "--output", file.toString(), p);
        assertFalse(Files.readString(file).contains("\u001b["), "a file gets none, even from a terminal");
        // Machine formats never carry colour.
        assertFalse(run(Map.of(), true, "check", "--format", "json", p).out().contains("\u001b["));
    }
}
