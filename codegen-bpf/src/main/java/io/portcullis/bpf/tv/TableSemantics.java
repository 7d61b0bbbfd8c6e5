package io.portcullis.bpf.tv;

import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.net.Ip;
import io.portcullis.space.Atoms;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.RuleIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Part (a) of a table program's proof: what the tables mean, compared with the policy exactly. Given the roots the walk
 * proof found ({@link WalkProof}), the program gives every packet of a family the verdict byte of
 * {@code min over groups g of rule(walk_g(p))}. That is the policy's verdict on every packet when, for every group and
 * every leaf,
 *
 * <ol>
 * <li>(A) the packets a group sends to rule r's leaf all match rule r;</li>
 * <li>(B1) none of them is matched by an earlier rule that has a leaf in the same group, and every packet that rule r
 * matches is sent by each group holding r's leaf to some rule;</li>
 * <li>(B2) every packet that a rule without a leaf matches is sent by some group to an earlier rule</li>
 * </ol>
 *
 * (then the smallest index over the groups is the first rule that matches, as in the policy) and the verdict byte of
 * every rule that decides some packet, and of "no rule" when some packet matches no rule, is the rule's action. All are
 * checked in the packet-set engine's space with addresses and ports compressed to atoms ({@link Atoms}), whose
 * boundaries are the policy's and every interval start of the tables, so every set is exact. What a group sends to a leaf
 * is built bottom-up from the leaf over the nodes that lead to it, in rule order, so (B1) and (B2) can use what the
 * groups send to the rules before. Where any check
 * fails, concrete packets of the failing set are evaluated both ways: a packet whose verdicts differ is a mismatch;
 * otherwise the proof is refused (the tables are not the policy's first-match function, even if no verdict difference was
 * found).
 */
final class TableSemantics {
    /** A packet on which the tables' verdict is not the policy's ({@code mismatch}), or a refusal. */
    record Finding(boolean mismatch, String message, Packet packet) {}

    /** One node under a context: IPv6 low-word nodes are read under the high word their parent fixed. */
    private static final class VNode {
        final int id;
        final Tables.Node node; // null for a leaf
        final long ctx;
        final long rule;        // for a leaf: its rule index (the rule count for "no rule")
        int[] kids;
        int[] keysets;
        int[] keyEpochs;
        // The distinct children in order, each interval's position among them, and the cached set of each child's
        // intervals (see edge).
        int[] dkids, slotOf, edgeSets, edgeEpochs;
        int[][] slotKs; // the intervals of each distinct child
        long minLeaf = Long.MAX_VALUE, maxLeaf = -1;
        long groups;            // bit g: reachable from root g

        VNode(int id, Tables.Node node, long ctx, long rule) {
            this.id = id;
            this.node = node;
            this.ctx = ctx;
            this.rule = rule;
        }

        boolean leaf() { return node == null; }
    }

    private final ResolvedPolicy policy;
    private final Tables tables;
    private final int n;
    private PacketSpace space;
    private Bdd bdd;
    private final Map<Family, List<VNode>> graphs = new HashMap<>();
    private final Map<Family, int[]> rootIds = new HashMap<>();
    private final Map<Family, Map<Long, VNode>> leafByRule = new HashMap<>();
    private final Map<Family, KeySets> keys = new HashMap<>();
    long checks; // (A) edge steps and (B) node visits, for the statistics

    TableSemantics(ResolvedPolicy policy, Tables tables) {
        this.policy = policy;
        this.tables = tables;
        this.n = policy.rules().size();
    }

