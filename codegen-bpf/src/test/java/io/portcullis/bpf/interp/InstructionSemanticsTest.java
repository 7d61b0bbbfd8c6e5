package io.portcullis.bpf.interp;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.kernel.LoadedProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each instruction class on hand-picked operands with the values the instruction-set specification gives (these run
 * everywhere), and seeded random straight-line programs over every ALU, ALU64, JMP and JMP32 operation, stack store
 * and (sign-extending) load, compared with the kernel's BPF_PROG_TEST_RUN (skipped with the reason without bpf()).
 */
class InstructionSemanticsTest {
    static final byte[] FRAME = new byte[64];

    /** r0 after running {@code body} (which must leave its result in r0) and {@code exit}. */
    static long r0(Insn... body) {
        List<Insn> l = new ArrayList<>(List.of(body));
        l.add(exit());
        return Interpreter.testRun(Program.of(Hook.XDP, "t", l), FRAME).r0();
    }

    static Insn alu64(int op, int dst, int off, int src) { return new Insn(Op.ALU64 | Op.X | op, dst, src, off, 0); }
    static Insn alu32(int op, int dst, int off, int src) { return new Insn(Op.ALU | Op.X | op, dst, src, off, 0); }

    @Test void divisionAndModuloByZeroFollowTheSpecification() {
        assertEquals(0, r0(ldImm64(R0, 77), mov64Imm(R1, 0), alu64Reg(Op.DIV, R0, R1)));
        assertEquals(77, r0(ldImm64(R0, 77), mov64Imm(R1, 0), alu64Reg(Op.MOD, R0, R1)));
        // 32-bit modulo by zero keeps the low half and zeroes the upper half.
        assertEquals(0x9abcdef0L, r0(ldImm64(R0, 0x123456789abcdef0L), mov64Imm(R1, 0), alu32Reg(Op.MOD, R0, R1)));
        assertEquals(0, r0(ldImm64(R0, -5), mov64Imm(R1, 0), alu64(Op.DIV, R0, 1, R1)));
        assertEquals(-5, r0(ldImm64(R0, -5), mov64Imm(R1, 0), alu64(Op.MOD, R0, 1, R1)));
    }

    @Test void signedDivisionTruncatesAndOverflowWraps() {
        assertEquals(-3, r0(mov64Imm(R0, -7), mov64Imm(R1, 2), alu64(Op.DIV, R0, 1, R1)));
        assertEquals(-1, r0(mov64Imm(R0, -7), mov64Imm(R1, 2), alu64(Op.MOD, R0, 1, R1)));
        assertEquals(Long.MIN_VALUE, r0(ldImm64(R0, Long.MIN_VALUE), mov64Imm(R1, -1), alu64(Op.DIV, R0, 1, R1)));
        assertEquals(0, r0(ldImm64(R0, Long.MIN_VALUE), mov64Imm(R1, -1), alu64(Op.MOD, R0, 1, R1)));
        assertEquals(0x80000000L, r0(mov32Imm(R0, Integer.MIN_VALUE), mov64Imm(R1, -1), alu32(Op.DIV, R0, 1, R1)));
        // Unsigned: -7 is a huge number.
        assertEquals(Long.divideUnsigned(-7, 2), r0(mov64Imm(R0, -7), mov64Imm(R1, 2), alu64Reg(Op.DIV, R0, R1)));
    }

    @Test void thirtyTwoBitResultsAreZeroExtended() {
        assertEquals(0xffffffffL, r0(mov32Imm(R0, -1)));
        assertEquals(-1L, r0(mov64Imm(R0, -1)));
        assertEquals(0, r0(ldImm64(R0, 0xffffffff_00000000L), alu32Imm(Op.ADD, R0, 0)));
        assertEquals(0xfffffffeL, r0(mov64Imm(R0, 2), new Insn(Op.ALU | Op.NEG, R0, 0, 0, 0)));
        assertEquals(0xfc000000L, r0(mov32Imm(R0, 0x80000000), alu32Imm(Op.ARSH, R0, 5)));
        assertEquals(0xfffffffffc000000L, r0(mov64Imm(R0, 0x80000000), alu64Imm(Op.ARSH, R0, 5)));
    }

    @Test void shiftAmountsAreMasked() {
        assertEquals(2, r0(mov64Imm(R0, 1), mov64Imm(R1, 65), alu64Reg(Op.LSH, R0, R1)));
        assertEquals(2, r0(mov64Imm(R0, 1), mov64Imm(R1, 33), alu32Reg(Op.LSH, R0, R1)));
    }

    @Test void signExtendingMovesAndLoads() {
        assertEquals(-128, r0(mov64Imm(R1, 0x180), alu64(Op.MOV, R0, 8, R1)));
        assertEquals(0xffffff80L, r0(mov64Imm(R1, 0x180), alu32(Op.MOV, R0, 8, R1)));
        assertEquals(-1, r0(ldImm64(R1, 0xffffffffL), alu64(Op.MOV, R0, 32, R1)));
        assertEquals(-2, r0(ldImm64(R1, 0x1fffeL), alu64(Op.MOV, R0, 16, R1)));
        assertEquals(-1, r0(mov64Imm(R1, -1), stxdw(R10, -8, R1),
                new Insn(Op.LDX | Op.MEMSX | Op.H, R0, R10, -6, 0)));
        assertEquals(0xffff, r0(mov64Imm(R1, -1), stxdw(R10, -8, R1), ldxh(R0, R10, -6)));
    }

