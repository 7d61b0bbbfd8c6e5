package io.portcullis.bpf.tv;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.space.Bdd;
import java.util.ArrayList;
import java.util.List;

/**
 * Executes a loop-free BPF program on a set of frames at once. A state is a set of inputs (a BDD over the frame
 * space) with registers and stack whose values are bit-vectors of BDDs (or pointers whose offsets are), so a branch
 * splits the set exactly and states that meet at a block are merged by if-then-else on their sets. Blocks run in
 * topological order, so every state reaching a block is merged before the block runs.
 */
final class Executor {
    static final int SCALAR = 0, PKT = 1, CTX = 2, FP = 3;
    /** A pointer into read-only data: {@code off} is the region (section) index, the bits the offset into it. */
    static final int RO = 4;
    /**
     * A value that must not be used: a leftover of an earlier step of a table walk, replaced when the walk proof
     * generalises a state ({@link WalkProof}). Moving or spilling it is fine; computing with it makes the program not
     * analysable.
     */
    static final int POISON = 5;
    /** Offsets one read-only load may take over the frames reaching it (each gives a constant from the data). */
    private static final int RO_CASES = 1 << 18;
    private static final int STACK = 512;
    private static final boolean PROFILE = Boolean.getBoolean("portcullis.tv.profile");

    /** A scalar merged from more constants than this is kept as a bit-vector only. */
    static final int CASE_CAP = 4096;

    /**
     * A register or stack value: a scalar, or a pointer (packet: offset bit-vector; ctx, stack: constant offset). A
     * value merged from two paths is computed when first used: many merged registers are overwritten unread.
     *
     * <p>A scalar that is a constant on every path that reached it (a rule number, a verdict) is also kept as
     * <em>cases</em>: distinct values, each with a guard set. Within the state's input set the guards partition the
     * inputs, and the value is {@code values[i]} exactly on {@code guards[i]}. Comparing two such values, or one with a
     * constant, is then a union of guard intersections, where the bit-vector form would build adder and comparator
     * circuits over the merged bits (the decision code's "first matching rule so far" is such a value).
     */
    static final class Val {
        private final int kind;
        private final long off;
        private int[] bits;
        private Bits ops;
        private int c;
        private Val x, y;
        /** How many cases the value has at most (0: not a case value). */
        private final int caseCount;
        private long[] values;
        private int[] guards;
        /** For a read-only data pointer: its offset as a scalar (kept as cases when it has them), or null. */
        private Val roOff;
        /** Loaded from the child slots of decision-table nodes (a table walk's reference), or a copy of one. */
        boolean ref;

        Val(int kind, int[] bits, long off) {
            this.kind = kind;
            this.bits = bits;
            this.off = off;
            Long k = kind == SCALAR && bits != null ? Bits.constant(bits) : null;
            if (k != null) {
                values = new long[] {k};
                guards = new int[] {Bdd.TRUE};
            }
            caseCount = k != null ? 1 : 0;
        }

        private Val(Bits ops, long[] values, int[] guards) {
            this.kind = SCALAR;
            this.off = 0;
            this.ops = ops;
            this.values = values;
            this.guards = guards;
            this.caseCount = values.length;
        }

        private Val(int kind, int caseCount) {
            this.kind = kind;
            this.off = 0;
            this.caseCount = caseCount;
        }

        static Val scalar(int[] b) { return new Val(SCALAR, b, 0); }

        /** The guards of a constant: one case, everywhere (shared; guard arrays are never written). */
        private static final int[] EVERYWHERE = {Bdd.TRUE};

        private Val(Bits ops, long k) {
            this.kind = SCALAR;
            this.off = 0;
            this.ops = ops;
            this.values = new long[] {k};
            this.guards = EVERYWHERE;
            this.caseCount = 1;
        }

        /** The constant {@code k}; its bits are only made when asked for. */
        static Val konst(Bits ops, long k) { return new Val(ops, k); }

        /** The value when this is a constant scalar, else null. */
        Long constant() { return isConstant() ? values[0] : null; }

        boolean isConstant() { return kind == SCALAR && caseCount == 1 && values != null; }

        /** The value of a constant scalar ({@link #isConstant}). */
        long constantValue() { return values[0]; }

        /** The scalar that is {@code values[i]} on {@code guards[i]}. */
        static Val cases(Bits ops, long[] values, int[] guards) {
            if (values.length == 1) return konst(ops, values[0]);
            return new Val(ops, values, guards);
        }

        static Val merged(Bits ops, int c, Val x, Val y) {
            long n = (long) x.caseCount + y.caseCount;
            Val v = new Val(x.kind, x.caseCount > 0 && y.caseCount > 0 && n <= CASE_CAP ? (int) n : 0);
            v.ops = ops;
            v.c = c;
            v.x = x;
            v.y = y;
            v.ref = x.ref && y.ref;
            return v;
        }

        private static final Val POISONED = new Val(POISON, null, 0);

        static Val poison() { return POISONED; }

        int kind() { return kind; }
        long off() { return off; }
        boolean hasCases() { return caseCount > 0; }

        /** A read-only data pointer into region {@code region} at offset {@code offset} (a scalar). */
        static Val readOnly(Val offset, long region) {
            Val v = new Val(RO, null, region);
            v.roOff = offset;
            return v;
        }

        /** The offset of a read-only data pointer as a scalar. */
        Val roOffset() { return roOff != null ? roOff : scalar(bits()); }

        int[] bits() {
            if (bits == null && caseCount == 1 && values != null && guards[0] == Bdd.TRUE) bits = ops.konst(values[0]);
            if (bits == null && roOff != null) bits = roOff.bits();
            if (bits == null && caseCount > 0) {
                computeCases();
                Bdd bdd = ops.bdd();
                int[] r = ops.konst(0);
                for (int i = 0; i < values.length; i++) {
                    for (int j = 0; j < Bits.W; j++) if (((values[i] >>> j) & 1) != 0) r[j] = bdd.or(r[j], guards[i]);
                }
                bits = r;
            } else if (bits == null && ops != null) {
                bits = ops.ite(c, x.bits(), y.bits());
                x = y = null;
            }
            return bits;
        }

        long[] values() { computeCases(); return values; }
        int[] guards() { computeCases(); return guards; }

        private void computeCases() {
            if (values != null) return;
            Bdd bdd = ops.bdd();
            java.util.TreeMap<Long, Integer> m = new java.util.TreeMap<>();
            long[] xv = x.values(), yv = y.values();
            int[] xg = x.guards(), yg = y.guards();
            int nc = bdd.not(c);
            for (int i = 0; i < xv.length; i++) {
                int g = bdd.and(c, xg[i]);
                if (g != Bdd.FALSE) m.merge(xv[i], g, bdd::or);
            }
            for (int i = 0; i < yv.length; i++) {
                int g = bdd.and(nc, yg[i]);
                if (g != Bdd.FALSE) m.merge(yv[i], g, bdd::or);
            }
            long[] v = new long[m.size()];
            int[] g = new int[m.size()];
            int i = 0;
            for (java.util.Map.Entry<Long, Integer> e : m.entrySet()) {
                v[i] = e.getKey();
                g[i++] = e.getValue();
            }
            values = v;
            guards = g;
            x = y = null;
        }
    }

    /**
     * {@code set} and {@code real}: the inputs of the state are {@code set ∧ real}. A state whose live registers hold
     * no packet or context pointer (it can read no more of the packet) is <em>abstracted</em> ({@link #abstractFields}): {@code real} keeps its exact input set and
     * {@code set} becomes that set's projection on the packet fields, so the decision code after the parser, which only
     * compares field values, splits small field-only sets instead of sets that also describe layouts and lengths. Every
     * value is still exact on {@code set ∧ real}; what the program reports (exits, reads out of bounds) is intersected
     * with {@code real}, and states with different {@code real} are made exact again before they are merged.
     */
    static final class State {
        int set;
        int real = Bdd.TRUE;
        Val[] r = new Val[11];
        // One byte each: 8 bits, least significant first (int[]), or a merge not yet computed (Lazy); null = never written.
        Object[] stack = new Object[STACK];
        Val[] spill = new Val[STACK / 8]; // pointers spilled to aligned 8-byte slots
        // For table programs (WalkProof): the walk the state belongs to (its first read-only load; -1 none), whether it
        // loaded from a node's child slots, how many node headers it loaded and which (the last one; -2 several
        // different), and which stack bytes it wrote (since the walk proof started the run).
        int thread = -1;
        boolean childLoaded;
        // A run with intervals (runPaths): the one value its unsigned compares with constants were about (null: none
        // yet), their width, and the interval of that value this path is taken for.
        Val key;
        int keyWidth;
        long keyLo, keyHi = -1L;
        int nodeLoads;
        long node = -1;
        long[] dirty = new long[STACK / 64];

