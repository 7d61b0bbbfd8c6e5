package io.portcullis.bpf.tv;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decoded instructions as a control-flow graph of basic blocks in topological order, with the registers live at
 * each block's entry. Programs that the kernel accepts without bounded loops are acyclic; a cycle is reported.
 */
final class Program {
    final List<Insn> insns;
    final int[] slot;          // instruction index -> slot
    final int[] block;         // instruction index -> block index
    final int[] blockStart, blockEnd; // [start, end) instruction indices
    final int[][] succ;        // successor blocks; for a conditional jump: {taken, fall-through}
    final int[] topo;          // block indices, every block after its predecessors
    final int[] topoIndex;     // block index -> position in topo (-1: unreachable)
    final int[] liveIn;        // bit mask of registers r0..r10 live at each block's entry
    /** What ld_imm64 instructions point into (.rodata* sections); none unless the object has read-only data. */
    io.portcullis.bpf.elf.ReadOnlyData data = io.portcullis.bpf.elf.ReadOnlyData.none();
    private io.portcullis.bpf.elf.ReadOnlyData.Ref[] refs;
    private io.portcullis.bpf.elf.ReadOnlyData refsOf;

    /** The read-only data the ld_imm64 at instruction {@code i} points into, or null (looked up once per program). */
    io.portcullis.bpf.elf.ReadOnlyData.Ref readOnlyRef(int i) {
        if (refsOf != data) {
            refs = new io.portcullis.bpf.elf.ReadOnlyData.Ref[insns.size()];
            for (int k = 0; k < refs.length; k++) refs[k] = data.at(slot[k]);
            refsOf = data;
        }
        return refs[i];
    }

