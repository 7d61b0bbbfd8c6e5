package io.portcullis.bpf.asm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A stable, human-readable listing of BPF instructions. (Owner: bpf tooling.)
 *
 * <p>The syntax follows the kernel verifier log / bpftool ({@code r2 = *(u32 *)(r1 +4)}, {@code if r2 > r3 goto +5},
 * {@code w0 = 1}, {@code r1 = be16 r1}), except that jump targets are written as a signed slot offset only. Opcodes
 * outside the instruction set print as {@code .insn} with their raw fields instead of failing, so a listing can always
 * be produced for a bug report.
 */
public final class Disassembler {
    private Disassembler() {}

    /** One instruction per line, e.g. {@code 0012: r2 = *(u32 *)(r1 +4)}; wide loads take two slots. */
    public static String listing(byte[] program) {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int slots = program.length / 8;
        for (int slot = 0; slot < slots; slot++) {
            int o = slot * 8;
            int opcode = Byte.toUnsignedInt(b.get(o));
            int regs = Byte.toUnsignedInt(b.get(o + 1));
            short off = b.getShort(o + 2);
            long imm = b.getInt(o + 4);
            String text;
            if (opcode == Op.LD_IMM64) {
                if (slot + 1 < slots) {
                    imm = Integer.toUnsignedLong((int) imm) | ((long) b.getInt(o + 12) << 32);
                    text = format(new Insn(opcode, regs & 0xf, regs >>> 4, off, imm));
                    line(sb, slot, text);
                    slot++;
                    continue;
                }
                text = raw(opcode, regs & 0xf, regs >>> 4, off, imm) + " ; truncated: the second slot of ld_imm64 is missing";
            } else {
                text = format(new Insn(opcode, regs & 0xf, regs >>> 4, off, imm));
            }
            line(sb, slot, text);
        }
        if (program.length % 8 != 0) {
            line(sb, slots, "; " + program.length % 8 + " trailing bytes");
        }
        return sb.toString();
    }

