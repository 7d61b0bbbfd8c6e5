package io.portcullis.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diff.DiffResult.Kind;
import io.portcullis.diff.DiffResult.PolicyDiff;
import io.portcullis.diff.DiffResult.Region;
import io.portcullis.diff.DiffResult.Side;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.space.Bdd;

/** Every region's witness, run through the reference evaluator, gets the claimed verdicts from the claimed rules. */
final class Replay {
    private Replay() {}

    static void assertReplays(DiffResult d) {
        for (PolicyDiff p : d.policies()) assertReplays(p);
    }

    static void assertReplays(PolicyDiff p) {
        Bdd bdd = p.space().bdd();
        for (Region r : p.regions()) {
            if (r.nonIp()) continue;
            assertNotNull(r.witness(), r.line());
            assertTrue(bdd.subset(p.space().packet(r.witness()), r.set()), "witness lies in its region: " + r.line());
            Action after = r.kind() == Kind.NEW_ALLOW ? Action.ALLOW : Action.DENY;
            check(p.after(), r.newSide(), after, r);
            check(p.before(), r.oldSide(), after.opposite(), r);
        }
    }

    private static void check(ResolvedPolicy policy, Side side, Action expected, Region r) {
        if (policy == null) {
            assertNull(side, "no side for an absent policy: " + r.line());
            // An absent policy is read as allowing nothing.
            assertEquals(Action.DENY, expected, "an absent policy can only be the deny side: " + r.line());
            return;
        }
        Evaluator.Decision dec = Evaluator.evaluate(policy, r.witness());
        assertEquals(expected, dec.action(), "verdict of " + policy.name() + " for " + r.witness() + " (" + r.line() + ")");
        assertEquals(side.index(), dec.ruleIndex(), "deciding rule for " + r.witness() + " (" + r.line() + ")");
        assertEquals(expected, side.action(), "the side's action is the verdict");
    }
}
