package io.portcullis.bpf.interp;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ReadOnlyData;

/**
 * Runs a BPF program on one packet, as the kernel would (semantics of RFC 9669 / the kernel's instruction-set.rst,
 * cpu v1-v4: ALU and ALU64 with 32-bit results zero-extended, signed division and modulo, MOVSX, byte swaps, JMP and
 * JMP32, gotol, LD_IMM64, loads, sign-extending loads, stores and atomics of every size).
 *
 * <p>Memory is three regions with their own addresses: the context, the packet ({@code data} to {@code data_end})
 * and the 512-byte stack below r10. Any access that does not lie wholly inside one region, a read of a stack byte
 * or register never written, a write to the context or to a cgroup skb packet, an instruction outside the set, a
 * helper call, a jump outside the program and a run longer than {@link #MAX_STEPS} are {@link InterpreterFault}s:
 * the interpreter never substitutes a value where the kernel's verifier would have refused the program.
 */
public final class Interpreter {
    /** The kernel's bound on instructions the verifier walks; no program we can load runs longer. */
    public static final int MAX_STEPS = 1_000_000;
    public static final int STACK_SIZE = 512;

    // Region bases: far apart, so no in-bounds pointer arithmetic can move from one region into another.
    static final long CTX_BASE = 0x1000_0000_0000L, PKT_BASE = 0x2000_0000_0000L, STACK_BASE = 0x3000_0000_0000L;
    static final long FP = STACK_BASE + STACK_SIZE;
    /** Read-only data region i (a .rodata* section, a map value in the kernel) starts at RO_BASE + (i << 32). */
    static final long RO_BASE = 0x4000_0000_0000L;
    /** Bytes of the context structure: struct xdp_md and struct __sk_buff (uapi/linux/bpf.h). */
    static final int XDP_MD_SIZE = 24, SK_BUFF_SIZE = 192;

    /** Called before each instruction with the registers as they are (read-only use). */
    public interface Tracer {
        void before(int slot, Insn insn, long[] regs, int initialised);
    }

    /** r0 at exit and the number of instructions executed. */
    public record Result(long r0, int steps) {
        /** The return value as BPF_PROG_TEST_RUN reports it (the low 32 bits). */
        public int retval() { return (int) r0; }
    }

    private final Program p;
    private final Context ctx;
    private final byte[] pkt;
    private final long dataEnd;
    private final byte[] stack = new byte[STACK_SIZE];
    private final boolean[] stackInit = new boolean[STACK_SIZE];
    private final long[] r = new long[11];
    private int init;
    private final Tracer tracer;

    private Interpreter(Program p, Context ctx, Tracer tracer) {
        if (ctx.hook() != p.hook()) {
            throw new IllegalArgumentException("a " + ctx.hook().section() + " context for a " + p.hook().section() + " program");
        }
        this.p = p;
        this.ctx = ctx;
        this.pkt = ctx.packetUnsafe();
        this.dataEnd = PKT_BASE + pkt.length;
        this.tracer = tracer;
    }

    /** Runs {@code p} as BPF_PROG_TEST_RUN would on {@code dataIn} (an Ethernet frame of at least 14 bytes). */
    public static Result testRun(Program p, byte[] dataIn) {
        return run(p, Context.testRun(p.hook(), dataIn), null);
    }

    public static Result run(Program p, Context ctx, Tracer tracer) {
        return new Interpreter(p, ctx, tracer).exec();
    }

