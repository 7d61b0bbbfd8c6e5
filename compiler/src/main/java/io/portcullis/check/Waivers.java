package io.portcullis.check;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Waiver;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a policy's waivers to its findings. A waiver accepts findings of one code on the rule that follows it;
 * the finding stays in every report, marked with the reason. A waiver past its date is an error and accepts nothing.
 */
public final class Waivers {
    private Waivers() {}

    public static List<Diagnostic> apply(ResolvedPolicy policy, List<Diagnostic> findings, LocalDate today) {
        List<Diagnostic> out = new ArrayList<>();
        for (ResolvedRule r : policy.rules()) {
            for (Waiver w : r.waivers()) {
                if (expired(w, today)) {
                    out.add(new Diagnostic(Codes.WAIVER_EXPIRED, Codes.defaultSeverity(Codes.WAIVER_EXPIRED), w.span(),
                            "waiver for '" + w.code() + "' on rule " + r.displayName() + " expired on " + w.until(),
                            "fix the finding, or renew the waiver with a new date after review",
                            policy.name(), r.label(), List.of(), null, null));
                }
            }
        }
        for (Diagnostic d : findings) {
            Waiver w = waiverFor(policy, d, today);
            out.add(w == null ? d : d.waived(w.reason()));
        }
        return out;
    }

    static boolean expired(Waiver w, LocalDate today) { return w.until() != null && w.until().isBefore(today); }

    /** The live waiver on the rule a finding is about (matched by the rule's span), or null. */
    private static Waiver waiverFor(ResolvedPolicy policy, Diagnostic d, LocalDate today) {
        for (ResolvedRule r : policy.rules()) {
            if (!r.span().equals(d.span())) continue;
            for (Waiver w : r.waivers()) {
                if (!expired(w, today) && w.code().equals(d.code())) return w;
            }
        }
        return null;
    }
}
