package io.portcullis.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.portcullis.diag.SourceFile;
import io.portcullis.resolve.Limits;
import io.portcullis.syntax.PolicyParser;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The parser's fast path (SLL prediction, bail out at the first error, AST built item by item while parsing) must give
 * exactly what the full LL parse with our recovery gives: the same AST and the same diagnostics, on valid files and
 * on mutated ones (where the fast path gives up part-way and the LL parse takes over).
 */
class ParseModesTest {
    static final int CASES = Integer.getInteger("portcullis.fuzz.parseModes", 400);

    @Test
    void fastPathEqualsFullLL() {
        Random rnd = new Random(20261125L);
        PolicyText gen = new PolicyText(rnd);
        int mutated = 0;
        for (int i = 0; i < CASES; i++) {
            String text = gen.file("m");
            if (i % 2 == 1) {
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) text = gen.mutate(text);
                mutated++;
            }
            SourceFile source = SourceFile.ofString("case" + i + ".policy", text);
            Limits limits = Limits.defaults();
            PolicyParser.ParseResult fast = PolicyParser.parse(source, limits);
            PolicyParser.ParseResult full = PolicyParser.parseFullLL(source, limits);
            assertEquals(full.diagnostics(), fast.diagnostics(), "diagnostics, case " + i + ":\n" + text);
            assertEquals(full.file(), fast.file(), "AST, case " + i + ":\n" + text);
        }
        assertEquals(CASES / 2, mutated);
    }
}