        /** Whether {@link #stack} and {@link #spill} may be shared with another state (copied on first write). */
        boolean shared;

        /** A copy that shares the stack until either side writes it ({@link #own}). */
        State() { }

        /** A state whose arrays the caller fills (a copy). */
        private State(Val[] r, Object[] stack, Val[] spill, long[] dirty) {
            this.r = r;
            this.stack = stack;
            this.spill = spill;
            this.dirty = dirty;
        }

        State copy(int newSet) {
            State s = new State(r.clone(), stack, spill, dirty.clone());
            s.set = newSet;
            s.real = real;
            s.shared = shared = true;
            s.thread = thread;
            s.childLoaded = childLoaded;
            s.nodeLoads = nodeLoads;
            s.node = node;
            s.key = key;
            s.keyWidth = keyWidth;
            s.keyLo = keyLo;
            s.keyHi = keyHi;
            return s;
        }

        boolean dirty(int i) { return (dirty[i >> 6] & (1L << (i & 63))) != 0; }

        /** A copy with a stack of its own (for callers that write it directly). */
        State copyOwned(int newSet) { return copy(newSet).own(); }

        /** Makes the stack this state's own before it is written. */
        State own() {
            if (shared) {
                stack = stack.clone();
                spill = spill.clone();
                shared = false;
            }
            return this;
        }
    }

    /** Where a run from a given block stops: the block all its states have reached (merged into one) and accepted. */
    interface Stop {
        boolean stop(int block, State s) throws TvException;
    }

    /** Where a run that does not merge its states stops: every state at one block, all accepted together. */
    interface StopAll {
        boolean stop(int block, List<State> states) throws TvException;
    }

    /** Takes a state out of a whole-program run (phase 1 of a table program's proof): see {@link #handOff}. */
    interface HandOff {
        boolean take(int block, State s) throws TvException;
    }

    /** The block a run stopped at, and its one state there (or, for a run that does not merge, all of them). */
    record Segment(int block, State state, List<State> states) {
        Segment(int block, State state) { this(block, state, List.of(state)); }
    }

    /** The header fields, TCP flags and walk variables: what a field projection keeps. */
    private int keptVars() { return fs.layoutVar; }

    /** What the program did with a set of inputs. */
    interface Listener {
        void exit(int insn, long value, int set);
        void outOfBounds(int insn, int set, String what);
    }

    private final Program prog;
    private final FrameSpace fs;
    private final Bits bits;
    private final Bdd bdd;
    private final int dataOff, dataEndOff, lenOff;
    private Listener listener;
    /** In a run of {@link #runPaths} with intervals: compares of one value with constants narrow an interval. */
    private boolean intervals;

    private final long stateBudget;
    private List<Integer> trace;
    long statesRun, merges;
    /** The decision tables of a table program (classifies read-only loads), or null. */
    private Tables tables;
    private HandOff handOff;
    private boolean[] handOffBlocks;
    private int liveStates;
    private int[] threadPending = new int[4];
    private final java.util.Map<Long, Integer> threadIds = new java.util.HashMap<>();
    private final java.util.Map<Long, Integer> threadStart = new java.util.HashMap<>();

    /** {@code lenOff}: where the context holds the packet's length ({@code __sk_buff.len}), or -1 (XDP: none). */
    Executor(Program prog, FrameSpace fs, int dataOff, int dataEndOff, int lenOff, Listener listener, long stateBudget) {
        this.prog = prog;
        this.fs = fs;
        this.bits = fs.bits;
        this.bdd = fs.bdd;
        this.dataOff = dataOff;
        this.dataEndOff = dataEndOff;
        this.lenOff = lenOff;
        this.listener = listener;
        this.stateBudget = stateBudget;
    }

    /** Records the blocks a run enters (meant for a run on a single input). */
    void trace(List<Integer> blocks) { this.trace = blocks; }

    /** Classifies read-only loads against decoded decision tables (child slots, node headers). */
    void tables(Tables t) { this.tables = t; }

    /**
     * While set, a load from read-only section {@code section} throws {@code stop} before its offsets are enumerated:
     * for a run that only asks whether the code ahead has a certain form, and knows that such code never reads there.
     */
    void stopAt(String section, TvException stop) {
        this.stopSection = section;
        this.stop = stop;
    }

    private String stopSection;
    private TvException stop;

    /**
     * In a whole-program run, a state that reaches one of {@code blocks} is offered to {@code h} there (after the
     * states reaching the block are merged); a state it takes is not run further.
     */
    void handOff(boolean[] blocks, HandOff h) {
        this.handOff = h;
        this.handOffBlocks = blocks;
    }

    void listener(Listener l) { this.listener = l; }

    Bits bits() { return bits; }

    void run(int inputs) throws TvException {
        int nb = prog.blockStart.length;
        @SuppressWarnings("unchecked")
        List<State>[] pending = new List[nb];
        State init = new State();
        init.set = inputs;
        init.r[1] = new Val(CTX, null, 0);
        init.r[10] = new Val(FP, null, 0);
        liveStates = 0;
        heapSize = 0;
        add(pending, 0, init);
        loop(0, pending, null, null);
    }

    /**
     * Runs from block {@code start} with the one state {@code init} and stops at the first block that every state of
     * the run has reached, merged into one state that {@code stop} accepts; null when every state exited first.
     */
    @SuppressWarnings("unchecked")
    private List<State>[] pendingArray() {
        // One array for all the runs of one executor: a run that stops or ends leaves it empty.
        if (pendingReuse == null) pendingReuse = new List[prog.blockStart.length];
        else java.util.Arrays.fill(pendingReuse, null);
        return pendingReuse;
    }

    private List<State>[] pendingReuse;

    Segment runFrom(int start, State init, Stop stop) throws TvException {
        List<State>[] pending = pendingArray();
        liveStates = 0;
        heapSize = 0;
        add(pending, start, init);
        return loop(prog.topoIndex[start], pending, stop, null);
    }

    /**
     * As {@link #runFrom(int, State, Stop)}, but states are never merged: each follows its own path, on which every
     * value is as concrete as the path makes it (a table walk's search from one node: one state per interval).
     */
    Segment runPaths(int start, State init, StopAll stop) throws TvException {
        return runPaths(start, init, stop, false);
    }

    /**
     * As {@link #runPaths(int, State, StopAll)}; with {@code intervals}, an unsigned compare of a constant with a value
     * that is not one (a search key) does not split the input set: each path keeps the interval of that value it is
     * taken for ({@link State#key}). Every path's inputs are then its set and "the value lies in its interval".
     */
    Segment runPaths(int start, State init, StopAll stop, boolean intervals) throws TvException {
        List<State>[] pending = pendingArray();
        liveStates = 0;
        heapSize = 0;
        add(pending, start, init);
        this.intervals = intervals;
        pathExits.clear();
        try {
            return loop(prog.topoIndex[start], pending, null, stop);
        } finally {
            this.intervals = false;
        }
    }

