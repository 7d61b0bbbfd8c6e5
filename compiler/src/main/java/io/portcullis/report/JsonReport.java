package io.portcullis.report;

import io.portcullis.diag.Diagnostic;
import java.util.List;

/** The JSON report of the CLI contract (issue 2): one object with findings and summary. (Owner: front end.) */
public final class JsonReport {
    private JsonReport() {}

    public static String render(List<Diagnostic> diagnostics) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
