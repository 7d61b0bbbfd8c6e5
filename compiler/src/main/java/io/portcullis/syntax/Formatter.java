package io.portcullis.syntax;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.SourceFile;
import io.portcullis.grammar.PolicyLexer;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;

/**
 * The canonical layout of a policy file ({@code portcullis fmt}). Works on the token stream of a file that parses,
 * and reads the comments from the text between tokens (the lexer skips them), so every comment is kept:
 * <ul>
 *   <li>one statement per line; inside {@code policy} and {@code guard} blocks, four spaces of indentation; the
 *       block's {@code {} ends its header line and its {@code }} stands alone;</li>
 *   <li>one space between words; none before {@code ;}, {@code ,} and {@code :}, none inside {@code [..]}, around
 *       the {@code -} of a port range, or after the {@code :} of an endpoint ({@code 10.0.0.1:80}); lists as
 *       {@code { a, b }};</li>
 *   <li>blank lines between statements are kept, at most one; none at the start of a file or a block, or before a
 *       block's {@code }}; exactly one before and after every top-level block (before its leading comments);</li>
 *   <li>a comment that follows code on its line stays there, after one space; a comment on a line of its own stays
 *       on a line of its own, indented like the statement it precedes; a comment inside a statement breaks the
 *       statement there, and the rest continues on the next line, indented one more level;</li>
 *   <li>comment text is kept as written except for trailing blanks; lines end with a single LF, and the file with
 *       exactly one.</li>
 * </ul>
 * No lines are wrapped and nothing is aligned in columns, so renaming one rule never reflows its neighbours.
 */
public final class Formatter {
    private Formatter() {}

    /** The formatted text, or (text null) the errors that kept the file from being formatted. */
    public record Result(String text, List<Diagnostic> errors) {}

    private static final String INDENT = "    ";

