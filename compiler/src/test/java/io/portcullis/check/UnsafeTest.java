package io.portcullis.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unsafe-policy catalogue and waivers, from policy text, with the witness of every finding checked. */
class UnsafeTest {
    static final LocalDate TODAY = LocalDate.of(2026, 11, 25);
    static final List<String> CATALOGUE = List.of(Codes.DEFAULT_ALLOW, Codes.ALLOW_ALL, Codes.EXPOSED_ADMIN_PORT,
            Codes.BROAD_SOURCE, Codes.IPV6_OPEN, Codes.NDP_BLOCKED);
    @TempDir Path dir;

    List<Diagnostic> check(String body) throws Exception {
        return check(body, CheckConfig.DEFAULTS);
    }

    List<Diagnostic> check(String body, CheckConfig config) throws Exception {
        Path f = dir.resolve("p.policy");
        Files.writeString(f, "policy p {\n" + body + "\n}\n");
        Loader.LoadResult r = Loader.load(List.of(f));
        assertEquals(List.of(), r.diagnostics().stream().filter(d -> d.severity() == io.portcullis.diag.Severity.ERROR).toList());
        ResolvedPolicy p = r.policies().get(0);
        List<Diagnostic> ds = Checker.check(p, List.of(), TODAY, config);
        for (Diagnostic d : ds) {
            if (d.witness() == null || !CATALOGUE.contains(d.code())) continue;
            Evaluator.Decision got = Evaluator.evaluate(p, d.witness());
            assertEquals(got.ruleIndex(), d.related().get(0).index(), "related names the deciding rule: " + d);
            boolean deniedCode = d.code().equals(Codes.NDP_BLOCKED);
            assertEquals(deniedCode ? Action.DENY : Action.ALLOW, got.action(), "the witness shows the finding: " + d);
        }
        return ds;
    }

    static List<String> codes(List<Diagnostic> ds, String code) {
        return ds.stream().filter(d -> d.code().equals(code))
                .map(d -> d.span().line() + (d.isWaived() ? " waived" : "")).toList();
    }

    static final String V6_BASICS = "    ndp: allow icmpv6 type { neighbor-solicitation, neighbor-advertisement,"
            + " router-advertisement, packet-too-big };\n";

    @Test
    void defaultAllow() throws Exception {
        assertEquals(List.of("2"), codes(check("    default allow;\n" + V6_BASICS), Codes.DEFAULT_ALLOW));
        assertEquals(List.of(), codes(check("    default deny;\n" + V6_BASICS), Codes.DEFAULT_ALLOW));
        // Waived before `default`, and a default that never applies gives nothing.
        assertEquals(List.of("3 waived"), codes(check("    waive default-allow \"deny-list by design\";\n    default allow;\n"
                + V6_BASICS), Codes.DEFAULT_ALLOW));
        assertEquals(List.of(), codes(check("    default allow;\n    all: deny;\n"), Codes.DEFAULT_ALLOW));
    }

    @Test
    void allowAll() throws Exception {
        assertEquals(List.of("3"), codes(check("    default deny;\n    everything: allow from any to any;\n"), Codes.ALLOW_ALL));
        assertEquals(List.of("3"), codes(check("    default deny;\n    wide: allow from 10.0.0.0/8 to 0.0.0.0/1;\n"), Codes.ALLOW_ALL));
        assertEquals(List.of(), codes(check("    default deny;\n    web: allow tcp from any to any port 443;\n"), Codes.ALLOW_ALL));
        assertEquals(List.of(), codes(check("    default deny;\n    lan: allow from 10.1.0.0/16 to 10.2.0.0/16;\n"), Codes.ALLOW_ALL));
    }

    @Test
    void exposedAdminPort() throws Exception {
        List<Diagnostic> ds = check("    default deny;\n" + V6_BASICS + "    ssh: allow tcp to 10.0.0.5 port 22;\n");
        assertEquals(List.of("4"), codes(ds, Codes.EXPOSED_ADMIN_PORT));
        Diagnostic d = ds.stream().filter(x -> x.code().equals(Codes.EXPOSED_ADMIN_PORT)).findFirst().orElseThrow();
        assertFalse(Unsafe.PRIVATE.contains(d.witness().src()), "the witness comes from outside: " + d.witness());
        // Only from private ranges, or only established: not exposed.
        assertEquals(List.of(), codes(check("    default deny;\n" + V6_BASICS
                + "    ssh: allow tcp from 10.0.0.0/8 to 10.0.0.5 port 22;\n"
                + "    replies: allow tcp established to any port 22;\n"), Codes.EXPOSED_ADMIN_PORT));
        // Through the default.
        assertEquals(List.of("2"), codes(check("    default allow;\n    no-web: deny tcp to any port 80;\n"), Codes.EXPOSED_ADMIN_PORT));
        // The list is the organisation's: with only 8443 on it, port 22 is fine and 8443 is not.
        CheckConfig custom = new CheckConfig(CheckConfig.parsePorts("8443"), 30);
        assertEquals(List.of(), codes(check("    default deny;\n    ssh: allow tcp to any port 22;\n", custom), Codes.EXPOSED_ADMIN_PORT));
        assertEquals(List.of("3"), codes(check("    default deny;\n    ui: allow tcp to any port 8443;\n", custom), Codes.EXPOSED_ADMIN_PORT));
        // UDP counts too (memcached amplification).
        assertEquals(List.of("3"), codes(check("    default deny;\n    mc: allow udp to any port 11211;\n"), Codes.EXPOSED_ADMIN_PORT));
    }

