package io.portcullis.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.InputStream;
import java.util.List;
import java.util.Set;

/** The schemas the report tests validate real output against, with the networknt validator. */
public final class Schemas {
    private Schemas() {}

    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** Our report schema (draft 2020-12), from the main resources. */
    public static JsonSchema report() {
        return load(SpecVersion.VersionFlag.V202012, JsonReport.SCHEMA_RESOURCE);
    }

    /** The OASIS SARIF 2.1.0 schema (draft-07), a test resource. */
    public static JsonSchema sarif() {
        return load(SpecVersion.VersionFlag.V7, "/schema/sarif-schema-2.1.0.json");
    }

    private static JsonSchema load(SpecVersion.VersionFlag v, String resource) {
        try (InputStream in = Schemas.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return JsonSchemaFactory.getInstance(v).getSchema(in);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The validation messages for {@code json}, as text (empty when valid). */
    public static List<String> errors(JsonSchema schema, String json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            Set<ValidationMessage> ms = schema.validate(node);
            return ms.stream().map(ValidationMessage::getMessage).sorted().toList();
        } catch (java.io.IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
    }
}
