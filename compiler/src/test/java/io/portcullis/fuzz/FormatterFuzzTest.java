package io.portcullis.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.syntax.FormatChecks;
import io.portcullis.syntax.PolicyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The formatter on random policies (the fuzz test's generator), laid out at random: idempotent, every comment kept,
 * the same policies and findings after formatting. {@code -Dportcullis.fmt.cases=N} runs more than the CI's 80 (the checker's findings are compared on every twentieth).
 */
class FormatterFuzzTest {
    @TempDir Path dir;

    @Test
    void randomPolicies() throws Exception {
        int cases = Integer.getInteger("portcullis.fmt.cases", 80);
        Random r = new Random(Long.getLong("portcullis.fmt.seed", 66));
        int compared = 0;
        for (int i = 0; i < cases; i++) {
            String text = FormatChecks.scramble(new PolicyText(r).file("f" + i + "_"), r);
            boolean parses = PolicyParser.parse(SourceFile.ofString("f.policy", text)).diagnostics().stream()
                    .noneMatch(d -> d.severity() == Severity.ERROR);
            if (!parses) continue;
            String formatted = FormatChecks.check("case " + i, text);
            Path before = dir.resolve("before" + i + ".policy");
            Path after = dir.resolve("after" + i + ".policy");
            Files.writeString(before, text);
            Files.writeString(after, formatted);
            boolean findings = i % 20 == 0;
            assertEquals(FormatChecks.meaning(List.of(before), findings), FormatChecks.meaning(List.of(after), findings), "case " + i + ":\n" + text);
            compared++;
        }
        assertTrue(compared > cases / 2, "only " + compared + " of " + cases + " random files parsed");
    }
}
