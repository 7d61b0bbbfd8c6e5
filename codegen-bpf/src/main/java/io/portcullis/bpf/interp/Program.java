package io.portcullis.bpf.interp;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ReadOnlyData;
import io.portcullis.ir.Target;
import java.util.ArrayList;
import java.util.List;

/**
 * A program ready for the {@link Interpreter}: its instructions laid out by slot (jump offsets count 8-byte slots, and
 * LD_IMM64 takes two) and its {@link Hook}. Problems with the object are {@link IllegalArgumentException}s whose
 * message can be shown to a user.
 */
public final class Program {
    private final Hook hook;
    private final String name;
    private final List<Insn> insns;
    // Per slot; a second LD_IMM64 slot holds null in insnAt and -1 in index, so a jump into it is a fault.
    final Insn[] insnAt;
    final int[] opcode, dst, src, off;
    final long[] imm;
    private final int[] index;
    /** The read-only data the program's LD_IMM64 instructions point into (none for hand-assembled programs). */
    final ReadOnlyData data;

    private Program(Hook hook, String name, List<Insn> insns) { this(hook, name, insns, ReadOnlyData.none()); }

    private Program(Hook hook, String name, List<Insn> insns, ReadOnlyData data) {
        this.data = data;
        if (insns.isEmpty()) throw new IllegalArgumentException("the program has no instructions");
        this.hook = hook;
        this.name = name;
        this.insns = List.copyOf(insns);
        int slots = 0;
        for (Insn i : insns) slots += i.width();
        insnAt = new Insn[slots];
        opcode = new int[slots];
        dst = new int[slots];
        src = new int[slots];
        off = new int[slots];
        imm = new long[slots];
        index = new int[slots];
        int s = 0, n = 0;
        for (Insn i : insns) {
            insnAt[s] = i;
            opcode[s] = i.opcode();
            dst[s] = i.dst();
            src[s] = i.src();
            off[s] = i.off();
            imm[s] = i.imm();
            index[s] = n++;
            if (i.width() == 2) {
                // An opcode no instruction has: executing it is reported as a jump into the middle of LD_IMM64.
                opcode[s + 1] = -1;
                index[s + 1] = -1;
            }
            s += i.width();
        }
    }

    /** A program from decoded instructions (e.g. hand-assembled ones). */
    public static Program of(Hook hook, String name, List<Insn> insns) { return new Program(hook, name, insns); }

    /** A program from encoded bytecode. */
    public static Program of(Hook hook, String name, byte[] code) { return new Program(hook, name, Decoder.decode(code)); }

    /** The program a target's object holds in the target's section. */
    public static Program fromElf(byte[] elf, Target target) { return fromElf(elf, target.section()); }

    /**
     * The program in section {@code section} of an object, or, with {@code section} null, its only program section.
     */
    public static Program fromElf(byte[] elf, String section) {
        ElfFile f = ElfFile.parse(elf);
        if (f.machine() != ElfFile.EM_BPF) {
            throw new IllegalArgumentException("not a BPF object: e_machine is " + f.machine() + ", expected " + ElfFile.EM_BPF);
        }
        List<ElfFile.Section> programs = new ArrayList<>();
        for (ElfFile.Section s : f.sections()) {
            if (s.executable() && s.size() > 0 && Hook.forSection(s.name()) != null) programs.add(s);
        }
        ElfFile.Section sec;
        if (section != null) {
            sec = f.sectionHeader(section).orElseThrow(() -> new IllegalArgumentException("the object has no section '"
                    + section + "' (sections: " + String.join(", ", f.sectionNames()) + ")"));
            if (Hook.forSection(sec.name()) == null) {
                throw new IllegalArgumentException("section '" + section + "' is not a program type the interpreter runs"
                        + " (xdp, tc, cgroup_skb/ingress, cgroup_skb/egress)");
            }
        } else if (programs.size() == 1) {
            sec = programs.get(0);
        } else if (programs.isEmpty()) {
            throw new IllegalArgumentException("the object has no program section the interpreter runs (xdp, tc,"
                    + " cgroup_skb/ingress, cgroup_skb/egress); its sections: " + String.join(", ", f.sectionNames()));
        } else {
            throw new IllegalArgumentException("the object has several program sections ("
                    + String.join(", ", programs.stream().map(ElfFile.Section::name).toList()) + "); choose one with --section");
        }
        ReadOnlyData data = ReadOnlyData.of(f, sec); // refuses any relocation other than read-only data
        String name = f.symbolsIn(sec).stream()
                .filter(s -> s.type() == ElfFile.STT_FUNC && s.value() == 0 && !s.name().isEmpty())
                .map(ElfFile.Symbol::name).findFirst().orElse(sec.name());
        return new Program(Hook.forSection(sec.name()), name, Decoder.decode(f.contents(sec)), data);
    }

    public Hook hook() { return hook; }

    public String name() { return name; }

    /** The instructions in order (LD_IMM64 once). */
    public List<Insn> instructions() { return insns; }

    /** Encoded length in 8-byte slots. */
    public int slots() { return insnAt.length; }

    /** The instruction index (LD_IMM64 counting once) of a slot, or -1 for the second slot of LD_IMM64. */
    public int indexOfSlot(int slot) { return slot >= 0 && slot < index.length ? index[slot] : -1; }

    /** The instruction starting at a slot, or null. */
    public Insn at(int slot) { return slot >= 0 && slot < insnAt.length ? insnAt[slot] : null; }

    static boolean isWide(int opcode) { return opcode == Op.LD_IMM64; }
}
