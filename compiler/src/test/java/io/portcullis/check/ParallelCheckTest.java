package io.portcullis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedPolicy;
import java.time.LocalDate;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The checker's findings do not depend on how many threads compute them: on random policies, one thread and two
 * threads handing out work in blocks of a few rules (so that small policies take the parallel paths: the blocked sweep
 * of decided sets, and per-rule findings in overlays) give the same findings, in the same order.
 */
class ParallelCheckTest {
    @Test
    void twoThreadsGiveTheFindingsOfOne() {
        Random random = new Random(20261207);
        LocalDate today = LocalDate.of(2026, 12, 7);
        int findings = 0;
        for (int k = 0; k < 150; k++) {
            ResolvedPolicy p = RandomPolicies.policy(random, 8 + random.nextInt(40));
            List<Diagnostic> one = Checker.check(p, List.of(), today, CheckConfig.DEFAULTS, 1, 512, 64);
            List<Diagnostic> two = Checker.check(p, List.of(), today, CheckConfig.DEFAULTS, 2, 1 + k % 5, 1 + k % 3);
            assertEquals(one, two, "policy " + k);
            findings += one.size();
        }
        assertTrue(findings > 1000, "the policies have findings to compare: " + findings);
    }
}
