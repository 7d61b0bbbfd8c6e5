package io.portcullis.bpf.kernel;

/** A failed bpf() call, with the errno and, for program loads, the verifier log (may be empty). */
public final class BpfException extends RuntimeException {
    private final int errno;
    private final String log;

    public BpfException(String message, int errno, String log) {
        super(message);
        this.errno = errno;
        this.log = log == null ? "" : log;
    }

    public int errno() { return errno; }

    public String log() { return log; }
}
