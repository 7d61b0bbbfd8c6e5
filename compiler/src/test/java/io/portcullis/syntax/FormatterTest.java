package io.portcullis.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Codes;
import io.portcullis.diag.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis fmt}'s layout: pinned on small inputs, and idempotent, comment- and meaning-preserving on real ones. */
class FormatterTest {
    @TempDir Path tmp;

    @Test
    void canonicalLayout() {
        String in = """
                # header comment


                network   web=10.1.0.0/16 ;   # the web tier
                service dns={udp 53,tcp 53};
                policy edge on tc   ingress{default deny;
                  non-ip allow;


                    # public services
                  public-web :allow tcp from any to web port {80,443};
                  allow udp from any port 1024 - 65535 to web port 53;
                waive exposed-admin-port "reviewed" until 2027-03-31;
                ssh: allow tcp to 10.1.0.5 port 22;

                expect allow tcp 192.0.2.7:40000->10.1.3.4:443 flags{syn,ack};
                expect deny udp [2001:db8::1] : 53 -> [fd00::7]:5432;
                expect deny tcp 192.0.2.7:1 -> 10.1.3.4:2 flags { };
                assert deny tcp new from any except web to web port 5432;

                }
                guard g { assert deny tcp to any port 3389; }
                network late = { 10.0.0.0/8, # first
                   10.2.0.0/16 };
                """;
        String expected = """
                # header comment

                network web = 10.1.0.0/16; # the web tier
                service dns = { udp 53, tcp 53 };

                policy edge on tc ingress {
                    default deny;
                    non-ip allow;

                    # public services
                    public-web: allow tcp from any to web port { 80, 443 };
                    allow udp from any port 1024-65535 to web port 53;
                    waive exposed-admin-port "reviewed" until 2027-03-31;
                    ssh: allow tcp to 10.1.0.5 port 22;

                    expect allow tcp 192.0.2.7:40000 -> 10.1.3.4:443 flags { syn, ack };
                    expect deny udp [2001:db8::1]:53 -> [fd00::7]:5432;
                    expect deny tcp 192.0.2.7:1 -> 10.1.3.4:2 flags { };
                    assert deny tcp new from any except web to web port 5432;
                }

                guard g {
                    assert deny tcp to any port 3389;
                }

                network late = { 10.0.0.0/8, # first
                    10.2.0.0/16 };
                """;
        assertEquals(expected, FormatChecks.check("in.policy", in));
    }

    @Test
    void commentsBeforeABlockStayWithIt() {
        String in = "network a = 10.0.0.0/8;\n# about p\npolicy p { # opens\n  default deny; # d\n  # before the end\n} # after\n# eof\n";
        String expected = "network a = 10.0.0.0/8;\n\n# about p\npolicy p { # opens\n    default deny; # d\n"
                + "    # before the end\n} # after\n# eof\n";
        assertEquals(expected, FormatChecks.check("c.policy", in));
    }

    @Test
    void emptyAndCommentOnlyFiles() {
        assertEquals("", FormatChecks.check("e.policy", ""));
        assertEquals("", FormatChecks.check("e.policy", "\n\n  \n"));
        assertEquals("# only\n\n# comments\n", FormatChecks.check("e.policy", "  # only  \n\n\n\t# comments"));
    }

    @Test
    void aFileWithSyntaxErrorsIsNotFormatted() {
        Formatter.Result r = Formatter.format(SourceFile.ofString("bad.policy", "policy p {\n    default deny\n    allow tcp;\n}\n"));
        assertNull(r.text());
        assertFalse(r.errors().isEmpty());
        assertEquals(Codes.SYNTAX, r.errors().get(0).code());
        assertEquals(2, r.errors().get(0).span().line());
    }

    /** Every policy file in the repository: bundled, golden cases, plugin integration tests. */
    /** The bundled example policies are what users copy: they must already be in the canonical layout. */
    @Test
    void theBundledPoliciesAreFormatted() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(Path.of("../policies"))) {
            files = s.filter(f -> f.toString().endsWith(".policy")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) {
            String text = Files.readString(f);
            assertEquals(text, FormatChecks.check(f.toString(), text), f + " is not formatted: run portcullis fmt policies/");
        }
    }

    static List<Path> repositoryPolicies() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String root : List.of("../policies", "../golden-tests/cases", "../maven-plugin/src/it")) {
            try (Stream<Path> s = Files.walk(Path.of(root))) {
                s.filter(p -> p.toString().endsWith(".policy")).sorted().forEach(out::add);
            }
        }
        return out;
    }

    private static boolean parses(Path p) throws IOException {
        return PolicyParser.parse(SourceFile.ofString(p.toString(), Files.readString(p))).diagnostics().stream()
                .noneMatch(d -> d.severity() == io.portcullis.diag.Severity.ERROR);
    }

    @Test
    void idempotentAndCommentPreservingOnEveryRepositoryPolicyAndScrambledCopies() throws IOException {
        List<Path> files = repositoryPolicies();
        assertTrue(files.size() > 10, "found " + files);
        Random r = new Random(6);
        int checked = 0;
        for (Path p : files) {
            if (!parses(p)) continue;
            String text = Files.readString(p);
            String formatted = FormatChecks.check(p.toString(), text);
            for (int i = 0; i < 5; i++) {
                String scrambled = FormatChecks.scramble(text, r);
                String f = FormatChecks.check(p + " (scrambled)", scrambled);
                // With the comments gone from both, layout no longer depends on the input's: one canonical text.
                assertEquals(stripComments(FormatChecks.check("x", stripComments(formatted))),
                        stripComments(FormatChecks.check("y", stripComments(f))), p + ": scrambled copy formats differently");
            }
            checked++;
        }
        assertTrue(checked > 10);
    }

    /** The formatted text without its comment lines and trailing comments, re-formatted so blank lines settle. */
    private static String stripComments(String formatted) {
        StringBuilder sb = new StringBuilder();
        for (String line : formatted.split("\n", -1)) {
            int hash = line.indexOf('#');
            // No string in these files holds '#'; a comment-only line goes, a trailing comment is cut.
            String kept = hash < 0 ? line : line.substring(0, hash).stripTrailing();
            if (hash >= 0 && kept.isBlank()) continue;
            // Blank lines depend on where the input had them; compare without them.
            if (kept.isBlank()) continue;
            sb.append(kept.strip()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void formattingTheBundledPoliciesKeepsTheirMeaning() throws Exception {
        Path before = tmp.resolve("before");
        Path after = tmp.resolve("after");
        Path src = Path.of("../policies").toAbsolutePath().normalize();
        Random r = new Random(11);
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".policy")).toList()) {
                String text = FormatChecks.scramble(Files.readString(p), r);
                Path b = before.resolve(src.relativize(p));
                Path a = after.resolve(src.relativize(p));
                Files.createDirectories(b.getParent());
                Files.createDirectories(a.getParent());
                Files.writeString(b, text);
                Files.writeString(a, FormatChecks.check(p.toString(), text));
            }
        }
        String m = FormatChecks.meaning(List.of(before));
        assertTrue(m.contains("policy edge") && m.contains("guard "), m);
        assertEquals(m, FormatChecks.meaning(List.of(after)));
    }
}
