package io.portcullis.bpf.asm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CodecTest {
    @Test void decodesFieldsAndHelpers() {
        // if r2 > r3 goto +5  (JMP | X | JGT, dst 2, src 3)
        Insn i = Decoder.decode(HexFormat.of().parseHex("2d32050000000000")).get(0);
        assertEquals(new Insn(0x2d, 2, 3, (short) 5, 0), i);
        assertEquals(Op.JMP, i.cls());
        assertEquals(Op.JGT, i.op());
        assertTrue(i.usesSrcReg());
        assertTrue(i.isJump());
        Insn l = Asm.ldxh(2, 1, 12);
        assertEquals(Op.LDX, l.cls());
        assertEquals(Op.H, l.size());
        assertEquals(Op.MEM, l.mode());
        assertEquals(2, l.sizeBytes());
    }

    @Test void wideLoadIsOneInsnOfWidthTwo() {
        List<Insn> insns = Decoder.decode(Asm.program(Asm.ldImm64(1, 0x1122334455667788L), Asm.exit()));
        assertEquals(2, insns.size());
        assertEquals(2, insns.get(0).width());
        assertEquals(0x1122334455667788L, insns.get(0).imm());
        assertEquals(3, Encoder.slots(insns));
        assertEquals(Op.LD_IMM64, insns.get(0).opcode());
    }

    @Test void encodesKnownBytes() {
        assertArrayEquals(HexFormat.of().parseHex("b700000002000000" + "9500000000000000"),
                Asm.program(Asm.mov64Imm(0, 2), Asm.exit()));
        assertArrayEquals(HexFormat.of().parseHex("6112040000000000"), Asm.program(Asm.ldxw(2, 1, 4)));
        assertArrayEquals(HexFormat.of().parseHex("7b1af8ff00000000"), Asm.program(Asm.stxdw(10, -8, 1)));
        assertArrayEquals(HexFormat.of().parseHex("1801000078563412" + "0000000001000000"), Asm.program(Asm.ldImm64(1, 0x112345678L)));
    }

    @Test void roundTripsRandomCode() {
        Random rnd = new Random(42);
        for (int n = 0; n < 200; n++) {
            byte[] code = new byte[8 * (1 + rnd.nextInt(20))];
            rnd.nextBytes(code);
            for (int s = 0; s < code.length / 8; s++) {
                if ((code[s * 8] & 0xff) == Op.LD_IMM64) code[s * 8] = 0; // wide loads handled below
            }
            assertArrayEquals(code, Encoder.encode(Decoder.decode(code)));
        }
        byte[] wide = Asm.program(Asm.ldImm64(3, -2L), Asm.ldImm64(4, Long.MIN_VALUE), Asm.exit());
        assertArrayEquals(wide, Encoder.encode(Decoder.decode(wide)));
    }

    @Test void strictAboutTrailingBytes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Decoder.decode(new byte[12]));
        assertTrue(e.getMessage().contains("4 trailing bytes"), e.getMessage());
    }

    @Test void strictAboutTruncatedWideLoad() {
        byte[] code = Asm.program(Asm.exit(), Asm.ldImm64(1, 5));
        byte[] cut = java.util.Arrays.copyOf(code, 16);
        var e = assertThrows(IllegalArgumentException.class, () -> Decoder.decode(cut));
        assertTrue(e.getMessage().contains("truncated LD_IMM64 at slot 1"), e.getMessage());
    }

    @Test void strictAboutWideLoadSecondSlot() {
        byte[] code = Asm.program(Asm.ldImm64(1, 5));
        code[8] = (byte) 0x95;
        assertThrows(IllegalArgumentException.class, () -> Decoder.decode(code));
    }

    @Test void rejectsOutOfRangeFields() {
        assertThrows(IllegalArgumentException.class, () -> Asm.mov64Imm(11, 0));
        assertThrows(IllegalArgumentException.class, () -> Asm.ja(40000));
        assertThrows(IllegalArgumentException.class, () -> new Insn(0xb7, 0, 0, 0, 1L << 40));
        assertThrows(IllegalArgumentException.class, () -> Asm.be(1, 8));
    }
}