    private Result exec() {
        r[1] = CTX_BASE;
        r[10] = FP;
        init = (1 << 1) | (1 << 10);
        final int[] opcode = p.opcode, dst = p.dst, src = p.src, off = p.off;
        final long[] imm = p.imm;
        final int n = opcode.length;
        int pc = 0;
        for (int steps = 1; ; steps++) {
            if (steps > MAX_STEPS) throw new InterpreterFault(pc, "more than " + MAX_STEPS + " instructions executed");
            if (tracer != null) tracer.before(pc, p.insnAt[pc], r.clone(), init);
            int op = opcode[pc], d = dst[pc], s = src[pc], o = off[pc];
            long k = imm[pc];
            if (op < 0) throw new InterpreterFault(pc, "jumped into the second half of an LD_IMM64 instruction");
            if (d > 10 || s > 10 && (op & 7) != Op.LD) throw new InterpreterFault(pc, "no register r" + Math.max(d, s));
            int next = pc + 1;
            switch (op & 7) {
                case Op.ALU64 -> alu64(pc, op, d, s, o, k);
                case Op.ALU -> alu32(pc, op, d, s, o, k);
                case Op.JMP, Op.JMP32 -> {
                    int cls = op & 7, code = op & 0xf0;
                    if (code == Op.EXIT) {
                        if (cls != Op.JMP || (op & Op.X) != 0 || d != 0 || s != 0 || o != 0 || k != 0) throw invalid(pc);
                        return new Result(read(pc, 0), steps);
                    }
                    if (code == Op.CALL) {
                        if (cls != Op.JMP) throw invalid(pc);
                        throw new InterpreterFault(pc, s == 0 ? "helper call " + k + " is not supported by the interpreter"
                                : "calls to other functions (pseudo call " + s + ") are not supported by the interpreter");
                    }
                    if (code == Op.JA) {
                        if ((op & Op.X) != 0 || d != 0 || s != 0) throw invalid(pc);
                        if (cls == Op.JMP32) {
                            if (o != 0) throw invalid(pc);
                            next = target(pc, (int) k);
                        } else {
                            if (k != 0) throw invalid(pc);
                            next = target(pc, o);
                        }
                    } else if (cond(pc, op, d, s, k)) {
                        next = target(pc, o);
                    }
                }
                case Op.LD -> {
                    if (op != Op.LD_IMM64) {
                        throw new InterpreterFault(pc, (op & 0xe0) == Op.ABS || (op & 0xe0) == Op.IND
                                ? "legacy packet loads (LD_ABS/LD_IND) are not supported by the interpreter" : "invalid instruction");
                    }
                    if (s != 0) throw new InterpreterFault(pc, "LD_IMM64 with pseudo source " + s + " (a map or BTF reference) is not supported");
                    if (o != 0) throw invalid(pc);
                    ReadOnlyData.Ref ref = p.data.at(pc);
                    write(pc, d, ref != null ? RO_BASE + ((long) ref.region() << 32) + ref.offset() : k);
                    next = pc + 2;
                }
                case Op.LDX -> {
                    int mode = op & 0xe0, size = Op.bytes(op & 0x18);
                    if (mode != Op.MEM && !(mode == Op.MEMSX && size != 8) || k != 0) throw invalid(pc);
                    long v = load(pc, read(pc, s) + o, size);
                    if (mode == Op.MEMSX) v = size == 1 ? (byte) v : size == 2 ? (short) v : (int) v;
                    write(pc, d, v);
                }
                case Op.ST -> {
                    if ((op & 0xe0) != Op.MEM || s != 0) throw invalid(pc);
                    store(pc, read(pc, d) + o, Op.bytes(op & 0x18), k);
                }
                case Op.STX -> {
                    int mode = op & 0xe0, size = Op.bytes(op & 0x18);
                    if (mode == Op.MEM) {
                        if (k != 0) throw invalid(pc);
                        store(pc, read(pc, d) + o, size, read(pc, s));
                    } else if (mode == Op.ATOMIC && (size == 4 || size == 8)) {
                        atomic(pc, read(pc, d) + o, size, s, (int) k);
                    } else {
                        throw invalid(pc);
                    }
                }
                default -> throw invalid(pc);
            }
            pc = next;
            if (pc >= n) throw new InterpreterFault(pc - 1, "execution ran past the last instruction");
        }
    }

    // ---- ALU ----

    private void alu64(int pc, int op, int d, int s, int o, long k) {
        int code = op & 0xf0;
        boolean x = (op & Op.X) != 0;
        if (code == Op.END) {
            if (x || s != 0 || o != 0) throw invalid(pc);
            write(pc, d, swap(pc, read(pc, d), (int) k));
            return;
        }
        if (x ? k != 0 : s != 0) throw invalid(pc);
        if (code == Op.NEG) {
            if (x || k != 0 || o != 0) throw invalid(pc);
            write(pc, d, -read(pc, d));
            return;
        }
        long b = x ? read(pc, s) : k;
        if (code == Op.MOV) {
            switch (o) {
                case 0 -> write(pc, d, b);
                case 8 -> write(pc, d, x ? (byte) b : bad(pc));
                case 16 -> write(pc, d, x ? (short) b : bad(pc));
                case 32 -> write(pc, d, x ? (int) b : bad(pc));
                default -> throw invalid(pc);
            }
            return;
        }
        boolean signed = checkDivOffset(pc, code, o);
        long a = read(pc, d), v;
        switch (code) {
            case Op.ADD -> v = a + b;
            case Op.SUB -> v = a - b;
            case Op.MUL -> v = a * b;
            case Op.DIV -> v = b == 0 ? 0 : signed ? a / b : Long.divideUnsigned(a, b);
            case Op.MOD -> v = b == 0 ? a : signed ? a % b : Long.remainderUnsigned(a, b);
            case Op.OR -> v = a | b;
            case Op.AND -> v = a & b;
            case Op.XOR -> v = a ^ b;
            case Op.LSH -> v = a << (b & 63);
            case Op.RSH -> v = a >>> (b & 63);
            case Op.ARSH -> v = a >> (b & 63);
            default -> throw invalid(pc);
        }
        write(pc, d, v);
    }

