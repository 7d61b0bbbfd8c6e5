package io.portcullis.driver;

import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.kernel.ProgramImage;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.lower.CodegenException;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.Span;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.report.Segmentation;
import io.portcullis.resolve.Loader;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PolicySets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * One self-contained HTML page (inline CSS and script, no network access): findings with source snippets and
 * witnesses, each policy's segmentation matrix ({@link Segmentation}), per-rule facts (reachable or not, a packet the
 * rule alone decides) and the compiled program's statistics. It lives beside the compiler back end because the
 * statistics come from compiling each policy.
 */
final class HtmlReport {
    private HtmlReport() {}

    /** Statistics of one compiled program; {@code processed} is -1 when the kernel verifier did not run. */
    record ProgramStats(String policy, String target, String section, int instructions, int bytes, String verifier,
                        int processed, String note) {}

    static String render(Portcullis.CheckResult result, LocalDate today, boolean kernel, String version) {
        List<ProgramStats> stats = new ArrayList<>();
        for (ResolvedPolicy p : result.policies()) stats.add(stats(p, result.diagnostics(), kernel));
        return page(result, today, version, stats);
    }

    static ProgramStats stats(ResolvedPolicy p, List<Diagnostic> diagnostics, boolean kernel) {
        boolean errors = diagnostics.stream().anyMatch(d -> !d.isWaived() && d.severity() == Severity.ERROR
                && p.name().equals(d.policy()));
        String target = p.target().syntax();
        if (errors) return new ProgramStats(p.name(), target, p.target().section(), -1, -1, "not run", -1, "not compiled: the policy has errors");
        byte[] object;
        try {
            object = BpfCompiler.compile(p);
        } catch (CodegenException e) {
            return new ProgramStats(p.name(), target, p.target().section(), -1, -1, "not run", -1, "compilation failed: " + e.getMessage());
        }
        int insns = ProgramImage.fromElf(object, p.target()).instructions();
        if (!kernel) return new ProgramStats(p.name(), target, p.target().section(), insns, object.length, "not run", -1, "");
        KernelVerifier.Verification v = KernelVerifier.verify(object, p.target());
        return switch (v.status()) {
            case ACCEPTED -> new ProgramStats(p.name(), target, p.target().section(), insns, object.length, "accepted", v.processed(), "");
            case REJECTED -> new ProgramStats(p.name(), target, p.target().section(), insns, object.length, "rejected", -1,
                    lastLine(v.log()));
            case UNAVAILABLE -> new ProgramStats(p.name(), target, p.target().section(), insns, object.length, "not run", -1,
                    "kernel verification not possible here: " + v.log());
        };
    }

