package io.portcullis.maven;

import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import java.io.File;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Checks the project's policies (consistency, unsafe policies, waivers, expects, asserts, guards), logs every finding
 * with {@code file:line}, and fails the build once at the end when a finding is at or above {@code failOn}.
 * Bound to {@code verify}.
 */
@Mojo(name = "check", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class CheckMojo extends AbstractPortcullisMojo {

    /**
     * Reports to write besides the log, comma-separated: {@code json}, {@code sarif}, {@code junit}, {@code html},
     * {@code text}. They go to {@code reportDirectory} as {@code portcullis.json}, {@code portcullis.sarif},
     * {@code TEST-portcullis.xml}, {@code portcullis.html} and {@code portcullis.txt}, written before the build fails.
     */
    @Parameter(property = "portcullis.formats")
    String formats;

    /** Where the reports of {@code formats} are written. */
    @Parameter(property = "portcullis.reportDirectory", defaultValue = "${project.build.directory}/portcullis")
    File reportDirectory;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Portcullis check skipped (portcullis.skip)");
            return;
        }
        List<Loader.Source> sources = sources();
        if (sources == null) {
            getLog().info("No policies to check (neither src/main/policies nor policies exists)");
            return;
        }
        Portcullis.Options options = options();
        Portcullis.CheckResult result;
        try {
            result = Portcullis.checkSources(sources, options);
        } catch (InputException e) {
            throw new MojoExecutionException(e.getMessage());
        } catch (RuntimeException e) {
            throw internal(e);
        }
        log(result.diagnostics());
        Reports.writeAll(this, result, options);
        getLog().info("Portcullis checked " + result.policies().size() + " policies and " + result.guards().size()
                + " guards in " + policyDirectory() + ": "
                + Findings.count(result.diagnostics(), Severity.ERROR) + " errors, "
                + Findings.count(result.diagnostics(), Severity.WARNING) + " warnings, "
                + result.diagnostics().stream().filter(d -> d.isWaived()).count() + " waived");
        failIfNeeded("check", result.diagnostics(), options.failOn());
    }
}