    private void alu32(int pc, int op, int d, int s, int o, long k) {
        int code = op & 0xf0;
        boolean x = (op & Op.X) != 0;
        if (code == Op.END) {
            // The source bit picks the target byte order: K = to little endian (a truncation here), X = to big endian.
            if (s != 0 || o != 0) throw invalid(pc);
            long v = read(pc, d);
            int bits = (int) k;
            if (bits != 16 && bits != 32 && bits != 64) throw invalid(pc);
            write(pc, d, x ? swap(pc, v, bits) : bits == 64 ? v : v & ((1L << bits) - 1));
            return;
        }
        if (x ? k != 0 : s != 0) throw invalid(pc);
        if (code == Op.NEG) {
            if (x || k != 0 || o != 0) throw invalid(pc);
            write(pc, d, zext(-(int) read(pc, d)));
            return;
        }
        int b = x ? (int) read(pc, s) : (int) k;
        if (code == Op.MOV) {
            switch (o) {
                case 0 -> write(pc, d, zext(b));
                case 8 -> write(pc, d, x ? zext((byte) b) : bad(pc));
                case 16 -> write(pc, d, x ? zext((short) b) : bad(pc));
                default -> throw invalid(pc);
            }
            return;
        }
        boolean signed = checkDivOffset(pc, code, o);
        int a = (int) read(pc, d), v;
        switch (code) {
            case Op.ADD -> v = a + b;
            case Op.SUB -> v = a - b;
            case Op.MUL -> v = a * b;
            case Op.DIV -> v = b == 0 ? 0 : signed ? a / b : Integer.divideUnsigned(a, b);
            case Op.MOD -> v = b == 0 ? a : signed ? a % b : Integer.remainderUnsigned(a, b);
            case Op.OR -> v = a | b;
            case Op.AND -> v = a & b;
            case Op.XOR -> v = a ^ b;
            case Op.LSH -> v = a << (b & 31);
            case Op.RSH -> v = a >>> (b & 31);
            case Op.ARSH -> v = a >> (b & 31);
            default -> throw invalid(pc);
        }
        write(pc, d, zext(v));
    }

    /** DIV and MOD take offset 1 for the signed forms (cpu v4); every other ALU operation needs offset 0. */
    private boolean checkDivOffset(int pc, int code, int o) {
        if ((code == Op.DIV || code == Op.MOD) && (o == 0 || o == 1)) return o == 1;
        if (o != 0) throw invalid(pc);
        return false;
    }

    private long swap(int pc, long v, int bits) {
        return switch (bits) {
            case 16 -> Short.reverseBytes((short) v) & 0xffffL;
            case 32 -> zext(Integer.reverseBytes((int) v));
            case 64 -> Long.reverseBytes(v);
            default -> throw invalid(pc);
        };
    }

    private static long zext(int v) { return v & 0xffff_ffffL; }

    private long bad(int pc) { throw invalid(pc); }

    // ---- jumps ----

    private boolean cond(int pc, int op, int d, int s, long k) {
        boolean x = (op & Op.X) != 0;
        if (x ? k != 0 : s != 0) throw invalid(pc);
        long a = read(pc, d), b = x ? read(pc, s) : k;
        if ((op & 7) == Op.JMP32) {
            a = (int) a;
            b = (int) b;
            // Unsigned 32-bit compares on the zero-extended low halves.
            if (isUnsigned(op & 0xf0)) {
                a &= 0xffff_ffffL;
                b &= 0xffff_ffffL;
            }
        }
        return switch (op & 0xf0) {
            case Op.JEQ -> a == b;
            case Op.JNE -> a != b;
            case Op.JGT -> Long.compareUnsigned(a, b) > 0;
            case Op.JGE -> Long.compareUnsigned(a, b) >= 0;
            case Op.JLT -> Long.compareUnsigned(a, b) < 0;
            case Op.JLE -> Long.compareUnsigned(a, b) <= 0;
            case Op.JSET -> (a & b) != 0;
            case Op.JSGT -> a > b;
            case Op.JSGE -> a >= b;
            case Op.JSLT -> a < b;
            case Op.JSLE -> a <= b;
            default -> throw invalid(pc);
        };
    }