    /**
     * In a run with intervals, a load from read-only data at an offset that is the path's key (the verdict lookup by the
     * best rule, say) forks the path: one path per run of equal loaded values over the key's interval, each going on
     * with that value. False when the load is not of that kind.
     */
    private boolean intervalLoad(int i, Insn in, State s, int b, List<State>[] pending) throws TvException {
        if (s.key == null || in.mode() != Op.MEM) return false;
        Val base = s.r[in.src()];
        if (base == null || base.kind != RO) return false;
        Val off = base.roOffset();
        if (off.constant() != null || off.hasCases() || !java.util.Arrays.equals(off.bits(), s.key.bits())) return false;
        long lo = s.keyLo, hi = s.keyHi;
        if (Long.compareUnsigned(hi - lo, RO_CASES) >= 0) return false;
        io.portcullis.bpf.elf.ReadOnlyData.Region r = prog.data.regions().get((int) base.off);
        int size = in.sizeBytes();
        int d = in.dst();
        if (d > 9) throw new TvException("writes r" + d, i);
        long runLo = lo;
        long runValue = 0;
        for (long x = lo; ; x++) {
            long o = x + in.off();
            if (o < 0 || o + size > r.size()) {
                throw new TvException("a " + size + "-byte read at offset " + o + " of read-only data '" + r.section()
                        + "' (" + r.size() + " bytes) is out of bounds", i);
            }
            long v = 0;
            for (int k = size - 1; k >= 0; k--) v = (v << 8) | (r.bytes()[(int) o + k] & 0xff);
            if (x == lo) runValue = v;
            boolean last = x == hi;
            if (v != runValue || last) {
                long runHi = v != runValue ? x - 1 : x;
                fork(i, s, b, pending, d, runLo, runHi, runValue);
                if (v != runValue) {
                    runLo = x;
                    runValue = v;
                    if (last) fork(i, s, b, pending, d, x, x, v);
                }
            }
            if (last) break;
        }
        return true;
    }

    private void fork(int i, State s, int b, List<State>[] pending, int d, long lo, long hi, long value) throws TvException {
        State f = s.copy(s.set);
        f.keyLo = lo;
        f.keyHi = hi;
        f.r[d] = Val.konst(bits, value);
        runBlock(b, f, pending, i + 1);
    }

    /** Splits by interval when the jump compares (unsigned) a constant with the path's key; false otherwise. */
    private boolean intervalSplit(int i, Insn in, State s, int b, List<State>[] pending) throws TvException {
        int op = in.op();
        if (op != Op.JGT && op != Op.JGE && op != Op.JLT && op != Op.JLE) return false;
        boolean wide = in.cls() == Op.JMP;
        Val a = use(i, s, in.dst());
        Val c = in.usesSrcReg() ? use(i, s, in.src()) : Val.konst(bits, in.imm32());
        Long ka = a.constant(), kc = c.constant();
        if ((ka == null) == (kc == null)) return false;
        Val x = ka == null ? a : c;
        if (x.kind != SCALAR || x.hasCases()) return false;
        int width = wide ? 64 : 32;
        if (s.key == null) {
            s.key = x;
            s.keyWidth = width;
            s.keyLo = 0;
            s.keyHi = wide ? -1L : 0xffffffffL;
        } else if (s.keyWidth != width || s.key != x && !java.util.Arrays.equals(s.key.bits(), x.bits())) {
            return false;
        }
        long k = wide ? (ka != null ? ka : kc) : (ka != null ? ka : kc) & 0xffffffffL;
        // Normalise to "x OP k": with the constant on the left the comparison turns around.
        int o = op;
        if (ka != null) o = op == Op.JGT ? Op.JLT : op == Op.JGE ? Op.JLE : op == Op.JLT ? Op.JGT : Op.JGE;
        // The values of x that take the jump: x > k, x >= k, x < k or x <= k, as one interval [tl, th].
        long tl, th;
        long max = wide ? -1L : 0xffffffffL;
        switch (o) {
            case Op.JGT -> { if (k == max) { tl = 1; th = 0; } else { tl = k + 1; th = max; } }
            case Op.JGE -> { tl = k; th = max; }
            case Op.JLT -> { if (k == 0) { tl = 1; th = 0; } else { tl = 0; th = k - 1; } }
            default -> { tl = 0; th = k; }
        }
        long lo = s.keyLo, hi = s.keyHi;
        // taken: [max(lo, tl), min(hi, th)]; not taken: the rest of [lo, hi] (one interval, as [tl, th] touches an end).
        long a0 = Long.compareUnsigned(lo, tl) >= 0 ? lo : tl, a1 = Long.compareUnsigned(hi, th) <= 0 ? hi : th;
        boolean takenOk = Long.compareUnsigned(tl, th) <= 0 && Long.compareUnsigned(a0, a1) <= 0;
        long f0, f1;
        boolean fallOk;
        if (tl == 0 && Long.compareUnsigned(th, max) < 0) { // taken is [0, th]: fall is [th + 1, max] within [lo, hi]
            f0 = Long.compareUnsigned(lo, th + 1) >= 0 ? lo : th + 1;
            f1 = hi;
        } else if (Long.compareUnsigned(tl, th) > 0) { // never taken
            f0 = lo;
            f1 = hi;
        } else if (tl != 0) { // taken is [tl, max]: fall is [0, tl - 1]
            f0 = lo;
            f1 = Long.compareUnsigned(hi, tl - 1) <= 0 ? hi : tl - 1;
        } else { // always taken
            f0 = 1;
            f1 = 0;
        }
        fallOk = Long.compareUnsigned(f0, f1) <= 0;
        if (takenOk) {
            State t = fallOk ? s.copy(s.set) : s;
            t.keyLo = a0;
            t.keyHi = a1;
            add(pending, prog.succ[b][0], t);
        }
        if (fallOk) {
            s.keyLo = f0;
            s.keyHi = f1;
            add(pending, prog.succ[b][1], s);
        }
        return true;
    }

    /** The start offset (region << 32 | offset) of the walk a state's thread number stands for. */
    long threadStart(int thread) {
        for (java.util.Map.Entry<Long, Integer> e : threadIds.entrySet()) if (e.getValue() == thread) return e.getKey();
        return -1;
    }

    /** The topological positions of the blocks that have pending states (a binary heap, smallest first). */
    private int[] heap = new int[64];
    private int heapSize;

    private void push(int t) {
        if (heapSize == heap.length) heap = java.util.Arrays.copyOf(heap, 2 * heapSize);
        int i = heapSize++;
        while (i > 0 && heap[(i - 1) / 2] > t) {
            heap[i] = heap[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        heap[i] = t;
    }

    private int pop() {
        int top = heap[0], last = heap[--heapSize];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= heapSize) break;
            if (c + 1 < heapSize && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= last) break;
            heap[i] = heap[c];
            i = c;
        }
        if (heapSize > 0) heap[i] = last;
        return top;
    }

    private Segment loop(int from, List<State>[] pending, Stop stop, StopAll stopAll) throws TvException {
        // Blocks in topological order, visiting only those that have states waiting (a run on one table node touches
        // a few dozen blocks of thousands).
        while (heapSize > 0) {
            int t = pop();
            int b = prog.topo[t];
            List<State> in = pending[b];
            pending[b] = null;
            if (in == null) continue;
            liveStates -= in.size();
            for (State s : in) if (s.thread >= 0) threadPending[s.thread]--;
            if (stopAll != null && liveStates == 0 && stopAll.stop(b, in)) return new Segment(b, in.get(0), in);
            List<State> merged = stopAll != null ? in : merge(in, prog.liveIn[b]);
            if (stop != null && liveStates == 0 && merged.size() == 1 && stop.stop(b, merged.get(0))) {
                return new Segment(b, merged.get(0));
            }
            for (State s : merged) {
                abstractFields(b, s);
                if (handOff != null && handOffBlocks[b] && handOff.take(b, s)) continue;
                if (++statesRun > stateBudget) {
                    throw new TvException("more than " + stateBudget + " symbolic states; the program is too large to validate", prog.blockStart[b]);
                }
                if (trace != null) trace.add(b);
                runBlock(b, s, pending);
            }
        }
        return null;
    }

    private static boolean alone(List<State> merged, State s) {
        for (State o : merged) if (o != s && o.thread == s.thread) return false;
        return true;
    }

    // ---- abstraction ----------------------------------------------------------------------------------------------

    private void abstractFields(int b, State s) {
        // A traced run (one input) follows exactly the blocks that input takes.
        if (s.real != Bdd.TRUE || trace != null) return;
        int live = prog.liveIn[b];
        for (int r = 0; r <= 10; r++) {
            if ((live & (1 << r)) != 0 && s.r[r] != null && (s.r[r].kind == PKT || s.r[r].kind == CTX)) return;
        }
        for (Val v : s.spill) if (v != null && (v.kind == PKT || v.kind == CTX)) return;
        int p = projection(s.set);
        if (p == s.set) return;
        s.real = s.set;
        s.set = p;
    }