    /** Reads the nodes reachable from each family's roots; refuses what the atoms space cannot express. */
    void graph(Family f, List<Long> roots) throws TvException {
        List<VNode> all = new ArrayList<>();
        Map<String, VNode> byKey = new HashMap<>();
        Map<Long, VNode> leaves = new HashMap<>();
        int[] rootIdx = new int[roots.size()];
        for (int g = 0; g < roots.size(); g++) {
            long r = roots.get(g);
            if (!Tables.isLeaf(r) && f == Family.IPV6 && isLow(Tables.dim(r))) {
                throw new TvException("a table root tests the low word of an address", -1);
            }
            rootIdx[g] = vnode(f, r, 0, all, byKey, leaves).id;
        }
        // Depth first from the roots; every node's children are read once.
        java.util.ArrayDeque<VNode> work = new java.util.ArrayDeque<>();
        for (int id : rootIdx) work.push(all.get(id));
        boolean[] done = new boolean[0];
        while (!work.isEmpty()) {
            VNode x = work.pop();
            if (x.leaf() || x.kids != null) continue;
            Tables.Node nd = x.node;
            x.kids = new int[nd.kids.length];
            for (int k = 0; k < nd.kids.length; k++) {
                long c = nd.kids[k];
                long ctx = 0;
                if (!Tables.isLeaf(c)) {
                    Tables.Node m = tables.node(f, c);
                    if (m == null) throw new TvException(nd + " has a child 0x" + Long.toHexString(c) + " that names no node", -1);
                    if (m.dim <= nd.dim) throw new TvException(nd + " has a child that tests key " + m.dim + ", not a later key", -1);
                    String d = m.defect();
                    if (d != null) throw new TvException(m + " is not well formed: " + d, -1);
                    if (f == Family.IPV6 && isLow(m.dim)) {
                        if (nd.dim != m.dim - 1 || nd.starts[k] != nd.end(k)) {
                            throw new TvException(m + " tests the low word of an address under more than one high word", -1);
                        }
                        ctx = nd.starts[k];
                    }
                }
                VNode y = vnode(f, c, ctx, all, byKey, leaves);
                x.kids[k] = y.id;
                if (!y.leaf() && y.kids == null) work.push(y);
            }
        }
        for (VNode x : all) {
            if (x.leaf()) continue;
            Map<Integer, Integer> pos = new HashMap<>();
            List<Integer> d = new ArrayList<>();
            x.slotOf = new int[x.kids.length];
            for (int k = 0; k < x.kids.length; k++) {
                Integer p = pos.get(x.kids[k]);
                if (p == null) {
                    p = d.size();
                    pos.put(x.kids[k], p);
                    d.add(x.kids[k]);
                }
                x.slotOf[k] = p;
            }
            x.dkids = d.stream().mapToInt(Integer::intValue).toArray();
            int[] cnt = new int[x.dkids.length];
            for (int k = 0; k < x.kids.length; k++) cnt[x.slotOf[k]]++;
            x.slotKs = new int[x.dkids.length][];
            for (int j = 0; j < cnt.length; j++) x.slotKs[j] = new int[cnt[j]];
            Arrays.fill(cnt, 0);
            for (int k = 0; k < x.kids.length; k++) x.slotKs[x.slotOf[k]][cnt[x.slotOf[k]]++] = k;
            x.edgeSets = new int[x.dkids.length];
            x.edgeEpochs = new int[x.dkids.length];
            Arrays.fill(x.edgeSets, -1);
        }
        graphs.put(f, all);
        rootIds.put(f, rootIdx);
        leafByRule.put(f, leaves);
        // Smallest and largest leaf under each node, and the groups that reach each node.
        for (VNode x : all) if (x.leaf()) x.minLeaf = x.maxLeaf = x.rule;
        List<VNode> byDim = new ArrayList<>(all);
        byDim.sort((a, b) -> Integer.compare(dimOf(b), dimOf(a)));
        for (VNode x : byDim) {
            if (x.leaf()) continue;
            for (int k : x.kids) {
                VNode y = all.get(k);
                x.minLeaf = Math.min(x.minLeaf, y.minLeaf);
                x.maxLeaf = Math.max(x.maxLeaf, y.maxLeaf);
            }
        }
        for (int g = 0; g < rootIdx.length; g++) all.get(rootIdx[g]).groups |= 1L << g;
        byDim.sort((a, b) -> Integer.compare(dimOf(a), dimOf(b)));
        for (VNode x : byDim) if (!x.leaf()) for (int k : x.kids) all.get(k).groups |= x.groups;
    }