    @Test
    void broadSource() throws Exception {
        assertEquals(List.of("3"), codes(check("    default deny;\n    a: allow tcp from 0.0.0.0/2 to 10.0.0.1 port 443;\n"), Codes.BROAD_SOURCE));
        assertEquals(List.of("3"), codes(check("    default deny;\n    a: allow tcp from 2000::/4 to any6 port 443;\n"), Codes.BROAD_SOURCE));
        // any, any minus a few ranges, /8 exactly, and private ranges are not broad sources.
        assertEquals(List.of(), codes(check("    default deny;\n"
                + "    a: allow tcp from any to 10.0.0.1 port 443;\n"
                + "    b: allow tcp from any except { 10.0.0.0/8, 224.0.0.0/3 } to 10.0.0.2 port 443;\n"
                + "    c: allow tcp from 11.0.0.0/8 to 10.0.0.3 port 443;\n"
                + "    d: allow tcp from 172.16.0.0/12 to 10.0.0.4 port 443;\n"
                + "    e: allow icmpv6 type router-advertisement from fe80::/10;\n"), Codes.BROAD_SOURCE));
    }

    @Test
    void ipv6Open() throws Exception {
        // Telnet is denied over IPv4 only, and the default lets IPv6 telnet in.
        List<Diagnostic> ds = check("    default allow;\n" + V6_BASICS + "    no-telnet: deny tcp from any4 to any4 port 23;\n");
        assertEquals(List.of("4"), codes(ds, Codes.IPV6_OPEN));
        Diagnostic d = ds.stream().filter(x -> x.code().equals(Codes.IPV6_OPEN)).findFirst().orElseThrow();
        assertEquals(io.portcullis.ir.Family.IPV6, d.witness().family());
        assertEquals(23, d.witness().dport());
        // The reverse.
        assertEquals(List.of("4"), codes(check("    default allow;\n" + V6_BASICS
                + "    no-smb: deny tcp from any6 to any6 port 445;\n"), Codes.IPV6_OPEN));
        // Denied for both families, or a default deny: no bypass. A deny of one host is not "a kind of traffic".
        assertEquals(List.of(), codes(check("    default allow;\n" + V6_BASICS
                + "    no-telnet: deny tcp to any port 23;\n"
                + "    bad-host: deny from 203.0.113.66;\n"), Codes.IPV6_OPEN));
        assertEquals(List.of(), codes(check("    default deny;\n    no-telnet: deny tcp from any4 to any4 port 23;\n"), Codes.IPV6_OPEN));
    }

    @Test
    void ndpBlocked() throws Exception {
        List<Diagnostic> ds = check("    default deny;\n    web: allow tcp to 2001:db8::80 port 443;\n");
        assertEquals(List.of("2"), codes(ds, Codes.NDP_BLOCKED), "one finding for everything the default denies");
        Diagnostic d = ds.stream().filter(x -> x.code().equals(Codes.NDP_BLOCKED)).findFirst().orElseThrow();
        assertTrue(d.message().contains("neighbor-solicitation") && d.message().contains("packet-too-big"), d.message());
        assertEquals(List.of(), codes(check("    default deny;\n" + V6_BASICS + "    web: allow tcp to 2001:db8::80 port 443;\n"),
                Codes.NDP_BLOCKED));
        // An explicit deny is named as the culprit.
        List<Diagnostic> ds2 = check("    default deny;\n    no-icmp: deny icmpv6;\n" + V6_BASICS);
        assertEquals(List.of("3"), codes(ds2, Codes.NDP_BLOCKED));
    }

    @Test
    void waiversExpiringUnusedAndExpired() throws Exception {
        List<Diagnostic> ds = check("    default deny;\n" + V6_BASICS
                + "    waive exposed-admin-port \"bastion\" until 2026-12-10;\n"
                + "    ssh: allow tcp to 10.0.0.5 port 22;\n"
                + "    waive shadowed \"nothing here\";\n"
                + "    web: allow tcp to 10.0.0.6 port 443;\n"
                + "    waive exposed-admin-port \"old\" until 2026-01-01;\n"
                + "    db: allow tcp to 10.0.0.7 port 5432;\n");
        assertEquals(List.of("4"), codes(ds, Codes.WAIVER_EXPIRING), "15 days before its date, within 30");
        assertEquals(List.of("6"), codes(ds, Codes.WAIVER_UNUSED));
        assertEquals(List.of("8"), codes(ds, Codes.WAIVER_EXPIRED));
        assertEquals(List.of("5 waived", "9"), codes(ds, Codes.EXPOSED_ADMIN_PORT), "an expired waiver accepts nothing");
        // The window is configurable.
        List<Diagnostic> narrow = check("    default deny;\n" + V6_BASICS
                + "    waive exposed-admin-port \"bastion\" until 2026-12-10;\n"
                + "    ssh: allow tcp to 10.0.0.5 port 22;\n", new CheckConfig(CheckConfig.DEFAULT_ADMIN_PORTS, 7));
        assertEquals(List.of(), codes(narrow, Codes.WAIVER_EXPIRING));
        assertNotNull(narrow);
    }
}
