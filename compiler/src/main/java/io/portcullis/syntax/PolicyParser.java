package io.portcullis.syntax;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.grammar.PolicyLexer;
import io.portcullis.model.Ast;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;

/** Front end: text to {@link Ast} records, with our own error listener and recovery. (Owner: front end.) */
public final class PolicyParser {
    private PolicyParser() {}

    /** {@code file} is never null: with syntax errors it holds what was recovered. Diagnostics are in source order. */
    public record ParseResult(Ast.PolicyFile file, List<Diagnostic> diagnostics) {}

    /** {@code packet} is null when there are error diagnostics. */
    public record PacketResult(Ast.PacketLit packet, List<Diagnostic> diagnostics) {}

    public static ParseResult parse(SourceFile source) {
        return parse(source, io.portcullis.resolve.Limits.defaults().listItems());
    }

    /** As {@link #parse(SourceFile)}, with at most {@code maxListItems} items in one {@code { ... }} list. */
    public static ParseResult parse(SourceFile source, int maxListItems) {
        Session s = new Session(source);
        io.portcullis.grammar.PolicyParser.FileContext tree = s.parser.file();
        AstBuilder builder = new AstBuilder(s.positions, maxListItems);
        Ast.PolicyFile file = builder.file(tree);
        return new ParseResult(file, s.finish(builder.diagnostics()));
    }

    /** Parses one packet in LANGUAGE.md's packet syntax, the whole text (as given to {@code portcullis eval}). */
    public static PacketResult parsePacket(SourceFile source) {
        Session s = new Session(source);
        io.portcullis.grammar.PolicyParser.PacketOnlyContext tree = s.parser.packetOnly();
        AstBuilder builder = new AstBuilder(s.positions, io.portcullis.resolve.Limits.defaults().listItems());
        Ast.PacketLit packet = null;
        if (s.reporter.diagnostics().isEmpty() && !AstBuilder.broken(tree)) packet = builder.packet(tree.packet());
        List<Diagnostic> diagnostics = s.finish(builder.diagnostics());
        return new PacketResult(diagnostics.isEmpty() ? packet : null, diagnostics);
    }

    /** One lexer + parser run with our reporter and recovery wired in and ANTLR's console listener removed. */
    private static final class Session {
        final Positions positions;
        final SyntaxReporter reporter;
        final io.portcullis.grammar.PolicyParser parser;

        Session(SourceFile source) {
            positions = new Positions(source);
            reporter = new SyntaxReporter(positions);
            PolicyLexer lexer = new PolicyLexer(CharStreams.fromString(source.text(), source.displayName()));
            lexer.removeErrorListeners();
            lexer.addErrorListener(reporter);
            CommonTokenStream tokens = new CommonTokenStream(lexer);
            tokens.fill();
            reporter.indexStatements(tokens.getTokens());
            reportLexicalErrors(tokens.getTokens());
            parser = new io.portcullis.grammar.PolicyParser(tokens);
            parser.removeErrorListeners();
            parser.addErrorListener(reporter);
            parser.setErrorHandler(new RecoveringErrorStrategy(reporter));
        }

        /** Bad characters and unterminated strings never reach the parser; each run of them is one error. */
        private void reportLexicalErrors(List<Token> tokens) {
            for (int i = 0; i < tokens.size(); i++) {
                Token t = tokens.get(i);
                if (t.getType() == PolicyLexer.UNTERMINATED_STRING) {
                    reporter.report(t, positions.token(t), "unterminated string: the closing '\"' is missing",
                            "close the string with '\"' on the same line");
                } else if (t.getType() == PolicyLexer.BAD_CHAR) {
                    int j = i;
                    while (j + 1 < tokens.size() && tokens.get(j + 1).getType() == PolicyLexer.BAD_CHAR
                            && tokens.get(j + 1).getStartIndex() == tokens.get(j).getStopIndex() + 1) {
                        j++;
                    }
                    int start = positions.startChar(t);
                    int end = positions.endChar(tokens.get(j));
                    String text = positions.slice(start, end);
                    reporter.report(t, positions.span(start, end),
                            "unexpected " + (text.codePointCount(0, text.length()) == 1 ? "character " : "characters ")
                                    + show(text), badCharHelp(text));
                    i = j;
                }
            }
        }

        List<Diagnostic> finish(List<Diagnostic> semantic) {
            List<Diagnostic> all = new ArrayList<>(reporter.diagnostics());
            all.addAll(semantic);
            all.sort(Comparator.comparingInt((Diagnostic d) -> d.span().line()).thenComparingInt(d -> d.span().column()));
            return List.copyOf(all);
        }
    }

    private static String show(String text) {
        StringBuilder sb = new StringBuilder("'");
        text.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || Character.isWhitespace(cp)) sb.append(String.format("\\u{%X}", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append('\'').toString();
    }

    private static String badCharHelp(String text) {
        if (text.contains("\u201c") || text.contains("\u201d")) return "use straight double quotes (\") around strings";
        if (text.startsWith("'")) return "strings use double quotes (\"), not single quotes";
        if (text.startsWith("/")) return "a prefix is written without spaces, e.g. 10.0.0.0/8";
        if (text.startsWith("//")) return "comments start with '#'";
        return "remove it; comments start with '#'";
    }

}
