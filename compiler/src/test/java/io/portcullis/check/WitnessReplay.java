package io.portcullis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;

/** Replays a finding's witness through the reference evaluator and checks that it shows the finding. */
public final class WitnessReplay {
    private WitnessReplay() {}

    public static void assertReplays(ResolvedPolicy p, Diagnostic d) {
        String code = d.code();
        if (code.equals(Codes.EMPTY) || code.startsWith("waiver")) return;
        Packet w = d.witness();
        assertNotNull(w, "finding has a witness: " + d);
        Evaluator.Decision got = Evaluator.evaluate(p, w);
        ResolvedRule r = p.rules().stream().filter(x -> x.span() == d.span()).findFirst().orElse(null);
        switch (code) {
            case Codes.CONFLICT, Codes.SHADOWED -> {
                assertNotNull(r);
                assertTrue(Evaluator.matches(r.match(), w), "witness matches the rule: " + d);
                assertTrue(got.ruleIndex() >= 0 && got.ruleIndex() < r.index(), "an earlier rule decides it: " + d);
                if (code.equals(Codes.CONFLICT)) assertNotEquals(r.action(), got.action(), "opposite verdict: " + d);
                else assertEquals(r.action(), got.action(), "same verdict: " + d);
                assertEquals(got.ruleIndex(), d.related().get(0).index(), "the first related rule decides the witness");
            }
            case Codes.REDUNDANT -> {
                assertNotNull(r);
                assertEquals(r.index(), got.ruleIndex(), "the redundant rule decides its witness: " + d);
                Evaluator.Decision without = Evaluator.evaluate(p.rules(), p.defaultAction(), w, r.index());
                assertEquals(r.action(), without.action(), "the verdict is the same without it: " + d);
                assertEquals(without.ruleIndex(), d.related().get(0).index(), "related names what decides instead");
            }
            case Codes.CORRELATION -> {
                assertNotNull(r);
                assertTrue(Evaluator.matches(r.match(), w), "witness matches the rule: " + d);
                assertTrue(got.ruleIndex() < r.index() && got.ruleIndex() >= 0, "an earlier rule decides it: " + d);
                assertNotEquals(r.action(), got.action(), "with the opposite verdict: " + d);
            }
            case Codes.EXPECT -> assertEquals(got.ruleIndex(), d.related().get(0).index());
            case Codes.ASSERT, Codes.GUARD -> {
                assertEquals(got.ruleIndex(), d.related().get(0).index(), "related names the deciding rule");
                assertTrue(d.message().contains("gets " + got.action().label()), "message states the verdict: " + d);
            }
            default -> { }
        }
    }
}
