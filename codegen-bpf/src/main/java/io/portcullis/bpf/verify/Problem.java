package io.portcullis.bpf.verify;

/**
 * One reason a program is unsafe: at instruction {@code index} (an 8-byte slot index, as in the kernel's log and
 * our disassembly; -1 for the whole program), a stable reason and a message.
 */
public record Problem(int index, Reason reason, String message) {
    @Override
    public String toString() { return (index >= 0 ? index + ": " : "") + reason.code() + ": " + message; }
}
