package io.portcullis.bpf.verify;

/** The first problem on a path: ends the analysis, as the kernel's verifier stops at its first error. */
final class Rejection extends RuntimeException {
    final Problem problem;

    Rejection(int index, Reason reason, String message) {
        super(message, null, false, false);
        this.problem = new Problem(index, reason, message);
    }
}
