package io.portcullis.bpf.asm;

/** Opcode field values of the BPF instruction set (RFC 9669 names). */
public final class Op {
    private Op() {}

    // Classes (opcode & 0x07).
    public static final int LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07;
    // Source bit for ALU/JMP.
    public static final int K = 0x00, X = 0x08;
    // ALU operations (opcode & 0xf0).
    public static final int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70,
            NEG = 0x80, MOD = 0x90, XOR = 0xa0, MOV = 0xb0, ARSH = 0xc0, END = 0xd0;
    // Byte-swap direction for END in the ALU class (the source bit): to little / to big endian.
    public static final int TO_LE = 0x00, TO_BE = 0x08;
    // Jump operations (opcode & 0xf0).
    public static final int JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JSGT = 0x60, JSGE = 0x70,
            CALL = 0x80, EXIT = 0x90, JLT = 0xa0, JLE = 0xb0, JSLT = 0xc0, JSLE = 0xd0;
    // Sizes (opcode & 0x18).
    public static final int W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
    // Modes (opcode & 0xe0).
    public static final int IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0;
    // Atomic operations (imm of an STX ATOMIC instruction).
    public static final int FETCH = 0x01, XCHG = 0xe0 | FETCH, CMPXCHG = 0xf0 | FETCH;

    /** The only two-slot instruction: load a 64-bit immediate. */
    public static final int LD_IMM64 = LD | DW | IMM;

    /** Source-register values of LD_IMM64 that the kernel rewrites (map by fd, map value by fd). */
    public static final int PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2;
    /** Source-register values of CALL: helper (0), BPF-to-BPF call (1), kfunc (2). */
    public static final int PSEUDO_CALL = 1, PSEUDO_KFUNC_CALL = 2;

    public static int bytes(int size) {
        return switch (size) {
            case W -> 4;
            case H -> 2;
            case B -> 1;
            default -> 8;
        };
    }
}
