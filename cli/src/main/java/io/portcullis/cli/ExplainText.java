package io.portcullis.cli;

import io.portcullis.diag.Span;
import io.portcullis.driver.Portcullis;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Assertion;
import io.portcullis.ir.Expect;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import java.util.List;

/**
 * The text of {@code portcullis explain}: every rule up to the one that decides, with the fields that keep each
 * from matching; later rules that match too; the default; then the expects, asserts and guards about the packet.
 */
final class ExplainText {
    private ExplainText() {}

    static String render(Portcullis.ExplainResult r) {
        ResolvedPolicy policy = r.policy();
        Evaluator.Explanation e = r.explanation();
        Packet packet = r.packet();
        int decided = e.decision().ruleIndex();
        StringBuilder sb = new StringBuilder();
        sb.append("packet: ").append(packet).append('\n');
        sb.append("policy: ").append(policy.name()).append(" (").append(at(policy.span())).append("), ")
                .append(policy.rules().size()).append(policy.rules().size() == 1 ? " rule" : " rules").append("\n\n");
        int notReached = 0;
        for (Evaluator.RuleExplanation re : e.rules()) {
            ResolvedRule rule = re.rule();
            boolean before = decided < 0 || rule.index() < decided;
            if (rule.index() == decided) {
                sb.append(head(rule)).append(": matches, decides: ").append(rule.action().label()).append('\n');
                sb.append("    ").append(source(rule.span())).append('\n');
            } else if (before) {
                sb.append(head(rule)).append(": no match\n");
                sb.append("    ").append(source(rule.span())).append('\n');
                for (String miss : re.misses()) sb.append("    - ").append(miss).append('\n');
            } else if (re.matches()) {
                sb.append(head(rule)).append(": matches too (").append(rule.action().label())
                        .append("), but rule ").append(decided + 1).append(" decides first\n");
            } else {
                notReached++;
            }
        }
        if (notReached > 0) {
            sb.append(notReached).append(notReached == 1 ? " later rule does" : " later rules do")
                    .append(" not match and are not reached\n");
        }
        if (decided < 0) {
            sb.append("no rule matches: default ").append(policy.defaultAction().label()).append(" (")
                    .append(at(policy.defaultSpan())).append(") decides\n");
        }
        properties(sb, policy, r.guards(), packet, e.decision());
        sb.append("\nverdict: ").append(e.decision().action().label()).append(", ");
        if (decided < 0) {
            sb.append("by the default (line ").append(policy.defaultSpan().line()).append(")\n");
        } else {
            ResolvedRule rule = policy.rules().get(decided);
            sb.append("by rule ").append(decided + 1).append(rule.label() != null ? " '" + rule.label() + "'" : "")
                    .append(" (line ").append(rule.span().line()).append(")\n");
        }
        return sb.toString();
    }

    /** Expects of this very packet, and the asserts and guards whose match holds it, with whether they hold. */
    private static void properties(StringBuilder sb, ResolvedPolicy policy, List<ResolvedGuard> guards, Packet packet,
                                   Evaluator.Decision decision) {
        boolean header = false;
        for (Expect x : policy.expects()) {
            if (!x.packet().equals(packet)) continue;
            if (!header) sb.append('\n');
            header = true;
            sb.append("expect ").append(x.action().label()).append(" (line ").append(x.span().line()).append(") is this packet: ")
                    .append(x.action() == decision.action() ? "holds" : "DOES NOT HOLD").append('\n');
        }
        for (Assertion a : policy.asserts()) {
            if (!Evaluator.misses(a.match(), packet).isEmpty()) continue;
            if (!header) sb.append('\n');
            header = true;
            sb.append("assert ").append(a.action().label()).append(' ').append(a.text()).append(" (line ").append(a.span().line()).append(") covers this packet: ")
                    .append(a.action() == decision.action() ? "holds for it" : "DOES NOT HOLD for it").append('\n');
        }
        for (ResolvedGuard g : guards) {
            for (Assertion a : g.asserts()) {
                if (!Evaluator.misses(a.match(), packet).isEmpty()) continue;
                if (!header) sb.append('\n');
                header = true;
                sb.append("guard ").append(g.name()).append(": assert ").append(a.action().label()).append(' ').append(a.text()).append(" (").append(at(a.span()))
                        .append(") covers this packet: ")
                        .append(a.action() == decision.action() ? "holds for it" : "DOES NOT HOLD for it").append('\n');
            }
        }
    }

    private static String head(ResolvedRule rule) {
        return "rule " + (rule.index() + 1) + (rule.label() != null ? " '" + rule.label() + "'" : "")
                + " (line " + rule.span().line() + ")";
    }

    private static String at(Span s) {
        return s.file() == null ? "line " + s.line() : s.file().displayName() + ":" + s.line();
    }

    /** The rule as written: its first source line, from the rule's column on. */
    private static String source(Span s) {
        if (s.file() == null) return "";
        String line = s.file().line(s.line());
        int from = Math.min(Math.max(0, s.column() - 1), line.length());
        return line.substring(from).strip();
    }
}
