package io.portcullis.ir;

import io.portcullis.diag.Span;
import java.util.List;

/**
 * A policy after resolution: the input to the checker, the reference evaluator and the back end.
 * {@code defaultWaivers} are the waivers written directly before {@code default}: they accept policy-level findings
 * (those reported at the default, such as {@code default-allow}).
 */
public record ResolvedPolicy(String name, Target target, Action defaultAction, Action nonIp,
                             List<ResolvedRule> rules, List<Expect> expects, List<Assertion> asserts,
                             Span span, Span defaultSpan, List<Waiver> defaultWaivers) {
    public ResolvedPolicy {
        rules = List.copyOf(rules);
        expects = List.copyOf(expects);
        asserts = List.copyOf(asserts);
        defaultWaivers = List.copyOf(defaultWaivers);
    }

    public ResolvedPolicy(String name, Target target, Action defaultAction, Action nonIp, List<ResolvedRule> rules,
                          List<Expect> expects, List<Assertion> asserts, Span span, Span defaultSpan) {
        this(name, target, defaultAction, nonIp, rules, expects, asserts, span, defaultSpan, List.of());
    }
}
