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
    private final int[] match, decided;
    private final int[][] earlierDeciding;
    private final int[] coveredBy;
    private final RuleIndex index;
    private int[] before, allowedFrom;

    public PolicySets(PacketSpace space, ResolvedPolicy policy) { this(space, policy, 1, BLOCK); }

    /**
     * As {@link #PolicySets(PacketSpace, ResolvedPolicy)}, computing the decided sets on {@code threads} threads, in
     * blocks of {@code block} rules (see {@link #block}; {@link #BLOCK} unless testing). The sets are the same whatever
     * the numbers; only the package's node ids may differ.
     */
    public PolicySets(PacketSpace space, ResolvedPolicy policy, int threads, int block) {
        this.space = space;
        this.policy = policy;
        Bdd bdd = space.bdd();
        int n = policy.rules().size();
        match = new int[n];
        decided = new int[n];
        earlierDeciding = new int[n][];
        coveredBy = new int[n];
        index = new RuleIndex(n);
        RuleIndex live = new RuleIndex(n, true);
        boolean parallel = threads > 1 && n >= 2 * block;
        if (parallel) {
            matches(threads, block);
        } else {
            for (int i = 0; i < n; i++) match[i] = space.match(policy.rules().get(i).match());
        }
        for (int i = 0; i < n; i++) {
            index.add(i, policy.rules().get(i).match());
            live.add(i, policy.rules().get(i).match());
        }
        // A rule's decided set depends only on the earlier rules that overlap it, so it is computed from those alone:
        // the union of every earlier match grows with the policy and made this sweep superlinear. Among those, only
        // the rules that decide some packets count: the earlier matches cover exactly the earlier decided sets, and a
        // rule that decides nothing adds nothing to them. So the sweep keeps an index of the deciding rules only (in
        // generated policies of 100k rules about half the rules decide nothing, and they are the broadly overlapped).
        // The earlier rules are subtracted broadest first: a broad rule usually removes most of what is left (often all
        // of it, for a dead rule), so the narrow ones after it cut into a small set. The difference is the same in any
        // order. Each rule's scratch is released as soon as its decided set is known (see Bdd#release).
        long[] breadth = new long[n];
        for (int i = 0; i < n; i++) breadth[i] = breadth(policy.rules().get(i).match(), i);
        if (parallel) {
            live.freeze(); // before any thread queries it
            index.freeze();
            Bdd[] overlays = new Bdd[threads]; // one per thread, put on top of the grown package again for each block
            for (int s = 0; s < n; s += block) block(s, Math.min(n, s + block), live, breadth, overlays);
            return;
        }
        for (int i = 0; i < n; i++) {
            int[] cands = live.overlapping(i); // all earlier than i: i and later rules are not active yet
            earlierDeciding[i] = cands;
            int k = cands.length;
            long[] order = new long[k];
            for (int m = 0; m < k; m++) order[m] = breadth[cands[m]];
            java.util.Arrays.sort(order);
            int mark = bdd.mark();
            int d = match[i], last = -1;
            for (int m = 0; m < k && d != Bdd.FALSE; m++) {
                // Most candidates miss d (the index only knows addresses): a test makes no node, a difference would
                // look up every node of d again.
                int j = (int) (order[m] & 0xFFFFFFFFL);
                if (bdd.intersects(d, match[j])) {
                    d = bdd.diff(d, match[j]);
                    last = Math.max(last, j);
                }
            }
            coveredBy[i] = d == Bdd.FALSE ? last : -1;
            decided[i] = bdd.release(mark, d);
            if (decided[i] != Bdd.FALSE) live.activate(i);
        }
        index.freeze();
    }

    /**
     * The rules' matches on {@code threads} threads: each builds the matches of runs of rules (a run shares its
     * networks, so the thread's address caches serve it) in an overlay of the frozen package, and the results are then
     * copied into the package in rule order. Only the matches are copied, not what building them left behind. The
     * sets are those {@link PacketSpace#match} gives; only node ids may differ.
     */
    private void matches(int threads, int run) {
        Bdd bdd = space.bdd();
        int n = match.length;
        int[] local = new int[n];
        Bdd[] owner = new Bdd[n];
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        int step = Math.max(1, Math.min(run, 64));
        Parallel.onFrozen(bdd, threads, id -> {
            Bdd o = bdd.overlay(1 << 16);
            PacketSpace view = space.on(o);
            for (int s; (s = next.getAndAdd(step)) < n; ) {
                for (int i = s; i < Math.min(n, s + step); i++) {
                    local[i] = view.match(policy.rules().get(i).match());
                    owner[i] = o;
                }
            }
        });
        Bdd.Copier copier = bdd.copier();
        for (int i = 0; i < n; i++) match[i] = copier.copy(owner[i], local[i]);
    }

    /** Rules per block of the parallel sweep (see {@link #block}). */
    public static final int BLOCK = 512;

    /** What a thread found for one rule of a block: its decided set in the thread's overlay, and its candidates. */
    private record Found(Bdd overlay, int decided, int last, int[] live, int[] inBlock) {}

    /**
     * The decided sets of rules {@code s..e-1}, on several threads. A rule's set is its match minus the matches of the
     * earlier rules that can overlap it and decide packets; the rules before the block that decide packets are known
     * (active in {@code live}), those in the block are not yet, so every rule of the block before it that can overlap
     * it is subtracted too: a rule that decides nothing matches only packets earlier rules match, so subtracting it
     * changes nothing. Each thread works in an overlay of the frozen package; the sets are then copied into it in
     * rule order and the rules that decide packets are activated.
     */
    private void block(int s, int e, RuleIndex live, long[] breadth, Bdd[] overlays) {
        Bdd bdd = space.bdd();
        Found[] found = new Found[e - s];
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger(s);
        Parallel.onFrozen(bdd, overlays.length, id -> {
            Bdd o = overlays[id];
            if (o == null) overlays[id] = o = bdd.overlay(1 << 18);
            else o.rebase();
            for (int i; (i = next.getAndIncrement()) < e; ) {
                int[] before = live.overlapping(i); // active rules: all before the block
                int[] inBlock = new int[i - s];
                int k = 0;
                for (int j = s; j < i; j++) if (index.mayOverlap(j, i)) inBlock[k++] = j;
                inBlock = java.util.Arrays.copyOf(inBlock, k);
                long[] order = new long[before.length + k];
                for (int m = 0; m < before.length; m++) order[m] = breadth[before[m]];
                for (int m = 0; m < k; m++) order[before.length + m] = breadth[inBlock[m]];
                java.util.Arrays.sort(order);
                int mark = o.mark();
                int d = match[i], last = -1;
                for (int m = 0; m < order.length && d != Bdd.FALSE; m++) {
                    int j = (int) (order[m] & 0xFFFFFFFFL);
                    if (o.intersects(d, match[j])) {
                        d = o.diff(d, match[j]);
                        last = Math.max(last, j);
                    }
                }
                found[i - s] = new Found(o, o.release(mark, d), last, before, inBlock);
            }
        });
        Bdd.Copier copier = bdd.copier();
        for (int i = s; i < e; i++) {
            Found f = found[i - s];
            decided[i] = copier.copy(f.overlay(), f.decided());
            coveredBy[i] = decided[i] == Bdd.FALSE ? f.last() : -1;
            // The candidates the sequential sweep would have: the earlier rules that decide packets.
            int[] in = f.inBlock();
            int k = 0;
            for (int j : in) if (decided[j] != Bdd.FALSE) in[k++] = j;
            int[] c = java.util.Arrays.copyOf(f.live(), f.live().length + k);
            System.arraycopy(in, 0, c, f.live().length, k);
            earlierDeciding[i] = c; // ascending: the live ones are all before the block
            if (decided[i] != Bdd.FALSE) live.activate(i);
        }
    }

    /**
     * A sort key that puts broad matches first (short prefixes, then many ports), the rule index in the low half so
     * that the order is total and deterministic.
     */
    private static long breadth(io.portcullis.ir.RuleMatch m, int index) {
        int src = 128, dst = 128;
        for (io.portcullis.net.Prefix p : m.src().prefixes()) src = Math.min(src, p.length());
        for (io.portcullis.net.Prefix p : m.dst().prefixes()) dst = Math.min(dst, p.length());
        int narrowPorts = 17; // 17 - log2(ports matched): 0 for every port, 17 for one
        for (io.portcullis.ir.ProtoClause c : m.protos()) {
            long ports = 65536;
            if (c.proto() >= 0 && c.dports() != null) {
                ports = 0;
                for (io.portcullis.net.PortSet.Range r : c.dports().ranges()) ports += r.hi() - r.lo() + 1;
            }
            if (c.proto() < 0) ports = 1L << 17;
            narrowPorts = Math.min(narrowPorts, 17 - (63 - Long.numberOfLeadingZeros(ports)));
        }
        return (long) ((src + dst) * 32 + narrowPorts) << 32 | index;
    }

    /** The global sets, built on first use: they are large for large policies and most checks do without them. */
    private void sweep() {
        if (before != null) return;
        Bdd bdd = space.bdd();
        int n = match.length;
        int[] b = new int[n + 1];
        int earlier = Bdd.FALSE;
        for (int i = 0; i < n; i++) {
            b[i] = earlier;
            earlier = bdd.or(earlier, match[i]);
        }
        b[n] = earlier;
        int[] a = new int[n + 1];
        int suffix = policy.defaultAction() == Action.ALLOW ? Bdd.TRUE : Bdd.FALSE;
        a[n] = suffix;
        for (int i = n - 1; i >= 0; i--) {
            // ite(match, verdict, suffix) with a constant verdict is one apply, not three.
            suffix = policy.rules().get(i).action() == Action.ALLOW ? bdd.or(match[i], suffix) : bdd.diff(suffix, match[i]);
            a[i] = suffix;
        }
        allowedFrom = a;
        before = b;
    }

    /**
     * The packets of {@code set} that rules {@code from..n-1} and the default allow, walking only the rules in
     * {@code cands} (ascending; a superset of the rules at {@code from} or later whose match meets {@code set}).
     */
    public int allowedWithin(int set, int[] cands, int from) {
        Bdd bdd = space.bdd();
        int rest = set, allow = Bdd.FALSE;
        for (int j : cands) {
            if (rest == Bdd.FALSE) break;
            if (j < from) continue;
            int hit = bdd.and(rest, match[j]);
            if (hit == Bdd.FALSE) continue;
            if (policy.rules().get(j).action() == Action.ALLOW) allow = bdd.or(allow, hit);
            rest = bdd.diff(rest, hit);
        }
        return policy.defaultAction() == Action.ALLOW ? bdd.or(allow, rest) : allow;
    }

    /**
     * Whether rules {@code from..n-1} and the default give every packet of {@code set} the verdict {@code action},
     * walking only the rules in {@code cands} (as for {@link #allowedWithin}). The same answer as comparing
     * {@code allowedWithin} with {@code set} (allow) or with the empty set (deny), but without building the allowed
     * set, and it stops at the first rule that gives some of the packets the other verdict.
     */
    public boolean decidedAlike(int set, int[] cands, int from, Action action) {
        return decidedAlike(space.bdd(), set, cands, from, action);
    }

    /** As {@link #decidedAlike(int, int[], int, Action)}, in {@code bdd}: this space's package or an overlay of it. */
    public boolean decidedAlike(Bdd bdd, int set, int[] cands, int from, Action action) {
        int rest = set;
        for (int j : cands) {
            if (rest == Bdd.FALSE) return true;
            if (j < from) continue;
            if (!bdd.intersects(rest, match[j])) continue;
            if (policy.rules().get(j).action() != action) return false;
            rest = bdd.diff(rest, match[j]);
        }
        return rest == Bdd.FALSE || policy.defaultAction() == action;
    }

    /** Rules whose addresses can overlap rule {@code i}'s (ascending; i itself included). Computed on each call. */
    public int[] overlapping(int i) { return index.overlapping(i); }

    /** The rules after {@code i} whose addresses can overlap rule {@code i}'s (ascending). Computed on each call. */
    public int[] overlappingLater(int i) { return index.overlappingLater(i); }

    /**
     * The earlier rules that decide some packets and whose addresses can overlap rule {@code i}'s (ascending): a
     * superset of the rules whose decided sets meet rule i's match, and it contains the first rule matching any packet
     * of rule i's match that an earlier rule matches.
     */
    public int[] earlierDeciding(int i) { return earlierDeciding[i]; }

    /** Rules whose addresses can overlap {@code m}'s (ascending). */
    public int[] overlapping(io.portcullis.ir.RuleMatch m) { return index.overlapping(m); }

    /** Rules whose addresses contain those of {@code p} (ascending). */
    public int[] containing(io.portcullis.ir.Packet p) { return index.containing(p); }

    public PacketSpace space() { return space; }
    public ResolvedPolicy policy() { return policy; }
    public int size() { return match.length; }
    /** Packets rule {@code i} matches. */
    public int match(int i) { return match[i]; }
    /**
     * For a rule that decides nothing (and matches something): an earlier rule such that the rules up to it already
     * match every packet of rule {@code i}, so no later rule decides any of them; otherwise -1.
     */
    public int coveredBy(int i) { return coveredBy[i]; }

    /** Packets rule {@code i} decides: its match minus every earlier rule's. */
    public int decided(int i) { return decided[i]; }
    /** Packets the default decides. */
    public int decidedByDefault() { sweep(); return space.bdd().not(before[match.length]); }
    /** Packets that rules {@code 0..i-1} match (for i = n: every rule). */
    public int matchedBefore(int i) { sweep(); return before[i]; }
    /** Packets the policy allows. */
    public int allowed() { sweep(); return allowedFrom[0]; }
    /** Packets that rules {@code i..n-1} and the default allow (for i = n: the default alone). */
    public int allowedFrom(int i) { sweep(); return allowedFrom[i]; }

    /** The rule indices in order, for callers that iterate. */
    public List<Integer> indices() { return java.util.stream.IntStream.range(0, match.length).boxed().toList(); }
}
