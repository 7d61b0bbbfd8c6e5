package io.portcullis.check;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Diagnostic.Related;
import io.portcullis.diag.Severity;
import io.portcullis.diag.Span;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Assertion;
import io.portcullis.ir.Expect;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.space.Atoms;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PolicySets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Consistency, expects, asserts and guards, decided exactly over packet sets (see {@link PacketSpace}).
 *
 * <p>For every rule, the packets it decides are its match minus every earlier match that can overlap it
 * ({@link io.portcullis.space.PolicySets}), so a rule covered only by the union of several earlier rules is found. A
 * rule is redundant when the rest of the policy gives the packets it decides the same verdict; asserts and guards
 * ask the same of the packets they describe. Both walk only the rules that can touch those packets.
 */
public final class Checker {
    private Checker() {}

    /** How many deciding rules a finding lists at most. */
    static final int MAX_RELATED = 8;

    /** Every finding for {@code policy} with its default severity, waivers applied (waived findings kept, marked). */
    public static List<Diagnostic> check(ResolvedPolicy policy, List<ResolvedGuard> guards, LocalDate today) {
        return check(policy, guards, today, CheckConfig.DEFAULTS);
    }

    /** As {@link #check(ResolvedPolicy, List, LocalDate)}, with the organisation's settings. */
    public static List<Diagnostic> check(ResolvedPolicy policy, List<ResolvedGuard> guards, LocalDate today,
                                         CheckConfig config) {
        return check(policy, guards, today, config, threads(), PolicySets.BLOCK, BLOCK);
    }

    /**
     * As {@link #check(ResolvedPolicy, List, LocalDate, CheckConfig)} on {@code threads} threads, handing out the
     * decided sets in blocks of {@code sweepBlock} rules and the per-rule findings in blocks of {@code ruleBlock}.
     */
    static List<Diagnostic> check(ResolvedPolicy policy, List<ResolvedGuard> guards, LocalDate today,
                                  CheckConfig config, int threads, int sweepBlock, int ruleBlock) {
        Run run = new Run(new PolicySets(space(policy, guards, config), policy, threads, sweepBlock), today, threads,
                ruleBlock, config);
        List<Diagnostic> raw = new ArrayList<>(run.run(guards));
        raw.addAll(run.unsafe);
        return Waivers.apply(policy, raw, today, config);
    }

    /**
     * The packet space of one check: address and port fields compressed over the boundaries that the rules, asserts,
     * guards and the unsafe-policy checks name (see {@link Atoms}), so that every set the check builds is exact.
     */
    static PacketSpace space(ResolvedPolicy policy, List<ResolvedGuard> guards, CheckConfig config) {
        Atoms.Builder b = Atoms.builder();
        for (ResolvedRule r : policy.rules()) b.match(r.match());
        for (Assertion a : policy.asserts()) b.match(a.match());
        for (ResolvedGuard g : guards) for (Assertion a : g.asserts()) b.match(a.match());
        Unsafe.boundaries(policy, config, b);
        return PacketSpace.compressed(b);
    }

    /**
     * Threads for the decided sets and the per-rule findings: {@code -Dportcullis.threads=N}, by default one per
     * processor up to {@link #MAX_DEFAULT_THREADS} (each thread holds an operation cache of its own, up to 32 MB). The
     * findings do not depend on it: each rule's are computed from the same sets and put in rule order.
     */
    static int threads() {
        int cores = Math.min(MAX_DEFAULT_THREADS, Runtime.getRuntime().availableProcessors());
        return Math.max(1, Integer.getInteger("portcullis.threads", cores));
    }

    static final int MAX_DEFAULT_THREADS = 4;

    /** Rules per unit of work handed to a thread: small enough to balance, large enough that handing out is cheap. */
    private static final int BLOCK = 64;

    private static final class Run {
        final ResolvedPolicy policy;
        final LocalDate today;
        final PacketSpace space;
        final Bdd bdd;
        final PolicySets sets;
        final List<ResolvedRule> rules;
        final int n;
        final int[] match, decided;
        final int threads, block;
        final CheckConfig config;
        final List<Diagnostic> out = new ArrayList<>();
        /** The unsafe-policy findings ({@link Unsafe}), computed beside the per-rule ones. */
        List<Diagnostic> unsafe;

