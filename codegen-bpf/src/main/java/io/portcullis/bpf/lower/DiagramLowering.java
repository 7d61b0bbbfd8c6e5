package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.bpf.lower.DecisionDiagram.Dim;
import io.portcullis.bpf.lower.DecisionDiagram.Node;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpFlag;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits a {@link DecisionDiagram} as code: each node is a balanced tree of unsigned compares against its interval
 * starts (constants in the instructions, so no maps and no relocations), each shared node one block that every parent
 * jumps to. With one group a leaf returns its verdict; with several, a leaf keeps the smallest rule index seen and the
 * last step maps that index to its action by the same kind of search over runs of equal actions.
 */
final class DiagramLowering {
    /** {@code established}: ACK or RST set; their bit positions in the TCP flags byte (the separate layout). */
    private static final int ACK_SHIFT = Integer.numberOfTrailingZeros(TcpFlag.ACK.bit()),
            RST_SHIFT = Integer.numberOfTrailingZeros(TcpFlag.RST.bit());

    private final Ir ir;
    private final Family family;
    private final Target target;
    private final List<ResolvedRule> rules;
    private final Action defaultAction;
    private final LLVMValueRef[] values = new LLVMValueRef[DecisionDiagram.DIMS];
    private final boolean[] wide = new boolean[DecisionDiagram.DIMS];
    private Fields fields;
    private LLVMValueRef zero;
    /** The packed non-address keys of the group being emitted (see {@link #meta}). */
    private LLVMValueRef meta;

    private final io.portcullis.diag.Span policySpan, defaultSpan;

    private DiagramLowering(Ir ir, Family family, ResolvedPolicy policy) {
        this(ir, family, policy.target(), policy.rules(), policy.defaultAction(), policy.span(),
                policy.defaultSpan() != null ? policy.defaultSpan() : policy.span());
    }

    private DiagramLowering(Ir ir, Family family, Target target, List<ResolvedRule> rules, Action defaultAction,
                            io.portcullis.diag.Span policySpan, io.portcullis.diag.Span defaultSpan) {
        this.policySpan = policySpan;
        this.defaultSpan = defaultSpan;
        this.ir = ir;
        this.family = family;
        this.target = target;
        this.rules = rules;
        this.defaultAction = defaultAction;
    }

    static void emit(Ir ir, Family family, ResolvedPolicy policy, Fields f, LLVMBasicBlockRef start,
                     DecisionDiagram.Diagram d) {
        new DiagramLowering(ir, family, policy).emit(f, start, d);
    }

