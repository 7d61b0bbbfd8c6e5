package io.portcullis.bpf.kernel;

import io.portcullis.ir.Target;

/** Runs an object's program through the Linux kernel's verifier (BPF_PROG_LOAD). (Owner: bpf tooling.) */
public final class KernelVerifier {
    private KernelVerifier() {}

    public enum Status { ACCEPTED, REJECTED, UNAVAILABLE }

    /** {@code log} is the verifier log on rejection, the reason when unavailable; {@code processed} is insns processed or -1. */
    public record Verification(Status status, String log, int instructions, int processed) {}

    public static Verification verify(byte[] elf, Target target) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
