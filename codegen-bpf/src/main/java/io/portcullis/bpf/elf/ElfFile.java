package io.portcullis.bpf.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A read-only view of an ELF64 little-endian relocatable object. (Owner: bpf tooling.)
 *
 * <p>Every malformed input is reported as an {@link IllegalArgumentException} whose message names what is wrong, so a
 * caller can show it to a user without a stack trace.
 */
public final class ElfFile {
    public static final int SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4,
            SHT_NOBITS = 8, SHT_REL = 9;
    public static final long SHF_WRITE = 0x1, SHF_ALLOC = 0x2, SHF_EXECINSTR = 0x4;
    public static final int ET_REL = 1;
    public static final int EM_BPF = 247;
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3;
    public static final int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;

    private static final int EHDR_SIZE = 64, SHDR_SIZE = 64, SYM_SIZE = 24, REL_SIZE = 16, RELA_SIZE = 24;

    /** One section header; {@code index} is its position in the section header table. */
    public record Section(int index, String name, int type, long flags, long offset, long size, int link, int info,
                          long addralign, long entsize) {
        public boolean executable() { return (flags & SHF_EXECINSTR) != 0; }
    }

    /** One {@code .symtab} entry; {@code index} is its position in the table (0 is the null symbol). */
    public record Symbol(int index, String name, int sectionIndex, long value, long size, int type, int bind) {}

    /**
     * One relocation: where it applies (byte {@code offset} in section {@code targetSection}), which symbol, which
     * type; {@code addend} is 0 for {@code SHT_REL}.
     */
    public record Relocation(int targetSection, long offset, int symbolIndex, String symbolName, int type, long addend) {}

    private final byte[] bytes;
    private final int type;
    private final int machine;
    private final List<Section> sections;
    private final List<Symbol> symbols;
    private final List<Relocation> relocations;

    private ElfFile(byte[] bytes, int type, int machine, List<Section> sections, List<Symbol> symbols,
                    List<Relocation> relocations) {
        this.bytes = bytes;
        this.type = type;
        this.machine = machine;
        this.sections = sections;
        this.symbols = symbols;
        this.relocations = relocations;
    }

