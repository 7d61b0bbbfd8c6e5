package io.portcullis.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.portcullis.check.Checker;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.grammar.PolicyLexer;
import io.portcullis.ir.Assertion;
import io.portcullis.ir.Expect;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Waiver;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.Interval;

/** What every formatting test asks of the formatter: idempotent, every comment kept, the meaning unchanged. */
public final class FormatChecks {
    private FormatChecks() {}

    public static String format(String name, String text) {
        Formatter.Result r = Formatter.format(SourceFile.ofString(name, text));
        assertNotNull(r.text(), () -> name + " should format: " + r.errors());
        return r.text();
    }

    /** Formats {@code text} and checks idempotence and comments; returns the formatted text. */
    public static String check(String name, String text) {
        String once = format(name, text);
        String twice = format(name, once);
        assertEquals(once, twice, () -> name + ": formatting is not idempotent\n--- input\n" + text + "\n--- once\n" + once);
        assertEquals(comments(text), comments(once), () -> name + ": comments changed\n--- input\n" + text + "\n--- once\n" + once);
        return once;
    }

    /** Every comment's text (without trailing blanks), in order, read from the text between tokens. */
    public static List<String> comments(String text) {
        CharStream cs = CharStreams.fromString(text);
        PolicyLexer lexer = new PolicyLexer(cs);
        lexer.removeErrorListeners();
        List<String> out = new ArrayList<>();
        int from = 0;
        while (true) {
            Token t = lexer.nextToken();
            int end = t.getType() == Token.EOF ? cs.size() : t.getStartIndex();
            if (from < end) {
                for (String line : cs.getText(Interval.of(from, end - 1)).split("\r?\n|\r", -1)) {
                    int hash = line.indexOf('#');
                    if (hash >= 0) out.add(line.substring(hash).stripTrailing());
                }
            }
            if (t.getType() == Token.EOF) return out;
            from = t.getStopIndex() + 1;
        }
    }

    /**
     * The policies, guards and check findings of a run with every source position left out: two runs with the same
     * meaning give the same string.
     */
    public static String meaning(List<Path> inputs) throws InputException {
        return meaning(inputs, true);
    }

    /** As {@link #meaning(List)}; without the check's findings when {@code findings} is false (the checker is slow). */
    public static String meaning(List<Path> inputs, boolean findings) throws InputException {
        Loader.LoadResult loaded = Loader.load(inputs);
        StringBuilder sb = new StringBuilder();
        for (ResolvedPolicy p : loaded.policies()) {
            sb.append("policy ").append(p.name()).append(' ').append(p.target()).append(" default ").append(p.defaultAction())
                    .append(" non-ip ").append(p.nonIp()).append('\n');
            for (Waiver w : p.defaultWaivers()) sb.append("  default waiver ").append(waiver(w)).append('\n');
            for (ResolvedRule r : p.rules()) {
                sb.append("  ").append(r.index()).append(' ').append(r.label()).append(' ').append(r.action()).append(' ')
                        .append(r.match()).append('\n');
                for (Waiver w : r.waivers()) sb.append("    waiver ").append(waiver(w)).append('\n');
            }
            for (Expect x : p.expects()) sb.append("  expect ").append(x.action()).append(' ').append(x.packet()).append('\n');
            for (Assertion a : p.asserts()) sb.append("  assert ").append(a.action()).append(' ').append(a.match()).append('\n');
        }
        for (ResolvedGuard g : loaded.guards()) {
            sb.append("guard ").append(g.name()).append('\n');
            for (Assertion a : g.asserts()) sb.append("  assert ").append(a.action()).append(' ').append(a.match()).append('\n');
        }
        List<Diagnostic> ds = new ArrayList<>(loaded.diagnostics());
        if (findings) for (ResolvedPolicy p : loaded.policies()) ds.addAll(Checker.check(p, loaded.guards(), LocalDate.of(2026, 11, 25)));
        for (Diagnostic d : ds) {
            sb.append("finding ").append(d.code()).append(' ').append(d.severity()).append(' ').append(d.policy()).append(' ')
                    .append(d.rule()).append(' ').append(d.witness()).append(d.isWaived() ? " waived" : "").append('\n');
        }
        return sb.toString();
    }

    private static String waiver(Waiver w) { return w.code() + " " + w.reason() + " " + w.until(); }

    /**
     * The same tokens with random layout: blanks, tabs, line breaks, blank lines and comments between them (the
     * file's own comments are dropped). The result parses to the same policies.
     */
    public static String scramble(String text, Random r) {
        PolicyLexer lexer = new PolicyLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(4) == 0) sb.append("# head ").append(r.nextInt(1000)).append("\n\n");
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            sb.append(t.getText());
            switch (r.nextInt(12)) {
                case 0 -> sb.append("  ");
                case 1 -> sb.append('\n');
                case 2 -> sb.append("\n\n\n");
                case 3 -> sb.append('\t');
                case 4 -> sb.append(" # trailing ").append(r.nextInt(1000)).append("   \n");
                case 5 -> sb.append("\n  # own line ").append(r.nextInt(1000)).append('\n');
                case 6 -> sb.append("\r\n");
                case 7 -> sb.append("#").append(r.nextInt(1000)).append("#  ## x\n\n");
                default -> sb.append(' ');
            }
        }
        if (r.nextBoolean()) sb.append("\n# tail ").append(r.nextInt(1000));
        return sb.toString();
    }
}