    private static String lastLine(String log) {
        if (log == null) return "";
        String[] lines = log.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String page(Portcullis.CheckResult r, LocalDate today, String version, List<ProgramStats> stats) {
        StringBuilder sb = new StringBuilder();
        long errors = r.count(Severity.ERROR), warnings = r.count(Severity.WARNING), infos = r.count(Severity.INFO);
        long waived = r.diagnostics().stream().filter(Diagnostic::isWaived).count();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Portcullis report</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        sb.append("<header><h1>Portcullis report</h1><p class=\"meta\">")
                .append(r.policies().size()).append(r.policies().size() == 1 ? " policy" : " policies").append(", ")
                .append(r.guards().size()).append(r.guards().size() == 1 ? " guard" : " guards")
                .append(" &middot; waivers checked against ").append(today)
                .append(version == null ? "" : " &middot; Portcullis " + esc(version)).append("</p>\n");
        sb.append("<p class=\"summary\"><span class=\"badge error\">").append(errors).append(" errors</span> ")
                .append("<span class=\"badge warning\">").append(warnings).append(" warnings</span> ")
                .append("<span class=\"badge info\">").append(infos).append(" infos</span> ")
                .append("<span class=\"badge waived\">").append(waived).append(" waived</span></p>\n");
        sb.append("<nav><a href=\"#findings\">Findings</a>");
        for (ResolvedPolicy p : r.policies()) sb.append(" <a href=\"#policy-").append(id(p.name())).append("\">").append(esc(p.name())).append("</a>");
        sb.append(" <a href=\"#program-stats\">Programs</a></nav></header>\n<main>\n");

        findings(sb, r.diagnostics());
        for (ResolvedPolicy p : r.policies()) policy(sb, p, r);
        programs(sb, stats);
        sb.append("</main>\n<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static void findings(StringBuilder sb, List<Diagnostic> ds) {
        sb.append("<section id=\"findings\"><h2>Findings</h2>\n<p class=\"filters\">Show: ");
        for (String k : List.of("error", "warning", "info", "waived")) {
            sb.append("<label><input type=\"checkbox\" class=\"filter\" value=\"").append(k).append("\" checked> ").append(k).append("</label> ");
        }
        sb.append("</p>\n");
        int shown = 0;
        for (Diagnostic d : ds) {
            if (d.severity() == Severity.OFF) continue;
            shown++;
            String kind = d.isWaived() ? "waived" : d.severity().label();
            Span s = d.span();
            sb.append("<article class=\"finding ").append(kind).append("\" data-kind=\"").append(kind).append("\">\n")
                    .append("<h3><span class=\"badge ").append(kind).append("\">").append(kind).append("</span> <code>")
                    .append(esc(d.code())).append("</code> <span class=\"loc\">").append(esc(s == null ? "" : s.location()))
                    .append("</span></h3>\n<p class=\"msg\">").append(esc(d.message())).append("</p>\n");
            snippet(sb, s);
            sb.append("<dl>");
            if (d.witness() != null) sb.append("<dt>witness</dt><dd><code class=\"packet\">").append(esc(d.witness().toString())).append("</code></dd>");
            if (!d.related().isEmpty()) {
                List<String> names = new ArrayList<>();
                for (Diagnostic.Related rel : d.related()) {
                    String n = rel.rule() != null ? rel.rule() : rel.description() != null ? rel.description() : "rule #" + (rel.index() + 1);
                    names.add(rel.line() > 0 ? n + " (line " + rel.line() + ")" : n);
                }
                sb.append("<dt>decided by</dt><dd>").append(esc(String.join(", ", names))).append("</dd>");
            }
            if (d.help() != null && !d.help().isEmpty()) sb.append("<dt>help</dt><dd>").append(esc(d.help())).append("</dd>");
            if (d.isWaived()) sb.append("<dt>waived</dt><dd>").append(esc(d.waiver())).append("</dd>");
            sb.append("</dl>\n</article>\n");
        }
        if (shown == 0) sb.append("<p class=\"none\">No findings.</p>\n");
        sb.append("</section>\n");
    }

    /** The finding's line with one line of context on each side, the finding's line marked. */
    private static void snippet(StringBuilder sb, Span s) {
        if (s == null || s.file() == null || s.line() < 1 || s.file().text().isEmpty()) return;
        sb.append("<pre class=\"snippet\">");
        for (int l = Math.max(1, s.line() - 1); l <= s.line() + 1; l++) {
            String text = s.file().line(l);
            if (l > s.line() && text.isEmpty()) break;
            sb.append(l == s.line() ? "<mark>" : "<span>").append(String.format("%5d | ", l)).append(esc(text))
                    .append(l == s.line() ? "</mark>" : "</span>");
        }
        sb.append("</pre>\n");
    }

    private static void policy(StringBuilder sb, ResolvedPolicy p, Portcullis.CheckResult r) {
        sb.append("<section class=\"policy\" id=\"policy-").append(id(p.name())).append("\"><h2>Policy <code>")
                .append(esc(p.name())).append("</code> <span class=\"meta\">on ").append(esc(p.target().syntax()))
                .append(", default ").append(p.defaultAction().label()).append(", ")
                .append(esc(p.span().file().displayName())).append("</span></h2>\n");
        List<Segmentation.Net> nets = new ArrayList<>();
        for (Loader.NamedNetwork n : r.networks()) if (n.usedBy().contains(p.name())) nets.add(new Segmentation.Net(n.name(), n.addresses()));
        matrix(sb, p, nets);
        rules(sb, p, r.diagnostics());
        sb.append("</section>\n");
    }

    private static void matrix(StringBuilder sb, ResolvedPolicy p, List<Segmentation.Net> nets) {
        Segmentation.Matrix m = Segmentation.compute(p, nets);
        sb.append("<h3>Segmentation matrix</h3>\n<p class=\"how\">Rows are sources, columns destinations: the named networks"
                + " this policy's rules and properties refer to, and <code>any</code>. A cell lists the services on which <em>new"
                + " connections</em> from the row to the column are allowed: TCP segments without ACK or RST, and any UDP, ICMP or"
                + " other packet (whole packets and first fragments). It is computed exactly with the packet-set engine, not by"
                + " sampling: the services are the ").append(m.classes()).append(" classes this policy's rules can tell apart"
                + " (destination-port intervals between the port boundaries its rules name, each ICMP type they name, each"
                + " protocol they name, and the rest), and for each pair the packets of each class that the policy allows are"
                + " compared with all of them. <span class=\"svc full\">full</span> means every such packet between the two"
                + " networks is allowed; <span class=\"svc partial\">partial</span> means only some (some addresses or source"
                + " ports). Hover a service for a packet that is allowed.");
        if (nets.size() > Segmentation.MAX_NETWORKS) {
            sb.append(" Only the first ").append(Segmentation.MAX_NETWORKS).append(" of ").append(nets.size()).append(" networks are shown.");
        }
        sb.append("</p>\n<div class=\"scroll\"><table class=\"matrix\" id=\"matrix-").append(id(p.name()))
                .append("\" data-policy=\"").append(esc(p.name())).append("\">\n<thead><tr><th class=\"corner\">from \\ to</th>");
        for (Segmentation.Net n : m.networks()) sb.append("<th scope=\"col\">").append(esc(n.name())).append("</th>");
        sb.append("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < m.networks().size(); i++) {
            sb.append("<tr><th scope=\"row\">").append(esc(m.networks().get(i).name())).append("</th>");
            for (int j = 0; j < m.networks().size(); j++) {
                Segmentation.Cell c = m.cells()[i][j];
                String cls = c.isEmpty() ? "none" : c.allFull() ? "open" : "some";
                sb.append("<td class=\"cell ").append(cls).append("\" data-from=\"").append(esc(m.networks().get(i).name()))
                        .append("\" data-to=\"").append(esc(m.networks().get(j).name())).append("\">");
                if (c.isEmpty()) sb.append("<span class=\"deny\">&mdash;</span>");
                for (Segmentation.Service s : c.services()) {
                    sb.append("<span class=\"svc ").append(s.full() ? "full" : "partial").append("\" title=\"")
                            .append(esc((s.full() ? "all allowed, e.g. " : "partly allowed, e.g. ") + s.example())).append("\">")
                            .append(esc(s.label())).append("</span>");
                }
                sb.append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody></table></div>\n");
    }

    private static void rules(StringBuilder sb, ResolvedPolicy p, List<Diagnostic> ds) {
        PacketSpace space = new PacketSpace();
        PolicySets sets = new PolicySets(space, p);
        sb.append("<h3>Rules</h3>\n<p class=\"how\">A rule is reachable when some packet reaches it and it matches: the"
                + " packets it alone decides are its match minus every earlier rule's match. The example is one such packet.</p>\n")
                .append("<div class=\"scroll\"><table class=\"rules\"><thead><tr><th>#</th><th>line</th><th>rule</th><th>action</th>"
                        + "<th>reachable</th><th>a packet it alone decides</th><th>findings</th></tr></thead>\n<tbody>\n");
        for (ResolvedRule rule : p.rules()) {
            int decided = sets.decided(rule.index());
            boolean reachable = decided != Bdd.FALSE;
            List<String> codes = new ArrayList<>();
            for (Diagnostic d : ds) {
                if (p.name().equals(d.policy()) && d.span() != null && rule.span().line() == d.span().line()
                        && d.span().file() == rule.span().file() && !codes.contains(d.code())) {
                    codes.add(d.isWaived() ? d.code() + " (waived)" : d.code());
                }
            }
            sb.append("<tr class=\"").append(reachable ? "reachable" : "dead").append("\"><td>").append(rule.index() + 1)
                    .append("</td><td>").append(rule.span().line()).append("</td><td><code>").append(esc(rule.displayName()))
                    .append("</code></td><td class=\"").append(rule.action().label()).append("\">").append(rule.action().label())
                    .append("</td><td>").append(reachable ? "yes" : "<strong>no</strong>").append("</td><td>");
            if (reachable) sb.append("<code class=\"packet\">").append(esc(space.witness(decided).toString())).append("</code>");
            else sb.append("none: earlier rules decide every packet it matches");
            sb.append("</td><td>").append(esc(String.join(", ", codes))).append("</td></tr>\n");
        }
        sb.append("</tbody></table></div>\n");
    }

    private static void programs(StringBuilder sb, List<ProgramStats> stats) {
        sb.append("<section id=\"program-stats\"><h2>Compiled programs</h2>\n<p class=\"how\">Each policy without errors is"
                + " compiled to eBPF (LLVM, bpfel) for its target. Instructions are counted in the object's program section;"
                + " processed instructions are the kernel verifier's count and are shown only when the verifier ran.</p>\n")
                .append("<table class=\"stats\"><thead><tr><th>policy</th><th>target</th><th>section</th><th>instructions</th>"
                        + "<th>object bytes</th><th>kernel verifier</th><th>processed instructions</th><th>note</th></tr></thead>\n<tbody>\n");
        for (ProgramStats s : stats) {
            sb.append("<tr><td><code>").append(esc(s.policy())).append("</code></td><td>").append(esc(s.target()))
                    .append("</td><td><code>").append(esc(s.section())).append("</code></td><td class=\"num\">")
                    .append(s.instructions() < 0 ? "&mdash;" : String.valueOf(s.instructions())).append("</td><td class=\"num\">")
                    .append(s.bytes() < 0 ? "&mdash;" : String.valueOf(s.bytes())).append("</td><td>").append(esc(s.verifier()))
                    .append("</td><td class=\"num\">").append(s.processed() < 0 ? "&mdash;" : String.valueOf(s.processed()))
                    .append("</td><td>").append(esc(s.note())).append("</td></tr>\n");
        }
        sb.append("</tbody></table></section>\n");
    }

    private static String id(String name) {
        return name.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final String CSS = """
            :root { --err: #b3261e; --warn: #9a6700; --info: #0b62a4; --ok: #1a7f37; --mute: #6e7781; --line: #d0d7de; }
            * { box-sizing: border-box; }
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
            header { background: #24292f; color: #fff; padding: 16px 24px; }
            header h1 { margin: 0 0 4px; font-size: 22px; }
            header .meta { color: #c9d1d9; margin: 0 0 8px; }
            nav a { color: #9ecbff; margin-right: 12px; }
            main { padding: 8px 24px 40px; max-width: 1400px; }
            section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px 16px; margin: 16px 0; }
            h2 { font-size: 18px; } h3 { font-size: 15px; margin: 12px 0 6px; }
            code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
            .meta { color: var(--mute); font-weight: normal; font-size: 13px; }
            .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
            .badge.error { background: var(--err); } .badge.warning { background: var(--warn); }
            .badge.info { background: var(--info); } .badge.waived { background: var(--mute); }
            .finding { border-left: 4px solid var(--line); padding: 4px 12px; margin: 10px 0; }
            .finding.error { border-color: var(--err); } .finding.warning { border-color: var(--warn); }
            .finding.info { border-color: var(--info); } .finding.waived { border-color: var(--mute); opacity: .85; }
            .finding h3 { margin: 4px 0; } .loc { color: var(--mute); font-weight: normal; }
            .snippet { background: #f6f8fa; border: 1px solid var(--line); padding: 6px; overflow-x: auto; margin: 6px 0; }
            .snippet mark { background: #fff8c5; display: block; }
            .snippet span { display: block; color: #57606a; }
            dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
            dt { color: var(--mute); } dd { margin: 0; }
            .packet { background: #eef6ff; padding: 0 4px; border-radius: 3px; }
            .how { color: #424a53; max-width: 1000px; }
            .scroll { overflow-x: auto; }
            table { border-collapse: collapse; }
            th, td { border: 1px solid var(--line); padding: 4px 6px; vertical-align: top; text-align: left; }
            thead th { background: #f6f8fa; }
            table.matrix th[scope=row] { background: #f6f8fa; white-space: nowrap; }
            table.matrix td { min-width: 90px; max-width: 260px; }
            td.cell.none { background: #fafbfc; text-align: center; color: var(--mute); }
            td.cell.open { background: #dafbe1; } td.cell.some { background: #fff8c5; }
            td.cell.hl, th.hl { outline: 2px solid #0969da; }
            .svc { display: inline-block; margin: 1px 3px 1px 0; padding: 0 5px; border-radius: 3px; font-size: 12px; max-width: 100%; overflow-wrap: anywhere; }
            .svc.full { background: #1a7f37; color: #fff; } .svc.partial { background: #d4a72c; color: #1f2328; }
            td.allow { color: var(--ok); font-weight: 600; } td.deny { color: var(--err); font-weight: 600; }
            tr.dead td { background: #ffebe9; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .hidden { display: none; }
            """;

    private static final String SCRIPT = """
            (function () {
              'use strict';
              var boxes = document.querySelectorAll('input.filter');
              function apply() {
                var on = {};
                boxes.forEach(function (b) { on[b.value] = b.checked; });
                document.querySelectorAll('article.finding').forEach(function (a) {
                  a.classList.toggle('hidden', !on[a.getAttribute('data-kind')]);
                });
              }
              boxes.forEach(function (b) { b.addEventListener('change', apply); });
              document.querySelectorAll('table.matrix td.cell').forEach(function (td) {
                td.addEventListener('mouseenter', function () { td.classList.add('hl'); });
                td.addEventListener('mouseleave', function () { td.classList.remove('hl'); });
              });
              apply();
            })();
            """;
}
