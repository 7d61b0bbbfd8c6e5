package io.portcullis.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Family;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cost harness on small sizes, so that it keeps working between benchmark runs. Sanity only, no timing goals:
 * figures come from the documented command, never from a unit test.
 */
class PacketCostBenchTest {
    @TempDir Path dir;

    @Test void packetKindsAreWhatTheyClaim() throws Exception {
        Path file = dir.resolve("p.policy");
        RuleGenerator.write(file, 300, 7);
        ResolvedPolicy policy = Loader.load(List.of(file)).policies().get(0);
        Map<String, PacketKinds.Probe> probes = byName(PacketKinds.pick(policy, 7));
        assertEquals(List.of("early", "late", "default", "late-v6", "default-v6"), new ArrayList<>(probes.keySet()));
        for (PacketKinds.Probe p : probes.values()) {
            Evaluator.Decision d = Evaluator.evaluate(policy, p.packet());
            assertEquals(d.ruleIndex(), p.ruleIndex(), p.name());
            assertEquals(d.action(), p.verdict(), p.name());
            assertEquals(p.name().endsWith("v6") ? Family.IPV6 : Family.IPV4, p.packet().family(), p.name());
        }
        assertTrue(probes.get("early").ruleIndex() < 10, "early: " + probes.get("early"));
        assertTrue(probes.get("late").ruleIndex() > 250, "late: " + probes.get("late"));
        assertTrue(probes.get("late-v6").ruleIndex() > 250, "late-v6: " + probes.get("late-v6"));
        assertEquals(-1, probes.get("default").ruleIndex());
        assertEquals(-1, probes.get("default-v6").ruleIndex());
    }

    @Test void refusalReasonIsTheVerifiersLastWord() {
        String log = "bpf(BPF_PROG_LOAD) failed: E2BIG (Argument list too long)\n0: (61) r2 = *(u32 *)(r1 +0)\n"
                + "The sequence of 8193 jumps is too complex.\nverification time 81234 usec\nstack depth 0\n"
                + "processed 25012 insns (limit 1000000) max_states_per_insn 1 total_states 8200 peak_states 8200 mark_read 3\n";
        assertEquals("The sequence of 8193 jumps is too complex. [E2BIG (Argument list too long)]",
                PacketCostBench.reason(log));
        assertEquals("bpf(BPF_PROG_LOAD) failed: EACCES (Permission denied)",
                PacketCostBench.reason("bpf(BPF_PROG_LOAD) failed: EACCES (Permission denied)"));
    }

    @Test void smallSizesLoadRunAndGiveTheEvaluatorsVerdicts() throws Exception {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "packet cost harness skipped: " + a.reason());
        PacketCostBench.Config config = new PacketCostBench.Config(List.of(10, 100), 20261125L, 100_000, 3, dir);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<PacketCostBench.SizeResult> results = new ArrayList<>();
        try (PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            for (int n : config.sizes()) results.add(PacketCostBench.measure(n, config, ps));
        } finally {
            results.forEach(r -> r.programs().values().forEach(PacketCostBench.Built::close));
        }
        for (PacketCostBench.SizeResult r : results) {
            for (PacketCostBench.Built b : r.programs().values()) {
                assertTrue(b.loaded(), r.rules() + " rules, " + b.kind + ": " + b.failure + "\n" + log);
            }
            assertEquals(5, r.probes().size(), log::toString);
            for (PacketKinds.Probe p : r.probes()) {
                for (PacketCostBench.Kind k : PacketCostBench.Kind.values()) {
                    PacketCostBench.Timing t = r.time(p.name(), k);
                    assertNotNull(t, r.rules() + " " + p.name() + " " + k);
                    assertTrue(t.verdictsCorrect(), r.rules() + " " + p.name() + " " + k + " returned " + t.retval());
                    assertTrue(t.ns() > 0, r.rules() + " " + p.name() + " " + k + ": " + t.ns() + " ns");
                    assertTrue(t.kernelNs() >= 0 && t.perRound().length == 3, r.rules() + " " + p.name() + " " + k);
                    assertTrue(t.steps() >= 2, r.rules() + " " + p.name() + " " + k + ": " + t.steps() + " instructions");
                }
            }
        }
        // Walking 100 rules to the default cannot be cheaper than returning a constant.
        PacketCostBench.SizeResult hundred = results.get(1);
        assertTrue(hundred.time("default", PacketCostBench.Kind.FLOOR).ns()
                < hundred.time("default", PacketCostBench.Kind.LINEAR).ns(), PacketCostBench.costTable(results));
        String table = PacketCostBench.costTable(results);
        assertTrue(table.contains("| 100 | late |"), table);
        assertFalse(table.contains("WRONG"), table);
    }

    @Test void slopeCancelsWhatBothCallsPay() {
        // 500 us paid once per call, 12.5 ns per run: 1,000,000 and 3,000,000 runs.
        long fixed = 500_000;
        assertEquals(12.5, PacketCostBench.slope(fixed + 12_500_000L, fixed + 37_500_000L, 1_000_000, 3), 1e-9);
        assertEquals(0.25, PacketCostBench.slope(1_000, 1_500, 1_000, 3), 1e-9);
    }

    @Test void roundsCheaperPairsRounds() {
        PacketCostBench.Timing a = timing(1, 5, 3), b = timing(2, 4, 4);
        assertEquals(2, PacketCostBench.roundsCheaper(a, b));
        assertEquals(1, PacketCostBench.roundsCheaper(b, a));
    }

    private static PacketCostBench.Timing timing(double... rounds) {
        return new PacketCostBench.Timing(rounds[rounds.length / 2], 0, 0, rounds, 2, true, 0);
    }

    private static Map<String, PacketKinds.Probe> byName(List<PacketKinds.Probe> ps) {
        Map<String, PacketKinds.Probe> m = new java.util.LinkedHashMap<>();
        for (PacketKinds.Probe p : ps) m.put(p.name(), p);
        return m;
    }
}
