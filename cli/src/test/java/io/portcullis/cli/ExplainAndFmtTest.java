package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis explain} and {@code portcullis fmt} on real files, through the real library. */
class ExplainAndFmtTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    private static final String POLICY = """
            network web-net = 10.2.0.0/16;
            policy p {
                default deny;
                web: allow tcp from any to web-net port { 80, 443 };
                dns: allow udp to 10.9.0.1 port 53;
                no-ssh: deny tcp to any port 22;
                ssh-in: allow tcp to 10.9.0.0/16 port 22;
                expect deny tcp 192.0.2.1:40000 -> 10.9.0.1:22;
                assert deny tcp new to any port 22;
            }
            guard g { assert deny tcp to any port 22; }
            """;

    @Test
    void explainShowsEachRuleInOrderWhyItMissesAndWhichDecides() throws IOException {
        Path f = write("p.policy", POLICY);
        Run r = run("explain", f.toString(), "p", "tcp 192.0.2.1:40000 -> 10.9.0.1:22");
        assertEquals(Main.OK, r.code(), r.err());
        String expected = """
                packet: tcp 192.0.2.1:40000 -> 10.9.0.1:22 flags { syn }
                policy: p (%1$s:2), 4 rules

                rule 1 'web' (line 4): no match
                    web: allow tcp from any to web-net port { 80, 443 };
                    - dst 10.9.0.1 not in 10.2.0.0/16
                    - dport 22 not in { 80, 443 }
                rule 2 'dns' (line 5): no match
                    dns: allow udp to 10.9.0.1 port 53;
                    - proto tcp, the rule wants udp port 53
                rule 3 'no-ssh' (line 6): matches, decides: deny
                    no-ssh: deny tcp to any port 22;
                rule 4 'ssh-in' (line 7): matches too (allow), but rule 3 decides first

                expect deny (line 8) is this packet: holds
                assert deny tcp new to any port 22 (line 9) covers this packet: holds for it
                guard g: assert deny tcp to any port 22 (%1$s:11) covers this packet: holds for it

                verdict: deny, by rule 3 'no-ssh' (line 6)
                """.formatted(r.out().lines().skip(1).findFirst().orElseThrow().replaceAll("^policy: p \\((.*):2\\).*$", "$1"));
        assertEquals(expected, r.out());
        assertEquals("deny\n", run("eval", f.toString(), "p", "tcp 192.0.2.1:40000 -> 10.9.0.1:22").out());
    }

    @Test
    void explainAgreesWithEvalOnRandomPackets() throws IOException {
        Path f = write("p.policy", POLICY);
        Random r = new Random(3);
        String[] protos = {"tcp", "udp"};
        for (int i = 0; i < 20; i++) {
            String packet = protos[r.nextInt(2)] + " 192.0.2." + r.nextInt(3) + ":40000 -> 10." + (r.nextBoolean() ? "9" : "2")
                    + ".0." + r.nextInt(3) + ":" + new int[] {22, 53, 80, 443, 8080}[r.nextInt(5)];
            Run eval = run("eval", f.toString(), "p", packet);
            Run explain = run("explain", f.toString(), "p", packet);
            assertEquals(Main.OK, explain.code(), explain.err());
            String verdict = explain.out().lines().filter(l -> l.startsWith("verdict: ")).findFirst().orElseThrow();
            assertTrue(verdict.startsWith("verdict: " + eval.out().strip() + ","), packet + ": " + verdict + " vs " + eval.out());
        }
    }

    @Test
    void explainWithTheDefaultAndBadInput() throws IOException {
        Path f = write("p.policy", POLICY);
        Run r = run("explain", f.toString(), "p", "udp 192.0.2.1:1 -> 10.8.0.1:9");
        assertTrue(r.out().contains("no rule matches: default deny"), r.out());
        assertTrue(r.out().endsWith("verdict: deny, by the default (line 3)\n"), r.out());
        assertEquals(Main.USAGE, run("explain", f.toString(), "p", "not a packet").code());
        assertEquals(Main.USAGE, run("explain", f.toString(), "nope", "udp 192.0.2.1:1 -> 10.8.0.1:9").code());
        assertEquals(Main.USAGE, run("explain", f.toString(), "p").code());
    }

    @Test
    void fmtRewritesAtomicallyOnlyWhatChangesAndCheckReports() throws IOException {
        Path messy = write("a/messy.policy", "policy p {default deny; # keep me\n  allow tcp to 10.0.0.0/8 port {80,443} ;}\n");
        String clean = "policy q {\n    default deny;\n}\n";
        Path tidy = write("a/tidy.policy", clean);

        Run check = run("fmt", "--check", dir.resolve("a").toString());
        assertEquals(Main.FINDINGS, check.code(), check.err());
        assertTrue(check.out().contains("messy.policy: not formatted"), check.out());
        assertTrue(check.out().contains("    line 1:\n    - policy p {default deny; # keep me\n    + policy p {\n"), check.out());
        assertFalse(check.out().contains("tidy.policy"), check.out());
        assertTrue(check.err().contains("1 file is not formatted"), check.err());
        assertTrue(Files.readString(messy).startsWith("policy p {default"), "--check changes nothing");

        long tidyModified = Files.getLastModifiedTime(tidy).toMillis();
        Run fmt = run("fmt", dir.resolve("a").toString());
        assertEquals(Main.OK, fmt.code(), fmt.err());
        assertTrue(fmt.out().contains("formatted "), fmt.out());
        assertEquals("policy p {\n    default deny; # keep me\n    allow tcp to 10.0.0.0/8 port { 80, 443 };\n}\n",
                Files.readString(messy));
        assertEquals(clean, Files.readString(tidy));
        assertEquals(tidyModified, Files.getLastModifiedTime(tidy).toMillis(), "a formatted file is not rewritten");
        try (var s = Files.list(dir.resolve("a"))) {
            assertEquals(List.of("messy.policy", "tidy.policy"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left behind");
        }
        assertEquals(Main.OK, run("fmt", "--check", dir.resolve("a").toString()).code());
    }

    @Test
    void fmtLeavesAFileThatDoesNotParseUntouched() throws IOException {
        String broken = "policy p {\n    default deny\n    allow tcp;\n}\n";
        Path f = write("bad.policy", broken);
        for (String[] args : new String[][] {{"fmt", f.toString()}, {"fmt", "--check", f.toString()}}) {
            Run r = run(args);
            assertEquals(Main.USAGE, r.code(), r.err());
            assertTrue(r.err().contains("bad.policy:2:17: error[syntax]"), r.err());
            assertTrue(r.err().contains("left untouched"), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertEquals(broken, Files.readString(f));
        }
        assertEquals(Main.USAGE, run("fmt", dir.resolve("missing.policy").toString()).code());
        assertEquals(Main.USAGE, run("fmt").code());
    }
}