    /** Makes a state's set exact again. */
    private void concretize(State s) {
        if (s.real == Bdd.TRUE) return;
        s.set = bdd.and(s.set, s.real);
        s.real = Bdd.TRUE;
    }

    // ---- merging ------------------------------------------------------------------------------------------------

    private List<State> merge(List<State> in, int live) {
        if (in.size() == 1) return in;
        List<State> out = new ArrayList<>();
        for (State s : in) {
            boolean done = false;
            for (int i = 0; i < out.size() && !done; i++) {
                State m = tryMerge(out.get(i), s, live);
                if (m != null) {
                    out.set(i, m);
                    done = true;
                    merges++;
                }
            }
            if (!done) out.add(s);
        }
        return out;
    }

    private State tryMerge(State a, State b, int live) {
        if (a.thread != b.thread) return null;
        for (int r = 0; r <= 10; r++) {
            if ((live & (1 << r)) == 0) continue;
            if (!compatible(a.r[r], b.r[r])) return null;
        }
        for (int i = 0; i < a.spill.length; i++) {
            Val x = a.spill[i], y = b.spill[i];
            // A spilled scalar is also in the stack bytes: a slot only one side has is simply dropped.
            if ((x != null && x.kind != SCALAR || y != null && y.kind != SCALAR) && !compatible(x, y)) return null;
        }
        if (a.real != b.real) {
            concretize(a);
            concretize(b);
        }
        // With the same real set r, the inputs a.set ∧ r and b.set ∧ r are disjoint: a set that holds a.set and
        // misses b.set (or only b.set ∧ r) separates them.
        int c = separator(a.set, b.set);
        State m = new State();
        m.set = bdd.or(a.set, b.set);
        m.real = a.real;
        m.thread = a.thread;
        m.childLoaded = a.childLoaded || b.childLoaded;
        m.nodeLoads = Math.max(a.nodeLoads, b.nodeLoads);
        m.node = a.node == b.node ? a.node : -2;
        for (int i = 0; i < m.dirty.length; i++) m.dirty[i] = a.dirty[i] | b.dirty[i];
        for (int r = 0; r <= 10; r++) {
            m.r[r] = (live & (1 << r)) == 0 ? null : join(c, a.r[r], b.r[r]);
        }
        for (int i = 0; i < STACK; i++) {
            Object x = a.stack[i], y = b.stack[i];
            m.stack[i] = x == null ? y : y == null || x == y ? x
                    : x == POISON_BYTE || y == POISON_BYTE ? POISON_BYTE : new Lazy(c, x, y);
        }
        for (int i = 0; i < a.spill.length; i++) {
            m.spill[i] = a.spill[i] == null || b.spill[i] == null ? null : join(c, a.spill[i], b.spill[i]);
        }
        return m;
    }

    /**
     * A set that holds {@code a} and misses {@code b}, as small as we can find cheaply: values are merged by
     * if-then-else on it, and a selector that mentions the frame layout would drag the layout into every later
     * comparison of the merged value. Paths that have left the parser usually differ in header fields alone.
     */
    private int separator(int a, int b) {
        int pa = projection(a);
        if (!bdd.intersects(pa, b)) return pa;
        int pb = projection(b);
        if (!bdd.intersects(pb, a)) return bdd.not(pb);
        // Then over fields and layout, without the lengths and raw bytes.
        int la = layoutProjection(a);
        if (!bdd.intersects(la, b)) return la;
        return a;
    }

    private final Memo projections = new Memo(), layoutProjections = new Memo();

    /**
     * A memo table indexed by node (0: not known, else result + 1), with the node table's epoch of each entry: the walk
     * proof releases nodes between runs, and an entry that names a released node is void (see {@link Bdd#stillValid}).
     */
    private final class Memo {
        private int[] val = new int[0], epoch = new int[0];

        int get(int n) {
            if (n >= val.length || val[n] == 0) return -1;
            int r = val[n] - 1;
            return bdd.stillValid(Math.max(n, r), epoch[n]) ? r : -1;
        }

        void put(int n, int r) {
            if (n >= val.length) {
                int len = Math.max(n + 1, Math.max(1024, bdd.nodeCount() + bdd.nodeCount() / 2));
                val = java.util.Arrays.copyOf(val, len);
                epoch = java.util.Arrays.copyOf(epoch, len);
            }
            val[n] = r + 1;
            epoch[n] = bdd.epoch();
        }
    }

    /** The set with the length and raw-byte variables quantified away. */
    private int layoutProjection(int n) {
        if (n == Bdd.FALSE || n == Bdd.TRUE) return n;
        if (bdd.var(n) >= fs.lenVar) return Bdd.TRUE;
        int known = layoutProjections.get(n);
        if (known >= 0) return known;
        int r = bdd.mk(bdd.var(n), layoutProjection(bdd.low(n)), layoutProjection(bdd.high(n)));
        layoutProjections.put(n, r);
        return r;
    }

    /**
     * The set with every variable past the packet fields, the TCP flags and the walk variables (layout, length and
     * raw-byte variables) quantified away.
     */
    int projection(int n) {
        if (n == Bdd.FALSE || n == Bdd.TRUE) return n;
        if (bdd.var(n) >= keptVars()) return Bdd.TRUE;
        int known = projections.get(n);
        if (known >= 0) return known;
        int r = bdd.mk(bdd.var(n), projection(bdd.low(n)), projection(bdd.high(n)));
        projections.put(n, r);
        return r;
    }

    /**
     * A stack byte merged from two paths, computed only if it is read: the parser leaves many dead bytes on the
     * stack that differ between frame layouts, and merging them eagerly was most of the work.
     */
    /** A stack byte that must not be read (see {@link #POISON}). */
    static final Object POISON_BYTE = new Object();

    static final class Lazy {
        final int c;
        Object x, y;
        int[] value;

        Lazy(int c, Object x, Object y) {
            this.c = c;
            this.x = x;
            this.y = y;
        }
    }

    /** Byte {@code j} of a scalar stored whole: its bits are computed only if the byte is read on its own. */
    record ByteOf(Val v, int j) {}

    /** The bits of a stack byte; a merge is computed once and kept (merges are shared between states). */
    int[] resolve(Object o) {
        if (o instanceof int[] b) return b;
        if (o instanceof ByteOf r) {
            int[] b = new int[8];
            System.arraycopy(r.v.bits(), 8 * r.j, b, 0, 8);
            return b;
        }
        Lazy l = (Lazy) o;
        if (l.value == null) {
            l.value = ite8(l.c, resolve(l.x), resolve(l.y));
            l.x = l.y = null;
        }
        return l.value;
    }

    private int[] ite8(int c, int[] x, int[] y) {
        if (x == y) return x;
        int[] r = new int[8];
        for (int i = 0; i < 8; i++) r[i] = x[i] == y[i] ? x[i] : bdd.ite(c, x[i], y[i]);
        return r;
    }

    private static boolean compatible(Val x, Val y) {
        if (x == null || y == null) return x == y;
        if (x.kind == POISON || y.kind == POISON) return true;
        if (x.kind != y.kind) return false;
        if (x.kind == RO) return x.off == y.off;
        return x.kind == SCALAR || x.kind == PKT || x.off == y.off;
    }

    private Val join(int c, Val x, Val y) {
        if (x == null) return null;
        if (x == y) return x;
        if (x.kind == POISON || y != null && y.kind == POISON) return Val.poison();
        if (x.kind == RO && y != null && y.kind == RO && x.off == y.off) {
            // Keep the offset's cases: the table walk's offsets are constants on each path.
            return Val.readOnly(Val.merged(bits, c, x.roOffset(), y.roOffset()), x.off);
        }
        if (x.kind == SCALAR || x.kind == PKT || x.kind == RO) return Val.merged(bits, c, x, y);
        return x;
    }

    // ---- one block ----------------------------------------------------------------------------------------------

