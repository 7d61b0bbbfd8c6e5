package io.portcullis.bpf.lower;

/**
 * The policy could not be compiled: an LLVM failure ({@code limit} null, reported as {@code codegen}) or a kernel
 * limit the program would exceed ({@code limit} names it; reported as {@code bpf-limit}).
 */
public final class CodegenException extends Exception {
    private final Limits limit;

    public CodegenException(String message) { this(null, message); }
    public CodegenException(String message, Throwable cause) { super(message, cause); limit = null; }
    public CodegenException(Limits limit, String message) {
        super(message);
        this.limit = limit;
    }

    /** The kernel limit the program would exceed, or null. */
    public Limits limit() { return limit; }
}
