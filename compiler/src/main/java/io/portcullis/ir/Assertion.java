package io.portcullis.ir;

import io.portcullis.diag.Span;

/** {@code assert allow|deny MATCH;} in a policy or a guard. {@code text} is the source text of the assert, for messages. */
public record Assertion(Action action, RuleMatch match, Span span, String text) {}
