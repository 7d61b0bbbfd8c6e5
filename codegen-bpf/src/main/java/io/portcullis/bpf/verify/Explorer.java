package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A path-sensitive exploration in the kernel verifier's order, to estimate its processed-instruction count and its
 * pending-branch depth (facts from kernel/bpf/verifier.c, 6.x: {@code do_check}, {@code push_stack},
 * {@code is_state_visited}, {@code states_equal}; no code copied).
 *
 * <p><b>Order.</b> Depth first: at a two-way branch the fall-through goes on and the taken edge is pushed as a pending
 * state (more than 8192 pending fails the kernel's jump-sequence limit); a decided branch pushes nothing. Every
 * instruction reached counts as processed, also one where the path is then pruned.
 *
 * <p><b>Pruning.</b> Prune points as the kernel's {@code check_cfg} marks them: conditional jumps, their targets, the
 * targets of {@code ja}, and the instruction after a call. At a prune point the current state is compared with the
 * states stored there (newest first); a stored state that is "within" the current one ends the path. A new state is
 * stored after at least 2 jumps and 8 instructions since the last one stored, or when the path's jump history (jump
 * targets reached, 8-byte spills and fills) passed 40 entries; a stored state is dropped once its misses exceed
 * 3 x hits + 3. These are the kernel's heuristics.
 *
 * <p><b>Within.</b> Per live register and live stack slot (liveness: a backward dataflow over the DAG, as 6.15+ kernels
 * compute it statically; dead ones are ignored): an uninitialised old value matches anything; a scalar matches any
 * scalar unless it is <em>precise</em> in the old state, then the old ranges and known bits must contain the new ones
 * and its links to other scalars (ids, {@code +K} copies) must map consistently; a packet pointer needs the same offset,
 * at least the old proven range, a containing variable part and a consistent id mapping; other pointers must be equal.
 * A spilled scalar and 8 initialised bytes both read as a scalar.
 *
 * <p><b>Precision</b>, per path as the kernel tracks it. A use that needs a scalar's value (a branch decided from it, an
 * addition to a pointer, the cgroup_skb return value) marks it precise in the current state and backtracks along the
 * current path: through the instructions since the last stored state (copies, ALU, fills and spills; both operands of
 * a register comparison; stopping at constants and at packet or context loads), then through each stored state on the
 * path (its parent chain), marking the scalars it needs there, until nothing new is marked. A prune copies the old
 * state's precise marks into the current path the same way ({@code propagate_precision}). When a state is stored, the
 * current state forgets its inherited marks ({@code mark_all_scalars_imprecise}). Not modelled: the refinement of
 * linked copies at a branch ({@code sync_linked_regs}) and its precision links, the {@code BEYOND_PKT_END} ranges, and
 * {@code clear_singular_ids} (newer kernels than 6.18).
 */
final class Explorer {
    private static final int[] NONE = new int[0];

    private final StaticVerifier.Run run;
    private final Insn[] at;
    private final int n;
    private final boolean[] prunePoint, jmpPoint;
    /** Entries in the current path's jump history since its last stored state (the kernel's jmp_history_cnt). */
    private int history;
    /** The kernel forces a new stored state once a path's jump history is longer than this. */
    private static final int MAX_HISTORY = 40;
    private final int[] liveRegs;
    private final long[] liveSlots;
    private final int[][] preds;
    private final List<Stored>[] explored;

    int processed, peakPending, states, pruned;
    /** Per instruction: times processed, and times pruned there (for comparing with a kernel log). */
    final int[] processedAt, prunedAt;
    /** When set, receives every processed instruction index in order (debugging against a kernel log). */
    StringBuilder trace;
    boolean complete = true;
    String note;

    private int jmps, prevJmps, prevInsns;

    /** A checkpoint: a state stored at a prune point, with the path segment that led to it from its parent. */
    private static final class Stored {
        final StaticVerifier.State st;
        final int step;
        final Stored parent;
        final int[] seg;
        int precR, hit, miss;
        long precS;

        Stored(StaticVerifier.State st, int step, Stored parent, int[] seg, int precR, long precS) {
            this.st = st;
            this.step = step;
            this.parent = parent;
            this.seg = seg;
            this.precR = precR;
            this.precS = precS;
        }
    }

    private record Pending(int insn, StaticVerifier.State st, int history, Stored last, int[] seg, int precR, long precS) {}

