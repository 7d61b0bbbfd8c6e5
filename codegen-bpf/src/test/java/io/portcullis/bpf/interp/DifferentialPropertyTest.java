package io.portcullis.bpf.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpFlag;
import io.portcullis.space.Samples;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random policies, compiled for every target, run on witness, boundary and random packets in several encodings
 * (plain, VLAN and QinQ, IPv4 options, IPv6 extension chains, non-first fragments): the reference evaluator, the
 * interpreter and the kernel's BPF_PROG_TEST_RUN must give the same verdict on every frame. Without bpf() the kernel
 * leg is skipped and says so; the other two still run.
 *
 * <p>CI runs a bounded number of frames. The long run:
 * {@code mvn -B -o -pl codegen-bpf -am test -Dtest=DifferentialPropertyTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dportcullis.diff.packets=1000000} (optionally {@code -Dportcullis.diff.policies=N -Dportcullis.diff.seed=S}).
 */
class DifferentialPropertyTest {
    static final int PACKETS = Integer.getInteger("portcullis.diff.packets", 40_000);
    static final int POLICIES = Integer.getInteger("portcullis.diff.policies", Math.max(8, Math.min(200, PACKETS / 5_000)));
    static final long SEED = Long.getLong("portcullis.diff.seed", 20261125L);

    record Mismatch(String policy, Target target, String packet, String frame, int evaluator, int interpreter, Integer kernel) {}

