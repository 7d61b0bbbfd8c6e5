package io.portcullis.bpf.verify;

import io.portcullis.bpf.elf.ElfFile;
import java.util.ArrayList;
import java.util.List;

/** Runs the static verifier on every program of an ELF object, typed from its section name as libbpf does. */
public final class ObjectVerifier {
    private ObjectVerifier() {}

    /**
     * One executable section. {@code type} is null when libbpf would not know the section (then {@code verification}
     * is null too and {@code note} says why); a section with relocations is rejected as {@link Reason#UNSUPPORTED}.
     */
    public record Program(String section, String name, ProgramType type, byte[] code, Verification verification, String note) {
        public boolean accepted() { return verification != null && verification.accepted(); }
    }

    /** @throws IllegalArgumentException when the bytes are not a BPF ELF object (the message says why) */
    public static List<Program> verify(byte[] elf) {
        ElfFile f = ElfFile.parse(elf);
        if (f.machine() != ElfFile.EM_BPF) {
            throw new IllegalArgumentException("not a BPF object: e_machine is " + f.machine() + ", expected " + ElfFile.EM_BPF);
        }
        List<Program> out = new ArrayList<>();
        for (ElfFile.Section s : f.sections()) {
            if (!s.executable() || s.size() == 0) continue;
            String name = f.symbolsIn(s).stream()
                    .filter(y -> y.type() == ElfFile.STT_FUNC && y.value() == 0 && !y.name().isEmpty())
                    .map(ElfFile.Symbol::name).findFirst().orElse(s.name());
            byte[] code = f.contents(s);
            ProgramType type = ProgramType.fromSection(s.name()).orElse(null);
            if (type == null) {
                out.add(new Program(s.name(), name, null, code, null, "section '" + s.name()
                        + "' names no program type this verifier models (xdp, tc, cgroup_skb/ingress, cgroup_skb/egress)"));
                continue;
            }
            io.portcullis.bpf.elf.ReadOnlyData data;
            String unresolved = null;
            try {
                data = io.portcullis.bpf.elf.ReadOnlyData.of(f, s);
            } catch (IllegalArgumentException e) {
                data = io.portcullis.bpf.elf.ReadOnlyData.none();
                unresolved = e.getMessage();
            }
            Verification v = StaticVerifier.verify(code, type, data);
            if (unresolved != null && v.accepted()) {
                v = new Verification(type, v.insns(), v.slots(), List.of(new Problem(-1, Reason.UNSUPPORTED,
                        unresolved + ", which this verifier does not resolve")),
                        v.analysed(), v.pendingBranches(), v.deepestBranches(), v.nanos(), v.complexity());
            }
            out.add(new Program(s.name(), name, type, code, v, null));
        }
        return out;
    }
}
