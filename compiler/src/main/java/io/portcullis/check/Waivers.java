package io.portcullis.check;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Span;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Waiver;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a policy's waivers to its findings. A waiver accepts the findings of one code on the rule that follows it
 * (or, written before {@code default}, on the policy's default). The finding stays in every report, marked with the
 * reason. A waiver past its date is an error and accepts nothing; one close to its date is a warning; one that
 * accepts nothing is a warning too, so stale waivers do not pile up.
 */
public final class Waivers {
    private Waivers() {}

    public static List<Diagnostic> apply(ResolvedPolicy policy, List<Diagnostic> findings, LocalDate today) {
        return apply(policy, findings, today, CheckConfig.DEFAULTS);
    }

    public static List<Diagnostic> apply(ResolvedPolicy policy, List<Diagnostic> findings, LocalDate today,
                                         CheckConfig config) {
        List<Diagnostic> out = new ArrayList<>();
        Set<Waiver> used = new HashSet<>();
        // Each finding looks its rule up by span: a map, since a scan of every rule per finding was quadratic (about
        // a second at 10k rules, hours' worth at 100k).
        Map<Span, List<Waiver>> bySpan = new HashMap<>();
        for (ResolvedRule r : policy.rules()) bySpan.put(r.span(), r.waivers()); // the last rule with the span wins, as before
        for (Diagnostic d : findings) {
            Waiver w = waiverFor(policy, bySpan, d, today);
            if (w != null) used.add(w);
            out.add(w == null ? d : d.waived(w.reason()));
        }
        for (ResolvedRule r : policy.rules()) {
            for (Waiver w : r.waivers()) review(policy, w, "rule " + Unsafe.quoted(r), r.label(), used, today, config, out);
        }
        for (Waiver w : policy.defaultWaivers()) review(policy, w, "the default", null, used, today, config, out);
        return out;
    }

    private static void review(ResolvedPolicy policy, Waiver w, String on, String label, Set<Waiver> used,
                               LocalDate today, CheckConfig config, List<Diagnostic> out) {
        if (expired(w, today)) {
            out.add(finding(policy, Codes.WAIVER_EXPIRED, w.span(), "waiver for '" + w.code() + "' on " + on
                    + " expired on " + w.until(), "fix the finding, or renew the waiver with a new date after review", label));
            return;
        }
        if (!used.contains(w) && Codes.known(w.code())) {
            out.add(finding(policy, Codes.WAIVER_UNUSED, w.span(), "waiver for '" + w.code() + "' on " + on
                    + " accepts nothing: there is no such finding there", "delete the waiver", label));
        }
        if (w.until() != null) {
            long days = ChronoUnit.DAYS.between(today, w.until());
            if (days <= config.waiverWindowDays()) {
                out.add(finding(policy, Codes.WAIVER_EXPIRING, w.span(), "waiver for '" + w.code() + "' on " + on
                        + " expires on " + w.until() + " (in " + days + (days == 1 ? " day)" : " days)"),
                        "review it before then: fix the finding or renew the waiver", label));
            }
        }
    }

    private static Diagnostic finding(ResolvedPolicy policy, String code, Span span, String message, String help,
                                      String label) {
        return new Diagnostic(code, Codes.defaultSeverity(code), span, message, help, policy.name(), label, List.of(),
                null, null);
    }

    static boolean expired(Waiver w, LocalDate today) { return w.until() != null && w.until().isBefore(today); }

    /** The live waiver on the rule (or default) a finding is reported at, matched by span, or null. */
    private static Waiver waiverFor(ResolvedPolicy policy, Map<Span, List<Waiver>> bySpan, Diagnostic d, LocalDate today) {
        List<Waiver> candidates = d.span() == null ? null : bySpan.get(d.span());
        if (candidates == null) candidates = List.of();
        if (candidates.isEmpty() && policy.defaultSpan() != null && policy.defaultSpan().equals(d.span())) {
            candidates = policy.defaultWaivers();
        }
        for (Waiver w : candidates) {
            if (!expired(w, today) && w.code().equals(d.code())) return w;
        }
        return null;
    }
}
