package io.portcullis.maven;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.driver.Portcullis;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import io.portcullis.resolve.Selection;
import java.io.File;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Options in, one library call, findings out: what the goals share. Mojos keep no static mutable state (they are
 * {@code threadSafe}); every field is per execution.
 */
abstract class AbstractPortcullisMojo extends AbstractMojo {

    /**
     * The directory whose policy files are checked. When not set,
     * {@code src/main/policies} is used, or {@code policies} when that does not exist; with neither, the goal does
     * nothing. Imports may read any file below this directory.
     */
    @Parameter(property = "portcullis.policyDirectory")
    File policyDirectory;

    /**
     * Which files below {@code policyDirectory} are policies to check (comma-separated): Ant-style patterns relative to the directory ({@code *}, {@code ?}, {@code **}).
     * Default: {@code **}{@code /*.policy}.
     */
    @Parameter(property = "portcullis.includes")
    List<String> includes;

    /**
     * Files below {@code policyDirectory} to leave out even when an include matches them
     * (comma-separated), e.g. {@code drafts/**}. Files left out can still be imported.
     */
    @Parameter(property = "portcullis.excludes")
    List<String> excludes;

    /**
     * Guard files or directories (every {@code *.policy} below a directory) loaded with the policies
     * (comma-separated), e.g. an organisation's baseline kept outside the project. Every
     * {@code guard} in them must hold for every policy of the project. Whatever else they define is loaded too:
     * keep them to guards and the networks and services those use.
     */
    @Parameter(property = "portcullis.guards")
    List<File> guards;

    /**
     * The lowest severity that fails the build: {@code error} (default)
     * or {@code warning}.
     */
    @Parameter(property = "portcullis.failOn", defaultValue = "error")
    String failOn;

    /** Skips the goal. */
    @Parameter(property = "portcullis.skip", defaultValue = "false")
    boolean skip;

    /**
     * Per-code severity overrides, e.g. {@code <severities><shadowed>error</shadowed><redundant>off</redundant></severities>};
     * levels: {@code error}, {@code warning}, {@code info}, {@code off}. Codes: see the README's findings table.
     * (No user property: Maven cannot set a map from the command line.)
     */
    @Parameter
    Map<String, String> severities;

    /**
     * Kernel verification of compiled programs: {@code auto}
     * (default: when the machine allows bpf(), otherwise the build log says why not), {@code always} (fails the build
     * where the kernel verifier cannot run) or {@code never}.
     */
    @Parameter(property = "portcullis.kernelVerify", defaultValue = "auto")
    String kernelVerify;

    /**
     * Administrative and data ports for the exposed-admin-port check,
     * e.g. {@code 22,3389,5432,2379-2380}; unset: the default list in the README.
     */
    @Parameter(property = "portcullis.adminPorts")
    String adminPorts;

    /** Days before a waiver's date from which waiver-expiring warns. */
    @Parameter(property = "portcullis.waiverWindow", defaultValue = "30")
    int waiverWindow;

    @Parameter(defaultValue = "${project.basedir}", readonly = true, required = true)
    File basedir;

    /** The directory to check, or null when the project has none (nothing to do). */
    File policyDirectory() throws MojoExecutionException {
        if (policyDirectory != null) {
            if (!policyDirectory.isDirectory()) {
                throw new MojoExecutionException("policyDirectory " + policyDirectory + " is not a directory");
            }
            return policyDirectory;
        }
        File main = new File(basedir, "src/main/policies");
        if (main.isDirectory()) return main;
        File top = new File(basedir, "policies");
        return top.isDirectory() ? top : null;
    }

    /**
     * The files of this run: the selected policy files (rooted at the policy directory) and the guard files, or null
     * when the project has no policy directory.
     */
    List<Loader.Source> sources() throws MojoExecutionException {
        File dir = policyDirectory();
        if (dir == null) return null;
        List<Loader.Source> out = new ArrayList<>();
        try {
            out.addAll(Selection.select(dir.toPath(), includes, excludes));
            if (out.isEmpty()) {
                getLog().warn("No policy files selected in " + dir + " (includes " + (includes == null || includes.isEmpty()
                        ? Selection.DEFAULT_INCLUDES : includes) + ", excludes " + (excludes == null ? List.of() : excludes) + ")");
            }
            if (guards != null) {
                for (File g : guards) {
                    if (!g.exists()) throw new MojoExecutionException("guards: " + g + " does not exist");
                    out.addAll(Loader.sources(List.of(g.toPath())));
                }
            }
        } catch (InputException e) {
            throw new MojoExecutionException(e.getMessage());
        }
        return out;
    }

