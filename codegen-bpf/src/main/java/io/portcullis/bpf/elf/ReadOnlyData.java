package io.portcullis.bpf.elf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The read-only data a program section refers to, resolved from the ELF the way libbpf does it: every {@code ld_imm64}
 * with an {@code R_BPF_64_64} relocation against a symbol in a {@code .rodata} or {@code .rodata.*} section loads the
 * address {@code symbol value + imm} inside that section. libbpf turns each such section into a frozen single-entry
 * array map and the instruction into {@code BPF_PSEUDO_MAP_VALUE}; the kernel loader, the interpreter, the static
 * verifier and translation validation all read the same resolution from here. Pure; anything else this does not model
 * (map or function relocations, writable data) is an {@link IllegalArgumentException} with a clear message.
 */
public final class ReadOnlyData {
    /** {@code R_BPF_64_64}: a 64-bit immediate ({@code ld_imm64}) against a data symbol. */
    public static final int R_BPF_64_64 = 1;

    /** One read-only section: {@code index} its position in {@link #regions()}, {@code bytes} its contents. */
    public record Region(int index, String section, byte[] bytes) {
        public int size() { return bytes.length; }
    }

    /** The {@code ld_imm64} at instruction slot {@code slot} loads the address of byte {@code offset} of {@code region}. */
    public record Ref(int slot, int region, int offset) {}

    private static final ReadOnlyData NONE = new ReadOnlyData(List.of(), Map.of());

    private final List<Region> regions;
    private final Map<Integer, Ref> refs;

    private ReadOnlyData(List<Region> regions, Map<Integer, Ref> refs) {
        this.regions = regions;
        this.refs = refs;
    }

    /** No read-only data (e.g. a hand-assembled program). */
    public static ReadOnlyData none() { return NONE; }

    /** Resolves every relocation of {@code program} (a section of {@code f}). */
    public static ReadOnlyData of(ElfFile f, ElfFile.Section program) {
        List<ElfFile.Relocation> relocs = f.relocationsFor(program);
        if (relocs.isEmpty()) return NONE;
        byte[] code = f.contents(program);
        Map<Integer, Integer> regionOf = new LinkedHashMap<>(); // section index -> region index
        List<Region> regions = new ArrayList<>();
        Map<Integer, Ref> refs = new TreeMap<>();
        for (ElfFile.Relocation r : relocs) {
            String where = "relocation at byte " + r.offset() + " of '" + program.name() + "'";
            if (r.type() != R_BPF_64_64) {
                throw new IllegalArgumentException(where + " has type " + r.type() + " (map, function or other "
                        + "references); only R_BPF_64_64 against read-only data is resolved");
            }
            if (r.offset() % 8 != 0 || r.offset() + 16 > code.length || (code[(int) r.offset()] & 0xff) != 0x18) {
                throw new IllegalArgumentException(where + " is not on an ld_imm64 instruction");
            }
            ElfFile.Symbol sym = f.symbols().get(r.symbolIndex());
            ElfFile.Section sec = sym.sectionIndex() > 0 && sym.sectionIndex() < f.sections().size()
                    ? f.sections().get(sym.sectionIndex()) : null;
            if (sec == null || !isReadOnlyData(sec)) {
                throw new IllegalArgumentException(where + " refers to symbol '" + sym.name() + "'"
                        + (sec != null ? " in section '" + sec.name() + "'" : "") + ", which is not read-only data "
                        + "(.rodata or .rodata.*)");
            }
            Integer region = regionOf.get(sec.index());
            if (region == null) {
                region = regions.size();
                regionOf.put(sec.index(), region);
                regions.add(new Region(region, sec.name(), f.contents(sec)));
            }
            int imm = (code[(int) r.offset() + 4] & 0xff) | (code[(int) r.offset() + 5] & 0xff) << 8
                    | (code[(int) r.offset() + 6] & 0xff) << 16 | (code[(int) r.offset() + 7] & 0xff) << 24;
            long offset = sym.value() + imm;
            if (offset < 0 || offset > sec.size()) {
                throw new IllegalArgumentException(where + " points " + offset + " bytes into '" + sec.name()
                        + "', which has " + sec.size());
            }
            int slot = (int) (r.offset() / 8);
            refs.put(slot, new Ref(slot, region, (int) offset));
        }
        return new ReadOnlyData(List.copyOf(regions), Collections.unmodifiableMap(refs));
    }

    /** The sections libbpf loads as read-only array maps: allocated, not writable, not code, named .rodata(.*). */
    public static boolean isReadOnlyData(ElfFile.Section s) {
        return s.type() == ElfFile.SHT_PROGBITS && (s.flags() & ElfFile.SHF_ALLOC) != 0
                && (s.flags() & (ElfFile.SHF_WRITE | ElfFile.SHF_EXECINSTR)) == 0
                && (s.name().equals(".rodata") || s.name().startsWith(".rodata."));
    }

    public List<Region> regions() { return regions; }

    /** Every resolved {@code ld_imm64}, by instruction slot. */
    public Map<Integer, Ref> refs() { return refs; }

    /** The resolution of the {@code ld_imm64} at {@code slot}, or null when it is a plain constant. */
    public Ref at(int slot) { return refs.get(slot); }

    public boolean isEmpty() { return refs.isEmpty(); }

    /** Total bytes of all regions. */
    public long bytes() {
        long n = 0;
        for (Region r : regions) n += r.size();
        return n;
    }
}
