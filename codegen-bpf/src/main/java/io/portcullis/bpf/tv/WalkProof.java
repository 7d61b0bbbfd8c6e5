package io.portcullis.bpf.tv;

import io.portcullis.bpf.tv.Executor.State;
import io.portcullis.bpf.tv.Executor.Val;
import io.portcullis.ir.Family;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Part (b) of a table program's proof: the program's bytecode walks the decision tables as {@link Tables} reads them.
 * Proven per walk (one per address family), from the state the whole-program run hands over at the walk's first table
 * block (the parser and the keys already executed symbolically, {@link Executor}), by running the
 * rest of the bytecode in <em>segments</em> between blocks that every path passes (post-dominators). A segment starts
 * from a state whose walk values are generalised: the reference the walk holds is one concrete node (one run per
 * node) or a symbolic reference {@code R} (one run for every reference that the segment must leave alone), and the best
 * rule so far is a symbolic {@code B}; every other value is a function of the header fields, the same on every run, or
 * is poisoned (a leftover the program must not compute with). What each segment must do is checked exactly:
 *
 * <ul>
 * <li>a step: for every node {@code v} of the smallest key still to be tested, the reference afterwards is the child of
 * {@code v} for the packet's key ({@link KeySets}) on every packet; every other reference comes out unchanged;</li>
 * <li>a group end (only leaves left): the best afterwards is {@code (R is a leaf and rule(R) < B) ? rule(R) : B}, with
 * the rule count for {@code B} in the first group;</li>
 * <li>a group start: the reference afterwards is the child of the one node whose header it read (the root), for the
 * packet's key;</li>
 * <li>a group whose root is a leaf (it reads no node: a rule that matches every packet of the family left to it): the
 * best afterwards is {@code (k < B) ? k : B} for the leaf's rule k, found by candidates (the code's leaf constants,
 * then the others) and each checked exactly on the program's values, so a wrong guess is a refusal, never a proof;</li>
 * <li>the end: every exit returns the target's code for {@code verdicts[B]}.</li>
 * </ul>
 *
 * Composed, the program returns {@code verdicts[min over groups of rule(walk(root))]} for every packet that reaches the
 * walk, where {@code walk} follows the tables from the roots found here; part (a) ({@link TableSemantics}) compares that
 * with the policy. Anything outside this shape is refused ({@link TvException}), never passed.
 */
final class WalkProof {
    /** What the walk of one family computes: the roots of its groups, in the order the program runs them. */
    record Walk(Family family, List<Long> roots, int segments, int nodeRuns) {}

    private static final int RUN_SCRATCH = 2_000_000;
    private static final java.lang.management.ThreadMXBean MX = java.lang.management.ManagementFactory.getThreadMXBean();

    static long cpu() { return MX.getCurrentThreadCpuTime(); }
    private final Program prog;
    private final FrameSpace fs;
    private final Executor ex;
    private final Bits bits;
    private final Bdd bdd;
    private final Tables tables;
    private final long allowCode, denyCode;
    private final List<long[]> exits = new ArrayList<>(); // {insn, value, set}
    private int segments, nodeRuns;
    /** The roots found so far, in the order the program runs their groups. */
    private final List<Long> roots = new ArrayList<>();
    /** The rule indices of leaf references that the code holds as immediates (hints only: see {@link #firstBests}). */
    private final long[] leafHints;

    WalkProof(Program prog, FrameSpace fs, Executor ex, Tables tables, long allowCode, long denyCode) {
        this.prog = prog;
        this.fs = fs;
        this.ex = ex;
        this.bits = fs.bits;
        this.bdd = fs.bdd;
        this.tables = tables;
        this.allowCode = allowCode;
        this.denyCode = denyCode;
        ex.listener(new Executor.Listener() {
            @Override public void exit(int insn, long value, int set) { exits.add(new long[] {insn, value, set}); }

            @Override public void outOfBounds(int insn, int set, String what) {
                exits.add(new long[] {insn, -1, set});
            }
        });
        ex.handOff(null, null);
        ex.tables(tables);
        TreeSet<Long> hints = new TreeSet<>();
        for (io.portcullis.bpf.asm.Insn i : prog.insns) {
            long v = i.imm(), lo = v & 0xffffffffL;
            if ((v >>> 32 == 0 || v >> 32 == -1) && Tables.isLeaf(lo) && (lo & Tables.RULE_MASK) < tables.rules) {
                hints.add(lo & Tables.RULE_MASK);
            }
        }
        leafHints = hints.stream().mapToLong(Long::longValue).toArray();
    }

    /** A state with its walk slots: which registers and spill slots hold the reference and the best rule. */
    private static final class Template {
        final int block;
        final State s;
        int refRegs, bestRegs;
        long refSpills, bestSpills;
        boolean hasRef, hasBest;

        Template(int block, State s) {
            this.block = block;
            this.s = s;
        }

        /** A fresh run state with {@code ref} in the reference slots. */
        State with(Val ref, int set) {
            State st = s.copyOwned(set);
            st.childLoaded = false;
            st.nodeLoads = 0;
            st.node = -1;
            st.key = null;
            st.keyWidth = 0;
            st.keyLo = 0;
            st.keyHi = -1L;
            Arrays.fill(st.dirty, 0);
            if (ref != null) {
                for (int r = 0; r <= 10; r++) if ((refRegs & (1 << r)) != 0) st.r[r] = ref;
                for (int i = 0; i < 64; i++) {
                    if ((refSpills & (1L << i)) == 0) continue;
                    st.spill[i] = ref;
                    for (int j = 0; j < 8; j++) st.stack[8 * i + j] = new Executor.ByteOf(ref, j);
                }
            }
            return st;
        }
    }

    /** A node's step takes another child than the tables give for key values {@code lo..hi}. */
    static final class StepMismatch extends TvException {
        final int dim;
        final long lo, hi;

