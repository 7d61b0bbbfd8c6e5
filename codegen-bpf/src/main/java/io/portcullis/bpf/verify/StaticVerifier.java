package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * A static safety verifier for the BPF programs Portcullis emits, modelled on the Linux kernel's verifier as it
 * behaves for a privileged loader, so that a machine without {@code bpf()} can still refuse an unsafe object.
 *
 * <p>Two phases. First the structure, as the kernel's {@code check_cfg}: every opcode and reserved field, jump targets
 * inside the program and not into an ld_imm64, no fall-through past the end, every instruction reachable, and no
 * back-edge at all (our programs have no loops; the kernel accepts loops it can bound, we accept none). Then an
 * abstract interpretation over the acyclic control-flow graph in topological order: one state per instruction, the
 * join of the states on its incoming edges, branches refined by their conditions and infeasible edges dropped. A state
 * gives each register and each 8-byte stack slot a {@link Value}: uninitialised, a scalar range, or a pointer to the
 * context, the packet, the packet end or the stack. Packet pointers carry the kernel's {@code (id, off, var, range)}:
 * a comparison {@code pkt + var + off > data_end} proves {@code range = off} for every pointer with that id on the
 * branch where it is false, which is how variable-length IPv4 headers and IPv6 extension headers are checked.
 *
 * <p>What is not modelled (rejected as {@link Reason#UNSUPPORTED}; Portcullis never emits them): maps, BPF-to-BPF
 * calls, kfuncs, atomics, legacy {@code LD_ABS/LD_IND}. Helpers: a short table (see {@link Helpers}).
 */
public final class StaticVerifier {
    /** The kernel's program-length and processed-instruction limit (privileged). */
    public static final int MAX_INSNS = 1_000_000;
    /** The kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ: pending branch states at once. */
    public static final int MAX_PENDING_BRANCHES = 8192;
    static final int STACK_SIZE = 512, SLOTS = STACK_SIZE / 8;
    /** check_reg_sane_offset's BPF_MAX_VAR_OFF. */
    static final long MAX_VAR_OFF = 1L << 29;
    /** The kernel's MAX_PACKET_OFF: beyond it a comparison with data_end proves nothing. */
    static final long MAX_PACKET_OFF = 0xffff;
    private static final int PHI_BASE = 1 << 24;

    private StaticVerifier() {}

    /** Verifies raw bytecode (little-endian, 8-byte slots). */
    public static Verification verify(byte[] code, ProgramType type) {
        return verify(code, type, io.portcullis.bpf.elf.ReadOnlyData.none());
    }

    public static Verification verify(List<Insn> insns, ProgramType type) {
        return verify(insns, type, io.portcullis.bpf.elf.ReadOnlyData.none());
    }

    /** Verifies raw bytecode whose {@code ld_imm64} instructions may point into read-only data ({@code data}). */
    public static Verification verify(byte[] code, ProgramType type, io.portcullis.bpf.elf.ReadOnlyData data) {
        long t0 = System.nanoTime();
        List<Insn> insns;
        try {
            insns = Decoder.decode(code);
        } catch (IllegalArgumentException e) {
            return new Verification(type, List.of(), code.length / 8,
                    List.of(new Problem(-1, Reason.INVALID_INSN, e.getMessage())), 0, 0, 0, System.nanoTime() - t0, null);
        }
        return verify(insns, type, data);
    }

    public static Verification verify(List<Insn> insns, ProgramType type, io.portcullis.bpf.elf.ReadOnlyData data) {
        long t0 = System.nanoTime();
        Run run = new Run(insns, type);
        run.data = data;
        run.run();
        return new Verification(type, List.copyOf(insns), run.n, List.copyOf(run.problems), run.analysed,
                run.pending, run.deepest, System.nanoTime() - t0, run.estimate);
    }

    /** The abstract state before one instruction. Arrays are copied on every transfer (states are small). */
    static final class State {
        final Value[] regs;
        final Value[] spill;
        /** Per stack slot, a bit per initialised byte (bit i: byte at slot address + i). */
        final byte[] init;

        State(Value[] regs, Value[] spill, byte[] init) {
            this.regs = regs;
            this.spill = spill;
            this.init = init;
        }

        static State entry() {
            Value[] r = new Value[11];
            java.util.Arrays.fill(r, Value.NOT_INIT);
            r[1] = Value.CTX;
            r[10] = Value.FP;
            return new State(r, new Value[SLOTS], new byte[SLOTS]);
        }

        State copy() { return new State(regs.clone(), spill.clone(), init.clone()); }

        /** Whether both hold pointers into the same read-only regions in the same registers and stack slots. */
        boolean sameRegions(State o) {
            for (int i = 0; i < regs.length; i++) if (region(regs[i]) != region(o.regs[i])) return false;
            for (int i = 0; i < spill.length; i++) if (region(spill[i]) != region(o.spill[i])) return false;
            return true;
        }

        private static int region(Value v) { return v != null && v.kind() == Value.Kind.MAP_VALUE ? v.range() : -1; }

        /** The least state that describes both; {@code regionSize} as in {@link Value#join(Value, int, java.util.function.IntUnaryOperator)}. */
        State join(State o, int site, java.util.function.IntUnaryOperator regionSize) {
            Value[] r = new Value[11];
            for (int i = 0; i < 11; i++) r[i] = regs[i].join(o.regs[i], PHI_BASE + site * 80 + i, regionSize);
            Value[] s = new Value[SLOTS];
            byte[] in = new byte[SLOTS];
            for (int i = 0; i < SLOTS; i++) {
                in[i] = (byte) (init[i] & o.init[i]);
                Value a = spill[i], b = o.spill[i];
                if (a != null && b != null) {
                    s[i] = a.join(b, PHI_BASE + site * 80 + 11 + i, regionSize);
                    if (s[i].kind() == Value.Kind.NOT_INIT) s[i] = null;
                } else if (a != null && !a.isScalar() || b != null && !b.isScalar()) {
                    s[i] = Value.MIXED;
                }
            }
            return new State(r, s, in);
        }

        /** Applies {@code f} to every register and spilled value. */
        void map(java.util.function.UnaryOperator<Value> f) {
            for (int i = 0; i < 11; i++) regs[i] = f.apply(regs[i]);
            for (int i = 0; i < SLOTS; i++) if (spill[i] != null) spill[i] = f.apply(spill[i]);
        }
    }

    /** A use that needs a scalar's exact value: the kernel's mark_chain_precision. */
    interface Demand {
        void at(int insn, int reg);
    }

    static final class Run {
        final List<Insn> insns;
        final ProgramType type;
        final int n;
        final Insn[] at;
        final List<Problem> problems = new ArrayList<>();
        int analysed, pending, deepest;
        // Per slot: whether the fall-through / taken edge was feasible in the analysis.
        boolean[] fallOk, takenOk;
        int[] order;
        /** Per slot, the stack slot a load or store accesses (-1: none), as the merged analysis found it. */
        final int[] slotOf;
        /** In path mode ({@link Explorer}): receives each successor state instead of the join. */
        java.util.function.ObjIntConsumer<State> sink;
        /** In path mode: told of each use that makes the kernel need a scalar's exact value (insn, register). */
        Demand demands;
        Complexity estimate;
        /** Path mode: the next id for linked scalars. */
        int nextScalarId = 1 << 28;
        /** What the program's ld_imm64 instructions point into (.rodata* sections). */
        io.portcullis.bpf.elf.ReadOnlyData data = io.portcullis.bpf.elf.ReadOnlyData.none();

        Run(List<Insn> insns, ProgramType type) {
            this.insns = insns;
            this.type = type;
            int slots = 0;
            for (Insn i : insns) slots += i.width();
            this.n = slots;
            this.at = new Insn[slots];
            this.slotOf = new int[slots];
            java.util.Arrays.fill(slotOf, -1);
            int s = 0;
            for (Insn i : insns) {
                at[s] = i;
                s += i.width();
            }
        }

        void run() {
            if (n == 0) {
                problems.add(new Problem(-1, Reason.EMPTY, "the program has no instructions"));
                return;
            }
            if (n > MAX_INSNS) {
                problems.add(new Problem(-1, Reason.TOO_MANY_INSNS, "the program has " + n
                        + " instructions; the kernel loads at most " + MAX_INSNS));
                return;
            }
            try {
                for (int s = 0; s < n; s++) if (at[s] != null) Structure.validate(s, at[s], n, at);
                order = Structure.topologicalOrder(at, n);
                analyse();
                complexity();
            } catch (Rejection r) {
                problems.add(r.problem);
            }
        }

        // ---- analysis -------------------------------------------------------------------------------------------

        /**
         * States that reach an instruction with pointers into other read-only regions than {@code in[s]} (see
         * {@link #flow}); null for most instructions.
         */
        java.util.List<State>[] apart;

        /** A read-only region's value size, by region index (for joins of pointers into different regions). */
        private final java.util.function.IntUnaryOperator regionSize = k -> data.regions().get(k).size();

        /** At most this many states per instruction are kept apart by their read-only regions; past it they join. */
        static final int APART = 64;

        @SuppressWarnings("unchecked")
        void analyse() {
            State[] in = new State[n];
            apart = new java.util.List[n];
            fallOk = new boolean[n];
            takenOk = new boolean[n];
            in[0] = State.entry();
            for (int s : order) {
                State st = in[s];
                if (st == null) continue;
                in[s] = null;
                java.util.List<State> more = apart[s];
                apart[s] = null;
                analysed++;
                step(s, at[s], st, in);
                if (more != null) for (State m : more) step(s, at[s], m, in);
            }
        }

        /**
         * Joins {@code st} into what reaches {@code target}. States whose registers and spills point into different
         * read-only regions are kept apart (up to {@link #APART}), as the kernel keeps every path apart: joined, a
         * pointer into one region with an offset masked for another would lose which offset belongs to which region
         * (LLVM shares one search block between decision-table chunks of different sizes).
         */
        void flow(State[] in, int target, State st) {
            if (sink != null) {
                sink.accept(st, target);
                return;
            }
            State head = in[target];
            if (head == null) {
                in[target] = st;
                return;
            }
            if (head.sameRegions(st)) {
                in[target] = head.join(st, target, regionSize);
                return;
            }
            java.util.List<State> more = apart[target];
            if (more == null) apart[target] = more = new java.util.ArrayList<>(2);
            for (int k = 0; k < more.size(); k++) {
                if (more.get(k).sameRegions(st)) {
                    more.set(k, more.get(k).join(st, target, regionSize));
                    return;
                }
            }
            if (more.size() < APART) more.add(st);
            else in[target] = head.join(st, target, regionSize);
        }

        void step(int s, Insn i, State st, State[] in) {
            switch (i.cls()) {
                case Op.ALU, Op.ALU64 -> {
                    State o = st.copy();
                    alu(s, i, o);
                    next(s, i, o, in);
                }
                case Op.LDX -> {
                    State o = st.copy();
                    Value p = read(s, o, i.src());
                    o.regs[i.dst()] = load(s, i, o, i.src(), p);
                    next(s, i, o, in);
                }
                case Op.ST, Op.STX -> {
                    State o = st.copy();
                    store(s, i, o);
                    next(s, i, o, in);
                }
                case Op.LD -> {
                    // Structure admits only ld_imm64 with src 0 here.
                    State o = st.copy();
                    io.portcullis.bpf.elf.ReadOnlyData.Ref ref = data.at(s);
                    o.regs[i.dst()] = ref != null ? new Value(Value.Kind.MAP_VALUE, ref.offset(), Scalar.constant(0), 0,
                            ref.region()) : Value.constant(i.imm());
                    next(s, i, o, in);
                }
                default -> jump(s, i, st, in);
            }
        }

        void next(int s, Insn i, State o, State[] in) {
            if (sink == null) fallOk[s] = true;
            flow(in, s + i.width(), o);
        }

        Rejection fail(int s, Reason r, String msg) { return new Rejection(s, r, msg); }

        Value read(int s, State st, int reg) {
            Value v = st.regs[reg];
            if (v.kind() == Value.Kind.NOT_INIT) throw fail(s, Reason.UNINIT_REGISTER, "R" + reg + " is read before it is written (!read_ok)");
            return v;
        }

        Value typed(int s, State st, int reg) {
            Value v = read(s, st, reg);
            if (v.kind() == Value.Kind.MIXED) {
                throw fail(s, Reason.PATH_DEPENDENT_TYPE, "R" + reg + " is a pointer on some paths and not on others");
            }
            return v;
        }

        // ---- ALU --------------------------------------------------------------------------------------------------

        void alu(int s, Insn i, State st) {
            boolean wide = i.cls() == Op.ALU64;
            int op = i.op(), d = i.dst();
            if (op == Op.MOV) {
                Value src = i.usesSrcReg() ? read(s, st, i.src()) : Value.constant(wide ? i.imm32() : i.imm32() & Scalar.U32_MAX);
                if (i.off() != 0) {
                    // movsx: sign-extend the low off bits.
                    Scalar v = src.isScalar() ? src.var() : Scalar.UNKNOWN;
                    Scalar r = signExtend(v, i.off());
                    st.regs[d] = Value.scalar(wide ? r : r.zext32());
                } else if (wide) {
                    if (sink != null && src.isScalar() && src.id() == 0 && !src.var().isConst()) {
                        // Path mode: the copy and its source are linked scalars (the kernel's scalar ids).
                        src = src.withScalarId(nextScalarId++, 0);
                        st.regs[i.src()] = src;
                    }
                    st.regs[d] = src;
                } else {
                    // A 32-bit copy of a pointer is an unknown scalar (the kernel allows it as root).
                    st.regs[d] = Value.scalar(src.isScalar() ? src.var().zext32() : Scalar.U32);
                }
                return;
            }
            Value dst = typed(s, st, d);
            if (op == Op.NEG || op == Op.END) {
                if (!dst.isScalar()) {
                    throw fail(s, Reason.POINTER_ARITHMETIC, "R" + d + " is a " + dst + " pointer: "
                            + (op == Op.NEG ? "negation" : "byte swap") + " of a pointer is prohibited");
                }
                st.regs[d] = Value.scalar(op == Op.NEG ? neg(dst.var(), wide) : endian(i, dst.var()));
                return;
            }
            Value src = i.usesSrcReg() ? typed(s, st, i.src()) : Value.constant(wide ? i.imm32() : i.imm32() & Scalar.U32_MAX);
            if (dst.isScalar() && src.isScalar()) {
                st.regs[d] = Value.scalar(scalarOp(s, i, dst.var(), src.var(), wide));
                if (sink != null && op == Op.ADD && wide && dst.id() != 0 && src.var().isConst()) {
                    // rX += K keeps rX linked to its copies, once (the kernel's BPF_ADD_CONST).
                    long k = src.var().umin();
                    if ((dst.id() & Value.ADD_CONST) == 0 && k >= 0 && k <= Integer.MAX_VALUE) {
                        st.regs[d] = st.regs[d].withScalarId(dst.id() | Value.ADD_CONST, (int) k);
                    }
                }
                return;
            }
            if (demands != null && i.usesSrcReg()) {
                // pointer += scalar, scalar += pointer: the kernel needs the scalar exactly.
                if (dst.isPointer() && src.isScalar()) demands.at(s, i.src());
                if (dst.isScalar() && src.isPointer()) demands.at(s, d);
            }
            st.regs[d] = pointerOp(s, i, dst, src, wide);
        }

        Scalar scalarOp(int s, Insn i, Scalar a, Scalar b, boolean wide) {
            if (!wide) {
                a = a.zext32();
                b = b.zext32();
            }
            int width = wide ? 64 : 32;
            Scalar r;
            switch (i.op()) {
                case Op.ADD -> r = a.add(b);
                case Op.SUB -> r = a.sub(b);
                case Op.MUL -> r = a.mul(b);
                case Op.DIV, Op.MOD -> {
                    if (i.off() == 1) r = a.isConst() && b.isConst() ? signedDivMod(i.op(), a.umin(), b.umin(), wide) : Scalar.UNKNOWN;
                    else r = i.op() == Op.DIV ? a.div(b) : a.mod(b);
                }
                case Op.OR -> r = a.or(b);
                case Op.AND -> r = a.and(b);
                case Op.XOR -> r = a.xor(b);
                case Op.LSH, Op.RSH, Op.ARSH -> {
                    if (!b.isConst() || Long.compareUnsigned(b.umin(), width) >= 0) {
                        r = Scalar.UNKNOWN;
                    } else {
                        int k = (int) b.umin();
                        if (i.op() == Op.LSH) r = a.lsh(k);
                        else if (i.op() == Op.RSH) r = a.rsh(k);
                        else if (wide) r = a.arsh(k);
                        else r = a.isConst() ? Scalar.constant(((int) a.umin() >> k) & Scalar.U32_MAX) : Scalar.U32;
                    }
                }
                default -> throw fail(s, Reason.INVALID_INSN, "invalid ALU operation 0x" + Integer.toHexString(i.op()));
            }
            return wide ? r : r.zext32();
        }

        static Scalar signedDivMod(int op, long x, long y, boolean wide) {
            if (!wide) {
                int a = (int) x, b = (int) y;
                long r = b == 0 ? (op == Op.DIV ? 0 : a) : b == -1 ? (op == Op.DIV ? -a : 0) : op == Op.DIV ? a / b : a % b;
                return Scalar.constant(r & Scalar.U32_MAX);
            }
            long r = y == 0 ? (op == Op.DIV ? 0 : x) : y == -1 ? (op == Op.DIV ? -x : 0) : op == Op.DIV ? x / y : x % y;
            return Scalar.constant(r);
        }

        static Scalar signExtend(Scalar v, int bits) {
            if (v.isConst()) {
                long x = v.umin() << (64 - bits) >> (64 - bits);
                return Scalar.constant(x);
            }
            if (Long.compareUnsigned(v.umax(), (1L << (bits - 1)) - 1) <= 0) return v;
            return Scalar.signed(-(1L << (bits - 1)), (1L << (bits - 1)) - 1);
        }

        static Scalar neg(Scalar v, boolean wide) {
            if (wide) return v.neg();
            return v.isConst() ? Scalar.constant((-(int) v.umin()) & Scalar.U32_MAX) : Scalar.U32;
        }

        static Scalar endian(Insn i, Scalar v) {
            int bits = i.imm32();
            boolean swap = i.cls() == Op.ALU64 || i.usesSrcReg(); // bswap, or to big endian on a little-endian machine
            long mask = bits == 64 ? -1L : (1L << bits) - 1;
            if (v.isConst()) {
                long x = v.umin() & mask;
                if (swap) x = bits == 16 ? Short.toUnsignedLong(Short.reverseBytes((short) x))
                        : bits == 32 ? Integer.toUnsignedLong(Integer.reverseBytes((int) x)) : Long.reverseBytes(x);
                return Scalar.constant(x);
            }
            if (!swap && bits < 64 && Long.compareUnsigned(v.umax(), mask) <= 0) return v;
            return Scalar.ofBytes(bits / 8);
        }

        Value pointerOp(int s, Insn i, Value dst, Value src, boolean wide) {
            int op = i.op();
            String name = opName(op);
            if (!wide) {
                if (op == Op.SUB) return Value.scalar(Scalar.U32);
                throw fail(s, Reason.POINTER_ARITHMETIC, "R" + i.dst() + " 32-bit pointer arithmetic prohibited");
            }
            if (dst.isPointer() && src.isPointer()) {
                if (op == Op.SUB) return Value.UNKNOWN; // pointer difference: allowed for privileged programs
                throw fail(s, Reason.POINTER_ARITHMETIC, "R" + i.dst() + " pointer " + name + " pointer prohibited");
            }
            Value ptr = dst.isPointer() ? dst : src;
            Scalar k = dst.isPointer() ? src.var() : dst.var();
            if (!dst.isPointer() && op == Op.SUB) {
                throw fail(s, Reason.POINTER_ARITHMETIC, "R" + i.dst() + " tried to subtract pointer from scalar");
            }
            if (op != Op.ADD && op != Op.SUB) {
                throw fail(s, Reason.POINTER_ARITHMETIC, "R" + i.dst() + " pointer arithmetic with " + name
                        + " operator prohibited (the register holds " + ptr + ")");
            }
            if (ptr.kind() == Value.Kind.PACKET_END || ptr.kind() == Value.Kind.SOCK_OR_NULL) {
                throw fail(s, Reason.POINTER_ARITHMETIC, "R" + i.dst() + " pointer arithmetic on " + ptr.kind().text + " prohibited");
            }
            if (k.smin() == Long.MIN_VALUE && !k.isConst() || k.smin() <= -MAX_VAR_OFF || k.smax() >= MAX_VAR_OFF) {
                throw fail(s, Reason.POINTER_ARITHMETIC, "math between " + ptr.kind().text + " pointer and register with "
                        + (k.isConst() ? "value " + k.smin() : "unbounded value (" + k + ")") + " is not allowed");
            }
            if (k.isConst()) {
                long off = ptr.off() + (op == Op.ADD ? k.smin() : -k.smin());
                if (off <= -MAX_VAR_OFF || off >= MAX_VAR_OFF) {
                    throw fail(s, Reason.POINTER_ARITHMETIC, "value " + off + " makes " + ptr.kind().text + " pointer be out of bounds");
                }
                return ptr.withOff((int) off);
            }
            Scalar var = op == Op.ADD ? ptr.var().add(k) : ptr.var().sub(k);
            // Something variable was added: a new id, and no range proven yet (as the kernel does).
            if (ptr.kind() == Value.Kind.MAP_VALUE) return new Value(ptr.kind(), ptr.off(), var, s + 1, ptr.range());
            return new Value(ptr.kind(), ptr.off(), var, s + 1, 0);
        }

        static String opName(int op) {
            return switch (op) {
                case Op.ADD -> "+=";
                case Op.SUB -> "-=";
                case Op.MUL -> "*=";
                case Op.DIV -> "/=";
                case Op.MOD -> "%=";
                case Op.OR -> "|=";
                case Op.AND -> "&=";
                case Op.XOR -> "^=";
                case Op.LSH -> "<<=";
                case Op.RSH -> ">>=";
                case Op.ARSH -> "s>>=";
                default -> "op 0x" + Integer.toHexString(op);
            };
        }

        // ---- memory -----------------------------------------------------------------------------------------------

        Value load(int s, Insn i, State st, int reg, Value p) {
            int size = i.sizeBytes();
            boolean sx = i.mode() == Op.MEMSX;
            switch (p.kind()) {
                case CTX -> {
                    ctxPointer(s, reg, p);
                    ContextRules.Access a = ContextRules.check(type, i.off(), size, false);
                    if (!a.ok()) throw fail(s, a.reason(), a.message());
                    if (sx && !a.loaded().isScalar()) throw fail(s, Reason.CTX_ACCESS, "sign-extending load of a pointer field");
                    return sx ? Value.scalar(signExtend(a.loaded().var(), size * 8)) : a.loaded();
                }
                case PACKET -> {
                    packetAccess(s, reg, p, i.off(), size);
                    return Value.scalar(sx ? signExtend(Scalar.ofBytes(size), size * 8) : Scalar.ofBytes(size));
                }
                case MAP_VALUE -> {
                    mapValueAccess(s, reg, p, i.off(), size);
                    return Value.scalar(sx ? signExtend(Scalar.ofBytes(size), size * 8) : Scalar.ofBytes(size));
                }
                case STACK -> {
                    int a = stackAccess(s, reg, p, i.off(), size);
                    Value v = stackRead(s, st, a, size);
                    return sx && v.isScalar() ? Value.scalar(signExtend(v.var().zext32().equals(v.var()) ? v.var() : Scalar.UNKNOWN, size * 8)) : v;
                }
                default -> throw badDeref(s, reg, p);
            }
        }

        Rejection badDeref(int s, int reg, Value p) {
            if (p.kind() == Value.Kind.MIXED) return fail(s, Reason.PATH_DEPENDENT_TYPE, "R" + reg + " is a pointer on some paths and not on others");
            if (p.kind() == Value.Kind.PACKET_META) {
                return fail(s, Reason.PACKET_OUT_OF_RANGE, "R" + reg + " is pkt_meta; no access to the metadata area is proven");
            }
            return fail(s, Reason.INVALID_DEREF, "R" + reg + " invalid mem access '" + (p.isScalar() ? "scalar" : p.kind().text) + "'");
        }

        void ctxPointer(int s, int reg, Value p) {
            if (p.off() != 0 || !p.var().isConst() || p.var().umin() != 0) {
                throw fail(s, Reason.CTX_MODIFIED, "dereference of modified ctx ptr R" + reg + " off=" + p.off() + " disallowed");
            }
        }

        /** As the kernel's check_map_access: every offset the pointer may hold, plus the access, inside the value. */
        void mapValueAccess(int s, int reg, Value p, int insnOff, int size) {
            int valueSize = data.regions().get(p.range()).size();
            long lo = p.var().smin() + p.off() + insnOff, hi = p.var().umax() + p.off() + insnOff + size;
            if (p.var().smin() < 0 || lo < 0 || Long.compareUnsigned(p.var().umax(), valueSize) > 0 || hi > valueSize) {
                throw fail(s, Reason.MAP_OUT_OF_RANGE, "R" + reg + " invalid access to map value, value_size="
                        + valueSize + " off=" + (p.off() + insnOff) + " size=" + size + " (" + p + ")");
            }
        }

        void packetAccess(int s, int reg, Value p, int insnOff, int size) {
            if (p.var().smin() < 0) {
                throw fail(s, Reason.PACKET_NEGATIVE, "R" + reg + " min value is negative (" + p + ")");
            }
            long a = (long) p.off() + insnOff;
            if (a < 0) throw fail(s, Reason.PACKET_NEGATIVE, "invalid access to packet, off=" + a + " size=" + size + " below data");
            if (a + size > p.range()) {
                throw fail(s, Reason.PACKET_OUT_OF_RANGE, "invalid access to packet, off=" + a + " size=" + size + ", R" + reg
                        + "=" + p + ": only " + p.range() + " bytes are proven by a check against data_end");
            }
        }

        /** Checks a fixed-offset stack access and returns its offset from r10. */
        int stackAccess(int s, int reg, Value p, int insnOff, int size) {
            if (!p.var().isConst()) throw fail(s, Reason.STACK_VARIABLE_OFFSET, "R" + reg + " stack access with a variable offset (" + p.var() + ")");
            long a = (long) p.off() + p.var().smin() + insnOff;
            if (a < -STACK_SIZE || a + size > 0) {
                throw fail(s, Reason.STACK_OUT_OF_BOUNDS, "invalid stack access off=" + a + " size=" + size + " (the stack is r10-512 .. r10)");
            }
            if (a % size != 0) throw fail(s, Reason.STACK_MISALIGNED, "misaligned stack access off " + a + " size " + size);
            slotOf[s] = (int) (a + STACK_SIZE) / 8;
            return (int) a;
        }

        Value stackRead(int s, State st, int a, int size) {
            int slot = (a + STACK_SIZE) / 8, b = (a + STACK_SIZE) % 8;
            Value sp = st.spill[slot];
            if (sp != null) {
                if (size == 8) return sp;
                if (sp.isScalar()) return Value.scalar(Scalar.ofBytes(size));
                throw fail(s, Reason.STACK_POINTER_PARTIAL, "reads " + size + " bytes of the " + sp + " spilled at fp" + (a - b));
            }
            int mask = ((1 << size) - 1) << b;
            if ((st.init[slot] & mask) != mask) {
                throw fail(s, Reason.UNINIT_STACK, "invalid read from stack off " + a + " size " + size + ": not written on every path");
            }
            return Value.scalar(Scalar.ofBytes(size));
        }

        void store(int s, Insn i, State st) {
            if (i.mode() == Op.ATOMIC) throw fail(s, Reason.UNSUPPORTED, "atomic operations are not modelled");
            int size = i.sizeBytes(), d = i.dst();
            boolean imm = i.cls() == Op.ST;
            Value val = imm ? Value.constant(i.imm32()) : read(s, st, i.src());
            Value p = read(s, st, d);
            switch (p.kind()) {
                case CTX -> {
                    ctxPointer(s, d, p);
                    ContextRules.Access a = ContextRules.check(type, i.off(), size, true);
                    if (!a.ok()) throw fail(s, a.reason(), a.message());
                    if (!val.isScalar()) throw fail(s, Reason.POINTER_LEAK, "R" + i.src() + " (" + val + ") stored into the context");
                }
                case PACKET -> {
                    if (type.cgroup()) throw fail(s, Reason.PACKET_WRITE, "cannot write into packet: " + type.displayName() + " programs may only read it");
                    packetAccess(s, d, p, i.off(), size);
                    if (!val.isScalar()) throw fail(s, Reason.POINTER_LEAK, "R" + i.src() + " (" + val + ") stored into the packet");
                }
                case STACK -> {
                    int a = stackAccess(s, d, p, i.off(), size);
                    int slot = (a + STACK_SIZE) / 8, b = (a + STACK_SIZE) % 8;
                    if (size == 8) {
                        if (sink != null && !imm && val.isScalar() && val.id() == 0 && !val.var().isConst()) {
                            val = val.withScalarId(nextScalarId++, 0);
                            st.regs[i.src()] = val;
                        }
                        st.spill[slot] = val;
                        st.init[slot] = (byte) 0xff;
                    } else {
                        Value old = st.spill[slot];
                        st.spill[slot] = null;
                        int bits = old != null ? 0xff : st.init[slot] & 0xff;
                        st.init[slot] = (byte) (bits | (((1 << size) - 1) << b));
                    }
                }
                default -> throw badDeref(s, d, p);
            }
        }

        // ---- jumps ------------------------------------------------------------------------------------------------

        void jump(int s, Insn i, State st, State[] in) {
            int op = i.op();
            if (op == Op.EXIT) {
                exit(s, st);
                return;
            }
            if (op == Op.JA) {
                if (sink == null) takenOk[s] = true;
                flow(in, Structure.target(s, i), st);
                return;
            }
            if (op == Op.CALL) {
                State o = st.copy();
                Helpers.call(s, i, o, type);
                next(s, i, o, in);
                return;
            }
            boolean j32 = i.cls() == Op.JMP32;
            Value a = typedForCompare(s, st, i.dst());
            Value b = i.usesSrcReg() ? typedForCompare(s, st, i.src())
                    : Value.constant(j32 ? i.imm32() & Scalar.U32_MAX : i.imm32());
            State taken = st.copy(), fall = st.copy();
            boolean tOk = true, fOk = true;
            if (a.isScalar() && b.isScalar()) {
                Scalar[] t = Branches.refine(a.var(), b.var(), op, true, j32);
                Scalar[] f = Branches.refine(a.var(), b.var(), op, false, j32);
                tOk = t != null;
                fOk = f != null;
                if (tOk) setScalars(taken, i, t);
                if (fOk) setScalars(fall, i, f);
            } else if (!j32 && i.usesSrcReg()) {
                packetCompare(i, a, b, taken, fall);
            }
            if (demands != null && a.isScalar() && b.isScalar() && tOk != fOk) {
                // A branch decided from known values: the kernel marks its scalar operands precise.
                demands.at(s, i.dst());
                if (i.usesSrcReg()) demands.at(s, i.src());
            }
            if (sink == null) {
                takenOk[s] = tOk;
                fallOk[s] = fOk;
            }
            if (tOk) flow(in, Structure.target(s, i), taken);
            if (fOk) flow(in, s + 1, fall);
        }

        Value typedForCompare(int s, State st, int reg) {
            return typed(s, st, reg);
        }

        void setScalars(State st, Insn i, Scalar[] r) {
            // A refined register keeps its identity (its links to copies, in path mode).
            if (i.cls() == Op.JMP || r[0].fits32()) st.regs[i.dst()] = st.regs[i.dst()].withVar(r[0]);
            if (i.usesSrcReg() && (i.cls() == Op.JMP || r[1].fits32())) st.regs[i.src()] = st.regs[i.src()].withVar(r[1]);
        }

        /** pkt vs pkt_end: proves a range on the branch where the pointer is at or below the end. */
        void packetCompare(Insn i, Value a, Value b, State taken, State fall) {
            int op = i.op();
            if (a.isPacket() && b.kind() == Value.Kind.PACKET_END) {
                switch (op) {
                    case Op.JGT -> goodPointers(fall, a, false);   // pkt > end false: pkt <= end
                    case Op.JLT -> goodPointers(taken, a, true);   // pkt < end
                    case Op.JGE -> goodPointers(fall, a, true);    // pkt >= end false: pkt < end
                    case Op.JLE -> goodPointers(taken, a, false);  // pkt <= end
                    default -> { }
                }
            } else if (a.kind() == Value.Kind.PACKET_END && b.isPacket()) {
                switch (op) {
                    case Op.JGT -> goodPointers(taken, b, true);   // end > pkt
                    case Op.JLT -> goodPointers(fall, b, false);   // end < pkt false: pkt <= end
                    case Op.JGE -> goodPointers(taken, b, false);  // end >= pkt
                    case Op.JLE -> goodPointers(fall, b, true);    // end <= pkt false: end > pkt
                    default -> { }
                }
            }
        }

        /** The kernel's find_good_pkt_pointers, including its conservative range for strict comparisons. */
        static void goodPointers(State st, Value p, boolean rightOpen) {
            if (p.off() < 0 || p.off() == 0 && rightOpen) return;
            if (Long.compareUnsigned(p.var().umax(), MAX_PACKET_OFF) > 0 || p.var().umax() + p.off() > MAX_PACKET_OFF) return;
            int range = rightOpen ? p.off() - 1 : p.off();
            int id = p.id();
            Scalar var = p.var();
            st.map(v -> v.isPacket() && v.id() == id && v.var().equals(var) && v.range() < range ? v.withRange(range) : v);
        }

        void exit(int s, State st) {
            Value r0 = st.regs[0];
            if (r0.kind() == Value.Kind.NOT_INIT) throw fail(s, Reason.UNINIT_REGISTER, "R0 !read_ok: no return value is set on some path to exit");
            if (r0.kind() == Value.Kind.MIXED) throw fail(s, Reason.PATH_DEPENDENT_TYPE, "R0 is a pointer on some paths to exit and not on others");
            if (demands != null && type.cgroup() && r0.isScalar()) demands.at(s, 0);
            if (r0.isPointer()) throw fail(s, Reason.RETURN_POINTER, "R0 is a " + r0 + " pointer at exit: the verdict must be a number");
            Scalar v = r0.var();
            long lo = v.smin(), hi = v.smax();
            if (type == ProgramType.SCHED_CLS && v.fits32()) {
                // tc reads the verdict as an int.
                lo = v.isConst() ? (int) v.umin() : (v.umax() <= Integer.MAX_VALUE ? v.umin() : Integer.MIN_VALUE);
                hi = v.isConst() ? (int) v.umin() : (v.umax() <= Integer.MAX_VALUE ? v.umax() : Integer.MAX_VALUE);
            }
            if (lo < type.minReturn() || hi > type.maxReturn()) {
                throw fail(s, Reason.RETURN_VALUE, "R0 at exit is " + (lo == hi ? Long.toString(lo) : "in [" + lo + ", " + hi + "]")
                        + ", not a " + type.displayName() + " verdict in [" + type.minReturn() + ", " + type.maxReturn() + "]");
            }
        }

        // ---- complexity -------------------------------------------------------------------------------------------

        void complexity() {
            // The path the kernel explores first: fall-through first, one pending state per two-way branch.
            int s = 0, count = 0;
            boolean[] seen = new boolean[n];
            while (s < n && !seen[s]) {
                seen[s] = true;
                Insn i = at[s];
                if (!i.isJump() || i.op() == Op.CALL) {
                    if (!fallOk[s]) break;
                    s += i.width();
                    continue;
                }
                if (i.op() == Op.EXIT) break;
                if (i.op() == Op.JA) {
                    s = Structure.target(s, i);
                    continue;
                }
                if (fallOk[s] && takenOk[s]) count++;
                if (fallOk[s]) s++;
                else if (takenOk[s]) s = Structure.target(s, i);
                else break;
            }
            pending = count;
            int[] best = new int[n];
            for (int k = order.length - 1; k >= 0; k--) {
                int x = order[k];
                Insn i = at[x];
                int m = 0;
                if (fallOk[x] && (!i.isJump() || i.op() != Op.JA)) m = Math.max(m, best[x + i.width()]);
                if (takenOk[x]) m = Math.max(m, best[Structure.target(x, i)]);
                best[x] = m + (fallOk[x] && takenOk[x] && i.isJump() && i.op() != Op.JA ? 1 : 0);
            }
            deepest = best[0];
            Explorer x = new Explorer(this);
            long t0 = System.nanoTime();
            x.explore();
            boolean jumpsFailed = x.peakPending > MAX_PENDING_BRANCHES;
            boolean insnsFailed = x.processed > MAX_INSNS;
            estimate = new Complexity(x.processed, x.peakPending, x.states, x.pruned, x.complete, x.note, System.nanoTime() - t0);
            if (jumpsFailed) {
                throw fail(-1, Reason.JUMP_SEQUENCE, "the sequence of " + x.peakPending + " jumps is too complex: the kernel keeps at most "
                        + MAX_PENDING_BRANCHES + " pending branches while it explores the paths");
            }
            if (insnsFailed) {
                throw fail(-1, Reason.COMPLEXITY, "the kernel would process more than " + MAX_INSNS
                        + " instructions (\"BPF program is too large\"): the estimate passed the limit");
            }
            if (!x.complete) {
                // The exploration could not follow the program to the end: fall back on the merged analysis's bounds.
                if (pending > MAX_PENDING_BRANCHES) {
                    throw fail(-1, Reason.JUMP_SEQUENCE, "the sequence of " + pending + " jumps is too complex: the kernel keeps at most "
                            + MAX_PENDING_BRANCHES + " pending branches on one path");
                }
                if (analysed > MAX_INSNS) throw fail(-1, Reason.COMPLEXITY, "more than " + MAX_INSNS + " instructions to analyse");
            }
        }
    }
}
