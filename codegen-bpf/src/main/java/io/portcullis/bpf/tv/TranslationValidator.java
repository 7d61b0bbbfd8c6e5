package io.portcullis.bpf.tv;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.tv.FrameModel.Expect;
import io.portcullis.bpf.tv.FrameModel.Layout;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Target;
import io.portcullis.space.Bdd;
import io.portcullis.space.PolicySets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translation validation: proves that a compiled object gives the policy's verdict for every frame of every layout
 * in {@link FrameModel}, or shows a frame on which it does not.
 *
 * <p>The program's bytecode (decoded from the ELF, independent of how it was generated) is executed symbolically on
 * all frames at once ({@link Executor}); every exit yields the exact set of frames that reach it and the value
 * returned. That set is compared with what the policy says about those frames: the packet-set engine's allowed set
 * ({@link PolicySets#allowed()}) for well-formed packets, deny for malformed frames, the {@code non-ip} verdict for
 * non-IP frames. Every packet read must also be proven inside {@code data_end} on every frame that reaches it.
 */
public final class TranslationValidator {
    private TranslationValidator() {}

    /** Symbolic states a run may use before it gives up (a safety net against unmergeable path explosions). */
    public static final long STATE_BUDGET = 5_000_000;
    /** BDD nodes one validation may add to its session's table before the program is refused as too complex. */
    public static final long NODE_BUDGET = Long.getLong("portcullis.tv.nodes", 24_000_000);

    public enum Kind {
        /** The program returns a verdict the policy does not give, for the witness frame. */
        MISMATCH,
        /** The program reads packet bytes not proven inside the frame. */
        OUT_OF_BOUNDS,
        /** The program does something the validator does not model (so nothing is proven). */
        UNSUPPORTED
    }

    /**
     * One problem: {@code insn} is the instruction's index in the decoded list (-1: none; messages give slot
     * numbers, as listings do), {@code message} one line, {@code details} the witness and path lines.
     */
    public record Problem(Kind kind, int insn, String message, List<String> details) {
        public String render() {
            StringBuilder sb = new StringBuilder(message);
            for (String d : details) sb.append("\n  ").append(d);
            return sb.toString();
        }
    }

    /**
     * {@code layouts}: frame layouts quantified over; {@code states}: symbolic block executions; {@code millis}: wall
     * time; {@code tables}: for a table program, what the two-part proof read and did (null otherwise).
     */
    public record Stats(int instructions, int layouts, long states, long merges, long millis, String tables) {
        public Stats(int instructions, int layouts, long states, long merges, long millis) {
            this(instructions, layouts, states, merges, millis, null);
        }
    }

    public record Result(List<Problem> problems, Stats stats) {
        public boolean valid() { return problems.isEmpty(); }
    }

    /**
     * Validates the program of {@code elf} (section for the policy's target) against {@code policy}. An object with
     * decision tables ({@link Tables}) gets the two-part proof for table programs.
     */
    public static Result validate(byte[] elf, ResolvedPolicy policy) {
        return new Session(policy).validate(elf);
    }

    /**
     * As {@link #validate(byte[], ResolvedPolicy)}, with a guess at the roots each family's table walk starts from (the
     * code generator's, in group order): part (a) of the proof starts on them at once, beside the walk proof, instead
     * of after it. Only a guess: part (a) is taken only if the proven walk has exactly those roots, and is otherwise
     * run again on the proven ones, so a wrong guess costs time, never soundness.
     */
    public static Result validate(byte[] elf, ResolvedPolicy policy, Map<io.portcullis.ir.Family, List<Long>> rootsGuess) {
        Session s = new Session(policy);
        s.rootsGuess = new java.util.TreeMap<>(rootsGuess); // family order, so part (a) is started in that order
        return s.validate(elf);
    }

    /** Validates decoded instructions (as the target's program) against {@code policy}. */
    public static Result validate(List<Insn> insns, ResolvedPolicy policy) {
        return new Session(policy).validate(insns);
    }

    /**
     * The frame space and the policy's sets, built once, for validating several programs against one policy (the
     * mutation test). Not thread-safe.
     */
    public static final class Session {
        private final ResolvedPolicy policy;
        private final FrameSpace fs;
        /** The frames the policy allows in the frame space (bit-level), built on first need: table programs do without. */
        private int expectAllow = -1;
        private final long allowCode, denyCode;
        private long setupMillis;
        private boolean first = true;
        /** See {@link TranslationValidator#validate(byte[], ResolvedPolicy, Map)}; empty: no guess. */
        private Map<io.portcullis.ir.Family, List<Long>> rootsGuess = Map.of();

        private final long nodeBudget;

        public Session(ResolvedPolicy policy) { this(policy, NODE_BUDGET); }

        /** {@code nodeBudget}: BDD nodes one validation may add before the program is refused as too complex. */
        public Session(ResolvedPolicy policy, long nodeBudget) {
            long t0 = System.nanoTime();
            this.nodeBudget = nodeBudget;
            this.policy = policy;
            Target target = policy.target();
            fs = new FrameSpace(FrameModel.layouts(target.ethernet()));
            allowCode = target.code(Action.ALLOW);
            denyCode = target.code(Action.DENY);
            setupMillis = ms(t0);
        }

        /** The policy's sets in the frame space; built below the first validation's mark, so they last. */
        private int expectAllow() {
            if (expectAllow < 0) {
                long t0 = System.nanoTime();
                Bdd bdd = fs.bdd;
                PolicySets sets = new PolicySets(fs.space, policy);
                int allowedPackets = bdd.and(fs.packets, sets.allowed());
                expectAllow = policy.nonIp() == Action.ALLOW ? bdd.or(allowedPackets, fs.nonIp) : allowedPackets;
                setupMillis += ms(t0);
            }
            return expectAllow;
        }

        /** The frames the policy allows, built now and not kept (for a table program that decides packets outside its tables). */
        private int policyAllowed(Bdd bdd) {
            if (expectAllow >= 0) return expectAllow;
            PolicySets sets = new PolicySets(fs.space, policy);
            int allowedPackets = bdd.and(fs.packets, sets.allowed());
            return policy.nonIp() == Action.ALLOW ? bdd.or(allowedPackets, fs.nonIp) : allowedPackets;
        }

        /** Validates the program of an object: the two-part proof when it has decision tables, else as below. */
        public Result validate(byte[] elf) {
            List<Insn> insns;
            io.portcullis.bpf.elf.ReadOnlyData data;
            Tables tables;
            try {
                ElfFile f = ElfFile.parse(elf);
                ElfFile.Section sec = f.sectionHeader(policy.target().section()).orElseThrow(() -> new IllegalArgumentException(
                        "the object has no program section '" + policy.target().section() + "'"));
                insns = Decoder.decode(f.contents(sec));
                data = io.portcullis.bpf.elf.ReadOnlyData.of(f, sec);
                tables = Tables.of(f, policy.rules().size());
            } catch (IllegalArgumentException e) {
                return new Result(List.of(new Problem(Kind.UNSUPPORTED, -1, "cannot read the program: " + e.getMessage(),
                        List.of())), new Stats(0, 0, 0, 0, 0));
            } catch (TvException e) {
                return new Result(List.of(new Problem(Kind.UNSUPPORTED, -1, "translation validation cannot analyse the "
                        + "program: " + e.getMessage(), List.of())), new Stats(0, 0, 0, 0, 0));
            }
            if (tables == null) return validate(insns, data);
            int mark = fs.bdd.mark();
            try {
                return new TableProof(this, insns, data, tables).run();
            } finally {
                fs.bdd.release(mark);
                fs.clearCaches();
            }
        }

        public Result validate(List<Insn> insns) { return validate(insns, io.portcullis.bpf.elf.ReadOnlyData.none()); }

        /** Validates instructions whose ld_imm64 may point into read-only data ({@code data}, from the object). */
        public Result validate(List<Insn> insns, io.portcullis.bpf.elf.ReadOnlyData data) {
            expectAllow();
            // Everything one validation adds to the node table is dropped afterwards (the frame space and the
            // policy's sets lie below the mark), so a session validating many programs stays small.
            int mark = fs.bdd.mark();
            try {
                return validateAbove(insns, data);
            } finally {
                fs.bdd.release(mark);
                fs.clearCaches();
            }
        }

        private Result validateAbove(List<Insn> insns, io.portcullis.bpf.elf.ReadOnlyData data) {
            // The first run's time includes building the frame space and the policy's sets.
            long t0 = System.nanoTime() - (first ? setupMillis * 1_000_000 : 0);
            first = false;
            int layouts = fs.layouts.size();
            Program prog;
            try {
                prog = new Program(insns);
                prog.data = data;
            } catch (TvException e) {
                return new Result(List.of(unsupported(e, insns)), new Stats(insns.size(), layouts, 0, 0, ms(t0)));
            }
            Bdd bdd = fs.bdd;
            Map<Long, Integer> wrong = new LinkedHashMap<>();   // (insn << 32 | value) -> frames with the wrong verdict
            Map<Integer, int[]> oob = new LinkedHashMap<>();    // insn -> frames read out of bounds
            Map<Integer, String> oobWhat = new LinkedHashMap<>();
            int[] covered = {Bdd.FALSE};
            Executor.Listener listener = new Executor.Listener() {
                @Override public void exit(int insn, long value, int set) {
                    covered[0] = bdd.or(covered[0], set);
                    int bad = value == allowCode ? bdd.diff(set, expectAllow)
                            : value == denyCode ? bdd.and(set, expectAllow) : set;
                    if (bad != Bdd.FALSE) wrong.merge((long) insn << 32 | value, bad, bdd::or);
                }

                @Override public void outOfBounds(int insn, int set, String what) {
                    int[] acc = oob.computeIfAbsent(insn, i -> new int[] {Bdd.FALSE});
                    acc[0] = bdd.or(acc[0], set);
                    oobWhat.putIfAbsent(insn, what);
                }
            };
            ContextOffsets ctx = ContextOffsets.of(policy.target());
            Executor ex = new Executor(prog, fs, ctx.data, ctx.dataEnd, ctx.len, listener, STATE_BUDGET);
            bdd.limitNodes((int) Math.min(Integer.MAX_VALUE - 1L, (long) bdd.nodeCount() + nodeBudget));
            try {
                ex.run(fs.all);
            } catch (TvException e) {
                return new Result(List.of(unsupported(e, insns)), new Stats(insns.size(), layouts, ex.statesRun, ex.merges, ms(t0)));
            } catch (Bdd.NodeLimitException e) {
                // Values that blow up (e.g. sums of unrelated header bytes) are refused, never passed as proven.
                TvException tooBig = new TvException("the program's values need " + e.getMessage() + " to represent", -1);
                return new Result(List.of(unsupported(tooBig, insns)), new Stats(insns.size(), layouts, ex.statesRun, ex.merges, ms(t0)));
            } finally {
                bdd.limitNodes(Integer.MAX_VALUE);
            }
            List<Problem> problems = new ArrayList<>();
            Witnesses w = new Witnesses(fs, prog, ctx, policy, allowCode, denyCode);
            for (Map.Entry<Integer, int[]> e : oob.entrySet()) {
                if (problems.size() >= 3) break;
                problems.add(w.problem(Kind.OUT_OF_BOUNDS, e.getKey(), -1, e.getValue()[0], oobWhat.get(e.getKey())));
            }
            List<Map.Entry<Long, Integer>> wrongs = new ArrayList<>(wrong.entrySet());
            wrongs.sort(Comparator.comparingLong(Map.Entry::getKey));
            for (Map.Entry<Long, Integer> e : wrongs) {
                if (problems.size() >= 5) break;
                problems.add(w.problem(Kind.MISMATCH, (int) (e.getKey() >>> 32), e.getKey() & 0xffffffffL, e.getValue(), null));
            }
            if (bdd.diff(fs.all, covered[0]) != Bdd.FALSE && problems.isEmpty()) {
                problems.add(new Problem(Kind.UNSUPPORTED, -1, "internal error: some frames reach no exit", List.of()));
            }
            return new Result(List.copyOf(problems), new Stats(insns.size(), layouts, ex.statesRun, ex.merges, ms(t0)));
        }
    }

    private static long ms(long t0) { return (System.nanoTime() - t0) / 1_000_000; }

    /**
     * The threads for part (a) of table proofs: one per family (there are two) where the machine has two processors.
     * Daemon threads with the checker workers' stack, idle between validations.
     */
    private static final java.util.concurrent.ExecutorService MEANING = java.util.concurrent.Executors.newFixedThreadPool(
            Math.min(2, Runtime.getRuntime().availableProcessors()),
            io.portcullis.space.Parallel.threads("portcullis-tv-tables"));

    /**
     * Part (a) of a table proof for one family: its findings (at most 5), or what stopped it (a {@link TvException},
     * or a runtime exception such as {@link Bdd.NodeLimitException}); the table nodes read, the checks made and the
     * processor time of the thread that did it.
     */
    private record Meaning(List<TableSemantics.Finding> findings, Exception failure, long nodes, long checks, long cpu) {
        static Meaning of(Session ss, Tables tables, io.portcullis.ir.Family family, List<Long> roots) {
            long c = WalkProof.cpu();
            TableSemantics sem = new TableSemantics(ss.policy, tables);
            try {
                sem.graph(family, roots);
                sem.space();
                sem.bdd().limitNodes((int) Math.min(Integer.MAX_VALUE - 1L, (long) sem.bdd().nodeCount() + ss.nodeBudget));
                List<TableSemantics.Finding> found = sem.check(family, 5);
                return new Meaning(found, null, sem.nodes(family), sem.checks, WalkProof.cpu() - c);
            } catch (TvException | RuntimeException e) {
                return new Meaning(List.of(), e, sem.nodes(family), sem.checks, WalkProof.cpu() - c);
            }
        }
    }

    /**
     * The two-part proof of a table program (README, "Translation validation"): the whole program runs symbolically as
     * for inline code until each walk has taken its first step ({@link Executor#handOff}); the rest of each walk is
     * proven against the tables segment by segment ({@link WalkProof}); the tables' meaning is compared with the
     * policy in the atoms space ({@link TableSemantics}).
     */
    private static final class TableProof {
        private final Session ss;
        private final List<Insn> insns;
        private final io.portcullis.bpf.elf.ReadOnlyData data;
        private final Tables tables;

        TableProof(Session ss, List<Insn> insns, io.portcullis.bpf.elf.ReadOnlyData data, Tables tables) {
            this.ss = ss;
            this.insns = insns;
            this.data = data;
            this.tables = tables;
        }

        Result run() {
            // Wall time from t0 (the first run's includes building the frame space), processor time from c0.
            long t0 = System.nanoTime() - (ss.first ? ss.setupMillis * 1_000_000 : 0);
            long c0 = WalkProof.cpu();
            ss.first = false;
            FrameSpace fs = ss.fs;
            Bdd bdd = fs.bdd;
            ResolvedPolicy policy = ss.policy;
            int layouts = fs.layouts.size();
            Program prog;
            try {
                prog = new Program(insns);
                prog.data = data;
            } catch (TvException e) {
                return new Result(List.of(unsupported(e, insns)), new Stats(insns.size(), layouts, 0, 0, ms(t0)));
            }
            List<long[]> exits = new ArrayList<>();
            Map<Integer, int[]> oob = new LinkedHashMap<>();
            Map<Integer, String> oobWhat = new LinkedHashMap<>();
            Executor.Listener listener = new Executor.Listener() {
                @Override public void exit(int insn, long value, int set) { exits.add(new long[] {insn, value, set}); }

                @Override public void outOfBounds(int insn, int set, String what) {
                    int[] acc = oob.computeIfAbsent(insn, i -> new int[] {Bdd.FALSE});
                    acc[0] = bdd.or(acc[0], set);
                    oobWhat.putIfAbsent(insn, what);
                }
            };
            ContextOffsets ctx = ContextOffsets.of(policy.target());
            Executor ex = new Executor(prog, fs, ctx.data, ctx.dataEnd, ctx.len, listener, 50L * STATE_BUDGET);
            ex.tables(tables);
            List<Object[]> taken = new ArrayList<>();
            // Each state is handed over where it first reaches code that reads the tables: the walk proof takes it from
            // there (the whole-program run never walks the tables itself).
            boolean[] tableBlocks = new boolean[prog.blockStart.length];
            for (int i = 0; i < insns.size(); i++) {
                io.portcullis.bpf.elf.ReadOnlyData.Ref ref = prog.readOnlyRef(i);
                if (ref != null && tables.isTable(data.regions().get(ref.region()).section())) tableBlocks[prog.block[i]] = true;
            }
            ex.handOff(tableBlocks, (b, s) -> {
                taken.add(new Object[] {b, s});
                return true;
            });
            Witnesses w = new Witnesses(fs, prog, ctx, policy, ss.allowCode, ss.denyCode);
            List<Problem> problems = new ArrayList<>();
            StringBuilder note = new StringBuilder();
            long tWalk = 0, tMeaning = 0;
            bdd.limitNodes((int) Math.min(Integer.MAX_VALUE - 1L, (long) bdd.nodeCount() + ss.nodeBudget));
            int base = bdd.mark();
            // Part (a) of a family needs only its walk's roots: it starts as soon as that walk is proven, in a space of
            // its own, on a thread beside the walks still to prove; or, given a guess at the roots, at once. A wrong
            // guess is cancelled (if running, it runs to its end on its thread and is dropped) and part (a) runs again.
            Map<io.portcullis.ir.Family, java.util.concurrent.Future<Meaning>> meanings = new java.util.TreeMap<>();
            Map<io.portcullis.ir.Family, java.util.concurrent.Future<Meaning>> early = new java.util.TreeMap<>();
            java.util.Set<io.portcullis.ir.Family> guessedRight = java.util.EnumSet.noneOf(io.portcullis.ir.Family.class);
            for (Map.Entry<io.portcullis.ir.Family, List<Long>> g : ss.rootsGuess.entrySet()) {
                io.portcullis.ir.Family f = g.getKey();
                List<Long> roots = g.getValue();
                if (!roots.isEmpty()) early.put(f, MEANING.submit(() -> Meaning.of(ss, tables, f, roots)));
            }
            try {
                // The parser, the keys and each walk's first step, on every frame.
                ex.run(fs.all);
                long t1 = WalkProof.cpu();
                int covered = Bdd.FALSE;
                for (Object[] t : taken) {
                    Executor.State s = (Executor.State) t[1];
                    covered = bdd.or(covered, bdd.and(s.set, s.real));
                }
                int expectNonIp = policy.nonIp() == Action.ALLOW ? fs.nonIp : Bdd.FALSE;
                int packetExits = Bdd.FALSE;
                Map<Long, Integer> wrong = new LinkedHashMap<>();
                for (long[] e : exits) {
                    int set = (int) e[2];
                    covered = bdd.or(covered, set);
                    if (bdd.intersects(set, fs.packets)) packetExits = bdd.or(packetExits, set);
                }
                // Frames that leave before any walk: malformed and non-IP frames against their fixed verdicts, and any
                // packet that gets a verdict outside the tables against the policy (whose sets are only built then).
                int expectAllow = packetExits == Bdd.FALSE ? expectNonIp : ss.policyAllowed(bdd);
                for (long[] e : exits) {
                    int set = (int) e[2];
                    long value = e[1];
                    int bad = value == ss.allowCode ? bdd.diff(set, expectAllow)
                            : value == ss.denyCode ? bdd.and(set, expectAllow) : set;
                    if (bad != Bdd.FALSE) wrong.merge(e[0] << 32 | value, bad, bdd::or);
                }
                for (Map.Entry<Integer, int[]> e : oob.entrySet()) {
                    if (problems.size() >= 3) break;
                    problems.add(w.problem(Kind.OUT_OF_BOUNDS, e.getKey(), -1, e.getValue()[0], oobWhat.get(e.getKey())));
                }
                for (Map.Entry<Long, Integer> e : wrong.entrySet()) {
                    if (problems.size() >= 5) break;
                    problems.add(w.problem(Kind.MISMATCH, (int) (e.getKey() >>> 32), e.getKey() & 0xffffffffL, e.getValue(), null));
                }
                if (bdd.diff(fs.all, covered) != Bdd.FALSE && problems.isEmpty()) {
                    problems.add(new Problem(Kind.UNSUPPORTED, -1, "internal error: some frames reach no exit", List.of()));
                }
                if (!problems.isEmpty()) return result(problems, prog, ex, t0, null);
                // (b) The rest of each walk follows the tables.
                Map<io.portcullis.ir.Family, WalkProof.Walk> walks = new java.util.TreeMap<>();
                for (Object[] t : taken) {
                    int b = (Integer) t[0];
                    Executor.State s = (Executor.State) t[1];
                    WalkProof wp = new WalkProof(prog, fs, ex, tables, ss.allowCode, ss.denyCode);
                    try {
                        WalkProof.Walk walk = wp.prove(b, s);
                        WalkProof.Walk other = walks.put(walk.family(), walk);
                        if (other != null && !other.roots().equals(walk.roots())) {
                            throw new TvException("the program walks the " + walk.family() + " tables from two sets of roots",
                                    prog.blockStart[b]);
                        }
                        if (other == null) {
                            java.util.concurrent.Future<Meaning> guessed = early.remove(walk.family());
                            if (guessed != null && walk.roots().equals(ss.rootsGuess.get(walk.family()))) {
                                meanings.put(walk.family(), guessed);
                                guessedRight.add(walk.family());
                            } else {
                                if (guessed != null) guessed.cancel(false);
                                meanings.put(walk.family(), MEANING.submit(() -> Meaning.of(ss, tables, walk.family(), walk.roots())));
                            }
                        }
                    } catch (WalkProof.FirstStepMismatch e) {
                        Problem p = w.mismatchIn(e.bad, 8, null);
                        problems.add(p != null ? p : new Problem(Kind.UNSUPPORTED, prog.blockStart[b],
                                "translation validation cannot analyse the program: " + e.getMessage()
                                + " (the verdicts agree on the frames tried)", List.of()));
                        return result(problems, prog, ex, t0, null);
                    }
                }
                long t2 = WalkProof.cpu();
                tWalk = t2 - t1;
                // The frame space's walk scratch is not needed any more (witnesses are built afresh).
                taken.clear();
                bdd.release(base);
                fs.clearCaches();
                // (a) The tables' meaning is the policy's. Each family in a space of its own (the policy's boundaries
                // and that family's interval starts are every boundary its sets name), started above.
                List<WalkProof.Walk> ws = new ArrayList<>(walks.values());
                Meaning[] meant = new Meaning[ws.size()];
                for (int k = 0; k < ws.size(); k++) {
                    meant[k] = io.portcullis.space.Parallel.get(meanings.get(ws.get(k).family()));
                }
                long nodesRead = 0, checks = 0;
                for (int k = 0; k < ws.size(); k++) {
                    // The first failure in family order, as when the families ran one after the other.
                    if (meant[k].failure() instanceof TvException e) throw e;
                    if (meant[k].failure() instanceof RuntimeException e) throw e;
                }
                for (int k = 0; k < ws.size(); k++) {
                    WalkProof.Walk walk = ws.get(k);
                    for (TableSemantics.Finding f : meant[k].findings()) {
                        if (f.mismatch()) {
                            int frames = bdd.and(fs.all, bdd.and(fs.packets, fs.space.packet(f.packet())));
                            Problem p = w.mismatchIn(frames, 4, "tables: " + f.message());
                            if (p != null) {
                                problems.add(p);
                                continue;
                            }
                        }
                        problems.add(new Problem(Kind.UNSUPPORTED, -1, "translation validation cannot analyse the "
                                + "program: " + f.message(), List.of()));
                    }
                    note.append(String.format("%s: %d groups, %d segments, %d node runs; ", walk.family(),
                            walk.roots().size(), walk.segments(), walk.nodeRuns()));
                    nodesRead += meant[k].nodes();
                    checks += meant[k].checks();
                    tMeaning += meant[k].cpu();
                }
                if (!guessedRight.isEmpty()) {
                    note.append("part (a) started on the guessed roots of ")
                            .append(String.join(", ", guessedRight.stream().map(Object::toString).toList())).append("; ");
                }
                note.append(String.format("%d table nodes read, %d checks; processor time: parser and keys %d ms, walk %d ms, "
                        + "tables vs policy %d ms", nodesRead, checks, (t1 - c0) / 1_000_000, tWalk / 1_000_000,
                        tMeaning / 1_000_000));
                return result(problems, prog, ex, t0, note.toString());
            } catch (TvException e) {
                return result(List.of(unsupported(e, insns)), prog, ex, t0, null);
            } catch (Bdd.NodeLimitException e) {
                TvException tooBig = new TvException("the program's values need " + e.getMessage() + " to represent", -1);
                return result(List.of(unsupported(tooBig, insns)), prog, ex, t0, null);
            } finally {
                bdd.limitNodes(Integer.MAX_VALUE);
                // A proof that stopped early drops part (a) of its families (one not begun yet is not begun).
                for (java.util.concurrent.Future<Meaning> f : meanings.values()) f.cancel(false);
                for (java.util.concurrent.Future<Meaning> f : early.values()) f.cancel(false);
            }
        }

        private Result result(List<Problem> problems, Program prog, Executor ex, long t0, String note) {
            return new Result(List.copyOf(problems), new Stats(insns.size(), ss.fs.layouts.size(), ex.statesRun, ex.merges,
                    ms(t0), note));
        }
    }

    private static Problem unsupported(TvException e, List<Insn> insns) {
        int slot = 0;
        for (int i = 0; i < e.insn() && i < insns.size(); i++) slot += insns.get(i).width();
        String at = e.insn() >= 0 && e.insn() < insns.size()
                ? " (instruction " + slot + ": " + Disassembler.format(insns.get(e.insn())) + ")" : "";
        return new Problem(Kind.UNSUPPORTED, e.insn(), "translation validation cannot analyse the program: "
                + e.getMessage() + at, List.of());
    }

    /** Where the packet pointers are in the target's context. */
    record ContextOffsets(int data, int dataEnd, int len) {
        static ContextOffsets of(Target t) {
            // struct xdp_md { __u32 data; __u32 data_end; }; struct __sk_buff: len at 0, data at 76, data_end at 80.
            return t == Target.XDP ? new ContextOffsets(0, 4, -1) : new ContextOffsets(76, 80, 0);
        }
    }

    /** Turns a set of bad frames into a readable witness: one frame, both verdicts, the rule, the path. */
    private static final class Witnesses {
        private final FrameSpace fs;
        private final Program prog;
        private final ContextOffsets ctx;
        private final ResolvedPolicy policy;
        private final long allowCode, denyCode;
        private final List<Integer> preference = new ArrayList<>();

        Witnesses(FrameSpace fs, Program prog, ContextOffsets ctx, ResolvedPolicy policy, long allowCode, long denyCode) {
            this.fs = fs;
            this.prog = prog;
            this.ctx = ctx;
            this.policy = policy;
            this.allowCode = allowCode;
            this.denyCode = denyCode;
            for (int i = 0; i < fs.layouts.size(); i++) preference.add(i);
            preference.sort(Comparator.comparingInt((Integer i) -> fs.layouts.get(i).length()));
        }

        /** One frame of {@code bad}: a well-formed packet if any, the layout with the fewest fixed bytes, shortest. */
        boolean[] pick(int bad) {
            Bdd bdd = fs.bdd;
            int s = bad;
            int wellFormed = bdd.and(bad, fs.packets);
            if (wellFormed != Bdd.FALSE) s = wellFormed;
            for (int id : preference) {
                int t = bdd.and(s, fs.minterm[id]);
                if (t != Bdd.FALSE) {
                    s = t;
                    break;
                }
            }
            s = fs.shortest(s);
            Packet p = fs.space.witness(s);
            int withPacket = bdd.and(s, fs.space.packet(p));
            return bdd.anySat(withPacket != Bdd.FALSE ? withPacket : s);
        }

        /** The verdict code the reference semantics gives the frame of a point. */
        long expectedCode(boolean[] point) {
            Expect expect = fs.expectOf(point);
            Action a = switch (expect) {
                case PACKET -> Evaluator.evaluate(policy, fs.space.witness(fs.cube(point))).action();
                case MALFORMED -> Action.DENY;
                default -> policy.nonIp();
            };
            return a == Action.ALLOW ? allowCode : denyCode;
        }

        /** Runs the program on the frame of one point: {exit instruction, returned value}, or null. */
        long[] runOn(boolean[] point) {
            long[] out = new long[2];
            boolean[] exited = new boolean[1];
            Executor.Listener capture = new Executor.Listener() {
                @Override public void exit(int insn, long value, int set) {
                    out[0] = insn;
                    out[1] = value;
                    exited[0] = true;
                }
                @Override public void outOfBounds(int insn, int set, String what) { }
            };
            Executor ex = new Executor(prog, fs, ctx.data, ctx.dataEnd, ctx.len, capture, STATE_BUDGET);
            try {
                ex.run(fs.cube(point));
            } catch (TvException e) {
                return null;
            }
            return exited[0] ? out : null;
        }

        /**
         * A mismatch on a frame of {@code frames}: up to {@code tries} frames are run; the first whose returned value is
         * not the reference verdict is the witness. Null when none is found.
         */
        Problem mismatchIn(int frames, int tries, String note) {
            Bdd bdd = fs.bdd;
            int s = frames;
            for (int t = 0; t < tries && s != Bdd.FALSE; t++) {
                boolean[] point = pick(s);
                long[] run = runOn(point);
                if (run != null && run[1] != expectedCode(point)) {
                    Problem p = problem(Kind.MISMATCH, (int) run[0], run[1], fs.cube(point), null);
                    if (note == null) return p;
                    List<String> d = new ArrayList<>(p.details());
                    d.add(note);
                    return new Problem(p.kind(), p.insn(), p.message(), List.copyOf(d));
                }
                s = bdd.diff(s, fs.cube(point));
            }
            return null;
        }

        Problem problem(Kind kind, int insn, long value, int bad, String what) {
            Bdd bdd = fs.bdd;
            // Prefer a well-formed packet, then the layout with the fewest fixed bytes, then the shortest frame.
            boolean[] point = pick(bad);
            Layout layout = fs.layouts.get(fs.layoutOf(point));
            byte[] frame = fs.frameOf(point);
            Packet packet = fs.space.witness(fs.cube(point));
            List<String> details = new ArrayList<>();
            String expected;
            Expect expect = fs.expectOf(point);
            switch (expect) {
                case PACKET -> {
                    Evaluator.Decision d = Evaluator.evaluate(policy, packet);
                    String by = d.ruleIndex() < 0 ? "the default (line " + policy.defaultSpan().line() + ")"
                            : rule(policy.rules().get(d.ruleIndex()));
                    expected = verb(d.action()) + " by " + by;
                    details.add("witness packet: " + packet);
                }
                case MALFORMED -> expected = "deny (a malformed frame is dropped)";
                default -> expected = verb(policy.nonIp()) + " (the non-ip verdict)";
            }
            String lengths = (layout.expect == Expect.PACKET ? ", " + (layout.family == 1 ? "payload" : "total")
                    + " length " + fs.ipLengthOf(point) : "") + ", " + frame.length + "-byte frame";
            details.add("witness frame: " + layout.what + lengths + ": " + hex(frame));
            // Slot numbers, as in Disassembler.listing (a 64-bit immediate load takes two slots).
            String insnText = insn >= 0 ? prog.slot[insn] + ": " + Disassembler.format(prog.insns.get(insn)) : "?";
            String message;
            if (kind == Kind.MISMATCH) {
                message = "the program returns " + value + " (" + verdictName(value) + ") where the policy says "
                        + expected;
                details.add("program: returns at instruction " + insnText);
            } else {
                message = "the program reads outside the frame: " + what;
                details.add("program: reads at instruction " + insnText + "; the policy says " + expected);
            }
            details.add("path: " + path(point));
            return new Problem(kind, insn, message, List.copyOf(details));
        }

        private String verdictName(long v) {
            if (v == allowCode) return "allow";
            if (v == denyCode) return "deny";
            return "not a verdict of target " + policy.target().syntax();
        }

        private static String verb(Action a) { return a == Action.ALLOW ? "allow" : "deny"; }

        private static String rule(ResolvedRule r) {
            return "rule '" + r.displayName() + "' (" + (r.span() == null ? "?" : r.span().location()) + ")";
        }

        private String path(boolean[] point) {
            List<Integer> blocks = new ArrayList<>();
            Executor.Listener quiet = new Executor.Listener() {
                @Override public void exit(int insn, long value, int set) { }
                @Override public void outOfBounds(int insn, int set, String what) { }
            };
            Executor ex = new Executor(prog, fs, ctx.data, ctx.dataEnd, ctx.len, quiet, STATE_BUDGET);
            ex.trace(blocks);
            try {
                ex.run(fs.cube(point));
            } catch (TvException e) {
                return "(not available: " + e.getMessage() + ")";
            }
            StringBuilder sb = new StringBuilder("instructions ");
            int shown = 0;
            for (int b : blocks) {
                if (shown++ > 0) sb.append(", ");
                if (shown > 40) {
                    sb.append("... (").append(blocks.size() - 40).append(" more blocks)");
                    break;
                }
                int from = prog.slot[prog.blockStart[b]], to = prog.slot[prog.blockEnd[b] - 1];
                sb.append(from == to ? String.valueOf(from) : from + "-" + to);
            }
            return sb.toString();
        }

        private static String hex(byte[] b) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < b.length; i++) {
                if (i > 0) sb.append(' ');
                sb.append(String.format("%02x", b[i] & 0xff));
            }
            return b.length == 0 ? "(empty)" : sb.toString();
        }
    }
}