    @Test void evaluatorInterpreterAndKernelAgreeOnRandomPolicies() throws Exception {
        Bpf.Availability kernel = Bpf.availability();
        if (!kernel.available()) System.out.println("differential test: kernel leg skipped: " + kernel.reason());
        long start = System.nanoTime();
        Random rnd = new Random(SEED);
        int perTarget = Math.max(1, PACKETS / (POLICIES * Target.values().length));
        Map<Target, int[]> counts = new EnumMap<>(Target.class); // frames, kernel frames, allowed
        for (Target t : Target.values()) counts.put(t, new int[3]);
        List<Mismatch> mismatches = new ArrayList<>();
        int rules = 0, mismatchCount = 0;
        for (int n = 0; n < POLICIES; n++) {
            ResolvedPolicy base = new RandomPolicy(rnd).build("rand" + n, Target.XDP, 3 + rnd.nextInt(14));
            rules += base.rules().size();
            List<Packet> pool = packets(base, perTarget, rnd.nextLong(), rnd);
            for (Target t : Target.values()) {
                ResolvedPolicy p = RandomPolicy.retarget(base, t);
                byte[] elf = BpfCompiler.compile(p);
                Program prog = Program.fromElf(elf, t);
                try (LoadedProgram k = kernel.available() ? LoadedProgram.load(elf, t) : null) {
                    int[] c = counts.get(t);
                    for (int i = 0; i < perTarget; i++) {
                        Packet pkt = pool.get(i % pool.size());
                        byte[] frame = encode(pkt, t, rnd);
                        int want = t.code(Evaluator.evaluate(p, pkt).action());
                        int got = Interpreter.testRun(prog, frame).retval();
                        Integer kgot = k == null ? null : k.run(frame);
                        c[0]++;
                        if (k != null) c[1]++;
                        if (want == t.code(Action.ALLOW)) c[2]++;
                        if (got != want || kgot != null && kgot != want) {
                            mismatchCount++;
                            if (mismatches.size() < 10) {
                                mismatches.add(new Mismatch(describe(p), t, pkt.toString(), HexFormat.of().formatHex(frame), want, got, kgot));
                            }
                        }
                    }
                }
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        int total = 0, kernelTotal = 0;
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Target, int[]> e : counts.entrySet()) {
            int[] c = e.getValue();
            total += c[0];
            kernelTotal += c[1];
            sb.append(String.format("  %-15s %,9d frames (%,d also in the kernel), %,d allowed%n", e.getKey().syntax(), c[0], c[1], c[2]));
        }
        System.out.printf("differential test: %d policies (%d rules), %,d frames, %,d through the kernel, %d mismatches, %.1f s (seed %d)%n%s",
                POLICIES, rules, total, kernelTotal, mismatchCount, secs, SEED, sb);
        for (Mismatch m : mismatches) System.out.println("MISMATCH " + m);
        assertEquals(0, mismatchCount, () -> "mismatches (first " + mismatches.size() + "): " + mismatches);
        for (int[] c : counts.values()) assertTrue(c[2] > 0 && c[2] < c[0], "both verdicts occur on every target");
    }

    /** Samples (witnesses of every rule, boundaries, random packets), plus non-first fragments and flag variants. */
    static List<Packet> packets(ResolvedPolicy p, int want, long seed, Random rnd) {
        List<Packet> base = Samples.of(p, Math.max(50, want / 3), seed);
        // Samples gives no IPv6 packet whose protocol is an extension header's number (such a packet has no frame).
        List<Packet> out = new ArrayList<>(base);
        for (Packet q : List.copyOf(out)) {
            if (rnd.nextInt(6) == 0) {
                out.add(new Packet(q.family(), q.src(), q.dst(), q.proto(), 0, 0, Set.of(), 0, 0, true));
            }
            if (q.isTcp() && rnd.nextInt(3) == 0) {
                Set<TcpFlag> flags = EnumSet.noneOf(TcpFlag.class);
                for (TcpFlag f : TcpFlag.values()) if (rnd.nextInt(3) == 0) flags.add(f);
                out.add(new Packet(q.family(), q.src(), q.dst(), q.proto(), q.sport(), q.dport(), flags, 0, 0, false));
            }
        }
        java.util.Collections.shuffle(out, rnd);
        return out;
    }

    /** The packet as a test-run input in one of the encodings every well-formed parser must read the same way. */
    static byte[] encode(Packet p, Target t, Random rnd) {
        FrameBuilder.Variant v = FrameBuilder.variant(p);
        int how = rnd.nextInt(10);
        if (how == 0 && t.ethernet()) {
            v.vlan(FrameBuilder.ETH_P_8021Q, rnd.nextInt(4096));
        } else if (how == 1 && t.ethernet()) {
            v.vlan(FrameBuilder.ETH_P_8021AD, rnd.nextInt(4096)).vlan(FrameBuilder.ETH_P_8021Q, rnd.nextInt(4096));
        } else if (how == 2 || how == 3) {
            if (p.family() == Family.IPV4) {
                v.ipv4Options(1 + rnd.nextInt(10));
            } else {
                if (rnd.nextBoolean()) v.ipv6Extension(FrameBuilder.Ipv6Ext.HOP_BY_HOP, rnd.nextInt(3));
                FrameBuilder.Ipv6Ext[] later = {FrameBuilder.Ipv6Ext.ROUTING, FrameBuilder.Ipv6Ext.DEST_OPTS,
                        FrameBuilder.Ipv6Ext.AH, FrameBuilder.Ipv6Ext.FRAGMENT};
                for (int i = rnd.nextInt(4); i > 0; i--) {
                    FrameBuilder.Ipv6Ext e = later[rnd.nextInt(later.length)];
                    v.ipv6Extension(e, e == FrameBuilder.Ipv6Ext.AH ? 1 + rnd.nextInt(4) : rnd.nextInt(3));
                }
            }
        }
        return v.ethernet();
    }

    static String describe(ResolvedPolicy p) {
        StringBuilder sb = new StringBuilder(p.name()).append(" on ").append(p.target().syntax())
                .append(" default ").append(p.defaultAction()).append(" non-ip ").append(p.nonIp()).append(": ");
        for (ResolvedRule r : p.rules()) sb.append(r.index()).append(' ').append(r.action()).append(' ').append(r.match()).append("; ");
        return sb.toString();
    }
}