    // The current path: its last checkpoint, the instructions since (the checkpoint's own first), its precise flags.
    private Stored last;
    private int[] seg = new int[64];
    private int segLen, curPR;
    private long curPS;

    private void append(int s) {
        if (segLen == seg.length) seg = Arrays.copyOf(seg, segLen * 2);
        seg[segLen++] = s;
    }

    @SuppressWarnings("unchecked")
    Explorer(StaticVerifier.Run run) {
        this.run = run;
        this.at = run.at;
        this.n = run.n;
        prunePoint = new boolean[n];
        jmpPoint = new boolean[n];
        liveRegs = new int[n];
        liveSlots = new long[n];
        explored = new List[n];
        processedAt = new int[n];
        prunedAt = new int[n];
        int[] predCount = new int[n];
        for (int s = 0; s < n; s++) {
            Insn i = at[s];
            if (i == null) continue;
            for (int t : successors(s, i)) predCount[t]++;
            if (i.isJump()) {
                int op = i.op();
                if (op == Op.CALL) {
                    prunePoint[s + 1] = jmpPoint[s + 1] = true;
                } else if (op == Op.JA) {
                    prunePoint[Structure.target(s, i)] = jmpPoint[Structure.target(s, i)] = true;
                } else if (op != Op.EXIT) {
                    prunePoint[s] = true;
                    prunePoint[Structure.target(s, i)] = jmpPoint[Structure.target(s, i)] = true;
                }
            }
        }
        preds = new int[n][];
        for (int s = 0; s < n; s++) preds[s] = predCount[s] == 0 ? NONE : new int[predCount[s]];
        Arrays.fill(predCount, 0);
        for (int s = 0; s < n; s++) {
            if (at[s] == null) continue;
            for (int t : successors(s, at[s])) preds[t][predCount[t]++] = s;
        }
        liveness();
    }

    private int[] successors(int s, Insn i) {
        boolean falls = Structure.fallsThrough(i) && s + i.width() < n;
        boolean branches = Structure.branches(i);
        if (falls && branches) return new int[] {s + i.width(), Structure.target(s, i)};
        if (falls) return new int[] {s + i.width()};
        if (branches) return new int[] {Structure.target(s, i)};
        return NONE;
    }

    // ---- liveness ---------------------------------------------------------------------------------------------------

    private static final int ARGS = 0b111110, CALLER_SAVED = 0b111111;

    private int usesRegs(Insn i) {
        int d = 1 << i.dst(), x = i.usesSrcReg() ? 1 << i.src() : 0;
        switch (i.cls()) {
            case Op.ALU, Op.ALU64:
                if (i.op() == Op.MOV) return x;
                if (i.op() == Op.NEG || i.op() == Op.END) return d;
                return d | x;
            case Op.LDX:
                return 1 << i.src();
            case Op.ST:
                return d;
            case Op.STX:
                return d | 1 << i.src();
            case Op.LD:
                return 0;
            default:
                if (i.op() == Op.EXIT) return 1;
                if (i.op() == Op.CALL) return ARGS;
                if (i.op() == Op.JA) return 0;
                return d | x;
        }
    }

    private int defsRegs(Insn i) {
        switch (i.cls()) {
            case Op.ALU, Op.ALU64, Op.LDX, Op.LD:
                return 1 << i.dst();
            case Op.ST, Op.STX:
                return 0;
            default:
                return i.op() == Op.CALL ? CALLER_SAVED : 0;
        }
    }

    /** The stack slot a memory instruction accesses (from the merged analysis), or -1. */
    private int slot(int s) { return run.slotOf[s]; }

    private void liveness() {
        int[] order = run.order;
        for (int k = order.length - 1; k >= 0; k--) {
            int s = order[k];
            Insn i = at[s];
            int r = 0;
            long m = 0;
            for (int t : successors(s, i)) {
                r |= liveRegs[t];
                m |= liveSlots[t];
            }
            r = r & ~defsRegs(i) | usesRegs(i);
            int sl = slot(s);
            if (sl >= 0) {
                if (i.cls() == Op.LDX) m |= 1L << sl;
                else if (i.sizeBytes() == 8) m &= ~(1L << sl);
            }
            if (i.isJump() && i.op() == Op.CALL) m = -1L;
            liveRegs[s] = r;
            liveSlots[s] = m;
        }
    }