    private static boolean isUnsigned(int code) {
        return code == Op.JGT || code == Op.JGE || code == Op.JLT || code == Op.JLE;
    }

    private int target(int pc, int offset) {
        long t = (long) pc + 1 + offset;
        if (t < 0 || t >= p.opcode.length) throw new InterpreterFault(pc, "jump to " + t + ", outside the program (0.." + (p.opcode.length - 1) + ")");
        return (int) t;
    }

    // ---- registers ----

    private long read(int pc, int reg) {
        if ((init & (1 << reg)) == 0) throw new InterpreterFault(pc, "r" + reg + " is read before it is written");
        return r[reg];
    }

    private void write(int pc, int reg, long v) {
        if (reg == 10) throw new InterpreterFault(pc, "r10 (the frame pointer) is read-only");
        r[reg] = v;
        init |= 1 << reg;
    }

    // ---- memory ----

    private long load(int pc, long addr, int size) {
        if (addr >= PKT_BASE && addr < dataEnd && addr + size <= dataEnd) {
            return le(pkt, (int) (addr - PKT_BASE), size);
        }
        if (addr >= FP - STACK_SIZE && addr + size <= FP && addr < FP) {
            int at = (int) (addr - (FP - STACK_SIZE));
            for (int i = 0; i < size; i++) {
                if (!stackInit[at + i]) {
                    throw new InterpreterFault(pc, "read of uninitialised stack at r10" + (addr + i - FP));
                }
            }
            return le(stack, at, size);
        }
        int ctxSize = p.hook().skb() ? SK_BUFF_SIZE : XDP_MD_SIZE;
        if (addr >= CTX_BASE && addr + size <= CTX_BASE + ctxSize && addr < CTX_BASE + ctxSize) {
            return ctxLoad(pc, (int) (addr - CTX_BASE), size);
        }
        if (addr >= RO_BASE) {
            long region = (addr - RO_BASE) >>> 32, at = (addr - RO_BASE) & 0xffff_ffffL;
            if (region < p.data.regions().size()) {
                byte[] bytes = p.data.regions().get((int) region).bytes();
                if (at + size <= bytes.length) return le(bytes, (int) at, size);
                throw new InterpreterFault(pc, size + "-byte read at offset " + at + " of read-only data '"
                        + p.data.regions().get((int) region).section() + "' (" + bytes.length + " bytes) is out of bounds");
            }
        }
        throw new InterpreterFault(pc, size + "-byte read at " + describe(addr) + " is outside the context, the packet and the stack");
    }

    private void store(int pc, long addr, int size, long v) {
        if (addr >= PKT_BASE && addr + size <= dataEnd && addr < dataEnd) {
            if (!p.hook().seesEthernet()) throw new InterpreterFault(pc, "cgroup skb programs may not write to the packet");
            setLe(pkt, (int) (addr - PKT_BASE), size, v);
            return;
        }
        if (addr >= FP - STACK_SIZE && addr + size <= FP && addr < FP) {
            int at = (int) (addr - (FP - STACK_SIZE));
            setLe(stack, at, size, v);
            for (int i = 0; i < size; i++) stackInit[at + i] = true;
            return;
        }
        int ctxSize = p.hook().skb() ? SK_BUFF_SIZE : XDP_MD_SIZE;
        if (addr >= CTX_BASE && addr < CTX_BASE + ctxSize) {
            throw new InterpreterFault(pc, "writes to the context (offset " + (addr - CTX_BASE) + ") are not supported by the interpreter");
        }
        if (addr >= RO_BASE && ((addr - RO_BASE) >>> 32) < p.data.regions().size()) {
            throw new InterpreterFault(pc, "write to read-only data '" + p.data.regions().get((int) ((addr - RO_BASE) >>> 32)).section() + "'");
        }
        throw new InterpreterFault(pc, size + "-byte write at " + describe(addr) + " is outside the packet and the stack");
    }

