package io.portcullis.bpf.asm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Decodes little-endian BPF bytecode, strictly: any byte that does not belong to a whole instruction is an error. */
public final class Decoder {
    private Decoder() {}

    /**
     * @throws IllegalArgumentException on trailing bytes, a truncated LD_IMM64, or an LD_IMM64 second slot whose
     *                                  reserved fields are not zero
     */
    public static List<Insn> decode(byte[] code) {
        if (code.length % 8 != 0) {
            throw new IllegalArgumentException("BPF code is " + code.length + " bytes, not a whole number of 8-byte instructions ("
                    + code.length % 8 + " trailing bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        int slots = code.length / 8;
        List<Insn> out = new ArrayList<>(slots);
        for (int slot = 0; slot < slots; slot++) {
            int o = slot * 8;
            int opcode = Byte.toUnsignedInt(b.get(o));
            int regs = Byte.toUnsignedInt(b.get(o + 1));
            short off = b.getShort(o + 2);
            int imm = b.getInt(o + 4);
            if (opcode != Op.LD_IMM64) {
                out.add(new Insn(opcode, regs & 0xf, regs >>> 4, off, imm));
                continue;
            }
            if (slot + 1 >= slots) throw new IllegalArgumentException("truncated LD_IMM64 at slot " + slot + ": its second slot is missing");
            int o2 = o + 8;
            if (b.get(o2) != 0 || b.get(o2 + 1) != 0 || b.getShort(o2 + 2) != 0) {
                throw new IllegalArgumentException("malformed LD_IMM64 at slot " + slot + ": the second slot's opcode, registers and offset must be 0");
            }
            long wide = (Integer.toUnsignedLong(imm)) | ((long) b.getInt(o2 + 4) << 32);
            out.add(new Insn(opcode, regs & 0xf, regs >>> 4, off, wide));
            slot++;
        }
        return out;
    }
}
