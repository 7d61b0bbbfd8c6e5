package io.portcullis.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loads policy text through the real front end. */
final class Policies {
    private Policies() {}

    static List<ResolvedPolicy> load(Path dir, String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return loadPath(f);
    }

    static List<ResolvedPolicy> loadPath(Path p) throws Exception {
        Loader.LoadResult r = Loader.load(List.of(p));
        List<Diagnostic> errors = r.diagnostics().stream().filter(d -> d.severity() == Severity.ERROR).toList();
        assertEquals(List.of(), errors, "the test policy loads without errors");
        return r.policies();
    }

    /** The bundled policies, as a directory copy (tests edit the copy). */
    static Path bundledCopy(Path into) throws IOException {
        Path src = Path.of("../policies").toAbsolutePath().normalize();
        try (var s = Files.walk(src)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".policy")).toList()) {
                Path target = into.resolve(src.relativize(p).toString());
                Files.createDirectories(target.getParent());
                Files.copy(p, target);
            }
        }
        return into;
    }
}
