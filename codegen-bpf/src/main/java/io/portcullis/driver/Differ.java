package io.portcullis.driver;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diff.DiffResult;
import io.portcullis.diff.SemanticDiff;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code portcullis diff} and the plugin's diff goal: load both versions, compare them if both load cleanly. */
final class Differ {
    private Differ() {}

    static Portcullis.DiffRun diff(Path before, Path after) throws InputException {
        Loader.LoadResult o = Loader.load(List.of(before));
        Loader.LoadResult n = Loader.load(List.of(after));
        List<Diagnostic> errors = new ArrayList<>();
        for (Diagnostic d : o.diagnostics()) if (d.severity() == Severity.ERROR) errors.add(d);
        for (Diagnostic d : n.diagnostics()) if (d.severity() == Severity.ERROR) errors.add(d);
        // A file that does not parse loses its policies; comparing what is left would report them as removed.
        if (!errors.isEmpty()) return new Portcullis.DiffRun(null, Diagnostics.finish(errors, Portcullis.Options.defaults()));
        return new Portcullis.DiffRun(SemanticDiff.compare(o.policies(), n.policies()), List.of());
    }
}
