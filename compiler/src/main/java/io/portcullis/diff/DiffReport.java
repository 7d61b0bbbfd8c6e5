package io.portcullis.diff;

import io.portcullis.report.JsonReport;

import io.portcullis.diff.DiffResult.Kind;
import io.portcullis.diff.DiffResult.PolicyDiff;
import io.portcullis.diff.DiffResult.Region;
import io.portcullis.diff.DiffResult.Side;
import io.portcullis.ir.Packet;
import java.util.List;

/** The diff as text (one block per region) and as one versioned JSON object. Both deterministic. */
public final class DiffReport {
    private DiffReport() {}

    /** The JSON format's version; bumped on any incompatible change of shape. */
    public static final int VERSION = 1;

    /** Log or terminal lines for one region: the summary, the witness, the rule on each side. */
    public static List<String> lines(Region r) {
        String head = r.policy() + ": " + r.line();
        String witness = r.witness() == null ? "non-IP frame" : r.witness().toString();
        return List.of(head,
                "   = witness: " + witness,
                "   = now:    " + sideText(r.newSide(), "new"),
                "   = before: " + sideText(r.oldSide(), "old"));
    }

    private static String sideText(Side s, String version) {
        if (s == null) return "no such policy in the " + version + " version";
        return (s.action() == io.portcullis.ir.Action.ALLOW ? "allowed" : "denied") + " by " + s.describe();
    }

    public static String text(DiffResult d) {
        StringBuilder sb = new StringBuilder();
        for (PolicyDiff p : d.policies()) {
            for (Region r : p.regions()) for (String l : lines(r)) sb.append(l).append('\n');
            for (String n : p.notes()) sb.append("note: ").append(n).append('\n');
        }
        long allow = d.count(Kind.NEW_ALLOW), deny = d.count(Kind.NEW_DENY);
        if (d.unchanged()) {
            sb.append("no change in behaviour (").append(d.policies().size())
                    .append(d.policies().size() == 1 ? " policy" : " policies").append(" compared)\n");
        } else {
            long changed = d.policies().stream().filter(p -> p.status() != DiffResult.Status.UNCHANGED).count();
            sb.append(allow).append(allow == 1 ? " region" : " regions").append(" newly allowed, ").append(deny)
                    .append(deny == 1 ? " region" : " regions").append(" newly denied, in ").append(changed)
                    .append(" of ").append(d.policies().size()).append(d.policies().size() == 1 ? " policy" : " policies")
                    .append('\n');
        }
        return sb.toString();
    }

    public static String json(DiffResult d) {
        StringBuilder sb = new StringBuilder("{\"version\":").append(VERSION).append(",\"policies\":[");
        boolean first = true;
        for (PolicyDiff p : d.policies()) {
            if (!first) sb.append(',');
            first = false;
            sb.append("{\"policy\":").append(str(p.name()))
                    .append(",\"status\":").append(str(p.status().name().toLowerCase(java.util.Locale.ROOT)))
                    .append(",\"newlyAllowed\":").append(p.count(Kind.NEW_ALLOW))
                    .append(",\"newlyDenied\":").append(p.count(Kind.NEW_DENY)).append(",\"notes\":[");
            for (int i = 0; i < p.notes().size(); i++) sb.append(i > 0 ? "," : "").append(str(p.notes().get(i)));
            sb.append("]}");
        }
        sb.append("],\"regions\":[");
        first = true;
        for (Region r : d.regions()) {
            if (!first) sb.append(',');
            first = false;
            sb.append("{\"kind\":").append(str(r.kind().code()))
                    .append(",\"policy\":").append(str(r.policy()))
                    .append(",\"summary\":").append(str(r.line()))
                    .append(",\"exact\":").append(r.exact())
                    .append(",\"witness\":");
            if (r.witness() == null) sb.append("null");
            else witness(sb, r.witness());
            sb.append(",\"new\":");
            side(sb, r.newSide());
            sb.append(",\"old\":");
            side(sb, r.oldSide());
            sb.append('}');
        }
        sb.append("],\"summary\":{\"newlyAllowed\":").append(d.count(Kind.NEW_ALLOW))
                .append(",\"newlyDenied\":").append(d.count(Kind.NEW_DENY))
                .append(",\"unchanged\":").append(d.unchanged()).append("}}");
        return sb.toString();
    }

    private static void side(StringBuilder sb, Side s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append("{\"rule\":").append(str(s.rule()))
                .append(",\"index\":").append(s.index())
                .append(",\"action\":").append(str(s.action().label()))
                .append(",\"file\":").append(str(s.file()))
                .append(",\"line\":").append(s.line()).append('}');
    }

    /** Same shape as the check report's witness, so one consumer reads both. */
    private static void witness(StringBuilder sb, Packet p) { JsonReport.witness(sb, p); }

    static String str(String s) { return JsonReport.str(s); }
}
