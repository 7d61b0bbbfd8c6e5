package io.portcullis.syntax;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.grammar.PolicyLexer;
import io.portcullis.model.Ast;
import io.portcullis.resolve.Limits;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/** Front end: text to {@link Ast} records, with our own error listener and recovery. (Owner: front end.) */
public final class PolicyParser {
    private PolicyParser() {}

    /** {@code file} is never null: with syntax errors it holds what was recovered. Diagnostics are in source order. */
    public record ParseResult(Ast.PolicyFile file, List<Diagnostic> diagnostics) {}

    /** {@code packet} is null when there are error diagnostics. */
    public record PacketResult(Ast.PacketLit packet, List<Diagnostic> diagnostics) {}

    public static ParseResult parse(SourceFile source) {
        return parse(source, Limits.defaults());
    }

    /** As {@link #parse(SourceFile)}, within {@code limits} (items in one list, errors reported for the file). */
    public static ParseResult parse(SourceFile source, Limits limits) {
        return parse(source, limits, true);
    }

    /**
     * As {@link #parse(SourceFile, Limits)} with the full LL parse only, never the SLL-first fast path: the reference
     * that tests hold the fast path to (same AST, same diagnostics).
     */
    public static ParseResult parseFullLL(SourceFile source, Limits limits) {
        return parse(source, limits, false);
    }

    private static ParseResult parse(SourceFile source, Limits limits, boolean fastFirst) {
        Session s = new Session(source, limits.errorsPerFile(), limits.tokensPerFile());
        if (s.tokenPastLimit != null) {
            Diagnostic d = Limits.error(s.positions.token(s.tokenPastLimit), "this file has more than "
                            + Limits.count(limits.tokensPerFile()) + " tokens (words, numbers, addresses and punctuation); "
                            + "this is the first one past the limit, and the file was not parsed", "tokens-per-file",
                    "split it into several files, for example one per policy, with shared definitions in an imported file");
            return new ParseResult(new Ast.PolicyFile(source, List.of(), List.of(), List.of(), List.of(), List.of()),
                    List.of(d));
        }
        AstBuilder builder = new AstBuilder(s.positions, limits.listItems(), true);
        io.portcullis.grammar.PolicyParser.FileContext tree = fastFirst ? s.fastFile(builder) : null;
        if (tree == null) {
            builder = new AstBuilder(s.positions, limits.listItems(), false);
            tree = s.parser.file();
        }
        Ast.PolicyFile file = builder.file(tree);
        return new ParseResult(file, s.finish(builder.diagnostics()));
    }

