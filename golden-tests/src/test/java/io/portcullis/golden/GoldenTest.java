package io.portcullis.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.driver.Portcullis;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.PolicyParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden-file bytecode tests. Each folder under {@code cases/} holds {@code policy.policy} and, beside it:
 * <ul>
 *   <li>{@code expected.asm}: the disassembly of the compiled program (only for a policy without errors);</li>
 *   <li>{@code expected.findings}: one line per finding: {@code LINE:COL severity[code] rule=LABEL witness=PACKET};</li>
 *   <li>{@code packets}: {@code allow|deny PACKET} lines that the reference evaluator and, where bpf() is allowed, the
 *       kernel running the compiled program must both give. Goldens alone rot; these keep each case honest.</li>
 * </ul>
 * A missing expected file is written and the test fails; a mismatch prints a diff and the command that rewrites it.
 */
class GoldenTest {
    static final Path CASES = Path.of(System.getProperty("golden.cases", "cases"));
    static final boolean UPDATE = Boolean.getBoolean("golden.update");
    static final String REWRITE = "mvn -B verify -pl golden-tests -am -Dgolden.update=true";
    static final LocalDate TODAY = LocalDate.of(2026, 11, 25);

    @TestFactory
    Stream<DynamicContainer> cases() throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(CASES)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertFalse(dirs.isEmpty(), "no golden cases under " + CASES.toAbsolutePath());
        return dirs.stream().map(dir -> DynamicContainer.dynamicContainer(dir.getFileName().toString(), Stream.of(
                DynamicTest.dynamicTest("findings", () -> findings(dir)),
                DynamicTest.dynamicTest("disassembly", () -> disassembly(dir)),
                DynamicTest.dynamicTest("packets", () -> packets(dir)))));
    }

    private static Portcullis.CheckResult check(Path dir) throws Exception {
        return Portcullis.check(List.of(dir.resolve("policy.policy")),
                new Portcullis.Options(io.portcullis.diag.Severity.ERROR, Map.of(), TODAY, Portcullis.KernelMode.NEVER));
    }

    private static void findings(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : check(dir).diagnostics()) {
            sb.append(d.span().line()).append(':').append(d.span().column()).append(' ')
                    .append(d.isWaived() ? "waived" : d.severity().label()).append('[').append(d.code()).append(']');
            if (d.rule() != null) sb.append(" rule=").append(d.rule());
            if (d.witness() != null) sb.append(" witness=").append(d.witness());
            sb.append('\n');
        }
        compare(dir.resolve("expected.findings"), sb.toString());
    }

    private static void disassembly(Path dir) throws Exception {
        Portcullis.CheckResult r = check(dir);
        // Findings do not stop the bytecode goldens (the gate is tested elsewhere); only a policy that did not resolve does.
        Assumptions.assumeTrue(r.policies().size() == 1, "case has no single resolved policy: nothing to compile");
        ResolvedPolicy p = r.policies().get(0);
        byte[] elf = BpfCompiler.compile(p);
        assertEquals(new String(elf, StandardCharsets.ISO_8859_1),
                new String(BpfCompiler.compile(p), StandardCharsets.ISO_8859_1), "compiling twice gives the same bytes");
        byte[] text = ElfFile.parse(elf).section(p.target().section()).orElseThrow();
        compare(dir.resolve("expected.asm"), Disassembler.listing(text));
    }

    private static void packets(Path dir) throws Exception {
        Path file = dir.resolve("packets");
        Assumptions.assumeTrue(Files.exists(file), "case has no packets file");
        Portcullis.CheckResult r = check(dir);
        Assumptions.assumeTrue(r.policies().size() == 1, "case has no single resolved policy: nothing to run");
        ResolvedPolicy p = r.policies().get(0);
        List<Object[]> cases = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            int sp = line.indexOf(' ');
            Action want = Action.valueOf(line.substring(0, sp).toUpperCase(java.util.Locale.ROOT));
            String text = line.substring(sp + 1);
            PolicyParser.PacketResult parsed = PolicyParser.parsePacket(SourceFile.ofString(file + ":" + lineNo, text));
            List<Diagnostic> ds = new ArrayList<>(parsed.diagnostics());
            Packet pkt = parsed.packet() == null ? null : Loader.resolvePacket(parsed.packet(), ds);
            if (pkt == null) fail(file + ":" + lineNo + ": bad packet: " + ds);
            assertEquals(want, Evaluator.evaluate(p, pkt).action(), file + ":" + lineNo + ": reference evaluator, " + text);
            cases.add(new Object[] {want, pkt, file + ":" + lineNo});
        }
        assertFalse(cases.isEmpty(), "packets file has packets");
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel run skipped: " + a.reason());
        try (LoadedProgram prog = LoadedProgram.load(BpfCompiler.compile(p), p.target())) {
            for (Object[] c : cases) {
                Action want = (Action) c[0];
                int ret = prog.run(FrameBuilder.ethernet((Packet) c[1]));
                assertEquals(p.target().code(want), ret, c[2] + ": kernel verdict for " + c[1]);
            }
        }
    }

    private static void compare(Path expected, String actual) throws IOException {
        if (UPDATE || !Files.exists(expected)) {
            boolean missing = !Files.exists(expected);
            Files.writeString(expected, actual);
            if (missing) fail("expected file " + expected + " was missing; it has been written. Review it, then re-run.");
            return;
        }
        String want = Files.readString(expected);
        if (!want.equals(actual)) {
            fail("golden mismatch for " + expected + ":\n" + diff(want, actual)
                    + "\nIf the new output is right, rewrite the expected files with:\n  " + REWRITE);
        }
    }

    /** A small line diff: '-' expected, '+' actual, with line numbers. */
    static String diff(String want, String got) {
        String[] a = want.split("\n", -1), b = got.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        int n = Math.max(a.length, b.length), shown = 0;
        for (int i = 0; i < n && shown < 60; i++) {
            String x = i < a.length ? a[i] : null, y = i < b.length ? b[i] : null;
            if (x != null && x.equals(y)) continue;
            if (x != null) sb.append(String.format("-%4d %s%n", i + 1, x));
            if (y != null) sb.append(String.format("+%4d %s%n", i + 1, y));
            shown++;
        }
        return sb.toString();
    }
}
