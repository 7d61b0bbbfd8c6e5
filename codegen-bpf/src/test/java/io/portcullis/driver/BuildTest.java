package io.portcullis.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.diag.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build step: kernel verification modes, what is written, and that nothing partial is left behind. */
class BuildTest {
    @TempDir Path dir;

    static Portcullis.Options options(Portcullis.KernelMode mode) {
        return new Portcullis.Options(Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25), mode);
    }

    Path policy(String name, String body) throws Exception {
        Path p = dir.resolve("src").resolve(name + ".policy");
        Files.createDirectories(p.getParent());
        Files.writeString(p, "policy " + name + " {\n    default deny;\n" + body + "}\n");
        return p;
    }

    @AfterEach
    void enableKernel() { System.clearProperty(Bpf.DISABLE_PROPERTY); }

    @Test
    void withoutTheKernelOneClearLineSaysSoAndTheObjectIsStillWritten() throws Exception {
        policy("web", "    allow tcp to 10.0.0.0/8 port 443;\n");
        System.setProperty(Bpf.DISABLE_PROPERTY, "true");
        Portcullis.BuildResult r = Portcullis.build(List.of(dir.resolve("src")), dir.resolve("out"),
                options(Portcullis.KernelMode.AUTO));
        assertEquals(List.of("verification by the kernel was not possible: bpf() disabled by -D"
                + Bpf.DISABLE_PROPERTY + "=true"), r.notes());
        assertEquals(List.of(dir.resolve("out/web.o")), r.objects());
        assertFalse(r.fails(Severity.ERROR));
    }

    @Test
    void kernelAlwaysFailsWhenTheKernelCannotVerify() throws Exception {
        policy("web", "    allow tcp to 10.0.0.0/8 port 443;\n");
        System.setProperty(Bpf.DISABLE_PROPERTY, "true");
        Portcullis.BuildResult r = Portcullis.build(List.of(dir.resolve("src")), dir.resolve("out"),
                options(Portcullis.KernelMode.ALWAYS));
        assertTrue(r.fails(Severity.ERROR));
        assertEquals("kernel-verifier", r.diagnostics().get(0).code());
        assertEquals(List.of(), r.objects());
        assertFalse(Files.exists(dir.resolve("out/web.o")));
    }

    @Test
    void theKernelVerifierAcceptsAndTheBuildSaysHowMuchItProcessed() throws Exception {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel verification skipped: " + a.reason());
        policy("web", "    allow tcp to 10.0.0.0/8 port 443;\n");
        Portcullis.BuildResult r = Portcullis.build(List.of(dir.resolve("src")), dir.resolve("out"),
                options(Portcullis.KernelMode.ALWAYS));
        assertFalse(r.fails(Severity.ERROR), r.diagnostics().toString());
        assertEquals(1, r.notes().size());
        assertTrue(r.notes().get(0).matches("kernel verifier accepted web: \\d+ instructions, \\d+ processed"), r.notes().get(0));
    }

    @Test
    void policiesWithErrorsAreNotBuiltAndNoTemporaryFileIsLeft() throws Exception {
        policy("good", "    allow tcp to 10.0.0.0/8 port 443;\n");
        policy("bad", "    allow tcp to 10.0.0.0/8;\n    deny tcp to 10.1.0.0/16;\n");
        Path out = dir.resolve("out");
        Portcullis.BuildResult r = Portcullis.build(List.of(dir.resolve("src")), out, options(Portcullis.KernelMode.NEVER));
        assertTrue(r.fails(Severity.ERROR));
        assertEquals(List.of(out.resolve("good.o")), r.objects());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of("good.o"), s.map(p -> p.getFileName().toString()).toList());
        }
        byte[] first = Files.readAllBytes(out.resolve("good.o"));
        Portcullis.build(List.of(dir.resolve("src")), out, options(Portcullis.KernelMode.NEVER));
        assertEquals(java.util.HexFormat.of().formatHex(first),
                java.util.HexFormat.of().formatHex(Files.readAllBytes(out.resolve("good.o"))), "byte-identical rebuild");
    }

    /**
     * Objects prepared on a thread beside the check (Builder.Ahead) are taken in policy order: the same objects,
     * findings and notes as prepared one after the other once the check is done, a policy with errors in the middle.
     */
    @Test
    void preparingObjectsBesideTheCheckChangesNothing() throws Exception {
        policy("a", "    allow tcp to 10.0.0.0/8 port 443;\n");
        policy("b", "    allow tcp to 10.0.0.0/8;\n    deny tcp to 10.1.0.0/16;\n");
        policy("c", "    allow udp from 192.0.2.0/24 to 10.2.0.0/16 port 53;\n    deny icmp;\n");
        policy("d", "    allow tcp from 2001:db8::/32 to any port { 80, 443 };\n");
        java.util.function.Function<Boolean, List<String>> run = ahead -> {
            Path out = dir.resolve(ahead ? "out-ahead" : "out-after");
            System.setProperty(Builder.Ahead.PROPERTY, Boolean.toString(ahead));
            try {
                Portcullis.BuildResult r = Portcullis.build(List.of(dir.resolve("src")), out, options(Portcullis.KernelMode.NEVER));
                List<String> seen = new java.util.ArrayList<>();
                for (Path o : r.objects()) {
                    seen.add(o.getFileName() + " " + java.util.HexFormat.of().formatHex(Files.readAllBytes(o)));
                }
                seen.add(r.diagnostics().toString());
                seen.add(r.notes().toString());
                return seen;
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                System.clearProperty(Builder.Ahead.PROPERTY);
            }
        };
        List<String> after = run.apply(false), ahead = run.apply(true);
        assertEquals(5, after.size(), "three objects, findings, notes: " + after);
        assertTrue(after.get(3).contains("conflict"), after.get(3));
        assertEquals(after, ahead);
    }

    /** Objects name the policy file relative to the root it was given under, never by a path of this machine. */
    @Test
    void objectsNameThePolicyFileRelativeToItsRoot() throws Exception {
        Path file = dir.resolve("src").resolve("zone").resolve("web.policy");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "policy web {\n    default deny;\n    allow tcp to 10.0.0.0/8 port 443;\n}\n");
        Portcullis.build(List.of(dir.resolve("src")), dir.resolve("out"), options(Portcullis.KernelMode.NEVER));
        String fromDir = new String(Files.readAllBytes(dir.resolve("out/web.o")), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(fromDir.contains("zone/web.policy"), "named relative to src/");
        assertFalse(fromDir.contains(dir.toString()), "no absolute path");
        Portcullis.build(List.of(file), dir.resolve("out2"), options(Portcullis.KernelMode.NEVER));
        String fromFile = new String(Files.readAllBytes(dir.resolve("out2/web.o")), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(fromFile.contains("zone/web.policy"), "a file given alone is its own root's only file");
        assertTrue(fromFile.contains("web.policy"));
    }
}