    /** The listing of decoded instructions. */
    public static String listing(List<Insn> insns) {
        StringBuilder sb = new StringBuilder();
        int slot = 0;
        for (Insn i : insns) {
            line(sb, slot, format(i));
            slot += i.width();
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, int slot, String text) {
        sb.append(String.format("%04d: ", slot)).append(text).append('\n');
    }

    /** One instruction in listing syntax, without the slot index. */
    public static String format(Insn i) {
        String s = switch (i.cls()) {
            case Op.ALU, Op.ALU64 -> alu(i);
            case Op.JMP, Op.JMP32 -> jump(i);
            case Op.LD -> ld(i);
            case Op.LDX -> ldx(i);
            case Op.ST -> st(i);
            case Op.STX -> stx(i);
            default -> null;
        };
        return s != null ? s : raw(i.opcode(), i.dst(), i.src(), i.off(), i.imm());
    }

    private static String raw(int opcode, int dst, int src, short off, long imm) {
        return String.format(".insn 0x%02x dst=%d src=%d off=%d imm=%d", opcode, dst, src, off, imm);
    }

    private static String alu(Insn i) {
        boolean wide = i.cls() == Op.ALU64;
        String p = wide ? "r" : "w";
        String dst = p + i.dst();
        String operand = i.usesSrcReg() ? p + i.src() : Integer.toString(i.imm32());
        switch (i.op()) {
            case Op.NEG:
                return i.usesSrcReg() || i.off() != 0 ? null : dst + " = -" + dst;
            case Op.END: {
                int bits = i.imm32();
                if (bits != 16 && bits != 32 && bits != 64) return null;
                if (wide) return i.usesSrcReg() ? null : "r" + i.dst() + " = bswap" + bits + " r" + i.dst();
                return "r" + i.dst() + " = " + (i.usesSrcReg() ? "be" : "le") + bits + " r" + i.dst();
            }
            case Op.MOV:
                if (i.off() == 0) return dst + " = " + operand;
                // MOVSX (cpu v4): sign-extend the low off bits of the source register.
                if (!i.usesSrcReg() || !(i.off() == 8 || i.off() == 16 || i.off() == 32 && wide)) return null;
                return dst + " = (s" + i.off() + ")" + p + i.src();
            case Op.DIV:
            case Op.MOD: {
                if (i.off() != 0 && i.off() != 1) return null;
                String sign = i.off() == 1 ? "s" : "";
                return dst + " " + sign + (i.op() == Op.DIV ? "/=" : "%=") + " " + operand;
            }
            default: {
                String sym = switch (i.op()) {
                    case Op.ADD -> "+=";
                    case Op.SUB -> "-=";
                    case Op.MUL -> "*=";
                    case Op.OR -> "|=";
                    case Op.AND -> "&=";
                    case Op.LSH -> "<<=";
                    case Op.RSH -> ">>=";
                    case Op.XOR -> "^=";
                    case Op.ARSH -> "s>>=";
                    default -> null;
                };
                if (sym == null || i.off() != 0) return null;
                return dst + " " + sym + " " + operand;
            }
        }
    }

    private static String jump(Insn i) {
        boolean j32 = i.cls() == Op.JMP32;
        switch (i.op()) {
            case Op.JA:
                if (i.usesSrcReg()) return null;
                // JMP32 | JA is "gotol": the 32-bit offset lives in imm (cpu v4).
                return j32 ? "gotol " + signed(i.imm32()) : "goto " + signed(i.off());
            case Op.CALL:
                if (j32 || i.usesSrcReg()) return null;
                return switch (i.src()) {
                    case 0 -> "call " + i.imm32();
                    case Op.PSEUDO_CALL -> "call pc" + signed(i.imm32());
                    case Op.PSEUDO_KFUNC_CALL -> "call kfunc " + i.imm32();
                    default -> null;
                };
            case Op.EXIT:
                return j32 || i.usesSrcReg() ? null : "exit";
            default: {
                String cmp = switch (i.op()) {
                    case Op.JEQ -> "==";
                    case Op.JGT -> ">";
                    case Op.JGE -> ">=";
                    case Op.JSET -> "&";
                    case Op.JNE -> "!=";
                    case Op.JSGT -> "s>";
                    case Op.JSGE -> "s>=";
                    case Op.JLT -> "<";
                    case Op.JLE -> "<=";
                    case Op.JSLT -> "s<";
                    case Op.JSLE -> "s<=";
                    default -> null;
                };
                if (cmp == null) return null;
                String p = j32 ? "w" : "r";
                String operand = i.usesSrcReg() ? p + i.src() : hex(i.imm32());
                return "if " + p + i.dst() + " " + cmp + " " + operand + " goto " + signed(i.off());
            }
        }
    }

    private static String ld(Insn i) {
        if (i.opcode() == Op.LD_IMM64) {
            String dst = "r" + i.dst();
            return switch (i.src()) {
                case 0 -> dst + " = " + String.format("0x%x", i.imm()) + " ll";
                case Op.PSEUDO_MAP_FD -> dst + " = map[fd:" + i.imm32() + "]";
                case Op.PSEUDO_MAP_VALUE -> dst + " = map_value[fd:" + i.imm32() + "]+" + (int) (i.imm() >>> 32);
                default -> dst + " = " + String.format("0x%x", i.imm()) + " ll ; pseudo " + i.src();
            };
        }
        if (i.size() == Op.DW) return null;
        // Legacy packet access (cBPF heritage): r0 = *(size *)skb[imm] or skb[src + imm].
        if (i.mode() == Op.ABS) return "r0 = *(" + type(i, "u") + " *)skb[" + i.imm32() + "]";
        if (i.mode() == Op.IND) return "r0 = *(" + type(i, "u") + " *)skb[r" + i.src() + " + " + i.imm32() + "]";
        return null;
    }

    private static String ldx(Insn i) {
        if (i.mode() == Op.MEM) return "r" + i.dst() + " = *(" + type(i, "u") + " *)" + mem(i.src(), i.off());
        if (i.mode() == Op.MEMSX && i.size() != Op.DW) return "r" + i.dst() + " = *(" + type(i, "s") + " *)" + mem(i.src(), i.off());
        return null;
    }

    private static String st(Insn i) {
        if (i.mode() != Op.MEM) return null;
        return "*(" + type(i, "u") + " *)" + mem(i.dst(), i.off()) + " = " + i.imm32();
    }

    private static String stx(Insn i) {
        if (i.mode() == Op.MEM) return "*(" + type(i, "u") + " *)" + mem(i.dst(), i.off()) + " = r" + i.src();
        if (i.mode() != Op.ATOMIC || (i.size() != Op.W && i.size() != Op.DW)) return null;
        String t = type(i, "u");
        String addr = "(" + t + " *)" + mem(i.dst(), i.off());
        String fn = i.size() == Op.DW ? "atomic64_" : "atomic_";
        String r = (i.size() == Op.DW ? "r" : "w") + i.src();
        int aop = i.imm32();
        if (aop == Op.XCHG) return r + " = " + fn + "xchg(" + addr + ", " + r + ")";
        if (aop == Op.CMPXCHG) {
            String r0 = i.size() == Op.DW ? "r0" : "w0";
            return r0 + " = " + fn + "cmpxchg(" + addr + ", " + r0 + ", " + r + ")";
        }
        String name = switch (aop & ~Op.FETCH) {
            case Op.ADD -> "add";
            case Op.AND -> "and";
            case Op.OR -> "or";
            case Op.XOR -> "xor";
            default -> null;
        };
        if (name == null || (aop & ~(0xf0 | Op.FETCH)) != 0) return null;
        if ((aop & Op.FETCH) != 0) return r + " = " + fn + "fetch_" + name + "(" + addr + ", " + r + ")";
        String sym = switch (name) {
            case "add" -> "+=";
            case "and" -> "&=";
            case "or" -> "|=";
            default -> "^=";
        };
        return "lock *" + addr + " " + sym + " " + r;
    }

    private static String type(Insn i, String sign) { return sign + (i.sizeBytes() * 8); }

    private static String mem(int reg, short off) { return "(r" + reg + " " + signed(off) + ")"; }

    private static String signed(int v) { return v < 0 ? Integer.toString(v) : "+" + v; }

    private static String hex(int v) { return v < 0 ? "-0x" + Long.toHexString(-(long) v) : "0x" + Integer.toHexString(v); }
}