        Run(PolicySets sets, LocalDate today, int threads, int block, CheckConfig config) {
            this.threads = threads;
            this.block = block;
            this.config = config;
            this.policy = sets.policy();
            this.space = sets.space();
            this.bdd = space.bdd();
            this.today = today;
            this.rules = policy.rules();
            this.n = rules.size();
            this.match = new int[n];
            this.decided = new int[n];
            this.sets = sets;
            for (int i = 0; i < n; i++) {
                match[i] = sets.match(i);
                decided[i] = sets.decided(i);
            }
        }

        List<Diagnostic> run(List<ResolvedGuard> guards) {
            perRule();
            for (Expect e : policy.expects()) expect(e);
            for (Assertion a : policy.asserts()) property(a, Codes.ASSERT, null);
            for (ResolvedGuard g : guards) {
                for (Assertion a : g.asserts()) property(a, Codes.GUARD, g.name());
            }
            return out;
        }

        /**
         * The findings about each rule on its own (empty, conflict, shadowed, correlation, then redundant), in rule
         * order. They only read the finished sets, so with several threads each works in an overlay of the package
         * (see {@link Bdd#overlay()}), and the results are put back in order.
         */
        private void perRule() {
            List<List<Diagnostic>> forward = new ArrayList<>(java.util.Collections.nCopies(n, null));
            List<List<Diagnostic>> backward = new ArrayList<>(java.util.Collections.nCopies(n, null));
            int threads = Math.min(this.threads, (n + block - 1) / block);
            if (threads <= 1) {
                Worker w = new Worker(space);
                for (int i = 0; i < n; i++) {
                    forward.set(i, w.forward(i));
                    backward.set(i, w.backward(i));
                }
                unsafe = Unsafe.check(sets, config);
            } else {
                java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
                io.portcullis.space.Parallel.onFrozen(bdd, threads, id -> {
                    Worker w = new Worker(space.on(bdd.overlay()));
                    // The calling thread (0) also does the unsafe-policy checks, in its own overlay.
                    if (id == 0) unsafe = Unsafe.check(sets, config, w.space);
                    for (int b; (b = next.getAndIncrement() * block) < n; ) {
                        for (int i = b; i < Math.min(n, b + block); i++) {
                            forward.set(i, w.forward(i));
                            backward.set(i, w.backward(i));
                        }
                    }
                });
            }
            for (List<Diagnostic> d : forward) out.addAll(d);
            for (List<Diagnostic> d : backward) out.addAll(d);
        }

        /** The per-rule findings, computed in one package (the run's own, or a thread's overlay of it). */
        private final class Worker {
            final PacketSpace space;
            final Bdd bdd;
            List<Diagnostic> found;

            Worker(PacketSpace space) {
                this.space = space;
                this.bdd = space.bdd();
            }

            /** empty, conflict, shadowed or correlation for rule {@code i}. */
            List<Diagnostic> forward(int i) {
                found = new ArrayList<>(1);
                ResolvedRule r = rules.get(i);
                String walked = walkedHeader(r);
                if (match[i] == Bdd.FALSE) {
                    add(found, r, Codes.EMPTY, "rule " + name(r) + " matches no packet at all",
                            walked != null ? "its IPv6 addresses cannot go with protocol " + walked + ", which IPv6 packets"
                                    + " never have (Portcullis walks the extension headers and matches the protocol after"
                                    + " them); fix or delete the rule"
                                    : "its parts cannot hold together (for example IPv4 sources with IPv6 destinations, or"
                                    + " an except that removes everything); fix or delete the rule", List.of(), null);
                } else {
                    if (walked != null && !r.match().src().isEmpty(Family.IPV6) && !r.match().dst().isEmpty(Family.IPV6)) {
                        add(found, r, Codes.IPV6_EXTENSION_HEADER, "rule " + name(r) + " names protocol " + walked
                                        + ", which no IPv6 packet has: Portcullis walks IPv6 extension headers and matches"
                                        + " the protocol after them, so the rule matches IPv4 packets only",
                                "match the protocol that follows the extension headers, or write IPv4 addresses to say"
                                        + " that the rule is for IPv4", List.of(), space.witness(match[i]));
                    }
                    // Findings keep packets, not sets: every node made for this rule can go (see Bdd#release).
                    int mark = bdd.mark();
                    // The earlier rules that decide packets are enough: a rule that decides nothing is no decider,
                    // and the first rule to match a packet decides it.
                    int[] cands = sets.earlierDeciding(i);
                    if (decided[i] == Bdd.FALSE) dead(i, cands);
                    else correlation(i, cands);
                    bdd.release(mark);
                }
                return found;
            }

