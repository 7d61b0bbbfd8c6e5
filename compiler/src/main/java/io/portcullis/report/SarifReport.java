package io.portcullis.report;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.ResolvedPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SARIF 2.1.0 for code scanning: one run, rule metadata for every code of the catalogue, one result per finding with
 * its physical location (relative to {@link #SRCROOT}), the witness in the message, the deciding rules as related
 * locations, and waived findings as results with an in-source suppression carrying the waiver's reason.
 */
public final class SarifReport {
    private SarifReport() {}

    /** The uriBaseId every artifact location is relative to: the directory the tool ran in (the repository root in CI). */
    public static final String SRCROOT = "SRCROOT";
    static final String SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

    /**
     * @param diagnostics findings in report order
     * @param policies    the policies checked, to place related rules of findings reported elsewhere (guards)
     * @param root        the directory locations are relative to; files outside it get absolute file URIs
     * @param version     the tool's version, or null to leave it out
     */
    public static String render(List<Diagnostic> diagnostics, List<ResolvedPolicy> policies, Path root, String version) {
        Path base = root.toAbsolutePath().normalize();
        Map<String, SourceFile> policyFiles = new HashMap<>();
        for (ResolvedPolicy p : policies) if (p.span() != null) policyFiles.put(p.name(), p.span().file());

        List<String> codes = new ArrayList<>(Codes.catalogue().keySet());
        List<Object> rules = new ArrayList<>();
        for (Codes.Entry e : Codes.catalogue().values()) rules.add(rule(e));

        List<Object> results = new ArrayList<>();
        for (Diagnostic d : diagnostics) {
            if (d.severity() == Severity.OFF) continue;
            results.add(result(d, codes, base, policyFiles));
        }

        Map<String, Object> driver = new LinkedHashMap<>();
        driver.put("name", "Portcullis");
        if (version != null) driver.put("version", version);
        driver.put("rules", rules);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("tool", Map.of("driver", driver));
        // No originalUriBaseIds: SRCROOT's absolute location differs between machines and the report must not;
        // code-scanning consumers resolve SRCROOT-relative URIs against their checkout.
        run.put("columnKind", "utf16CodeUnits");
        run.put("results", results);
        Map<String, Object> log = new LinkedHashMap<>();
        log.put("$schema", SCHEMA);
        log.put("version", "2.1.0");
        log.put("runs", List.of(run));
        return Json.pretty(log);
    }

    private static Map<String, Object> rule(Codes.Entry e) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", e.code());
        r.put("name", camel(e.code()));
        r.put("shortDescription", Map.of("text", e.description()));
        r.put("fullDescription", Map.of("text", e.description() + ". Fix: " + CodeHelp.hint(e.code())));
        r.put("help", Map.of("text", CodeHelp.hint(e.code())));
        r.put("defaultConfiguration", Map.of("level", level(e.severity())));
        return r;
    }

    private static Map<String, Object> result(Diagnostic d, List<String> codes, Path base, Map<String, SourceFile> policyFiles) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ruleId", d.code());
        int index = codes.indexOf(d.code());
        if (index >= 0) r.put("ruleIndex", index);
        r.put("level", level(d.severity()));
        r.put("message", Map.of("text", messageText(d)));
        Span span = d.span();
        if (span != null && span.file() != null && span.line() >= 1) {
            r.put("locations", List.of(Map.of("physicalLocation", physical(span.file(), region(span), base))));
        }
        List<Object> related = new ArrayList<>();
        SourceFile ruleFile = d.policy() != null && policyFiles.containsKey(d.policy()) ? policyFiles.get(d.policy())
                : span == null ? null : span.file();
        for (Diagnostic.Related rel : d.related()) {
            if (rel.line() < 1 || ruleFile == null) continue;
            Map<String, Object> loc = new LinkedHashMap<>();
            loc.put("id", related.size() + 1);
            loc.put("physicalLocation", physical(ruleFile, Map.of("startLine", rel.line()), base));
            loc.put("message", Map.of("text", TextReport.describe(rel)
                    + (rel.description() != null && rel.rule() != null ? ": " + rel.description() : "")));
            related.add(loc);
        }
        if (!related.isEmpty()) r.put("relatedLocations", related);
        if (d.isWaived()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("kind", "inSource");
            s.put("justification", d.waiver());
            r.put("suppressions", List.of(s));
        }
        Map<String, Object> props = new LinkedHashMap<>();
        if (d.policy() != null) props.put("policy", d.policy());
        if (d.rule() != null) props.put("rule", d.rule());
        if (d.witness() != null) props.put("witness", d.witness().toString());
        if (d.help() != null && !d.help().isEmpty()) props.put("help", d.help());
        if (!props.isEmpty()) r.put("properties", props);
        return r;
    }

    /** The message, then the witness and the deciding rules on lines of their own, then the finding's help. */
    static String messageText(Diagnostic d) {
        StringBuilder sb = new StringBuilder(d.message());
        if (d.witness() != null) sb.append("\nWitness: ").append(d.witness());
        if (!d.related().isEmpty()) {
            List<String> names = new ArrayList<>();
            for (Diagnostic.Related r : d.related()) names.add(TextReport.describe(r));
            sb.append("\nDecided by: ").append(String.join(", ", names));
        }
        if (d.help() != null && !d.help().isEmpty()) sb.append("\nHelp: ").append(d.help());
        return sb.toString();
    }

    private static Map<String, Object> physical(SourceFile file, Map<String, Object> region, Path base) {
        Map<String, Object> artifact = new LinkedHashMap<>();
        Path p = file.path() != null ? file.path().toAbsolutePath().normalize() : null;
        if (p != null && p.startsWith(base)) {
            artifact.put("uri", relativeUri(base.relativize(p)));
            artifact.put("uriBaseId", SRCROOT);
        } else if (p != null) {
            artifact.put("uri", p.toUri().toString());
        } else {
            artifact.put("uri", relativeUri(Path.of(file.displayName())));
            artifact.put("uriBaseId", SRCROOT);
        }
        Map<String, Object> loc = new LinkedHashMap<>();
        loc.put("artifactLocation", artifact);
        loc.put("region", region);
        return loc;
    }

    /** Start line and column, and the end when the span's text is known (SARIF's endColumn is exclusive). */
    private static Map<String, Object> region(Span span) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("startLine", span.line());
        if (span.column() >= 1) r.put("startColumn", span.column());
        int[] end = end(span);
        if (end != null) {
            r.put("endLine", end[0]);
            r.put("endColumn", end[1]);
        }
        return r;
    }

    /** The line and exclusive column where the span ends, following line breaks; null when it does not fit the file. */
    static int[] end(Span span) {
        if (span.column() < 1) return null;
        String text = span.file().text();
        int line = 1, i = 0;
        while (line < span.line() && i < text.length()) {
            if (text.charAt(i++) == '\n') line++;
        }
        if (line != span.line()) return null;
        int start = i + span.column() - 1;
        int stop = start + span.length();
        if (start > text.length() || stop > text.length()) return null;
        int endLine = span.line(), col = span.column();
        for (int k = start; k < stop; k++) {
            if (text.charAt(k) == '\n') {
                endLine++;
                col = 1;
            } else {
                col++;
            }
        }
        return new int[] {endLine, col};
    }

    private static String relativeUri(Path rel) {
        List<String> parts = new ArrayList<>();
        for (Path part : rel) parts.add(encode(part.toString()));
        return String.join("/", parts);
    }

    /** Percent-encodes what a URI path segment may not hold (RFC 3986 unreserved characters stay). */
    private static String encode(String segment) {
        StringBuilder sb = new StringBuilder();
        for (byte b : segment.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }

    static String level(Severity s) {
        return switch (s) {
            case ERROR -> "error";
            case WARNING -> "warning";
            default -> "note";
        };
    }

    /** {@code exposed-admin-port} becomes {@code ExposedAdminPort}. */
    private static String camel(String code) {
        StringBuilder sb = new StringBuilder();
        for (String part : code.split("-")) {
            if (!part.isEmpty()) sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return sb.toString();
    }
}
