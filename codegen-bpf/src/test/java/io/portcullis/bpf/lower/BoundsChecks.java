package io.portcullis.bpf.lower;

import io.portcullis.bpf.asm.Asm;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;

/** Test helper: a packet bounds check of an emitted object, disabled. */
public final class BoundsChecks {
    private BoundsChecks() {}

    /**
     * The check made to pass whatever the packet, the jump structure kept: "if pkt <= end goto ok" becomes "goto ok",
     * and "if pkt > end goto out" (the layout where the good path falls through) becomes "goto +0".
     */
    public static Insn skipped(Insn c) {
        int op = c.op();
        boolean jumpsWhenInside = op == Op.JLE || op == Op.JLT;
        boolean jumpsWhenOutside = op == Op.JGT || op == Op.JGE;
        if (!jumpsWhenInside && !jumpsWhenOutside) throw new AssertionError("not a bounds check: " + c);
        return Asm.ja(jumpsWhenInside ? c.off() : 0);
    }
}
