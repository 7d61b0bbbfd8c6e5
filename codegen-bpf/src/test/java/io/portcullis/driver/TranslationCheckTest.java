package io.portcullis.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's translation-validation step: a wrong object is an error and is not to be written. */
class TranslationCheckTest {
    @Test
    void aWrongObjectIsATranslationMismatchError(@TempDir Path dir) throws Exception {
        ResolvedPolicy web = load(dir, "web", "policy p { default deny; web: allow tcp to 10.1.0.0/16 port 443; }");
        ResolvedPolicy ssh = load(dir, "ssh", "policy p { default deny; ssh: allow tcp to 10.1.0.0/16 port 22; }");
        List<Diagnostic> diags = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        assertTrue(TranslationCheck.run(web, BpfCompiler.compile(web), java.util.Map.of(), diags, notes));
        assertEquals(List.of(), diags);
        assertEquals(List.of(), notes);

        assertFalse(TranslationCheck.run(ssh, BpfCompiler.compile(web), java.util.Map.of(), diags, notes));
        assertEquals(1, diags.size());
        Diagnostic d = diags.get(0);
        assertEquals(Codes.TRANSLATION_MISMATCH, d.code());
        assertEquals("p", d.policy());
        assertTrue(d.message().startsWith("translation validation: the program returns"), d.message());
        assertTrue(d.help().contains("witness frame: ") && d.help().contains("the object was not written"), d.help());
    }

    @Test
    void offByPropertyWithANote(@TempDir Path dir) throws Exception {
        ResolvedPolicy web = load(dir, "web", "policy p { default deny; web: allow tcp to 10.1.0.0/16 port 443; }");
        List<Diagnostic> diags = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        System.setProperty(TranslationCheck.PROPERTY, "off");
        try {
            assertTrue(TranslationCheck.run(web, new byte[] {1, 2, 3}, java.util.Map.of(), diags, notes));
        } finally {
            System.clearProperty(TranslationCheck.PROPERTY);
        }
        assertEquals(List.of(), diags);
        assertTrue(notes.get(0).startsWith("translation validation is off"), notes.toString());
    }

    private static ResolvedPolicy load(Path dir, String file, String text) throws Exception {
        Path f = Files.writeString(dir.resolve(file + ".policy"), text);
        return Loader.load(List.of(f)).policies().get(0);
    }
}
