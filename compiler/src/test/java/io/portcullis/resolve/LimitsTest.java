package io.portcullis.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every input limit: nothing at N, exactly one {@code limit} error at N + 1, at the first item past the limit. */
class LimitsTest {
    @TempDir Path dir;

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    static Limits limit(String name, long n) { return Limits.BUILT_IN.with(name, n); }

    /** "file:line:col" of every limit error; also checks that nothing but limit errors appear when {@code only}. */
    List<String> limitErrors(Loader.LoadResult r) {
        List<String> out = new ArrayList<>();
        for (Diagnostic d : r.diagnostics()) {
            if (!d.code().equals(Codes.LIMIT)) continue;
            assertEquals(Severity.ERROR, d.severity());
            assertTrue(d.help().contains("README"), d.help());
            out.add(dir.relativize(d.span().file().path()) + ":" + d.span().line() + ":" + d.span().column());
        }
        return out;
    }

    Loader.LoadResult load(Limits limits, Path... paths) throws InputException {
        return Loader.load(List.of(paths), limits);
    }

    static String rules(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append("    allow tcp to 10.0.").append(i).append(".0/24 port 22;\n");
        return sb.toString();
    }

    @Test
    void rulesPerPolicy() throws Exception {
        Path ok = write("ok.policy", "policy p {\n    default deny;\n" + rules(3) + "}\n");
        Loader.LoadResult r = load(limit("rules-per-policy", 3), ok);
        assertEquals(List.of(), limitErrors(r));
        assertEquals(3, r.policies().get(0).rules().size());
        Path over = write("over.policy", "policy p {\n    default deny;\n" + rules(4) + "}\n");
        r = load(limit("rules-per-policy", 3), over);
        assertEquals(List.of("over.policy:6:5"), limitErrors(r));
        assertEquals(List.of(), r.policies(), "a policy past the limit is not checked");
        assertTrue(r.diagnostics().get(0).message().contains("more than 3 rules"), r.diagnostics().get(0).message());
    }

