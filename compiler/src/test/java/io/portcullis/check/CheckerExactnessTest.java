package io.portcullis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The checker against a brute-force oracle: on random policies, the set of (rule, code) findings must be exactly the
 * set the oracle computes over a universe that represents every class of packets, and every witness must replay.
 */
class CheckerExactnessTest {
    static final List<Packet> UNIVERSE = RandomPolicies.universe();
    static final List<String> CONSISTENCY =
            List.of(Codes.CONFLICT, Codes.SHADOWED, Codes.REDUNDANT, Codes.CORRELATION, Codes.EMPTY);

    @Test
    void findingsEqualBruteForceOnRandomPolicies() {
        Random random = new Random(20261125);
        int policies = 300, findings = 0, covers = 0;
        int[] perCode = new int[5];
        for (int k = 0; k < policies; k++) {
            ResolvedPolicy p = RandomPolicies.policy(random, 2 + random.nextInt(9));
            List<Diagnostic> ds = Checker.check(p, List.of(), LocalDate.of(2026, 1, 1));
            TreeSet<String> got = new TreeSet<>();
            for (Diagnostic d : ds) {
                if (!CONSISTENCY.contains(d.code())) continue;
                got.add(d.rule() + ":" + d.code());
                WitnessReplay.assertReplays(p, d);
                if (d.code().equals(Codes.CONFLICT) || d.code().equals(Codes.SHADOWED)) {
                    assertMinimalCover(p, d);
                    assertMoveAboveHolds(p, d);
                    covers++;
                }
            }
            TreeSet<String> want = oracle(p);
            assertEquals(want, got, "policy #" + k + " " + describe(p));
            findings += ds.size();
            for (String s : want) {
                String code = s.substring(s.indexOf(':') + 1);
                int idx = List.of(Codes.CONFLICT, Codes.SHADOWED, Codes.REDUNDANT, Codes.CORRELATION, Codes.EMPTY).indexOf(code);
                perCode[idx]++;
            }
        }
        // The generator must exercise every code, or this test proves little.
        for (int c : perCode) assertTrue(c > 5, "every code is exercised: " + java.util.Arrays.toString(perCode));
        assertTrue(covers > 50, "minimal covers were checked: " + covers);
        System.out.println("exactness: " + policies + " random policies, " + findings + " findings, universe "
                + UNIVERSE.size() + " packets; conflict/shadowed/redundant/correlation/empty = "
                + java.util.Arrays.toString(perCode));
    }

    static ResolvedRule rule(ResolvedPolicy p, Diagnostic d) {
        return p.rules().stream().filter(x -> x.span() == d.span()).findFirst().orElseThrow();
    }

    /**
     * The related rules of a dead rule cover it (every packet of the universe it matches, one of them matches), and
     * none but the first (the rule deciding the witness, which the explanation must include) can be left out.
     */
    static void assertMinimalCover(ResolvedPolicy p, Diagnostic d) {
        ResolvedRule r = rule(p, d);
        List<Integer> rel = d.related().stream().map(Diagnostic.Related::index).toList();
        assertTrue(rel.stream().allMatch(j -> j >= 0 && j < r.index()), "earlier rules: " + d);
        assertTrue(covered(p, r, rel, -1), "the related rules cover the rule: " + d);
        for (int k = 1; k < rel.size(); k++) {
            assertTrue(!covered(p, r, rel, rel.get(k)), "cover is minimal, without " + rel.get(k) + " it is not: " + d);
        }
        if (d.code().equals(Codes.CONFLICT)) {
            assertNotEquals(r.action(), p.rules().get(rel.get(0)).action(), "the cover includes an opposite rule: " + d);
        }
    }

    private static boolean covered(ResolvedPolicy p, ResolvedRule r, List<Integer> rel, int without) {
        for (Packet pkt : UNIVERSE) {
            if (!Evaluator.matches(r.match(), pkt)) continue;
            boolean hit = false;
            for (int j : rel) if (j != without && Evaluator.matches(p.rules().get(j).match(), pkt)) hit = true;
            if (!hit) return false;
        }
        return true;
    }

