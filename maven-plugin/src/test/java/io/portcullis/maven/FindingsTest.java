package io.portcullis.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.driver.Portcullis;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FindingsTest {
    private static final File BASE = new File("/work/project");

    private static Diagnostic conflict(Severity s, String waiver) {
        SourceFile f = new SourceFile(Path.of("/work/project/policies/edge.policy"), "edge.policy", "x\ny\nz\n");
        Packet witness = new Packet(Family.IPV4, Ip.parse("10.1.0.1").orElseThrow(), Ip.parse("10.2.0.1").orElseThrow(),
                6, 40000, 5432, Set.of(TcpFlag.SYN), 0, 0, false);
        return new Diagnostic("conflict", s, Span.of(f, 3, 5, 4), "rule 'db-clients' never takes effect", "move it up",
                "edge", "db-clients", List.of(new Diagnostic.Related("block-db", 2, 0, "deny tcp ...")), witness, waiver);
    }

    @Test
    void findingIsFileLineCodeMessageThenWitnessAndHelp() {
        List<String> lines = Findings.lines(conflict(Severity.ERROR, null), BASE);
        assertEquals(List.of(
                "policies/edge.policy:3: conflict: rule 'db-clients' never takes effect",
                "    witness: tcp 10.1.0.1:40000 -> 10.2.0.1:5432 flags { syn }, decided by 'block-db' (line 2)",
                "    help: move it up"), lines);
    }

    @Test
    void fileOutsideTheProjectIsShownAbsolute() {
        assertEquals("/work/project/policies/edge.policy:3", Findings.location(conflict(Severity.ERROR, null), new File("/elsewhere")));
    }

    @Test
    void waivedFindingsSayWhyAndDoNotCount() {
        Diagnostic waived = conflict(Severity.ERROR, "reviewed by netops");
        assertTrue(Findings.lines(waived, BASE).get(0).endsWith("(waived: reviewed by netops)"));
        assertEquals(0, Findings.count(List.of(waived), Severity.ERROR));
        assertEquals(1, Findings.count(List.of(waived, conflict(Severity.ERROR, null)), Severity.ERROR));
    }

    @Test
    void failureMessageCarriesTheCounts() {
        List<Diagnostic> ds = List.of(conflict(Severity.ERROR, null), conflict(Severity.ERROR, null), conflict(Severity.WARNING, null));
        assertEquals("Portcullis check failed: 2 errors, 1 warning (failing on error; the findings are logged above)",
                Findings.failure("check", ds, Severity.ERROR));
    }

    /** Captures what the mojo logs, by level. */
    static final class CapturingLog extends SystemStreamLog {
        final List<String> lines = new ArrayList<>();
        @Override public void error(CharSequence c) { lines.add("ERROR " + c); }
        @Override public void warn(CharSequence c) { lines.add("WARN " + c); }
        @Override public void info(CharSequence c) { lines.add("INFO " + c); }
    }

    @Test
    void mojoLogsEachSeverityAtItsLevelAndFailsOnce() {
        CheckMojo mojo = new CheckMojo();
        CapturingLog log = new CapturingLog();
        mojo.setLog(log);
        mojo.basedir = BASE;
        List<Diagnostic> ds = List.of(conflict(Severity.ERROR, null), conflict(Severity.WARNING, null), conflict(Severity.INFO, null));
        mojo.log(ds);
        assertEquals("ERROR policies/edge.policy:3: conflict: rule 'db-clients' never takes effect", log.lines.get(0));
        assertTrue(log.lines.get(1).startsWith("ERROR     witness: tcp 10.1.0.1:40000"), log.lines.get(1));
        assertTrue(log.lines.get(3).startsWith("WARN policies/edge.policy:3"), log.lines.get(3));
        assertTrue(log.lines.get(6).startsWith("INFO policies/edge.policy:3"), log.lines.get(6));
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo.failIfNeeded("check", ds, Severity.ERROR));
        assertTrue(e.getMessage().contains("1 error, 1 warning"), e.getMessage());
    }

    @Test
    void warningsFailOnlyWhenFailOnIsWarning() throws Exception {
        CheckMojo mojo = new CheckMojo();
        List<Diagnostic> ds = List.of(conflict(Severity.WARNING, null));
        mojo.failIfNeeded("check", ds, Severity.ERROR);
        assertThrows(MojoFailureException.class, () -> mojo.failIfNeeded("check", ds, Severity.WARNING));
        mojo.failIfNeeded("check", List.of(conflict(Severity.ERROR, "waived")), Severity.WARNING);
    }

    @Test
    void optionsAreMappedAndValidated() throws Exception {
        CheckMojo mojo = new CheckMojo();
        mojo.failOn = "warning";
        mojo.kernelVerify = "never";
        Map<String, String> sev = new LinkedHashMap<>();
        sev.put("shadowed", "error");
        sev.put("redundant", "off");
        mojo.severities = sev;
        mojo.waiverWindow = 30; // Maven injects the default; a bare mojo has 0
        Portcullis.Options o = mojo.options();
        assertEquals(Severity.WARNING, o.failOn());
        assertEquals(Portcullis.KernelMode.NEVER, o.kernel());
        assertEquals(Map.of("shadowed", Severity.ERROR, "redundant", Severity.OFF), o.severities());
        assertEquals(io.portcullis.check.CheckConfig.DEFAULTS, o.config());
        mojo.waiverWindow = 30;
        mojo.adminPorts = "22, 8000-8100";
        assertEquals(io.portcullis.net.PortSet.of(java.util.List.of(new io.portcullis.net.PortSet.Range(22, 22),
                new io.portcullis.net.PortSet.Range(8000, 8100))), mojo.options().config().adminPorts());
        mojo.adminPorts = "ssh";
        assertThrows(MojoExecutionException.class, mojo::options);
        mojo.adminPorts = null;
        mojo.waiverWindow = -1;
        assertThrows(MojoExecutionException.class, mojo::options);
        mojo.waiverWindow = 30;

        mojo.failOn = "info";
        assertThrows(MojoExecutionException.class, mojo::options);
        mojo.failOn = "error";
        mojo.kernelVerify = "maybe";
        assertThrows(MojoExecutionException.class, mojo::options);
        mojo.kernelVerify = "auto";
        mojo.severities = Map.of("no-such-code", "error");
        MojoExecutionException e = assertThrows(MojoExecutionException.class, mojo::options);
        assertTrue(e.getMessage().contains("no-such-code"));
        mojo.severities = Map.of("conflict", "fatal");
        assertThrows(MojoExecutionException.class, mojo::options);
    }

    @Test
    void policyDirectoryFallsBackFromSrcMainPoliciesToPolicies(@TempDir Path tmp) throws Exception {
        CheckMojo mojo = new CheckMojo();
        mojo.basedir = tmp.toFile();
        assertEquals(null, mojo.policyDirectory());
        File top = tmp.resolve("policies").toFile();
        assertTrue(top.mkdirs());
        assertEquals(top, mojo.policyDirectory());
        File main = tmp.resolve("src/main/policies").toFile();
        assertTrue(main.mkdirs());
        assertEquals(main, mojo.policyDirectory());
        mojo.policyDirectory = tmp.resolve("missing").toFile();
        assertThrows(MojoExecutionException.class, mojo::policyDirectory);
    }

    @Test
    void skipDoesNotTouchTheLibrary(@TempDir Path tmp) throws Exception {
        CheckMojo check = new CheckMojo();
        check.skip = true;
        check.policyDirectory = tmp.resolve("missing").toFile();
        CapturingLog log = new CapturingLog();
        check.setLog(log);
        check.execute();
        assertEquals(List.of("INFO Portcullis check skipped (portcullis.skip)"), log.lines);
    }
}
