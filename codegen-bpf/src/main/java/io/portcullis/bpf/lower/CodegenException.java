package io.portcullis.bpf.lower;

/** The policy could not be compiled (an LLVM failure or a limit); reported as a {@code codegen} finding. */
public final class CodegenException extends Exception {
    public CodegenException(String message) { super(message); }
    public CodegenException(String message, Throwable cause) { super(message, cause); }
}
