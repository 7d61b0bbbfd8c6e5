package io.portcullis.bpf.interp;

import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.BpfException;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.kernel.ProgramImage;
import io.portcullis.ir.Target;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** Hand-assembled programs through the kernel's BPF_PROG_TEST_RUN, for comparison with the interpreter. */
final class KernelRun {
    private KernelRun() {}

    /** Skips the calling test, with the reason, where bpf() is not allowed. */
    static void assumeKernel() {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), () -> "kernel leg skipped: " + a.reason());
    }

    static Target target(Hook h) {
        return switch (h) {
            case XDP -> Target.XDP;
            case TC -> Target.TC_INGRESS;
            case CGROUP_SKB_INGRESS -> Target.CGROUP_INGRESS;
            case CGROUP_SKB_EGRESS -> Target.CGROUP_EGRESS;
        };
    }

    static LoadedProgram load(Hook hook, List<Insn> insns) {
        try {
            return LoadedProgram.load(ProgramImage.of(Encoder.encode(insns), target(hook), "GPL", "interp_test"));
        } catch (BpfException e) {
            throw new AssertionError(e.getMessage() + "\n" + tail(e.log()), e);
        }
    }

    static int run(Hook hook, List<Insn> insns, byte[] frame) {
        try (LoadedProgram p = load(hook, insns)) {
            return p.run(frame);
        }
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, lines.length - 25); i < lines.length; i++) sb.append(lines[i]).append('\n');
        return sb.toString();
    }
}
