package io.portcullis.eval;

import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;

/** The reference evaluator: the verdict a policy gives one IP packet, by first match. (Owner: core.) */
public final class Evaluator {
    private Evaluator() {}

    /** The verdict and the 0-based index of the deciding rule, or -1 when the default decided. */
    public record Decision(Action action, int ruleIndex) {}

    public static Decision evaluate(ResolvedPolicy policy, Packet packet) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
