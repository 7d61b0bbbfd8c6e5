package io.portcullis.diag;

import io.portcullis.ir.Packet;
import java.util.List;

/**
 * One finding: a stable code, a severity, where it is, what is wrong and what to do about it.
 * Consistency and property findings also carry the policy, the rule's label, the related rules and a witness packet.
 *
 * @param code     stable code from {@link Codes}
 * @param severity effective severity
 * @param span     where (never null; file-level problems point at line 1 column 1)
 * @param message  one line, no trailing period
 * @param help     what to do about it, or null
 * @param policy   the policy (or guard) name the finding is about, or null
 * @param rule     the label of the rule the finding is about, or null
 * @param related  the rules that decide the witness, in order
 * @param witness  a concrete packet that shows the finding, or null
 * @param waiver   the reason of the waiver that accepted this finding, or null when not waived
 */
public record Diagnostic(String code, Severity severity, Span span, String message, String help,
                         String policy, String rule, List<Related> related, Packet witness, String waiver) {

    public Diagnostic {
        related = related == null ? List.of() : List.copyOf(related);
    }

    /** A plain diagnostic (syntax, resolution) with no finding details. */
    public static Diagnostic of(String code, Severity severity, Span span, String message, String help) {
        return new Diagnostic(code, severity, span, message, help, null, null, List.of(), null, null);
    }

    public static Diagnostic error(String code, Span span, String message, String help) {
        return of(code, Severity.ERROR, span, message, help);
    }

    public Diagnostic withSeverity(Severity s) {
        return new Diagnostic(code, s, span, message, help, policy, rule, related, witness, waiver);
    }

    public Diagnostic waived(String reason) {
        return new Diagnostic(code, severity, span, message, help, policy, rule, related, witness, reason);
    }

    public boolean isWaived() { return waiver != null; }

    /** A rule related to a finding: its label (or null), its 1-based line and its 0-based index in the policy (-1 for the default). */
    public record Related(String rule, int line, int index, String description) {}
}