    // ---- precision --------------------------------------------------------------------------------------------------

    private int bR;
    private long bS;

    /** What must be precise before instruction {@code p}, given what must be precise after it (backtrack_insn). */
    private void backStep(int p, int r, long m) {
        Insn i = at[p];
        int sl = slot(p);
        switch (i.cls()) {
            case Op.ALU, Op.ALU64 -> {
                int d = 1 << i.dst();
                if ((r & d) != 0 && i.op() == Op.MOV) {
                    r &= ~d;
                    if (i.usesSrcReg()) r |= 1 << i.src();
                } else if ((r & d) != 0 && i.usesSrcReg() && i.op() != Op.NEG && i.op() != Op.END) {
                    r |= 1 << i.src();
                }
            }
            case Op.LDX -> {
                int d = 1 << i.dst();
                if ((r & d) != 0) {
                    r &= ~d;
                    if (sl >= 0 && i.sizeBytes() == 8) m |= 1L << sl;
                }
            }
            case Op.LD -> r &= ~(1 << i.dst());
            case Op.ST, Op.STX -> {
                if (sl >= 0 && (m & 1L << sl) != 0 && i.sizeBytes() == 8) {
                    m &= ~(1L << sl);
                    if (i.cls() == Op.STX) r |= 1 << i.src();
                }
            }
            default -> {
                if (i.op() == Op.CALL) {
                    r &= ~CALLER_SAVED;
                } else if (Structure.branches(i) && i.op() != Op.JA && i.usesSrcReg()) {
                    // dst <cond> src moved bounds between the two: both are needed before it.
                    int both = 1 << i.dst() | 1 << i.src();
                    if ((r & both) != 0) r |= both;
                }
            }
        }
        bR = r;
        bS = m;
    }

    /** The precise flags of the current state after instruction {@code s} (flags travel with copies, spills and fills). */
    private void forwardStep(int s, StaticVerifier.State before) {
        Insn i = at[s];
        int r = curPR;
        long m = curPS;
        int sl = slot(s);
        switch (i.cls()) {
            case Op.ALU, Op.ALU64 -> {
                int d = 1 << i.dst();
                if (i.op() == Op.MOV) {
                    r &= ~d;
                    if (i.usesSrcReg() && i.cls() == Op.ALU64 && (curPR & 1 << i.src()) != 0) r |= d;
                }
            }
            case Op.LDX -> {
                r &= ~(1 << i.dst());
                if (sl >= 0 && i.sizeBytes() == 8 && (m & 1L << sl) != 0 && before.spill[sl] != null) r |= 1 << i.dst();
            }
            case Op.LD -> r &= ~(1 << i.dst());
            case Op.ST, Op.STX -> {
                if (sl >= 0) {
                    m &= ~(1L << sl);
                    if (i.cls() == Op.STX && i.sizeBytes() == 8 && (r & 1 << i.src()) != 0) m |= 1L << sl;
                }
            }
            default -> {
                if (i.op() == Op.CALL) r &= ~CALLER_SAVED;
            }
        }
        curPR = r;
        curPS = m;
    }

    /** A use at the current instruction that needs register {@code reg} exactly: the kernel's mark_chain_precision. */
    void demand(int s, int reg) {
        int bit = 1 << reg;
        if ((curPR & bit) != 0) return;
        curPR |= bit;
        backtrack(segLen - 1, bit, 0);
    }

    /**
     * Walks the current path back from {@code seg[end - 1]}, through the stored states (checkpoints) it passed, marking
     * the values the demanded ones were computed from precise in each checkpoint, until nothing is left to mark or a
     * checkpoint already had them.
     */
    private void backtrack(int end, int regs, long slots) {
        int[] sg = seg;
        int len = end;
        Stored c = last;
        while (true) {
            for (int k = len - 1; k >= 0 && (regs != 0 || slots != 0); k--) {
                backStep(sg[k], regs, slots);
                regs = bR;
                slots = bS;
            }
            if (c == null || regs == 0 && slots == 0) return;
            for (int r = 0; r < 11; r++) {
                if ((regs & 1 << r) != 0 && !c.st.regs[r].isScalar()) regs &= ~(1 << r);
            }
            for (int k = 0; k < StaticVerifier.SLOTS; k++) {
                if ((slots & 1L << k) != 0 && (c.st.spill[k] == null || !c.st.spill[k].isScalar())) slots &= ~(1L << k);
            }
            regs &= ~c.precR;
            slots &= ~c.precS;
            if (regs == 0 && slots == 0) return;
            c.precR |= regs;
            c.precS |= slots;
            sg = c.seg;
            len = sg.length;
            c = c.parent;
        }
    }

