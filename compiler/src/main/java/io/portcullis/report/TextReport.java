package io.portcullis.report;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.Span;
import java.util.ArrayList;
import java.util.List;

/** Human-readable findings: {@code file:line:col: error[code]: message}, source line, caret, related rules, witness. (Owner: front end.) */
public final class TextReport {
    private TextReport() {}

    private static final String RESET = "\u001b[0m";
    private static final String BOLD = "\u001b[1m";
    private static final String RED = "\u001b[1;31m";
    private static final String YELLOW = "\u001b[33m";
    private static final String CYAN = "\u001b[36m";
    private static final String DIM = "\u001b[2m";
    private static final String BLUE = "\u001b[34m";

    public static String render(List<Diagnostic> diagnostics, boolean color) {
        StringBuilder sb = new StringBuilder();
        Summary summary = Summary.of(diagnostics);
        for (Diagnostic d : diagnostics) {
            if (d.severity() == Severity.OFF) continue;
            renderOne(sb, d, color);
        }
        sb.append(summary.text()).append('\n');
        return sb.toString();
    }

    private static void renderOne(StringBuilder sb, Diagnostic d, boolean color) {
        Span span = d.span();
        String kind = d.isWaived() ? "waived" : d.severity().label();
        String paint = !color ? "" : d.isWaived() ? DIM : switch (d.severity()) {
            case ERROR -> RED;
            case WARNING -> YELLOW;
            default -> CYAN;
        };
        String reset = color ? RESET : "";
        sb.append(color ? BOLD : "").append(span == null ? "<unknown>" : span.location()).append(':').append(reset)
                .append(' ').append(paint).append(kind).append('[').append(d.code()).append(']').append(reset)
                .append(": ").append(d.message()).append('\n');

        int width = 4;
        String source = span == null || span.file() == null ? "" : span.file().line(span.line());
        boolean snippet = span != null && span.file() != null && span.line() >= 1
                && span.column() >= 1 && span.column() <= source.length() + 1 && !(source.isEmpty() && span.column() > 1);
        if (snippet) {
            width = Math.max(width, String.valueOf(span.line()).length());
            String gutter = " ".repeat(width) + " | ";
            String bar = color ? BLUE : "";
            sb.append(bar).append(pad(String.valueOf(span.line()), width)).append(" | ").append(reset)
                    .append(source).append('\n');
            StringBuilder marks = new StringBuilder();
            for (int i = 0; i < span.column() - 1 && i < source.length(); i++) {
                marks.append(source.charAt(i) == '\t' ? '\t' : ' ');
            }
            int room = source.length() - (span.column() - 1);
            int carets = Math.max(1, Math.min(span.length(), room));
            sb.append(bar).append(gutter).append(reset).append(marks).append(paint).append("^".repeat(carets))
                    .append(reset).append('\n');
        }
        String note = " ".repeat(width + 1) + "= ";
        if (d.witness() != null) sb.append(note).append("witness: ").append(d.witness()).append('\n');
        if (!d.related().isEmpty()) {
            List<String> rules = new ArrayList<>();
            for (Diagnostic.Related r : d.related()) rules.add(describe(r));
            sb.append(note).append("decided by: ").append(String.join(", ", rules)).append('\n');
        }
        if (d.help() != null && !d.help().isEmpty()) sb.append(note).append("help: ").append(d.help()).append('\n');
        if (d.isWaived()) sb.append(note).append("waived: ").append(quote(d.waiver())).append('\n');
    }

    static String describe(Diagnostic.Related r) {
        String name = r.rule() != null ? r.rule()
                : r.description() != null ? r.description()
                : r.index() < 0 ? "default" : "rule #" + (r.index() + 1);
        return r.line() > 0 ? name + " (line " + r.line() + ")" : name;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    /** Counts of unwaived findings by severity, and of waived ones. */
    record Summary(int errors, int warnings, int infos, int waived) {
        static Summary of(List<Diagnostic> diagnostics) {
            int e = 0, w = 0, i = 0, v = 0;
            for (Diagnostic d : diagnostics) {
                if (d.severity() == Severity.OFF) continue;
                if (d.isWaived()) { v++; continue; }
                switch (d.severity()) {
                    case ERROR -> e++;
                    case WARNING -> w++;
                    case INFO -> i++;
                    default -> { }
                }
            }
            return new Summary(e, w, i, v);
        }

        String text() {
            String s = count(errors, "error") + ", " + count(warnings, "warning") + ", " + count(infos, "info");
            return waived > 0 ? s + ", " + waived + " waived" : s;
        }

        private static String count(int n, String what) { return n + " " + what + (n == 1 ? "" : "s"); }
    }
}
