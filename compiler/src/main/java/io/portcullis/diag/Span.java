package io.portcullis.diag;

/** A region of source text: 1-based line and column (in characters) and a length in characters (at least 1 for carets). */
public record Span(SourceFile file, int line, int column, int length) {
    public static Span of(SourceFile file, int line, int column, int length) {
        return new Span(file, line, column, Math.max(1, length));
    }

    public String location() {
        return (file == null ? "<unknown>" : file.displayName()) + ":" + line + ":" + column;
    }

    @Override public String toString() { return location(); }
}
