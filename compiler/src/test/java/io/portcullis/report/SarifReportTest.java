package io.portcullis.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SARIF output against the OASIS SARIF 2.1.0 schema, and what code scanning needs from it. */
class SarifReportTest {
    private final JsonSchema schema = Schemas.sarif();

    @Test
    void everyReportIsValidSarif(@TempDir Path tmp) throws Exception {
        for (Fixtures.Run run : Fixtures.all(tmp)) {
            boolean inRepo = !run.name().equals("mixed") && !run.name().equals("syntax error");
            Path root = inRepo ? Path.of("..") : tmp;
            String sarif = SarifReport.render(run.diagnostics(), run.policies(), root, "0.1.0-SNAPSHOT");
            assertEquals(List.of(), Schemas.errors(schema, sarif), run.name() + ":\n" + sarif);
            JsonNode log = Schemas.MAPPER.readTree(sarif);
            JsonNode r = log.at("/runs/0");
            JsonNode rules = r.at("/tool/driver/rules");
            assertEquals(Codes.catalogue().size(), rules.size());
            long shown = run.diagnostics().stream().filter(d -> d.severity() != Severity.OFF).count();
            assertEquals(shown, r.get("results").size(), run.name());
            for (int i = 0; i < r.get("results").size(); i++) {
                JsonNode res = r.get("results").get(i);
                Diagnostic d = run.diagnostics().get(i);
                assertEquals(d.code(), res.get("ruleId").asText());
                assertEquals(d.code(), rules.get(res.get("ruleIndex").asInt()).get("id").asText());
                JsonNode region = res.at("/locations/0/physicalLocation/region");
                assertEquals(d.span().line(), region.get("startLine").asInt());
                assertEquals(d.span().column(), region.get("startColumn").asInt());
                JsonNode artifact = res.at("/locations/0/physicalLocation/artifactLocation");
                assertEquals(SarifReport.SRCROOT, artifact.get("uriBaseId").asText());
                assertFalse(artifact.get("uri").asText().startsWith("/"), artifact.toString());
                assertTrue(root.resolve(artifact.get("uri").asText()).toFile().isFile(), artifact.toString());
                if (d.witness() != null) assertTrue(res.at("/message/text").asText().contains("Witness: " + d.witness()));
                assertEquals(d.isWaived(), res.has("suppressions"));
                if (d.isWaived()) {
                    assertEquals("inSource", res.at("/suppressions/0/kind").asText());
                    assertEquals(d.waiver(), res.at("/suppressions/0/justification").asText());
                }
                long relatedWithLines = d.related().stream().filter(x -> x.line() > 0).count();
                assertEquals(relatedWithLines, res.has("relatedLocations") ? res.get("relatedLocations").size() : 0);
            }
        }
    }

    @Test
    void ruleMetadataCarriesDescriptionHintAndLevel() throws Exception {
        assertTrue(CodeHelp.complete(), "every code needs a fix hint");
        String sarif = SarifReport.render(List.of(), List.of(), Path.of("."), null);
        assertEquals(List.of(), Schemas.errors(schema, sarif));
        JsonNode rules = Schemas.MAPPER.readTree(sarif).at("/runs/0/tool/driver/rules");
        int i = 0;
        for (Codes.Entry e : Codes.catalogue().values()) {
            JsonNode r = rules.get(i++);
            assertEquals(e.code(), r.get("id").asText());
            assertEquals(e.description(), r.at("/shortDescription/text").asText());
            assertEquals(CodeHelp.hint(e.code()), r.at("/help/text").asText());
            assertTrue(r.at("/fullDescription/text").asText().contains(CodeHelp.hint(e.code())));
            assertEquals(SarifReport.level(e.severity()), r.at("/defaultConfiguration/level").asText());
        }
        assertEquals("note", rules.get(new java.util.ArrayList<>(Codes.catalogue().keySet()).indexOf(Codes.CORRELATION))
                .at("/defaultConfiguration/level").asText());
    }

    @Test
    void regionEndFollowsTheSpan() {
        SourceFile f = SourceFile.ofString("x.policy", "policy p {\n    a: allow tcp\n       to any;\n}\n");
        assertArrayEquals(new int[] {2, 17}, SarifReport.end(Span.of(f, 2, 5, 12)));
        assertArrayEquals(new int[] {3, 15}, SarifReport.end(Span.of(f, 2, 5, 27)), "a span across a line break");
        assertEquals(null, SarifReport.end(Span.of(f, 9, 1, 1)), "outside the file");
    }

    @Test
    void sameInputSameBytes(@TempDir Path tmp) throws Exception {
        Fixtures.Run a = Fixtures.check("mixed", List.of(Fixtures.write(tmp, "m.policy", Fixtures.MIXED)));
        Fixtures.Run b = Fixtures.check("mixed", List.of(Fixtures.write(tmp, "m.policy", Fixtures.MIXED)));
        assertEquals(SarifReport.render(a.diagnostics(), a.policies(), tmp, "v"),
                SarifReport.render(b.diagnostics(), b.policies(), tmp, "v"));
    }
}
