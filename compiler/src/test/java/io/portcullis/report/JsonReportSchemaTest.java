package io.portcullis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import io.portcullis.diag.Codes;
import io.portcullis.diff.DiffReport;
import io.portcullis.diff.DiffResult;
import io.portcullis.diff.SemanticDiff;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON reports (check and diff) against docs/schema/portcullis-report.schema.json, on real output. */
class JsonReportSchemaTest {
    private final JsonSchema schema = Schemas.report();

    @Test
    void shippedSchemaIsTheResource() throws Exception {
        String docs = Files.readString(Path.of("../docs/schema/portcullis-report.schema.json"));
        String resource = new String(JsonReport.class.getResourceAsStream(JsonReport.SCHEMA_RESOURCE).readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(docs, resource, "docs/schema and the classpath resource must be the same file");
    }

    @Test
    void codeEnumIsTheCatalogue() throws Exception {
        JsonNode s = Schemas.MAPPER.readTree(JsonReport.class.getResourceAsStream(JsonReport.SCHEMA_RESOURCE));
        List<String> codes = new ArrayList<>();
        s.at("/$defs/code/enum").forEach(n -> codes.add(n.asText()));
        assertEquals(new ArrayList<>(Codes.catalogue().keySet()), codes);
    }

    @Test
    void everyCheckReportIsValid(@TempDir Path tmp) throws Exception {
        int findings = 0;
        boolean waived = false, witness = false, ipv6 = false, icmp = false;
        for (Fixtures.Run run : Fixtures.all(tmp)) {
            String json = JsonReport.render(run.diagnostics());
            assertEquals(List.of(), Schemas.errors(schema, json), run.name() + ": " + json);
            JsonNode n = Schemas.MAPPER.readTree(json);
            assertEquals(1, n.get("version").asInt());
            findings += n.get("findings").size();
            for (JsonNode f : n.get("findings")) {
                waived |= f.has("waived");
                witness |= f.has("witness");
                ipv6 |= f.has("witness") && f.get("witness").get("family").asText().equals("ipv6");
                icmp |= f.has("witness") && f.get("witness").has("icmpType");
            }
        }
        // The inputs must exercise the schema's branches, or this test proves little.
        assertTrue(findings > 30, "findings: " + findings);
        assertTrue(waived && witness && ipv6 && icmp, "waived " + waived + " witness " + witness + " ipv6 " + ipv6 + " icmp " + icmp);
    }

    @Test
    void diffReportsAreValid(@TempDir Path tmp) throws Exception {
        Path before = tmp.resolve("before"), after = tmp.resolve("after");
        copyBundled(before);
        copyBundled(after);
        Path edge = after.resolve("edge.policy");
        Files.writeString(edge, Files.readString(edge)
                .replace("admin-ssh:     allow ssh from office to public-edge;", "admin-ssh:     allow ssh from any to public-edge;")
                .replace("    web-quic:      allow quic from internet to dmz-web;\n", ""));
        Files.writeString(after.resolve("extra.policy"), "policy extra { default deny; allow udp to 10.0.0.0/8 port 53; }\n");
        DiffResult changed = SemanticDiff.compare(Loader.load(List.of(before)).policies(), Loader.load(List.of(after)).policies());
        assertFalse(changed.unchanged());
        String json = DiffReport.json(changed);
        assertEquals(List.of(), Schemas.errors(schema, json), json);
        DiffResult same = SemanticDiff.compare(Loader.load(List.of(before)).policies(), Loader.load(List.of(before)).policies());
        assertEquals(List.of(), Schemas.errors(schema, DiffReport.json(same)));
    }

    /** Each mistake a writer could make is caught. */
    @Test
    void schemaCatchesMistakes(@TempDir Path tmp) throws Exception {
        Fixtures.Run run = Fixtures.check("mixed", List.of(Fixtures.write(tmp, "m.policy", Fixtures.MIXED)));
        String json = JsonReport.render(run.diagnostics());
        rejects(json, n -> ((ObjectNode) n).put("version", 2));
        rejects(json, n -> ((ObjectNode) n).remove("summary"));
        rejects(json, n -> ((ObjectNode) n).put("extra", true));
        rejects(json, n -> first(n).put("code", "no-such-code"));
        rejects(json, n -> first(n).put("severity", "fatal"));
        rejects(json, n -> first(n).remove("help"));
        rejects(json, n -> first(n).put("line", -1));
        rejects(json, n -> first(n).put("message", "two\nlines"));
        rejects(json, n -> first(n).put("colour", "red"));
        rejects(json, n -> ((ObjectNode) withWitness(n).get("witness")).remove("dport"));
        rejects(json, n -> ((ObjectNode) withWitness(n).get("witness")).put("family", "ipv5"));
        rejects(json, n -> ((ObjectNode) withWitness(n).get("witness")).put("sport", 70000));
        rejects(json, n -> ((ObjectNode) withWitness(n).get("witness")).put("src", "2001:db8::1"));
        rejects(json, n -> ((ObjectNode) withWitness(n).get("witness")).remove("flags"));
        rejects(json, n -> ((ArrayNode) withWitness(n).get("related")).addObject().put("rule", "x"));
    }

    private void rejects(String json, Consumer<JsonNode> mutation) throws Exception {
        JsonNode n = Schemas.MAPPER.readTree(json);
        mutation.accept(n);
        String bad = Schemas.MAPPER.writeValueAsString(n);
        assertFalse(Schemas.errors(schema, bad).isEmpty(), "the schema accepts a broken report: " + bad);
    }

    private static ObjectNode first(JsonNode n) { return (ObjectNode) n.get("findings").get(0); }

    /** The first finding with a TCP witness over IPv4. */
    private static JsonNode withWitness(JsonNode n) {
        for (JsonNode f : n.get("findings")) {
            JsonNode w = f.get("witness");
            if (w != null && w.get("protocol").asText().equals("tcp") && w.get("family").asText().equals("ipv4")) return f;
        }
        throw new AssertionError("no finding with an IPv4 TCP witness");
    }

    static void copyBundled(Path into) throws Exception {
        Path src = Path.of("../policies").toAbsolutePath().normalize();
        try (var s = Files.walk(src)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".policy")).toList()) {
                Path target = into.resolve(src.relativize(p).toString());
                Files.createDirectories(target.getParent());
                Files.copy(p, target);
            }
        }
    }
}