            /**
             * Rule {@code i} never takes effect. Names a minimal set of earlier rules that together cover it (always
             * with the rule that decides the witness: for a conflict, the first earlier rule of the opposite action
             * that decides some of its packets), and for a conflict checks exactly that moving it above that rule
             * would change the verdict of some packet.
             */
            private void dead(int i, int[] cands) {
                ResolvedRule r = rules.get(i);
                // The rules up to sets.coveredBy(i) already match all of r, so no later rule decides any of its packets.
                int end = sets.coveredBy(i);
                int k = 0;
                while (k < cands.length && cands[k] <= end) k++;
                Deciders deciders = new Deciders(i, java.util.Arrays.copyOf(cands, k));
                int opposite = -1;
                for (int j : deciders.cands) {
                    if (rules.get(j).action() != r.action() && deciders.test(j)) {
                        opposite = j;
                        break;
                    }
                }
                if (opposite >= 0) {
                    ResolvedRule o = rules.get(opposite);
                    Packet w = space.witness(bdd.and(decided[opposite], match[i]));
                    List<Integer> cover = cover(i, deciders, opposite);
                    // Moving r above o always gives it effect, so that fix is always offered. It changes the verdict of
                    // the packets of r that get the opposite verdict and that no rule above o matches, and that set is
                    // never empty: it holds decided(o) & match(r), which is not empty (o decides some of r's packets)
                    // and which no rule above o matches (decided(o) is o's match minus every earlier match). So it is
                    // not built.
                    int swallows = swallower(i, cover);
                    List<String> fixes = new ArrayList<>();
                    fixes.add("move it above " + name(o));
                    if (swallows >= 0) fixes.add("narrow " + name(rules.get(swallows)) + " (it swallows " + name(r) + ")");
                    add(found, r, Codes.CONFLICT, "rule " + name(r) + " (" + r.action().label() + ") never takes effect: "
                                    + describe(cover) + (cover.size() == 1 ? " already decides" : " together already decide")
                                    + " every packet it matches, and " + name(o) + " " + verb(o.action()) + " some of them",
                            "if " + name(r) + " states the intent, " + String.join(" or ", fixes)
                                    + "; otherwise delete it (it is dead code)", related(cover, opposite), w);
                } else {
                    Packet w = space.witness(match[i]);
                    int first = firstMatching(cands, w, -1, i);
                    List<Integer> cover = cover(i, deciders, first);
                    add(found, r, Codes.SHADOWED, "rule " + name(r) + " never takes effect: " + describe(cover)
                                    + " already " + (cover.size() == 1 ? verb(r.action()) : r.action().label())
                                    + " every packet it matches", "delete it (it is dead code: every packet it matches"
                                    + " already gets " + r.action().label() + ")",
                            related(cover, first), w);
                }
            }

            /**
             * The earlier rules that decide some packets of rule {@code i} (the deciders), among its candidates, asked
             * one at a time and remembered: a dead rule has hundreds of candidates in a large policy, and the cover
             * usually needs to ask about a few of them. Asking matches first is cheap (a match is a small diagram, a
             * decided set often a large one) and settles most of them.
             */
            private final class Deciders {
                final int i;
                final int[] cands;
                final byte[] known;

                Deciders(int i, int[] cands) {
                    this.i = i;
                    this.cands = cands;
                    this.known = new byte[cands.length];
                }

                /** Whether candidate {@code j} (one of {@link #cands}) decides some packet of rule i. */
                boolean test(int j) {
                    int k = java.util.Arrays.binarySearch(cands, j);
                    if (known[k] == 0) {
                        boolean yes = bdd.intersects(match[j], match[i]) && bdd.intersects(decided[j], match[i]);
                        known[k] = (byte) (yes ? 1 : 2);
                    }
                    return known[k] == 1;
                }
            }