    private void atomic(int pc, long addr, int size, int s, int aop) {
        if (!(addr >= FP - STACK_SIZE && addr + size <= FP && addr < FP)) {
            throw new InterpreterFault(pc, "atomic operation at " + describe(addr) + ": the interpreter supports atomics on the stack only");
        }
        long old = load(pc, addr, size);
        long mask = size == 8 ? -1L : 0xffff_ffffL;
        long val = read(pc, s) & mask;
        switch (aop) {
            case Op.XCHG -> {
                store(pc, addr, size, val);
                write(pc, s, old);
            }
            case Op.CMPXCHG -> {
                if ((read(pc, 0) & mask) == old) store(pc, addr, size, val);
                write(pc, 0, old);
            }
            default -> {
                long v = switch (aop & ~Op.FETCH) {
                    case Op.ADD -> old + val;
                    case Op.OR -> old | val;
                    case Op.AND -> old & val;
                    case Op.XOR -> old ^ val;
                    default -> throw invalid(pc);
                };
                if ((aop & ~(Op.FETCH | 0xf0)) != 0) throw invalid(pc);
                store(pc, addr, size, v);
                if ((aop & Op.FETCH) != 0) write(pc, s, old);
            }
        }
    }

    /**
     * A context read. Pointer fields (data, data_end, data_meta) must be read whole (4 bytes) and give 64-bit
     * pointers, as the kernel's context rewriting does; other fields may be read narrowly.
     */
    private long ctxLoad(int pc, int offset, int size) {
        int field = offset & ~3;
        if (p.hook() == Hook.XDP) {
            if (size != 4 || offset != field) {
                throw new InterpreterFault(pc, "xdp_md fields are read as whole 4-byte words, not " + size + " bytes at offset " + offset);
            }
            return switch (offset) {
                case 0 -> PKT_BASE;
                case 4 -> dataEnd;
                case 8 -> PKT_BASE; // data_meta: no metadata in a test run
                case 12 -> ctx.ifindex(); // ingress_ifindex
                case 16 -> 0; // rx_queue_index
                default -> throw new InterpreterFault(pc, "xdp_md field at offset " + offset + " is not modelled by the interpreter");
            };
        }
        switch (field) {
            case 76, 80, 140 -> {
                if (size != 4 || offset != field) {
                    throw new InterpreterFault(pc, "__sk_buff packet pointers are read as whole 4-byte words");
                }
                if (field == 140 && !p.hook().seesEthernet()) {
                    throw new InterpreterFault(pc, "cgroup skb programs cannot read __sk_buff data_meta");
                }
                return field == 80 ? dataEnd : PKT_BASE;
            }
            default -> { }
        }
        long word;
        switch (field) {
            case 0 -> word = ctx.len();
            case 16 -> word = ctx.protocol();
            case 8, 12, 32, 44, 48, 52, 56, 60, 64 -> word = 0; // mark, queue_mapping, priority, tc_index, cb[5]
            case 40 -> word = ctx.ifindex();
            default -> throw new InterpreterFault(pc, "__sk_buff field at offset " + offset + " is not modelled by the interpreter");
        }
        int shift = (offset - field) * 8;
        if (offset - field + size > 4) throw new InterpreterFault(pc, size + "-byte read at __sk_buff offset " + offset + " crosses a field");
        return size == 8 ? word : (word >>> shift) & ((1L << (size * 8)) - 1);
    }

    private static long le(byte[] b, int at, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = (v << 8) | (b[at + i] & 0xff);
        return v;
    }

    private static void setLe(byte[] b, int at, int size, long v) {
        for (int i = 0; i < size; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    private String describe(long addr) {
        if (addr >= PKT_BASE - (1L << 32) && addr < PKT_BASE + (1L << 32)) {
            return "packet offset " + (addr - PKT_BASE) + " (the packet has " + pkt.length + " bytes)";
        }
        if (addr >= FP - (1L << 32) && addr < FP + (1L << 32)) return "stack r10" + (addr - FP < 0 ? "" : "+") + (addr - FP);
        if (addr >= CTX_BASE - (1L << 32) && addr < CTX_BASE + (1L << 32)) return "context offset " + (addr - CTX_BASE);
        return String.format("address 0x%x", addr);
    }

    private InterpreterFault invalid(int pc) {
        return new InterpreterFault(pc, "invalid instruction: " + Disassembler.format(p.insnAt[pc]));
    }
}
