package io.portcullis.maven;

import io.portcullis.driver.Portcullis;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;

/** Writes the report formats the check goal is asked for (parameter {@code formats}). */
final class Reports {
    private Reports() {}

    /** The formats named in {@code list} (comma-separated, blanks ignored); an unknown name is a configuration error. */
    static List<io.portcullis.driver.Reports.Format> parse(String list) throws MojoExecutionException {
        List<io.portcullis.driver.Reports.Format> out = new ArrayList<>();
        if (list == null) return out;
        for (String item : list.split(",")) {
            if (item.isBlank()) continue;
            io.portcullis.driver.Reports.Format f = io.portcullis.driver.Reports.Format.parse(item);
            if (f == null) {
                throw new MojoExecutionException("formats: unknown report format '" + item.trim()
                        + "' (known: text, json, sarif, junit, html)");
            }
            if (!out.contains(f)) out.add(f);
        }
        return out;
    }

    static void writeAll(CheckMojo mojo, Portcullis.CheckResult result, Portcullis.Options options)
            throws MojoExecutionException {
        List<io.portcullis.driver.Reports.Format> formats = parse(mojo.formats);
        if (formats.isEmpty()) return;
        String version = CheckMojo.class.getPackage().getImplementationVersion();
        io.portcullis.driver.Reports.Context context = new io.portcullis.driver.Reports.Context(mojo.basedir.toPath(),
                version, false, options.kernel() != Portcullis.KernelMode.NEVER);
        for (io.portcullis.driver.Reports.Format f : formats) {
            File target = new File(mojo.reportDirectory, f.fileName());
            try {
                io.portcullis.driver.Reports.write(target.toPath(), io.portcullis.driver.Reports.render(f, result, options, context));
            } catch (IOException e) {
                throw new MojoExecutionException("cannot write " + target + ": " + e.getMessage());
            }
            mojo.getLog().info("Portcullis " + f.label() + " report: " + target);
        }
    }
}
