package io.portcullis.syntax;

import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.Token;

/**
 * Turns ANTLR token positions into {@link Span}s. ANTLR counts code points; spans count Java chars (what
 * {@link SourceFile#line} returns), so the two differ after any character outside the BMP.
 */
final class Positions {
    private final SourceFile file;
    private final String text;
    private final int[] lineStarts;
    private final int[] charOfCodePoint; // null when the text has no surrogate pairs

    Positions(SourceFile file) {
        this.file = file;
        this.text = file.text();
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') starts.add(i + 1);
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        int cps = text.codePointCount(0, text.length());
        if (cps == text.length()) {
            charOfCodePoint = null;
        } else {
            charOfCodePoint = new int[cps + 1];
            int c = 0;
            for (int cp = 0; cp < cps; cp++) {
                charOfCodePoint[cp] = c;
                c += Character.charCount(text.codePointAt(c));
            }
            charOfCodePoint[cps] = text.length();
        }
    }

    SourceFile file() { return file; }

    String text() { return text; }

    int charOffset(int codePointIndex) {
        if (codePointIndex < 0) return 0;
        if (charOfCodePoint == null) return Math.min(codePointIndex, text.length());
        return charOfCodePoint[Math.min(codePointIndex, charOfCodePoint.length - 1)];
    }

    int startChar(Token t) { return charOffset(t.getStartIndex()); }

    int endChar(Token t) {
        if (t.getType() == Token.EOF) return startChar(t);
        return charOffset(t.getStopIndex() + 1);
    }

    /** Span from char offset {@code start} (inclusive) to {@code end} (exclusive). */
    Span span(int start, int end) {
        int line = lineOf(start);
        return Span.of(file, line, start - lineStarts[line - 1] + 1, end - start);
    }

    Span token(Token t) { return span(startChar(t), endChar(t)); }

    /** From the start of {@code first} to the end of {@code last}; a point at {@code first} when empty. */
    Span range(Token first, Token last) {
        int s = startChar(first);
        int e = last == null ? s : endChar(last);
        return span(s, Math.max(s, e));
    }

    /** The point just after {@code t}: where a missing token should have been written. */
    Span after(Token t) {
        int e = endChar(t);
        return span(e, e + 1);
    }

    String slice(int start, int end) { return text.substring(start, Math.max(start, end)); }

    private int lineOf(int offset) {
        int lo = 0, hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        return lo + 1;
    }
}