            /**
             * A minimal set of the deciders whose matches together cover rule {@code i}, containing {@code forced}:
             * removing any other member leaves some packet of the rule uncovered. Greedy, then one pruning pass from
             * the front (a member kept there is needed by the final set too, since that set is smaller). Each
             * candidate is first tested against what is left to cover, and asked whether it decides only then.
             */
            private List<Integer> cover(int i, Deciders deciders, int forced) {
                int target = match[i];
                int covered = bdd.and(match[forced], target);
                List<Integer> chosen = new ArrayList<>();
                chosen.add(forced);
                if (covered != target) {
                    // A single rule covering the rest is the most readable cover.
                    int rest = bdd.diff(target, covered);
                    for (int j : deciders.cands) {
                        if (j != forced && bdd.subset(rest, match[j]) && deciders.test(j)) {
                            chosen.add(j);
                            covered = target;
                            break;
                        }
                    }
                }
                for (int j : deciders.cands) {
                    if (covered == target) break;
                    if (j == forced || !bdd.intersects(match[j], bdd.diff(target, covered)) || !deciders.test(j)) continue;
                    chosen.add(j);
                    covered = bdd.or(covered, bdd.and(match[j], target));
                }
                int m = chosen.size();
                int[] after = new int[m + 1];
                after[m] = Bdd.FALSE;
                for (int k = m - 1; k >= 0; k--) after[k] = bdd.or(after[k + 1], bdd.and(match[chosen.get(k)], target));
                List<Integer> kept = new ArrayList<>();
                int keptUnion = Bdd.FALSE;
                for (int k = 0; k < m; k++) {
                    int j = chosen.get(k);
                    if (j != forced && bdd.subset(target, bdd.or(keptUnion, after[k + 1]))) continue;
                    kept.add(j);
                    keptUnion = bdd.or(keptUnion, bdd.and(match[j], target));
                }
                kept.sort(null);
                return kept;
            }

            /** The member of the cover that alone matches every packet of rule {@code i}, or -1. */
            private int swallower(int i, List<Integer> cover) {
                for (int j : cover) if (bdd.subset(match[i], match[j])) return j;
                return -1;
            }

            /** Earlier rules of the opposite action that decide some of rule {@code i}'s packets, partially overlapping it. */
            private void correlation(int i, int[] cands) {
                ResolvedRule r = rules.get(i);
                List<Integer> overlaps = new ArrayList<>();
                for (int j : cands) {
                    if (rules.get(j).action() == r.action() || decided[j] == Bdd.FALSE) continue;
                    // Matches first: small diagrams, where decided sets can be large.
                    if (bdd.subset(match[j], match[i])) continue; // j is a narrower exception carved out of i: intended
                    if (!bdd.intersects(match[j], match[i]) || !bdd.intersects(decided[j], match[i])) continue;
                    overlaps.add(j);
                }
                if (overlaps.isEmpty()) return;
                int j = overlaps.get(0);
                ResolvedRule o = rules.get(j);
                Packet w = space.witness(bdd.and(decided[j], match[i]));
                add(found, r, Codes.CORRELATION, "rule " + name(r) + " (" + r.action().label() + ") partially overlaps "
                                + describe(overlaps) + " with the opposite action; order decides the overlap: this packet"
                                + " gets " + o.action().label() + " (by " + name(o) + "), and would get "
                                + r.action().label() + " if " + name(r) + " came first",
                        "check that " + name(o) + " above " + name(r) + " is the intended order", related(overlaps, j), w);
            }

            /** redundant for rule {@code i}: what the rest of the policy gives the packets it decides. */
            List<Diagnostic> backward(int i) {
                if (decided[i] == Bdd.FALSE) return List.of();
                ResolvedRule r = rules.get(i);
                // What the rest of the policy gives the packets rule i decides, from the later rules that overlap it.
                int mark = bdd.mark();
                boolean same = sets.decidedAlike(bdd, decided[i], sets.overlappingLater(i), i + 1, r.action());
                Packet w = same ? space.witness(decided[i]) : null;
                bdd.release(mark);
                if (!same) return List.of();
                int next = firstMatching(sets.containing(w), w, i, n);
                List<Related> rel = List.of(relatedOf(next));
                List<Diagnostic> d = new ArrayList<>(1);
                add(d, r, Codes.REDUNDANT, "rule " + name(r) + " is redundant: every packet it decides would get "
                                + r.action().label() + " anyway from " + (next < 0 ? "the default" : "later rules, e.g. "
                                + name(rules.get(next))),
                        "delete it, or keep it deliberately and waive this finding", rel, w);
                return d;
            }
        }

        /** "44 (the IPv6 fragment header)" when a clause of {@code r} names an IPv6 extension header, else null. */
        private static String walkedHeader(ResolvedRule r) {
            for (io.portcullis.ir.ProtoClause c : r.match().protos()) {
                String h = io.portcullis.ir.ProtoClause.ipv6ExtensionHeader(c.proto());
                if (h != null) return c.proto() + " (the IPv6 " + h + " header)";
            }
            return null;
        }

