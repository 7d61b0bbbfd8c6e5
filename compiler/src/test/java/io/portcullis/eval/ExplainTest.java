package io.portcullis.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.check.RandomPolicies;
import io.portcullis.diag.SourceFile;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import io.portcullis.space.Samples;
import io.portcullis.syntax.PolicyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The explaining evaluator: it must agree with {@link Evaluator#evaluate}, and say which field fails. */
class ExplainTest {
    @TempDir Path dir;

    /** Agreement, rule by rule: explain's "matches" is exactly {@code matches}, and its decision is evaluate's. */
    private static void assertAgrees(ResolvedPolicy policy, Packet p) {
        Evaluator.Explanation e = Evaluator.explain(policy, p);
        assertEquals(Evaluator.evaluate(policy, p), e.decision(), () -> policy.name() + " on " + p);
        assertEquals(policy.rules().size(), e.rules().size());
        for (Evaluator.RuleExplanation r : e.rules()) {
            assertEquals(Evaluator.matches(r.rule().match(), p), r.matches(), () -> r.rule().displayName() + " on " + p
                    + ": " + r.misses());
        }
    }

    @Test
    void agreesWithEvaluateOnRandomPoliciesOverTheWholeUniverse() {
        Random r = new Random(20261125);
        List<Packet> universe = RandomPolicies.universe();
        for (int i = 0; i < 10; i++) {
            ResolvedPolicy policy = RandomPolicies.policy(r, 1 + r.nextInt(6));
            for (Packet p : universe) assertAgrees(policy, p);
        }
    }

    @Test
    void agreesWithEvaluateOnTheBundledPolicies() throws InputException {
        Loader.LoadResult loaded = Loader.load(List.of(Path.of("../policies")));
        assertFalse(loaded.policies().isEmpty());
        for (ResolvedPolicy policy : loaded.policies()) {
            for (Packet p : Samples.of(policy, 200, 7)) assertAgrees(policy, p);
        }
    }

    private ResolvedPolicy load(String text) throws Exception {
        Path f = dir.resolve("t.policy");
        Files.writeString(f, text);
        Loader.LoadResult loaded = Loader.load(List.of(f));
        assertTrue(loaded.diagnostics().stream().noneMatch(d -> d.severity() == io.portcullis.diag.Severity.ERROR),
                () -> loaded.diagnostics().toString());
        return loaded.policies().get(0);
    }

    private static Packet packet(String text) {
        PolicyParser.PacketResult r = PolicyParser.parsePacket(SourceFile.ofString("<packet>", text));
        List<io.portcullis.diag.Diagnostic> ds = new ArrayList<>();
        return Loader.resolvePacket(r.packet(), ds);
    }

    @Test
    void namesTheFieldThatFails() throws Exception {
        ResolvedPolicy policy = load("""
                network db = 10.2.0.0/16;
                service dns = { udp 53, tcp 53 };
                policy p {
                    default deny;
                    to-db:   allow tcp from any to db port 5432;
                    web:     allow tcp to 10.9.0.0/16 port { 80, 443 };
                    dns:     allow dns to 10.9.0.1;
                    v6-only: allow tcp from any6 to any6;
                    replies: allow tcp established to 10.9.0.0/16;
                    ping:    allow icmp type echo-request to 10.9.0.1;
                }
                """);
        Evaluator.Explanation e = Evaluator.explain(policy, packet("tcp 192.0.2.7:40000 -> 10.9.0.1:22"));
        assertEquals(List.of("dst 10.9.0.1 not in 10.2.0.0/16", "dport 22 not in 5432"), e.rules().get(0).misses());
        assertEquals(List.of("dport 22 not in { 80, 443 }"), e.rules().get(1).misses());
        assertEquals(List.of("dport 22 not in 53"), e.rules().get(2).misses(), "only the tcp alternative is about this packet");
        assertEquals(List.of("src 192.0.2.7: the rule has no IPv4 src addresses (it matches IPv6 only)",
                "dst 10.9.0.1: the rule has no IPv4 dst addresses (it matches IPv6 only)"), e.rules().get(3).misses());
        assertEquals(List.of("state: the packet is new (no ack, no rst), the rule wants established"), e.rules().get(4).misses());
        assertEquals(List.of("proto tcp, the rule wants icmp type 8"), e.rules().get(5).misses());
        assertEquals(-1, e.decision().ruleIndex());

        Evaluator.Explanation u = Evaluator.explain(policy, packet("udp 192.0.2.7:40000 -> 10.9.0.1:53"));
        assertEquals(2, u.decision().ruleIndex(), "dns decides");
        assertTrue(u.rules().get(2).matches());
        assertEquals(List.of("dst 10.9.0.1 not in 10.2.0.0/16", "proto udp, the rule wants tcp port 5432"),
                u.rules().get(0).misses());
    }
}
