package io.portcullis.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.model.Ast;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One mistake gives one error, at the right line:column, with a stable code and a help text. */
class SyntaxErrorTest {

    static final String GOOD_HEAD = "network web = 10.1.0.0/16;\n";

    static Diagnostic single(String text) {
        PolicyParser.ParseResult r = PolicyParser.parse(SourceFile.ofString("t.policy", text));
        assertNotNull(r.file());
        assertEquals(1, r.diagnostics().size(), () -> "want exactly one error, got " + r.diagnostics());
        return r.diagnostics().get(0);
    }

    static void assertError(String text, String code, int line, int col) {
        Diagnostic d = single(text);
        assertEquals(code, d.code(), d::toString);
        assertEquals(line + ":" + col, d.span().line() + ":" + d.span().column(), d::toString);
        assertNotNull(d.help(), d::toString);
        assertFalse(d.message().contains("mismatched input"), d.message());
        assertFalse(d.message().contains("{"), "no raw token-set dumps: " + d.message());
    }

    // ---------------------------------------------------------------- front-end checks, each code

    @Test
    void badAddress() {
        assertError("network x = 10.0.0.256;", "bad-address", 1, 13);
        assertError("network x = 010.0.0.1;", "bad-address", 1, 13);
        assertError("network x = { any, fd00:::1 };", "bad-address", 1, 20);
        assertError("network x = 1.2.3;", "bad-address", 1, 13);
    }

    @Test
    void hostBitsNameTheIntendedNetwork() {
        Diagnostic d = single("network x = { 192.0.2.0/24,\n   10.0.0.1/8 };");
        assertEquals("host-bits", d.code());
        assertEquals(2, d.span().line());
        assertEquals(4, d.span().column());
        assertEquals("10.0.0.1/8".length(), d.span().length());
        assertTrue(d.message().contains("did you mean 10.0.0.0/8?"), d.message());
        Diagnostic v6 = single("network x = 2001:db8::1/32;");
        assertTrue(v6.message().contains("did you mean 2001:db8::/32?"), v6.message());
    }

    @Test
    void badNumbers() {
        assertError("network x = 10.0.0.0/33;", "bad-number", 1, 13);
        assertError("network x = fd00::/129;", "bad-number", 1, 13);
        assertError("service s = tcp 65536;", "bad-number", 1, 17);
        assertError("service s = tcp 99999999999999999999;", "bad-number", 1, 17);
        assertError("service s = udp 9000-8000;", "bad-number", 1, 17);
        assertError("service s = proto 256;", "bad-number", 1, 19);
        assertError("service s = icmp type 256;", "bad-number", 1, 23);
        assertError("service s = icmp type 3 code 300;", "bad-number", 1, 30);
        assertError("policy p { default deny;\n  allow tcp to any port 70000; }", "bad-number", 2, 25);
    }

    @Test
    void badDate() {
        assertError("policy p { default deny;\n waive shadowed \"x\" until 2027-02-30; }", "bad-date", 2, 27);
        assertError("policy p { default deny;\n waive shadowed \"x\" until 2027-3-1; }", "bad-date", 2, 27);
    }

    // ---------------------------------------------------------------- typical typos: one error each

    @Test
    void missingSemicolonAtLineEnd() {
        Diagnostic d = single("policy p {\n    default deny\n    web: allow tcp to web;\n}\n");
        assertEquals("syntax", d.code());
        assertEquals("2:17", d.span().line() + ":" + d.span().column());
        assertTrue(d.message().contains("';'"), d.message());
    }

    @Test
    void missingSemicolonKeepsTheFollowingRule() {
        PolicyParser.ParseResult r = PolicyParser.parse(SourceFile.ofString("t",
                "policy p {\n    default deny\n    web: allow tcp to web;\n}\n"));
        List<Ast.PolicyItem> items = r.file().policies().get(0).items();
        assertEquals(2, items.size());
        assertEquals("web", ((Ast.RuleStmt) items.get(1)).label());
    }

