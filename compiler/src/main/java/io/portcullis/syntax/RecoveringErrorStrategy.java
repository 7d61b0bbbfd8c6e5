package io.portcullis.syntax;

import io.portcullis.grammar.PolicyLexer;
import io.portcullis.grammar.PolicyParser.FileContext;
import io.portcullis.grammar.PolicyParser.GuardDefContext;
import io.portcullis.grammar.PolicyParser.LabelContext;
import io.portcullis.grammar.PolicyParser.PolicyDefContext;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.atn.ATNState;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Statement-level recovery (skip to the next ';' or to the '}' that closes the block) and messages worded for
 * people who write firewall rules. One mistake gives one error; {@link SyntaxReporter} drops any follow-on error
 * in the same statement.
 */
final class RecoveringErrorStrategy extends DefaultErrorStrategy {
    private final SyntaxReporter out;
    private final Positions pos;

    RecoveringErrorStrategy(SyntaxReporter out) {
        this.out = out;
        this.pos = out.positions();
    }

    // ------------------------------------------------------------------ reporting

    @Override
    public void reportError(Parser p, RecognitionException e) {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        Token t = e.getOffendingToken();
        if (e instanceof NoViableAltException nv && nv.getStartToken() != null) t = nv.getStartToken();
        IntervalSet expected;
        try {
            expected = e.getExpectedTokens();
        } catch (RuntimeException ex) {
            expected = null;
        }
        if (expected == null) expected = p.getExpectedTokens();
        if (e instanceof InputMismatchException || e instanceof NoViableAltException) {
            unexpected(p, t, expected);
        } else {
            out.report(t, pos.token(t), "expected " + Words.expected(expected) + ", found " + Words.found(t), null);
        }
    }

    @Override
    protected void reportUnwantedToken(Parser p) {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        Token t = p.getCurrentToken();
        IntervalSet expected = getExpectedTokens(p);
        String help = typoHelp(t, expected);
        out.report(t, pos.token(t), "unexpected " + Words.found(t) + " before " + Words.expected(expected),
                help != null ? help : "remove " + Words.found(t));
    }

    @Override
    protected void reportMissingToken(Parser p) {
        if (inErrorRecoveryMode(p)) return;
        beginErrorCondition(p);
        Token t = p.getCurrentToken();
        IntervalSet expected = getExpectedTokens(p);
        Token prev = previous(p);
        if (expected.contains(PolicyLexer.RBRACE) && expected.size() == 1) {
            missingCloseBrace(p, t);
            return;
        }
        Token anchor = prev != null ? prev : t;
        org.antlr.v4.runtime.misc.IntervalSet e = expected;
        if (e.contains(PolicyLexer.SEMI) && e.size() == 1) {
            out.report(anchor, prev != null ? pos.after(prev) : pos.token(t),
                    "missing ';' at the end of the statement", "end every statement with ';'");
        } else {
            out.report(anchor, prev != null ? pos.after(prev) : pos.token(t),
                    "missing " + Words.expected(e) + " before " + Words.found(t), "insert " + Words.expected(e));
        }
    }

    private void missingCloseBrace(Parser p, Token t) {
        Token open = unclosedBrace(p);
        Token prev = previous(p);
        String where = open == null ? "" : " to close the '{' on line " + pos.token(open).line();
        out.report(t, prev != null ? pos.after(prev) : pos.token(t), "missing '}'" + where,
                "every '{' needs a matching '}'");
    }

    private void unexpected(Parser p, Token t, IntervalSet expected) {
        ParserRuleContext ctx = p.getContext();
        // A word that is not a keyword at the start of a statement: the parser took it for a rule label.
        if (ctx instanceof LabelContext label && expected.contains(PolicyLexer.COLON) && label.start != null
                && label.start.getType() == PolicyLexer.NAME) {
            Token word = label.start;
            IntervalSet starts = IntervalSet.of(PolicyLexer.ALLOW, PolicyLexer.DENY);
            starts.add(PolicyLexer.DEFAULT);
            starts.add(PolicyLexer.NON_IP);
            starts.add(PolicyLexer.WAIVE);
            starts.add(PolicyLexer.EXPECT);
            starts.add(PolicyLexer.ASSERT);
            String k = Words.closestKeyword(word.getText(), starts);
            out.report(word, pos.token(word), "unknown statement '" + word.getText()
                    + "': expected a rule (allow, deny or 'label:'), default, non-ip, waive, expect or assert",
                    k != null ? "did you mean '" + k + "'?"
                            : "a rule label is a name followed by ':', as in 'web-in: allow tcp to web port 443;'");
            return;
        }
        String message = t.getType() == Token.EOF
                ? "unexpected end of file: expected " + Words.expected(expected)
                : "expected " + Words.expected(expected) + ", found " + Words.found(t);
        String help = typoHelp(t, expected);
        if (help == null) {
            help = t.getType() == Token.EOF ? "the file ends in the middle of a statement"
                    : "write " + Words.expected(expected) + " here, or remove " + Words.found(t);
        }
        out.report(t, pos.token(t), message, help);
    }

    private static String typoHelp(Token t, IntervalSet expected) {
        if (t.getType() == PolicyLexer.NAME) {
            String k = Words.closestKeyword(t.getText(), expected);
            if (k != null) return "did you mean '" + k + "'?";
        } else if (Words.keyword(t.getType()) != null && expected.contains(PolicyLexer.NAME)) {
            return "'" + t.getText() + "' is a reserved word and cannot be used as a name";
        }
        return null;
    }

    // ------------------------------------------------------------------ recovery