    Program(List<Insn> insns) throws TvException {
        this.insns = List.copyOf(insns);
        int n = insns.size();
        if (n == 0) throw new TvException("the program is empty", -1);
        slot = new int[n];
        int slots = 0;
        for (int i = 0; i < n; i++) {
            slot[i] = slots;
            slots += insns.get(i).width();
        }
        int[] bySlot = new int[slots + 1];
        Arrays.fill(bySlot, -1);
        for (int i = 0; i < n; i++) bySlot[slot[i]] = i;
        int[] target = new int[n];
        boolean[] leader = new boolean[n + 1];
        leader[0] = true;
        for (int i = 0; i < n; i++) {
            Insn in = insns.get(i);
            target[i] = -1;
            if (!in.isJump()) continue;
            int op = in.op();
            if (op == Op.CALL) continue;
            if (op == Op.EXIT) { leader[i + 1] = true; continue; }
            long rel = in.cls() == Op.JMP32 && op == Op.JA ? in.imm32() : in.off();
            long t = slot[i] + 1 + rel;
            if (t < 0 || t >= slots || bySlot[(int) t] < 0) {
                throw new TvException("jump to slot " + t + ", which is not the start of an instruction", i);
            }
            target[i] = bySlot[(int) t];
            leader[target[i]] = true;
            leader[i + 1] = true;
        }
        block = new int[n];
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (leader[i]) starts.add(i);
            block[i] = starts.size() - 1;
        }
        int nb = starts.size();
        blockStart = new int[nb];
        blockEnd = new int[nb];
        succ = new int[nb][];
        for (int k = 0; k < nb; k++) {
            blockStart[k] = starts.get(k);
            blockEnd[k] = k + 1 < nb ? starts.get(k + 1) : n;
            int last = blockEnd[k] - 1;
            Insn in = insns.get(last);
            int op = in.op();
            if (in.isJump() && op == Op.EXIT) {
                succ[k] = new int[0];
            } else if (in.isJump() && op == Op.JA) {
                succ[k] = new int[] {block[target[last]]};
            } else if (in.isJump() && op != Op.CALL) {
                if (last + 1 >= n) throw new TvException("the last instruction can fall through past the end", last);
                succ[k] = new int[] {block[target[last]], block[last + 1]};
            } else {
                if (last + 1 >= n) throw new TvException("the last instruction can fall through past the end", last);
                succ[k] = new int[] {block[last + 1]};
            }
        }
        topo = topoOrder(nb);
        topoIndex = new int[nb];
        Arrays.fill(topoIndex, -1);
        for (int t = 0; t < topo.length; t++) topoIndex[topo[t]] = t;
        liveIn = liveness(nb);
    }

    private int[] ipdom;

    /**
     * The immediate post-dominator of each block: the first block every path from it to an exit passes (-1: none but
     * the exit itself). Computed on first use (Cooper, Harvey and Kennedy's iterative scheme on the reversed graph).
     */
    int[] postDominators() {
        if (ipdom != null) return ipdom;
        int nb = blockStart.length;
        int exit = nb; // a virtual node after every exit
        int[] rpo = new int[topo.length + 1]; // reverse postorder of the reversed graph: the exit, then blocks last first
        int[] order = new int[nb + 1];
        rpo[0] = exit;
        for (int t = 0; t < topo.length; t++) rpo[t + 1] = topo[topo.length - 1 - t];
        for (int k = 0; k < rpo.length; k++) order[rpo[k]] = k;
        int[] idom = new int[nb + 1];
        Arrays.fill(idom, -1);
        idom[exit] = exit;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int k = 1; k < rpo.length; k++) {
                int b = rpo[k];
                int next = -1;
                int[] ss = succ[b].length == 0 ? new int[] {exit} : succ[b];
                for (int p : ss) {
                    if (idom[p] < 0) continue;
                    next = next < 0 ? p : intersect(p, next, idom, order);
                }
                if (next >= 0 && idom[b] != next) {
                    idom[b] = next;
                    changed = true;
                }
            }
        }
        int[] out = new int[nb];
        for (int b = 0; b < nb; b++) out[b] = idom[b] == exit ? -1 : idom[b];
        ipdom = out;
        return out;
    }

    private static int intersect(int a, int b, int[] idom, int[] order) {
        while (a != b) {
            while (order[a] > order[b]) a = idom[a];
            while (order[b] > order[a]) b = idom[b];
        }
        return a;
    }

    /** The blocks that post-dominate {@code b} (not b itself), nearest first. */
    java.util.Set<Integer> postDominatorChain(int b) {
        int[] pd = postDominators();
        java.util.Set<Integer> out = new java.util.LinkedHashSet<>();
        for (int x = pd[b]; x >= 0 && out.add(x); x = pd[x]) { }
        return out;
    }

    private int[] topoOrder(int nb) throws TvException {
        int[] state = new int[nb]; // 0 new, 1 on stack, 2 done
        int[] order = new int[nb];
        int pos = nb;
        // Iterative DFS; post-order reversed is a topological order.
        int[] stack = new int[nb], next = new int[nb];
        int sp = 0;
        stack[sp++] = 0;
        state[0] = 1;
        while (sp > 0) {
            int v = stack[sp - 1];
            if (next[v] < succ[v].length) {
                int w = succ[v][next[v]++];
                if (state[w] == 1) {
                    throw new TvException("the program has a loop (a jump back to instruction " + blockStart[w]
                            + "); only loop-free programs are supported", blockEnd[v] - 1);
                }
                if (state[w] == 0) {
                    state[w] = 1;
                    stack[sp++] = w;
                }
            } else {
                state[v] = 2;
                order[--pos] = v;
                sp--;
            }
        }
        return Arrays.copyOfRange(order, pos, nb); // unreachable blocks are left out
    }

    private int[] liveness(int nb) {
        int[] use = new int[nb], def = new int[nb];
        for (int k = 0; k < nb; k++) {
            int u = 0, d = 0;
            for (int i = blockStart[k]; i < blockEnd[k]; i++) {
                Insn in = insns.get(i);
                int ru = uses(in), rd = defs(in);
                u |= ru & ~d;
                d |= rd;
            }
            use[k] = u;
            def[k] = d;
        }
        int[] live = new int[nb];
        for (int t = topo.length - 1; t >= 0; t--) {
            int k = topo[t];
            int out = 0;
            for (int s : succ[k]) out |= live[s];
            live[k] = use[k] | (out & ~def[k]);
        }
        return live;
    }

    private static int bit(int r) { return r <= 10 ? 1 << r : 0; }

    static int uses(Insn in) {
        int cls = in.cls();
        switch (cls) {
            case Op.ALU, Op.ALU64 -> {
                int op = in.op();
                int u = op == Op.MOV ? 0 : bit(in.dst());
                if (in.usesSrcReg() && op != Op.END && op != Op.NEG) u |= bit(in.src());
                return u;
            }
            case Op.LDX -> { return bit(in.src()); }
            case Op.ST -> { return bit(in.dst()); }
            case Op.STX -> { return bit(in.dst()) | bit(in.src()); }
            case Op.JMP, Op.JMP32 -> {
                int op = in.op();
                if (op == Op.EXIT) return 1;
                if (op == Op.CALL) return 0x3e;
                if (op == Op.JA) return 0;
                return bit(in.dst()) | (in.usesSrcReg() ? bit(in.src()) : 0);
            }
            default -> { return 0; }
        }
    }

    static int defs(Insn in) {
        int cls = in.cls();
        if (cls == Op.ALU || cls == Op.ALU64 || cls == Op.LDX || in.opcode() == Op.LD_IMM64) return bit(in.dst());
        if ((cls == Op.JMP || cls == Op.JMP32) && in.op() == Op.CALL) return 0x3f;
        return 0;
    }
}
