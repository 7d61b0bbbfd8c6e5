package io.portcullis.diag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A policy source file: its path (null for in-memory text), the name shown in diagnostics and its text. */
public final class SourceFile {
    private final Path path;
    private final String displayName;
    private final String text;
    private final int[] lineStarts;

    public SourceFile(Path path, String displayName, String text) {
        this.path = path;
        this.displayName = displayName;
        this.text = text;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') starts.add(i + 1);
        }
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    public static SourceFile ofString(String name, String text) {
        return new SourceFile(null, name, text);
    }

    public Path path() { return path; }
    public String displayName() { return displayName; }
    public String text() { return text; }

    /** The text of 1-based line {@code line}, without its line terminator; empty when out of range. */
    public String line(int line) {
        if (line < 1 || line > lineStarts.length) return "";
        int start = lineStarts[line - 1];
        int end = line < lineStarts.length ? lineStarts[line] - 1 : text.length();
        if (end > start && text.charAt(end - 1) == '\r') end--;
        return text.substring(start, Math.max(start, end));
    }

    @Override public String toString() { return displayName; }
}
