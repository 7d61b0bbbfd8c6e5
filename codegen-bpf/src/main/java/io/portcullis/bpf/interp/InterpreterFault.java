package io.portcullis.bpf.interp;

/**
 * The program did something the interpreter refuses to guess at: a memory access outside the context, the packet or
 * the stack, a read of an uninitialised register or stack byte, an invalid or unsupported instruction, a jump out of
 * the program, or too many steps. {@link #slot()} is the instruction's slot (as in the disassembly listing).
 */
public final class InterpreterFault extends RuntimeException {
    private final int slot;
    private final String reason;

    public InterpreterFault(int slot, String reason) {
        super("instruction " + slot + ": " + reason);
        this.slot = slot;
        this.reason = reason;
    }

    public int slot() { return slot; }

    public String reason() { return reason; }
}
