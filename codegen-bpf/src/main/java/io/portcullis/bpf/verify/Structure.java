package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;

/** Instruction encoding and control-flow checks: what the kernel's {@code resolve}, {@code check_subprogs} and {@code check_cfg} catch. */
final class Structure {
    private Structure() {}

    /** The slot a jump goes to: {@code gotol} (JMP32 JA) carries its offset in imm. */
    static int target(int s, Insn i) {
        return i.cls() == Op.JMP32 && i.op() == Op.JA ? s + 1 + i.imm32() : s + 1 + i.off();
    }

    static boolean fallsThrough(Insn i) {
        return !(i.isJump() && (i.op() == Op.EXIT || i.op() == Op.JA));
    }

    static boolean branches(Insn i) {
        return i.isJump() && i.op() != Op.EXIT && i.op() != Op.CALL;
    }

    static void validate(int s, Insn i, int n, Insn[] at) {
        switch (i.cls()) {
            case Op.ALU, Op.ALU64 -> alu(s, i);
            case Op.LDX -> {
                if (i.mode() != Op.MEM && !(i.mode() == Op.MEMSX && i.size() != Op.DW) || i.imm() != 0) invalid(s, i, "BPF_LDX uses reserved fields");
                regs(s, i, true, true);
            }
            case Op.ST -> {
                if (i.mode() != Op.MEM || i.src() != 0) invalid(s, i, "BPF_ST uses reserved fields");
                regs(s, i, false, false);
            }
            case Op.STX -> {
                if (!(i.mode() == Op.MEM && i.imm() == 0 || i.mode() == Op.ATOMIC)) invalid(s, i, "BPF_STX uses reserved fields");
                regs(s, i, false, true);
            }
            case Op.LD -> {
                if (i.opcode() == Op.LD_IMM64) {
                    if (i.off() != 0) invalid(s, i, "invalid BPF_LD_IMM insn");
                    if (i.src() != 0) throw new Rejection(s, Reason.UNSUPPORTED, "ld_imm64 with src " + i.src() + " (a map or BTF reference) is not modelled");
                    regs(s, i, true, false);
                } else if ((i.mode() == Op.ABS || i.mode() == Op.IND) && i.size() != Op.DW) {
                    throw new Rejection(s, Reason.UNSUPPORTED, "legacy packet loads (BPF_LD_ABS/IND) are not modelled");
                } else {
                    invalid(s, i, "unknown opcode " + String.format("%02x", i.opcode()));
                }
            }
            default -> jump(s, i);
        }
        if (branches(i)) {
            int t = target(s, i);
            if (t < 0 || t >= n) throw new Rejection(s, Reason.JUMP_OUT_OF_RANGE, "jump out of range from insn " + s + " to " + t);
            if (at[t] == null) throw new Rejection(s, Reason.JUMP_OUT_OF_RANGE, "jump into the middle of ldimm64 insn " + (t - 1));
        }
        if (fallsThrough(i) && s + i.width() >= n) {
            throw new Rejection(s, Reason.FALLS_OFF_END, "the last instruction is not an exit or jmp: execution falls off the end");
        }
    }

    private static void alu(int s, Insn i) {
        boolean wide = i.cls() == Op.ALU64, x = i.usesSrcReg();
        int op = i.op();
        boolean ok;
        switch (op) {
            case 0xe0, 0xf0 -> ok = false;
            case Op.END -> ok = (i.imm32() == 16 || i.imm32() == 32 || i.imm32() == 64) && i.src() == 0 && i.off() == 0 && !(wide && x);
            case Op.NEG -> ok = !x && i.src() == 0 && i.off() == 0 && i.imm() == 0;
            case Op.MOV -> ok = x ? i.imm() == 0 && (i.off() == 0 || i.off() == 8 || i.off() == 16 || wide && i.off() == 32)
                    : i.src() == 0 && i.off() == 0;
            case Op.DIV, Op.MOD -> ok = (i.off() == 0 || i.off() == 1) && (x ? i.imm() == 0 : i.src() == 0);
            default -> ok = i.off() == 0 && (x ? i.imm() == 0 : i.src() == 0);
        }
        if (!ok) invalid(s, i, "invalid or reserved fields in BPF_ALU" + (wide ? "64" : "") + " opcode " + String.format("%02x", i.opcode()));
        regs(s, i, true, x && op != Op.END && op != Op.NEG);
        if (!x && (op == Op.DIV || op == Op.MOD) && i.imm() == 0) throw new Rejection(s, Reason.DIVISION_BY_ZERO, "div by zero");
        if (!x && (op == Op.LSH || op == Op.RSH || op == Op.ARSH) && (i.imm32() < 0 || i.imm32() >= (wide ? 64 : 32))) {
            throw new Rejection(s, Reason.INVALID_SHIFT, "invalid shift " + i.imm32());
        }
    }

