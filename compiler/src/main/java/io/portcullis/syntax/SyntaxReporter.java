package io.portcullis.syntax;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Span;
import io.portcullis.grammar.PolicyLexer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;

/**
 * Collects syntax errors and keeps them to one per statement: whatever the parser trips over after the first
 * mistake in a statement is a consequence of that mistake, not news for the user.
 */
final class SyntaxReporter extends BaseErrorListener {
    private final Positions positions;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Set<Integer> statementsWithError = new HashSet<>();
    private int[] statementOfToken = new int[0];
    private final int maxErrors;
    private int dropped;

    SyntaxReporter(Positions positions, int maxErrors) {
        this.positions = positions;
        this.maxErrors = maxErrors;
    }

    private Span firstDropped;

    /** Errors found past {@code maxErrors}: counted, not kept. */
    int dropped() { return dropped; }

    /** Where the first error not kept is, or null. */
    Span firstDropped() { return firstDropped; }

    private void add(Diagnostic d) {
        if (diagnostics.size() < maxErrors) {
            diagnostics.add(d);
        } else if (dropped++ == 0) {
            firstDropped = d.span();
        }
    }

    Positions positions() { return positions; }

    /** Numbers statements by counting the ';' and '}' that end them; must see every token, all channels. */
    void indexStatements(List<? extends Token> tokens) {
        statementOfToken = new int[tokens.size()];
        int statement = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            statementOfToken[i] = statement;
            if (t.getChannel() == Token.DEFAULT_CHANNEL
                    && (t.getType() == PolicyLexer.SEMI || t.getType() == PolicyLexer.RBRACE)) {
                statement++;
            }
        }
    }

    private int statementOf(Token t) {
        int i = t.getTokenIndex();
        if (i < 0 || i >= statementOfToken.length) return statementOfToken.length == 0 ? 0 : statementOfToken[statementOfToken.length - 1];
        return statementOfToken[i];
    }

    boolean hasErrorInStatementOf(Token t) {
        return statementsWithError.contains(statementOf(t));
    }

    /** Reports a syntax error unless the statement holding {@code anchor} already has one. */
    void report(Token anchor, Span span, String message, String help) {
        if (!statementsWithError.add(statementOf(anchor))) return;
        add(Diagnostic.error(Codes.SYNTAX, span, message, help));
    }

    /** ANTLR's own reports, if any path of the runtime still produces one; the strategy normally words them itself. */
    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int charPositionInLine,
                            String msg, RecognitionException e) {
        if (offendingSymbol instanceof Token t) {
            report(t, positions.token(t), msg, null);
        } else {
            add(Diagnostic.error(Codes.SYNTAX,
                    Span.of(positions.file(), line, charPositionInLine + 1, 1), msg, null));
        }
    }

    List<Diagnostic> diagnostics() { return diagnostics; }
}
