package io.portcullis.ir;

import io.portcullis.diag.Span;
import java.util.List;

/** A guard: asserts that must hold for every policy checked in the same run. */
public record ResolvedGuard(String name, List<Assertion> asserts, Span span) {
    public ResolvedGuard {
        asserts = List.copyOf(asserts);
    }
}