    private static boolean isLow(int dim) { return dim == Tables.DST_LO || dim == Tables.SRC_LO; }

    private static int dimOf(VNode x) { return x.leaf() ? Tables.LEAF : x.node.dim; }

    private VNode vnode(Family f, long ref, long ctx, List<VNode> all, Map<String, VNode> byKey, Map<Long, VNode> leaves)
            throws TvException {
        if (Tables.isLeaf(ref)) {
            long rule = tables.rule(ref);
            VNode l = leaves.get(rule);
            if (l == null) {
                l = new VNode(all.size(), null, 0, rule);
                all.add(l);
                leaves.put(rule, l);
            }
            return l;
        }
        String key = ref + "/" + ctx;
        VNode x = byKey.get(key);
        if (x != null) return x;
        Tables.Node nd = tables.node(f, ref);
        if (nd == null) throw new TvException("reference 0x" + Long.toHexString(ref) + " names no " + f + " node", -1);
        String d = nd.defect();
        if (d != null) throw new TvException(nd + " is not well formed: " + d, -1);
        x = new VNode(all.size(), nd, ctx, -1);
        all.add(x);
        byKey.put(key, x);
        return x;
    }

    /** Builds the atoms space: the policy's boundaries and every interval start of the tables read so far. */
    void space() {
        Atoms.Builder b = Atoms.builder();
        for (ResolvedRule r : policy.rules()) b.match(r.match());
        for (Map.Entry<Family, List<VNode>> e : graphs.entrySet()) {
            Family f = e.getKey();
            for (VNode x : e.getValue()) {
                if (x.leaf()) continue;
                Tables.Node nd = x.node;
                for (long s : nd.starts) {
                    switch (nd.dim) {
                        case Tables.DST_HI, Tables.SRC_HI -> b.address(f == Family.IPV4 ? Ip.v4(s) : Ip.v6(s, 0));
                        case Tables.DST_LO, Tables.SRC_LO -> {
                            if (f == Family.IPV6) b.address(Ip.v6(x.ctx, s));
                        }
                        case Tables.L4 -> b.ports((int) Math.min(s, 65535), 65535);
                        case Tables.SPORT -> b.ports((int) (s & 0xffff), 65535);
                        default -> { }
                    }
                }
            }
        }
        space = PacketSpace.compressed(b);
        bdd = space.bdd();
        for (Family f : graphs.keySet()) keys.put(f, new KeySets(space, f));
    }

    Bdd bdd() { return bdd; }

    PacketSpace packetSpace() { return space; }

    /** The packets that reach interval {@code k} of {@code x}: built once and kept while the node table keeps it. */
    private int keyset(Family f, VNode x, int k) {
        if (x.keysets == null) {
            x.keysets = new int[x.kids.length];
            x.keyEpochs = new int[x.kids.length];
            Arrays.fill(x.keysets, -1);
        }
        int s = x.keysets[k];
        if (s >= 0 && bdd.stillValid(s, x.keyEpochs[k])) return s;
        Tables.Node nd = x.node;
        s = keys.get(f).set(nd.dim, nd.starts[k], nd.end(k), x.ctx);
        x.keysets[k] = s;
        x.keyEpochs[k] = bdd.epoch();
        return s;
    }

    /**
     * Nodes the checks may add before their scratch is dropped (cached key sets are rebuilt when needed): 40 per rule,
     * from 400,000 to 3,000,000. Fresh memory is slow on our machines (README, Performance), and at 10k rules the
     * tables of 3,000,000 nodes cost more than the key sets rebuilt after the more frequent releases (a 10k build
     * 0.26 s faster, about 100 MB less RSS); at 100k rules 400,000 was many times slower (key sets rebuilt again and again).
     */
    private static int scratch(int rules) {
        Integer fixed = Integer.getInteger("portcullis.tv.scratch");
        return fixed != null ? fixed : (int) Math.max(400_000, Math.min(3_000_000, 40L * rules));
    }

