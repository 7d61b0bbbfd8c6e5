package io.portcullis.bpf.asm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Encodings written out by hand from the instruction-set spec, independent of {@link Asm} and {@link Encoder}. */
class DisassemblerTest {
    static byte[] hex(String s) { return HexFormat.of().parseHex(s.replace(" ", "")); }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = " => ", value = {
        // ALU64 / ALU
        "b7 00 0000 02000000 => r0 = 2",
        "b4 00 0000 ffffffff => w0 = -1",
        "bf 21 0000 00000000 => r1 = r2",
        "bf 21 0800 00000000 => r1 = (s8)r2",
        "07 01 0000 0e000000 => r1 += 14",
        "0f 21 0000 00000000 => r1 += r2",
        "1c 21 0000 00000000 => w1 -= w2",
        "27 01 0000 03000000 => r1 *= 3",
        "3f 21 0000 00000000 => r1 /= r2",
        "3f 21 0100 00000000 => r1 s/= r2",
        "9c 21 0000 00000000 => w1 %= w2",
        "97 01 0100 07000000 => r1 s%= 7",
        "47 01 0000 01000000 => r1 |= 1",
        "57 01 0000 ff000000 => r1 &= 255",
        "67 01 0000 20000000 => r1 <<= 32",
        "77 01 0000 20000000 => r1 >>= 32",
        "c7 01 0000 03000000 => r1 s>>= 3",
        "af 21 0000 00000000 => r1 ^= r2",
        "87 01 0000 00000000 => r1 = -r1",
        "84 01 0000 00000000 => w1 = -w1",
        "dc 01 0000 10000000 => r1 = be16 r1",
        "dc 01 0000 20000000 => r1 = be32 r1",
        "d4 01 0000 40000000 => r1 = le64 r1",
        "d7 01 0000 20000000 => r1 = bswap32 r1",
        // JMP / JMP32
        "05 00 feff 00000000 => goto -2",
        "06 00 0000 10000000 => gotol +16",
        "2d 32 0500 00000000 => if r2 > r3 goto +5",
        "15 01 0300 05000000 => if r1 == 0x5 goto +3",
        "55 01 0100 ffffffff => if r1 != -0x1 goto +1",
        "a5 01 0100 07000000 => if r1 < 0x7 goto +1",
        "6d 21 0200 00000000 => if r1 s> r2 goto +2",
        "4d 21 0200 00000000 => if r1 & r2 goto +2",
        "16 01 0300 05000000 => if w1 == 0x5 goto +3",
        "de 21 0000 00000000 => if w1 s<= w2 goto +0",
        "85 00 0000 01000000 => call 1",
        "85 10 0000 03000000 => call pc+3",
        "95 00 0000 00000000 => exit",
        // LDX / ST / STX
        "61 12 0400 00000000 => r2 = *(u32 *)(r1 +4)",
        "69 12 0c00 00000000 => r2 = *(u16 *)(r1 +12)",
        "71 12 0000 00000000 => r2 = *(u8 *)(r1 +0)",
        "79 a1 f8ff 00000000 => r1 = *(u64 *)(r10 -8)",
        "91 21 0000 00000000 => r1 = *(s8 *)(r2 +0)",
        "62 0a f8ff 05000000 => *(u32 *)(r10 -8) = 5",
        "7a 0a 0000 00000000 => *(u64 *)(r10 +0) = 0",
        "7b 1a f8ff 00000000 => *(u64 *)(r10 -8) = r1",
        "db 1a f8ff 00000000 => lock *(u64 *)(r10 -8) += r1",
        "c3 1a fcff 40000000 => lock *(u32 *)(r10 -4) |= w1",
        "db 1a f8ff 01000000 => r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)",
        "db 1a f8ff e1000000 => r1 = atomic64_xchg((u64 *)(r10 -8), r1)",
        "db 1a f8ff f1000000 => r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)",
        // Legacy packet loads
        "28 00 0000 0c000000 => r0 = *(u16 *)skb[12]",
        "50 20 0000 02000000 => r0 = *(u8 *)skb[r2 + 2]",
        // Not instructions
        "8f 21 0000 00000000 => .insn 0x8f dst=1 src=2 off=0 imm=0",
        "e5 00 0000 00000000 => .insn 0xe5 dst=0 src=0 off=0 imm=0",
        "96 00 0000 00000000 => .insn 0x96 dst=0 src=0 off=0 imm=0",
        "dc 01 0000 08000000 => .insn 0xdc dst=1 src=0 off=0 imm=8",
        "ff 00 0000 00000000 => .insn 0xff dst=0 src=0 off=0 imm=0",
    })
    void formatsOneInstruction(String encoding, String expected) {
        assertEquals("0000: " + expected + "\n", Disassembler.listing(hex(encoding)));
    }

    @Test void wideLoadTakesTwoSlots() {
        byte[] code = hex("18 01 0000 78563412 00 00 0000 01000000" + "b7 00 0000 02000000" + "95 00 0000 00000000");
        assertEquals("""
                0000: r1 = 0x112345678 ll
                0002: r0 = 2
                0003: exit
                """, Disassembler.listing(code));
    }

    @Test void mapFdLoad() {
        assertEquals("0000: r1 = map[fd:5]\n", Disassembler.listing(hex("18 11 0000 05000000 00 00 0000 00000000")));
    }

    @Test void malformedInputStillLists() {
        assertEquals("0000: exit\n0001: ; 3 trailing bytes\n", Disassembler.listing(hex("95 00 0000 00000000 010203")));
        assertEquals("0000: .insn 0x18 dst=1 src=0 off=0 imm=7 ; truncated: the second slot of ld_imm64 is missing\n",
                Disassembler.listing(hex("18 01 0000 07000000")));
    }

    @Test void listingOfDecodedInstructionsMatchesListingOfBytes() {
        byte[] code = Asm.program(Asm.ldImm64(2, -1L), Asm.ldxw(3, 1, 4), Asm.jmpReg(Op.JGT, 2, 3, 1), Asm.mov64Imm(0, 1), Asm.exit());
        assertEquals(Disassembler.listing(code), Disassembler.listing(Decoder.decode(code)));
        assertEquals("0000: r2 = 0xffffffffffffffff ll", Disassembler.listing(code).lines().findFirst().orElseThrow());
    }
}
