package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.resolve.Loader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BTF with func and line info that points at policy lines, the same bytes from any working directory. */
class BtfTest {
    static final String POLICY = """
            # a small policy for line info
            policy lines on xdp {
                default deny;
                web:    allow tcp from any to 10.1.0.0/16 port { 80, 443 };
                dns:    allow udp from 10.0.0.0/8 to 10.2.0.53 port 53;
                v6:     allow tcp from 2001:db8::/32 to fd00::/8 port 22;
                ping:   allow icmp type echo-request from any to any4;
            }
            """;

    static ResolvedPolicy load(Path dir) throws Exception {
        Path file = dir.resolve("sub").resolve("lines.policy");
        Files.createDirectories(file.getParent());
        Files.writeString(file, POLICY);
        Loader.LoadResult r = Loader.load(List.of(file));
        assertTrue(r.diagnostics().stream().noneMatch(d -> d.severity() == io.portcullis.diag.Severity.ERROR),
                r.diagnostics().toString());
        return r.policies().get(0);
    }

    @Test void objectHasBtfNamingThePolicyFileAndNoPathsOfThisMachine(@TempDir Path dir) throws Exception {
        ResolvedPolicy p = load(dir);
        byte[] obj = BpfCompiler.compile(p, "sub/lines.policy");
        Map<String, ObjectFileTest.Section> s = ObjectFileTest.sections(obj);
        assertTrue(s.containsKey(".BTF") && s.containsKey(".BTF.ext"), s.keySet().toString());
        String btf = new String(s.get(".BTF").data(), StandardCharsets.ISO_8859_1);
        assertTrue(btf.contains("sub/lines.policy"), "the file name, relative to the policy root");
        assertTrue(btf.contains("web:    allow tcp from any to 10.1.0.0/16"), "rule text for line info");
        String all = new String(obj, StandardCharsets.ISO_8859_1);
        assertFalse(all.contains(dir.toString()), "no absolute path of the policy");
        assertFalse(all.contains(System.getProperty("user.dir")), "no working directory");
        assertArrayEquals(obj, BpfCompiler.compile(load(dir.resolve("again")), "sub/lines.policy"),
                "the same policy elsewhere gives the same bytes");
        assertEquals("lines.policy", BpfCompiler.defaultSourceName(p));
    }

    private static final Pattern LINE = Pattern.compile("\\[file:sub/lines\\.policy line_num:(\\d+) ");

    /**
     * bpftool shows, per instruction, the policy line ({@code ; TEXT [file:F line_num:N line_col:C]}): every rule's
     * line occurs, and the policy header for the parser.
     */
    @Test void bpftoolShowsRuleLines(@TempDir Path dir) throws Exception {
        String why = Bpftool.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "kernel tests skipped: " + why);
        ResolvedPolicy p = load(dir);
        Bpftool.Load l = Bpftool.load(BpfCompiler.compile(p, "sub/lines.policy"), "btf");
        try {
            assertTrue(l.ok(), () -> "bpftool prog load failed:\n" + l.log());
            assertEquals("", l.log().strip(), "bpftool printed something");
            Bpftool.Result dump = Bpftool.exec(List.of("bpftool", "prog", "dump", "xlated", "pinned", l.pin().toString(), "linum"));
            assertEquals(0, dump.exit(), dump.out());
            Set<Integer> lines = new TreeSet<>();
            Matcher m = LINE.matcher(dump.out());
            while (m.find()) lines.add(Integer.parseInt(m.group(1)));
            assertTrue(lines.contains(p.span().line()), "parser at the policy line: " + lines);
            for (ResolvedRule r : p.rules()) assertTrue(lines.contains(r.span().line()), r.label() + " at line " + r.span().line() + ": " + lines);
            assertTrue(dump.out().contains("dns:    allow udp from 10.0.0.0/8"), "the rule's text is shown");
        } finally {
            l.unpin();
        }
    }
}
