package io.portcullis.bpf.elf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a minimal ELF64 little-endian BPF relocatable object: named sections, a symbol table and optional
 * {@code .rel} sections. Enough for libbpf / bpftool to load a program without maps; deterministic byte for byte.
 */
public final class ElfWriter {
    private record Sec(String name, int type, long flags, byte[] data, long align, long entsize) {}
    private record Sym(String name, String section, long value, long size, int type, int bind) {}
    private record Rel(String section, long offset, String symbol, int type) {}

    private final List<Sec> sections = new ArrayList<>();
    private final List<Sym> symbols = new ArrayList<>();
    private final List<Rel> relocations = new ArrayList<>();

    /** Adds an executable program section and a global function symbol {@code function} covering it. */
    public ElfWriter program(String section, String function, byte[] code) {
        section(section, ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC | ElfFile.SHF_EXECINSTR, code, 8);
        return symbol(function, section, 0, code.length, ElfFile.STT_FUNC, ElfFile.STB_GLOBAL);
    }

    /** Adds the {@code license} section (a NUL-terminated string) and the {@code _license} object symbol. */
    public ElfWriter license(String license) {
        byte[] text = (license + "\0").getBytes(StandardCharsets.UTF_8);
        section("license", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC | ElfFile.SHF_WRITE, text, 1);
        return symbol("_license", "license", 0, text.length, ElfFile.STT_OBJECT, ElfFile.STB_GLOBAL);
    }

    public ElfWriter section(String name, int type, long flags, byte[] data, long align) {
        if (name.startsWith(".symtab") || name.equals(".strtab") || name.equals(".shstrtab") || name.startsWith(".rel")) {
            throw new IllegalArgumentException("section " + name + " is written by ElfWriter itself");
        }
        if (sections.stream().anyMatch(s -> s.name.equals(name))) throw new IllegalArgumentException("duplicate section " + name);
        sections.add(new Sec(name, type, flags, data.clone(), align, 0));
        return this;
    }

    public ElfWriter symbol(String name, String section, long value, long size, int type, int bind) {
        symbols.add(new Sym(name, section, value, size, type, bind));
        return this;
    }

    /** A {@code SHT_REL} entry against {@code section} at byte {@code offset} naming a symbol added before. */
    public ElfWriter relocation(String section, long offset, String symbol, int type) {
        relocations.add(new Rel(section, offset, symbol, type));
        return this;
    }

    public byte[] build() {
        // Layout: null, user sections, .rel<sec> per section with relocations, .symtab, .strtab, .shstrtab.
        List<Sec> all = new ArrayList<>();
        all.add(new Sec("", ElfFile.SHT_NULL, 0, new byte[0], 0, 0));
        all.addAll(sections);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) index.put(all.get(i).name, i);

        // Locals must precede globals in .symtab; sh_info holds the index of the first non-local symbol.
        List<Sym> ordered = new ArrayList<>();
        symbols.stream().filter(s -> s.bind == ElfFile.STB_LOCAL).forEach(ordered::add);
        int firstGlobal = ordered.size() + 1;
        symbols.stream().filter(s -> s.bind != ElfFile.STB_LOCAL).forEach(ordered::add);
        Strings strtab = new Strings();
        ByteBuffer symtab = le(ByteBuffer.allocate(24 * (ordered.size() + 1)));
        symtab.position(24);
        Map<String, Integer> symIndex = new LinkedHashMap<>();
        for (int i = 0; i < ordered.size(); i++) {
            Sym s = ordered.get(i);
            Integer shndx = index.get(s.section);
            if (shndx == null) throw new IllegalArgumentException("symbol " + s.name + " names missing section " + s.section);
            symIndex.putIfAbsent(s.name, i + 1);
            symtab.putInt(strtab.add(s.name)).put((byte) ((s.bind << 4) | s.type)).put((byte) 0)
                    .putShort((short) (int) shndx).putLong(s.value).putLong(s.size);
        }

