package io.portcullis.resolve;

import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import java.nio.file.Path;
import java.util.List;

/** Loads policy files and directories, follows imports inside the root, and resolves names. (Owner: core.) */
public final class Loader {
    private Loader() {}

    /** Policies and guards that resolved cleanly, and every diagnostic found on the way (syntax included). */
    public record LoadResult(List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {}

    public static LoadResult load(List<Path> inputs) throws InputException {
        throw new UnsupportedOperationException("not landed yet");
    }
}
