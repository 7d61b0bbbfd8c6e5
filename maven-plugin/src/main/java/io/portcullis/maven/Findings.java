package io.portcullis.maven;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Turns findings into Maven log lines and the one failure message; no Maven types, so it is tested alone. */
final class Findings {
    private Findings() {}

    /** One finding as log lines: {@code file:line: code: message}, then the witness and the help when present. */
    static List<String> lines(Diagnostic d, File basedir) {
        List<String> lines = new ArrayList<>();
        String head = location(d, basedir) + ": " + d.code() + ": " + d.message();
        if (d.isWaived()) head += " (waived: " + d.waiver() + ")";
        lines.add(head);
        if (d.witness() != null) {
            String decidedBy = d.related().stream()
                    .map(r -> (r.rule() != null ? "'" + r.rule() + "'" : r.index() < 0 ? "the default" : "rule #" + (r.index() + 1))
                            + " (line " + r.line() + ")")
                    .collect(Collectors.joining(", "));
            lines.add("    witness: " + d.witness() + (decidedBy.isEmpty() ? "" : ", decided by " + decidedBy));
        }
        if (d.help() != null && !d.help().isBlank()) lines.add("    help: " + d.help());
        return lines;
    }

    /** The file relative to the project when it lies inside it (shorter, and stable across machines). */
    static String location(Diagnostic d, File basedir) {
        if (d.span() == null || d.span().file() == null) return "<unknown>:1";
        String file = d.span().file().displayName();
        Path path = d.span().file().path();
        if (path != null && basedir != null) {
            Path abs = path.toAbsolutePath().normalize();
            Path base = basedir.toPath().toAbsolutePath().normalize();
            file = abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
        }
        return file + ":" + d.span().line();
    }

    static long count(List<Diagnostic> diagnostics, Severity s) {
        return diagnostics.stream().filter(d -> !d.isWaived() && d.severity() == s).count();
    }

    /** The message of the single failure thrown at the end: the counts, and how to see or relax them. */
    static String failure(String what, List<Diagnostic> diagnostics, Severity failOn) {
        long errors = count(diagnostics, Severity.ERROR);
        long warnings = count(diagnostics, Severity.WARNING);
        return "Portcullis " + what + " failed: " + errors + (errors == 1 ? " error" : " errors") + ", " + warnings
                + (warnings == 1 ? " warning" : " warnings") + " (failing on " + failOn.label()
                + "; the findings are logged above)";
    }
}
