package io.portcullis.syntax;

import io.portcullis.grammar.PolicyLexer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/** Token sets in the words of someone who writes firewall rules, not of the parser generator. */
final class Words {
    private Words() {}

    static final int[] TOP_LEVEL = {PolicyLexer.IMPORT, PolicyLexer.NETWORK, PolicyLexer.SERVICE, PolicyLexer.POLICY, PolicyLexer.GUARD};
    private static final int[] STATEMENT = {PolicyLexer.DEFAULT, PolicyLexer.NON_IP, PolicyLexer.WAIVE, PolicyLexer.EXPECT,
        PolicyLexer.ASSERT, PolicyLexer.ALLOW, PolicyLexer.DENY};
    private static final int[] ADDRESS = {PolicyLexer.DOTTED, PolicyLexer.IPV6, PolicyLexer.ANY, PolicyLexer.ANY4, PolicyLexer.ANY6};
    private static final int[] PROTOCOL = {PolicyLexer.TCP, PolicyLexer.UDP, PolicyLexer.ICMP, PolicyLexer.ICMPV6, PolicyLexer.PROTO};

    static boolean isTopLevel(int type) {
        for (int t : TOP_LEVEL) if (t == type) return true;
        return false;
    }

    /** The keyword spelled by a token type, or null when the type is not a keyword. */
    static String keyword(int type) {
        String lit = PolicyLexer.VOCABULARY.getLiteralName(type);
        if (lit == null) return null;
        String s = lit.substring(1, lit.length() - 1);
        return Character.isLetter(s.charAt(0)) ? s : null;
    }

    static List<String> allKeywords() {
        List<String> out = new ArrayList<>();
        for (int t = 1; t <= PolicyLexer.VOCABULARY.getMaxTokenType(); t++) {
            String k = keyword(t);
            if (k != null) out.add(k);
        }
        return out;
    }

    /** What was found, e.g. {@code 'alow'} or {@code end of file}. */
    static String found(Token t) {
        if (t.getType() == Token.EOF) return "end of file";
        String text = t.getText();
        if (text.length() > 40) text = text.substring(0, 37) + "...";
        return "'" + text + "'";
    }

    /** A phrase for one token type, e.g. {@code ';'} or {@code a port number}. */
    static String one(int type) {
        switch (type) {
            case Token.EOF: return "end of file";
            case PolicyLexer.NAME: return "a name";
            case PolicyLexer.NUMBER: return "a number";
            case PolicyLexer.STRING: return "a quoted string";
            case PolicyLexer.DATE: return "a date (YYYY-MM-DD)";
            case PolicyLexer.DOTTED: return "an IPv4 address";
            case PolicyLexer.IPV6: return "an IPv6 address";
            default:
                String lit = PolicyLexer.VOCABULARY.getLiteralName(type);
                return lit != null ? lit : PolicyLexer.VOCABULARY.getDisplayName(type);
        }
    }

    /** The expected set as a short phrase: groups that belong together are named once. */
    static String expected(IntervalSet set) {
        Set<Integer> rest = new LinkedHashSet<>(set.toList());
        rest.remove(Token.EPSILON);
        List<String> parts = new ArrayList<>();
        if (containsAll(rest, TOP_LEVEL)) {
            parts.add("a top-level statement (import, network, service, policy or guard)");
            removeAll(rest, TOP_LEVEL);
        }
        if (containsAll(rest, STATEMENT)) {
            parts.add("a rule (allow, deny or 'label:'), default, non-ip, waive, expect or assert");
            removeAll(rest, STATEMENT);
            rest.remove(PolicyLexer.NAME);
        }
        if (containsAll(rest, ADDRESS)) {
            parts.add(rest.contains(PolicyLexer.NAME) ? "an address, a prefix, a network name or any/any4/any6"
                    : "an address, a prefix or any/any4/any6");
            removeAll(rest, ADDRESS);
            rest.remove(PolicyLexer.NAME);
            rest.remove(PolicyLexer.LBRACE);
        }
        if (containsAll(rest, PROTOCOL)) {
            parts.add(rest.contains(PolicyLexer.NAME) ? "a protocol (tcp, udp, icmp, icmpv6, proto N) or a service name"
                    : "a protocol (tcp, udp, icmp, icmpv6 or proto N)");
            removeAll(rest, PROTOCOL);
            rest.remove(PolicyLexer.NAME);
        }
        for (int t : rest) parts.add(one(t));
        if (parts.isEmpty()) return "something else";
        if (parts.size() > 8) {
            parts = new ArrayList<>(parts.subList(0, 8));
            parts.add("...");
        }
        if (parts.size() == 1) return parts.get(0);
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " or " + parts.get(parts.size() - 1);
    }

    /** A keyword close to {@code word} (a typo), preferring the expected ones; null when none is close. */
    static String closestKeyword(String word, IntervalSet expected) {
        String best = null;
        int bestDist = Integer.MAX_VALUE;
        if (expected != null) {
            for (int t : expected.toList()) {
                String k = keyword(t);
                if (k == null) continue;
                int d = distance(word, k);
                if (d < bestDist) { bestDist = d; best = k; }
            }
        }
        if (best != null && closeEnough(word, best, bestDist)) return best;
        best = null;
        bestDist = Integer.MAX_VALUE;
        for (String k : allKeywords()) {
            int d = distance(word, k);
            if (d < bestDist) { bestDist = d; best = k; }
        }
        return best != null && closeEnough(word, best, bestDist) ? best : null;
    }

    private static boolean closeEnough(String word, String k, int d) {
        return d > 0 && (d == 1 && word.length() >= 2 || d == 2 && Math.min(word.length(), k.length()) >= 5);
    }

    /** Levenshtein distance with adjacent transpositions counted as one edit (teh → the). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static boolean containsAll(Set<Integer> s, int[] types) {
        for (int t : types) if (!s.contains(t)) return false;
        return true;
    }

    private static void removeAll(Set<Integer> s, int[] types) {
        for (int t : types) s.remove(t);
    }
}
