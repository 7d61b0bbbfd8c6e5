package io.portcullis.cli;

import io.portcullis.bpf.tv.TranslationValidator;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.report.TextReport;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code portcullis verify --policy FILE OBJ.o}: translation validation of an object against a policy. Exit codes:
 * 0 proven, 1 a mismatch (or the program cannot be analysed, or the policy has errors), 2 usage or input error.
 */
final class TranslationCheck {
    private TranslationCheck() {}

    static final String USAGE = """
            Usage: portcullis verify --policy FILE [--name POLICY] OBJ.o

            Proves that the compiled object gives the policy's verdict for every frame (translation validation):
            the program is executed symbolically on all frames of every enumerated layout at once, and each exit's
            set of frames is compared with the policy's verdict on that set. A mismatch prints a witness frame, both
            verdicts, the deciding rule, the instruction and the path.

            Options:
              --policy FILE   the .policy file the object was compiled from
              --name POLICY   the policy in FILE (default: the only policy, or the one named like OBJ)

            Exit codes: 0 proven; 1 mismatch, unanalysable program or policy errors; 2 usage or input error.

            Example:
              portcullis build -o out policies/ && portcullis verify --policy policies/edge.policy out/edge.o
            """;

    /** Whether {@code verify}'s arguments ask for translation validation ({@code --policy}). */
    static boolean wanted(List<String> args) {
        for (String a : args) {
            if (a.equals("--")) break;
            if (a.equals("--policy")) return true;
        }
        return false;
    }

    /** {@code args} without the options (and their values) named in {@code options}. */
    static List<String> without(List<String> args, java.util.Set<String> options) {
        List<String> kept = new java.util.ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (options.contains(args.get(i))) {
                i++;
                continue;
            }
            kept.add(args.get(i));
        }
        return kept;
    }

    /** Parses {@code args} (after {@code verify}) and runs; returns the exit code. */
    static int command(List<String> args, PrintStream out, PrintStream err) throws UsageException, InputException {
        Path policy = null, object = null;
        String name = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-h") || a.equals("--help")) {
                out.print(USAGE);
                return Main.OK;
            } else if (a.equals("--policy") || a.equals("--name")) {
                if (i + 1 >= args.size()) throw new UsageException("verify", a + " needs a value");
                String v = args.get(++i);
                if (a.equals("--policy")) policy = Path.of(v);
                else name = v;
            } else if (a.startsWith("-")) {
                throw new UsageException("verify", "unknown option '" + a + "'");
            } else if (object == null) {
                object = Path.of(a);
            } else {
                throw new UsageException("verify", "verify takes one object file");
            }
        }
        if (policy == null) throw new UsageException("verify", "--policy FILE is required (the policy the object was compiled from)");
        if (object == null) throw new UsageException("verify", "no object file given");
        return run(policy, name, object, out, err);
    }

    /** Validates {@code object} against the policy {@code name} (null: see {@link #USAGE}) of {@code policyFile}. */
    static int run(Path policyFile, String name, Path object, PrintStream out, PrintStream err) throws InputException {
        byte[] elf;
        try {
            elf = Files.readAllBytes(object);
        } catch (IOException e) {
            throw new InputException("cannot read " + object + ": " + e.getMessage());
        }
        Loader.LoadResult loaded = Loader.load(List.of(policyFile));
        List<Diagnostic> errors = loaded.diagnostics().stream()
                .filter(d -> !d.isWaived() && d.severity() == Severity.ERROR).toList();
        if (!errors.isEmpty()) {
            out.print(TextReport.render(errors, false));
            return Main.FINDINGS;
        }
        ResolvedPolicy policy = pick(loaded.policies(), name, object);
        TranslationValidator.Result r = TranslationValidator.validate(elf, policy);
        TranslationValidator.Stats s = r.stats();
        if (r.valid()) {
            out.println("proven: " + object + " gives the verdict of policy " + policy.name() + " (" + policy.target().syntax()
                    + ") on every frame of " + s.layouts() + " layouts (" + s.instructions() + " instructions, "
                    + s.states() + " symbolic states, " + s.millis() + " ms)");
            if (s.tables() != null) out.println("  table proof: " + s.tables());
            return Main.OK;
        }
        for (TranslationValidator.Problem p : r.problems()) {
            out.println(object + ": error[translation-mismatch]: " + p.render());
        }
        out.println(r.problems().size() + " problem(s): " + object + " is not proven to implement policy " + policy.name());
        return Main.FINDINGS;
    }

    private static ResolvedPolicy pick(List<ResolvedPolicy> policies, String name, Path object) throws InputException {
        String base = object.getFileName().toString().replaceFirst("\\.o$", "");
        for (ResolvedPolicy p : policies) if (p.name().equals(name != null ? name : base)) return p;
        if (name == null && policies.size() == 1) return policies.get(0);
        throw new InputException(name != null ? "no policy '" + name + "' in the policy file"
                : "the policy file defines " + policies.size() + " policies; name one with --name");
    }
}