    @Test void byteSwaps() {
        assertEquals(0x3412, r0(ldImm64(R0, 0x1234_5678_1234L), be(R0, 16)));
        assertEquals(0x7856_3412L, r0(ldImm64(R0, 0xff_1234_5678L), be(R0, 32)));
        assertEquals(0x5678, r0(ldImm64(R0, 0xff_1234_5678L), le(R0, 16)));
        assertEquals(0x0807060504030201L, r0(ldImm64(R0, 0x0102030405060708L), be(R0, 64)));
        assertEquals(0x0807060504030201L, r0(ldImm64(R0, 0x0102030405060708L), bswap(R0, 64)));
        assertEquals(0x0807, r0(ldImm64(R0, 0x0102030405060708L), bswap(R0, 16)));
    }

    @Test void jump32ComparesOnlyTheLowHalves() {
        // Low halves equal, high halves differ: JMP32 jumps, JMP does not.
        Insn a = ldImm64(R1, 0x1_0000_0005L), b = ldImm64(R2, 0x2_0000_0005L);
        assertEquals(1, r0(a, b, mov64Imm(R0, 0), jmp32Reg(Op.JEQ, R1, R2, 1), exit(), mov64Imm(R0, 1)));
        assertEquals(0, r0(a, b, mov64Imm(R0, 0), jmpReg(Op.JEQ, R1, R2, 1), exit(), mov64Imm(R0, 1)));
        // Signed 32-bit: 0x80000000 is negative.
        assertEquals(1, r0(ldImm64(R1, 0x80000000L), mov64Imm(R0, 0), jmp32Imm(Op.JSLT, R1, 0, 1), exit(), mov64Imm(R0, 1)));
        assertEquals(0, r0(ldImm64(R1, 0x80000000L), mov64Imm(R0, 0), jmpImm(Op.JSLT, R1, 0, 1), exit(), mov64Imm(R0, 1)));
        // JMP immediates are sign-extended to 64 bits.
        assertEquals(1, r0(mov64Imm(R1, -1), mov64Imm(R0, 0), jmpImm(Op.JEQ, R1, -1, 1), exit(), mov64Imm(R0, 1)));
    }

    @Test void gotolTakesItsOffsetFromTheImmediate() {
        Insn gotol = new Insn(Op.JMP32 | Op.JA, 0, 0, 0, 1);
        assertEquals(3, r0(mov64Imm(R0, 3), gotol, mov64Imm(R0, 4)));
    }

    @Test void atomicsOnTheStack() {
        assertEquals(15, r0(mov64Imm(R1, 10), stxdw(R10, -8, R1), mov64Imm(R2, 5),
                atomic(Op.DW, Op.ADD, R10, -8, R2), ldxdw(R0, R10, -8)));
        assertEquals(10, r0(mov64Imm(R1, 10), stxdw(R10, -8, R1), mov64Imm(R0, 5),
                atomic(Op.DW, Op.ADD | Op.FETCH, R10, -8, R0)));
        assertEquals(7, r0(mov64Imm(R1, 10), stxw(R10, -8, R1), mov64Imm(R0, 10), mov64Imm(R2, 7),
                atomic(Op.W, Op.CMPXCHG, R10, -8, R2), ldxw(R0, R10, -8)));
    }

    /** Random straight-line programs: the interpreter's r0 (both halves) equals the kernel's. */
    @Test void randomProgramsAgreeWithTheKernel() {
        KernelRun.assumeKernel();
        Random rnd = new Random(5);
        int programs = 250, instructions = 0;
        for (int n = 0; n < programs; n++) {
            List<Insn> body = randomBody(rnd);
            instructions += body.size();
            for (int half = 0; half < 2; half++) {
                List<Insn> prog = new ArrayList<>(body);
                if (half == 1) prog.add(alu64Imm(Op.RSH, R0, 32));
                prog.add(exit());
                long want;
                try (LoadedProgram k = KernelRun.load(Hook.XDP, prog)) {
                    want = Integer.toUnsignedLong(k.run(FRAME));
                }
                long got = Interpreter.testRun(Program.of(Hook.XDP, "t", prog), FRAME).r0() & 0xffff_ffffL;
                int h = half;
                assertEquals(want, got, () -> "program " + (h == 0 ? "(low half)" : "(high half)") + ":\n" + Disassembler.listing(prog));
            }
        }
        assertTrue(instructions > programs * 20);
        System.out.println("instruction semantics: " + programs + " random programs, " + instructions
                + " instructions, both halves of r0 equal to the kernel's");
    }

