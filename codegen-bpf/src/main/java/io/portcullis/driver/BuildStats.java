package io.portcullis.driver;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.lower.Limits;
import io.portcullis.ir.Target;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code portcullis build --stats} prints for one object: its size and resource use read from the object itself
 * (pure, the same on every machine), the kernel verifier's processed-instruction count when the kernel verified it,
 * and the headroom left against each kernel limit.
 *
 * @param processed    the verifier's processed instructions, or -1 with {@code notVerified} saying why
 * @param stackBytes   the deepest stack slot the code addresses (below r10)
 * @param longestJump  the largest |offset| of a jump with a 16-bit offset field
 * @param farJumps     jumps with a 32-bit offset ({@code gotol}, CPU v4), which have no practical range limit
 * @param globalData   sizes of the global-data sections ({@code .rodata}, {@code .data}, {@code .bss}) and of {@code .maps}
 */
public record BuildStats(String policy, Path object, Target target, int instructions, int processed, String notVerified,
                         int stackBytes, int longestJump, int farJumps, List<Section> globalData, int estimated) {

    /** These figures with the static verifier's estimate of the kernel's processed count (-1: none). */
    public BuildStats withEstimate(int e) {
        return new BuildStats(policy, object, target, instructions, processed, notVerified, stackBytes, longestJump, farJumps,
                globalData, e);
    }

    /** A data section the loader turns into a map, and its size in bytes. */
    public record Section(String name, long bytes) {}

    /**
     * The largest value of an array map, which is what libbpf creates for each global-data section: the kernel refuses
     * a value over KMALLOC_MAX_SIZE, 4 MiB on x86-64 (kernel/bpf/arraymap.c, array_map_alloc_check).
     */
    public static final long MAX_GLOBAL_DATA = 4L << 20;

    private static final List<String> DATA_SECTIONS = List.of(".rodata", ".data", ".bss", ".maps");

    /** Reads the object; {@code v} is the kernel's verification, or null when verification was not attempted. */
    public static BuildStats of(String policy, Path object, Target target, byte[] elf, KernelVerifier.Verification v,
                                String notVerified) {
        ElfFile f = ElfFile.parse(elf);
        ElfFile.Section sec = f.sectionHeader(target.section()).orElseThrow(() -> new IllegalArgumentException(
                "the object has no program section '" + target.section() + "'"));
        List<Insn> code = Decoder.decode(f.contents(sec));
        int slots = 0, stack = 0, longest = 0, far = 0;
        // Registers holding r10 plus a constant (LLVM passes stack addresses that way), by register number.
        Integer[] fpOffset = new Integer[16];
        fpOffset[10] = 0;
        for (Insn i : code) {
            slots += i.width();
            int cls = i.cls();
            if (cls == Op.LDX && fpOffset[i.src()] != null) stack = Math.max(stack, -(fpOffset[i.src()] + i.off()));
            if ((cls == Op.ST || cls == Op.STX) && fpOffset[i.dst()] != null) {
                stack = Math.max(stack, -(fpOffset[i.dst()] + i.off()));
            }
            if (i.isJump() && i.op() != Op.CALL && i.op() != Op.EXIT) {
                if (cls == Op.JMP32 && i.op() == Op.JA) far++;
                else longest = Math.max(longest, Math.abs((int) i.off()));
            }
            if (i.isAlu() || cls == Op.LDX || cls == Op.LD) fpOffset = track(fpOffset, i);
            if (i.isJump() && i.op() == Op.CALL) for (int r = 0; r <= 5; r++) fpOffset[r] = null;
        }
        List<Section> data = new ArrayList<>();
        for (String name : DATA_SECTIONS) f.sectionHeader(name).ifPresent(s -> data.add(new Section(name, s.size())));
        // Custom sections (.rodata.NAME, .data.NAME): libbpf makes one array map per section too (decision tables).
        for (ElfFile.Section s : f.sections()) {
            if ((s.name().startsWith(".rodata.") || s.name().startsWith(".data.")) && (s.flags() & ElfFile.SHF_ALLOC) != 0) {
                data.add(new Section(s.name(), s.size()));
            }
        }
        int processed = v != null && v.status() == KernelVerifier.Status.ACCEPTED ? v.processed() : -1;
        return new BuildStats(policy, object, target, slots, processed, processed >= 0 ? null : notVerified,
                Math.max(stack, 0), longest, far, List.copyOf(data), -1);
    }

    /** Follows {@code rX = r10} and {@code rX += K}; any other write to rX forgets it. */
    private static Integer[] track(Integer[] fp, Insn i) {
        int d = i.dst();
        if (i.cls() == Op.ALU64 && i.op() == Op.MOV && i.usesSrcReg()) {
            fp[d] = fp[i.src()];
        } else if (i.cls() == Op.ALU64 && (i.op() == Op.ADD || i.op() == Op.SUB) && !i.usesSrcReg() && fp[d] != null) {
            fp[d] = fp[d] + (i.op() == Op.ADD ? i.imm32() : -i.imm32());
        } else if (d != 10) {
            fp[d] = null;
        }
        return fp;
    }

    /** The text block for one object: one line per quantity, each with its kernel limit and the headroom left. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("stats for ").append(object).append(" (policy ").append(policy).append(", target ")
                .append(target.syntax()).append(", section ").append(target.section()).append("):\n");
        line(sb, "instructions", instructions, Limits.PROGRAM_LENGTH, "BPF_COMPLEXITY_LIMIT_INSNS");
        if (processed >= 0) line(sb, "verifier processed", processed, Limits.PROCESSED, "BPF_COMPLEXITY_LIMIT_INSNS");
        else sb.append(String.format(Locale.ROOT, "  %-19s not verified: %s%n", "verifier processed", oneLine(notVerified)));
        if (estimated >= 0) line(sb, "estimated processed", estimated, Limits.PROCESSED, "static verifier's estimate");
        line(sb, "stack bytes", stackBytes, Limits.STACK, "MAX_BPF_STACK");
        line(sb, "longest jump", longestJump, Limits.JUMP_OFFSET, "signed 16-bit offset");
        if (farJumps > 0) {
            sb.append(String.format(Locale.ROOT, "  %-19s %,d (gotol: 32-bit offsets, CPU v4, no practical limit)%n",
                    "far jumps", farJumps));
        }
        if (globalData.isEmpty()) sb.append(String.format(Locale.ROOT, "  %-19s none%n", "maps"));
        long arrays = globalData.stream().filter(s -> !s.name().equals(".maps")).count();
        if (arrays > 1) {
            long total = globalData.stream().filter(s -> !s.name().equals(".maps")).mapToLong(Section::bytes).sum();
            line(sb, "data maps", arrays, Limits.MAPS, "MAX_USED_MAPS");
            sb.append(String.format(Locale.ROOT, "  %-19s %,d bytes in %,d sections%n", "data bytes", total, arrays));
        }
        for (Section s : globalData) {
            if (s.name().equals(".maps")) {
                sb.append(String.format(Locale.ROOT, "  %-19s %,d bytes of BTF map definitions (sizes not read)%n",
                        "maps (.maps)", s.bytes()));
            } else {
                sb.append(String.format(Locale.ROOT, "  %-19s %,d of %,d bytes, headroom %,d (array map value: KMALLOC_MAX_SIZE)%n",
                        "map " + s.name(), s.bytes(), MAX_GLOBAL_DATA, MAX_GLOBAL_DATA - s.bytes()));
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String what, long value, Limits limit, String source) {
        sb.append(String.format(Locale.ROOT, "  %-19s %,d of %,d, headroom %,d (%s)%n", what, value, limit.max(),
                limit.max() - value, source));
    }

    private static String oneLine(String s) {
        if (s == null || s.isBlank()) return "no reason given";
        return s.strip().lines().findFirst().orElse("");
    }
}
