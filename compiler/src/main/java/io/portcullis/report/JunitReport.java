package io.portcullis.report;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.Assertion;
import io.portcullis.ir.Expect;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * JUnit XML (the Ant/Jenkins format CI dashboards read; {@code portcullis-junit.xsd} describes exactly what is written).
 *
 * <p>One test suite per policy, with one test case per policy check (each consistency and unsafe-policy code, so a
 * dashboard lists every check, passed or not), per {@code expect}, per {@code assert} and per guard assert. A test case
 * fails when it has an unwaived finding at or above the fail level; findings below it are listed in its
 * {@code system-out}; waived findings are listed there too, and counted in a {@code waived} property. A first suite,
 * {@code files}, has one test case per file read, failing on front-end and resolution errors (a policy whose file
 * does not parse has no suite of its own). No timestamps or durations: the same run gives the same bytes.
 */
public final class JunitReport {
    private JunitReport() {}

    /** The checks every policy gets a test case for, in this order. */
    public static final List<String> POLICY_CHECKS = List.of(Codes.CONFLICT, Codes.SHADOWED, Codes.REDUNDANT,
            Codes.CORRELATION, Codes.EMPTY, Codes.ALLOW_ALL, Codes.EXPOSED_ADMIN_PORT, Codes.DEFAULT_ALLOW,
            Codes.BROAD_SOURCE, Codes.IPV6_OPEN, Codes.NDP_BLOCKED, Codes.WAIVER_EXPIRED, Codes.WAIVER_EXPIRING,
            Codes.WAIVER_UNUSED, Codes.CODEGEN, Codes.KERNEL_VERIFIER);

    private record Case(String classname, String name, List<Diagnostic> findings) {}

    public static String render(List<Diagnostic> diagnostics, List<ResolvedPolicy> policies, List<ResolvedGuard> guards,
                                Severity failOn) {
        List<Diagnostic> live = diagnostics.stream().filter(d -> d.severity() != Severity.OFF).toList();
        java.util.Set<Diagnostic> claimed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Map<String, List<Case>> suites = new LinkedHashMap<>();

        for (ResolvedPolicy p : policies) {
            List<Case> cases = new ArrayList<>();
            String cls = "portcullis." + p.name();
            for (String code : POLICY_CHECKS) {
                List<Diagnostic> fs = live.stream().filter(d -> p.name().equals(d.policy()) && code.equals(d.code())).toList();
                claimed.addAll(fs);
                cases.add(new Case(cls + ".check", code, fs));
            }
            for (Expect e : p.expects()) {
                List<Diagnostic> fs = at(live, Codes.EXPECT, p.name(), e.span());
                claimed.addAll(fs);
                cases.add(new Case(cls + ".expect", "expect " + e.action().label() + " " + e.packet() + " (line "
                        + e.span().line() + ")", fs));
            }
            for (Assertion a : p.asserts()) {
                List<Diagnostic> fs = at(live, Codes.ASSERT, p.name(), a.span());
                claimed.addAll(fs);
                cases.add(new Case(cls + ".assert", "assert " + a.action().label() + " " + a.text() + " (line "
                        + a.span().line() + ")", fs));
            }
            for (ResolvedGuard g : guards) {
                for (Assertion a : g.asserts()) {
                    List<Diagnostic> fs = at(live, Codes.GUARD, p.name(), a.span());
                    claimed.addAll(fs);
                    cases.add(new Case(cls + ".guard", "guard " + g.name() + ": assert " + a.action().label() + " "
                            + a.text() + " (" + a.span().location() + ")", fs));
                }
            }
            // Anything else about this policy (a code added later) still shows, and still fails.
            Map<String, List<Diagnostic>> other = new TreeMap<>();
            for (Diagnostic d : live) {
                if (p.name().equals(d.policy()) && !claimed.contains(d)) other.computeIfAbsent(d.code(), k -> new ArrayList<>()).add(d);
            }
            for (Map.Entry<String, List<Diagnostic>> e : other.entrySet()) {
                claimed.addAll(e.getValue());
                cases.add(new Case(cls + ".check", e.getKey(), e.getValue()));
            }
            suites.put("policy " + p.name(), cases);
        }

        // Files: every file a policy, a guard or a remaining finding is in.
        Map<String, List<Diagnostic>> byFile = new TreeMap<>();
        for (ResolvedPolicy p : policies) byFile.computeIfAbsent(name(p.span()), k -> new ArrayList<>());
        for (ResolvedGuard g : guards) byFile.computeIfAbsent(name(g.span()), k -> new ArrayList<>());
        for (Diagnostic d : live) {
            if (claimed.contains(d)) continue;
            byFile.computeIfAbsent(name(d.span()), k -> new ArrayList<>()).add(d);
        }
        List<Case> files = new ArrayList<>();
        for (Map.Entry<String, List<Diagnostic>> e : byFile.entrySet()) {
            files.add(new Case("portcullis.files", e.getKey(), e.getValue()));
        }

        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        int tests = files.size(), failures = count(files, failOn);
        for (List<Case> cs : suites.values()) {
            tests += cs.size();
            failures += count(cs, failOn);
        }
        sb.append("<testsuites name=\"portcullis\" tests=\"").append(tests).append("\" failures=\"").append(failures)
                .append("\" errors=\"0\" skipped=\"0\">\n");
        suite(sb, "files", files, failOn);
        for (Map.Entry<String, List<Case>> e : suites.entrySet()) suite(sb, e.getKey(), e.getValue(), failOn);
        sb.append("</testsuites>\n");
        return sb.toString();
    }

