package io.portcullis.ir;

import io.portcullis.diag.Span;
import java.time.LocalDate;

/** Accepts one finding {@code code} on the rule that follows the waiver. {@code until} may be null. */
public record Waiver(String code, String reason, LocalDate until, Span span) {}
