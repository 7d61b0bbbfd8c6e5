package io.portcullis.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.portcullis.check.Checker;
import io.portcullis.check.WitnessReplay;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Limits;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random policy files, as text and mostly valid, plus random mutations of them (deleted, swapped and repeated tokens,
 * garbage characters, huge numbers, long runs of braces and lists, chains of names, truncation, invalid UTF-8).
 * Loading and checking must never throw; every diagnostic must carry a known code and a position inside its file;
 * every witness must replay through the reference evaluator as its finding claims.
 *
 * <p>CI runs {@value #DEFAULT_CASES} cases. {@code -Dportcullis.fuzz.cases=N} runs N, and
 * {@code -Dportcullis.fuzz.seed=S} starts from another seed, e.g.
 * {@code mvn -B -o -q -pl compiler -am test -Dtest=PolicyFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dportcullis.fuzz.cases=100000}.
 */
class PolicyFuzzTest {
    static final int DEFAULT_CASES = 500;
    /** Findings that are about packets, so they always show one. */
    static final List<String> WITNESSED = List.of(Codes.CONFLICT, Codes.SHADOWED, Codes.REDUNDANT, Codes.CORRELATION,
            Codes.EXPECT, Codes.ASSERT, Codes.GUARD);
    static final LocalDate TODAY = LocalDate.of(2026, 11, 25);

    @TempDir Path dir;

    @Test
    void loaderAndCheckerNeverThrowAndEveryWitnessReplays() throws Exception {
        int cases = Integer.getInteger("portcullis.fuzz.cases", DEFAULT_CASES);
        long seed = Long.getLong("portcullis.fuzz.seed", 20261125L);
        int files = 0, mutated = 0, policies = 0, findings = 0, witnesses = 0;
        Map<String, Integer> perCode = new TreeMap<>();
        long t0 = System.nanoTime();
        for (int k = 0; k < cases; k++) {
            long caseSeed = seed * 1_000_003L + k;
            Random rnd = new Random(caseSeed);
            PolicyText gen = new PolicyText(rnd);
            Path caseDir = Files.createDirectories(dir.resolve("c" + k));
            List<String> texts = new ArrayList<>();
            String main = "";
            if (gen.chance(25)) {
                String lib = gen.library("l");
                if (gen.chance(30)) lib = gen.mutate(lib);
                Files.write(caseDir.resolve("lib.policy"), gen.bytes(lib));
                texts.add(lib);
                main = "import \"lib.policy\";\n";
                files++;
            }
            main += gen.file("m");
            int mutations = gen.chance(50) ? 0 : 1 + rnd.nextInt(3);
            for (int m = 0; m < mutations; m++) main = gen.mutate(main);
            if (mutations > 0) mutated++;
            Path mainFile = caseDir.resolve("main.policy");
            Files.write(mainFile, gen.bytes(main));
            texts.add(main);
            files++;
            // Small limits now and then, so that limit errors go through the same position checks.
            Limits limits = gen.chance(10) ? Limits.BUILT_IN.with("list-items", 2).with("rules-per-policy", 4)
                    .with("definition-depth", 2).with("prefixes-per-set", 3).with("properties-per-policy", 1)
                    .with("errors-per-file", 2).with("tokens-per-file", 300)
                    : Limits.BUILT_IN;
            String context = "case " + k + " (seed " + caseSeed + "), main.policy:\n" + main
                    + (texts.size() > 1 ? "\nlib.policy:\n" + texts.get(0) : "");
            try {
                Loader.LoadResult r = Loader.load(List.of(mainFile), limits);
                for (Diagnostic d : r.diagnostics()) {
                    checkDiagnostic(d, context);
                    perCode.merge(d.code(), 1, Integer::sum);
                }
                findings += r.diagnostics().size();
                for (ResolvedPolicy p : r.policies()) {
                    policies++;
                    for (Diagnostic d : Checker.check(p, r.guards(), TODAY)) {
                        checkDiagnostic(d, context);
                        perCode.merge(d.code(), 1, Integer::sum);
                        findings++;
                        if (WITNESSED.contains(d.code())) assertNotNull(d.witness(), "has a witness: " + d + "\n" + context);
                        if (d.witness() == null) continue;
                        witnesses++;
                        try {
                            WitnessReplay.assertReplays(p, d);
                        } catch (AssertionError e) {
                            fail("witness does not replay: " + e.getMessage() + "\n" + context, e);
                        }
                    }
                }
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                fail("threw " + e + "\n" + context, e);
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("fuzz: " + cases + " cases (" + mutated + " mutated), " + files + " files, " + policies
                + " policies checked, " + findings + " diagnostics, " + witnesses + " witnesses replayed, in " + ms
                + " ms; per code " + perCode);
        // The generator must reach the checker and its witnesses, or the test proves little.
        assertTrue(policies > cases / 3, "policies checked: " + policies);
        for (String code : List.of(Codes.SYNTAX, Codes.CONFLICT, Codes.SHADOWED, Codes.EXPECT, Codes.ASSERT, Codes.LIMIT)) {
            assertTrue(perCode.getOrDefault(code, 0) > 0, "code " + code + " was produced: " + perCode);
        }
    }

    static void checkDiagnostic(Diagnostic d, String context) {
        String where = d + "\n" + context;
        assertTrue(Codes.known(d.code()), "known code: " + where);
        assertNotNull(d.severity(), where);
        assertTrue(d.message() != null && !d.message().isBlank() && d.message().indexOf('\n') < 0, "one-line message: " + where);
        Span s = d.span();
        assertNotNull(s, "has a position: " + where);
        SourceFile f = s.file();
        assertNotNull(f, "has a file: " + where);
        String text = f.text();
        int lines = 1;
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') lines++;
        assertTrue(s.line() >= 1 && s.line() <= lines, "line inside the file (" + lines + " lines): " + where);
        int width = f.line(s.line()).length();
        assertTrue(s.column() >= 1 && s.column() <= width + 1,
                "column inside the line (" + width + " chars): " + where);
        assertEquals(s.location(), f.displayName() + ":" + s.line() + ":" + s.column());
    }
}
