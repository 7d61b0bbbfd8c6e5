package io.portcullis.ir;

import io.portcullis.diag.Span;
import java.util.List;

/** A policy after resolution: the input to the checker, the reference evaluator and the back end. */
public record ResolvedPolicy(String name, Target target, Action defaultAction, Action nonIp,
                             List<ResolvedRule> rules, List<Expect> expects, List<Assertion> asserts,
                             Span span, Span defaultSpan) {
    public ResolvedPolicy {
        rules = List.copyOf(rules);
        expects = List.copyOf(expects);
        asserts = List.copyOf(asserts);
    }
}