    // ---- exploration ------------------------------------------------------------------------------------------------

    void explore() {
        ArrayList<Pending> stack = new ArrayList<>();
        List<Object[]> succ = new ArrayList<>();
        run.sink = (st0, t) -> succ.add(new Object[] {t, st0});
        run.demands = this::demand;
        int s = 0;
        StaticVerifier.State st = StaticVerifier.State.entry();
        try {
            while (true) {
                boolean done;
                if (++processed > StaticVerifier.MAX_INSNS) {
                    complete = false;
                    note = "the exploration passed " + StaticVerifier.MAX_INSNS + " processed instructions";
                    return;
                }
                Insn i = at[s];
                processedAt[s]++;
                if (trace != null) trace.append(s).append('\n');
                if (prunePoint[s] && visited(s, st)) {
                    prunedAt[s]++;
                    done = true;
                } else {
                    append(s);
                    if (jmpPoint[s]) history++;
                    int sl = run.slotOf[s];
                    if (sl >= 0 && i.sizeBytes() == 8 && (i.cls() != Op.LDX || st.spill[sl] != null)) history++;
                    succ.clear();
                    StaticVerifier.State before = st;
                    run.step(s, i, st, null);
                    forwardStep(s, before);
                    if (i.isJump()) jmps++;
                    if (succ.isEmpty()) {
                        done = true;
                    } else {
                        done = false;
                        if (succ.size() == 2) {
                            // Taken edge first in the sink's order: it becomes the pending state.
                            stack.add(new Pending((int) succ.get(0)[0], (StaticVerifier.State) succ.get(0)[1], history, last,
                                    Arrays.copyOf(seg, segLen), curPR, curPS));
                            if (stack.size() > peakPending) peakPending = stack.size();
                            if (stack.size() > StaticVerifier.MAX_PENDING_BRANCHES) {
                                complete = false;
                                note = "the sequence of " + stack.size() + " jumps is too complex";
                                return;
                            }
                            s = (int) succ.get(1)[0];
                            st = (StaticVerifier.State) succ.get(1)[1];
                        } else {
                            s = (int) succ.get(0)[0];
                            st = (StaticVerifier.State) succ.get(0)[1];
                        }
                    }
                }
                if (done) {
                    if (stack.isEmpty()) return;
                    Pending p = stack.remove(stack.size() - 1);
                    s = p.insn();
                    st = p.st();
                    history = p.history();
                    last = p.last();
                    seg = p.seg();
                    segLen = seg.length;
                    curPR = p.precR();
                    curPS = p.precS();
                }
            }
        } catch (Rejection r) {
            complete = false;
            note = "the exploration stopped at insn " + r.problem.index() + ": " + r.problem.message();
        } finally {
            run.sink = null;
            run.demands = null;
        }
    }

    /** A prune: what the old state needed exact, the current path needs exact too (the kernel's propagate_precision). */
    private void propagate(int s, Stored old) {
        int regs = old.precR & liveRegs[s] & ~curPR;
        long slots = old.precS & liveSlots[s] & ~curPS;
        for (int r = 0; r < 11; r++) if ((regs & 1 << r) != 0 && !old.st.regs[r].isScalar()) regs &= ~(1 << r);
        if (regs == 0 && slots == 0) return;
        curPR |= regs;
        curPS |= slots;
        backtrack(segLen, regs, slots);
    }

    private boolean visited(int s, StaticVerifier.State cur) {
        boolean add = history > MAX_HISTORY || jmps - prevJmps >= 2 && processed - prevInsns >= 8;
        List<Stored> list = explored[s];
        if (list != null) {
            for (int k = list.size() - 1; k >= 0; k--) {
                Stored old = list.get(k);
                oldPR = old.precR;
                oldPS = old.precS;
                if (within(s, old.st, cur)) {
                    old.hit++;
                    pruned++;
                    propagate(s, old);
                    return true;
                }
                if (add) old.miss++;
                if (old.miss > old.hit * 3 + 3) list.remove(k);
            }
        }
        if (!add) return false;
        if (list == null) explored[s] = list = new ArrayList<>(2);
        Stored c = new Stored(cur.copy(), processed, last, Arrays.copyOf(seg, segLen), curPR, curPS);
        list.add(c);
        last = c;
        segLen = 0;
        // The kernel forgets the precise marks the current state inherited once it is stored (they live on in the
        // checkpoint; a later use marks them again by backtracking).
        curPR = 0;
        curPS = 0;
        states++;
        history = 0;
        prevJmps = jmps;
        prevInsns = processed;
        return false;
    }

