package io.portcullis.check;

import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import java.time.LocalDate;
import java.util.List;

/** Consistency, expects, asserts and guards, exactly, over packet sets. (Owner: core.) */
public final class Checker {
    private Checker() {}

    /** Every finding for {@code policy} with its default severity, waivers applied (waived findings kept, marked). */
    public static List<Diagnostic> check(ResolvedPolicy policy, List<ResolvedGuard> guards, LocalDate today) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
