package io.portcullis.ir;

import io.portcullis.diag.Span;
import java.util.List;

/**
 * A rule after resolution. {@code index} is its 0-based position among the policy's rules.
 * {@code span} covers the whole rule; {@code waivers} are the waivers written just before it.
 */
public record ResolvedRule(int index, String label, Action action, RuleMatch match, Span span, List<Waiver> waivers) {
    public ResolvedRule {
        waivers = List.copyOf(waivers);
    }

    /** The label, or {@code #N} (1-based) for an unlabelled rule. */
    public String displayName() { return label != null ? label : "#" + (index + 1); }
}
