package io.portcullis.report;

import io.portcullis.check.Checker;
import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Real inputs for the report tests: the bundled policies, every golden case, and policies written to show every kind of finding. */
public final class Fixtures {
    private Fixtures() {}

    /** A check run as the driver does it: load, check every policy with every guard, stable order. */
    public record Run(String name, List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {}

    static final LocalDate TODAY = LocalDate.of(2026, 11, 25);

    public static Run check(String name, List<Path> inputs) throws Exception {
        Loader.LoadResult r = Loader.load(inputs);
        List<Diagnostic> all = new ArrayList<>(r.diagnostics());
        for (ResolvedPolicy p : r.policies()) all.addAll(Checker.check(p, r.guards(), TODAY));
        all.sort(Comparator.comparing((Diagnostic d) -> d.span().file() == null ? "" : d.span().file().displayName())
                .thenComparingInt(d -> d.span().line()).thenComparingInt(d -> d.span().column())
                .thenComparing(Diagnostic::code).thenComparing(Diagnostic::message));
        return new Run(name, r.policies(), r.guards(), List.copyOf(all));
    }

    /** Findings of every kind: conflicts, waivers (used, unused, expired, expiring), failing expects, asserts and guards. */
    static final String MIXED = """
            network office = { 192.0.2.0/24, 2001:db8:100::/48 };
            network web = 10.1.0.0/16;
            network db = { 10.2.0.0/16, fd00:db::/64 };
            network spare = 10.9.0.0/16;
            service https = tcp 443;

            policy mixed {
                default deny;
                low:    allow tcp to 10.0.0.0/25 port 443;
                high:   allow tcp to 10.0.0.128/25 port 443;
                no-web: deny tcp to 10.0.0.0/24 port 443;
                web-in: allow https from any to web;
                waive exposed-admin-port "bastion; reviewed" until 2099-01-01;
                ssh:    allow tcp from any to 10.1.0.5 port 22;
                waive redundant "old waiver" until 2020-01-01;
                again:  allow tcp from any to 10.1.0.0/24 port 443;
                waive shadowed "nothing to accept";
                db:     allow tcp from web to db port 5432;
                rdp:    allow tcp from any to web port 3389;
                expect allow tcp 192.0.2.7:40000 -> 10.1.3.4:443;
                expect deny  tcp 192.0.2.7:40000 -> 10.1.3.4:443;
                assert deny tcp new from any except web to db port 5432;
                assert deny tcp new from any to web port 22;
            }

            policy open on tc ingress {
                waive default-allow "deny-list by design" until 2026-12-01;
                default allow;
                no-telnet: deny tcp from any to any port 23;
            }

            guard baseline {
                assert deny tcp new from any except office to any port 3389;
                assert deny udp from any to any port 161;
            }
            """;

    static Path write(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    /** The repository's bundled policies, each golden case, and {@link #MIXED} (written under {@code tmp}). */
    public static List<Run> all(Path tmp) throws Exception {
        List<Run> runs = new ArrayList<>();
        runs.add(check("bundled", List.of(Path.of("../policies"))));
        try (Stream<Path> s = Files.list(Path.of("../golden-tests/cases"))) {
            for (Path c : s.sorted().toList()) runs.add(check("golden " + c.getFileName(), List.of(c)));
        }
        runs.add(check("mixed", List.of(write(tmp, "mixed/mixed.policy", MIXED))));
        runs.add(check("syntax error", List.of(write(tmp, "broken/broken.policy",
                "policy broken {\n    default deny;\n    allow tcp from 10.0.0.1/8 to any port 99999;\n    allow tcp to\n}\n"))));
        return runs;
    }
}