    /** Parses one packet in LANGUAGE.md's packet syntax, the whole text (as given to {@code portcullis eval}). */
    public static PacketResult parsePacket(SourceFile source) {
        Limits limits = Limits.defaults();
        Session s = new Session(source, limits.errorsPerFile(), Integer.MAX_VALUE);
        io.portcullis.grammar.PolicyParser.PacketOnlyContext tree = s.parser.packetOnly();
        AstBuilder builder = new AstBuilder(s.positions, limits.listItems(), false);
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
        final CommonTokenStream tokens;

        final int maxErrors;
        /** The first token past the tokens-per-file limit, or null; when set, nothing else was done. */
        Token tokenPastLimit;

        Session(SourceFile source, int maxErrors, int maxTokens) {
            this.maxErrors = maxErrors;
            positions = new Positions(source);
            reporter = new SyntaxReporter(positions, maxErrors);
            PolicyLexer lexer = new PolicyLexer(CharStreams.fromString(source.text(), source.displayName()));
            lexer.removeErrorListeners();
            lexer.addErrorListener(reporter);
            // Tokens and the parse tree cost about 100 bytes of heap per token however few bytes of text each took
            // (a file of ';' is one token per byte), so the lexer stops at the limit instead of the parser failing later.
            Bounded bounded = new Bounded(lexer, maxTokens);
            tokens = new CommonTokenStream(bounded);
            tokens.fill();
            tokenPastLimit = bounded.pastLimit;
            if (tokenPastLimit != null) {
                parser = null;
                return;
            }
            reporter.indexStatements(tokens.getTokens());
            reportLexicalErrors(tokens.getTokens());
            parser = new io.portcullis.grammar.PolicyParser(tokens);
            parser.removeErrorListeners();
            parser.addErrorListener(reporter);
            parser.setErrorHandler(new RecoveringErrorStrategy(reporter));
        }

        /**
         * The whole file in SLL prediction mode, giving up at the first syntax error; null when it gave up, with the
         * parser reset for the full LL parse with our listener and recovery. SLL needs no full-context lookahead, and
         * for this grammar it accepts exactly what LL accepts, with the same tree; on error the second parse is the
         * only one anybody sees, so messages, positions and recovery are those of the LL parse. The tree of a
         * successful bail-out parse holds no error nodes. {@code builder} turns each policy item into AST as soon as it is
         * parsed, so the tree of a large policy never exists whole (see {@link AstBuilder#itemBuilder}).
         */
        io.portcullis.grammar.PolicyParser.FileContext fastFile(AstBuilder builder) {
            parser.removeErrorListeners();
            Bail bail = new Bail();
            parser.addParseListener(builder.itemBuilder(() -> bail.failed));
            parser.setErrorHandler(bail);
            parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
            try {
                return parser.file();
            } catch (ParseCancellationException e) {
                tokens.seek(0);
                parser.reset();
                return null;
            } finally {
                parser.removeParseListeners();
                parser.getInterpreter().setPredictionMode(PredictionMode.LL);
                parser.addErrorListener(reporter);
                parser.setErrorHandler(new RecoveringErrorStrategy(reporter));
            }
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
            // A generated or binary file can hold an error every few bytes; past the first few hundred they are noise
            // and cost memory. The reporter already stopped keeping syntax errors; this bounds the rest.
            if (all.size() > maxErrors || reporter.dropped() > 0) {
                int shown = Math.min(all.size(), maxErrors);
                int more = all.size() - shown + reporter.dropped();
                Span at = all.size() > shown ? all.get(shown).span() : reporter.firstDropped();
                all = new ArrayList<>(all.subList(0, shown));
                all.add(Limits.error(at, "more than " + Limits.count(maxErrors) + " errors in this file: this one and "
                        + Limits.count(more - 1) + " more are not shown", "errors-per-file",
                        "fix the errors above first; if this is not a policy file, keep it out of the checked directory"));
            }
            return List.copyOf(all);
        }
    }

    /**
     * ANTLR's bail-out strategy, remembering that it gave up: the rules it unwinds through still end (and tell the
     * parse listeners so) on the way out, incomplete.
     */
    private static final class Bail extends BailErrorStrategy {
        boolean failed;

        @Override public void recover(org.antlr.v4.runtime.Parser recognizer, org.antlr.v4.runtime.RecognitionException e) {
            failed = true;
            super.recover(recognizer, e);
        }

        @Override public Token recoverInline(org.antlr.v4.runtime.Parser recognizer) {
            failed = true;
            return super.recoverInline(recognizer);
        }
    }

    /** The lexer's tokens, ending early (with EOF) at the first token past {@code max}. */
    private static final class Bounded implements org.antlr.v4.runtime.TokenSource {
        final PolicyLexer lexer;
        final int max;
        int count;
        Token pastLimit;

        Bounded(PolicyLexer lexer, int max) {
            this.lexer = lexer;
            this.max = max;
        }

        @Override public Token nextToken() {
            if (pastLimit != null) return eof();
            Token t = lexer.nextToken();
            if (t.getType() != Token.EOF && ++count > max) {
                pastLimit = t;
                return eof();
            }
            return t;
        }

        private Token eof() {
            return lexer.getTokenFactory().create(new org.antlr.v4.runtime.misc.Pair<>(this, lexer.getInputStream()),
                    Token.EOF, "<EOF>", Token.DEFAULT_CHANNEL, pastLimit.getStartIndex(), pastLimit.getStartIndex() - 1,
                    pastLimit.getLine(), pastLimit.getCharPositionInLine());
        }

        @Override public int getLine() { return lexer.getLine(); }
        @Override public int getCharPositionInLine() { return lexer.getCharPositionInLine(); }
        @Override public org.antlr.v4.runtime.CharStream getInputStream() { return lexer.getInputStream(); }
        @Override public String getSourceName() { return lexer.getSourceName(); }
        @Override public void setTokenFactory(org.antlr.v4.runtime.TokenFactory<?> factory) { lexer.setTokenFactory(factory); }
        @Override public org.antlr.v4.runtime.TokenFactory<?> getTokenFactory() { return lexer.getTokenFactory(); }
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
