package io.portcullis.bpf.asm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Encodes instructions as little-endian BPF bytecode; {@code encode(Decoder.decode(b))} gives back {@code b}. */
public final class Encoder {
    private Encoder() {}

    public static byte[] encode(List<Insn> insns) {
        int slots = slots(insns);
        ByteBuffer b = ByteBuffer.allocate(slots * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn i : insns) {
            b.put((byte) i.opcode()).put((byte) ((i.src() << 4) | i.dst())).putShort(i.off()).putInt((int) i.imm());
            if (i.width() == 2) b.putLong(0).putInt(b.position() - 4, (int) (i.imm() >>> 32));
        }
        return b.array();
    }

    /** Number of 8-byte slots the instructions occupy. */
    public static int slots(List<Insn> insns) {
        int n = 0;
        for (Insn i : insns) n += i.width();
        return n;
    }
}
