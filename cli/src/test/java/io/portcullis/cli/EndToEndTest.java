package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real library behind the command line: exit codes, output routing and the JSON shape on real policies. */
class EndToEndTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
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

    private static final String CLEAN = """
            network web = 10.1.0.0/16;
            policy web on xdp {
                default deny;
                public-web: allow tcp from any to web port { 80, 443 };
                ndp: allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                router-adv: allow icmpv6 type router-advertisement from fe80::/10 to any6;
                expect allow tcp 192.0.2.7:40000 -> 10.1.3.4:443;
                expect deny  tcp 192.0.2.7:40000 -> 10.1.3.4:22;
            }
            """;

    // Line 4: db-clients can never take effect, block-db already denies all its packets.
    private static final String CONFLICT = """
            policy bad {
                default deny;
                block-db:   deny tcp from any to 10.2.0.0/16 port 5432;
                db-clients: allow tcp from 10.1.0.0/16 to 10.2.0.0/16 port 5432;
            }
            """;

    // Line 4: the second rule is dead code, with the same action as the one that covers it.
    private static final String SHADOWED = """
            policy dup {
                default deny;
                web:   allow tcp from any to 10.1.0.0/16 port 443;
                again: allow tcp from 192.0.2.0/24 to 10.1.0.0/16 port 443;
            }
            """;

    private static void assertNoStackTrace(Run r) {
        assertFalse(r.err().contains("\tat "), r.err());
        assertFalse(r.out().contains("\tat "), r.out());
    }

    private static JsonNode json(String stdout) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        JsonNode node = mapper.readTree(stdout);
        assertTrue(node.isObject(), "stdout must be one JSON object:\n" + stdout);
        return node;
    }

    /** Every finding object in the report, wherever the report keeps its list. */
    private static List<JsonNode> findings(JsonNode report) {
        List<JsonNode> out = new ArrayList<>();
        report.fields().forEachRemaining(e -> {
            if (e.getValue().isArray()) e.getValue().forEach(n -> { if (n.has("code")) out.add(n); });
        });
        return out;
    }

    @Test
    void cleanPolicyExitsZero() throws IOException {
        Path p = write("web.policy", CLEAN);
        Run r = run("check", p.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().endsWith("0 errors, 0 warnings, 0 infos\n"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void conflictExitsOneWithTheFindingAndItsLocation() throws IOException {
        Path p = write("bad.policy", CONFLICT);
        Run r = run("check", dir.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("bad.policy:4:"), r.out());
        assertTrue(r.out().contains("conflict"), r.out());
        assertTrue(r.out().matches("(?s).*\\n1 errors?, .*"), r.out());
        assertNoStackTrace(r);
    }

    @Test
    void jsonIsExactlyOneObjectWithTheFindings() throws IOException {
        write("bad.policy", CONFLICT);
        Run r = run("check", "--format", "json", dir.toString());
        assertEquals(1, r.code(), r.err());
        JsonNode report = json(r.out());
        List<JsonNode> fs = findings(report);
        assertEquals(1, fs.stream().filter(f -> f.get("code").asText().equals("conflict")).count(), r.out());
        JsonNode conflict = fs.stream().filter(f -> f.get("code").asText().equals("conflict")).findFirst().orElseThrow();
        assertEquals("error", conflict.get("severity").asText(), r.out());
        assertTrue(r.out().contains("10.2."), "the witness goes to 10.2.0.0/16: " + r.out());
    }

    @Test
    void jsonOfACleanRunIsAnObjectWithNoFindings() throws IOException {
        write("web.policy", CLEAN);
        Run r = run("check", "--format=json", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(), findings(json(r.out())));
    }

    @Test
    void failOnWarningAndSeverityOverrides() throws IOException {
        Path p = write("dup.policy", SHADOWED);
        Run plain = run("check", p.toString());
        assertEquals(0, plain.code(), plain.out());
        assertTrue(plain.out().contains("shadowed"), plain.out());
        assertEquals(1, run("check", "--fail-on", "warning", p.toString()).code());
        assertEquals(1, run("check", "--severity", "shadowed=error", p.toString()).code());
        Run off = run("check", "--fail-on", "warning", "--severity", "shadowed=off", "--severity", "ndp-blocked=off", p.toString());
        assertEquals(0, off.code(), off.out());
        assertFalse(off.out().contains("shadowed"), off.out());
        Path bad = write("bad.policy", CONFLICT);
        assertEquals(0, run("check", "--severity", "conflict=warning", bad.toString()).code());
    }

    @Test
    void syntaxErrorsExitOne() throws IOException {
        Path p = write("broken.policy", "policy broken {\n    default deny\n    allow tcp from any to any port 80;\n}\n");
        Run r = run("check", p.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("broken.policy:"), r.out());
        assertNoStackTrace(r);
    }

    @Test
    void missingPathExitsTwoWithoutStackTrace() {
        Run r = run("check", dir.resolve("nowhere").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("nowhere"), r.err());
        assertEquals("", r.out());
        assertNoStackTrace(r);
    }

    @Test
    void guardsApplyToEveryPolicyOfTheRun() throws IOException {
        Path p = write("open.policy", """
                policy open {
                    default deny;
                    ui: allow tcp from any4 to 10.1.0.0/16 port 8080;
                }
                """);
        Path g = write("guards/baseline.policy", """
                guard baseline {
                    assert deny tcp new from any except 192.0.2.0/24 to any port 8080;
                }
                """);
        assertEquals(0, run("check", p.toString()).code());
        Run r = run("check", p.toString(), g.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("guard"), r.out());
    }

    @Test
    void buildWritesOneObjectPerPolicy() throws IOException {
        write("web.policy", CLEAN);
        Path out = dir.resolve("objs");
        Run r = run("build", "-o", out.toString(), "--kernel", "never", dir.resolve("web.policy").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        Path object = out.resolve("web.o");
        assertTrue(Files.isRegularFile(object), r.out());
        byte[] bytes = Files.readAllBytes(object);
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, java.util.Arrays.copyOf(bytes, 4));
        assertTrue(r.out().contains("wrote " + object), r.out());
        assertFalse(r.out().contains("note:"), "notes go to stderr: " + r.out());
    }

    @Test
    void buildStatsPrintsEachObjectsFiguresAndHeadroom() throws IOException {
        write("web.policy", CLEAN);
        Path out = dir.resolve("objs");
        Run r = run("build", "--stats", "-o", out.toString(), "--kernel", "never", dir.resolve("web.policy").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String stats = r.out().substring(r.out().indexOf("stats for "));
        assertTrue(stats.startsWith("stats for " + out.resolve("web.o") + " (policy web, target xdp, section xdp):\n"), stats);
        assertTrue(stats.matches("(?s).*\n  instructions +[0-9,]+ of 1,000,000, headroom [0-9,]+ .*"), stats);
        assertTrue(stats.contains("  verifier processed  not verified: kernel verification turned off\n"), stats);
        assertTrue(stats.matches("(?s).*\n  stack bytes +\\d+ of 512, headroom \\d+ .*"), stats);
        assertTrue(stats.contains("  maps                none\n"), stats);
        // Deterministic: the same build prints the same figures.
        Run again = run("build", "--stats", "-o", out.toString(), "--kernel", "never", dir.resolve("web.policy").toString());
        assertEquals(r.out(), again.out());
        // Without --stats nothing of it is printed, and check refuses the option.
        assertFalse(run("build", "-o", out.toString(), "--kernel", "never", dir.resolve("web.policy").toString())
                .out().contains("stats for"));
        assertEquals(2, run("check", "--stats", dir.resolve("web.policy").toString()).code());
    }

    @Test
    void buildOfAConflictingPolicyExitsOneAndWritesNothing() throws IOException {
        Path p = write("bad.policy", CONFLICT);
        Path out = dir.resolve("objs");
        Run r = run("build", "-o", out.toString(), "--kernel", "never", p.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertFalse(Files.exists(out.resolve("bad.o")));
        assertTrue(r.out().contains("conflict"), r.out());
    }

    @Test
    void evalPrintsTheReferenceVerdict() throws IOException {
        Path p = write("web.policy", CLEAN);
        Run allow = run("eval", p.toString(), "web", "tcp 192.0.2.7:40000 -> 10.1.3.4:443");
        assertEquals(0, allow.code(), allow.err());
        assertEquals("allow\n", allow.out());
        Run deny = run("eval", p.toString(), "web", "tcp 192.0.2.7:40000 -> 10.1.3.4:22");
        assertEquals(0, deny.code(), deny.err());
        assertEquals("deny\n", deny.out());
        assertEquals("deny\n", run("eval", p.toString(), "web", "udp [2001:db8::1]:5353 -> [2001:db8::2]:443").out());
    }

    @Test
    void evalMistakesExitTwo() throws IOException {
        Path p = write("web.policy", CLEAN);
        Run unknown = run("eval", p.toString(), "nope", "tcp 192.0.2.7:40000 -> 10.1.3.4:443");
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("nope"), unknown.err());
        Run badPacket = run("eval", p.toString(), "web", "tcp to somewhere");
        assertEquals(2, badPacket.code(), badPacket.err());
        assertEquals("", badPacket.out());
        assertNoStackTrace(badPacket);
        assertEquals(2, run("eval", dir.resolve("missing.policy").toString(), "web", "tcp 1.2.3.4:1 -> 5.6.7.8:2").code());
    }

    @Test
    void sameInputSameOutput() throws IOException {
        write("bad.policy", CONFLICT);
        write("dup.policy", SHADOWED);
        assertEquals(run("check", dir.toString()).out(), run("check", dir.toString()).out());
        assertEquals(run("check", "--format", "json", dir.toString()).out(),
                run("check", "--format", "json", dir.toString()).out());
    }

    @Test
    void bundledPoliciesCheckClean() {
        Path policies = Path.of("..", "policies");
        Run r = run("check", policies.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("0 errors, 0 warnings"), r.out());
    }

    @Test
    void adminPortsAndWaiverWindowAreTheOrganisationsToSet() throws IOException {
        Path p = write("ui.policy", """
                policy ui {
                    default deny;
                    ndp: allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                    router-adv: allow icmpv6 type router-advertisement from fe80::/10 to any6;
                    waive exposed-admin-port "bastion" until 2099-01-01;
                    ssh: allow tcp from any to 10.0.0.5 port 22;
                    ui: allow tcp from any to 10.0.0.6 port 8443;
                }
                """);
        Run plain = run("check", p.toString());
        assertEquals(0, plain.code(), plain.out());
        assertTrue(plain.out().contains("waived[exposed-admin-port]"), plain.out());
        Run custom = run("check", "--admin-ports", "22,8443", p.toString());
        assertEquals(1, custom.code(), custom.out());
        assertTrue(custom.out().contains("error[exposed-admin-port]") && custom.out().contains("-> 10.0.0.6:8443"),
                custom.out());
        Run window = run("check", "--waiver-window", "40000", "--fail-on", "warning", p.toString());
        assertEquals(1, window.code(), window.out());
        assertTrue(window.out().contains("waiver-expiring"), window.out());
        assertEquals(2, run("check", "--admin-ports", "ssh", p.toString()).code());
        assertEquals(2, run("check", "--waiver-window", "-1", p.toString()).code());
    }

    @Test
    void badLimitPropertyIsAUsageErrorWithAClearMessage() throws IOException {
        Path p = write("web.policy", CLEAN);
        String key = "portcullis.limit.rules-per-policy";
        try {
            for (String bad : new String[] {"lots", "0"}) {
                System.setProperty(key, bad);
                for (String[] args : new String[][] {{"check", p.toString()}, {"eval", p.toString(), "web",
                        "tcp 192.0.2.7:40000 -> 10.1.3.4:443"}}) {
                    Run r = run(args);
                    assertEquals(2, r.code(), r.out() + r.err());
                    assertTrue(r.err().startsWith("portcullis: system property portcullis.limit."), r.err());
                    assertTrue(r.err().contains(bad.equals("0") ? "at least 1" : "whole number, not 'lots'"), r.err());
                    assertFalse(r.err().contains("internal error"), r.err());
                    assertNoStackTrace(r);
                }
            }
        } finally {
            System.clearProperty(key);
        }
    }
}