        /** The first rule of {@code cands} (ascending) in [from+1, to) that matches {@code p}; -1 for none. */
        private int firstMatching(int[] cands, Packet p, int from, int to) {
            for (int j : cands) {
                if (j > from && j < to && Evaluator.matches(rules.get(j).match(), p)) return j;
            }
            return -1;
        }

        private void expect(Expect e) {
            Evaluator.Decision d = Evaluator.evaluate(policy, e.packet());
            if (d.action() == e.action()) return;
            out.add(new Diagnostic(Codes.EXPECT, Codes.defaultSeverity(Codes.EXPECT), e.span(),
                    "expected " + e.action().label() + " but policy '" + policy.name() + "' gives " + d.action().label()
                            + " (" + (d.ruleIndex() < 0 ? "by its default" : "by rule " + name(rules.get(d.ruleIndex()))) + ")",
                    d.ruleIndex() < 0 ? "add a rule that " + verb(e.action()) + " this packet, or fix the expect"
                            : "change or reorder " + name(rules.get(d.ruleIndex())) + ", or fix the expect",
                    policy.name(), null, List.of(relatedOf(d.ruleIndex())), e.packet(), null));
        }

        /** {@code assert allow|deny MATCH}: checked over all packets the match describes. */
        private void property(Assertion a, String code, String guard) {
            int mark = bdd.mark();
            int set = space.match(a.match());
            int allowed = sets.allowedWithin(set, sets.overlapping(a.match()), 0);
            int bad = a.action() == Action.ALLOW ? bdd.diff(set, allowed) : allowed;
            Packet w = space.witness(bad);
            bdd.release(mark);
            if (w == null) return;
            Evaluator.Decision d = Evaluator.evaluate(policy, w);
            String who = d.ruleIndex() < 0 ? "its default" : "rule " + name(rules.get(d.ruleIndex()));
            String what = guard == null ? "assert" : "guard '" + guard + "'";
            out.add(new Diagnostic(code, Codes.defaultSeverity(code), a.span(),
                    what + " `" + a.action().label() + " " + a.text() + "` does not hold for policy '" + policy.name()
                            + "': this packet gets " + d.action().label() + " by " + who,
                    d.ruleIndex() < 0 ? "add a rule that " + verb(a.action()) + " these packets"
                            : "narrow or reorder " + name(rules.get(d.ruleIndex())),
                    policy.name(), null, List.of(relatedOf(d.ruleIndex())), w, null));
        }

        private void add(List<Diagnostic> to, ResolvedRule r, String code, String message, String help,
                         List<Related> related, Packet w) {
            to.add(new Diagnostic(code, Codes.defaultSeverity(code), r.span(), message, help, policy.name(),
                    r.label(), related, w, null));
        }

        /** "allows" or "denies". */
        private static String verb(Action a) { return a == Action.ALLOW ? "allows" : "denies"; }

        private String name(ResolvedRule r) {
            return r.label() != null ? "'" + r.label() + "'" : "#" + (r.index() + 1) + " (line " + r.span().line() + ")";
        }

        private String describe(List<Integer> idx) {
            List<String> names = new ArrayList<>();
            for (int k = 0; k < idx.size() && k < MAX_RELATED; k++) names.add(name(rules.get(idx.get(k))));
            String s = String.join(", ", names) + (idx.size() > MAX_RELATED ? " and " + (idx.size() - MAX_RELATED) + " more" : "");
            return (idx.size() == 1 ? "rule " : "rules ") + s;
        }

        /** The rules deciding a finding, the one that decides the witness first. */
        private List<Related> related(List<Integer> idx, int first) {
            List<Related> rel = new ArrayList<>();
            if (first >= 0 && idx.contains(first)) rel.add(relatedOf(first));
            for (int j : idx) {
                if (rel.size() >= MAX_RELATED) break;
                if (j != first) rel.add(relatedOf(j));
            }
            return rel;
        }

        private Related relatedOf(int i) {
            if (i < 0) {
                Span s = policy.defaultSpan();
                return new Related(null, s == null ? 0 : s.line(), -1, "default " + policy.defaultAction().label());
            }
            ResolvedRule r = rules.get(i);
            return new Related(r.label(), r.span().line(), i, r.action().label() + " " + r.displayName());
        }
    }

    /** Severity helper for callers that filter. */
    public static boolean isError(Diagnostic d) { return d.severity() == Severity.ERROR && !d.isWaived(); }
}
