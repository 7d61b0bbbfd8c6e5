package io.portcullis.cli;

import io.portcullis.driver.Portcullis;
import io.portcullis.resolve.InputException;
import java.nio.file.Path;
import java.util.List;

/**
 * The library calls the CLI makes. A seam so tests can drive the exit-code and output routing with results
 * (and failures) that real policies cannot easily produce; production code always uses {@link #REAL}.
 */
interface Library {
    Portcullis.CheckResult check(List<Path> inputs, Portcullis.Options options) throws InputException;

    Portcullis.BuildResult build(List<Path> inputs, Path outDir, Portcullis.Options options) throws InputException;

    Portcullis.EvalResult eval(Path file, String policy, String packet) throws InputException;

    /** A default, so test doubles that predate diff need not implement it. */
    default Portcullis.DiffRun diff(Path before, Path after) throws InputException {
        return Portcullis.diff(before, after);
    }

    /** A default, as for diff. */
    default Portcullis.ExplainResult explain(Path file, String policy, String packet) throws InputException {
        return Portcullis.explain(file, policy, packet);
    }

    Library REAL = new Library() {
        @Override
        public Portcullis.CheckResult check(List<Path> inputs, Portcullis.Options options) throws InputException {
            return Portcullis.check(inputs, options);
        }

        @Override
        public Portcullis.BuildResult build(List<Path> inputs, Path outDir, Portcullis.Options options)
                throws InputException {
            return Portcullis.build(inputs, outDir, options);
        }

        @Override
        public Portcullis.EvalResult eval(Path file, String policy, String packet) throws InputException {
            return Portcullis.eval(file, policy, packet);
        }
    };
}