        Map<String, ByteArrayOutputStream> rels = new LinkedHashMap<>();
        for (Rel r : relocations) {
            if (!index.containsKey(r.section)) throw new IllegalArgumentException("relocation names missing section " + r.section);
            Integer sym = symIndex.get(r.symbol);
            if (sym == null) throw new IllegalArgumentException("relocation names missing symbol " + r.symbol);
            ByteBuffer e = le(ByteBuffer.allocate(16)).putLong(r.offset).putLong(((long) sym << 32) | (r.type & 0xffffffffL));
            rels.computeIfAbsent(r.section, k -> new ByteArrayOutputStream()).writeBytes(e.array());
        }
        int relBase = all.size();
        int symtabIndex = relBase + rels.size();
        List<int[]> relLinks = new ArrayList<>();
        for (Map.Entry<String, ByteArrayOutputStream> e : rels.entrySet()) {
            all.add(new Sec(".rel" + e.getKey(), ElfFile.SHT_REL, 0, e.getValue().toByteArray(), 8, 16));
            relLinks.add(new int[] {symtabIndex, index.get(e.getKey())});
        }
        all.add(new Sec(".symtab", ElfFile.SHT_SYMTAB, 0, symtab.array(), 8, 24));
        all.add(new Sec(".strtab", ElfFile.SHT_STRTAB, 0, strtab.bytes(), 1, 0));
        Strings shstr = new Strings();
        int[] names = new int[all.size() + 1];
        for (int i = 0; i < all.size(); i++) names[i] = shstr.add(all.get(i).name);
        names[all.size()] = shstr.add(".shstrtab");
        all.add(new Sec(".shstrtab", ElfFile.SHT_STRTAB, 0, shstr.bytes(), 1, 0));

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[64]);
        long[] offsets = new long[all.size()];
        for (int i = 1; i < all.size(); i++) {
            Sec s = all.get(i);
            pad(body, Math.max(1, s.align));
            offsets[i] = body.size();
            body.writeBytes(s.data);
        }
        pad(body, 8);
        long shoff = body.size();
        ByteBuffer shdrs = le(ByteBuffer.allocate(64 * all.size()));
        for (int i = 0; i < all.size(); i++) {
            Sec s = all.get(i);
            int link = 0, info = 0;
            if (s.type == ElfFile.SHT_SYMTAB) {
                link = symtabIndex + 1;
                info = firstGlobal;
            } else if (s.type == ElfFile.SHT_REL && i >= relBase && i < symtabIndex) {
                link = relLinks.get(i - relBase)[0];
                info = relLinks.get(i - relBase)[1];
            }
            shdrs.position(64 * i);
            shdrs.putInt(i == 0 ? 0 : names[i]).putInt(s.type).putLong(s.flags).putLong(0).putLong(offsets[i])
                    .putLong(s.data.length).putInt(link).putInt(info).putLong(s.align).putLong(s.entsize);
        }
        body.writeBytes(shdrs.array());

        byte[] out = body.toByteArray();
        ByteBuffer h = le(ByteBuffer.wrap(out));
        h.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        h.position(16);
        h.putShort((short) ElfFile.ET_REL).putShort((short) ElfFile.EM_BPF).putInt(1).putLong(0).putLong(0).putLong(shoff)
                .putInt(0).putShort((short) 64).putShort((short) 0).putShort((short) 0).putShort((short) 64)
                .putShort((short) all.size()).putShort((short) (all.size() - 1));
        return out;
    }

    private static ByteBuffer le(ByteBuffer b) { return b.order(ByteOrder.LITTLE_ENDIAN); }

    private static void pad(ByteArrayOutputStream out, long align) {
        while (out.size() % align != 0) out.write(0);
    }

    /** A string table: offset 0 is the empty string; equal strings share one entry. */
    private static final class Strings {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, Integer> seen = new LinkedHashMap<>();

        Strings() { out.write(0); seen.put("", 0); }

        int add(String s) {
            return seen.computeIfAbsent(s, k -> {
                int at = out.size();
                out.writeBytes(k.getBytes(StandardCharsets.UTF_8));
                out.write(0);
                return at;
            });
        }

        byte[] bytes() { return out.toByteArray(); }
    }
}