    @Test
    void misspelledStatementKeyword() {
        Diagnostic d = single("policy p {\n  default deny;\n  alow tcp from any to web;\n  deny udp;\n}");
        assertEquals("3:3", d.span().line() + ":" + d.span().column());
        assertEquals("did you mean 'allow'?", d.help());
    }

    @Test
    void misspelledMatchKeyword() {
        Diagnostic d = single("policy p { default deny;\n  allow tcp form any to web; }");
        assertEquals("2:13", d.span().line() + ":" + d.span().column());
        assertEquals("did you mean 'from'?", d.help());
    }

    @Test
    void misspelledTopLevelKeywordSkipsTheWholeBlock() {
        PolicyParser.ParseResult r = PolicyParser.parse(SourceFile.ofString("t",
                "polcy p {\n  default deny;\n  allow tcp;\n}\npolicy q { default allow; }\n"));
        assertEquals(1, r.diagnostics().size(), r.diagnostics()::toString);
        assertEquals("did you mean 'policy'?", r.diagnostics().get(0).help());
        assertEquals(List.of("q"), r.file().policies().stream().map(Ast.PolicyDef::name).toList());
    }

    @Test
    void misspelledTarget() {
        assertError("policy p on tc ingres { default deny; }", "syntax", 1, 16);
    }

    @Test
    void unclosedBraceAtEndOfFile() {
        Diagnostic d = single("policy p {\n  default deny;\n  allow tcp;\n");
        assertEquals("3:13", d.span().line() + ":" + d.span().column());
        assertTrue(d.message().contains("line 1"), d.message());
    }

    @Test
    void unclosedBraceBeforeNextPolicyKeepsTheNextPolicy() {
        PolicyParser.ParseResult r = PolicyParser.parse(SourceFile.ofString("t",
                "policy p {\n  default deny;\n\npolicy q { default allow; }\n"));
        assertEquals(1, r.diagnostics().size(), r.diagnostics()::toString);
        assertEquals(List.of("p", "q"), r.file().policies().stream().map(Ast.PolicyDef::name).toList());
    }

    @Test
    void unclosedList() {
        assertError("network x = { 10.0.0.0/8, 10.1.0.0/16 ;\nnetwork y = any;", "syntax", 1, 39);
    }

    @Test
    void strayCharacter() {
        assertError("policy p { default deny;\n  allow tcp to any port 80 $; }", "syntax", 2, 28);
        assertError("policy p { default deny;\n  allow tcp @ to any port 80; }", "syntax", 2, 13);
        assertError("network x = 10.0.0.0 /8;", "syntax", 1, 22);
    }

    @Test
    void unterminatedString() {
        assertError("import \"common/x.policy;\nnetwork y = any;", "syntax", 1, 8);
    }

    @Test
    void extraTokenBeforeSemicolon() {
        assertError("policy p { default deny;\n  allow tcp to any port 80 443; }", "syntax", 2, 28);
    }

    @Test
    void twoMistakesInTwoStatementsGiveTwoErrors() {
        PolicyParser.ParseResult r = PolicyParser.parse(SourceFile.ofString("t",
                "policy p {\n  default deny;\n  alow tcp;\n  allow udp frm any;\n  allow icmp;\n}"));
        assertEquals(List.of(3, 4), r.diagnostics().stream().map(d -> d.span().line()).toList());
        assertEquals(2, r.file().policies().get(0).items().size(), "the default and the icmp rule are recovered");
    }

    @Test
    void errorsAreInSourceOrderAndDeterministic() {
        String text = "network a = 10.0.0.1/8;\nnetwrk b = any;\nservice s = tcp 70000;\n";
        List<Diagnostic> one = PolicyParser.parse(SourceFile.ofString("t", text)).diagnostics();
        List<Diagnostic> two = PolicyParser.parse(SourceFile.ofString("t", text)).diagnostics();
        assertEquals(List.of(1, 2, 3), one.stream().map(d -> d.span().line()).toList());
        assertEquals(one.toString(), two.toString());
    }

    @Test
    void columnsCountTabsAsOneCharacter() {
        Diagnostic d = single("network x =\t10.0.0.1/8;");
        assertEquals(13, d.span().column());
    }
}
