package io.portcullis.driver;

import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.lower.CodegenException;
import io.portcullis.bpf.lower.Limits;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.InputException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Compiles every policy that checked without errors, verifies it, and writes it atomically. */
final class Builder {
    private Builder() {}

    static Portcullis.BuildResult build(Portcullis.CheckResult check, Path outDir, Portcullis.Options options)
            throws InputException {
        return build(check, outDir, options, List.of(), null);
    }

    /**
     * {@code inputs}: the paths the run was given, whose roots name the policy files in the objects' debug info;
     * {@code ahead}: the policies' objects being prepared while the check ran, or null to prepare each here.
     */
    static Portcullis.BuildResult build(Portcullis.CheckResult check, Path outDir, Portcullis.Options options,
                                        List<Path> inputs, Ahead ahead) throws InputException {
        List<Diagnostic> diagnostics = new ArrayList<>(check.diagnostics());
        List<Path> written = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<BuildStats> stats = new ArrayList<>();
        boolean kernelNoted = false;
        for (ResolvedPolicy policy : check.policies()) {
            boolean hasErrors = check.diagnostics().stream().anyMatch(d -> !d.isWaived()
                    && d.severity() == Severity.ERROR && policy.name().equals(d.policy()));
            if (hasErrors) {
                notes.add("not built: " + policy.name() + " (it has errors)");
                if (ahead != null) ahead.skip(policy);
                continue;
            }
            Prepared prepared = ahead != null ? ahead.take(policy) : prepare(policy, inputs);
            if (prepared.error() != null) {
                CodegenException e = prepared.error();
                if (e.limit() != null) {
                    diagnostics.add(finding(policy, Codes.BPF_LIMIT, "kernel limit '" + e.limit().title() + "': "
                            + e.getMessage(), "split the policy into smaller ones (for example by address family or by "
                            + "destination), or merge rules that differ only in addresses into networks"));
                } else {
                    diagnostics.add(finding(policy, Codes.CODEGEN, e.getMessage(), "report this policy to the Portcullis developers"));
                }
                continue;
            }
            byte[] object = prepared.object();
            StaticCheck.Result checked = prepared.checked();
            String unsafe = checked.problem();
            if (unsafe != null) {
                diagnostics.add(finding(policy, Codes.UNSAFE_PROGRAM, "the static verifier rejected the compiled program: " + unsafe,
                        "the object was not written; this is a Portcullis bug: report the policy to the Portcullis developers"));
                continue;
            }
            diagnostics.addAll(prepared.tvDiagnostics());
            notes.addAll(prepared.tvNotes());
            if (!prepared.proven()) continue;
            KernelVerifier.Verification v = null;
            String notVerified = "kernel verification turned off";
            if (options.kernel() != Portcullis.KernelMode.NEVER) {
                v = KernelVerifier.verify(object, policy.target());
                notVerified = v.log();
                switch (v.status()) {
                    case REJECTED -> {
                        if (v.log().contains("BPF program is too large")) {
                            diagnostics.add(finding(policy, Codes.BPF_LIMIT, "kernel limit '" + Limits.PROCESSED.title()
                                    + "': the verifier stopped after " + Limits.PROCESSED.max() + " "
                                    + Limits.PROCESSED.unit() + "; the object was not written",
                                    "split the policy into smaller ones (for example by address family or by destination)"));
                            continue;
                        }
                        if (v.enotsupp()) {
                            diagnostics.add(finding(policy, Codes.KERNEL_VERIFIER,
                                    "the kernel refused the program with ENOTSUPP: " + lastLines(v.log(), 3),
                                    "the object was not written. " + KernelVerifier.AFTER_VERIFIER + "; to see the"
                                            + " kernel's answer, build with --kernel never and run `portcullis verify` on the"
                                            + " object; please report it with the policy"));
                            continue;
                        }
                        diagnostics.add(finding(policy, Codes.KERNEL_VERIFIER,
                                "the kernel verifier rejected the program: " + lastLines(v.log(), 6),
                                "the object was not written; see the verifier log above"));
                        continue;
                    }
                    case UNAVAILABLE -> {
                        if (options.kernel() == Portcullis.KernelMode.ALWAYS) {
                            diagnostics.add(finding(policy, Codes.KERNEL_VERIFIER,
                                    "verification by the kernel was required but is not possible here: " + v.log(),
                                    "run where bpf() is allowed (root or CAP_BPF), or use kernel verification 'auto'"));
                            continue;
                        }
                        if (!kernelNoted) {
                            notes.add("verification by the kernel was not possible: " + v.log());
                            kernelNoted = true;
                        }
                    }
                    case ACCEPTED -> notes.add("kernel verifier accepted " + policy.name() + ": "
                            + v.instructions() + " instructions, " + v.processed() + " processed");
                }
            }
            Path target = outDir.resolve(policy.name() + ".o");
            try {
                writeAtomically(target, object);
            } catch (IOException e) {
                throw new InputException("cannot write " + target + ": " + e.getMessage());
            }
            written.add(target);
            stats.add(BuildStats.of(policy.name(), target, policy.target(), object, v, notVerified).withEstimate(checked.estimated()));
        }
        return new Portcullis.BuildResult(check, List.copyOf(written),
                Diagnostics.finish(diagnostics, options), List.copyOf(notes), List.copyOf(stats));
    }

