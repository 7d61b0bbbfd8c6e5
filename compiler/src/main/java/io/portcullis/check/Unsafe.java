package io.portcullis.check;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.space.PolicySets;
import java.util.ArrayList;
import java.util.List;

/** The unsafe-policy catalogue, computed on packet sets rather than on syntax. */
public final class Unsafe {
    private Unsafe() {}

    public static List<Diagnostic> check(PolicySets sets) {
        List<Diagnostic> out = new ArrayList<>();
        ResolvedPolicy p = sets.policy();
        if (p.defaultAction() == Action.ALLOW) {
            out.add(new Diagnostic(Codes.DEFAULT_ALLOW, Codes.defaultSeverity(Codes.DEFAULT_ALLOW), p.defaultSpan(),
                    "policy '" + p.name() + "' allows every packet that no rule matches (default allow)",
                    "prefer `default deny;` with explicit allows; if this is a deliberate deny-list, waive default-allow"
                            + " on the policy's first rule",
                    p.name(), null, List.of(), sets.space().witness(sets.decidedByDefault()), null));
        }
        return out;
    }
}
