package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.bpf.lower.DecisionDiagram.Dim;
import io.portcullis.bpf.lower.DecisionDiagram.Node;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
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
    private static final long ESTABLISHED_BITS = TcpFlag.ACK.bit() | TcpFlag.RST.bit();

    private final Ir ir;
    private final Family family;
    private final Target target;
    private final List<ResolvedRule> rules;
    private final Action defaultAction;
    private final LLVMValueRef[] values = new LLVMValueRef[DecisionDiagram.DIMS];
    private final boolean[] wide = new boolean[DecisionDiagram.DIMS];

    private DiagramLowering(Ir ir, Family family, Target target, List<ResolvedRule> rules, Action defaultAction) {
        this.ir = ir;
        this.family = family;
        this.target = target;
        this.rules = rules;
        this.defaultAction = defaultAction;
    }

    static void emit(Ir ir, Family family, Target target, List<ResolvedRule> rules, Action defaultAction, Fields f,
                     LLVMBasicBlockRef start, DecisionDiagram.Diagram d) {
        new DiagramLowering(ir, family, target, rules, defaultAction).emit(f, start, d);
    }

    private void emit(Fields f, LLVMBasicBlockRef start, DecisionDiagram.Diagram d) {
        ir.at(start);
        boolean[] used = new boolean[DecisionDiagram.DIMS];
        for (Node n : DecisionDiagram.nodes(d.roots())) if (!n.isLeaf()) used[n.dim] = true;
        for (Dim dim : Dim.values()) if (used[dim.ordinal()]) values[dim.ordinal()] = value(f, dim);

        if (d.roots().size() == 1) {
            LLVMBasicBlockRef entry = node(d.roots().get(0), new IdentityHashMap<>(), null);
            ir.br(entry);
            return;
        }
        // Groups in sequence; 'best' holds the smallest matching rule index so far (rules.size() when none).
        LLVMValueRef best = ir.local32("best." + family, rules.size());
        LLVMBasicBlockRef dispatch = ir.block("dispatch");
        LLVMBasicBlockRef next = dispatch;
        List<LLVMBasicBlockRef> entries = new ArrayList<>();
        for (int g = d.roots().size() - 1; g >= 0; g--) {
            Group group = new Group(best, next);
            next = node(d.roots().get(g), new IdentityHashMap<>(), group);
            entries.add(0, next);
        }
        ir.at(start);
        ir.br(entries.get(0));
        ir.at(dispatch);
        LLVMValueRef idx = LLVMBuildLoad2(ir.b, ir.i32, best, "");
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
        LLVMBasicBlockRef[] exits = new LLVMBasicBlockRef[actions.size()];
        for (int i = 0; i < exits.length; i++) {
            exits[i] = ir.block("verdict");
            LLVMBasicBlockRef here = LLVMGetInsertBlock(ir.b);
            ir.at(exits[i]);
            ir.ret(target.code(actions.get(i)));
            ir.at(here);
        }
        long[] s = starts.stream().mapToLong(Long::longValue).toArray();
        search(idx, false, s, exits, 0, s.length - 1);
    }

    /** Where a leaf of one group goes in the grouped form: record its rule, then the next group. */
    private record Group(LLVMValueRef best, LLVMBasicBlockRef next) {}

    /** The block that decides from {@code n} on; emitted once per node and group. */
    private LLVMBasicBlockRef node(Node n, Map<Node, LLVMBasicBlockRef> blocks, Group group) {
        LLVMBasicBlockRef done = blocks.get(n);
        if (done != null) return done;
        LLVMBasicBlockRef here = LLVMGetInsertBlock(ir.b);
        LLVMBasicBlockRef bb = ir.block(n.isLeaf() ? "leaf" : "node." + Dim.values()[n.dim]);
        blocks.put(n, bb);
        if (n.isLeaf()) {
            ir.at(bb);
            if (group == null) {
                ir.ret(target.code(n.rule == DecisionDiagram.NO_RULE ? defaultAction : rules.get(n.rule).action()));
            } else if (n.rule == DecisionDiagram.NO_RULE) {
                ir.br(group.next);
            } else {
                LLVMValueRef cur = LLVMBuildLoad2(ir.b, ir.i32, group.best, "");
                LLVMValueRef k = LLVMConstInt(ir.i32, n.rule, 0);
                LLVMValueRef smaller = LLVMBuildICmp(ir.b, LLVMIntULT, k, cur, "");
                LLVMBasicBlockRef keep = ir.block("keep");
                ir.condBr(smaller, keep, group.next);
                ir.at(keep);
                LLVMBuildStore(ir.b, k, group.best);
                ir.br(group.next);
            }
        } else {
            LLVMBasicBlockRef[] kids = new LLVMBasicBlockRef[n.kids.length];
            for (int i = 0; i < kids.length; i++) kids[i] = node(n.kids[i], blocks, group);
            ir.at(bb);
            search(values[n.dim], wide[n.dim], n.starts, kids, 0, kids.length - 1);
        }
        ir.at(here);
        return bb;
    }

    /** A balanced binary search over intervals {@code lo..hi} at the current position, jumping to the interval's block. */
    private void search(LLVMValueRef v, boolean is64, long[] starts, LLVMBasicBlockRef[] to, int lo, int hi) {
        if (lo == hi) {
            ir.br(to[lo]);
            return;
        }
        int mid = (lo + hi + 1) >>> 1;
        LLVMTypeRef t = is64 ? ir.i64 : ir.i32;
        LLVMValueRef below = LLVMBuildICmp(ir.b, LLVMIntULT, v, LLVMConstInt(t, starts[mid], 0), "");
        LLVMBasicBlockRef left = ir.block("lt"), right = ir.block("ge");
        ir.condBr(below, left, right);
        ir.at(left);
        search(v, is64, starts, to, lo, mid - 1);
        ir.at(right);
        search(v, is64, starts, to, mid, hi);
    }

    /** The field as an unsigned number in host order: i64 for IPv6 address words, i32 otherwise (32-bit jumps take it as an immediate). */
    private LLVMValueRef value(Fields f, Dim d) {
        int i = d.ordinal();
        switch (d) {
            case DST_HI, DST_LO, SRC_HI, SRC_LO -> {
                LLVMValueRef slot = d == Dim.DST_HI ? f.dst0() : d == Dim.DST_LO ? f.dst1()
                        : d == Dim.SRC_HI ? f.src0() : f.src1();
                LLVMValueRef raw = ir.get(slot);
                if (family == Family.IPV6) {
                    wide[i] = true;
                    return bswap(ir.i64, raw);
                }
                return bswap(ir.i32, LLVMBuildTrunc(ir.b, raw, ir.i32, ""));
            }
            case EST -> {
                LLVMValueRef est = ir.cmp(LLVMIntNE, ir.and(ir.get(f.tcpFlags()), ESTABLISHED_BITS), 0);
                return LLVMBuildZExt(ir.b, est, ir.i32, "");
            }
            default -> {
                LLVMValueRef slot = switch (d) {
                    case PROTO -> f.proto();
                    case DPORT -> f.dport();
                    case SPORT -> f.sport();
                    case FRAG -> f.nonFirstFragment();
                    case ITYPE -> f.icmpType();
                    default -> f.icmpCode();
                };
                return LLVMBuildTrunc(ir.b, ir.get(slot), ir.i32, "");
            }
        }
    }

    /** Addresses were loaded in network byte order; a bswap (one BPF instruction) gives their numeric value. */
    private LLVMValueRef bswap(LLVMTypeRef t, LLVMValueRef v) {
        String name = t == ir.i64 ? "llvm.bswap.i64" : "llvm.bswap.i32";
        LLVMValueRef fn = LLVMGetNamedFunction(ir.module, name);
        LLVMTypeRef[] params = {t};
        LLVMTypeRef fnType = LLVMFunctionType(t, new PointerPointer<>(params), 1, 0);
        if (fn == null || fn.isNull()) fn = LLVMAddFunction(ir.module, name, fnType);
        LLVMValueRef[] args = {v};
        return LLVMBuildCall2(ir.b, fnType, fn, new PointerPointer<>(args), 1, "");
    }
}