    private void runBlock(int b, State s, List<State>[] pending) throws TvException {
        runBlock(b, s, pending, prog.blockStart[b]);
    }

    /** Runs block {@code b} from instruction {@code from} on. */
    private void runBlock(int b, State s, List<State>[] pending, int from) throws TvException {
        int end = prog.blockEnd[b];
        for (int i = from; i < end; i++) {
            Insn in = prog.insns.get(i);
            if (PROFILE) System.err.println("tv-profile " + i + " " + bdd.nodeCount() + " " + (s.real != Bdd.TRUE ? "abs" : "exact") + " " + Disassembler.format(in));
            int cls = in.cls();
            switch (cls) {
                case Op.ALU, Op.ALU64 -> alu(i, in, s);
                case Op.LD -> {
                    if (in.opcode() != Op.LD_IMM64 || in.src() != 0) throw unsupported(i, in);
                    io.portcullis.bpf.elf.ReadOnlyData.Ref ref = prog.readOnlyRef(i);
                    s.r[in.dst()] = ref != null ? Val.readOnly(Val.scalar(bits.konst(ref.offset())), ref.region())
                            : Val.scalar(bits.konst(in.imm()));
                }
                case Op.LDX -> {
                    if (intervals && intervalLoad(i, in, s, b, pending)) return;
                    load(i, in, s);
                }
                case Op.ST, Op.STX -> store(i, in, s);
                case Op.JMP, Op.JMP32 -> {
                    int op = in.op();
                    if (op == Op.CALL) throw unsupported(i, in);
                    if (op == Op.EXIT) {
                        exit(i, s);
                        return;
                    }
                    if (op == Op.JA) {
                        add(pending, prog.succ[b][0], s);
                        return;
                    }
                    if (intervals && intervalSplit(i, in, s, b, pending)) return;
                    int cond = condition(i, in, s);
                    // A condition on more than the fields in an abstracted state: make the state exact first, so
                    // that only branches some input takes are followed.
                    if (s.real != Bdd.TRUE && projection(cond) != cond) concretize(s);
                    int taken = bdd.and(s.set, cond), fall = bdd.diff(s.set, cond);
                    if (taken != Bdd.FALSE && fall != Bdd.FALSE) {
                        add(pending, prog.succ[b][0], s.copy(taken));
                        add(pending, prog.succ[b][1], s.copy(fall));
                    } else if (taken != Bdd.FALSE) {
                        add(pending, prog.succ[b][0], s);
                    } else {
                        add(pending, prog.succ[b][1], s);
                    }
                    return;
                }
                default -> throw unsupported(i, in);
            }
        }
        add(pending, prog.succ[b][0], s);
    }

    private void add(List<State>[] pending, int b, State s) {
        if (pending[b] == null) {
            pending[b] = new ArrayList<>();
            push(prog.topoIndex[b]);
        }
        pending[b].add(s);
        liveStates++;
        if (s.thread >= 0) {
            if (s.thread >= threadPending.length) threadPending = java.util.Arrays.copyOf(threadPending, 2 * s.thread + 2);
            threadPending[s.thread]++;
        }
    }

    private TvException unsupported(int i, Insn in) {
        return new TvException("instruction not modelled by translation validation: " + Disassembler.format(in), i);
    }

    private Val reg(int i, State s, int r) throws TvException {
        if (r > 10) throw new TvException("register r" + r + " does not exist", i);
        Val v = s.r[r];
        if (v == null) throw new TvException("r" + r + " is read before it is written", i);
        return v;
    }

    /** A register operand that is computed with (not just moved): a leftover of an earlier walk step is refused. */
    private Val use(int i, State s, int r) throws TvException {
        Val v = reg(i, s, r);
        if (v.kind == POISON) {
            throw new TvException("the program computes with r" + r + ", a value of an earlier step of the table walk "
                    + "that the walk proof does not carry over", i);
        }
        return v;
    }

    private int[] scalar(int i, State s, int r) throws TvException {
        Val v = use(i, s, r);
        if (v.kind != SCALAR) throw new TvException("r" + r + " holds a pointer where a number is expected", i);
        return v.bits();
    }

    // ---- ALU ----------------------------------------------------------------------------------------------------

    private void alu(int i, Insn in, State s) throws TvException {
        boolean wide = in.cls() == Op.ALU64;
        int op = in.op();
        int d = in.dst();
        if (d > 9) throw new TvException("writes r" + d, i);
        if (op == Op.END) {
            int[] x = scalar(i, s, d);
            int width = in.imm32();
            if (width != 16 && width != 32 && width != 64) throw unsupported(i, in);
            // On a little-endian machine "to big endian" (and ALU64 bswap) swaps; "to little endian" only truncates.
            boolean swap = wide || in.usesSrcReg();
            s.r[d] = Val.scalar(swap ? bits.bswap(x, width) : bits.zext(x, width));
            return;
        }
        Val srcVal;
        if (op == Op.NEG) srcVal = null;
        else if (in.usesSrcReg()) srcVal = op == Op.MOV && wide && in.off() == 0 ? reg(i, s, in.src()) : use(i, s, in.src());
        else srcVal = Val.konst(bits, wide ? in.imm32() : Integer.toUnsignedLong(in.imm32()));
        // Constants (a table walk on one node is mostly constants): computed on numbers.
        if (op != Op.MOV && op != Op.END && (in.off() == 0 || op != Op.DIV && op != Op.MOD)) {
            Val dv = s.r[d];
            if (dv != null && dv.isConstant() && (srcVal == null || srcVal.isConstant())) {
                Long r = concrete(op, wide, dv.constantValue(), srcVal == null ? 0 : srcVal.constantValue());
                if (r != null) {
                    s.r[d] = Val.konst(bits, r);
                    return;
                }
            }
        } else if (op == Op.MOV && srcVal.isConstant() && (in.off() == 0 || in.off() == 8 || in.off() == 16 || in.off() == 32)) {
            long x = srcVal.constantValue();
            if (in.off() != 0) x = x << (64 - in.off()) >> (64 - in.off());
            s.r[d] = Val.konst(bits, wide ? x : x & 0xffffffffL);
            return;
        }
        if (op == Op.MOV) {
            if (wide && in.off() == 0) {
                s.r[d] = srcVal;
                return;
            }
            if (srcVal.kind == SCALAR && srcVal.hasCases() && (in.off() == 0 || in.off() == 8 || in.off() == 16 || in.off() == 32)) {
                s.r[d] = mapCases(srcVal, v -> {
                    long x = in.off() == 0 ? v : v << (64 - in.off()) >> (64 - in.off());
                    return wide ? x : x & 0xffffffffL;
                });
                return;
            }
            if (srcVal.kind != SCALAR) throw new TvException("a pointer is moved in a 32-bit or sign-extending move", i);
            int[] x = srcVal.bits();
            if (in.off() != 0) {
                if (in.off() != 8 && in.off() != 16 && in.off() != 32) throw unsupported(i, in);
                x = bits.sext(x, in.off());
            }
            s.r[d] = Val.scalar(wide ? x : bits.zext(x, 32));
            return;
        }
        Val dst = use(i, s, d);
        // Pointer arithmetic: packet pointer plus or minus a number, stack/ctx pointer plus a constant, pointer difference.
        if (dst.kind != SCALAR || srcVal != null && srcVal.kind != SCALAR) {
            s.r[d] = pointerArith(i, in, wide, op, dst, srcVal);
            return;
        }
        if (dst.hasCases() && (srcVal == null || srcVal.hasCases())) {
            Val r = caseAlu(op, wide, in, dst, srcVal);
            if (r != null) {
                s.r[d] = r;
                return;
            }
        }
        int[] x = dst.bits();
        int[] y = srcVal == null ? null : srcVal.bits();
        if (!wide) {
            x = bits.zext(x, 32);
            if (y != null) y = bits.zext(y, 32);
        }
        int width = wide ? 64 : 32;
        int[] r;
        switch (op) {
            case Op.ADD -> r = bits.add(x, y);
            case Op.SUB -> r = bits.sub(x, y);
            case Op.OR -> r = bits.or(x, y);
            case Op.AND -> r = bits.and(x, y);
            case Op.XOR -> r = bits.xor(x, y);
            case Op.NEG -> r = bits.neg(x);
            case Op.MUL -> {
                Long kx = Bits.constant(x), ky = Bits.constant(y);
                if (ky != null) r = bits.mulConst(x, ky);
                else if (kx != null) r = bits.mulConst(y, kx);
                else throw new TvException("multiplication of two input-dependent values is not modelled", i);
            }
            case Op.DIV, Op.MOD -> r = divmod(i, in, op, x, y, width);
            case Op.LSH, Op.RSH, Op.ARSH -> r = shift(s.set, op, x, y, width);
            default -> throw unsupported(i, in);
        }
        s.r[d] = Val.scalar(wide ? r : bits.zext(r, 32));
    }

