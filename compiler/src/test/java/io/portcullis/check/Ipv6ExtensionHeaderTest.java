package io.portcullis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IPv6 extension headers (hop-by-hop 0, routing 43, fragment 44, AH 51, destination options 60) are walked by the
 * parser (LANGUAGE.md), so an IPv6 packet's protocol is never one of them. A rule naming one matches IPv4 packets only
 * (with a warning when its addresses admit IPv6, an error when they admit IPv6 only), and an IPv6 packet written with
 * such a protocol is refused.
 */
class Ipv6ExtensionHeaderTest {
    static final LocalDate TODAY = LocalDate.of(2026, 12, 7);
    @TempDir Path dir;

    Loader.LoadResult load(String text) throws Exception {
        Path f = dir.resolve("p.policy");
        Files.writeString(f, text);
        return Loader.load(List.of(f));
    }

    List<Diagnostic> check(String body) throws Exception {
        Loader.LoadResult r = load("service frag = proto 44;\npolicy p {\n    default allow;\n" + body + "}\n");
        assertEquals(List.of(), r.diagnostics().stream().filter(d -> d.severity() == Severity.ERROR).toList());
        return Checker.check(r.policies().get(0), List.of(), TODAY);
    }

    static List<Diagnostic> only(List<Diagnostic> ds, String code) {
        return ds.stream().filter(d -> d.code().equals(code)).toList();
    }

    @Test
    void aRuleForEveryFamilyMatchesIpv4OnlyAndSaysSo() throws Exception {
        for (String rule : List.of("deny proto 44;", "deny frag from any to any;", "deny proto 0 to any;")) {
            List<Diagnostic> ds = check("    r: " + rule + "\n    ok: allow tcp to any port 443;\n");
            List<Diagnostic> w = only(ds, Codes.IPV6_EXTENSION_HEADER);
            assertEquals(1, w.size(), rule + ": " + ds);
            assertEquals(Severity.WARNING, w.get(0).severity());
            assertEquals(4, w.get(0).span().line());
            assertTrue(w.get(0).message().contains("IPv6 extension headers"), w.get(0).message());
            // The witness is a packet the rule does match: an IPv4 one.
            assertNotNull(w.get(0).witness());
            assertEquals(Family.IPV4, w.get(0).witness().family());
            assertEquals(List.of(), only(ds, Codes.EMPTY), rule);
        }
        // IPv4 addresses say the rule is for IPv4: nothing to warn about.
        assertEquals(List.of(), only(check("    r: deny proto 44 from any4 to any4;\n"), Codes.IPV6_EXTENSION_HEADER));
        assertEquals(List.of(), only(check("    r: deny proto 50;\n"), Codes.IPV6_EXTENSION_HEADER), "ESP ends the walk");
    }

    @Test
    void aRuleForIpv6OnlyMatchesNothing() throws Exception {
        List<Diagnostic> ds = check("    r: deny proto 44 from any6 to any6;\n");
        List<Diagnostic> e = only(ds, Codes.EMPTY);
        assertEquals(1, e.size(), ds.toString());
        assertTrue(e.get(0).help().contains("IPv6 fragment header"), e.get(0).help());
        assertEquals(List.of(), only(ds, Codes.IPV6_EXTENSION_HEADER));
        // An empty rule denies nothing, so there is no dual-stack bypass to report.
        assertEquals(List.of(), only(ds, Codes.IPV6_OPEN));
        // Nor for an IPv4 rule on a protocol IPv6 packets never have: there is no such IPv6 traffic.
        assertEquals(List.of(), only(check("    r: deny proto 44 from any4 to any4;\n"), Codes.IPV6_OPEN));
        // The check still works for the protocols both families have.
        assertEquals(1, only(check("    r: deny proto 47 from any4 to any4;\n"), Codes.IPV6_OPEN).size());
    }

    @Test
    void theEvaluatorAgrees() throws Exception {
        Loader.LoadResult r = load("policy p {\n    default allow;\n    r: deny proto 43;\n"
                + "    expect deny proto 43 192.0.2.1 -> 198.51.100.1;\n"
                + "    expect allow proto 59 2001:db8::1 -> 2001:db8::2;\n}\n");
        assertEquals(List.of(), r.diagnostics());
        ResolvedPolicy p = r.policies().get(0);
        assertEquals(Action.DENY, p.expects().get(0).action());
        assertEquals(Action.DENY, Evaluator.evaluate(p, p.expects().get(0).packet()).action());
        assertEquals(Action.ALLOW, Evaluator.evaluate(p, p.expects().get(1).packet()).action());
        assertEquals(List.of(), only(Checker.check(p, List.of(), TODAY), Codes.EXPECT));
    }

    @Test
    void anIpv6PacketWithSuchAProtocolIsRefused() throws Exception {
        for (int proto : new int[] {0, 43, 44, 51, 60}) {
            Loader.LoadResult r = load("policy p {\n    default allow;\n    expect deny proto " + proto
                    + " 2001:db8::1 -> 2001:db8::2;\n}\n");
            List<Diagnostic> bad = only(r.diagnostics(), Codes.BAD_PACKET);
            assertEquals(1, bad.size(), proto + ": " + r.diagnostics());
            assertEquals(3, bad.get(0).span().line());
            assertTrue(bad.get(0).message().contains("never has protocol " + proto), bad.get(0).message());
        }
    }
}
