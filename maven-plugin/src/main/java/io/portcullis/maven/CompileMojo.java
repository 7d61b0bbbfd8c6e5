package io.portcullis.maven;

import io.portcullis.driver.Portcullis;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

/**
 * Checks, compiles and (see {@code kernelVerify}) kernel-verifies the project's policies, writes one eBPF object per
 * policy without errors to {@code outputDirectory}, and attaches each object to the build as an artifact of type
 * {@code o} with the classifier {@code <policy>-<target>} (e.g. {@code edge-xdp}, {@code web-tc-ingress}), so that
 * {@code install} and {@code deploy} publish it.
 *
 * <p>Bound to {@code package}: the objects are the project's deliverable, and attaching them there puts them in the
 * build before {@code install}/{@code deploy} run, as a packaging plugin's outputs would be; {@code prepare-package}
 * would also work, but would compile even when the build stops before packaging.
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class CompileMojo extends AbstractPortcullisMojo {

    /** Where the objects ({@code <policy>.o}) are written. */
    @Parameter(property = "portcullis.outputDirectory", defaultValue = "${project.build.directory}/portcullis")
    File outputDirectory;

    /** Attach the objects to the build; false only writes them. */
    @Parameter(property = "portcullis.attach", defaultValue = "true")
    boolean attach;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    MavenProject project;

    @Component
    MavenProjectHelper projectHelper;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Portcullis compile skipped (portcullis.skip)");
            return;
        }
        List<Loader.Source> sources = sources();
        if (sources == null) {
            getLog().info("No policies to compile (neither src/main/policies nor policies exists)");
            return;
        }
        Portcullis.Options options = options();
        if (options.kernel() == Portcullis.KernelMode.NEVER) getLog().info("Kernel verification off (kernelVerify=never)");
        Portcullis.BuildResult result;
        try {
            result = Portcullis.buildSources(sources, outputDirectory.toPath(), options);
        } catch (InputException e) {
            throw new MojoExecutionException(e.getMessage());
        } catch (RuntimeException e) {
            throw internal(e);
        }
        log(result.diagnostics());
        for (String note : result.notes()) getLog().info(note);
        for (Path object : result.objects()) getLog().info("Wrote " + object);
        failIfNeeded("compile", result.diagnostics(), options.failOn());
        if (attach) {
            for (ResolvedPolicy p : result.check().policies()) {
                Path object = outputDirectory.toPath().resolve(p.name() + ".o");
                if (!result.objects().contains(object)) continue;
                String classifier = classifier(p);
                projectHelper.attachArtifact(project, "o", classifier, object.toFile());
                getLog().info("Attached " + object.getFileName() + " as " + project.getArtifactId() + "-"
                        + project.getVersion() + "-" + classifier + ".o");
            }
        }
    }

    /** {@code <policy>-<target>}, the target as written with spaces turned into dashes: {@code web-tc-ingress}. */
    static String classifier(ResolvedPolicy p) {
        return p.name() + "-" + p.target().syntax().replace(' ', '-').toLowerCase(Locale.ROOT);
    }
}
