package io.portcullis.bpf.asm;

import java.util.List;

/**
 * Factory methods for hand-assembling programs, named after the kernel's {@code BPF_*} macros. Jump offsets count
 * 8-byte slots from the instruction after the jump, as in the encoding.
 */
public final class Asm {
    private Asm() {}

    public static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

    /** Encodes a program. */
    public static byte[] program(Insn... insns) { return Encoder.encode(List.of(insns)); }

    public static Insn alu64Imm(int op, int dst, int imm) { return new Insn(Op.ALU64 | Op.K | op, reg(dst), 0, 0, imm); }
    public static Insn alu64Reg(int op, int dst, int src) { return new Insn(Op.ALU64 | Op.X | op, reg(dst), reg(src), 0, 0); }
    public static Insn alu32Imm(int op, int dst, int imm) { return new Insn(Op.ALU | Op.K | op, reg(dst), 0, 0, imm); }
    public static Insn alu32Reg(int op, int dst, int src) { return new Insn(Op.ALU | Op.X | op, reg(dst), reg(src), 0, 0); }

    public static Insn mov64Imm(int dst, int imm) { return alu64Imm(Op.MOV, dst, imm); }
    public static Insn mov64Reg(int dst, int src) { return alu64Reg(Op.MOV, dst, src); }
    public static Insn mov32Imm(int dst, int imm) { return alu32Imm(Op.MOV, dst, imm); }
    public static Insn mov32Reg(int dst, int src) { return alu32Reg(Op.MOV, dst, src); }
    public static Insn add64Imm(int dst, int imm) { return alu64Imm(Op.ADD, dst, imm); }
    public static Insn add64Reg(int dst, int src) { return alu64Reg(Op.ADD, dst, src); }
    public static Insn neg64(int dst) { return new Insn(Op.ALU64 | Op.NEG, reg(dst), 0, 0, 0); }

    /** Converts the low {@code bits} (16, 32, 64) of {@code dst} from host order to big endian (network order). */
    public static Insn be(int dst, int bits) { return new Insn(Op.ALU | Op.TO_BE | Op.END, reg(dst), 0, 0, bits(bits)); }
    public static Insn le(int dst, int bits) { return new Insn(Op.ALU | Op.TO_LE | Op.END, reg(dst), 0, 0, bits(bits)); }
    /** Unconditional byte swap (ALU64 END, cpu v4). */
    public static Insn bswap(int dst, int bits) { return new Insn(Op.ALU64 | Op.END, reg(dst), 0, 0, bits(bits)); }

    /** {@code dst = imm64}: one instruction, two slots. */
    public static Insn ldImm64(int dst, long imm) { return new Insn(Op.LD_IMM64, reg(dst), 0, 0, imm); }

    public static Insn ldx(int size, int dst, int src, int off) { return new Insn(Op.LDX | Op.MEM | size, reg(dst), reg(src), off, 0); }
    public static Insn ldxb(int dst, int src, int off) { return ldx(Op.B, dst, src, off); }
    public static Insn ldxh(int dst, int src, int off) { return ldx(Op.H, dst, src, off); }
    public static Insn ldxw(int dst, int src, int off) { return ldx(Op.W, dst, src, off); }
    public static Insn ldxdw(int dst, int src, int off) { return ldx(Op.DW, dst, src, off); }

    public static Insn stx(int size, int dst, int off, int src) { return new Insn(Op.STX | Op.MEM | size, reg(dst), reg(src), off, 0); }
    public static Insn stxw(int dst, int off, int src) { return stx(Op.W, dst, off, src); }
    public static Insn stxdw(int dst, int off, int src) { return stx(Op.DW, dst, off, src); }
    public static Insn st(int size, int dst, int off, int imm) { return new Insn(Op.ST | Op.MEM | size, reg(dst), 0, off, imm); }
    public static Insn stw(int dst, int off, int imm) { return st(Op.W, dst, off, imm); }
    public static Insn stdw(int dst, int off, int imm) { return st(Op.DW, dst, off, imm); }

    /** Atomic read-modify-write: {@code op} is ADD/AND/OR/XOR, optionally | FETCH, or XCHG / CMPXCHG. */
    public static Insn atomic(int size, int op, int dst, int off, int src) {
        return new Insn(Op.STX | Op.ATOMIC | size, reg(dst), reg(src), off, op);
    }

    public static Insn jmpImm(int op, int dst, int imm, int off) { return new Insn(Op.JMP | Op.K | op, reg(dst), 0, off, imm); }
    public static Insn jmpReg(int op, int dst, int src, int off) { return new Insn(Op.JMP | Op.X | op, reg(dst), reg(src), off, 0); }
    public static Insn jmp32Imm(int op, int dst, int imm, int off) { return new Insn(Op.JMP32 | Op.K | op, reg(dst), 0, off, imm); }
    public static Insn jmp32Reg(int op, int dst, int src, int off) { return new Insn(Op.JMP32 | Op.X | op, reg(dst), reg(src), off, 0); }
    public static Insn ja(int off) { return new Insn(Op.JMP | Op.JA, 0, 0, off, 0); }
    /** Calls helper number {@code helper}. */
    public static Insn call(int helper) { return new Insn(Op.JMP | Op.CALL, 0, 0, 0, helper); }
    public static Insn exit() { return new Insn(Op.JMP | Op.EXIT, 0, 0, 0, 0); }

    private static int reg(int r) {
        if (r < 0 || r > 10) throw new IllegalArgumentException("no register r" + r + " (r0..r10)");
        return r;
    }

    private static int bits(int b) {
        if (b != 16 && b != 32 && b != 64) throw new IllegalArgumentException("byte swap width must be 16, 32 or 64, not " + b);
        return b;
    }
}