    @Test
    void rulesPerRun() throws Exception {
        Path a = write("a.policy", "policy a {\n    default deny;\n" + rules(2) + "}\n");
        Path b2 = write("b2.policy", "policy b {\n    default deny;\n" + rules(2) + "}\n");
        Loader.LoadResult r = load(limit("rules-per-run", 4), a, b2);
        assertEquals(List.of(), limitErrors(r));
        assertEquals(2, r.policies().size());
        Path b3 = write("b3.policy", "policy b {\n    default deny;\n" + rules(3) + "}\n");
        r = load(limit("rules-per-run", 4), a, b3);
        assertEquals(List.of("b3.policy:5:5"), limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void propertiesPerPolicyAndGuard() throws Exception {
        String expect = "    expect deny tcp 192.0.2.1:1000 -> 10.9.0.1:22;\n";
        String asrt = "    assert deny tcp to 10.9.0.0/16 port 23;\n";
        Path ok = write("ok.policy", "policy p {\n    default deny;\n" + expect + asrt + "}\n"
                + "guard g {\n" + asrt + asrt + "}\n");
        Loader.LoadResult r = load(limit("properties-per-policy", 2), ok);
        assertEquals(List.of(), limitErrors(r));
        assertEquals(1, r.policies().size());
        assertEquals(1, r.guards().size());
        Path over = write("over.policy", "policy p {\n    default deny;\n" + expect + asrt + expect + "}\n"
                + "guard g {\n" + asrt + asrt + asrt + "}\n");
        r = load(limit("properties-per-policy", 2), over);
        assertEquals(List.of("over.policy:10:5", "over.policy:5:5"), limitErrors(r), "guards resolve first");
        assertEquals(List.of(), r.policies());
        assertEquals(List.of(), r.guards());
    }

    @Test
    void policiesPerRun() throws Exception {
        String p = "policy a {\n    default deny;\n}\nguard g {\n    assert deny tcp to 10.0.0.0/8 port 23;\n}\n";
        Loader.LoadResult r = load(limit("policies-per-run", 2), write("ok.policy", p));
        assertEquals(List.of(), limitErrors(r));
        r = load(limit("policies-per-run", 2), write("over.policy", p + "policy b {\n    default deny;\n}\n"));
        assertEquals(List.of("over.policy:7:8"), limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void definitionsPerRun() throws Exception {
        String defs = "network a = 10.0.0.0/8;\nservice s = tcp 22;\nnetwork b = 10.1.0.0/16;\n";
        String use = "policy p {\n    default deny;\n    allow s from a to b;\n}\n";
        Loader.LoadResult r = load(limit("definitions-per-run", 3), write("ok.policy", defs + use));
        assertEquals(List.of(), limitErrors(r));
        assertEquals(1, r.policies().size());
        // Networks are counted before services within a file (the order the resolver reads them in).
        r = load(limit("definitions-per-run", 3), write("over.policy", defs + "network c = 10.2.0.0/16;\n" + use));
        assertEquals(List.of("over.policy:2:9"), limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void definitionDepthForNetworksAndServices() throws Exception {
        String chain3 = "network n1 = n2;\nnetwork n2 = n3;\nnetwork n3 = 10.0.0.0/8;\n"
                + "service s1 = s2;\nservice s2 = s3;\nservice s3 = tcp 22;\n"
                + "policy p {\n    default deny;\n    allow s1 to n1;\n}\n";
        Loader.LoadResult r = load(limit("definition-depth", 3), write("ok.policy", chain3));
        assertEquals(List.of(), limitErrors(r));
        assertEquals(1, r.policies().size());
        String chain4 = "network n1 = n2;\nnetwork n2 = n3;\nnetwork n3 = n4;\nnetwork n4 = 10.0.0.0/8;\n"
                + "service s1 = s2;\nservice s2 = s3;\nservice s3 = s4;\nservice s4 = tcp 22;\n"
                + "policy p {\n    default deny;\n    allow s1 to n1;\n}\n";
        r = load(limit("definition-depth", 3), write("over.policy", chain4));
        assertEquals(List.of("over.policy:3:14", "over.policy:7:14"), limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void defaultDefinitionDepthStopsALongChainWithoutStackOverflow() throws Exception {
        StringBuilder sb = new StringBuilder();
        int n = 5000;
        for (int i = 0; i < n; i++) sb.append("network n").append(i).append(" = n").append(i + 1).append(";\n");
        sb.append("network n").append(n).append(" = 10.0.0.0/8;\npolicy p {\n    default deny;\n    allow to n0;\n}\n");
        Loader.LoadResult r = Loader.load(List.of(write("deep.policy", sb.toString())), Limits.BUILT_IN);
        assertEquals(List.of("deep.policy:64:15"), limitErrors(r), "n63 refers to n64, the 65th name of the chain");
        assertEquals(List.of(), r.policies());
    }

    @Test
    void importDepth() throws Exception {
        write("f0.policy", "import \"f1.policy\";\n");
        write("f1.policy", "import \"f2.policy\";\n");
        write("f2.policy", "network n = 10.0.0.0/8;\n");
        Loader.LoadResult r = load(limit("import-depth", 2), dir.resolve("f0.policy"));
        assertEquals(List.of(), limitErrors(r));
        write("f2.policy", "\nimport \"f3.policy\";\n");
        write("f3.policy", "network n = 10.0.0.0/8;\n");
        r = load(limit("import-depth", 2), dir.resolve("f0.policy"));
        assertEquals(List.of("f2.policy:2:1"), limitErrors(r));
    }

    @Test
    void defaultImportDepth() throws Exception {
        int n = Limits.BUILT_IN.importDepth();
        for (int i = 0; i <= n + 1; i++) write("c" + i + ".policy", "import \"c" + (i + 1) + ".policy\";\n");
        write("c" + (n + 2) + ".policy", "");
        // c0 -> c1 ... the import in c64 is the 65th.
        Loader.LoadResult r = Loader.load(List.of(dir.resolve("c0.policy")), Limits.BUILT_IN);
        assertEquals(List.of("c" + n + ".policy:1:1"), limitErrors(r));
    }

    @Test
    void filesPerRun() throws Exception {
        Path d = dir.resolve("d");
        for (int i = 0; i < 3; i++) write("d/f" + i + ".policy", "network n" + i + " = 10.0." + i + ".0/24;\n");
        assertEquals(List.of(), limitErrors(load(limit("files-per-run", 3), d)));
        write("d/f3.policy", "network n3 = 10.0.3.0/24;\n");
        Loader.LoadResult r = load(limit("files-per-run", 3), d);
        assertEquals(List.of("d/f3.policy:1:1"), limitErrors(r));
        // An imported file past the limit is pointed at by its import.
        write("e/a.policy", "network a = 10.0.0.0/8;\n");
        write("e/b.policy", "\n\n   import \"a.policy\";\n");
        r = load(limit("files-per-run", 1), dir.resolve("e/b.policy"));
        assertEquals(List.of("e/b.policy:3:4"), limitErrors(r));
    }

    @Test
    void fileBytes() throws Exception {
        String text = "policy p {\n    default deny;\n}\n";
        int n = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        Loader.LoadResult r = load(limit("file-bytes", n), write("ok.policy", text));
        assertEquals(List.of(), limitErrors(r));
        assertEquals(1, r.policies().size());
        r = load(limit("file-bytes", n), write("over.policy", text + "\n"));
        assertEquals(List.of("over.policy:1:1"), limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void defaultFileBytesRefusesWithoutReading() throws Exception {
        Path big = dir.resolve("big.policy");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(Limits.BUILT_IN.fileBytes() + 1); // sparse: costs no disk
        }
        Loader.LoadResult r = Loader.load(List.of(big), Limits.BUILT_IN);
        assertEquals(List.of("big.policy:1:1"), limitErrors(r));
        assertTrue(r.diagnostics().get(0).message().contains("16,777,217 bytes"), r.diagnostics().get(0).message());
    }

    @Test
    void tokensPerFile() throws Exception {
        // network, a, =, 10.0.0.0/8, ; are five tokens; blanks and comments are none.
        String five = "network a = 10.0.0.0/8;   # a comment\n\n";
        Loader.LoadResult r = load(limit("tokens-per-file", 5), write("ok.policy", five));
        assertEquals(List.of(), r.diagnostics().stream().filter(d -> !d.code().equals(Codes.UNUSED_NETWORK)).toList());
        r = load(limit("tokens-per-file", 5), write("over.policy", five + "  network b = 10.1.0.0/16;\n"));
        assertEquals(List.of("over.policy:3:3"), limitErrors(r));
        assertEquals(1, r.diagnostics().size(), "the file is not parsed, so nothing else is reported");
    }

    @Test
    void defaultTokensPerFileRefusesADenseFileCheaply() throws Exception {
        int n = Limits.BUILT_IN.tokensPerFile();
        Loader.LoadResult r = Loader.load(List.of(write("dense.policy", ";".repeat(n + 1))), Limits.BUILT_IN);
        assertEquals(List.of("dense.policy:1:" + (n + 1)), limitErrors(r));
    }

    @Test
    void errorsPerFile() throws Exception {
        // Each stray ';' is a statement of its own, so one syntax error each.
        Loader.LoadResult r = load(limit("errors-per-file", 3), write("ok.policy", "1;\n2;\n3;\n"));
        assertEquals(List.of(), limitErrors(r));
        assertEquals(3, r.diagnostics().size());
        r = load(limit("errors-per-file", 3), write("over.policy", "1;\n2;\n3;\n4;\n5;\n"));
        assertEquals(List.of("over.policy:4:1"), limitErrors(r));
        assertEquals(4, r.diagnostics().size());
        assertTrue(r.diagnostics().get(3).message().contains("this one and 1 more are not shown"), r.diagnostics().get(3).message());
        // Errors of the AST builder (here bad addresses) count towards the same bound.
        r = load(limit("errors-per-file", 2), write("addr.policy",
                "network a = 300.0.0.1;\nnetwork b = 300.0.0.2;\nnetwork c = 300.0.0.3;\n"));
        assertEquals(List.of("addr.policy:3:13"), limitErrors(r));
    }

    @Test
    void listItemsInEveryKindOfList() throws Exception {
        String ok = "network n = { 10.0.0.0/24, 10.0.2.0/24, 10.0.4.0/24 } except { 10.0.0.1, 10.0.0.3, 10.0.0.5 };\n"
                + "service s = { tcp { 1, 2, 3 }, udp 53, icmp type { 0, 3, 8 } };\n"
                + "policy p {\n    default deny;\n    allow s to n;\n    allow icmpv6 type { 1, 2, 3 } to any6;\n"
                + "    expect allow tcp 10.9.0.1:5 -> 10.0.0.2:1 flags { syn, ack, psh };\n}\n";
        Loader.LoadResult r = load(limit("list-items", 3), write("ok.policy", ok));
        assertEquals(List.of(), limitErrors(r));
        assertEquals(1, r.policies().size());
        // The fourth item of each list is marked by a comment-free spelling that occurs once on its line.
        String[] lines = {
            "network n = { 10.0.0.0/24, 10.0.2.0/24, 10.0.4.0/24, 10.0.6.0/24 };",
            "network m = 10.0.0.0/8 except { 10.0.0.1, 10.0.0.3, 10.0.0.5, 10.0.0.7 };",
            "service s = { tcp { 1, 2, 3, 4444 }, udp 53, icmp type { 0, 3, 8, 11 } };",
            "service t = { tcp 1, tcp 2, tcp 3, udp 4 };",
            "policy p {", "    default deny;", "    allow s to { n, m, n, any4 };",
            "    allow icmpv6 type { 1, 2, 3, 44 } to any6;",
            "    expect allow tcp 10.9.0.1:5 -> 10.0.0.2:1 flags { syn, ack, psh, fin };", "}"};
        String[][] fourth = {{"1", "10.0.6.0/24"}, {"2", "10.0.0.7"}, {"3", "4444"}, {"3", "11"}, {"4", "udp 4"},
            {"7", "any4"}, {"8", "44"}, {"9", "fin"}};
        List<String> want = new ArrayList<>();
        for (String[] f : fourth) {
            String line = lines[Integer.parseInt(f[0]) - 1];
            want.add("over.policy:" + f[0] + ":" + (line.lastIndexOf(f[1]) + 1));
        }
        r = load(limit("list-items", 3), write("over.policy", String.join("\n", lines) + "\n"));
        assertEquals(want, limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void defaultListItems() throws Exception {
        int n = Limits.BUILT_IN.listItems();
        StringBuilder sb = new StringBuilder("policy p {\n    default deny;\n    allow tcp to any port { 1");
        for (int i = 1; i < n; i++) sb.append(",1");
        String exactly = sb + " };\n}\n";
        Loader.LoadResult r = Loader.load(List.of(write("ok.policy", exactly)), Limits.BUILT_IN);
        assertEquals(List.of(), limitErrors(r));
        assertEquals(1, r.policies().size());
        String over = sb + ",2 };\n}\n";
        r = Loader.load(List.of(write("over.policy", over)), Limits.BUILT_IN);
        assertEquals(List.of("over.policy:3:" + (29 + 2 * n)), limitErrors(r));
    }

    @Test
    void flattenedPrefixes() throws Exception {
        // 10.0.0.0/30 except 10.0.0.1 is { 10.0.0.0/32, 10.0.0.2/31 }: two prefixes.
        String text = "policy p {\n    default deny;\n    allow to 10.0.0.0/30 except 10.0.0.1;\n}\n";
        Loader.LoadResult r = load(limit("prefixes-per-set", 2), write("ok.policy", text));
        assertEquals(List.of(), limitErrors(r));
        r = load(limit("prefixes-per-set", 1), write("over.policy", text));
        assertEquals(List.of("over.policy:3:14"), limitErrors(r));
        assertEquals(List.of(), r.policies());
    }

    @Test
    void defaultFlattenedPrefixesBoundAnExceptExplosion() throws Exception {
        // Holes 2^112 apart each cost about 112 prefixes (the bits between them): 10,000 holes are about 1.1 million.
        StringBuilder sb = new StringBuilder("network n = any6 except { 1:8000::1");
        for (int i = 2; i <= 10_000; i++) sb.append(", ").append(Integer.toHexString(i)).append(":8000::1");
        sb.append(" };\npolicy p {\n    default deny;\n    allow to n;\n}\n");
        long t0 = System.nanoTime();
        Loader.LoadResult r = Loader.load(List.of(write("big.policy", sb.toString())), Limits.BUILT_IN);
        assertEquals(List.of("big.policy:1:13"), limitErrors(r));
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "refused quickly");
    }

    @Test
    void builtInLimitsLeaveRoomForTheScaleTargets() {
        assertTrue(Limits.BUILT_IN.rulesPerPolicy() >= 100_000);
        assertTrue(Limits.BUILT_IN.rulesPerRun() >= 1_000_000);
    }

    @Test
    void systemPropertiesOverrideAndBadValuesAreRefused() {
        String key = "portcullis.limit.rules-per-policy";
        try {
            System.setProperty(key, "1_234");
            assertEquals(1234, Limits.defaults().rulesPerPolicy());
            assertEquals(Limits.BUILT_IN.listItems(), Limits.defaults().listItems());
            System.setProperty(key, "lots");
            assertThrows(IllegalArgumentException.class, Limits::defaults);
            System.setProperty(key, "0");
            assertThrows(IllegalArgumentException.class, Limits::defaults);
            // Through the loader, a bad value is the user's mistake (exit 2 in the CLI), not an internal error.
            InputException e = assertThrows(InputException.class, () -> Loader.load(List.of(Path.of("x.policy"))));
            assertTrue(e.getMessage().contains("portcullis.limit.rules-per-policy"), e.getMessage());
        } finally {
            System.clearProperty(key);
        }
        assertEquals(Limits.BUILT_IN, Limits.defaults());
        assertEquals(Limits.NAMES.length, Limits.BUILT_IN.values().length);
    }
}