    /** The organisation's check settings; a malformed port list is a configuration error, not a crash. */
    io.portcullis.check.CheckConfig checkConfig() throws org.apache.maven.plugin.MojoExecutionException {
        io.portcullis.net.PortSet ports = io.portcullis.check.CheckConfig.DEFAULT_ADMIN_PORTS;
        if (adminPorts != null && !adminPorts.isBlank()) {
            try {
                ports = io.portcullis.check.CheckConfig.parsePorts(adminPorts);
            } catch (IllegalArgumentException e) {
                throw new org.apache.maven.plugin.MojoExecutionException("adminPorts takes ports and ranges separated by"
                        + " commas, e.g. 22,3389,2379-2380, not '" + adminPorts + "'");
            }
        }
        if (waiverWindow < 0) {
            throw new org.apache.maven.plugin.MojoExecutionException("waiverWindow is a number of days, 0 or more");
        }
        return new io.portcullis.check.CheckConfig(ports, waiverWindow);
    }

    Portcullis.Options options() throws MojoExecutionException {
        return new Portcullis.Options(failOnSeverity(), severityOverrides(), LocalDate.now(), kernelMode(), checkConfig());
    }

    Severity failOnSeverity() throws MojoExecutionException {
        String v = failOn == null ? "error" : failOn.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "error" -> Severity.ERROR;
            case "warning" -> Severity.WARNING;
            default -> throw new MojoExecutionException("failOn must be error or warning, not '" + failOn + "'");
        };
    }

    Map<String, Severity> severityOverrides() throws MojoExecutionException {
        Map<String, Severity> out = new TreeMap<>();
        if (severities == null) return out;
        for (Map.Entry<String, String> e : severities.entrySet()) {
            String code = e.getKey().trim();
            if (!Codes.known(code)) {
                throw new MojoExecutionException("severities: unknown finding code '" + code + "' (known: "
                        + String.join(", ", Codes.catalogue().keySet()) + ")");
            }
            String level = e.getValue() == null ? "" : e.getValue().trim().toLowerCase(Locale.ROOT);
            Severity s = switch (level) {
                case "error" -> Severity.ERROR;
                case "warning" -> Severity.WARNING;
                case "info" -> Severity.INFO;
                case "off" -> Severity.OFF;
                default -> throw new MojoExecutionException(
                        "severities: level for " + code + " must be error, warning, info or off, not '" + e.getValue() + "'");
            };
            out.put(code, s);
        }
        return out;
    }

    Portcullis.KernelMode kernelMode() throws MojoExecutionException {
        String v = kernelVerify == null ? "auto" : kernelVerify.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> Portcullis.KernelMode.AUTO;
            case "always" -> Portcullis.KernelMode.ALWAYS;
            case "never" -> Portcullis.KernelMode.NEVER;
            default -> throw new MojoExecutionException("kernelVerify must be auto, always or never, not '" + kernelVerify + "'");
        };
    }

    /** Logs every finding at the level of its severity. */
    void log(List<Diagnostic> diagnostics) {
        Log log = getLog();
        for (Diagnostic d : diagnostics) {
            for (String line : Findings.lines(d, basedir)) {
                if (d.isWaived()) log.info(line);
                else if (d.severity() == Severity.ERROR) log.error(line);
                else if (d.severity() == Severity.WARNING) log.warn(line);
                else log.info(line);
            }
        }
    }

    /** Throws the one failure of the run when any finding is at or above the fail level. */
    void failIfNeeded(String what, List<Diagnostic> diagnostics, Severity failOn) throws MojoFailureException {
        boolean fails = diagnostics.stream().anyMatch(d -> !d.isWaived() && d.severity().atLeast(failOn));
        if (fails) throw new MojoFailureException(Findings.failure(what, diagnostics, failOn));
    }

    /** A library failure that is not about the policies is a bug; Maven shows the cause with -e. */
    static MojoExecutionException internal(RuntimeException e) {
        return new MojoExecutionException("Portcullis internal error: " + e, e);
    }
}
