package io.portcullis.bpf.asm;

/**
 * One BPF instruction. {@code LD_IMM64} (opcode 0x18) occupies two 8-byte slots in the encoding; here it is one
 * instruction with a 64-bit {@code imm} and {@link #width()} 2. Every other instruction's {@code imm} fits in 32 bits.
 *
 * @param opcode 0..255
 * @param dst    destination register field, 0..15 (only 0..10 are valid registers, but any nibble is representable)
 * @param src    source register field, 0..15 (for LD_IMM64 and CALL it selects a pseudo kind)
 * @param off    signed 16-bit offset
 * @param imm    immediate; sign-extended 32-bit unless this is LD_IMM64
 */
public record Insn(int opcode, int dst, int src, short off, long imm) {

    public Insn {
        if (opcode < 0 || opcode > 0xff) throw new IllegalArgumentException("opcode out of range: " + opcode);
        if (dst < 0 || dst > 15) throw new IllegalArgumentException("dst register field out of range: " + dst);
        if (src < 0 || src > 15) throw new IllegalArgumentException("src register field out of range: " + src);
        if (opcode != Op.LD_IMM64 && imm != (int) imm) {
            throw new IllegalArgumentException("immediate " + imm + " does not fit in 32 bits for opcode 0x" + Integer.toHexString(opcode));
        }
    }

    public Insn(int opcode, int dst, int src, int off, long imm) {
        this(opcode, dst, src, checkedOff(off), imm);
    }

    private static short checkedOff(int off) {
        if (off != (short) off) throw new IllegalArgumentException("offset " + off + " does not fit in 16 bits");
        return (short) off;
    }

    /** Encoded slots: 2 for LD_IMM64, otherwise 1. */
    public int width() { return opcode == Op.LD_IMM64 ? 2 : 1; }

    /** The low 32 bits of the immediate. */
    public int imm32() { return (int) imm; }

    /** Instruction class: {@link Op#LD} .. {@link Op#ALU64}. */
    public int cls() { return opcode & 0x07; }

    /** For ALU/JMP classes: the operation bits (opcode &amp; 0xf0). */
    public int op() { return opcode & 0xf0; }

    /** For ALU/JMP classes: true when the operand is the source register (BPF_X), false for the immediate (BPF_K). */
    public boolean usesSrcReg() { return (opcode & Op.X) != 0; }

    /** For load/store classes: the size bits (opcode &amp; 0x18). */
    public int size() { return opcode & 0x18; }

    /** For load/store classes: the mode bits (opcode &amp; 0xe0). */
    public int mode() { return opcode & 0xe0; }

    /** Access width in bytes for load/store classes. */
    public int sizeBytes() { return Op.bytes(size()); }

    public boolean isAlu() { return cls() == Op.ALU || cls() == Op.ALU64; }

    public boolean isJump() { return cls() == Op.JMP || cls() == Op.JMP32; }
}