    private Val mapCases(Val v, java.util.function.LongUnaryOperator f) {
        long[] vs = v.values();
        int[] gs = v.guards();
        java.util.TreeMap<Long, Integer> m = new java.util.TreeMap<>();
        for (int k = 0; k < vs.length; k++) m.merge(f.applyAsLong(vs[k]), gs[k], bdd::or);
        return fromMap(m);
    }

    private Val fromMap(java.util.TreeMap<Long, Integer> m) {
        long[] v = new long[m.size()];
        int[] g = new int[m.size()];
        int k = 0;
        for (java.util.Map.Entry<Long, Integer> e : m.entrySet()) {
            v[k] = e.getKey();
            g[k++] = e.getValue();
        }
        return Val.cases(bits, v, g);
    }

    /** An ALU operation on case values, value by value; null when it is not one we compute this way. */
    private Val caseAlu(int op, boolean wide, Insn in, Val dst, Val src) {
        if ((op == Op.DIV || op == Op.MOD) && in.off() != 0) return null;
        long[] xv = dst.values(), yv = src == null ? new long[] {0} : src.values();
        int[] xg = dst.guards(), yg = src == null ? new int[] {Bdd.TRUE} : src.guards();
        if ((long) xv.length * yv.length > CASE_CAP) return null;
        java.util.TreeMap<Long, Integer> m = new java.util.TreeMap<>();
        for (int a = 0; a < xv.length; a++) {
            for (int b = 0; b < yv.length; b++) {
                Long r = concrete(op, wide, xv[a], yv[b]);
                if (r == null) return null;
                int g = bdd.and(xg[a], yg[b]);
                if (g != Bdd.FALSE) m.merge(r, g, bdd::or);
            }
        }
        return fromMap(m);
    }

    /** The ALU operation on numbers, as the bit-vector form computes it; null for one not handled here. */
    static Long concrete(int op, boolean wide, long a, long b) {
        int width = wide ? 64 : 32;
        long x = wide ? a : a & 0xffffffffL, y = wide ? b : b & 0xffffffffL;
        long r;
        switch (op) {
            case Op.ADD -> r = x + y;
            case Op.SUB -> r = x - y;
            case Op.OR -> r = x | y;
            case Op.AND -> r = x & y;
            case Op.XOR -> r = x ^ y;
            case Op.MUL -> r = x * y;
            case Op.NEG -> r = -x;
            case Op.DIV -> r = y == 0 ? 0 : Long.divideUnsigned(x, y);
            case Op.MOD -> r = y == 0 ? x : Long.remainderUnsigned(x, y);
            case Op.LSH -> r = x << (y & (width - 1));
            case Op.RSH -> r = x >>> (y & (width - 1));
            case Op.ARSH -> r = wide ? x >> (y & 63) : (long) ((int) x >> (y & 31));
            default -> {
                return null;
            }
        }
        return wide ? r : r & 0xffffffffL;
    }

    private Val pointerArith(int i, Insn in, boolean wide, int op, Val dst, Val src) throws TvException {
        if (!wide) throw new TvException("32-bit arithmetic on a pointer", i);
        if (dst.kind == PKT && src != null && src.kind == PKT && op == Op.SUB) {
            return Val.scalar(bits.sub(dst.bits(), src.bits()));
        }
        Val p = dst.kind != SCALAR ? dst : src;
        Val n = dst.kind != SCALAR ? src : dst;
        if (n == null || n.kind != SCALAR || !(op == Op.ADD || op == Op.SUB && p == dst)) {
            throw new TvException("pointer arithmetic not modelled: " + Disassembler.format(in), i);
        }
        int[] delta = op == Op.SUB ? bits.neg(n.bits()) : n.bits();
        if (p.kind == PKT) return new Val(PKT, bits.add(p.bits(), delta), 0);
        if (p.kind == RO) {
            Val o = p.roOffset();
            Long ko = o.constant(), kn = n.constant();
            if (ko != null && kn != null) return Val.readOnly(Val.konst(bits, op == Op.SUB ? ko - kn : ko + kn), p.off);
            if (o.hasCases() && n.hasCases()) {
                Val r = caseAlu(op, true, in, o, n);
                if (r != null) return Val.readOnly(r, p.off);
            }
            return Val.readOnly(Val.scalar(bits.add(o.bits(), delta)), p.off);
        }
        Long k = Bits.constant(delta);
        if (k == null) throw new TvException("a stack or context pointer is moved by an input-dependent amount", i);
        return new Val(p.kind, null, p.off + k);
    }

    private int[] divmod(int i, Insn in, int op, int[] x, int[] y, int width) throws TvException {
        Long ky = Bits.constant(y);
        if (in.off() != 0 || ky == null) throw new TvException("division by an input-dependent value (or signed division) is not modelled", i);
        long k = width == 32 ? ky & 0xffffffffL : ky;
        if (k == 0) return op == Op.DIV ? bits.konst(0) : x;
        if (Long.bitCount(k) != 1) {
            Long kx = Bits.constant(x);
            if (kx == null) throw new TvException("division by a constant that is not a power of two is not modelled", i);
            long a = width == 32 ? kx & 0xffffffffL : kx;
            return bits.konst(op == Op.DIV ? Long.divideUnsigned(a, k) : Long.remainderUnsigned(a, k));
        }
        int sh = Long.numberOfTrailingZeros(k);
        return op == Op.DIV ? bits.lshr(x, sh) : bits.and(x, bits.konst(k - 1));
    }

    private int[] shift(int set, int op, int[] x, int[] y, int width) {
        int[] amount = bits.zext(y, 6);
        List<Bits.Case> amounts = bits.values(amount, set, 64);
        int[] r = null;
        for (Bits.Case c : amounts) {
            int k = (int) (c.value() & (width - 1));
            int[] v = switch (op) {
                case Op.LSH -> bits.shl(x, k);
                case Op.RSH -> bits.lshr(x, k);
                default -> bits.ashr(x, k, width);
            };
            r = r == null ? v : bits.ite(bits.eq(amount, bits.konst(c.value())), v, r);
        }
        return r == null ? bits.konst(0) : r;
    }

    // ---- memory -------------------------------------------------------------------------------------------------

    private void load(int i, Insn in, State s) throws TvException {
        if (in.mode() != Op.MEM && in.mode() != Op.MEMSX) throw unsupported(i, in);
        int size = in.sizeBytes();
        Val base = use(i, s, in.src());
        int d = in.dst();
        if (d > 9) throw new TvException("writes r" + d, i);
        Val v;
        switch (base.kind) {
            case PKT -> v = Val.scalar(packetLoad(i, s, bits.add(base.bits(), bits.konst(in.off())), size));
            case CTX -> {
                long at = base.off + in.off();
                if (size == 4 && at == dataOff) v = new Val(PKT, bits.konst(0), 0);
                else if (size == 4 && at == dataEndOff) v = new Val(PKT, fs.length, 0);
                // skb->len: the whole packet's length. The model's frames are linear (no page fragments), so it is the
                // frame length, as in BPF_PROG_TEST_RUN.
                else if (size == 4 && at == lenOff) v = Val.scalar(fs.length);
                else throw new TvException("context access at offset " + at + " (size " + size + ") is not modelled", i);
            }
            case FP -> v = stackLoad(i, s, base.off + in.off(), size);
            case RO -> v = readOnlyLoad(i, s, (int) base.off, base.roOffset(), in.off(), size);
            default -> throw new TvException("load through a number, not a pointer", i);
        }
        if (in.mode() == Op.MEMSX) {
            if (v.kind != SCALAR) throw new TvException("sign-extending load of a pointer", i);
            v = Val.scalar(bits.sext(v.bits(), size * 8));
        }
        s.r[d] = v;
    }

