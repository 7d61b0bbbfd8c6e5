package io.portcullis.bpf.tv;

/** The program does something the symbolic executor does not model (or cannot be analysed at all). */
class TvException extends Exception {
    private final int insn;

    TvException(String message, int insn) {
        super(message);
        this.insn = insn;
    }

    /** The instruction index, or -1 when the problem is not at one instruction. */
    int insn() { return insn; }
}