    /** Checks (A), (B) and the verdict bytes for family {@code f}; the findings, at most {@code max}. */
    List<Finding> check(Family f, int max) {
        List<Finding> out = new ArrayList<>();
        List<VNode> all = graphs.get(f);
        int[] roots = rootIds.get(f);
        // Every rule's match is needed at least once; built here, below the scratch mark, each outlives every release
        // of scratch (built lazily above it, each was built again after every release).
        matchSets = new int[n];
        for (int j = 0; j < n; j++) matchSets[j] = space.match(policy.rules().get(j).match());
        int base = bdd.mark();
        int fam = space.family(f);
        int[][][] parentsOf = parents(all);
        Map<Long, VNode> leaves = leafByRule.get(f);
        // In rule order. Per leaf of rule r, bottom-up over the nodes that lead to it: the packets each group sends
        // there. (A) they all match rule r; (B1) none of them is matched by an earlier rule of the same group (a rule with
        // a leaf there); what each group sends to rules 0..r so far is kept (through the releases of scratch) in
        // kept[g]. Then (B1, no rule) every packet rule r matches is
        // sent by each group that holds r's leaf to some rule (of index at most r, given (A) and (B1)). (B2) A rule i
        // without a leaf in any group must decide nothing: every packet it matches is sent by some group to an earlier
        // rule, which matches it by (A).
        int groups = roots.length;
        int[] kept = new int[groups];
        // The rule index finds, among the rules before r that have a leaf of this family, those whose addresses meet
        // rule r's. Every rule that decides a packet has a leaf once (B2) holds for it, so the union of those rules'
        // matches is the union of all earlier rules' matches, on rule r's match.
        index = new RuleIndex(n, true);
        for (int j = 0; j < n; j++) index.add(j, policy.rules().get(j).match());
        hulls(f);
        int scratch = scratch(n);
        for (int r = 0; r < n && out.size() < max; r++) {
            if (bdd.nodeCount() - base > scratch) {
                bdd.release(base, kept);
                fam = space.family(f);
            }
            VNode leaf = leaves.get((long) r);
            if (leaf == null) {
                checks++;
                int m = bdd.and(match(r), fam);
                if (m != Bdd.FALSE) m = decided(r, m);
                if (m != Bdd.FALSE) out.add(explain(f, false, r, m));
                continue;
            }
            Map<Integer, Integer> reach = new HashMap<>();
            reach.put(leaf.id, Bdd.TRUE);
            for (VNode x : ancestors(leaf, all, parentsOf)) {
                Integer rx = reach.get(x.id);
                if (rx == null || rx == Bdd.FALSE) continue;
                int[] ps = parentsOf[x.id][0], slots = parentsOf[x.id][1];
                for (int q = 0; q < ps.length; q++) {
                    int p = ps[q];
                    checks++;
                    int add = bdd.and(edgeAt(f, all.get(p), slots[q]), rx);
                    if (add != Bdd.FALSE) reach.merge(p, add, bdd::or);
                }
            }
            int m = bdd.and(match(r), fam);
            int[] near = null; // the rules whose matches meet rule r's, ascending (from the rule index)
            for (int g = 0; g < groups && out.size() < max; g++) {
                Integer a0 = reach.get(roots[g]);
                int a = a0 == null ? Bdd.FALSE : bdd.and(a0, fam);
                if (a == Bdd.FALSE) continue;
                kept[g] = bdd.or(kept[g], a);
                if (!bdd.subset(a, m)) {
                    out.add(explain(f, true, r, bdd.diff(a, m)));
                    continue;
                }
                if (near == null) near = index.overlapping(r);
                for (int j : near) {
                    VNode lj = leaves.get((long) j);
                    if ((lj.groups & (1L << g)) == 0) continue;
                    checks++;
                    if (bdd.intersects(a, match(j))) {
                        out.add(explain(f, false, j, bdd.and(a, match(j))));
                        break;
                    }
                }
            }
            for (int g = 0; g < groups && out.size() < max; g++) {
                if ((leaf.groups & (1L << g)) == 0) continue;
                checks++;
                if (!bdd.subset(m, kept[g])) {
                    out.add(explain(f, false, r, bdd.diff(m, kept[g])));
                    break;
                }
            }
            index.activate(r);
        }
        bdd.release(base);
        fam = space.family(f);
        if (!out.isEmpty()) return out;
        // The tables give the first matching rule; now the verdict bytes of the rules that decide packets.
        for (int i = 0; i <= n && out.size() < max; i++) {
            Action want = i < n ? policy.rules().get(i).action() : policy.defaultAction();
            if (tables.allows(i) == (want == Action.ALLOW)) continue;
            int decided = decided(f, i, space.family(f));
            if (decided == Bdd.FALSE) continue;
            Packet p = space.witness(decided);
            out.add(new Finding(true, "the verdict table gives " + ruleName(i) + " the verdict "
                    + (tables.allows(i) ? "allow" : "deny"), p));
        }
        bdd.release(base);
        return out;
    }