    private static String name(Span s) {
        return s == null || s.file() == null ? "<unknown>" : s.file().displayName();
    }

    private static List<Diagnostic> at(List<Diagnostic> live, String code, String policy, Span span) {
        return live.stream().filter(d -> code.equals(d.code()) && policy.equals(d.policy()) && same(d.span(), span)).toList();
    }

    private static boolean same(Span a, Span b) {
        if (a == null || b == null) return false;
        SourceFile fa = a.file(), fb = b.file();
        return a.line() == b.line() && a.column() == b.column()
                && Objects.equals(fa == null ? null : fa.displayName(), fb == null ? null : fb.displayName());
    }

    private static boolean fails(Case c, Severity failOn) {
        return c.findings().stream().anyMatch(d -> !d.isWaived() && d.severity().atLeast(failOn));
    }

    private static int count(List<Case> cases, Severity failOn) {
        int n = 0;
        for (Case c : cases) if (fails(c, failOn)) n++;
        return n;
    }

    private static void suite(StringBuilder sb, String name, List<Case> cases, Severity failOn) {
        sb.append("  <testsuite name=\"").append(attr(name)).append("\" tests=\"").append(cases.size())
                .append("\" failures=\"").append(count(cases, failOn)).append("\" errors=\"0\" skipped=\"0\">\n");
        for (Case c : cases) {
            sb.append("    <testcase classname=\"").append(attr(c.classname())).append("\" name=\"").append(attr(c.name()))
                    .append('"');
            if (c.findings().isEmpty()) {
                sb.append("/>\n");
                continue;
            }
            sb.append(">\n");
            long waived = c.findings().stream().filter(Diagnostic::isWaived).count();
            if (waived > 0) {
                sb.append("      <properties>\n");
                for (Diagnostic d : c.findings()) {
                    if (d.isWaived()) {
                        sb.append("        <property name=\"waived\" value=\"").append(attr(d.code() + " at "
                                + d.span().location() + ": " + d.waiver())).append("\"/>\n");
                    }
                }
                sb.append("      </properties>\n");
            }
            List<Diagnostic> failing = c.findings().stream().filter(d -> !d.isWaived() && d.severity().atLeast(failOn)).toList();
            if (!failing.isEmpty()) {
                Diagnostic first = failing.get(0);
                String message = first.span().location() + ": " + first.code() + ": " + first.message()
                        + (failing.size() > 1 ? " (and " + (failing.size() - 1) + " more)" : "");
                sb.append("      <failure message=\"").append(attr(message)).append("\" type=\"").append(attr(first.code()))
                        .append("\">").append(text(TextReport.render(failing, false))).append("</failure>\n");
            }
            List<Diagnostic> rest = c.findings().stream().filter(d -> !failing.contains(d)).toList();
            if (!rest.isEmpty()) {
                sb.append("      <system-out>").append(text(TextReport.render(rest, false))).append("</system-out>\n");
            }
            sb.append("    </testcase>\n");
        }
        sb.append("  </testsuite>\n");
    }

    /** XML 1.0 attribute text: markup escaped, line breaks kept as character references, other controls dropped. */
    static String attr(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\n' -> sb.append("&#10;");
                case '\r' -> sb.append("&#13;");
                case '\t' -> sb.append("&#9;");
                default -> append(sb, c);
            }
        }
        return sb.toString();
    }

    /** XML 1.0 element text. */
    static String text(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '\n', '\t' -> sb.append(c);
                case '\r' -> sb.append("&#13;");
                default -> append(sb, c);
            }
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, char c) {
        // XML 1.0 cannot carry most control characters even escaped; a policy file could contain them.
        if (c < 0x20 || c == 0xfffe || c == 0xffff) sb.append('\ufffd');
        else sb.append(c);
    }
}
