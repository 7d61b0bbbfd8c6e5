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
    void provesATableProgramAndTheKernelLoadsItWithItsTables(@TempDir Path dir) throws Exception {
        StringBuilder src = new StringBuilder("policy tab {\n    default deny;\n");
        for (int i = 0; i < 40; i++) {
            src.append("    r").append(i).append(": ").append(i % 3 == 0 ? "deny" : "allow").append(" tcp from 192.0.")
                    .append(i).append(".0/24 to 10.1.").append(i % 7).append(".0/24 port ").append(1000 + i).append(";\n");
        }
        src.append("}\n");
        Path policy = Files.writeString(dir.resolve("tab.policy"), src);
        io.portcullis.ir.ResolvedPolicy p = io.portcullis.resolve.Loader.load(java.util.List.of(policy)).policies().get(0);
        Path obj = Files.write(dir.resolve("tab.o"), io.portcullis.bpf.lower.BpfCompiler.compile(p,
                io.portcullis.bpf.lower.BpfCompiler.Strategy.TABLE));

        Run ok = run("verify", "--policy", policy.toString(), obj.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("accepted by the static verifier"), ok.out());
        // The kernel gets the .rodata sections as read-only maps (before, verify gave it none and it refused the loads).
        if (io.portcullis.bpf.kernel.Bpf.availability().available()) {
            assertTrue(ok.out().contains("accepted by the kernel verifier"), ok.out());
        }
        assertTrue(ok.out().lines().anyMatch(l -> l.startsWith("proven: ")), ok.out());
        assertTrue(ok.out().lines().anyMatch(l -> l.startsWith("  table proof: IPV4: ")), ok.out());

        // The same object against a policy with one verdict flipped: a mismatch with a witness.
        Path other = Files.writeString(dir.resolve("tab2.policy"), src.toString().replace("r3: deny", "r3: allow"));
        Run bad = run("verify", "--policy", other.toString(), obj.toString());
        assertEquals(1, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("error[translation-mismatch]"), bad.out());
        assertTrue(bad.out().contains("witness packet: tcp 192.0.3."), bad.out());
    }

    @Test
    void usageErrors(@TempDir Path dir) {
        assertEquals(2, run("verify", "x.o").code());
        assertEquals(2, run("verify", "--policy").code());
        assertEquals(2, run("verify", "--policy", dir.resolve("none.policy").toString(), dir.resolve("none.o").toString()).code());
        assertEquals(0, run("verify", "--help").code());
    }
}