    /** The packets of family {@code fam} that rule {@code i} decides (the default for i = n): matched by no earlier rule. */
    private int decided(Family f, int i, int fam) {
        int s = i < n ? bdd.and(match(i), fam) : fam;
        if (i < n) return decided(i, s);
        for (int j = 0; j < i && s != Bdd.FALSE; j++) {
            int m = match(j);
            if (bdd.intersects(s, m)) s = bdd.diff(s, m);
        }
        return s;
    }

    /** Each rule's match (every family), built at the start of {@link #check} below its scratch. */
    private int[] matchSets;

    private int match(int j) { return matchSets[j]; }

    private RuleIndex index;
    private long[][] hulls; // per rule: {dst first hi, lo, last hi, lo, src first hi, lo, last hi, lo} in one family

    /** Whether rule j's destination and source hulls (of the family being checked) contain rule i's. */
    private boolean hullsContain(int j, int i) {
        long[] a = hulls[j], b = hulls[i];
        if (a == null || b == null) return true;
        for (int k = 0; k < 8; k += 4) {
            if (cmp(a[k], a[k + 1], b[k], b[k + 1]) > 0 || cmp(b[k + 2], b[k + 3], a[k + 2], a[k + 3]) > 0) return false;
        }
        return true;
    }

    private static int cmp(long hi1, long lo1, long hi2, long lo2) {
        int c = Long.compareUnsigned(hi1, hi2);
        return c != 0 ? c : Long.compareUnsigned(lo1, lo2);
    }

    private void hulls(Family f) {
        hulls = new long[n][];
        for (int j = 0; j < n; j++) {
            io.portcullis.ir.RuleMatch m = policy.rules().get(j).match();
            List<long[]> d = Atoms.runs(m.dst(), f), sr = Atoms.runs(m.src(), f);
            if (d.isEmpty() || sr.isEmpty()) continue;
            long[] d0 = d.get(0), d1 = d.get(d.size() - 1), s0 = sr.get(0), s1 = sr.get(sr.size() - 1);
            hulls[j] = new long[] {d0[0], d0[1], d1[2], d1[3], s0[0], s0[1], s1[2], s1[3]};
        }
    }

    /**
     * The part of {@code s} (within rule i's match) that no earlier rule with a leaf matches (earlier rules found by
     * address, among those activated in the index so far).
     */
    private int decided(int i, int s) {
        int[] near = index.overlapping(i);
        // Most rules that decide nothing are covered by one earlier rule: first a subset test with each earlier rule
        // whose address hulls contain rule i's (necessary for a cover, so no rule that covers is skipped; the loop after
        // is exact in any case).
        for (int j : near) {
            if (j >= i) break;
            if (hullsContain(j, i) && bdd.subset(s, match(j))) return Bdd.FALSE;
        }
        for (int j : near) {
            if (j >= i || s == Bdd.FALSE) break;
            int m = match(j);
            if (bdd.intersects(s, m)) s = bdd.diff(s, m);
        }
        return s;
    }

