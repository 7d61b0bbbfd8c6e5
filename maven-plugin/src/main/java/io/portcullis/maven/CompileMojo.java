package io.portcullis.maven;

import io.portcullis.driver.Portcullis;
import io.portcullis.resolve.InputException;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/** Checks, compiles and verifies the project's policies and writes one eBPF object per policy. */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class CompileMojo extends AbstractPortcullisMojo {

    /** Where the objects ({@code <policy>.o}) are written. */
    @Parameter(property = "portcullis.outputDirectory", defaultValue = "${project.build.directory}/portcullis")
    File outputDirectory;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Portcullis compile skipped (portcullis.skip)");
            return;
        }
        File dir = policyDirectory();
        if (dir == null) {
            getLog().info("No policies to compile (neither src/main/policies nor policies exists)");
            return;
        }
        Portcullis.Options options = options();
        Portcullis.BuildResult result;
        try {
            result = Portcullis.build(List.of(dir.toPath()), outputDirectory.toPath(), options);
        } catch (InputException e) {
            throw new MojoExecutionException(e.getMessage());
        } catch (RuntimeException e) {
            throw internal(e);
        }
        log(result.diagnostics());
        for (String note : result.notes()) getLog().info(note);
        for (Path object : result.objects()) getLog().info("Wrote " + object);
        failIfNeeded("compile", result.diagnostics(), options.failOn());
    }
}
