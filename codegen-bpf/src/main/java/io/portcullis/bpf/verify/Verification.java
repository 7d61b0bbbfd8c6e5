package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Insn;
import java.util.List;

/**
 * The static verifier's verdict on one program.
 *
 * @param type             the program type it was checked as
 * @param insns            the decoded instructions (empty when the code could not be decoded)
 * @param slots            the program length in 8-byte slots (what the kernel counts)
 * @param problems         why it is rejected; empty when accepted. The analysis stops at the first problem on a path,
 *                         as the kernel does, so this usually holds one entry
 * @param analysed         instructions analysed: each reachable instruction once, with states merged at joins; a lower
 *                         bound of the kernel's "processed" count, which explores paths separately
 * @param pendingBranches  two-way branches on the path the kernel explores first (fall-through first): each leaves one
 *                         pending state, so more than 8192 fails the kernel's jump-sequence limit
 * @param deepestBranches  the most two-way branches on any one path (an upper bound of the pending states)
 * @param nanos            wall time of the check
 * @param complexity       the estimate of the kernel's processed instructions and pending branches from a path-sensitive
 *                         exploration ({@link Explorer}); null when the analysis stopped before it
 */
public record Verification(ProgramType type, List<Insn> insns, int slots, List<Problem> problems, int analysed,
                           int pendingBranches, int deepestBranches, long nanos, Complexity complexity) {

    public boolean accepted() { return problems.isEmpty(); }

    /** The instruction at a slot index, or null (the second slot of an ld_imm64, or no such slot). */
    public Insn insnAt(int slot) {
        int s = 0;
        for (Insn i : insns) {
            if (s == slot) return i;
            s += i.width();
            if (s > slot) return null;
        }
        return null;
    }
}