    public static Result format(SourceFile source) {
        PolicyParser.ParseResult parsed = PolicyParser.parse(source);
        List<Diagnostic> errors = parsed.diagnostics().stream().filter(d -> d.severity() == Severity.ERROR).toList();
        if (!errors.isEmpty()) return new Result(null, errors);
        CharStream chars = CharStreams.fromString(source.text(), source.displayName());
        PolicyLexer lexer = new PolicyLexer(chars);
        lexer.removeErrorListeners();
        List<Token> tokens = new ArrayList<>();
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            if (t.getChannel() == Token.DEFAULT_CHANNEL) tokens.add(t);
        }
        return new Result(new Layout(chars, tokens).run(), List.of());
    }

    /** A comment found between two tokens. */
    private record Comment(String text, boolean trailing, boolean blankBefore) {}

    /** What lies between two tokens: comments, and whether the text before the next token has a blank line. */
    private record Gap(List<Comment> comments, boolean blankBeforeNext, boolean newlineBeforeNext) {}

    private static Gap gap(String text, boolean atFileStart) {
        List<Comment> comments = new ArrayList<>();
        int newlines = atFileStart ? 1 : 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\n') {
                newlines++;
                i++;
            } else if (c == '#') {
                int end = i;
                while (end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r') end++;
                comments.add(new Comment(text.substring(i, end).stripTrailing(), newlines == 0, newlines >= 2));
                newlines = 0;
                i = end;
            } else {
                i++;
            }
        }
        return new Gap(comments, newlines >= 2, newlines >= 1);
    }

    /** Lays out the tokens, one pass, with the statement structure tracked by a few flags. */
    private static final class Layout {
        private final CharStream chars;
        private final List<Token> tokens;
        private final List<String> lines = new ArrayList<>();
        private final StringBuilder cur = new StringBuilder();
        /** Nothing may follow on the current line except a trailing comment. */
        private boolean lineClosed;
        /** The last line written opens a block: no blank line may follow it. */
        private boolean afterOpen;
        private boolean pendingOpen;
        private boolean inBlock;
        private int listDepth;
        private boolean stmtStart = true;
        /** The current top-level statement is a policy or guard whose block brace has not been seen yet. */
        private boolean blockPending;
        private boolean afterBlockClose;
        private Token prev;
        private boolean endpointColon;

        Layout(CharStream chars, List<Token> tokens) {
            this.chars = chars;
            this.tokens = tokens;
        }

        String run() {
            int from = 0;
            for (Token t : tokens) {
                Gap g = gap(from < t.getStartIndex() ? chars.getText(Interval.of(from, t.getStartIndex() - 1)) : "", prev == null);
                token(t, g);
                from = t.getStopIndex() + 1;
            }
            int size = chars.size();
            Gap end = gap(from < size ? chars.getText(Interval.of(from, size - 1)) : "", prev == null);
            comments(end, false);
            flush();
            while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
            StringBuilder sb = new StringBuilder();
            for (String l : lines) sb.append(l).append('\n');
            return sb.toString();
        }

        private String indent() { return inBlock ? INDENT : ""; }

        private void flush() {
            if (cur.length() > 0) {
                lines.add(cur.toString().stripTrailing());
                cur.setLength(0);
                afterOpen = pendingOpen;
                pendingOpen = false;
            }
            lineClosed = false;
        }

        private void blank() {
            flush();
            if (lines.isEmpty() || afterOpen || lines.get(lines.size() - 1).isEmpty()) return;
            lines.add("");
        }

        /** Comments before a token (or the end of the file); {@code forceBlank}: a blank line before the first own-line one. */
        private boolean comments(Gap g, boolean forceBlank) {
            for (Comment c : g.comments()) {
                if (c.trailing() && prev != null && cur.length() > 0) {
                    cur.append(' ').append(c.text());
                    flush();
                    continue;
                }
                flush();
                if (stmtStart && (forceBlank || c.blankBefore())) blank();
                forceBlank = false;
                cur.append(indent()).append(stmtStart ? "" : INDENT).append(c.text());
                flush();
            }
            if (lineClosed) flush();
            return forceBlank;
        }

        private void token(Token t, Gap g) {
            int type = t.getType();
            boolean blockClose = type == PolicyLexer.RBRACE && listDepth == 0 && inBlock;
            boolean forceBlank = stmtStart && !inBlock && prev != null
                    && (afterBlockClose || type == PolicyLexer.POLICY || type == PolicyLexer.GUARD);
            forceBlank = comments(g, forceBlank);
            if (blockClose) {
                flush();
                inBlock = false;
                cur.append("}");
                lineClosed = true;
                stmtStart = true;
                afterBlockClose = true;
                prev = t;
                return;
            }
            if (stmtStart) {
                flush();
                if (forceBlank || g.blankBeforeNext()) blank();
                cur.append(indent());
                stmtStart = false;
                afterBlockClose = false;
                if (!inBlock && (type == PolicyLexer.POLICY || type == PolicyLexer.GUARD)) blockPending = true;
            } else if (cur.length() == 0) {
                cur.append(indent()).append(INDENT);
            } else if (spaceBefore(t)) {
                cur.append(' ');
            }
            cur.append(t.getText());
            endpointColon = type == PolicyLexer.COLON && prev != null
                    && (prev.getType() == PolicyLexer.DOTTED || prev.getType() == PolicyLexer.RBRACK);
            prev = t;
            switch (type) {
                case PolicyLexer.LBRACE -> {
                    if (blockPending && listDepth == 0) {
                        blockPending = false;
                        inBlock = true;
                        stmtStart = true;
                        lineClosed = true;
                        // The line stays open for a trailing comment; once written, no blank line may follow it.
                        pendingOpen = true;
                    } else {
                        listDepth++;
                    }
                }
                case PolicyLexer.RBRACE -> listDepth--;
                case PolicyLexer.SEMI -> {
                    if (listDepth == 0) {
                        stmtStart = true;
                        lineClosed = true;
                    }
                }
                default -> { }
            }
        }


        private boolean spaceBefore(Token t) {
            int type = t.getType();
            int p = prev.getType();
            if (type == PolicyLexer.SEMI || type == PolicyLexer.COMMA || type == PolicyLexer.COLON
                    || type == PolicyLexer.RBRACK || type == PolicyLexer.DASH) return false;
            if (p == PolicyLexer.LBRACK || p == PolicyLexer.DASH) return false;
            return !(p == PolicyLexer.COLON && endpointColon);
        }
    }
}
