package io.portcullis.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.check.Checker;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs the fuzz test found mistakes on, kept as plain tests. */
class FuzzRegressionTest {
    @TempDir Path dir;

    List<Diagnostic> run(String text) throws Exception {
        Path f = dir.resolve("t.policy");
        Files.writeString(f, text);
        Loader.LoadResult r = Loader.load(List.of(f));
        List<Diagnostic> all = new ArrayList<>(r.diagnostics());
        r.policies().forEach(p -> all.addAll(Checker.check(p, r.guards(), PolicyFuzzTest.TODAY)));
        all.forEach(d -> PolicyFuzzTest.checkDiagnostic(d, text));
        return all;
    }

    /** ANTLR conjured the missing address but left the address context empty: the AST builder threw. */
    @Test
    void emptyListIsASyntaxErrorNotACrash() throws Exception {
        for (String text : List.of("network n = { };\n", "policy p {\n    default deny;\n    allow to { };\n}\n",
                "service s = { };\n", "policy p {\n    default deny;\n    allow tcp to any port { };\n}\n")) {
            List<Diagnostic> ds = run(text);
            assertEquals(1, ds.size(), text + ds);
            assertEquals(Codes.SYNTAX, ds.get(0).code(), text + ds);
        }
    }

    /** A guard's message quotes its assert; written over two lines with a comment, it broke the one-line message. */
    @Test
    void multiLineAssertIsQuotedOnOneLine() throws Exception {
        List<Diagnostic> ds = run("policy p {\n    default allow;\n}\nguard g {\n    assert deny tcp to 10.0.0.0/8  # admin\n"
                + "        port 22;\n}\n");
        assertEquals(1, ds.stream().filter(d -> d.code().equals(Codes.GUARD)).count(), ds.toString());
        Diagnostic g = ds.stream().filter(d -> d.code().equals(Codes.GUARD)).findFirst().orElseThrow();
        assertTrue(g.message().contains("`deny tcp to 10.0.0.0/8 port 22`"), g.message());
    }
}