    /**
     * The distinct parents of each node ({@code [x][0]}) and, for each, the position of x among that parent's distinct
     * children ({@code [x][1]}).
     */
    private static int[][][] parents(List<VNode> all) {
        int[] count = new int[all.size()];
        for (VNode x : all) if (!x.leaf()) for (int k : x.dkids) count[k]++;
        int[][][] out = new int[all.size()][2][];
        for (int i = 0; i < out.length; i++) {
            out[i][0] = new int[count[i]];
            out[i][1] = new int[count[i]];
        }
        int[] fill = new int[all.size()];
        for (VNode x : all) {
            if (x.leaf()) continue;
            for (int j = 0; j < x.dkids.length; j++) {
                int k = x.dkids[j];
                out[k][0][fill[k]] = x.id;
                out[k][1][fill[k]++] = j;
            }
        }
        return out;
    }

    /** The packets that go from {@code p} to its child at position {@code slot} of its distinct children. */
    private int edgeAt(Family f, VNode p, int slot) {
        int s = p.edgeSets[slot];
        if (s >= 0 && bdd.stillValid(s, p.edgeEpochs[slot])) return s;
        s = Bdd.FALSE;
        for (int k : p.slotKs[slot]) s = bdd.or(s, keyset(f, p, k));
        p.edgeSets[slot] = s;
        p.edgeEpochs[slot] = bdd.epoch();
        return s;
    }

    /** {@code leaf} and the nodes it is reachable from, children before parents. */
    private static List<VNode> ancestors(VNode leaf, List<VNode> all, int[][][] parents) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        java.util.ArrayDeque<Integer> st = new java.util.ArrayDeque<>();
        st.push(leaf.id);
        seen.add(leaf.id);
        List<VNode> out = new ArrayList<>();
        while (!st.isEmpty()) {
            int y = st.pop();
            out.add(all.get(y));
            for (int p : parents[y][0]) if (seen.add(p)) st.push(p);
        }
        out.sort((a, b) -> Integer.compare(dimOf(b), dimOf(a)));
        return out;
    }

    /** Looks for a packet of a failing set on which the verdicts differ. */
    private Finding explain(Family f, boolean a, int rule, int set) {
        int s = set;
        Packet first = null;
        for (int tries = 0; tries < 8 && s != Bdd.FALSE; tries++) {
            Packet p = space.witness(s);
            if (p == null) break;
            if (first == null) first = p;
            Evaluator.Decision want = Evaluator.evaluate(policy, p);
            long best = tableRule(f, p);
            if (tables.allows(best) != (want.action() == Action.ALLOW)) {
                return new Finding(true, "the tables send it to " + ruleName(best) + " where the policy decides by "
                        + ruleName(want.ruleIndex() < 0 ? n : want.ruleIndex()), p);
            }
            s = bdd.diff(s, space.packet(p));
        }
        String what = a ? "the tables send packets to rule '" + policy.rules().get(rule).displayName()
                + "' that it does not match" : "the tables do not send every packet that rule '"
                + policy.rules().get(rule).displayName() + "' matches to that rule or an earlier one";
        return new Finding(false, what + " (e.g. " + first + "); the verdicts agree on the packets tried, but the tables "
                + "are not the policy's first-match function, so nothing is proven", first);
    }

    private String ruleName(long r) {
        return r >= n ? "the default" : "rule '" + policy.rules().get((int) r).displayName() + "'";
    }

    /** The rule index the tables give a concrete packet: the smallest over the groups (the rule count for none). */
    long tableRule(Family f, Packet p) {
        long best = n;
        int[] roots = rootIds.get(f);
        List<VNode> all = graphs.get(f);
        for (int r : roots) {
            VNode x = all.get(r);
            while (!x.leaf()) x = all.get(x.kids[x.node.interval(Tables.key(x.node.dim, p))]);
            best = Math.min(best, x.rule);
        }
        return best;
    }

    /** Nodes read for a family (for the statistics). */
    int nodes(Family f) { return graphs.containsKey(f) ? graphs.get(f).size() : 0; }
}
