package io.portcullis.report;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.ir.Packet;
import io.portcullis.ir.TcpFlag;
import java.util.List;

/**
 * The JSON report of the CLI contract (issue 2): one object with {@code version}, findings and summary. Its schema is
 * {@code docs/schema/portcullis-report.schema.json} (also the resource {@link #SCHEMA_RESOURCE}); {@link #VERSION}
 * changes only when a field changes meaning or goes away, never for an added optional field.
 */
public final class JsonReport {
    private JsonReport() {}

    /** The format version written in every report. */
    public static final int VERSION = 1;
    /** The JSON Schema (draft 2020-12) of this report, on the classpath. */
    public static final String SCHEMA_RESOURCE = "/io/portcullis/report/portcullis-report.schema.json";

    /** One JSON object, keys in a fixed order, so the same findings always give the same bytes. */
    public static String render(List<Diagnostic> diagnostics) {
        StringBuilder sb = new StringBuilder("{\"version\":" + VERSION + ",\"findings\":[");
        boolean first = true;
        for (Diagnostic d : diagnostics) {
            if (d.severity() == Severity.OFF) continue;
            if (!first) sb.append(',');
            first = false;
            finding(sb, d);
        }
        TextReport.Summary s = TextReport.Summary.of(diagnostics);
        sb.append("],\"summary\":{\"errors\":").append(s.errors()).append(",\"warnings\":").append(s.warnings())
                .append(",\"infos\":").append(s.infos()).append(",\"waived\":").append(s.waived()).append("}}");
        return sb.toString();
    }

    private static void finding(StringBuilder sb, Diagnostic d) {
        sb.append('{');
        key(sb, "code").append(str(d.code())).append(',');
        key(sb, "severity").append(str(d.severity().label())).append(',');
        key(sb, "file").append(str(d.span() == null || d.span().file() == null ? null : d.span().file().displayName())).append(',');
        key(sb, "line").append(d.span() == null ? 0 : d.span().line()).append(',');
        key(sb, "column").append(d.span() == null ? 0 : d.span().column()).append(',');
        key(sb, "policy").append(str(d.policy())).append(',');
        key(sb, "rule").append(str(d.rule())).append(',');
        key(sb, "message").append(str(d.message())).append(',');
        key(sb, "help").append(str(d.help())).append(',');
        key(sb, "related").append('[');
        for (int i = 0; i < d.related().size(); i++) {
            Diagnostic.Related r = d.related().get(i);
            if (i > 0) sb.append(',');
            sb.append('{');
            key(sb, "rule").append(str(r.rule())).append(',');
            key(sb, "line").append(r.line()).append(',');
            key(sb, "description").append(str(r.description()));
            sb.append('}');
        }
        sb.append(']');
        if (d.witness() != null) {
            sb.append(',');
            key(sb, "witness");
            witness(sb, d.witness());
        }
        if (d.isWaived()) {
            sb.append(',');
            key(sb, "waived").append(str(d.waiver()));
        }
        sb.append('}');
    }

    /** A witness packet as a JSON object; fields that do not apply to the packet are left out. Shared by every JSON report. */
    public static void witness(StringBuilder sb, Packet p) {
        sb.append('{');
        key(sb, "family").append(str(p.family().label())).append(',');
        String name = Packet.protoName(p.proto(), p.family());
        key(sb, "protocol").append(name.startsWith("proto ") ? String.valueOf(p.proto()) : str(name)).append(',');
        key(sb, "src").append(str(p.src().toString())).append(',');
        key(sb, "dst").append(str(p.dst().toString()));
        if (p.hasPorts()) {
            sb.append(',');
            key(sb, "sport").append(p.sport()).append(',');
            key(sb, "dport").append(p.dport());
        }
        if (p.isTcp() && !p.nonFirstFragment()) {
            sb.append(',');
            key(sb, "flags").append('[');
            boolean first = true;
            for (TcpFlag f : TcpFlag.values()) {
                if (!p.flags().contains(f)) continue;
                if (!first) sb.append(',');
                first = false;
                sb.append(str(f.label()));
            }
            sb.append(']');
        }
        if (p.isIcmp()) {
            sb.append(',');
            key(sb, "icmpType").append(p.icmpType()).append(',');
            key(sb, "icmpCode").append(p.icmpCode());
        }
        if (p.nonFirstFragment()) {
            sb.append(',');
            key(sb, "fragment").append("true");
        }
        sb.append('}');
    }

    private static StringBuilder key(StringBuilder sb, String k) {
        return sb.append('"').append(k).append("\":");
    }

    /** A JSON string literal, or {@code null}. */
    public static String str(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    // U+2028/2029 are legal JSON but break JavaScript consumers that eval or embed the report.
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
