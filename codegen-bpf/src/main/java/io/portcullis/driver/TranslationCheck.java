package io.portcullis.driver;

import io.portcullis.bpf.tv.TranslationValidator;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedPolicy;
import java.util.List;

/**
 * The build step that runs translation validation on a compiled object before it is written. On by default; the
 * system property {@code portcullis.tv=off} turns it off (a note says so).
 */
final class TranslationCheck {
    private TranslationCheck() {}

    static final String PROPERTY = "portcullis.tv";

    /**
     * True when the object may be written; otherwise a {@code translation-mismatch} error has been added.
     * {@code rootsGuess}: the code generator's table roots, a guess that lets part (a) of the proof start early
     * ({@link TranslationValidator#validate(byte[], ResolvedPolicy, java.util.Map)}); empty for none.
     */
    static boolean run(ResolvedPolicy policy, byte[] object, java.util.Map<io.portcullis.ir.Family, List<Long>> rootsGuess,
                       List<Diagnostic> diagnostics, List<String> notes) {
        if ("off".equals(System.getProperty(PROPERTY))) {
            notes.add("translation validation is off (-D" + PROPERTY + "=off): " + policy.name() + " is not proven to implement its policy");
            return true;
        }
        TranslationValidator.Result r = TranslationValidator.validate(object, policy, rootsGuess);
        // Proven is the normal case and says nothing (as a clean check does); only a failure or "off" is reported.
        if (r.valid()) return true;
        TranslationValidator.Problem p = r.problems().get(0);
        String more = r.problems().size() > 1 ? "; " + (r.problems().size() - 1) + " more problem(s)" : "";
        diagnostics.add(new Diagnostic(Codes.TRANSLATION_MISMATCH, Codes.defaultSeverity(Codes.TRANSLATION_MISMATCH),
                policy.span(), p.message().startsWith("translation validation") ? p.message()
                        : "translation validation: " + p.message(),
                help(p) + more, policy.name(), null, List.of(), null, null));
        return false;
    }

    /** What to do: a wrong program is a code generator bug; a program TV cannot analyse is a limit of the proof. */
    private static String help(TranslationValidator.Problem p) {
        String details = p.details().isEmpty() ? "" : String.join("; ", p.details()) + "; ";
        if (p.kind() == TranslationValidator.Kind.UNSUPPORTED) {
            return details + "the object was not written, because it could not be proven; raise the budget with -D"
                    + PROPERTY + ".nodes=N, or build with -D" + PROPERTY + "=off to ship it unproven (the build says so)";
        }
        return details + "the object was not written (a code generator bug: please report it with the policy)";
    }
}
