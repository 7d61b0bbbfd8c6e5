package io.portcullis.bpf.verify;

import static io.portcullis.bpf.asm.Asm.*;

import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Small hand-assembled programs, each with at most one defect. {@code reason} is what the static verifier must say
 * (null: accept); {@code kernelRejects} is what the kernel's verifier (as root) does with it, checked where it runs.
 * Entries where the two differ on purpose are the ones where we are stricter than a privileged kernel.
 */
final class UnsafeCorpus {
    private UnsafeCorpus() {}

    record Entry(String name, ProgramType type, List<Insn> insns, Reason reason, boolean kernelRejects) {
        byte[] code() { return Encoder.encode(insns); }

        @Override
        public String toString() { return name; }
    }

    static final int XDP_PASS = 2, XDP_DROP = 1;

    static List<Entry> all() {
        List<Entry> c = new ArrayList<>();
        ProgramType X = ProgramType.XDP, TC = ProgramType.SCHED_CLS, CG = ProgramType.CGROUP_SKB_INGRESS;

        // ---- packet bounds -----------------------------------------------------------------------------------
        unsafe(c, "unchecked packet read", X, Reason.PACKET_OUT_OF_RANGE,
                ldxw(R2, R1, 0), ldxb(R0, R2, 12), mov64Imm(R0, XDP_PASS), exit());
        safe(c, "checked packet read", X, checked(X, 14, ldxb(R0, R2, 13), mov64Imm(R0, XDP_PASS), exit()));
        unsafe(c, "read one byte past the check", X, Reason.PACKET_OUT_OF_RANGE,
                checked(X, 14, ldxb(R0, R2, 14), mov64Imm(R0, XDP_PASS), exit()));
        unsafe(c, "two-byte read straddling the checked end", X, Reason.PACKET_OUT_OF_RANGE,
                checked(X, 14, ldxh(R0, R2, 13), mov64Imm(R0, XDP_PASS), exit()));
        unsafe(c, "read below data", X, Reason.PACKET_NEGATIVE,
                checked(X, 14, ldxb(R0, R2, -1), mov64Imm(R0, XDP_PASS), exit()));
        // A variable-length header: data + 14 + (ihl & 15) * 4, then a check of 20 bytes past it.
        safe(c, "variable offset checked against data_end", X, checked(X, 34,
                ldxb(R5, R2, 14), alu64Imm(Op.AND, R5, 15), alu64Imm(Op.LSH, R5, 2), add64Reg(R2, R5),
                mov64Reg(R6, R2), add64Imm(R6, 34), jmpReg(Op.JGT, R6, R3, 3),
                ldxb(R0, R2, 33), mov64Imm(R0, XDP_PASS), exit(), mov64Imm(R0, XDP_DROP), exit()));
        unsafe(c, "variable offset read past its check", X, Reason.PACKET_OUT_OF_RANGE, checked(X, 34,
                ldxb(R5, R2, 14), alu64Imm(Op.AND, R5, 15), alu64Imm(Op.LSH, R5, 2), add64Reg(R2, R5),
                mov64Reg(R6, R2), add64Imm(R6, 34), jmpReg(Op.JGT, R6, R3, 3),
                ldxb(R0, R2, 34), mov64Imm(R0, XDP_PASS), exit(), mov64Imm(R0, XDP_DROP), exit()));
        unsafe(c, "variable offset read without a new check", X, Reason.PACKET_OUT_OF_RANGE, checked(X, 34,
                ldxb(R5, R2, 14), alu64Imm(Op.AND, R5, 15), alu64Imm(Op.LSH, R5, 2), add64Reg(R2, R5),
                ldxb(R0, R2, 14), mov64Imm(R0, XDP_PASS), exit()));
        unsafe(c, "packet pointer plus an unbounded scalar", X, Reason.POINTER_ARITHMETIC,
                mov64Reg(R6, R1), call(5), ldxw(R2, R6, 0), add64Reg(R2, R0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "packet write in cgroup_skb", CG, Reason.PACKET_WRITE,
                checked(CG, 20, stw(R2, 0, 0), mov64Imm(R0, 1), exit()));
        safe(c, "packet write in xdp", X, checked(X, 14, st(Op.B, R2, 0, 0), mov64Imm(R0, XDP_PASS), exit()));

        // ---- registers ---------------------------------------------------------------------------------------
        unsafe(c, "uninitialised register", X, Reason.UNINIT_REGISTER, mov64Reg(R0, R5), exit());
        unsafe(c, "R0 not set at exit", X, Reason.UNINIT_REGISTER, mov64Imm(R2, 0), exit());
        unsafe(c, "R0 set on one path only", X, Reason.UNINIT_REGISTER,
                ldxw(R2, R1, 12), jmpImm(Op.JEQ, R2, 1, 1), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "helper argument clobbered by an earlier call", X, Reason.UNINIT_REGISTER,
                call(5), call(23), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "write to the frame pointer", X, Reason.INVALID_REGISTER, mov64Imm(R10, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "register field r11", X, Reason.INVALID_REGISTER,
                new Insn(Op.ALU64 | Op.MOV | Op.K, 11, 0, 0, 0), mov64Imm(R0, XDP_PASS), exit());

        // ---- stack -------------------------------------------------------------------------------------------
        unsafe(c, "stack write below r10-512", X, Reason.STACK_OUT_OF_BOUNDS, stdw(R10, -520, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "stack write at r10", X, Reason.STACK_OUT_OF_BOUNDS, stw(R10, 0, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "misaligned stack write", X, Reason.STACK_MISALIGNED, stw(R10, -6, 0), mov64Imm(R0, XDP_PASS), exit());
        safe(c, "spill and fill of a packet pointer", X, checked(X, 14,
                stxdw(R10, -8, R2), mov64Imm(R2, 0), ldxdw(R4, R10, -8), ldxb(R0, R4, 13), mov64Imm(R0, XDP_PASS), exit()));
        unsafe(c, "partial read of a spilled pointer", X, Reason.STACK_POINTER_PARTIAL,
                stxdw(R10, -8, R1), ldxw(R0, R10, -8), mov64Imm(R0, XDP_PASS), exit());
        // As root (CAP_PERFMON) the kernel lets a program read stack bytes it never wrote; we do not.
        unsafe(c, "uninitialised stack read", X, Reason.UNINIT_STACK, false, ldxdw(R0, R10, -16), mov64Imm(R0, XDP_PASS), exit());

        // ---- context -----------------------------------------------------------------------------------------
        unsafe(c, "write to read-only xdp_md field", X, Reason.CTX_READ_ONLY, mov64Imm(R2, 0), stxw(R1, 0, R2), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "bad xdp_md offset", X, Reason.CTX_ACCESS, ldxw(R0, R1, 24), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "narrow read of xdp_md data", X, Reason.CTX_ACCESS, ldxh(R0, R1, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "modified ctx pointer", X, Reason.CTX_MODIFIED, add64Imm(R1, 4), ldxw(R0, R1, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "tc reads a socket field", TC, Reason.CTX_ACCESS, ldxw(R0, R1, 88), mov64Imm(R0, 0), exit());
        unsafe(c, "tc writes __sk_buff len", TC, Reason.CTX_READ_ONLY, mov64Imm(R2, 0), stxw(R1, 0, R2), mov64Imm(R0, 0), exit());
        // Linux 6.3 and later accept BPF_ST into the context like BPF_STX (the kernel here does).
        safe(c, "immediate store into skb->mark", TC, stw(R1, 8, 1), mov64Imm(R0, 0), exit());
        unsafe(c, "immediate store into xdp_md", X, Reason.CTX_READ_ONLY, stw(R1, 12, 1), mov64Imm(R0, XDP_PASS), exit());
        safe(c, "tc writes skb->mark", TC, mov64Imm(R2, 7), stxw(R1, 8, R2), mov64Imm(R0, 0), exit());
        safe(c, "cgroup_skb reads family and a narrow protocol", CG, ldxw(R2, R1, 88), ldxh(R3, R1, 16), mov64Imm(R0, 1), exit());
        unsafe(c, "cgroup_skb writes tc_classid", CG, Reason.CTX_ACCESS, mov64Imm(R2, 0), stxw(R1, 72, R2), mov64Imm(R0, 1), exit());

        // ---- pointers ----------------------------------------------------------------------------------------
        unsafe(c, "arithmetic on pkt_end", X, Reason.POINTER_ARITHMETIC, ldxw(R3, R1, 4), add64Imm(R3, 1), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "bitwise and on a pointer", X, Reason.POINTER_ARITHMETIC, ldxw(R2, R1, 0), alu64Imm(Op.AND, R2, 0xff), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "32-bit add to a pointer", X, Reason.POINTER_ARITHMETIC, ldxw(R2, R1, 0), alu32Imm(Op.ADD, R2, 1), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "pointer plus pointer", X, Reason.POINTER_ARITHMETIC, ldxw(R2, R1, 0), ldxw(R3, R1, 0), add64Reg(R2, R3), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "dereference of pkt_end", X, Reason.INVALID_DEREF, ldxw(R3, R1, 4), ldxb(R0, R3, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "dereference of a scalar", X, Reason.INVALID_DEREF, mov64Imm(R2, 4096), ldxb(R0, R2, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "pointer returned by cgroup_skb", CG, Reason.RETURN_POINTER, mov64Reg(R0, R1), exit());
        unsafe(c, "stack pointer leaked through the return value (xdp)", X, Reason.RETURN_POINTER, false, mov64Reg(R0, R10), exit());
        unsafe(c, "pointer stored into the packet", X, Reason.POINTER_LEAK, false, checked(X, 14, stxdw(R2, 0, R1), mov64Imm(R0, XDP_PASS), exit()));

        // ---- return values -----------------------------------------------------------------------------------
        unsafe(c, "cgroup_skb returns 2", CG, Reason.RETURN_VALUE, mov64Imm(R0, 2), exit());
        unsafe(c, "cgroup_skb returns 0..255", CG, Reason.RETURN_VALUE, checked(CG, 20, ldxb(R0, R2, 9), exit()));
        unsafe(c, "xdp returns 7", X, Reason.RETURN_VALUE, false, mov64Imm(R0, 7), exit());
        safe(c, "xdp returns XDP_REDIRECT", X, mov64Imm(R0, 4), exit());
        safe(c, "tc returns TC_ACT_UNSPEC", TC, mov32Imm(R0, -1), exit());

        // ---- control flow ------------------------------------------------------------------------------------
        unsafe(c, "unreachable code", X, Reason.UNREACHABLE, mov64Imm(R0, XDP_PASS), exit(), mov64Imm(R0, XDP_DROP), exit());
        unsafe(c, "infinite loop", X, Reason.LOOP, mov64Imm(R0, XDP_PASS), ldxw(R2, R1, 12), jmpImm(Op.JEQ, R2, 0, 1), ja(-1), exit());
        unsafe(c, "bounded loop", X, Reason.LOOP, false,
                mov64Imm(R0, 0), add64Imm(R0, 1), jmpImm(Op.JLT, R0, 10, -2), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "jump out of range", X, Reason.JUMP_OUT_OF_RANGE, mov64Imm(R0, XDP_PASS), ja(5), exit());
        unsafe(c, "jump into the middle of ld_imm64", X, Reason.JUMP_OUT_OF_RANGE, ldxw(R2, R1, 12), jmpImm(Op.JEQ, R2, 0, 1), ldImm64(R0, 2), exit());
        unsafe(c, "falls off the end", X, Reason.FALLS_OFF_END, mov64Imm(R0, XDP_PASS));
        unsafe(c, "invalid opcode", X, Reason.INVALID_INSN, new Insn(Op.ALU64 | 0xe0, R0, 0, 0, 0), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "reserved field set in exit", X, Reason.INVALID_INSN, mov64Imm(R0, XDP_PASS), new Insn(Op.JMP | Op.EXIT, 0, 0, 0, 1));
        safe(c, "gotol and jmp32 compares (cpu v4)", X, ldxw(R2, R1, 12), jmp32Imm(Op.JGT, R2, 5, 1),
                new Insn(Op.JMP32 | Op.JA, 0, 0, 0, 2), mov32Imm(R0, XDP_PASS), exit(), mov32Imm(R0, XDP_DROP), exit());

        // ---- arithmetic --------------------------------------------------------------------------------------
        unsafe(c, "division by immediate zero", X, Reason.DIVISION_BY_ZERO, mov64Imm(R0, XDP_PASS), alu64Imm(Op.DIV, R0, 0), exit());
        safe(c, "division by a register that is zero (the kernel defines it)", X,
                mov64Imm(R0, XDP_PASS), mov64Imm(R1, 0), alu64Reg(Op.DIV, R0, R1), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "shift by 64", X, Reason.INVALID_SHIFT, mov64Imm(R0, XDP_PASS), alu64Imm(Op.LSH, R0, 64), exit());
        safe(c, "byte swaps and sign extension (cpu v4)", X, ldxw(R2, R1, 12), bswap(R2, 32), be(R2, 16),
                new Insn(Op.ALU64 | Op.X | Op.MOV, R3, R2, 8, 0), mov64Imm(R0, XDP_PASS), exit());

        // ---- helpers -----------------------------------------------------------------------------------------
        unsafe(c, "helper argument of the wrong type", X, Reason.HELPER_ARGUMENT, mov64Imm(R1, 0), mov64Imm(R2, 0), call(44), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "unknown helper", X, Reason.UNKNOWN_HELPER, call(100_000), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "xdp helper in a tc program", TC, Reason.UNKNOWN_HELPER, mov64Imm(R2, 0), call(44), mov64Imm(R0, 0), exit());
        unsafe(c, "map helper without a map", X, Reason.HELPER_ARGUMENT, mov64Imm(R1, 0), mov64Reg(R2, R10), add64Imm(R2, -8),
                stdw(R10, -8, 0), call(1), mov64Imm(R0, XDP_PASS), exit());
        unsafe(c, "packet pointer used after bpf_xdp_adjust_head", X, Reason.INVALID_DEREF, checked(X, 14,
                mov64Reg(R6, R2), mov64Imm(R2, 0), call(44), ldxb(R0, R6, 0), mov64Imm(R0, XDP_PASS), exit()));
        safe(c, "helper with valid arguments", X, call(5), mov64Imm(R0, XDP_PASS), exit());

        // ---- limits ------------------------------------------------------------------------------------------
        c.add(new Entry("too many instructions", X, tooLong(), Reason.TOO_MANY_INSNS, true));
        c.add(new Entry("8193 pending branches on one path", X, jumpChain(8200), Reason.JUMP_SEQUENCE, true));
        c.add(new Entry("8000 pending branches on one path", X, jumpChain(8000), null, false));
        c.add(new Entry("2^22 paths kept apart by a precise sum (past 1M processed)", X, diamonds(22), Reason.COMPLEXITY, true));
        c.add(new Entry("2^14 paths kept apart by a precise sum", X, diamonds(14), null, false));
        return c;
    }

    /** The packet check {@code data + len > data_end -> drop}, with R2 = data and R3 = data_end, then the body. */
    static Insn[] checked(ProgramType t, int len, Insn... body) {
        int data = t == ProgramType.XDP ? 0 : 76, end = t == ProgramType.XDP ? 4 : 80;
        int drop = t == ProgramType.XDP ? XDP_DROP : 0;
        int bodySlots = Encoder.slots(List.of(body));
        List<Insn> p = new ArrayList<>(List.of(ldxw(R2, R1, data), ldxw(R3, R1, end), mov64Reg(R4, R2), add64Imm(R4, len),
                jmpReg(Op.JGT, R4, R3, bodySlots)));
        p.addAll(Arrays.asList(body));
        p.add(mov64Imm(R0, drop));
        p.add(exit());
        return p.toArray(new Insn[0]);
    }

    private static List<Insn> tooLong() {
        Insn[] a = new Insn[StaticVerifier.MAX_INSNS + 1];
        Arrays.fill(a, mov64Imm(R0, XDP_PASS));
        a[a.length - 1] = exit();
        return Arrays.asList(a);
    }

    /** {@code r1 = ingress_ifindex}, then n tests {@code if r1 == k goto out}: a first-match chain. */
    private static List<Insn> jumpChain(int n) {
        List<Insn> p = new ArrayList<>();
        p.add(ldxw(R2, R1, 12));
        for (int k = 0; k < n; k++) p.add(jmpImm(Op.JEQ, R2, k + 1, n - k + 1));
        p.add(mov64Imm(R0, XDP_PASS));
        p.add(exit());
        p.add(mov64Imm(R0, XDP_DROP));
        p.add(exit());
        return p;
    }

    /**
     * {@code n} diamonds {@code if ifindex & 2^k: r4 += 2^k}, then {@code data + r4}: the pointer arithmetic makes the
     * kernel need r4 exactly, so the 2^n sums are 2^n states that never prune each other (only 16 instructions long,
     * exponential work: the kernel stops at 1M processed for n = 22).
     */
    static List<Insn> diamonds(int n) {
        List<Insn> p = new ArrayList<>();
        p.add(ldxw(R2, R1, 12));
        p.add(mov64Imm(R4, 0));
        for (int k = 0; k < n; k++) {
            p.add(jmpImm(Op.JSET, R2, 1 << k, 1));
            p.add(add64Imm(R4, 1 << k));
        }
        p.add(ldxw(R3, R1, 0));
        p.add(add64Reg(R3, R4));
        p.add(mov64Imm(R0, XDP_PASS));
        p.add(exit());
        return p;
    }

    private static void safe(List<Entry> c, String name, ProgramType t, Insn... insns) {
        c.add(new Entry(name, t, List.of(insns), null, false));
    }

    private static void unsafe(List<Entry> c, String name, ProgramType t, Reason r, Insn... insns) {
        c.add(new Entry(name, t, List.of(insns), r, true));
    }

    /** An entry the kernel (as root) accepts and we refuse: where we are stricter. */
    private static void unsafe(List<Entry> c, String name, ProgramType t, Reason r, boolean kernelRejects, Insn... insns) {
        c.add(new Entry(name, t, List.of(insns), r, kernelRejects));
    }
}
