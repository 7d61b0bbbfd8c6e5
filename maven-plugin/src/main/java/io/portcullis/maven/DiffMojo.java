package io.portcullis.maven;

import io.portcullis.diff.DiffReport;
import io.portcullis.diff.DiffResult;
import io.portcullis.driver.Portcullis;
import io.portcullis.resolve.InputException;
import java.io.File;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Compares the project's policies with a baseline (the previous version, e.g. the target branch checked out beside
 * the build) by meaning, logs every region whose verdict changed, and fails when anything is newly allowed.
 */
@Mojo(name = "diff", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class DiffMojo extends AbstractPortcullisMojo {

    /** The directory (or file) holding the previous version of the policies. */
    @Parameter(property = "portcullis.baseline")
    File baseline;

    /** Fails the build when some packet is allowed now that the baseline denied. */
    @Parameter(property = "portcullis.failOnNewAllow", defaultValue = "true")
    boolean failOnNewAllow;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Portcullis diff skipped (portcullis.skip)");
            return;
        }
        if (baseline == null) {
            throw new MojoExecutionException("the diff goal needs a baseline: set <baseline> or -Dportcullis.baseline=DIR "
                    + "to the previous version of the policies");
        }
        if (!baseline.exists()) throw new MojoExecutionException("baseline " + baseline + " does not exist");
        File dir = policyDirectory();
        if (dir == null) {
            getLog().info("No policies to compare (neither src/main/policies nor policies exists)");
            return;
        }
        Portcullis.DiffRun run;
        try {
            run = Portcullis.diff(baseline.toPath(), dir.toPath());
        } catch (InputException e) {
            throw new MojoExecutionException(e.getMessage());
        } catch (RuntimeException e) {
            throw internal(e);
        }
        if (run.result() == null) {
            log(run.diagnostics());
            throw new MojoFailureException("Portcullis diff failed: the policies or the baseline have errors (logged above)");
        }
        DiffResult d = run.result();
        for (DiffResult.Region r : d.regions()) {
            List<String> lines = DiffReport.lines(r);
            boolean fatal = failOnNewAllow && r.kind() == DiffResult.Kind.NEW_ALLOW;
            for (String line : lines) {
                if (fatal) getLog().error(line);
                else getLog().warn(line);
            }
        }
        for (DiffResult.PolicyDiff p : d.policies()) for (String n : p.notes()) getLog().info(n);
        long allow = d.count(DiffResult.Kind.NEW_ALLOW), deny = d.count(DiffResult.Kind.NEW_DENY);
        if (d.unchanged()) {
            getLog().info("Portcullis diff against " + baseline + ": no change in behaviour (" + d.policies().size()
                    + " policies compared)");
        } else {
            getLog().info("Portcullis diff against " + baseline + ": " + allow + " newly allowed, " + deny
                    + " newly denied regions");
        }
        if (failOnNewAllow && allow > 0) {
            throw new MojoFailureException("Portcullis diff failed: " + allow + (allow == 1 ? " region" : " regions")
                    + " newly allowed against the baseline " + baseline + " (logged above; set failOnNewAllow=false"
                    + " or -Dportcullis.failOnNewAllow=false to report without failing)");
        }
    }
}