    /**
     * A load from read-only data: the offset takes one concrete value on each subset of the frames reaching it, and
     * each gives the constant stored there. A load at an offset outside the data is not analysed (never "proven").
     */
    private Val readOnlyLoad(int i, State s, int region, Val base, long disp, int size) throws TvException {
        int set = s.set;
        io.portcullis.bpf.elf.ReadOnlyData.Region r = prog.data.regions().get(region);
        if (stop != null && r.section().equals(stopSection)) throw stop;
        long[] offs;
        int[] guards;
        Long kb = base.constant();
        if (kb != null) {
            offs = new long[] {kb + disp};
            guards = new int[] {Bdd.TRUE};
        } else if (base.hasCases()) {
            // The offset is already a list of constants with guard sets (a table walk): one constant per case.
            offs = base.values().clone();
            guards = base.guards();
            for (int k = 0; k < offs.length; k++) offs[k] += disp;
        } else {
            List<Bits.Case> cases = bits.values(bits.add(base.bits(), bits.konst(disp)), set, RO_CASES);
            if (cases.size() > RO_CASES) {
                throw new TvException("a read-only data load at more than " + RO_CASES + " different offsets is not analysable", i);
            }
            offs = new long[cases.size()];
            guards = new int[cases.size()];
            for (int k = 0; k < offs.length; k++) {
                offs[k] = cases.get(k).value();
                guards[k] = cases.get(k).set();
            }
        }
        java.util.TreeMap<Long, Integer> m = new java.util.TreeMap<>();
        List<Long> read = new ArrayList<>();
        for (int k = 0; k < offs.length; k++) {
            long o = offs[k];
            // A case no input of the state takes does not read.
            if (!bdd.intersects(guards[k], set)) continue;
            read.add(o);
            if (o < 0 || o + size > r.size()) {
                throw new TvException("a " + size + "-byte read at offset " + o + " of read-only data '" + r.section()
                        + "' (" + r.size() + " bytes) is out of bounds", i);
            }
            long v = 0;
            for (int k2 = size - 1; k2 >= 0; k2--) v = (v << 8) | (r.bytes()[(int) o + k2] & 0xff);
            m.merge(v, guards[k], bdd::or);
        }
        if (s.thread < 0 && !read.isEmpty()) {
            long key = (long) region << 32 | read.get(0);
            s.thread = threadIds.computeIfAbsent(key, k -> threadIds.size());
        }
        // The loaded value as cases: each constant on the union of the guards of the offsets that hold it.
        if (m.isEmpty()) return Val.scalar(bits.konst(0));
        Val v = fromMap(m);
        if (tables != null && !read.isEmpty()) {
            String section = r.section();
            boolean kids = size == 4, heads = size == 4;
            for (long o : read) {
                Tables.Slot k = tables.slot(section, o);
                kids &= k == Tables.Slot.CHILD;
                heads &= k == Tables.Slot.COUNT;
            }
            if (kids) {
                v.ref = true; // a fresh value
                s.childLoaded = true;
            }
            if (heads) {
                s.nodeLoads++;
                long n = read.size() == 1 ? tables.refAt(section, read.get(0)) : -2;
                s.node = s.node == -1 || s.node == n ? n : -2;
            }
        }
        return v;
    }

    private int[] packetLoad(int i, State s, int[] offset, int size) throws TvException {
        List<Bits.Case> cases = bits.values(offset, s.set, 512);
        if (cases.size() > 512) throw new TvException("a packet load at more than 512 different offsets", i);
        int[] r = null;
        for (Bits.Case c : cases) {
            long o = c.value();
            int fits = o >= 0 ? fs.atLeast(o + size) : Bdd.FALSE;
            int beyond = bdd.diff(bdd.and(c.set(), s.real), fits);
            if (beyond != Bdd.FALSE) {
                listener.outOfBounds(i, beyond, "a " + size + "-byte packet read at offset " + o
                        + " not proven within data_end");
            }
            if (!bdd.intersects(bdd.and(c.set(), s.real), fits)) continue;
            if (o + size > fs.maxLength) {
                throw new TvException("a packet read at offset " + o + ", past the " + fs.maxLength
                        + " bytes the frame model gives variables", i);
            }
            int[] v = bits.konst(0);
            for (int j = 0; j < size; j++) {
                int[] byteBits = fs.content((int) o + j, c.set());
                System.arraycopy(byteBits, 0, v, 8 * j, 8);
            }
            // Select on "offset == o" alone, not on the whole input set: the set carries the frame-length and layout
            // constraints, which would otherwise be copied into every bit of the loaded value.
            r = r == null ? v : bits.ite(bits.eq(offset, bits.konst(o)), v, r);
        }
        return r == null ? bits.konst(0) : r;
    }

    private int stackIndex(int i, long at, int size) throws TvException {
        if (at < -STACK || at + size > 0) throw new TvException("stack access at fp" + at + " outside the 512-byte stack", i);
        return (int) (at + STACK);
    }

    private Val stackLoad(int i, State s, long at, int size) throws TvException {
        int idx = stackIndex(i, at, size);
        if (size == 8 && idx % 8 == 0 && s.spill[idx / 8] != null) return s.spill[idx / 8];
        int[] v = bits.konst(0);
        for (int j = 0; j < size; j++) {
            Val sp = s.spill[(idx + j) / 8];
            if (sp != null && sp.kind != SCALAR) throw new TvException("part of a spilled pointer is read", i);
            Object o = s.stack[idx + j];
            if (o == null) throw new TvException("stack fp" + (at + j) + " is read before it is written", i);
            if (o == POISON_BYTE) {
                throw new TvException("the program reads stack fp" + (at + j) + ", a value of an earlier step of the "
                        + "table walk that the walk proof does not carry over", i);
            }
            int[] b = resolve(o);
            if (!s.shared) s.stack[idx + j] = b;
            System.arraycopy(b, 0, v, 8 * j, 8);
        }
        return Val.scalar(v);
    }

    private void store(int i, Insn in, State s) throws TvException {
        if (in.mode() != Op.MEM) throw unsupported(i, in);
        Val base = use(i, s, in.dst());
        if (base.kind != FP) throw new TvException("a store that is not to the stack (only stack stores are modelled)", i);
        int size = in.sizeBytes();
        long at = base.off + in.off();
        int idx = stackIndex(i, at, size);
        s.own();
        Val v = in.cls() == Op.ST ? Val.scalar(bits.konst(in.imm32())) : reg(i, s, in.src());
        for (int j = 0; j < size; j++) {
            s.spill[(idx + j) / 8] = null;
            s.stack[idx + j] = null;
            s.dirty[(idx + j) >> 6] |= 1L << ((idx + j) & 63);
        }
        if (v.kind != SCALAR) {
            if (size != 8 || idx % 8 != 0) throw new TvException("a pointer is stored to the stack unaligned or partly", i);
            s.spill[idx / 8] = v;
            return;
        }
        if (size == 8 && idx % 8 == 0) {
            // Kept whole (an aligned 8-byte load gets the very value back, cases included), and byte by byte.
            s.spill[idx / 8] = v;
            for (int j = 0; j < size; j++) s.stack[idx + j] = new ByteOf(v, j);
            return;
        }
        for (int j = 0; j < size; j++) {
            int[] b = new int[8];
            System.arraycopy(v.bits(), 8 * j, b, 0, 8);
            s.stack[idx + j] = b;
        }
    }

    // ---- jumps and exit -----------------------------------------------------------------------------------------

