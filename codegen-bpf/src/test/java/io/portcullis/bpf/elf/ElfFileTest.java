package io.portcullis.bpf.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Asm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElfFileTest {
    static final byte[] CODE = Asm.program(Asm.mov64Imm(0, 2), Asm.exit());

    static byte[] sample() {
        return new ElfWriter().program("xdp", "portcullis_xdp", CODE).license("GPL")
                .section(".data", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC | ElfFile.SHF_WRITE, new byte[] {1, 2, 3, 4}, 4)
                .symbol("counter", ".data", 0, 4, ElfFile.STT_OBJECT, ElfFile.STB_GLOBAL)
                .symbol("helper_local", "xdp", 8, 8, ElfFile.STT_NOTYPE, ElfFile.STB_LOCAL)
                .relocation("xdp", 0, "counter", 1)
                .build();
    }

    @Test void readsHeaderAndSectionsWrittenByElfWriter() {
        ElfFile f = ElfFile.parse(sample());
        assertEquals(ElfFile.ET_REL, f.type());
        assertEquals(ElfFile.EM_BPF, f.machine());
        assertEquals(List.of("xdp", "license", ".data", ".relxdp", ".symtab", ".strtab", ".shstrtab"), f.sectionNames());
        assertArrayEquals(CODE, f.section("xdp").orElseThrow());
        assertArrayEquals(new byte[] {'G', 'P', 'L', 0}, f.section("license").orElseThrow());
        assertTrue(f.section("maps").isEmpty());
        assertTrue(f.sectionHeader("xdp").orElseThrow().executable());
        assertTrue(!f.sectionHeader("license").orElseThrow().executable());
    }

    @Test void readsSymbolsWithLocalsFirst() {
        ElfFile f = ElfFile.parse(sample());
        List<ElfFile.Symbol> syms = f.symbols();
        assertEquals(5, syms.size());
        assertEquals("", syms.get(0).name());
        assertEquals("helper_local", syms.get(1).name());
        assertEquals(ElfFile.STB_LOCAL, syms.get(1).bind());
        ElfFile.Symbol prog = syms.stream().filter(s -> s.name().equals("portcullis_xdp")).findFirst().orElseThrow();
        assertEquals(ElfFile.STT_FUNC, prog.type());
        assertEquals(ElfFile.STB_GLOBAL, prog.bind());
        assertEquals(f.sectionHeader("xdp").orElseThrow().index(), prog.sectionIndex());
        assertEquals(16, prog.size());
        ElfFile.Symbol counter = syms.stream().filter(s -> s.name().equals("counter")).findFirst().orElseThrow();
        assertEquals(ElfFile.STT_OBJECT, counter.type());
        assertEquals(4, counter.size());
        assertEquals(List.of("helper_local", "portcullis_xdp"),
                f.symbolsIn(f.sectionHeader("xdp").orElseThrow()).stream().map(ElfFile.Symbol::name).sorted().toList());
    }

    @Test void readsRelocationsAgainstTheirSection() {
        ElfFile f = ElfFile.parse(sample());
        ElfFile.Section xdp = f.sectionHeader("xdp").orElseThrow();
        List<ElfFile.Relocation> rels = f.relocationsFor(xdp);
        assertEquals(1, rels.size());
        assertEquals(0, rels.get(0).offset());
        assertEquals("counter", rels.get(0).symbolName());
        assertEquals(1, rels.get(0).type());
        assertTrue(f.relocationsFor(f.sectionHeader("license").orElseThrow()).isEmpty());
    }

    @Test void writerIsDeterministic() {
        assertArrayEquals(sample(), sample());
    }

    @Test void rejectsNonElf() {
        var e = assertThrows(IllegalArgumentException.class, () -> ElfFile.parse("hello world, not elf".getBytes()));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ElfFile.parse(new byte[0]));
    }

    @Test void rejectsElf32AndBigEndian() {
        byte[] b = sample();
        b[4] = 1;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ElfFile.parse(b)).getMessage().contains("ELF64"));
        byte[] c = sample();
        c[5] = 2;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ElfFile.parse(c)).getMessage().contains("little-endian"));
    }

    @Test void rejectsTruncatedFiles() {
        byte[] b = sample();
        // Cut inside the section header table (which sits at the end).
        var e = assertThrows(IllegalArgumentException.class, () -> ElfFile.parse(Arrays.copyOf(b, b.length - 10)));
        assertTrue(e.getMessage().contains("outside the file"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ElfFile.parse(Arrays.copyOf(b, 40)));
    }

    @Test void rejectsSectionDataOutsideTheFile() {
        byte[] b = sample();
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = buf.getLong(40);
        // Section 1's sh_size becomes huge.
        buf.putLong((int) shoff + 64 + 32, 1L << 40);
        var e = assertThrows(IllegalArgumentException.class, () -> ElfFile.parse(b));
        assertTrue(e.getMessage().contains("section 1"), e.getMessage());
    }

    @Test void sectionReturnsACopy() {
        ElfFile f = ElfFile.parse(sample());
        f.section("xdp").orElseThrow()[0] = 0;
        assertArrayEquals(CODE, f.section("xdp").orElseThrow());
    }
}