    /** "move it above X": with the rule moved right above X, some packet gets the rule's verdict and not today's. */
    static void assertMoveAboveHolds(ResolvedPolicy p, Diagnostic d) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("move it above '([^']+)'").matcher(d.help());
        if (!m.find()) {
            assertTrue(!d.code().equals(Codes.CONFLICT), "a conflict always has a rule to move above: " + d);
            return;
        }
        ResolvedRule r = rule(p, d);
        List<ResolvedRule> moved = new ArrayList<>(p.rules());
        moved.remove(r.index());
        int x = -1;
        for (int k = 0; k < moved.size(); k++) if (m.group(1).equals(moved.get(k).label())) x = k;
        assertTrue(x >= 0, "names a rule: " + d);
        moved.add(x, r);
        boolean effect = false;
        for (Packet pkt : UNIVERSE) {
            Evaluator.Decision now = Evaluator.evaluate(p, pkt), then = Evaluator.evaluate(moved, p.defaultAction(), pkt, -1);
            if (then.ruleIndex() == r.index() && then.action() != now.action()) effect = true;
        }
        assertTrue(effect, "moving it above " + m.group(1) + " changes some verdict: " + d);
    }

    static TreeSet<String> oracle(ResolvedPolicy p) {
        List<ResolvedRule> rules = p.rules();
        int n = rules.size();
        List<List<Packet>> matched = new ArrayList<>(), decided = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            matched.add(new ArrayList<>());
            decided.add(new ArrayList<>());
        }
        for (Packet pkt : UNIVERSE) {
            boolean first = true;
            for (int i = 0; i < n; i++) {
                if (Evaluator.matches(rules.get(i).match(), pkt)) {
                    matched.get(i).add(pkt);
                    if (first) decided.get(i).add(pkt);
                    first = false;
                }
            }
        }
        TreeSet<String> out = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            ResolvedRule r = rules.get(i);
            String id = r.label() + ":";
            if (matched.get(i).isEmpty()) {
                out.add(id + Codes.EMPTY);
                continue;
            }
            if (decided.get(i).isEmpty()) {
                boolean opposite = false;
                for (Packet pkt : matched.get(i)) {
                    int by = Evaluator.evaluate(p, pkt).ruleIndex();
                    if (rules.get(by).action() != r.action()) opposite = true;
                }
                out.add(id + (opposite ? Codes.CONFLICT : Codes.SHADOWED));
                continue;
            }
            boolean redundant = true;
            for (Packet pkt : decided.get(i)) {
                if (Evaluator.evaluate(rules, p.defaultAction(), pkt, i).action() != r.action()) redundant = false;
            }
            if (redundant) out.add(id + Codes.REDUNDANT);
            for (int j = 0; j < i; j++) {
                if (rules.get(j).action() == r.action()) continue;
                boolean overlap = decided.get(j).stream().anyMatch(matched.get(i)::contains);
                boolean narrower = matched.get(i).containsAll(matched.get(j));
                if (overlap && !narrower) {
                    out.add(id + Codes.CORRELATION);
                    break;
                }
            }
        }
        return out;
    }

    static String describe(ResolvedPolicy p) {
        StringBuilder sb = new StringBuilder("default " + p.defaultAction().label());
        for (ResolvedRule r : p.rules()) sb.append("\n  ").append(r.label()).append(' ').append(r.action().label())
                .append(' ').append(r.match());
        return sb.toString();
    }

    @Test
    void unionCoverIsFoundAsConflict() {
        // r1 allows tcp to 10.0.0.0/31, r2 allows tcp to 10.0.0.2/31: together they cover r3 (deny tcp to 10.0.0.0/30),
        // though neither does alone.
        Random unused = new Random(1);
        var m1 = new io.portcullis.ir.RuleMatch(io.portcullis.net.AddrSet.any(),
                io.portcullis.net.AddrSet.of(RandomPolicies.p("10.0.0.0/31")), null,
                List.of(new io.portcullis.ir.ProtoClause(6, null, null, -1, -1)), io.portcullis.ir.TcpState.ANY);
        var m2 = new io.portcullis.ir.RuleMatch(io.portcullis.net.AddrSet.any(),
                io.portcullis.net.AddrSet.of(RandomPolicies.p("10.0.0.2/31")), null,
                List.of(new io.portcullis.ir.ProtoClause(6, null, null, -1, -1)), io.portcullis.ir.TcpState.ANY);
        var m3 = new io.portcullis.ir.RuleMatch(io.portcullis.net.AddrSet.all(io.portcullis.ir.Family.IPV4),
                io.portcullis.net.AddrSet.of(RandomPolicies.p("10.0.0.0/30")), null,
                List.of(new io.portcullis.ir.ProtoClause(6, null, null, -1, -1)), io.portcullis.ir.TcpState.ANY);
        var allow = io.portcullis.ir.Action.ALLOW;
        ResolvedPolicy p = new ResolvedPolicy("u", io.portcullis.ir.Target.XDP, io.portcullis.ir.Action.DENY, allow,
                List.of(new ResolvedRule(0, "a", allow, m1, RandomPolicies.span(2), List.of()),
                        new ResolvedRule(1, "b", allow, m2, RandomPolicies.span(3), List.of()),
                        new ResolvedRule(2, "c", io.portcullis.ir.Action.DENY, m3, RandomPolicies.span(4), List.of())),
                List.of(), List.of(), RandomPolicies.span(1), RandomPolicies.span(5));
        List<Diagnostic> ds = Checker.check(p, List.of(), LocalDate.of(2026, 1, 1));
        Diagnostic c = ds.stream().filter(d -> d.code().equals(Codes.CONFLICT)).findFirst().orElseThrow();
        assertEquals("c", c.rule());
        assertEquals(2, c.related().size(), "both covering rules are named");
        assertNotNull(c.witness());
        WitnessReplay.assertReplays(p, c);
        assertNotNull(unused);
    }
}