    private int condition(int i, Insn in, State s) throws TvException {
        boolean wide = in.cls() == Op.JMP;
        Val a = use(i, s, in.dst());
        Val b = in.usesSrcReg() ? use(i, s, in.src()) : Val.konst(bits, in.imm32());
        int op = in.op();
        Long ka = a.constant(), kb = b.constant();
        if (ka != null && kb != null && op != Op.JSET) {
            boolean signed = op == Op.JSGT || op == Op.JSGE || op == Op.JSLT || op == Op.JSLE;
            long x = key(ka, wide, signed), y = key(kb, wide, signed);
            boolean r = switch (op) {
                case Op.JEQ -> x == y;
                case Op.JNE -> x != y;
                case Op.JGT, Op.JSGT -> x > y;
                case Op.JGE, Op.JSGE -> x >= y;
                case Op.JLT, Op.JSLT -> x < y;
                case Op.JLE, Op.JSLE -> x <= y;
                default -> throw unsupported(i, in);
            };
            return r ? Bdd.TRUE : Bdd.FALSE;
        }
        if (a.kind != b.kind) {
            Val num = a.kind == SCALAR ? a : b;
            Long k = num.kind == SCALAR ? Bits.constant(num.bits()) : null;
            if (k != null && k == 0 && (op == Op.JEQ || op == Op.JNE) && wide) return op == Op.JNE ? Bdd.TRUE : Bdd.FALSE;
            throw new TvException("a comparison of a pointer with a number or another kind of pointer", i);
        }
        if (a.kind != SCALAR && a.kind != PKT) {
            if (a.off == b.off) return op == Op.JEQ || op == Op.JGE || op == Op.JLE || op == Op.JSGE || op == Op.JSLE ? Bdd.TRUE : Bdd.FALSE;
            throw new TvException("a comparison of stack or context pointers", i);
        }
        if (a.kind == PKT && !wide) throw new TvException("a 32-bit comparison of packet pointers", i);
        if (a.kind == SCALAR && a.hasCases() && b.hasCases()) {
            Integer r = caseCondition(op, wide, a, b);
            if (r != null) return r;
        }
        int width = wide ? 64 : 32;
        if (a.kind == SCALAR && (a.hasCases() != b.hasCases())) {
            // One side is a few constants (a value loaded from a table), the other a bit-vector (a header field):
            // per case, the comparison of the field with a constant, under the case's guard. No circuit over the
            // merged bits of the constants is built.
            Val cv = a.hasCases() ? a : b;
            long[] vs = cv.values();
            int[] gs = cv.guards();
            int[] other = (a.hasCases() ? b : a).bits();
            if (!wide) other = bits.zext(other, 32);
            int r = Bdd.FALSE;
            for (int k = 0; k < vs.length; k++) {
                int[] kv = bits.konst(wide ? vs[k] : vs[k] & 0xffffffffL);
                int c = a.hasCases() ? compare(i, in, op, kv, other, width) : compare(i, in, op, other, kv, width);
                r = bdd.or(r, bdd.and(gs[k], c));
            }
            return r;
        }
        int[] x = a.bits(), y = b.bits();
        if (!wide) {
            x = bits.zext(x, 32);
            y = bits.zext(y, 32);
        }
        return compare(i, in, op, x, y, width);
    }

    private int compare(int i, Insn in, int op, int[] x, int[] y, int width) throws TvException {
        return switch (op) {
            case Op.JEQ -> bits.eq(x, y);
            case Op.JNE -> bdd.not(bits.eq(x, y));
            case Op.JGT -> bits.ult(y, x);
            case Op.JGE -> bdd.not(bits.ult(x, y));
            case Op.JLT -> bits.ult(x, y);
            case Op.JLE -> bdd.not(bits.ult(y, x));
            case Op.JSET -> bits.nonZero(bits.and(x, y));
            case Op.JSGT -> bits.slt(y, x, width);
            case Op.JSGE -> bdd.not(bits.slt(x, y, width));
            case Op.JSLT -> bits.slt(x, y, width);
            case Op.JSLE -> bdd.not(bits.slt(y, x, width));
            default -> throw unsupported(i, in);
        };
    }

    /** The key that orders values as the comparison does (unsigned or signed, 64 or 32 bits). */
    private static long key(long v, boolean wide, boolean signed) {
        if (!wide) return signed ? (long) (int) v : v & 0xffffffffL;
        return signed ? v : v ^ Long.MIN_VALUE;
    }

    /** A comparison of two case values: unions of guard intersections; null for one not handled here. */
    private Integer caseCondition(int op, boolean wide, Val a, Val b) {
        boolean signed = op == Op.JSGT || op == Op.JSGE || op == Op.JSLT || op == Op.JSLE;
        Val x = a, y = b;
        boolean strict;
        switch (op) {
            case Op.JLT, Op.JSLT -> strict = true;
            case Op.JLE, Op.JSLE -> strict = false;
            case Op.JGT, Op.JSGT -> { x = b; y = a; strict = true; }
            case Op.JGE, Op.JSGE -> { x = b; y = a; strict = false; }
            case Op.JEQ, Op.JNE -> {
                java.util.Map<Long, Integer> byKey = new java.util.HashMap<>();
                long[] xv = a.values();
                int[] xg = a.guards();
                for (int k = 0; k < xv.length; k++) byKey.merge(key(xv[k], wide, false), xg[k], bdd::or);
                long[] yv = b.values();
                int[] yg = b.guards();
                int eq = Bdd.FALSE;
                for (int k = 0; k < yv.length; k++) {
                    Integer g = byKey.get(key(yv[k], wide, false));
                    if (g != null) eq = bdd.or(eq, bdd.and(g, yg[k]));
                }
                return op == Op.JEQ ? eq : bdd.not(eq);
            }
            default -> {
                return null;
            }
        }
        // x < y (strict) or x <= y: for each case of y, the union of x's guards whose value is below it.
        long[] xv = x.values();
        int[] xg = x.guards();
        Integer[] order = new Integer[xv.length];
        long[] keys = new long[xv.length];
        for (int k = 0; k < xv.length; k++) {
            order[k] = k;
            keys[k] = key(xv[k], wide, signed);
        }
        java.util.Arrays.sort(order, (p, q) -> Long.compare(keys[p], keys[q]));
        long[] sorted = new long[xv.length];
        int[] prefix = new int[xv.length + 1];
        prefix[0] = Bdd.FALSE;
        for (int k = 0; k < xv.length; k++) {
            sorted[k] = keys[order[k]];
            prefix[k + 1] = bdd.or(prefix[k], xg[order[k]]);
        }
        long[] yv = y.values();
        int[] yg = y.guards();
        int r = Bdd.FALSE;
        for (int k = 0; k < yv.length; k++) {
            long w = key(yv[k], wide, signed);
            int lo = 0, hi = sorted.length; // count of x keys < w (strict) or <= w
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (strict ? sorted[mid] < w : sorted[mid] <= w) lo = mid + 1;
                else hi = mid;
            }
            if (lo > 0) r = bdd.or(r, bdd.and(prefix[lo], yg[k]));
        }
        return r;
    }

    /** In a run with intervals: the states that exited (their key interval is part of their inputs). */
    final List<State> pathExits = new ArrayList<>();

    private void exit(int i, State s) throws TvException {
        Val v0 = use(i, s, 0);
        if (intervals) {
            Long k = v0.constant();
            if (k == null) throw new TvException("a path of a table walk returns a value that is not a constant", i);
            State e = s.copy(s.set);
            e.node = i;       // reused here: the exit instruction
            e.nodeLoads = -1; // and the returned value below
            e.keyWidth = s.keyWidth;
            e.r[0] = v0;
            pathExits.add(e);
            return;
        }
        if (v0.kind == SCALAR && v0.hasCases()) {
            java.util.TreeMap<Long, Integer> m = new java.util.TreeMap<>();
            long[] vs = v0.values();
            int[] gs = v0.guards();
            for (int k = 0; k < vs.length; k++) {
                int g = bdd.and(bdd.and(s.set, s.real), gs[k]);
                if (g != Bdd.FALSE) m.merge(vs[k] & 0xffffffffL, g, bdd::or);
            }
            for (java.util.Map.Entry<Long, Integer> e : m.entrySet()) listener.exit(i, e.getKey(), e.getValue());
            return;
        }
        int[] r0 = scalar(i, s, 0);
        int in = bdd.and(s.set, s.real);
        for (Bits.Case c : bits.values(bits.zext(r0, 32), in, 1 << 16)) listener.exit(i, c.value(), c.set());
    }
}
