package io.portcullis.driver;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Applies severity overrides and puts findings in a stable order (file, line, column, code). */
final class Diagnostics {
    private Diagnostics() {}

    static List<Diagnostic> finish(List<Diagnostic> in, Portcullis.Options options) {
        List<Diagnostic> out = new ArrayList<>();
        for (Diagnostic d : in) {
            Severity s = options.severities().getOrDefault(d.code(), d.severity());
            if (s == Severity.OFF) continue;
            out.add(s == d.severity() ? d : d.withSeverity(s));
        }
        out.sort(ORDER);
        return List.copyOf(out);
    }

    static final Comparator<Diagnostic> ORDER = Comparator
            .comparing((Diagnostic d) -> d.span().file() == null ? "" : d.span().file().displayName())
            .thenComparingInt(d -> d.span().line())
            .thenComparingInt(d -> d.span().column())
            .thenComparing(Diagnostic::code)
            .thenComparing(Diagnostic::message);
}