        StepMismatch(String message, int insn, int dim, long lo, long hi) {
            super(message, insn);
            this.dim = dim;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** Thrown when the walk does not match the tables; carries a set of real inputs where the first step differs. */
    static final class FirstStepMismatch extends Exception {
        final int bad;

        FirstStepMismatch(String message, int bad) {
            super(message, null, false, false);
            this.bad = bad;
        }
    }

    /**
     * Proves the walk that the whole-program run handed over at {@code block} in state {@code s0} (its reference just
     * loaded from the first node's children).
     */
    Walk prove(int block, State s0) throws TvException, FirstStepMismatch {
        Family family;
        int v6 = bdd.ithVar(PacketSpace.FAMILY);
        if (!bdd.intersects(s0.set, v6)) family = Family.IPV4;
        else if (!bdd.intersects(s0.set, bdd.not(v6))) family = Family.IPV6;
        else throw new TvException("a table walk is reached by packets of both address families", prog.blockStart[block]);
        KeySets keys = new KeySets(fs.space, family);
        State st = s0.copyOwned(s0.set);
        fieldsOnly(st, block);
        roots.clear();
        // Live registers only: a dead one may hold anything (a packet pointer, say) and is never read before written.
        for (int r = 0; r <= 10; r++) if ((prog.liveIn[block] & (1 << r)) == 0) st.r[r] = null;
        Template t = new Template(block, st);
        long[] domain = new long[0];
        while (true) {
            segments++;
            exits.clear();
            if (t.hasRef) {
                List<Tables.Node> nodes = new ArrayList<>();
                boolean leaves = true;
                for (long v : domain) {
                    if (Tables.isLeaf(v)) continue;
                    leaves = false;
                    nodes.add(node(family, v, t.block));
                }
                if (leaves) {
                    Template next = groupEnd(t, family);
                    if (next == null) {
                        return new Walk(family, List.copyOf(roots), segments, nodeRuns);
                    }
                    t = next;
                } else {
                    Object[] r = step(t, family, keys, nodes, domain);
                    t = (Template) r[0];
                    domain = (long[]) r[1];
                }
            } else {
                // A group whose root is a leaf (after a group of nodes): it only lowers the best rule.
                Template lt = t.hasBest ? leafGroup(t) : null;
                if (lt != null) {
                    t = lt;
                    continue;
                }
                Object[] r = groupStart(t, family, keys);
                if (r == null) {
                    return new Walk(family, List.copyOf(roots), segments, nodeRuns);
                }
                t = (Template) r[0];
                roots.add((Long) r[1]);
                domain = (long[]) r[2];
            }
        }
    }

    private Tables.Node node(Family family, long ref, int block) throws TvException {
        Tables.Node n = tables.node(family, ref);
        if (n == null) {
            throw new TvException("the table walk reaches reference 0x" + Long.toHexString(ref) + ", which names no "
                    + family + " node of the tables", prog.blockStart[block]);
        }
        String d = n.defect();
        if (d != null) throw new TvException("the table walk reaches " + n + ", which is not well formed: " + d, prog.blockStart[block]);
        return n;
    }

    // ---- one segment of each kind ---------------------------------------------------------------------------------

    /** Steps every node of the smallest key in {@code domain}; returns the next template and domain. */
    private Object[] step(Template t, Family family, KeySets keys, List<Tables.Node> nodes, long[] domain)
            throws TvException {
        int d = Integer.MAX_VALUE;
        for (Tables.Node n : nodes) d = Math.min(d, n.dim);
        List<Tables.Node> stepped = new ArrayList<>();
        TreeSet<Long> identity = new TreeSet<>();
        Set<Integer> identityDims = new TreeSet<>();
        for (long v : domain) {
            Tables.Node n = Tables.isLeaf(v) ? null : tables.node(family, v);
            if (n != null && n.dim == d) stepped.add(n);
            else {
                identity.add(v);
                identityDims.add(Tables.dim(v));
            }
        }
        Set<Integer> chain = prog.postDominatorChain(t.block);
        int at = prog.blockStart[t.block];
        TreeSet<Long> next = new TreeSet<>(identity);
        specKeyChecked.clear();

        // The first node's run fixes where the step ends and which values carry over. A node's run does not merge
        // its states: each follows one path of the search, on which every value but the key is a constant.
        Executor.StopAll stepped0 = (b, ss) -> chain.contains(b) && ss.stream().allMatch(x -> x.childLoaded);
        Tables.Node first = stepped.get(0);
        Val in0 = konstRef(first.ref);
        Executor.Segment ref = ex.runPaths(t.block, t.with(in0, t.s.set), stepped0, true);
        checkRun(ref, "the table walk's step from " + first, at);
        int stop = ref.block();
        State r0 = ref.states().get(0);
        if (!byIntervals(family, first, ref.states(), in0, stop, t.s.set, at, next)) {
            ref = ex.runPaths(t.block, t.with(in0, t.s.set), stepped0);
            checkRun(ref, "the table walk's step from " + first, at);
            r0 = ref.states().get(0);
            Val rho0 = paths(ref.states(), in0, stop, t.s.set, first, at);
            checkStep(keys, first, rho0, t.s.set, at);
            for (long v : values(rho0, t.s.set)) next.add(v);
        }
        nodeRuns++;
        Classes cls = new Classes(r0, in0, null, stop);
        for (State ps : ref.states()) cls.compare(ps, in0, null);

        if (!identity.isEmpty()) {
            Val rv = walkRef();
            int dom = Bdd.FALSE;
            for (int dim : identityDims) dom = bdd.or(dom, dimIs(dim));
            Executor.Segment id = ex.runFrom(t.block, t.with(rv, bdd.and(t.s.set, dom)), (b, s) -> b == stop);
            checkRun(id, "the table walk past the references it does not step", at);
            if (id.state().childLoaded) {
                throw new TvException("the table walk steps a reference of another key than " + Tables.DIM_NAMES[d]
                        + " in the same step", at);
            }
            cls.compare(id.state(), rv, rv);
        }
        int mark = bdd.mark();
        for (int k = 1; k < stepped.size(); k++) {
            Tables.Node n = stepped.get(k);
            Val in = konstRef(n.ref);
            Executor.Segment seg = ex.runPaths(t.block, t.with(in, t.s.set), stepped0, true);
            checkRun(seg, "the table walk's step from " + n, at);
            if (seg.block() != stop) {
                throw new TvException("the table walk's step from " + n + " ends at another block than the step from "
                        + first, at);
            }
            if (!byIntervals(family, n, seg.states(), in, stop, t.s.set, at, next)) {
                seg = ex.runPaths(t.block, t.with(in, t.s.set), stepped0);
                checkRun(seg, "the table walk's step from " + n, at);
                Val rho = paths(seg.states(), in, stop, t.s.set, n, at);
                checkStep(keys, n, rho, t.s.set, at);
                for (long v : values(rho, t.s.set)) next.add(v);
            }
            for (State ps : seg.states()) cls.compare(ps, in, null);
            nodeRuns++;
            // The runs' scratch is dropped from time to time, not after each run: key sets and compares repeat.
            if (bdd.nodeCount() - mark > RUN_SCRATCH) bdd.release(mark);
        }
        Template nt = cls.template(t, true);
        if (nt.refRegs == -1) throw new TvException("the runs of one table walk step keep their references in different places", at);
        long[] dom = new long[next.size()];
        int i = 0;
        for (long v : next) dom[i++] = v;
        return new Object[] {nt, dom};
    }

    /**
     * The end of a group: every reference is a leaf; the best rule is updated. Null when the program exits instead.
     * In the first group the best rule before it is a constant of the whole-program run: the rule count, or the rule of
     * groups whose root is a leaf and that ran before the hand-over (they read no table). Each candidate of
     * {@link #firstBests} gives a specification; the program's new best must be one of them on every input (as
     * functions of R they all differ, so at most one can hold), and that candidate's leaf becomes a root.
     */
    private Template groupEnd(Template t, Family family) throws TvException {
        int at = prog.blockStart[t.block];
        Val rv = walkRef();
        long[] firsts = t.hasBest ? null : firstBests(t.s, t.block);
        int[] rule = bits.and(rv.bits(), bits.konst(Tables.RULE_MASK));
        int isLeaf = bits.eq(bits.lshr(rv.bits(), Tables.DIM_SHIFT), bits.konst(Tables.LEAF));
        int[][] specs = new int[t.hasBest ? 1 : firsts.length][];
        for (int j = 0; j < specs.length; j++) {
            int[] prev = t.hasBest ? fs.walkBest : bits.konst(firsts[j]);
            specs[j] = bits.ite(bdd.and(isLeaf, bits.ult(rule, prev)), rule, prev);
        }
        int set = bdd.and(t.s.set, dimIs(Tables.LEAF));
        Set<Integer> chain = prog.postDominatorChain(t.block);
        Val[] best = new Val[1];
        int[] chosen = {-1};
        Val old = t.hasBest ? bestOf(t) : null;
        Executor.Segment seg = ex.runFrom(t.block, t.with(rv, set), (b, s) -> {
            if (!chain.contains(b) || s.childLoaded) return false;
            Val found = null;
            int which = -1;
            for (Val v : live(s, b)) {
                // Copies of R and of the old best (a stale spill, say) are not the new best.
                if (v == rv || v == old || v.kind() == Executor.POISON || !mentionsWalk(v)) continue;
                if (v.kind() != Executor.SCALAR) return false;
                if (which < 0) {
                    for (int j = 0; j < specs.length && which < 0; j++) if (sameWithin(v.bits(), specs[j], s.set)) which = j;
                    if (which < 0) return false;
                } else if (!sameWithin(v.bits(), specs[which], s.set)) {
                    return false;
                }
                found = v;
            }
            best[0] = found;
            chosen[0] = which;
            return found != null;
        });
        if (seg == null) {
            int j = checkExitsAny(specs, firsts, t, "the end of the last group");
            if (!t.hasBest) firstLeaf(firsts[j]);
            return null;
        }
        if (!exits.isEmpty()) throw new TvException("the table walk exits before its last group ends", at);
        if (!t.hasBest) firstLeaf(firsts[chosen[0]]);
        return rebest(t, seg, best[0], specs[chosen[0]], set, at);
    }

    /**
     * The template after a segment that updated the best rule: the values equal to {@code spec} (on {@code set}) become
     * B again; everything else that depends on the walk's variables is a leftover.
     */
    private Template rebest(Template t, Executor.Segment seg, Val found, int[] spec, int set, int at) throws TvException {
        State s = seg.state().copyOwned(bdd.and(t.s.set, bestDomain()));
        Template nt = new Template(seg.block(), s);
        Val bv = walkBest();
        int live = prog.liveIn[seg.block()];
        for (int r = 0; r <= 10; r++) {
            Val v = s.r[r];
            if ((live & (1 << r)) == 0) s.r[r] = null;
            else if (v != null && mentionsWalk(v)) {
                if (v == found || v.kind() == Executor.SCALAR && sameWithin(v.bits(), spec, set)) {
                    s.r[r] = bv;
                    nt.bestRegs |= 1 << r;
                } else {
                    s.r[r] = Val.poison();
                }
            }
        }
        for (int i = 0; i < 64; i++) {
            Val v = s.spill[i];
            if (v == null || !mentionsWalk(v)) continue;
            boolean isBest = v == found || v.kind() == Executor.SCALAR && sameWithin(v.bits(), spec, set);
            s.spill[i] = isBest ? bv : Val.poison();
            for (int j = 0; j < 8; j++) s.stack[8 * i + j] = isBest ? new Executor.ByteOf(bv, j) : Executor.POISON_BYTE;
            if (isBest) nt.bestSpills |= 1L << i;
        }
        poisonWalkBytes(s);
        nt.hasBest = true;
        nt.hasRef = false;
        if (nt.bestRegs == 0 && nt.bestSpills == 0) throw new TvException("the best rule of the table walk is not kept", at);
        return nt;
    }

    /** Stops a run that reaches a table node: the group it is in has a node for a root. */
    private static final class NotLeafGroup extends TvException {
        NotLeafGroup() { super("a group of the table walk reads a table node", -1); }
    }

    /**
     * A group whose root is a leaf, after a group of nodes (rules that constrain no address are a group of their own;
     * when the first of them matches every packet, that group is one leaf). Such a group reads no table: it lowers the
     * best rule to its leaf's rule k. Proven like a group end: at a block every path passes, before any table node is
     * read and with no exit, every live value that depends on the walk's variables is {@code (k < B) ? k : B} on every
     * input, where k is what that value is when B is the rule count. Null when the program does anything else first
     * (reads the next group's root, or exits): the caller then proves a group start or the verdict lookup.
     */
    private Template leafGroup(Template t) throws TvException {
        int at = prog.blockStart[t.block];
        int n = tables.rules;
        Set<Integer> chain = prog.postDominatorChain(t.block);
        Val old = bestOf(t);
        int atN = bits.eq(fs.walkBest, bits.konst(n));
        int[][] spec = new int[1][];
        Val[] best = new Val[1];
        long[] leaf = {-1};
        boolean[] every = new boolean[prog.blockStart.length];
        Arrays.fill(every, true);
        exits.clear();
        ex.handOff(every, (b, s) -> {
            if (s.childLoaded || s.nodeLoads > 0) throw new NotLeafGroup();
            return false;
        });
        // Nor does a group whose root is a leaf read the verdict table: code that does is the final lookup, which
        // groupStart proves (by intervals of the best rule, where this run would split on each of its values).
        ex.stopAt(tables.verdictSection, new NotLeafGroup());
        Executor.Segment seg;
        try {
            seg = ex.runFrom(t.block, t.with(null, t.s.set), (b, s) -> {
                if (s.childLoaded || s.nodeLoads > 0) throw new NotLeafGroup();
                if (!chain.contains(b)) return false;
                Val found = null;
                int[] sp = null;
                for (Val v : live(s, b)) {
                    if (v == old || v.kind() == Executor.POISON || !mentionsWalk(v)) continue;
                    if (v.kind() != Executor.SCALAR) return false;
                    if (sp == null) {
                        List<Bits.Case> cs = bits.values(v.bits(), bdd.and(s.set, atN), 1);
                        if (cs.size() != 1 || Long.compareUnsigned(cs.get(0).value(), n) >= 0) return false;
                        long k = cs.get(0).value();
                        int[] kk = bits.konst(k);
                        sp = bits.ite(bits.ult(kk, fs.walkBest), kk, fs.walkBest);
                        leaf[0] = (long) Tables.LEAF << Tables.DIM_SHIFT | k;
                    }
                    if (!sameWithin(v.bits(), sp, s.set)) return false;
                    found = v;
                }
                best[0] = found;
                spec[0] = sp;
                return found != null;
            });
        } catch (NotLeafGroup e) {
            seg = null;
        } finally {
            ex.handOff(null, null);
            ex.stopAt(null, null);
        }
        if (seg == null) {
            exits.clear();
            return null;
        }
        if (!exits.isEmpty()) throw new TvException("the table walk exits in a group whose root is a leaf", at);
        roots.add(leaf[0]);
        return rebest(t, seg, best[0], spec[0], t.s.set, at);
    }

    /**
     * The candidates for the best rule before the first group, a constant of the whole-program run: first the live
     * constants below the rule count that the code also holds as a leaf reference (the best of groups whose root is a
     * leaf, computed before the hand-over), then the rule count ("no rule"), then the code's other leaf rules and the
     * other live constants. Guesses only: every use checks the program against the candidate it takes.
     */
    private long[] firstBests(State s, int block) {
        int n = tables.rules;
        java.util.LinkedHashSet<Long> live = new java.util.LinkedHashSet<>();
        for (Val v : live(s, block)) {
            Long c = constantOf(v, s.set);
            if (c != null && c >= 0 && c < n) live.add(c);
        }
        java.util.LinkedHashSet<Long> out = new java.util.LinkedHashSet<>();
        for (long c : live) if (Arrays.binarySearch(leafHints, c) >= 0) out.add(c);
        out.add((long) n);
        for (long c : leafHints) out.add(c);
        out.addAll(live);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** The value of a scalar that is one constant on {@code set}, or null. */
    private Long constantOf(Val v, int set) {
        if (v.kind() != Executor.SCALAR) return null;
        Long c = v.constant();
        if (c != null || v.hasCases()) return c;
        List<Bits.Case> cs = bits.values(v.bits(), set, 1);
        return cs.size() == 1 ? cs.get(0).value() : null;
    }

    /** Records the first best the proof took, when it is a rule: a root that is that rule's leaf. */
    private void firstLeaf(long c) {
        if (c < tables.rules) roots.add(0, (long) Tables.LEAF << Tables.DIM_SHIFT | c);
    }

    /** {@link #checkExits} for the first of {@code bests} that holds; its index. Refuses with the rule count's reason. */
    private int checkExitsAny(int[][] bests, long[] firsts, Template t, String where) throws TvException {
        TvException refusal = null;
        for (int j = 0; j < bests.length; j++) {
            try {
                checkExits(bests[j], t, where);
                return j;
            } catch (TvException e) {
                if (refusal == null || firsts != null && firsts[j] == tables.rules) refusal = e;
            }
        }
        throw refusal;
    }

    /** A group start: the root's step. Null when the program exits (the verdict lookup after the last group). */
    private Object[] groupStart(Template t, Family family, KeySets keys) throws TvException, FirstStepMismatch {
        int at = prog.blockStart[t.block];
        Set<Integer> chain = prog.postDominatorChain(t.block);
        Executor.StopAll loaded = (b, ss) -> chain.contains(b) && ss.stream().allMatch(x -> x.childLoaded);
        Executor.Segment seg = ex.runPaths(t.block, t.with(null, t.s.set), loaded, true);
        if (seg == null) {
            // No further group: the verdict lookup. By intervals of B when the paths split that way, else again with
            // merged states for exact exit sets.
            if (t.hasBest && exitsByIntervals(t)) return null;
            exits.clear();
            ex.runFrom(t.block, t.with(null, t.s.set), (b, s) -> false);
            if (t.hasBest) {
                checkExits(fs.walkBest, t, "the verdict lookup");
                return null;
            }
            // Without a group of nodes the best is a constant: "no rule" (the family's tables have no leaf), or the
            // rule of groups whose root is a leaf, which ran before the hand-over (firstBests).
            long[] firsts = firstBests(t.s, t.block);
            int[][] bests = new int[firsts.length][];
            for (int j = 0; j < firsts.length; j++) bests[j] = bits.konst(firsts[j]);
            firstLeaf(firsts[checkExitsAny(bests, firsts, t, "the verdict lookup")]);
            return null;
        }
        if (!exits.isEmpty()) throw new TvException("the table walk exits in the middle of a group", at);
        long root = -1;
        for (State ps : seg.states()) {
            if (ps.nodeLoads != 1 || ps.node < 0 || root >= 0 && ps.node != root) {
                throw new TvException("a group of the table walk does not start at one node", at);
            }
            root = ps.node;
        }
        Tables.Node rootNode = node(family, root, seg.block());
        TreeSet<Long> next = new TreeSet<>();
        specKeyChecked.clear();
        // Every packet of the walk takes a group's first step, so a step that differs from the tables on some keys
        // differs on real frames: those are handed back for a witness.
        int real = bdd.and(t.s.set, t.s.real);
        boolean done;
        try {
            done = byIntervals(family, rootNode, seg.states(), null, seg.block(), t.s.set, at, next);
        } catch (StepMismatch e) {
            throw new FirstStepMismatch(e.getMessage(), bdd.and(real, keys.set(e.dim, e.lo, e.hi, 0)));
        }
        if (!done) {
            exits.clear();
            seg = ex.runPaths(t.block, t.with(null, t.s.set), loaded, false);
            checkRun(seg, "the table walk's step from " + rootNode, at);
            Val rho = paths(seg.states(), null, seg.block(), t.s.set, rootNode, at);
            int bad = stepMismatch(keys, rootNode, rho, t.s.set);
            if (bad != Bdd.FALSE) {
                throw new FirstStepMismatch("the table walk's first step from " + rootNode + " does not take the child "
                        + "the tables give for the packet's " + Tables.DIM_NAMES[rootNode.dim], bdd.and(bad, real));
            }
            for (long v : values(rho, t.s.set)) next.add(v);
        }
        Classes cls = new Classes(seg.states().get(0), null, null, seg.block());
        for (State ps : seg.states()) cls.compare(ps, null, null);
        Template nt = cls.template(t, true);
        if (nt.refRegs == -1) throw new TvException("the table walk's first step keeps its references in different places", at);
        // The best rule passes unchanged; any other value that depends on B is a leftover.
        State ns = nt.s;
        Val bv = t.hasBest ? bestOf(t) : null;
        for (int r = 0; r <= 10; r++) {
            Val v = ns.r[r];
            if (v != null && v != bv && (nt.refRegs & (1 << r)) == 0 && mentionsWalk(v)) ns.r[r] = Val.poison();
        }
        for (int i = 0; i < 64; i++) {
            Val v = ns.spill[i];
            if (v == null || v == bv || (nt.refSpills & (1L << i)) != 0 || !mentionsWalk(v)) continue;
            ns.spill[i] = Val.poison();
            for (int j = 0; j < 8; j++) ns.stack[8 * i + j] = Executor.POISON_BYTE;
        }
        poisonWalkBytes(ns);
        long[] dom = new long[next.size()];
        int i = 0;
        for (long v : next) dom[i++] = v;
        return new Object[] {nt, root, dom};
    }

    private Val bestOf(Template t) {
        for (int r = 0; r <= 10; r++) if ((t.bestRegs & (1 << r)) != 0) return t.s.r[r];
        for (int i = 0; i < 64; i++) if ((t.bestSpills & (1L << i)) != 0) return t.s.spill[i];
        return null;
    }

    // ---- checks ---------------------------------------------------------------------------------------------------

    private void checkRun(Executor.Segment seg, String what, int at) throws TvException {
        if (seg == null) throw new TvException(what + " does not come back together (it exits or ends apart)", at);
        if (!exits.isEmpty()) throw new TvException(what + " exits", at);
    }

    /** Refuses unless {@code rho} is, on every input of {@code set}, the child of {@code n} for the packet's key. */
    private void checkStep(KeySets keys, Tables.Node n, Val rho, int set, int at) throws TvException {
        if (stepMismatch(keys, n, rho, set) != Bdd.FALSE) {
            throw new TvException("the table walk's step from " + n + " does not take the child the tables give for "
                    + "the packet's " + Tables.DIM_NAMES[n.dim], at);
        }
    }

    /** The inputs of {@code set} on which {@code rho} is not the child of {@code n} for the packet's key. */
    private int stepMismatch(KeySets keys, Tables.Node n, Val rho, int set) {
        java.util.Map<Long, Integer> spec = new java.util.HashMap<>();
        for (int i = 0; i < n.starts.length; i++) {
            int g = keys.cached(n.dim, n.starts[i], n.end(i), 0);
            spec.merge(n.kids[i], g, bdd::or);
        }
        long[] vs;
        int[] gs;
        if (rho.hasCases()) {
            vs = rho.values();
            gs = rho.guards();
        } else {
            List<Bits.Case> cs = bits.values(rho.bits(), set, 1 << 20);
            vs = new long[cs.size()];
            gs = new int[cs.size()];
            for (int k = 0; k < vs.length; k++) {
                vs[k] = cs.get(k).value();
                gs[k] = cs.get(k).set();
            }
        }
        int bad = Bdd.FALSE;
        for (int k = 0; k < vs.length; k++) {
            Integer want = spec.remove(vs[k] & 0xffffffffL);
            int w = want == null ? Bdd.FALSE : bdd.and(want, set);
            int g = bdd.and(gs[k], set);
            if (g != w) bad = bdd.or(bad, bdd.or(bdd.diff(g, w), bdd.diff(w, g)));
        }
        for (int w : spec.values()) bad = bdd.or(bad, bdd.and(w, set));
        return bad;
    }

    /**
     * The verdict lookup checked on the paths of a run with intervals: each path's interval of B (the best rule) must
     * only hold rule indices whose verdict byte gives the value the path returns. False when the paths did not split
     * on B alone.
     */
    private boolean exitsByIntervals(Template t) throws TvException {
        if (ex.pathExits.isEmpty() || !exits.isEmpty()) return false;
        Val bv = bestOf(t);
        int n = tables.rules;
        if (tables.verdicts.length <= n) {
            throw new TvException("the verdict table has " + tables.verdicts.length + " bytes for " + n + " rules", -1);
        }
        for (State e : ex.pathExits) {
            if (e.set != t.s.set) return false;
            if (e.key != null && (e.keyWidth != 64 || e.key != bv && !Arrays.equals(e.key.bits(), bv.bits()))) return false;
        }
        for (State e : ex.pathExits) {
            long lo = e.key == null ? 0 : e.keyLo, hi = e.key == null ? -1L : e.keyHi;
            if (Long.compareUnsigned(lo, n) > 0) continue; // B never exceeds the rule count
            if (Long.compareUnsigned(hi, n) > 0) hi = n;
            long value = e.r[0].constant() & 0xffffffffL;
            for (long b = lo; b <= hi; b++) {
                long want = tables.allows(b) ? allowCode : denyCode;
                if (value != want) {
                    throw new TvException("the verdict lookup returns " + value + " for rule index " + b + ", where the "
                            + "verdict table gives " + want, (int) e.node);
                }
            }
        }
        return true;
    }

    /** Every exit of a final segment returns the target's code for {@code verdicts[best]}. */
    private void checkExits(int[] best, Template t, String where) throws TvException {
        int allow = Bdd.FALSE;
        byte[] v = tables.verdicts;
        int n = tables.rules;
        if (v.length <= n) throw new TvException("the verdict table has " + v.length + " bytes for " + n + " rules", -1);
        for (int i = 0; i <= n; ) {
            if (v[i] == 0) { i++; continue; }
            int j = i;
            while (j < n && v[j + 1] != 0) j++;
            allow = bdd.or(allow, bdd.diff(bdd.not(bits.ult(best, bits.konst(i))), bits.ult(bits.konst(j), best)));
            i = j + 1;
        }
        // B never exceeds the rule count (it starts there and only takes smaller rule indices): exits are checked there.
        int inRange = bdd.not(bits.ult(bits.konst(n), best));
        for (long[] e : exits) {
            int set = bdd.and((int) e[2], inRange);
            if (e[1] < 0) throw new TvException("the program reads packet bytes after the table walk", (int) e[0]);
            int want = e[1] == allowCode ? bdd.and(allow, inRange) : e[1] == denyCode ? bdd.diff(inRange, allow) : Bdd.FALSE;
            if (bdd.diff(set, want) != Bdd.FALSE) {
                throw new TvException("at " + where + " the program returns " + e[1] + " where the verdict table says "
                        + (e[1] == allowCode ? "deny" : "allow") + " for some rule index", (int) e[0]);
            }
        }
        if (exits.isEmpty()) throw new TvException("the table walk does not reach an exit", prog.blockStart[t.block]);
    }

    /**
     * Rewrites the values of a handed-over state as functions of the header fields wherever they are one on the state's
     * exact inputs: the parser leaves values that name the frame layout (a byte read where layouts differ, kept only on
     * the frames that reach the walk), and a search compare on such a value would drag the layouts into every step.
     * A bit is replaced by the field projection of its conjunction with the exact input set only when that is equal to
     * it on those inputs; otherwise it is kept as it is (still exact, only slower).
     */
    private void fieldsOnly(State s, int block) {
        if (s.real == Bdd.TRUE) return;
        java.util.Map<Integer, Integer> done = new java.util.HashMap<>();
        int live = prog.liveIn[block];
        for (int r = 0; r <= 10; r++) {
            if ((live & (1 << r)) != 0 && s.r[r] != null) s.r[r] = fieldsOnly(s.r[r], s.real, done);
        }
        for (int i = 0; i < 64; i++) if (s.spill[i] != null) s.spill[i] = fieldsOnly(s.spill[i], s.real, done);
        for (int i = 0; i < s.stack.length; i++) {
            Object o = s.stack[i];
            if (o == null || o == Executor.POISON_BYTE) continue;
            if (o instanceof Executor.ByteOf b && s.spill[i / 8] != null) {
                s.stack[i] = new Executor.ByteOf(s.spill[i / 8], b.j());
                continue;
            }
            int[] bs = ex.resolve(o).clone();
            for (int k = 0; k < bs.length; k++) bs[k] = fieldsOnly(bs[k], s.real, done);
            s.stack[i] = bs;
        }
    }

    private Val fieldsOnly(Val v, int real, java.util.Map<Integer, Integer> done) {
        if (v.kind() != Executor.SCALAR) return v;
        Val out;
        if (v.hasCases()) {
            long[] vs = v.values();
            int[] gs = v.guards().clone();
            for (int k = 0; k < gs.length; k++) gs[k] = fieldsOnly(gs[k], real, done);
            out = Val.cases(bits, vs, gs);
        } else {
            int[] bs = v.bits().clone();
            boolean same = true;
            for (int k = 0; k < bs.length; k++) {
                int b = fieldsOnly(bs[k], real, done);
                same &= b == bs[k];
                bs[k] = b;
            }
            if (same) return v;
            out = Val.scalar(bs);
        }
        out.ref = v.ref;
        return out;
    }

    private int fieldsOnly(int b, int real, java.util.Map<Integer, Integer> done) {
        if (b == Bdd.FALSE || b == Bdd.TRUE) return b;
        Integer known = done.get(b);
        if (known != null) return known;
        int r = b;
        if (ex.projection(b) != b) {
            int exact = bdd.and(b, real);
            int f = ex.projection(exact);
            if (bdd.and(f, real) == exact) r = f;
        }
        done.put(b, r);
        return r;
    }




    // ---- values and slots -----------------------------------------------------------------------------------------

    /**
     * The reference a run carries at {@code block}: the live values marked as references other than the run's input
     * {@code in}, which must all be equal. With {@code t}, records their slots in it.
     */
    private Val refSlots(Template t, State s, Val in, int block) throws TvException {
        Val rho = null;
        int live = prog.liveIn[block];
        for (int r = 0; r <= 10; r++) {
            Val v = s.r[r];
            if ((live & (1 << r)) == 0 || v == null || !v.ref || v == in) continue;
            rho = agree(rho, v, s, block);
            if (t != null) t.refRegs |= 1 << r;
        }
        for (int i = 0; i < 64; i++) {
            Val v = s.spill[i];
            if (v == null || !v.ref || v == in) continue;
            rho = agree(rho, v, s, block);
            if (t != null) t.refSpills |= 1L << i;
        }
        if (rho == null) throw new TvException("the table walk keeps no reference", prog.blockStart[block]);
        return rho;
    }

    private Val agree(Val rho, Val v, State s, int block) throws TvException {
        if (rho == null || rho == v) return v;
        if (!sameWithin(rho.bits(), v.bits(), s.set)) {
            throw new TvException("the table walk holds two different references at once", prog.blockStart[block]);
        }
        return rho;
    }

    /**
     * Checks a node's run whose paths split only by intervals of one key value ({@link Executor#runPaths} with
     * intervals): that value must be the node's key (the same bits as {@link #specKey} on the inputs), and on each
     * path the reference loaded must be the node's child for every key value of the path's interval. Adds the
     * references to {@code next}. False when the run did not split that way (then it is checked on sets instead).
     */
    private boolean byIntervals(Family family, Tables.Node n, List<State> paths, Val in, int block, int set, int at,
                                java.util.Set<Long> next) throws TvException {
        Val key = null;
        int width = 0;
        for (State ps : paths) {
            if (ps.set != set) return false;
            if (ps.key == null) continue;
            if (key == null) {
                key = ps.key;
                width = ps.keyWidth;
            } else if (ps.keyWidth != width || ps.key != key && !Arrays.equals(ps.key.bits(), key.bits())) {
                return false;
            }
        }
        if (key != null && !isSpecKey(family, n.dim, key, width, set)) return false;
        long max = Tables.keyMax(family, n.dim);
        for (State ps : paths) {
            long lo = key == null ? 0 : ps.keyLo, hi = key == null ? -1L : ps.keyHi;
            if (Long.compareUnsigned(lo, max) > 0) continue; // no packet has such a key
            if (Long.compareUnsigned(hi, max) > 0) hi = max;
            Val r = refSlots(null, ps, in, block);
            Long c = r.constant();
            if (c == null) return false;
            long ref = c & 0xffffffffL;
            for (int i = n.interval(lo); ; i++) {
                if (n.kids[i] != ref) {
                    long a = Long.compareUnsigned(n.starts[i], lo) > 0 ? n.starts[i] : lo;
                    long b = Long.compareUnsigned(n.end(i), hi) < 0 ? n.end(i) : hi;
                    throw new StepMismatch("the table walk's step from " + n + " takes child 0x" + Long.toHexString(ref)
                            + " for the key values " + Long.toUnsignedString(a) + ".." + Long.toUnsignedString(b)
                            + ", where the tables give 0x" + Long.toHexString(n.kids[i]), at, n.dim, a, b);
                }
                if (Long.compareUnsigned(n.end(i), hi) >= 0) break;
            }
            next.add(ref);
        }
        return true;
    }

    private final java.util.Map<Val, Boolean> specKeyChecked = new java.util.IdentityHashMap<>();
    private final java.util.Map<String, int[]> specKeys = new java.util.HashMap<>();

    /** Whether {@code v} (compared at {@code width} bits) is key {@code dim} of the packet on every input of {@code set}. */
    private boolean isSpecKey(Family family, int dim, Val v, int width, int set) {
        Boolean known = specKeyChecked.get(v);
        if (known != null) return known;
        int[] spec = specKey(family, dim);
        int[] x = width == 32 ? bits.zext(v.bits(), 32) : v.bits();
        boolean ok = true;
        for (int i = width; i < Bits.W && ok; i++) ok = spec[i] == Bdd.FALSE;
        ok = ok && sameWithin(x, spec, set);
        specKeyChecked.put(v, ok);
        return ok;
    }

    /**
     * Key {@code dim} of the packet as a bit-vector over the frame space's header fields: translation validation's
     * definition ({@link KeySets}, {@link Tables#key}), built from the bit-level field variables.
     */
    int[] specKey(Family family, int dim) {
        String k = family + ":" + dim;
        int[] have = specKeys.get(k);
        if (have != null && bdd.stillValid(maxNode(have), have[Bits.W])) return Arrays.copyOf(have, Bits.W);
        int[] r = bits.konst(0);
        PacketSpace sp = fs.space;
        int v4 = family == Family.IPV4 ? 1 : 0;
        switch (dim) {
            case Tables.DST_HI, Tables.SRC_HI, Tables.DST_LO, Tables.SRC_LO -> {
                boolean low = dim == Tables.DST_LO || dim == Tables.SRC_LO;
                int base = dim <= Tables.DST_LO ? PacketSpace.DST : PacketSpace.SRC;
                if (v4 == 1) {
                    if (!low) for (int i = 0; i < 32; i++) r[i] = bdd.ithVar(base + 31 - i);
                } else {
                    int from = base + (low ? 64 : 0);
                    for (int i = 0; i < 64; i++) r[i] = bdd.ithVar(from + 63 - i);
                }
            }
            case Tables.PROTO -> {
                for (int i = 0; i < 8; i++) r[i] = bdd.ithVar(PacketSpace.PROTO + 7 - i);
                r[8] = bdd.ithVar(PacketSpace.FRAG);
            }
            default -> {
                KeySets ks = new KeySets(sp, family);
                int hasPorts = ks.hasPorts(), icmp = ks.icmp();
                if (dim == Tables.L4) {
                    for (int i = 0; i < 16; i++) {
                        int port = bdd.ithVar(PacketSpace.DPORT + 15 - i);
                        int tc = i < 8 ? bdd.ithVar(PacketSpace.ICODE + 7 - i) : bdd.ithVar(PacketSpace.ITYPE + 15 - i);
                        r[i] = bdd.or(bdd.and(hasPorts, port), bdd.and(icmp, tc));
                    }
                } else {
                    for (int i = 0; i < 16; i++) r[i] = bdd.and(hasPorts, bdd.ithVar(PacketSpace.SPORT + 15 - i));
                    r[16] = bdd.and(hasPorts, ks.tcpEst());
                }
            }
        }
        int[] keep = Arrays.copyOf(r, Bits.W + 1);
        keep[Bits.W] = bdd.epoch();
        specKeys.put(k, keep);
        return r;
    }

    private static int maxNode(int[] bitsAndEpoch) {
        int m = 0;
        for (int i = 0; i < Bits.W; i++) m = Math.max(m, bitsAndEpoch[i]);
        return m;
    }

    /**
     * The new reference of a node's run, from its paths: on each path the reference the path loaded, on the path's
     * inputs. The paths must together hold every input of {@code set}.
     */
    private Val paths(List<State> paths, Val in, int block, int set, Tables.Node n, int at) throws TvException {
        java.util.TreeMap<Long, Integer> m = new java.util.TreeMap<>();
        int all = Bdd.FALSE;
        for (State ps : paths) {
            Val r = refSlots(null, ps, in, block);
            long[] vs;
            int[] gs;
            if (r.hasCases()) {
                vs = r.values();
                gs = r.guards();
            } else {
                List<Bits.Case> cs = bits.values(r.bits(), ps.set, 1 << 16);
                vs = new long[cs.size()];
                gs = new int[cs.size()];
                for (int k = 0; k < vs.length; k++) {
                    vs[k] = cs.get(k).value();
                    gs[k] = cs.get(k).set();
                }
            }
            for (int k = 0; k < vs.length; k++) {
                int g = bdd.and(gs[k], ps.set);
                if (g != Bdd.FALSE) m.merge(vs[k] & 0xffffffffL, g, bdd::or);
            }
            all = bdd.or(all, ps.set);
        }
        if (bdd.diff(set, all) != Bdd.FALSE) throw new TvException("the table walk's step from " + n + " loses inputs", at);
        long[] v = new long[m.size()];
        int[] g = new int[m.size()];
        int k = 0;
        for (java.util.Map.Entry<Long, Integer> e : m.entrySet()) {
            v[k] = e.getKey();
            g[k++] = e.getValue();
        }
        Val rho = Val.cases(bits, v, g);
        rho.ref = true;
        return rho;
    }

    private boolean variableRef(State s, int block) { return variableRef(prog, s, block); }

    /** Whether a state holds a reference that depends on the packet (two values or more). */
    static boolean variableRef(Program prog, State s, int block) {
        int live = prog.liveIn[block];
        for (int r = 0; r <= 10; r++) {
            Val v = s.r[r];
            if ((live & (1 << r)) != 0 && v != null && v.ref && v.hasCases() && v.values().length > 1) return true;
        }
        for (Val v : s.spill) if (v != null && v.ref && v.hasCases() && v.values().length > 1) return true;
        return false;
    }

    /** The values of {@code v} on {@code set}. */
    private long[] values(Val v, int set) throws TvException {
        if (v.hasCases()) {
            List<Long> out = new ArrayList<>();
            long[] vs = v.values();
            int[] gs = v.guards();
            for (int k = 0; k < vs.length; k++) if (bdd.intersects(gs[k], set)) out.add(vs[k] & 0xffffffffL);
            return out.stream().mapToLong(Long::longValue).toArray();
        }
        List<Bits.Case> cs = bits.values(v.bits(), set, 1 << 22);
        if (cs.size() > 1 << 22) throw new TvException("a table reference takes too many values", -1);
        long[] out = new long[cs.size()];
        for (int k = 0; k < out.length; k++) out[k] = cs.get(k).value() & 0xffffffffL;
        return out;
    }

    private List<Val> live(State s, int block) {
        List<Val> out = new ArrayList<>();
        int live = prog.liveIn[block];
        for (int r = 0; r <= 10; r++) if ((live & (1 << r)) != 0 && s.r[r] != null) out.add(s.r[r]);
        for (Val v : s.spill) if (v != null) out.add(v);
        return out;
    }

    private Val konstRef(long ref) {
        Val v = Val.scalar(bits.konst(ref));
        v.ref = true;
        return v;
    }

    private Val walkRef() {
        Val v = Val.scalar(fs.walkRef.clone());
        v.ref = true;
        return v;
    }

    private Val walkBest() { return Val.scalar(fs.walkBest.clone()); }

    /** The references of key {@code dim} (7: leaves). */
    private int dimIs(int dim) { return bits.eq(bits.lshr(fs.walkRef, Tables.DIM_SHIFT), bits.konst(dim)); }

    /** The best rule's possible values: 0 to the rule count. */
    private int bestDomain() { return bdd.not(bits.ult(bits.konst(tables.rules), fs.walkBest)); }

    private boolean sameWithin(int[] x, int[] y, int set) {
        if (x == y) return true;
        for (int i = 0; i < Bits.W; i++) {
            if (x[i] == y[i]) continue;
            if (bdd.intersects(set, bits.xor1(x[i], y[i]))) return false;
        }
        return true;
    }

    /** Whether a value depends on the walk's variables (R or B). */
    private boolean mentionsWalk(Val v) {
        if (v.kind() == Executor.SCALAR || v.kind() == Executor.PKT) {
            for (int b : v.bits()) if (mentionsWalk(b)) return true;
        }
        return false;
    }

    private final java.util.Map<Integer, Boolean> walkMemo = new java.util.HashMap<>();
    private int walkMemoEpoch = -1;

    private boolean mentionsWalk(int n) {
        if (n == Bdd.FALSE || n == Bdd.TRUE) return false;
        if (walkMemoEpoch != bdd.epoch()) {
            walkMemo.clear();
            walkMemoEpoch = bdd.epoch();
        }
        Boolean m = walkMemo.get(n);
        if (m != null) return m;
        int v = bdd.var(n);
        boolean r = fs.isWalkVar(v) || v < fs.walkVar && (mentionsWalk(bdd.low(n)) || mentionsWalk(bdd.high(n)));
        walkMemo.put(n, r);
        return r;
    }

    /** Stack bytes that depend on the walk's variables and are not a kept slot are leftovers. */
    private void poisonWalkBytes(State s) {
        for (int i = 0; i < s.stack.length; i++) {
            Object o = s.stack[i];
            if (o == null || o == Executor.POISON_BYTE) continue;
            if (o instanceof Executor.ByteOf b && (b.v() == s.spill[i / 8])) continue;
            int[] byteBits = ex.resolve(o);
            for (int x : byteBits) {
                if (mentionsWalk(x)) {
                    s.stack[i] = Executor.POISON_BYTE;
                    break;
                }
            }
        }
    }

    /**
     * Sorts the slots of the runs of one step: a slot is kept when every run leaves the same value there, is the
     * reference when every run holds its own new reference there, and is poisoned otherwise.
     */
    private final class Classes {
        final State ref;
        final int block;
        int refAnd, refOr, diffRegs;
        long spillAnd, spillOr, diffSpills;
        final boolean[] diffBytes = new boolean[512];

        Classes(State ref, Val in, Val rho, int block) {
            this.ref = ref;
            this.block = block;
            refAnd = refOr = refRegs(ref, in, false);
            spillAnd = spillOr = refSpills(ref, in, false);
        }

        /** The live registers holding a run's new reference (for the run past the step: its unchanged input). */
        private int refRegs(State s, Val in, boolean identity) {
            int live = prog.liveIn[block], out = 0;
            for (int r = 0; r <= 10; r++) {
                Val v = s.r[r];
                if ((live & (1 << r)) != 0 && v != null && (identity ? v == in : v.ref && v != in)) out |= 1 << r;
            }
            return out;
        }

        private long refSpills(State s, Val in, boolean identity) {
            long out = 0;
            for (int i = 0; i < 64; i++) {
                Val v = s.spill[i];
                if (v != null && (identity ? v == in : v.ref && v != in)) out |= 1L << i;
            }
            return out;
        }

        /** Compares a run's final state (input reference {@code in}; {@code rho == in}: the run past the step). */
        void compare(State s, Val in, Val rho) {
            boolean identity = rho != null && rho == in;
            int rr = refRegs(s, in, identity);
            long rs = refSpills(s, in, identity);
            refAnd &= rr;
            refOr |= rr;
            spillAnd &= rs;
            spillOr |= rs;
            int live = prog.liveIn[block];
            for (int r = 0; r <= 10; r++) {
                if ((live & (1 << r)) == 0 || ((rr | refOr) & (1 << r)) != 0) continue;
                if (!same(s.r[r], ref.r[r], s.set)) diffRegs |= 1 << r;
            }
            for (int i = 0; i < 64; i++) {
                if (((rs | spillOr) & (1L << i)) != 0) continue;
                if (!same(s.spill[i], ref.spill[i], s.set)) diffSpills |= 1L << i;
            }
            for (int i = 0; i < 512; i++) {
                if (diffBytes[i] || (spillOr & (1L << (i / 8))) != 0 || !s.dirty(i) && !ref.dirty(i)) continue;
                Object a = s.stack[i], b = ref.stack[i];
                if (a == b) continue;
                if (a instanceof Executor.ByteOf x && b instanceof Executor.ByteOf y && x.j() == y.j()
                        && same(x.v(), y.v(), s.set)) {
                    continue;
                }
                if (a == null || b == null || a == Executor.POISON_BYTE || b == Executor.POISON_BYTE
                        || !Arrays.equals(ex.resolve(a), ex.resolve(b))) {
                    diffBytes[i] = true;
                }
            }
        }

        /** The template for the next segment: the first run's state with the sorted slots. */
        Template template(Template prev, boolean hasRef) {
            State s = ref.copyOwned(prev.s.set);
            s.real = prev.s.real;
            Template t = new Template(block, s);
            Val best = prev.hasBest ? bestOf(prev) : null;
            int live = prog.liveIn[block];
            for (int r = 0; r <= 10; r++) {
                if ((live & (1 << r)) == 0) { s.r[r] = null; continue; }
                if ((refAnd & (1 << r)) != 0) t.refRegs |= 1 << r;
                else if ((diffRegs & (1 << r)) != 0 || (refOr & (1 << r)) != 0 || s.r[r] != null && s.r[r].ref) {
                    s.r[r] = Val.poison();
                } else if (best != null && s.r[r] == best) t.bestRegs |= 1 << r;
            }
            for (int i = 0; i < 64; i++) {
                if ((spillAnd & (1L << i)) != 0) { t.refSpills |= 1L << i; continue; }
                Val v = s.spill[i];
                if ((diffSpills & (1L << i)) != 0 || (spillOr & (1L << i)) != 0 || v != null && v.ref) {
                    s.spill[i] = Val.poison();
                    for (int j = 0; j < 8; j++) s.stack[8 * i + j] = Executor.POISON_BYTE;
                } else if (best != null && v == best) {
                    t.bestSpills |= 1L << i;
                }
            }
            for (int i = 0; i < 512; i++) if (diffBytes[i]) s.stack[i] = Executor.POISON_BYTE;
            if (t.refRegs == 0 && t.refSpills == 0) t.refRegs = -1; // marks "no slot": refused by the caller
            t.hasRef = hasRef;
            t.hasBest = prev.hasBest;
            return t;
        }

        private boolean same(Val a, Val b, int set) {
            if (a == b) return true;
            if (a == null || b == null || a.kind() != b.kind()) return false;
            Long ka = a.constant(), kb = b.constant();
            if (ka != null && kb != null) return ka.longValue() == kb.longValue();
            return switch (a.kind()) {
                case Executor.SCALAR, Executor.PKT -> sameWithin(a.bits(), b.bits(), set);
                case Executor.POISON -> true;
                case Executor.RO -> a.off() == b.off() && sameWithin(a.roOffset().bits(), b.roOffset().bits(), set);
                default -> a.off() == b.off();
            };
        }
    }
}
