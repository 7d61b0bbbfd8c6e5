package io.portcullis.resolve;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Span;
import java.util.Locale;

/**
 * Hard limits on the size of one run's input. Each keeps memory and time bounded on inputs nobody writes by hand
 * (generated or hostile files); past a limit the run reports one {@code limit} error instead of exhausting the heap or
 * the stack. The numbers and the reasons for them are in README.md, section "Limits".
 *
 * <p>Every limit can be raised (or lowered) with the system property {@code portcullis.limit.NAME}, NAME being the
 * name in {@link #NAMES}; raising one is at the user's risk of running out of memory.
 *
 * @param rulesPerPolicy      rules in one policy
 * @param rulesPerRun         rules in all policies of one run
 * @param propertiesPerPolicy {@code expect} and {@code assert} statements in one policy or guard
 * @param policiesPerRun      policies and guards in one run
 * @param definitionsPerRun   networks and services in one run
 * @param definitionDepth     how deep networks (or services) may refer to other networks (services)
 * @param importDepth         how long a chain of imports may be
 * @param filesPerRun         files read in one run (given and imported)
 * @param fileBytes           bytes in one file
 * @param listItems           items in one {@code { ... }} list
 * @param prefixesPerSet      CIDR prefixes an address expression flattens to, both families together
 * @param errorsPerFile       front-end errors reported for one file (the rest are counted, not kept)
 * @param tokensPerFile       tokens (words, numbers, addresses, punctuation) in one file
 */
public record Limits(int rulesPerPolicy, int rulesPerRun, int propertiesPerPolicy, int policiesPerRun,
                     int definitionsPerRun, int definitionDepth, int importDepth, int filesPerRun, long fileBytes,
                     int listItems, int prefixesPerSet, int errorsPerFile, int tokensPerFile) {

    /** The names of the limits, in the order of the record's components (used for system properties and the README). */
    public static final String[] NAMES = {"rules-per-policy", "rules-per-run", "properties-per-policy",
        "policies-per-run", "definitions-per-run", "definition-depth", "import-depth", "files-per-run", "file-bytes",
        "list-items", "prefixes-per-set", "errors-per-file", "tokens-per-file"};

    /** The built-in limits, without system property overrides. */
    public static final Limits BUILT_IN = new Limits(200_000, 2_000_000, 100_000, 10_000, 200_000, 64, 64, 10_000,
            16L * 1024 * 1024, 100_000, 1_000_000, 100, 4_000_000);

    public Limits {
        long[] all = {rulesPerPolicy, rulesPerRun, propertiesPerPolicy, policiesPerRun, definitionsPerRun,
            definitionDepth, importDepth, filesPerRun, fileBytes, listItems, prefixesPerSet, errorsPerFile,
            tokensPerFile};
        for (int i = 0; i < all.length; i++) {
            if (all[i] < 1) throw new IllegalArgumentException("limit " + NAMES[i] + " must be at least 1, not " + all[i]);
        }
    }

    /** The built-in limits with any {@code portcullis.limit.NAME} system property applied. */
    public static Limits defaults() {
        long[] v = BUILT_IN.values();
        for (int i = 0; i < NAMES.length; i++) {
            String s = System.getProperty("portcullis.limit." + NAMES[i]);
            if (s == null) continue;
            try {
                v[i] = Long.parseLong(s.trim().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("system property portcullis.limit." + NAMES[i]
                        + " must be a whole number, not '" + s + "'");
            }
        }
        try {
            return of(v);
        } catch (IllegalArgumentException e) {
            // Only a property can have made the built-in values invalid: name it, so the user knows what to fix.
            // "limit NAME must be ..." becomes "system property portcullis.limit.NAME must be ...".
            throw new IllegalArgumentException("system property portcullis." + e.getMessage().replaceFirst("^limit ", "limit."));
        }
    }

    /** The values in the order of {@link #NAMES}. */
    public long[] values() {
        return new long[] {rulesPerPolicy, rulesPerRun, propertiesPerPolicy, policiesPerRun, definitionsPerRun,
            definitionDepth, importDepth, filesPerRun, fileBytes, listItems, prefixesPerSet, errorsPerFile,
            tokensPerFile};
    }

    static Limits of(long[] v) {
        int[] n = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (i != 8 && (v[i] > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("limit " + NAMES[i] + " must be at most " + Integer.MAX_VALUE);
            }
            n[i] = (int) Math.min(v[i], Integer.MAX_VALUE);
        }
        return new Limits(n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], v[8], n[9], n[10], n[11], n[12]);
    }

    /** A copy with one limit changed, by its name in {@link #NAMES} (for tests and embedders). */
    public Limits with(String name, long value) {
        long[] v = values();
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                v[i] = value;
                return of(v);
            }
        }
        throw new IllegalArgumentException("no limit named " + name);
    }

    /** A {@code limit} error: what was exceeded, by how much is known, and what to do. */
    public static Diagnostic error(Span at, String message, String name, String help) {
        return Diagnostic.error(Codes.LIMIT, at, message,
                help + "; the limits and their reasons are in the README (section Limits); the system property "
                        + "portcullis.limit." + name + " raises this one at the risk of running out of memory");
    }

    /** {@code 200000} as {@code 200,000}, the same on every machine. */
    public static String count(long n) { return String.format(Locale.ROOT, "%,d", n); }
}
