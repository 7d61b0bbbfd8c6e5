package io.portcullis.bpf.kernel;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ReadOnlyData;
import io.portcullis.ir.Target;
import java.nio.charset.StandardCharsets;

/**
 * What the kernel needs from an object to load its program for a target: the instructions, the licence, a name and
 * the program type. Pure; any problem with the object is an {@link IllegalArgumentException} with a clear message.
 */
public record ProgramImage(byte[] code, int instructions, String license, String name, int progType,
                           int expectedAttachType, ReadOnlyData data) {

    public ProgramImage(byte[] code, int instructions, String license, String name, int progType, int expectedAttachType) {
        this(code, instructions, license, name, progType, expectedAttachType, ReadOnlyData.none());
    }

    public static ProgramImage fromElf(byte[] elf, Target target) {
        ElfFile f = ElfFile.parse(elf);
        if (f.machine() != ElfFile.EM_BPF) {
            throw new IllegalArgumentException("not a BPF object: e_machine is " + f.machine() + ", expected " + ElfFile.EM_BPF);
        }
        ElfFile.Section sec = f.sectionHeader(target.section()).orElseThrow(() -> new IllegalArgumentException(
                "the object has no program section '" + target.section() + "' for target " + target.syntax()
                        + " (sections: " + String.join(", ", f.sectionNames()) + ")"));
        // Read-only data (.rodata*) is resolved as libbpf does; any other relocation is refused with its reason.
        ReadOnlyData data = ReadOnlyData.of(f, sec);
        byte[] code = f.contents(sec);
        if (code.length == 0) throw new IllegalArgumentException("the program section '" + sec.name() + "' is empty");
        // Decoding checks the code is whole instructions before the kernel sees it.
        int insns = Encoder.slots(Decoder.decode(code));
        String license = f.section("license").map(ProgramImage::cString).orElse("");
        String name = f.symbolsIn(sec).stream()
                .filter(s -> s.type() == ElfFile.STT_FUNC && s.value() == 0 && !s.name().isEmpty())
                .map(ElfFile.Symbol::name).findFirst().orElse(sec.name());
        return of(code, target, license, name).withInstructions(insns).withData(data);
    }

    /** An image from raw instructions, e.g. hand-assembled ones. */
    public static ProgramImage of(byte[] code, Target target, String license, String name) {
        int type, attach = 0;
        switch (target) {
            case XDP -> type = Bpf.PROG_TYPE_XDP;
            case TC_INGRESS, TC_EGRESS -> type = Bpf.PROG_TYPE_SCHED_CLS;
            case CGROUP_INGRESS -> { type = Bpf.PROG_TYPE_CGROUP_SKB; attach = Bpf.ATTACH_CGROUP_INET_INGRESS; }
            case CGROUP_EGRESS -> { type = Bpf.PROG_TYPE_CGROUP_SKB; attach = Bpf.ATTACH_CGROUP_INET_EGRESS; }
            default -> throw new IllegalArgumentException("unknown target " + target);
        }
        return new ProgramImage(code.clone(), code.length / 8, license, name, type, attach);
    }

    private ProgramImage withInstructions(int n) {
        return new ProgramImage(code, n, license, name, progType, expectedAttachType, data);
    }

    private ProgramImage withData(ReadOnlyData d) {
        return new ProgramImage(code, instructions, license, name, progType, expectedAttachType, d);
    }

    /**
     * The code with every read-only data reference bound to a map: {@code ld_imm64} becomes
     * {@code BPF_PSEUDO_MAP_VALUE} with the map fd in the first immediate and the offset in the second, as libbpf
     * patches it. {@code fds} are the maps of {@link ReadOnlyData#regions()}, in order.
     */
    public byte[] codeWithMaps(int[] fds) {
        if (data.isEmpty()) return code;
        byte[] out = code.clone();
        for (ReadOnlyData.Ref r : data.refs().values()) {
            int at = r.slot() * 8;
            out[at + 1] = (byte) ((out[at + 1] & 0x0f) | (io.portcullis.bpf.asm.Op.PSEUDO_MAP_VALUE << 4));
            putInt(out, at + 4, fds[r.region()]);
            putInt(out, at + 12, r.offset());
        }
        return out;
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    private static String cString(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != 0) end++;
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }
}