    /**
     * ANTLR's generated code for a choice of tokens ({@code addrItem : DOTTED | IPV6 | ...}) drops the token conjured
     * here, unlike {@code Parser.match} for a single token, which records it as an error node. Without that node the
     * rule's context is empty yet looks intact, and the AST builder would read a token that is not there; so record it.
     */
    @Override
    public Token recoverInline(Parser p) throws RecognitionException {
        boolean choice = getExpectedTokens(p).size() > 1;
        Token t = super.recoverInline(p);
        if (choice && t.getTokenIndex() == -1 && p.getBuildParseTree()) {
            p.getContext().addErrorNode(p.createErrorNode(p.getContext(), t));
        }
        return t;
    }

    /** A missing ';' is only conjured at a line break; on the same line the real mistake is the word that follows. */
    @Override
    protected boolean singleTokenInsertion(Parser p) {
        IntervalSet expected = getExpectedTokens(p);
        Token prev = previous(p);
        Token cur = p.getCurrentToken();
        if (expected.contains(PolicyLexer.SEMI) && prev != null && cur.getType() != Token.EOF
                && cur.getType() != PolicyLexer.RBRACE && pos.token(prev).line() == pos.token(cur).line()) {
            return false;
        }
        return super.singleTokenInsertion(p);
    }

    /** Skips to the end of the statement, leaving its ';' (or the block's '}') for the enclosing rule to match. */
    @Override
    public void recover(Parser p, RecognitionException e) {
        TokenStream in = p.getInputStream();
        if (lastErrorIndex == in.index() && lastErrorStates != null && lastErrorStates.contains(p.getState())) {
            if (in.LA(1) != Token.EOF && in.LA(1) != PolicyLexer.SEMI && in.LA(1) != PolicyLexer.RBRACE) p.consume();
        }
        lastErrorIndex = in.index();
        if (lastErrorStates == null) lastErrorStates = new IntervalSet();
        lastErrorStates.add(p.getState());
        IntervalSet follow = getErrorRecoverySet(p);
        int depth = 0;
        while (true) {
            int la = in.LA(1);
            if (la == Token.EOF) return;
            if (depth == 0) {
                if (la == PolicyLexer.SEMI || la == PolicyLexer.RBRACE) return;
                if (la == PolicyLexer.LBRACE && follow.contains(PolicyLexer.LBRACE)) return;
                if (Words.isTopLevel(la) && follow.contains(la)) return;
            }
            if (la == PolicyLexer.LBRACE) depth++;
            else if (la == PolicyLexer.RBRACE) depth--;
            p.consume();
        }
    }

    /** In the statement loops (top level, policy and guard bodies) skip whole bad statements and keep going. */
    @Override
    public void sync(Parser p) throws RecognitionException {
        ATNState s = p.getInterpreter().atn.states.get(p.getState());
        ParserRuleContext ctx = p.getContext();
        boolean loop = s.getStateType() == ATNState.STAR_LOOP_ENTRY || s.getStateType() == ATNState.STAR_LOOP_BACK;
        boolean statementLoop = loop
                && (ctx instanceof FileContext || ctx instanceof PolicyDefContext || ctx instanceof GuardDefContext);
        if (!statementLoop) {
            // ANTLR would report an "extraneous input" at a list's loop-back and skip ahead on its own; let the
            // enclosing rule word the error and recover to the end of the statement instead.
            if (s.getStateType() == ATNState.STAR_LOOP_BACK && !inErrorRecoveryMode(p)) {
                IntervalSet next = p.getATN().nextTokens(s);
                int la = p.getInputStream().LA(1);
                if (!next.contains(la) && !next.contains(Token.EPSILON)) throw new InputMismatchException(p);
            }
            super.sync(p);
            return;
        }
        boolean inBlock = !(ctx instanceof FileContext);
        TokenStream in = p.getInputStream();
        IntervalSet next = p.getATN().nextTokens(s);
        while (true) {
            int la = in.LA(1);
            if (la == Token.EOF || next.contains(la)) return;
            if (inBlock && Words.isTopLevel(la)) {
                if (!inErrorRecoveryMode(p)) {
                    beginErrorCondition(p);
                    missingCloseBrace(p, in.LT(1));
                }
                return;
            }
            if (!inErrorRecoveryMode(p)) {
                beginErrorCondition(p);
                unexpected(p, in.LT(1), next);
            }
            skipStatement(p, inBlock);
            endErrorCondition(p);
        }
    }

    private static void skipStatement(Parser p, boolean inBlock) {
        TokenStream in = p.getInputStream();
        int depth = 0;
        boolean consumed = false;
        while (true) {
            int la = in.LA(1);
            if (la == Token.EOF) return;
            if (depth == 0) {
                if (la == PolicyLexer.SEMI) { p.consume(); return; }
                if (la == PolicyLexer.RBRACE) {
                    if (!inBlock) p.consume();
                    return;
                }
                if (consumed && Words.isTopLevel(la)) return;
            }
            if (la == PolicyLexer.LBRACE) {
                depth++;
            } else if (la == PolicyLexer.RBRACE) {
                depth--;
                if (depth == 0) { p.consume(); return; }
            }
            p.consume();
            consumed = true;
        }
    }

    private static Token previous(Parser p) {
        return p.getInputStream().index() == 0 ? null : p.getInputStream().LT(-1);
    }

    /** The innermost '{' before the current token that has no matching '}'. */
    private static Token unclosedBrace(Parser p) {
        TokenStream in = p.getInputStream();
        int depth = 0;
        for (int i = in.index() - 1; i >= 0; i--) {
            Token t = in.get(i);
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            if (t.getType() == PolicyLexer.RBRACE) depth++;
            else if (t.getType() == PolicyLexer.LBRACE) {
                if (depth == 0) return t;
                depth--;
            }
        }
        return null;
    }
}