    /**
     * What a policy's object needs before the kernel sees it: the object (or why it could not be compiled), the static
     * verifier's verdict and translation validation's (its diagnostics and notes, and whether the object may be written).
     */
    record Prepared(byte[] object, CodegenException error, StaticCheck.Result checked, List<Diagnostic> tvDiagnostics,
                    List<String> tvNotes, boolean proven) {}

    /** Compiles the policy, runs the static verifier and translation validation on the object; stops at the first no. */
    static Prepared prepare(ResolvedPolicy policy, List<Path> inputs) {
        byte[] object;
        java.util.Map<io.portcullis.ir.Family, List<Long>> roots;
        try {
            BpfCompiler.Compiled c = BpfCompiler.compileWithRoots(policy, sourceName(policy, inputs));
            object = c.object();
            roots = c.tableRoots();
        } catch (CodegenException e) {
            return new Prepared(null, e, null, List.of(), List.of(), false);
        }
        StaticCheck.Result checked = StaticCheck.check(object, policy.target());
        if (checked.problem() != null) return new Prepared(object, null, checked, List.of(), List.of(), false);
        List<Diagnostic> diagnostics = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        boolean proven = TranslationCheck.run(policy, object, roots, diagnostics, notes);
        return new Prepared(object, null, checked, List.copyOf(diagnostics), List.copyOf(notes), proven);
    }

    /**
     * The policies' objects prepared ({@link #prepare}) on a thread of their own, one policy after the other, while the
     * check runs: the check's findings decide only whether an object is written, not what it is. A 10k-rule build does
     * about 3 s of compiling, static verification and translation validation on one thread after a check of about
     * 1.5 s on two; started together they share the machine. The results are the same as prepared in turn, and are
     * taken in policy order, so the output does not change. Work on a policy that turns out to have errors is dropped
     * ({@link #skip}). {@code -Dportcullis.build.ahead=false} prepares each policy after the check instead.
     */
    static final class Ahead {
        private final java.util.Map<ResolvedPolicy, java.util.concurrent.Future<Prepared>> futures = new java.util.IdentityHashMap<>();

        private Ahead(List<ResolvedPolicy> policies, List<Path> inputs) {
            // Daemon: a run that ends early (errors everywhere) does not wait for it.
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor(
                    io.portcullis.space.Parallel.threads("portcullis-build-ahead"));
            for (ResolvedPolicy p : policies) futures.put(p, pool.submit(() -> prepare(p, inputs)));
            pool.shutdown();
        }

        /** Starts preparing {@code policies}, or returns null where it would not pay (one processor, or turned off). */
        static Ahead start(List<ResolvedPolicy> policies, List<Path> inputs) {
            boolean on = !"false".equals(System.getProperty(PROPERTY));
            if (!on || policies.isEmpty() || Runtime.getRuntime().availableProcessors() < 2) return null;
            return new Ahead(policies, inputs);
        }

        static final String PROPERTY = "portcullis.build.ahead";

        /** The policy's prepared object, waiting for it; a failure there is thrown here, as if it had happened here. */
        Prepared take(ResolvedPolicy policy) { return io.portcullis.space.Parallel.get(futures.get(policy)); }

        /** The policy is not built: its preparation is not started, or its result not waited for. */
        void skip(ResolvedPolicy policy) { futures.get(policy).cancel(false); }
    }

    /**
     * The policy's file relative to the root it was found under (a directory given is its own root, a file's root is
     * its directory), with '/' separators: what the object's BTF line info names, the same on every machine.
     */
    static String sourceName(ResolvedPolicy policy, List<Path> inputs) {
        Path file = policy.span() == null || policy.span().file() == null ? null : policy.span().file().path();
        if (file != null) {
            Path abs = file.toAbsolutePath().normalize();
            for (Path in : inputs) {
                Path root = in.toAbsolutePath().normalize();
                if (!Files.isDirectory(root)) root = root.getParent();
                if (root != null && abs.startsWith(root) && !abs.equals(root)) {
                    return root.relativize(abs).toString().replace(java.io.File.separatorChar, '/');
                }
            }
        }
        return BpfCompiler.defaultSourceName(policy);
    }

    private static Diagnostic finding(ResolvedPolicy policy, String code, String message, String help) {
        return new Diagnostic(code, Codes.defaultSeverity(code), policy.span(), message, help,
                policy.name(), null, List.of(), null, null);
    }

    private static String lastLines(String log, int n) {
        if (log == null) return "";
        String[] lines = log.strip().split("\n");
        int from = Math.max(0, lines.length - n);
        return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }

    /** Writes to a temporary file beside the target, then moves it into place, so no partial object is ever seen. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            // createTempFile makes the file private; an object is an ordinary build output.
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
