package io.portcullis.diag;

import java.util.Locale;

/** Ordered from most to least severe; OFF disables a finding. */
public enum Severity {
    ERROR, WARNING, INFO, OFF;

    public String label() { return name().toLowerCase(Locale.ROOT); }

    /** True when this severity is at or above {@code level} (ERROR is above WARNING). */
    public boolean atLeast(Severity level) { return this != OFF && ordinal() <= level.ordinal(); }

    public static Severity parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
