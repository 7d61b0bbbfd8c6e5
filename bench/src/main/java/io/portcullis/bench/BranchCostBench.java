package io.portcullis.bench;

import io.portcullis.bpf.asm.Asm;
import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.kernel.ProgramImage;
import io.portcullis.ir.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What single kinds of BPF instruction cost after the JIT, measured as {@link PacketCostBench} measures programs (the
 * CPU-time slope, fastest calls over the rounds): hand-assembled XDP programs of 64 instructions of one kind each,
 * against an empty one. Explains why taken jumps, not instruction counts alone, decide the small programs' costs.
 *
 * <pre>
 * java -cp bench/target/classes:$(cat bench/target/classpath.txt) io.portcullis.bench.BranchCostBench [ROUNDS]
 * </pre>
 */
public final class BranchCostBench {
    private BranchCostBench() {}

    static final int N = 64, REPEAT = 1_000_000;

    /** The programs: r3 is an unknown scalar (ingress_ifindex), so no jump is decided by the verifier. */
    static Map<String, List<Insn>> programs() {
        Map<String, List<Insn>> p = new LinkedHashMap<>();
        p.put("empty", List.of());
        List<Insn> dep = new ArrayList<>();
        for (int i = 0; i < N; i++) dep.add(Asm.add64Imm(3, 1));
        p.put("64 dependent add", dep);
        List<Insn> untaken = new ArrayList<>();
        for (int i = 0; i < N; i++) untaken.add(Asm.jmpImm(Op.JEQ, 3, 99, 0));
        p.put("64 untaken jeq", untaken);
        List<Insn> taken = new ArrayList<>();
        taken.add(Asm.mov64Imm(4, 0));
        for (int i = 0; i < N / 2; i++) {
            taken.add(Asm.jmpImm(Op.JNE, 3, 99, 1));
            taken.add(Asm.add64Imm(4, 1));
        }
        p.put("32 taken jne (each over an add)", taken);
        List<Insn> wide = new ArrayList<>();
        for (int i = 0; i < N / 2; i++) {
            wide.add(Asm.ldImm64(5, 0x123456789abcL + i));
            wide.add(Asm.jmpReg(Op.JEQ, 3, 5, 0));
        }
        p.put("32 ld_imm64 + untaken jeq", wide);
        return p;
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        Bpf.Availability a = Bpf.availability();
        if (!a.available()) {
            System.err.println("BranchCostBench needs bpf(): " + a.reason());
            System.exit(2);
        }
        Map<String, LoadedProgram> loaded = new LinkedHashMap<>();
        for (var e : programs().entrySet()) {
            List<Insn> l = new ArrayList<>();
            l.add(Asm.ldxw(3, 1, 12));
            l.addAll(e.getValue());
            l.add(Asm.mov64Imm(0, 2));
            l.add(Asm.exit());
            loaded.put(e.getKey(), LoadedProgram.load(ProgramImage.of(Encoder.encode(l), Target.XDP, "GPL", "cost")));
        }
        byte[] frame = new byte[64];
        Map<String, long[]> min = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (var e : loaded.entrySet()) {
                PacketCostBench.Sample s = PacketCostBench.sample(e.getValue(), frame, REPEAT);
                long[] m = min.computeIfAbsent(e.getKey(), k -> new long[] {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE});
                m[0] = Math.min(m[0], s.shortCpuNs());
                m[1] = Math.min(m[1], s.longCpuNs());
                m[2] = Math.min(m[2], s.kernelNs());
            }
        }
        System.out.println("load " + PacketCostBench.loadAverage());
        for (var e : min.entrySet()) {
            long[] m = e.getValue();
            System.out.printf(Locale.ROOT, "%-34s %6.2f ns per run (kernel %d)%n", e.getKey(),
                    PacketCostBench.slope(m[0], m[1], REPEAT, PacketCostBench.SLOPE_FACTOR), m[2]);
        }
        loaded.values().forEach(LoadedProgram::close);
    }
}