    public static ElfFile parse(byte[] input) {
        if (input == null) throw new IllegalArgumentException("not an ELF object: no bytes");
        byte[] b = input.clone();
        if (b.length < 16 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
            throw new IllegalArgumentException("not an ELF object: missing the \\x7fELF magic");
        }
        if (b[4] != 2) throw new IllegalArgumentException("unsupported ELF class " + b[4] + ": only ELF64 is supported");
        if (b[5] != 1) {
            throw new IllegalArgumentException("unsupported ELF data encoding " + b[5] + ": only little-endian is supported");
        }
        if (b.length < EHDR_SIZE) throw new IllegalArgumentException("truncated ELF header: " + b.length + " bytes");
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int type = Short.toUnsignedInt(buf.getShort(16));
        int machine = Short.toUnsignedInt(buf.getShort(18));
        long shoff = buf.getLong(40);
        int shentsize = Short.toUnsignedInt(buf.getShort(58));
        int shnum = Short.toUnsignedInt(buf.getShort(60));
        int shstrndx = Short.toUnsignedInt(buf.getShort(62));
        if (shnum == 0) {
            return new ElfFile(b, type, machine, List.of(), List.of(), List.of());
        }
        if (shentsize != SHDR_SIZE) throw new IllegalArgumentException("unexpected section header size " + shentsize);
        checkRange(b, shoff, (long) shnum * SHDR_SIZE, "section header table");
        long[][] raw = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            int o = (int) shoff + i * SHDR_SIZE;
            raw[i] = new long[] {
                Integer.toUnsignedLong(buf.getInt(o)), Integer.toUnsignedLong(buf.getInt(o + 4)), buf.getLong(o + 8),
                buf.getLong(o + 24), buf.getLong(o + 32), Integer.toUnsignedLong(buf.getInt(o + 40)),
                Integer.toUnsignedLong(buf.getInt(o + 44)), buf.getLong(o + 48), buf.getLong(o + 56)};
            if (raw[i][1] != SHT_NOBITS && raw[i][1] != SHT_NULL) checkRange(b, raw[i][3], raw[i][4], "section " + i);
        }
        if (shstrndx >= shnum) throw new IllegalArgumentException("section name table index " + shstrndx + " out of range");
        long strOff = raw[shstrndx][3], strSize = raw[shstrndx][4];
        List<Section> sections = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            String name = cString(b, strOff, strSize, raw[i][0], "section name of section " + i);
            sections.add(new Section(i, name, (int) raw[i][1], raw[i][2], raw[i][3], raw[i][4], (int) raw[i][5],
                    (int) raw[i][6], raw[i][7], raw[i][8]));
        }
        List<Symbol> symbols = readSymbols(b, buf, sections);
        List<Relocation> relocations = readRelocations(b, buf, sections, symbols);
        return new ElfFile(b, type, machine, Collections.unmodifiableList(sections), symbols, relocations);
    }

    private static List<Symbol> readSymbols(byte[] b, ByteBuffer buf, List<Section> sections) {
        Section symtab = sections.stream().filter(s -> s.type() == SHT_SYMTAB).findFirst().orElse(null);
        if (symtab == null) return List.of();
        if (symtab.link() <= 0 || symtab.link() >= sections.size()) {
            throw new IllegalArgumentException("symbol table links to missing string table " + symtab.link());
        }
        Section strtab = sections.get(symtab.link());
        if (symtab.size() % SYM_SIZE != 0) throw new IllegalArgumentException("symbol table size " + symtab.size() + " is not a multiple of 24");
        int n = (int) (symtab.size() / SYM_SIZE);
        List<Symbol> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int o = (int) symtab.offset() + i * SYM_SIZE;
            long nameOff = Integer.toUnsignedLong(buf.getInt(o));
            int info = Byte.toUnsignedInt(buf.get(o + 4));
            int shndx = Short.toUnsignedInt(buf.getShort(o + 6));
            String name = cString(b, strtab.offset(), strtab.size(), nameOff, "name of symbol " + i);
            out.add(new Symbol(i, name, shndx, buf.getLong(o + 8), buf.getLong(o + 16), info & 0xf, info >>> 4));
        }
        return Collections.unmodifiableList(out);
    }

    private static List<Relocation> readRelocations(byte[] b, ByteBuffer buf, List<Section> sections, List<Symbol> symbols) {
        List<Relocation> out = new ArrayList<>();
        for (Section s : sections) {
            if (s.type() != SHT_REL && s.type() != SHT_RELA) continue;
            int entry = s.type() == SHT_REL ? REL_SIZE : RELA_SIZE;
            if (s.size() % entry != 0) {
                throw new IllegalArgumentException("relocation section " + s.name() + " size " + s.size() + " is not a multiple of " + entry);
            }
            if (s.info() <= 0 || s.info() >= sections.size()) {
                throw new IllegalArgumentException("relocation section " + s.name() + " applies to missing section " + s.info());
            }
            for (int i = 0; i < s.size() / entry; i++) {
                int o = (int) s.offset() + i * entry;
                long info = buf.getLong(o + 8);
                int sym = (int) (info >>> 32);
                if (sym >= symbols.size() && !(sym == 0 && symbols.isEmpty())) {
                    throw new IllegalArgumentException("relocation " + i + " in " + s.name() + " names missing symbol " + sym);
                }
                String symName = symbols.isEmpty() ? "" : symbols.get(sym).name();
                long addend = s.type() == SHT_RELA ? buf.getLong(o + 16) : 0;
                out.add(new Relocation(s.info(), buf.getLong(o), sym, symName, (int) info, addend));
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static void checkRange(byte[] b, long off, long len, String what) {
        if (off < 0 || len < 0 || off > b.length || len > b.length - off) {
            throw new IllegalArgumentException(what + " lies outside the file (offset " + off + ", size " + len
                    + ", file " + b.length + " bytes)");
        }
    }

    private static String cString(byte[] b, long tableOff, long tableSize, long at, String what) {
        if (at >= tableSize && !(at == 0 && tableSize == 0)) {
            throw new IllegalArgumentException(what + " points outside its string table");
        }
        if (tableSize == 0) return "";
        int start = (int) (tableOff + at), end = start, limit = (int) (tableOff + tableSize);
        while (end < limit && b[end] != 0) end++;
        if (end == limit) throw new IllegalArgumentException(what + " is not NUL-terminated");
        return new String(b, start, end - start, StandardCharsets.UTF_8);
    }

    /** {@code e_type}: 1 for a relocatable object. */
    public int type() { return type; }

    /** {@code e_machine}: 247 for BPF. */
    public int machine() { return machine; }

    /** Section names in header order, without the null section at index 0. */
    public List<String> sectionNames() {
        return sections.stream().skip(1).map(Section::name).toList();
    }

    /** All section headers in order, including the null section at index 0. */
    public List<Section> sections() { return sections; }

    /** The first section with that name. */
    public Optional<Section> sectionHeader(String name) {
        return sections.stream().skip(1).filter(s -> s.name().equals(name)).findFirst();
    }

    /** The contents of the first section with that name (a copy; empty bytes for {@code SHT_NOBITS}). */
    public Optional<byte[]> section(String name) {
        return sectionHeader(name).map(this::contents);
    }

    /** The contents of a section (a copy). */
    public byte[] contents(Section s) {
        if (s.type() == SHT_NOBITS || s.type() == SHT_NULL) return new byte[0];
        return Arrays.copyOfRange(bytes, (int) s.offset(), (int) (s.offset() + s.size()));
    }

    /** The {@code .symtab} entries, including the null symbol at index 0; empty without a symbol table. */
    public List<Symbol> symbols() { return symbols; }

    /** Symbols defined in a section, in table order. */
    public List<Symbol> symbolsIn(Section s) {
        return symbols.stream().filter(y -> y.index() > 0 && y.sectionIndex() == s.index()).toList();
    }

    /** Every relocation of every {@code .rel*} / {@code .rela*} section, in file order. */
    public List<Relocation> relocations() { return relocations; }

    /** Relocations that apply to the given section. */
    public List<Relocation> relocationsFor(Section s) {
        return relocations.stream().filter(r -> r.targetSection() == s.index()).toList();
    }
}
