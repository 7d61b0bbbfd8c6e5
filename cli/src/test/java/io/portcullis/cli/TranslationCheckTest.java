package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis verify --policy FILE OBJ.o} end to end: built objects are proven, a foreign one is not. */
class TranslationCheckTest {
    private static final String ALLOW_WEB = """
            policy web {
                default deny;
                web: allow tcp from any to 10.1.0.0/16 port 443;
            }
            """;
    private static final String ALLOW_SSH = """
            policy web {
                default deny;
                ssh: allow tcp from any to 10.1.0.0/16 port 22;
            }
            """;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void provesTheBuiltObjectAndRejectsAnotherPolicysObject(@TempDir Path dir) throws Exception {
        Path web = Files.writeString(dir.resolve("web.policy"), ALLOW_WEB);
        Path ssh = dir.resolve("ssh");
        Files.createDirectories(ssh);
        Files.writeString(ssh.resolve("web.policy"), ALLOW_SSH);
        Run b = run("build", "--kernel", "never", "-o", dir.resolve("out").toString(), web.toString());
        assertEquals(0, b.code(), b.out() + b.err());
        Path obj = dir.resolve("out/web.o");

        Run ok = run("verify", "--policy", web.toString(), obj.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        // verify --policy: the safety verdicts first, then the proof.
        assertTrue(ok.out().contains("accepted by the static verifier"), ok.out());
        assertTrue(ok.out().lines().anyMatch(l -> l.startsWith("proven: ")), ok.out());

        Run bad = run("verify", "--policy", ssh.resolve("web.policy").toString(), obj.toString());
        assertEquals(1, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("error[translation-mismatch]"), bad.out());
        assertTrue(bad.out().contains("witness packet: tcp"), bad.out());
        assertTrue(bad.out().contains("rule 'ssh'") || bad.out().contains("the default"), bad.out());
        assertTrue(bad.out().contains("program: returns at instruction"), bad.out());
        assertTrue(bad.out().contains("path: instructions 0-"), bad.out());
    }

    @Test
    void usageErrors(@TempDir Path dir) {
        assertEquals(2, run("verify", "x.o").code());
        assertEquals(2, run("verify", "--policy").code());
        assertEquals(2, run("verify", "--policy", dir.resolve("none.policy").toString(), dir.resolve("none.o").toString()).code());
        assertEquals(0, run("verify", "--help").code());
    }
}
