package io.portcullis.space;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import java.util.List;

/**
 * The packet sets of one policy in one {@link PacketSpace}: each rule's match, the packets each rule decides (its
 * match minus every earlier match), and for every position the packets the rest of the policy allows.
 * Checks, unsafe-policy analysis and semantic diff all read these; two policies compared by a diff must share
 * one space.
 */
public final class PolicySets {
    private final PacketSpace space;
    private final ResolvedPolicy policy;
    private final int[] match, decided, before, allowedFrom;

    public PolicySets(PacketSpace space, ResolvedPolicy policy) {
        this.space = space;
        this.policy = policy;
        Bdd bdd = space.bdd();
        int n = policy.rules().size();
        match = new int[n];
        decided = new int[n];
        before = new int[n + 1];
        allowedFrom = new int[n + 1];
        int earlier = Bdd.FALSE;
        for (int i = 0; i < n; i++) {
            match[i] = space.match(policy.rules().get(i).match());
            before[i] = earlier;
            decided[i] = bdd.diff(match[i], earlier);
            earlier = bdd.or(earlier, match[i]);
        }
        before[n] = earlier;
        int suffix = policy.defaultAction() == Action.ALLOW ? Bdd.TRUE : Bdd.FALSE;
        allowedFrom[n] = suffix;
        for (int i = n - 1; i >= 0; i--) {
            // ite(match, verdict, suffix) with a constant verdict is one apply, not three.
            suffix = policy.rules().get(i).action() == Action.ALLOW ? bdd.or(match[i], suffix) : bdd.diff(suffix, match[i]);
            allowedFrom[i] = suffix;
        }
    }

    public PacketSpace space() { return space; }
    public ResolvedPolicy policy() { return policy; }
    public int size() { return match.length; }
    /** Packets rule {@code i} matches. */
    public int match(int i) { return match[i]; }
    /** Packets rule {@code i} decides: its match minus every earlier rule's. */
    public int decided(int i) { return decided[i]; }
    /** Packets the default decides. */
    public int decidedByDefault() { return space.bdd().not(before[match.length]); }
    /** Packets that rules {@code 0..i-1} match (for i = n: every rule). */
    public int matchedBefore(int i) { return before[i]; }
    /** Packets the policy allows. */
    public int allowed() { return allowedFrom[0]; }
    /** Packets that rules {@code i..n-1} and the default allow (for i = n: the default alone). */
    public int allowedFrom(int i) { return allowedFrom[i]; }

    /** The rule indices in order, for callers that iterate. */
    public List<Integer> indices() { return java.util.stream.IntStream.range(0, match.length).boxed().toList(); }
}