    private static void jump(int s, Insn i) {
        boolean j32 = i.cls() == Op.JMP32, x = i.usesSrcReg();
        int op = i.op();
        boolean ok;
        switch (op) {
            case Op.JA -> ok = !x && i.src() == 0 && i.dst() == 0 && (j32 ? i.off() == 0 : i.imm() == 0);
            case Op.CALL -> ok = !j32 && !x && i.off() == 0 && i.dst() == 0 && i.src() <= Op.PSEUDO_KFUNC_CALL;
            case Op.EXIT -> ok = !j32 && !x && i.off() == 0 && i.dst() == 0 && i.src() == 0 && i.imm() == 0;
            case 0xe0, 0xf0 -> ok = false;
            default -> ok = x ? i.imm() == 0 : i.src() == 0;
        }
        if (!ok) invalid(s, i, "invalid or reserved fields in BPF_JMP" + (j32 ? "32" : "") + " opcode " + String.format("%02x", i.opcode()));
        if (op != Op.JA && op != Op.CALL && op != Op.EXIT) regs(s, i, false, x);
    }

    /** Register fields in range; {@code writesDst}: r10 may not be written. */
    private static void regs(int s, Insn i, boolean writesDst, boolean readsSrc) {
        if (i.dst() > 10) throw new Rejection(s, Reason.INVALID_REGISTER, "R" + i.dst() + " is invalid");
        if (readsSrc && i.src() > 10) throw new Rejection(s, Reason.INVALID_REGISTER, "R" + i.src() + " is invalid");
        if (writesDst && i.dst() == 10) throw new Rejection(s, Reason.INVALID_REGISTER, "frame pointer is read only");
    }

    private static void invalid(int s, Insn i, String msg) { throw new Rejection(s, Reason.INVALID_INSN, msg); }

    /**
     * A topological order of the reachable instructions (reverse postorder of a depth-first search from 0).
     * Rejects back-edges and unreachable instructions.
     */
    static int[] topologicalOrder(Insn[] at, int n) {
        byte[] color = new byte[n];
        int[] post = new int[n];
        int postLen = 0;
        int[] stack = new int[n], edge = new int[n];
        int sp = 0;
        stack[sp] = 0;
        edge[sp++] = 0;
        color[0] = 1;
        while (sp > 0) {
            int s = stack[sp - 1];
            Insn i = at[s];
            int t = -1;
            while (t < 0 && edge[sp - 1] < 2) {
                int e = edge[sp - 1]++;
                if (e == 0 && fallsThrough(i)) t = s + i.width();
                else if (e == 1 && branches(i)) t = target(s, i);
            }
            if (t < 0) {
                color[s] = 2;
                post[postLen++] = s;
                sp--;
                continue;
            }
            if (color[t] == 1) throw new Rejection(s, Reason.LOOP, "back-edge from insn " + s + " to " + t + ": a loop");
            if (color[t] == 0) {
                color[t] = 1;
                stack[sp] = t;
                edge[sp++] = 0;
            }
        }
        for (int s = 0; s < n; s++) {
            if (at[s] != null && color[s] == 0) throw new Rejection(s, Reason.UNREACHABLE, "unreachable insn " + s);
        }
        int[] order = new int[postLen];
        for (int k = 0; k < postLen; k++) order[k] = post[postLen - 1 - k];
        return order;
    }
}
