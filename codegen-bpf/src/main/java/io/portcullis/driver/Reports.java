package io.portcullis.driver;

import io.portcullis.diag.Severity;
import io.portcullis.report.JsonReport;
import io.portcullis.report.JunitReport;
import io.portcullis.report.SarifReport;
import io.portcullis.report.TextReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/** The report formats of a check run, one call each, for the CLI and the Maven plugin. */
public final class Reports {
    private Reports() {}

    public enum Format {
        TEXT("txt"), JSON("json"), SARIF("sarif"), JUNIT("xml"), HTML("html");

        private final String extension;

        Format(String extension) { this.extension = extension; }

        public String label() { return name().toLowerCase(Locale.ROOT); }

        /** The file name the plugin writes this format to, e.g. {@code portcullis.sarif}. */
        public String fileName() { return this == JUNIT ? "TEST-portcullis.xml" : "portcullis." + extension; }

        /** {@code text}, {@code json}, {@code sarif}, {@code junit} or {@code html}; null for anything else. */
        public static Format parse(String s) {
            for (Format f : values()) if (f.label().equals(s.trim().toLowerCase(Locale.ROOT))) return f;
            return null;
        }
    }

    /**
     * How a report is made: {@code root} is the directory SARIF locations are relative to, {@code version} the tool's
     * version (or null), {@code colour} for text, {@code kernel} whether the HTML report may run the kernel verifier.
     */
    public record Context(Path root, String version, boolean colour, boolean kernel) {}

    public static String render(Format f, Portcullis.CheckResult r, Portcullis.Options options, Context c) {
        return switch (f) {
            case TEXT -> TextReport.render(r.diagnostics(), c.colour());
            case JSON -> JsonReport.render(r.diagnostics()) + "\n";
            case SARIF -> SarifReport.render(r.diagnostics(), r.policies(), c.root(), c.version());
            case JUNIT -> JunitReport.render(r.diagnostics(), r.policies(), r.guards(),
                    options.failOn() == null ? Severity.ERROR : options.failOn());
            case HTML -> HtmlReport.render(r, options.today(), c.kernel(), c.version());
        };
    }

    /** Writes a report to a temporary file beside {@code target}, then moves it into place: never a partial report. */
    public static void write(Path target, String content) throws IOException {
        Builder.writeAtomically(target, content.getBytes(StandardCharsets.UTF_8));
    }
}
