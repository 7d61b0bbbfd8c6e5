package io.portcullis.bpf.verify;

/**
 * The estimate of the kernel verifier's work on one program, from {@link Explorer}.
 *
 * @param processed   instructions the exploration processed (the kernel's {@code insn_processed}); when the
 *                    exploration stopped at the limit, {@code MAX_INSNS + 1}
 * @param peakPending the most pending branch states at once (the kernel's {@code env->stack_size})
 * @param states      states stored at prune points (the kernel's {@code total_states}, without evictions)
 * @param pruned      arrivals at a prune point that matched a stored state
 * @param complete    false when the exploration stopped early: at a limit, or at a construct it could not follow
 *                    (then {@code note} says why, and {@code processed} is only what was counted until then)
 * @param note        why the exploration stopped early, or null
 * @param nanos       wall time of the exploration
 */
public record Complexity(int processed, int peakPending, int states, int pruned, boolean complete, String note, long nanos) {
    /** Estimates above this fraction of the 1M limit are accepted with a warning (the estimate is not exact). */
    public static final double WARN_FRACTION = 0.9;

    /** True when the estimate is within 10% of the kernel's processed-instruction limit (or past it). */
    public boolean nearLimit() { return processed > StaticVerifier.MAX_INSNS * WARN_FRACTION; }
}