    // ---- state comparison -------------------------------------------------------------------------------------------

    private final int[] idOld = new int[64], idCur = new int[64];
    private int ids;

    private boolean within(int s, StaticVerifier.State old, StaticVerifier.State cur) {
        ids = 0;
        tmpId = 0;
        int live = liveRegs[s], prec = oldPR;
        for (int r = 0; r < 11; r++) {
            if ((live & 1 << r) == 0) continue;
            if (!safe(old.regs[r], cur.regs[r], (prec & 1 << r) != 0)) return false;
        }
        long liveM = liveSlots[s], precM = oldPS;
        for (int k = 0; k < StaticVerifier.SLOTS; k++) {
            if ((liveM & 1L << k) == 0) continue;
            Value o = old.spill[k], c = cur.spill[k];
            int oi = old.init[k] & 0xff, ci = cur.init[k] & 0xff;
            if (o == null && oi == 0) continue;
            boolean p = (precM & 1L << k) != 0;
            if (o == null && oi != 0xff || o != null && !o.isScalar()) {
                if (o != null) {
                    if (c == null || !safe(o, c, p)) return false;
                } else if (c != null ? !c.isScalar() : (ci & oi) != oi) {
                    return false;
                }
                continue;
            }
            // Both read as scalars: a spilled scalar, or eight initialised bytes (an unknown scalar).
            Value os = o != null ? o : Value.UNKNOWN;
            Value cs = c != null ? c : ci == 0xff ? Value.UNKNOWN : null;
            if (cs == null || !safe(os, cs, p)) return false;
        }
        return true;
    }

    private boolean safe(Value o, Value c, boolean precise) {
        if (o.kind() == Value.Kind.NOT_INIT) return true;
        if (c.kind() != o.kind()) return false;
        switch (o.kind()) {
            case SCALAR:
                if (!precise) return true;
                if ((o.id() & Value.ADD_CONST) != (c.id() & Value.ADD_CONST)) return false;
                if ((o.id() & Value.ADD_CONST) != 0 && o.off() != c.off()) return false;
                return scalarId(o.id(), c.id()) && contains(o.var(), c.var());
            case PACKET:
            case PACKET_META:
                return o.range() <= c.range() && o.off() == c.off() && sameId(o.id(), c.id()) && contains(o.var(), c.var());
            case MAP_VALUE:
                // The kernel's regsafe for map values: the same map, the current offsets within the old ones.
                return o.range() == c.range() && o.off() == c.off() && contains(o.var(), c.var());
            default:
                return o.off() == c.off() && o.var().equals(c.var()) && sameId(o.id(), c.id());
        }
    }

    private static boolean contains(Scalar o, Scalar c) {
        return Long.compareUnsigned(o.umin(), c.umin()) <= 0 && Long.compareUnsigned(c.umax(), o.umax()) <= 0
                && o.smin() <= c.smin() && c.smax() <= o.smax() && o.tnumContains(c);
    }

    /** The kernel's check_scalar_ids: an unlinked current scalar gets a fresh id of its own. */
    private boolean scalarId(int o, int c) {
        if (o == 0) return true;
        return sameId(o & ~Value.ADD_CONST, c == 0 ? --tmpId : c & ~Value.ADD_CONST);
    }

    private int tmpId, oldPR;
    private long oldPS;

    /** The kernel's check_ids: a consistent one-to-one mapping of old ids to current ids (0 only to 0). */
    private boolean sameId(int o, int c) {
        if (o == 0 || c == 0) return o == c;
        for (int k = 0; k < ids; k++) {
            if (idOld[k] == o) return idCur[k] == c;
            if (idCur[k] == c) return false;
        }
        if (ids == idOld.length) return false;
        idOld[ids] = o;
        idCur[ids++] = c;
        return true;
    }
}
