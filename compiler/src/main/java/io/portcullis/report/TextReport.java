package io.portcullis.report;

import io.portcullis.diag.Diagnostic;
import java.util.List;

/** Human-readable findings: {@code file:line:col: error[code]: message}, source line, caret, related rules, witness. (Owner: front end.) */
public final class TextReport {
    private TextReport() {}

    public static String render(List<Diagnostic> diagnostics, boolean color) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