    private static final long[] VALUES = {0, 1, -1, 2, 7, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
            0xffff, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L, Long.MIN_VALUE, Long.MAX_VALUE,
            0x0123456789abcdefL, 0xfedcba9876543210L};
    private static final int[] ALU_OPS = {Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.OR, Op.AND, Op.LSH, Op.RSH, Op.NEG, Op.MOD,
            Op.XOR, Op.MOV, Op.ARSH, Op.END};
    private static final int[] JMP_OPS = {Op.JEQ, Op.JGT, Op.JGE, Op.JSET, Op.JNE, Op.JSGT, Op.JSGE, Op.JLT, Op.JLE,
            Op.JSLT, Op.JSLE};

    private static long value(Random rnd) { return rnd.nextInt(3) == 0 ? rnd.nextLong() : VALUES[rnd.nextInt(VALUES.length)]; }

    static List<Insn> randomBody(Random rnd) {
        List<Insn> l = new ArrayList<>();
        for (int reg = 0; reg <= 9; reg++) l.add(ldImm64(reg, value(rnd)));
        int ops = 20 + rnd.nextInt(20);
        for (int i = 0; i < ops; i++) {
            int d = rnd.nextInt(10), s = rnd.nextInt(10);
            int kind = rnd.nextInt(10);
            if (kind < 6) {
                l.add(randomAlu(rnd, d, s));
            } else if (kind < 8) {
                // A conditional that skips one instruction either way.
                int op = JMP_OPS[rnd.nextInt(JMP_OPS.length)];
                boolean j32 = rnd.nextBoolean(), reg = rnd.nextBoolean();
                int cls = j32 ? Op.JMP32 : Op.JMP;
                l.add(reg ? new Insn(cls | Op.X | op, d, s, 1, 0) : new Insn(cls | op, d, 0, 1, (int) value(rnd)));
                l.add(alu64Imm(Op.XOR, rnd.nextInt(10), rnd.nextInt()));
            } else if (kind < 9) {
                // Through the stack: store 8 bytes, read back a random aligned piece, sign-extended or not.
                int slot = -8 * (1 + rnd.nextInt(8));
                l.add(stxdw(R10, slot, s));
                int size = new int[] {Op.B, Op.H, Op.W, Op.DW}[rnd.nextInt(4)];
                int bytes = Op.bytes(size);
                int at = slot + bytes * rnd.nextInt(8 / bytes);
                boolean sx = size != Op.DW && rnd.nextBoolean();
                l.add(new Insn(Op.LDX | (sx ? Op.MEMSX : Op.MEM) | size, d, R10, at, 0));
                if (rnd.nextBoolean()) {
                    int st = new int[] {Op.B, Op.H, Op.W, Op.DW}[rnd.nextInt(4)];
                    l.add(st(st, R10, slot, (int) value(rnd)));
                    l.add(ldxdw(d, R10, slot));
                }
            } else {
                // Unconditional jumps, goto and gotol, over an instruction that a conditional still reaches.
                l.add(new Insn(Op.JMP | Op.JEQ, s, 0, 1, (int) value(rnd)));
                l.add(rnd.nextBoolean() ? ja(1) : new Insn(Op.JMP32 | Op.JA, 0, 0, 0, 1));
                l.add(mov64Imm(d, rnd.nextInt()));
            }
        }
        // Fold every register into r0.
        for (int reg = 1; reg <= 9; reg++) {
            l.add(alu64Imm(Op.MUL, R0, 1_000_003));
            l.add(alu64Reg(Op.XOR, R0, reg));
        }
        return l;
    }

    private static Insn randomAlu(Random rnd, int d, int s) {
        int op = ALU_OPS[rnd.nextInt(ALU_OPS.length)];
        boolean wide = rnd.nextBoolean();
        int cls = wide ? Op.ALU64 : Op.ALU;
        if (op == Op.NEG) return new Insn(cls | Op.NEG, d, 0, 0, 0);
        if (op == Op.END) {
            int bits = new int[] {16, 32, 64}[rnd.nextInt(3)];
            if (wide) return new Insn(Op.ALU64 | Op.END, d, 0, 0, bits);
            return new Insn(Op.ALU | (rnd.nextBoolean() ? Op.TO_BE : Op.TO_LE) | Op.END, d, 0, 0, bits);
        }
        int off = 0;
        if ((op == Op.DIV || op == Op.MOD) && rnd.nextBoolean()) off = 1;
        boolean reg = rnd.nextBoolean();
        if (op == Op.MOV && reg && rnd.nextInt(3) == 0) {
            int[] widths = wide ? new int[] {8, 16, 32} : new int[] {8, 16};
            off = widths[rnd.nextInt(widths.length)];
        }
        if (reg) return new Insn(cls | Op.X | op, d, s, off, 0);
        int imm;
        if (op == Op.LSH || op == Op.RSH || op == Op.ARSH) imm = rnd.nextInt(wide ? 64 : 32);
        else imm = (int) value(rnd);
        if ((op == Op.DIV || op == Op.MOD) && imm == 0) imm = 3;
        return new Insn(cls | op, d, 0, off, imm);
    }
}