    private void emit(Fields f, LLVMBasicBlockRef start, DecisionDiagram.Diagram d) {
        ir.at(start);
        ir.line(policySpan);
        this.fields = f;
        if (d.roots().size() == 1) {
            values(d.roots().get(0));
            LLVMBasicBlockRef entry = node(d.roots().get(0), new IdentityHashMap<>(), null);
            ir.br(entry);
            return;
        }
        // Groups in sequence. A leaf only records its rule in the group's 'found' and jumps to the group's merge
        // block, which keeps the smallest index in 'best' (rules.size() when none): so the leaves, thousands of them,
        // touch neither the stack nor 'best' (see Dim on why stack accesses must stay few). Both are compared only
        // after an XOR with the opaque zero: a fresh unknown for the verifier each time, so that no compare on them
        // is predictable and the verifier state after a merge does not depend on which leaf came first (see Fields).
        zero = f.take(ir, f.zero());
        LLVMValueRef best = ir.lateLocal("best." + family);
        ir.set(best, ir.xor(ir.k(rules.size()), zero));
        LLVMBasicBlockRef dispatch = ir.block("dispatch");
        LLVMBasicBlockRef next = dispatch;
        for (int g = d.roots().size() - 1; g >= 0; g--) {
            LLVMValueRef found = ir.lateLocal("found." + family + "." + g);
            LLVMBasicBlockRef merge = ir.block("merge");
            ir.at(merge);
            ir.line(policySpan);
            LLVMValueRef k = ir.xor(ir.get(found), zero);
            LLVMBasicBlockRef keep = ir.block("keep");
            ir.condBr(ir.cmp(LLVMIntULT, k, ir.get(best)), keep, next);
            ir.at(keep);
            ir.set(best, k);
            ir.br(next);
            // Each group tests fresh copies of the fields: the previous group's searches narrowed its own copies.
            LLVMBasicBlockRef entry = ir.block("group");
            ir.at(entry);
            ir.line(policySpan);
            values(d.roots().get(g));
            Group group = new Group(found, merge, next);
            LLVMBasicBlockRef root = node(d.roots().get(g), new IdentityHashMap<>(), group);
            ir.at(entry);
            ir.br(root);
            next = entry;
        }
        ir.at(start);
        ir.br(next);
        ir.at(dispatch);
        ir.line(policySpan);
        LLVMValueRef idx = LLVMBuildTrunc(ir.b, ir.xor(ir.get(best), zero), ir.i32, "");
        // Runs of equal actions over the rule index, the index past the last rule meaning the default.
        List<Long> starts = new ArrayList<>();
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i <= rules.size(); i++) {
            Action a = i < rules.size() ? rules.get(i).action() : defaultAction;
            if (actions.isEmpty() || actions.get(actions.size() - 1) != a) {
                starts.add((long) i);
                actions.add(a);
            }
        }
        // One exit per action; a run's child is its action, so a one-rule run between two of the other action is a point.
        LLVMBasicBlockRef[] exits = new LLVMBasicBlockRef[Action.values().length];
        int[] kids = new int[actions.size()];
        for (int i = 0; i < kids.length; i++) {
            Action a = actions.get(i);
            kids[i] = a.ordinal();
            if (exits[a.ordinal()] != null) continue;
            exits[a.ordinal()] = ir.block("verdict");
            LLVMBasicBlockRef here = LLVMGetInsertBlock(ir.b);
            ir.at(exits[a.ordinal()]);
            ir.ret(target.code(a));
            ir.at(here);
        }
        long[] s = starts.stream().mapToLong(Long::longValue).toArray();
        search(idx, false, SearchPlan.of(s, kids), exits);
    }

    /**
     * The keys the diagram under {@code root} tests, computed at the current position as i64 (null for a dim it does
     * not test): what the table walk ({@link TableLowering}) compares with the starts it loads.
     */
    static LLVMValueRef[] keys(Ir ir, Family family, ResolvedPolicy policy, Fields f, List<Node> roots) {
        DiagramLowering d = new DiagramLowering(ir, family, policy);
        d.fields = f;
        d.values(roots);
        LLVMValueRef[] out = new LLVMValueRef[DecisionDiagram.DIMS];
        for (Dim dim : Dim.values()) {
            boolean have = dim.ordinal() < Dim.PROTO.ordinal() ? d.values[dim.ordinal()] != null : d.meta != null;
            if (!have) continue;
            LLVMValueRef v = d.key(dim);
            out[dim.ordinal()] = LLVMGetIntTypeWidth(LLVMTypeOf(v)) == 64 ? v : LLVMBuildZExt(ir.b, v, ir.i64, "");
        }
        return out;
    }

    /** Computes, at the current position, the values of the fields the diagram under {@code root} tests. */
    private void values(Node root) { values(List.of(root)); }

    private void values(List<Node> roots) {
        boolean[] used = new boolean[DecisionDiagram.DIMS];
        for (Node n : DecisionDiagram.nodes(roots)) if (!n.isLeaf()) used[n.dim] = true;
        java.util.Arrays.fill(values, null);
        meta = null;
        // Packed fields: one load of the opaque zero serves every key of this group (see Fields).
        LLVMValueRef z = fields.packed() ? fields.take(ir, fields.zero()) : null;
        for (Dim dim : Dim.values()) {
            if (!used[dim.ordinal()]) continue;
            if (dim.ordinal() < Dim.PROTO.ordinal()) values[dim.ordinal()] = value(fields, dim, z);
            else if (meta == null) meta = fields.packed() ? (z != null ? ir.xor(fields.take(ir, fields.meta()), z)
                    : fields.take(ir, fields.meta())) : meta(fields);
        }
    }

    private static final int PROTO_AT = Fields.PROTO_AT, L4_AT = Fields.L4_AT, SPORT_AT = Fields.SPORT_AT;

    /**
     * The three non-address keys packed into one register. Every value the decision code tests must stay in a register
     * (see {@link Dim}); IPv6 needs four for the addresses, so the other keys share one and each node extracts its key
     * (two or three instructions) into a temporary that only its own search narrows.
     */
    private LLVMValueRef meta(Fields f) {
        LLVMValueRef proto = LLVMBuildZExt(ir.b, value(f, Dim.PROTO, null), ir.i64, "");
        LLVMValueRef l4 = LLVMBuildZExt(ir.b, value(f, Dim.L4, null), ir.i64, "");
        LLVMValueRef sport = LLVMBuildZExt(ir.b, value(f, Dim.SPORT, null), ir.i64, "");
        return ir.or(ir.or(ir.shl(proto, PROTO_AT), ir.shl(l4, L4_AT)), ir.shl(sport, SPORT_AT));
    }

    /** The key of {@code dim} at the current position: a register value, or extracted from {@link #meta}. */
    private LLVMValueRef key(Dim dim) {
        if (dim.ordinal() < Dim.PROTO.ordinal()) return values[dim.ordinal()];
        int at = dim == Dim.PROTO ? PROTO_AT : dim == Dim.L4 ? L4_AT : SPORT_AT;
        long mask = DecisionDiagram.max(family, dim);
        LLVMValueRef v = at == 0 ? meta : ir.lshr(meta, at);
        if (dim != Dim.SPORT) v = ir.and(v, mask);
        return LLVMBuildTrunc(ir.b, v, ir.i32, "");
    }

    /** Where a leaf of one group goes in the grouped form: record its rule, then the next group. */
    private record Group(LLVMValueRef found, LLVMBasicBlockRef merge, LLVMBasicBlockRef next) {}

    /** The block that decides from {@code n} on; emitted once per node and group. */
    private LLVMBasicBlockRef node(Node n, Map<Node, LLVMBasicBlockRef> blocks, Group group) {
        LLVMBasicBlockRef done = blocks.get(n);
        if (done != null) return done;
        LLVMBasicBlockRef here = LLVMGetInsertBlock(ir.b);
        LLVMBasicBlockRef bb = ir.block(n.isLeaf() ? "leaf" : "node." + Dim.values()[n.dim]);
        blocks.put(n, bb);
        if (n.isLeaf()) {
            ir.at(bb);
            ir.line(n.rule == DecisionDiagram.NO_RULE ? defaultSpan : rules.get(n.rule).span());
            if (group == null) {
                ir.ret(target.code(n.rule == DecisionDiagram.NO_RULE ? defaultAction : rules.get(n.rule).action()));
            } else if (n.rule == DecisionDiagram.NO_RULE) {
                ir.br(group.next);
            } else {
                ir.set(group.found, ir.k(n.rule));
                ir.br(group.merge);
            }
        } else {
            LLVMBasicBlockRef[] kids = new LLVMBasicBlockRef[n.kids.length];
            int[] ids = new int[n.kids.length];
            Map<Node, Integer> seen = new IdentityHashMap<>();
            for (int i = 0; i < kids.length; i++) {
                kids[i] = node(n.kids[i], blocks, group);
                ids[i] = seen.computeIfAbsent(n.kids[i], x -> seen.size());
            }
            ir.at(bb);
            // A test belongs to the first rule it can lead to: the rule it is there for.
            int first = firstRule(n);
            ir.line(first == Integer.MAX_VALUE ? defaultSpan : rules.get(first).span());
            LLVMBasicBlockRef[] byId = new LLVMBasicBlockRef[seen.size()];
            for (int i = 0; i < kids.length; i++) byId[ids[i]] = kids[i];
            search(key(Dim.values()[n.dim]), wide[n.dim], SearchPlan.of(n.starts, ids), byId);
        }
        ir.at(here);
        return bb;
    }

    private final Map<Node, Integer> firstRules = new IdentityHashMap<>();

    /** The smallest rule index among the leaves under {@code n}; MAX_VALUE when only the default is. */
    private int firstRule(Node n) {
        if (n.isLeaf()) return n.rule == DecisionDiagram.NO_RULE ? Integer.MAX_VALUE : n.rule;
        Integer known = firstRules.get(n);
        if (known != null) return known;
        int min = Integer.MAX_VALUE;
        for (Node k : n.kids) min = Math.min(min, firstRule(k));
        firstRules.put(n, min);
        return min;
    }

    /** The search of {@code plan} (see {@link SearchPlan}) at the current position; child i's block is {@code to[i]}. */
    private void search(LLVMValueRef v, boolean is64, List<SearchPlan.Entry> plan, LLVMBasicBlockRef[] to) {
        search(v, is64 ? ir.i64 : ir.i32, plan, to, 0, plan.size() - 1);
    }

    /** A balanced binary search over entries {@code lo..hi}, then the entry's equality tests, then its child. */
    private void search(LLVMValueRef v, LLVMTypeRef t, List<SearchPlan.Entry> plan, LLVMBasicBlockRef[] to, int lo, int hi) {
        if (lo == hi) {
            SearchPlan.Entry e = plan.get(lo);
            for (int k = 0; k < e.points().length; k++) {
                LLVMValueRef is = LLVMBuildICmp(ir.b, LLVMIntEQ, v, LLVMConstInt(t, e.points()[k], 0), "");
                LLVMBasicBlockRef other = ir.block("ne");
                ir.condBrFallingTo(is, to[e.pointKids()[k]], other);
                ir.follow(other);
            }
            ir.br(to[e.kid()]);
            return;
        }
        int mid = (lo + hi + 1) >>> 1;
        // The jump is taken for the upper half; the lower half follows (see Ir.condBrFallingTo).
        LLVMValueRef atLeast = LLVMBuildICmp(ir.b, LLVMIntUGE, v, LLVMConstInt(t, plan.get(mid).start(), 0), "");
        LLVMBasicBlockRef left = ir.block("lt"), right = ir.block("ge");
        ir.condBrFallingTo(atLeast, right, left);
        ir.follow(left);
        search(v, t, plan, to, lo, mid - 1);
        ir.at(right);
        search(v, t, plan, to, mid, hi);
    }

    /** The field as an unsigned number in host order: i64 for IPv6 address words, i32 otherwise (32-bit jumps take it as an immediate). */
    private LLVMValueRef value(Fields f, Dim d, LLVMValueRef z) {
        int i = d.ordinal();
        switch (d) {
            case DST_HI, DST_LO, SRC_HI, SRC_LO -> {
                LLVMValueRef slot = d == Dim.DST_HI ? f.dst0() : d == Dim.DST_LO ? f.dst1()
                        : d == Dim.SRC_HI ? f.src0() : f.src1();
                LLVMValueRef raw = f.packed() ? (z != null ? ir.xor(f.take(ir, slot), z) : f.take(ir, slot)) : f.opaque(ir, slot);
                if (family == Family.IPV6) {
                    wide[i] = true;
                    return bswap(ir.i64, raw);
                }
                return bswap(ir.i32, LLVMBuildTrunc(ir.b, raw, ir.i32, ""));
            }
            case PROTO -> {
                LLVMValueRef frag = ir.shl(f.opaque(ir, f.nonFirstFragment()), DecisionDiagram.FRAG_SHIFT);
                return LLVMBuildTrunc(ir.b, ir.or(f.opaque(ir, f.proto()), frag), ir.i32, "");
            }
            case L4 -> {
                // At most one of port and ICMP type/code is non-zero (see Dim.L4).
                LLVMValueRef icmp = ir.or(ir.shl(f.opaque(ir, f.icmpType()), DecisionDiagram.ICMP_TYPE_SHIFT),
                        f.opaque(ir, f.icmpCode()));
                return LLVMBuildTrunc(ir.b, ir.or(f.opaque(ir, f.dport()), icmp), ir.i32, "");
            }
            default -> {
                // ACK or RST, without a branch: a branch here would split every state in two.
                LLVMValueRef flags = f.opaque(ir, f.tcpFlags());
                LLVMValueRef est = ir.and(ir.or(ir.lshr(flags, RST_SHIFT), ir.lshr(flags, ACK_SHIFT)), 1);
                return LLVMBuildTrunc(ir.b, ir.or(f.opaque(ir, f.sport()), ir.shl(est, DecisionDiagram.EST_SHIFT)),
                        ir.i32, "");
            }
        }
    }

    /** Addresses were loaded in network byte order; a bswap (one BPF instruction) gives their numeric value. */
    private LLVMValueRef bswap(LLVMTypeRef t, LLVMValueRef v) { return ir.bswap(t, v); }
}
