package io.portcullis.syntax;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.model.Ast;
import java.util.List;

/** Front end: text to {@link Ast} records, with our own error listener and recovery. (Owner: front end.) */
public final class PolicyParser {
    private PolicyParser() {}

    /** {@code file} is never null: with syntax errors it holds what was recovered. Diagnostics are in source order. */
    public record ParseResult(Ast.PolicyFile file, List<Diagnostic> diagnostics) {}

    /** {@code packet} is null when there are error diagnostics. */
    public record PacketResult(Ast.PacketLit packet, List<Diagnostic> diagnostics) {}

    public static ParseResult parse(SourceFile source) {
        throw new UnsupportedOperationException("front end not landed yet");
    }

    /** Parses one packet in LANGUAGE.md's packet syntax, the whole text (as given to {@code portcullis eval}). */
    public static PacketResult parsePacket(SourceFile source) {
        throw new UnsupportedOperationException("front end not landed yet");
    }
}
