package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.bpf.lower.DecisionDiagram.Dim;
import io.portcullis.bpf.lower.DecisionDiagram.Node;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.ResolvedPolicy;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The table strategy: the decision diagram as read-only data ({@link DecisionTable}, one {@code .rodata.tN} section
 * per chunk) and a small fixed walk over it, so the program's size no longer grows with the rules. Per group the walk
 * visits the dims in order; at each dim, if the current reference is a node of that dim, it binary-searches the node's
 * starts (an unrolled loop of at most {@code ceil(log2 n)} steps, n the widest node of the chunk) and follows the
 * child. After the last dim the reference is a leaf holding a rule index; the smallest over the groups is looked up in
 * the verdict table ({@code .rodata.v}, one byte per rule, 1 for allow).
 *
 * <p>For the kernel verifier: every table offset is masked just before it is used (see {@link DecisionTable#CHUNK_DATA};
 * the mask never changes an offset of a table we wrote), so each load is provably inside the map value; and all values the walk tests come from the tables or the opaque keys (see {@link Fields}), so no
 * branch is predictable, nothing is marked precise, and the paths of a search merge again where it ends.
 */
final class TableLowering {
    /** Globals of the chunks, by family, dim and chunk index; filled by {@link #globals}. */
    record Globals(LLVMValueRef[][][] chunks, LLVMValueRef verdicts, int verdictBytes, int sections, long bytes) {}

    private TableLowering() {}

    /** Adds the tables of both families and the verdict table to the module as constant globals in .rodata.* sections. */
    static Globals globals(Ir ir, ResolvedPolicy policy, DecisionTable.Table[] tables) throws CodegenException {
        LLVMValueRef[][][] out = new LLVMValueRef[2][DecisionDiagram.DIMS][];
        int section = 0;
        long bytes = 0;
        for (DecisionTable.Table t : tables) {
            int f = t.family().ordinal();
            for (int dim = 0; dim < DecisionDiagram.DIMS; dim++) {
                List<DecisionTable.Chunk> cs = t.chunks().get(dim);
                out[f][dim] = new LLVMValueRef[cs.size()];
                for (DecisionTable.Chunk c : cs) {
                    out[f][dim][c.index()] = constant(ir, "pc_t" + (t.family() == Family.IPV4 ? 4 : 6) + "_" + dim + "_"
                            + c.index(), ".rodata.t" + section++, c.bytes());
                    bytes += c.bytes().length;
                }
            }
        }
        // The verdict table: one byte per rule, and one for "no rule" (the default action).
        int n = policy.rules().size();
        byte[] v = new byte[n + 1];
        for (int i = 0; i <= n; i++) {
            Action a = i < n ? policy.rules().get(i).action() : policy.defaultAction();
            v[i] = (byte) (a == Action.ALLOW ? 1 : 0);
        }
        LLVMValueRef verdicts = constant(ir, "pc_verdicts", ".rodata.v", v);
        bytes += v.length;
        section++;
        if (section >= Limits.MAPS.max()) {
            throw new CodegenException(Limits.MAPS, "the decision tables need " + section + " read-only sections, "
                    + "each an array map, over the kernel's limit of " + Limits.MAPS.max() + " maps per program "
                    + "(MAX_USED_MAPS)");
        }
        return new Globals(out, verdicts, v.length, section, bytes);
    }

    private static LLVMValueRef constant(Ir ir, String name, String section, byte[] bytes) {
        LLVMValueRef init = LLVMConstStringInContext2(ir.ctx, new org.bytedeco.javacpp.BytePointer(bytes),
                bytes.length, 1);
        LLVMValueRef g = LLVMAddGlobal(ir.module, LLVMTypeOf(init), name);
        LLVMSetInitializer(g, init);
        LLVMSetGlobalConstant(g, 1);
        LLVMSetLinkage(g, LLVMInternalLinkage);
        LLVMSetSection(g, section);
        LLVMSetAlignment(g, 8);
        return g;
    }

    /** Emits the walk for {@code family} from {@code start}; returns the verdict. */
    static void emit(Ir ir, Family family, ResolvedPolicy policy, Fields f, LLVMBasicBlockRef start,
                     DecisionDiagram.Diagram d, DecisionTable.Table table, Globals globals) {
        ir.at(start);
        ir.line(policy.span());
        int n = policy.rules().size();
        LLVMValueRef zero = ir.getVolatile(f.zero());
        LLVMValueRef best = ir.lateLocal("best." + family);
        LLVMValueRef ref = ir.lateLocal("ref." + family);
        ir.set(best, ir.k(n));
        // The keys once for all groups: the walk compares them only with values loaded from the tables, which the
        // verifier does not know, so no group's search narrows them for the next.
        LLVMValueRef[] keys = DiagramLowering.keys(ir, family, policy, f, d.roots());
        for (int g = 0; g < d.roots().size(); g++) {
            Node root = d.roots().get(g);
            boolean[] used = new boolean[DecisionDiagram.DIMS];
            for (Node x : DecisionDiagram.nodes(List.of(root))) if (!x.isLeaf()) used[x.dim] = true;
            // The root as an unknown to the verifier, like every reference after it (see the class comment).
            ir.set(ref, ir.xor(ir.k(table.roots()[g]), zero));
            for (int dim = 0; dim < DecisionDiagram.DIMS; dim++) {
                if (!used[dim]) continue;
                step(ir, dim, keys[dim], table, globals.chunks()[family.ordinal()][dim], ref);
            }
            // A leaf's rule; anything else (never written by DecisionTable) counts as no rule.
            LLVMValueRef r = ir.get(ref);
            LLVMBasicBlockRef isLeaf = ir.block("leaf"), after = ir.block("group.end");
            ir.condBr(ir.cmp(LLVMIntEQ, ir.lshr(r, DecisionTable.DIM_SHIFT), DecisionTable.LEAF), isLeaf, after);
            ir.at(isLeaf);
            LLVMValueRef rule = ir.and(r, DecisionTable.RULE_MASK);
            LLVMBasicBlockRef smaller = ir.block("smaller");
            ir.condBr(ir.cmp(LLVMIntULT, rule, ir.get(best)), smaller, after);
            ir.at(smaller);
            ir.set(best, rule);
            ir.br(after);
            ir.at(after);
        }
        LLVMValueRef idx = clamp(ir, ir.get(best), globals.verdictBytes(), 1);
        LLVMValueRef allow = ir.loadRaw(ir.i8, ir.gep(globals.verdicts(), idx), 0, 1);
        LLVMBasicBlockRef yes = ir.block("allow"), no = ir.block("deny");
        ir.condBr(ir.cmp(LLVMIntNE, allow, 0), yes, no);
        ir.at(yes);
        ir.ret(policy.target().code(Action.ALLOW));
        ir.at(no);
        ir.ret(policy.target().code(Action.DENY));
    }

    /** If {@code ref} is a node of {@code dim}, searches it with {@code key} and replaces {@code ref} by the child. */
    private static void step(Ir ir, int dim, LLVMValueRef key, DecisionTable.Table table, LLVMValueRef[] chunks,
                             LLVMValueRef ref) {
        LLVMBasicBlockRef next = ir.block("dim.end." + Dim.values()[dim]);
        LLVMValueRef r = ir.get(ref);
        LLVMBasicBlockRef here = ir.block("dim." + Dim.values()[dim]);
        ir.condBr(ir.cmp(LLVMIntEQ, ir.lshr(r, DecisionTable.DIM_SHIFT), dim), here, next);
        ir.at(here);
        LLVMValueRef off = ir.shl(ir.and(r, DecisionTable.OFFSET_MASK), 2);
        List<DecisionTable.Chunk> cs = table.chunks().get(dim);
        if (cs.size() == 1) {
            search(ir, chunks[0], cs.get(0), off, key, table.wide()[dim], ref);
            ir.br(next);
        } else {
            LLVMValueRef chunk = ir.and(ir.lshr(r, DecisionTable.CHUNK_SHIFT), DecisionTable.MAX_CHUNKS - 1);
            LLVMValueRef sw = LLVMBuildSwitch(ir.b, chunk, next, cs.size());
            for (DecisionTable.Chunk c : cs) {
                LLVMBasicBlockRef bb = ir.block("chunk");
                LLVMAddCase(sw, ir.k(c.index()), bb);
                ir.at(bb);
                search(ir, chunks[c.index()], c, off, key, table.wide()[dim], ref);
                ir.br(next);
            }
        }
        ir.at(next);
    }

    /** Binary search of the node at byte {@code off} of {@code chunk} for {@code key}; stores the child in {@code ref}. */
    private static void search(Ir ir, LLVMValueRef base, DecisionTable.Chunk chunk, LLVMValueRef off, LLVMValueRef key,
                               boolean wide, LLVMValueRef ref) {
        int w = wide ? 8 : 4;
        long mask = chunk.mask();
        LLVMValueRef count = ir.loadRaw(ir.i32, ir.gep(base, ir.and(off, mask)), 0, 4);
        LLVMValueRef starts = ir.add(off, ir.k(8));
        LLVMValueRef lo = ir.lateLocal("lo"), cnt = ir.lateLocal("cnt");
        ir.set(lo, ir.k(0));
        ir.set(cnt, count);
        LLVMBasicBlockRef done = ir.block("found");
        for (int i = 0; i < DecisionTable.steps(chunk.maxIntervals()); i++) {
            LLVMValueRef c = ir.get(cnt);
            ir.exitIf(ir.cmp(LLVMIntULE, c, 1), done);
            LLVMValueRef half = ir.lshr(c, 1);
            LLVMValueRef l = ir.get(lo);
            LLVMValueRef mid = ir.add(l, half);
            LLVMValueRef at = ir.add(starts, ir.shl(mid, wide ? 3 : 2));
            LLVMValueRef s = ir.loadRaw(wide ? ir.i64 : ir.i32, ir.gep(base, ir.and(at, mask)), 0, w);
            LLVMBasicBlockRef right = ir.block("ge"), join = ir.block("step");
            ir.condBr(ir.cmp(LLVMIntULE, s, key), right, join);
            ir.at(right);
            ir.set(lo, mid);
            ir.br(join);
            ir.at(join);
            ir.set(cnt, LLVMBuildSub(ir.b, c, half, ""));
        }
        ir.br(done);
        ir.at(done);
        LLVMValueRef kids = ir.add(starts, LLVMBuildMul(ir.b, count, ir.k(w), ""));
        LLVMValueRef at = ir.add(kids, ir.shl(ir.get(lo), 2));
        ir.set(ref, ir.loadRaw(ir.i32, ir.gep(base, ir.and(at, mask)), 0, 4));
    }

    /**
     * {@code off} if a {@code width}-byte read there stays inside {@code size} bytes, else 0: the bound the verifier
     * needs before the pointer arithmetic. A table we wrote never takes the 0 branch.
     */
    private static LLVMValueRef clamp(Ir ir, LLVMValueRef off, int size, int width) {
        LLVMValueRef slot = ir.lateLocal("off");
        ir.set(slot, ir.k(0));
        LLVMBasicBlockRef in = ir.block("in"), join = ir.block("bounded");
        ir.condBr(ir.cmp(LLVMIntULE, off, (long) size - width), in, join);
        ir.at(in);
        ir.set(slot, off);
        ir.br(join);
        ir.at(join);
        return ir.get(slot);
    }

}
