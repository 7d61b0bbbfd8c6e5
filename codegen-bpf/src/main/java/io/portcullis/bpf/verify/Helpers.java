package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import java.util.Map;
import java.util.Set;

/**
 * The helpers this verifier knows, with the kinds of their arguments (the kernel's {@code bpf_func_proto}). Portcullis
 * calls none today; the table covers the ones a packet filter would reach for first, so that a call is checked rather
 * than trusted. Every call clobbers R1-R5 and sets R0 to a scalar.
 */
final class Helpers {
    private Helpers() {}

    enum Arg { ANYTHING, CTX, MAP_PTR }

    record Proto(String name, Set<ProgramType> types, Arg[] args, Scalar ret, boolean changesPacket) {}

    private static final Set<ProgramType> ALL = Set.of(ProgramType.values());
    private static final Set<ProgramType> XDP = Set.of(ProgramType.XDP);
    private static final Set<ProgramType> XDP_TC = Set.of(ProgramType.XDP, ProgramType.SCHED_CLS);

    static final Map<Integer, Proto> PROTOS = Map.of(
            1, new Proto("bpf_map_lookup_elem", ALL, new Arg[] {Arg.MAP_PTR, Arg.ANYTHING}, Scalar.UNKNOWN, false),
            5, new Proto("bpf_ktime_get_ns", ALL, new Arg[0], Scalar.UNKNOWN, false),
            7, new Proto("bpf_get_prandom_u32", ALL, new Arg[0], Scalar.U32, false),
            8, new Proto("bpf_get_smp_processor_id", ALL, new Arg[0], Scalar.U32, false),
            23, new Proto("bpf_redirect", XDP_TC, new Arg[] {Arg.ANYTHING, Arg.ANYTHING}, Scalar.UNKNOWN, false),
            44, new Proto("bpf_xdp_adjust_head", XDP, new Arg[] {Arg.CTX, Arg.ANYTHING}, Scalar.UNKNOWN, true),
            65, new Proto("bpf_xdp_adjust_tail", XDP, new Arg[] {Arg.CTX, Arg.ANYTHING}, Scalar.UNKNOWN, true));

    static void call(int s, Insn i, StaticVerifier.State st, ProgramType type) {
        if (i.src() != 0) {
            throw new Rejection(s, Reason.UNSUPPORTED, i.src() == Op.PSEUDO_CALL ? "BPF-to-BPF calls are not modelled" : "kfunc calls are not modelled");
        }
        Proto p = PROTOS.get(i.imm32());
        if (p == null) throw new Rejection(s, Reason.UNKNOWN_HELPER, "invalid func unknown#" + i.imm32() + " (not a helper this verifier knows)");
        if (!p.types().contains(type)) {
            throw new Rejection(s, Reason.UNKNOWN_HELPER, "program of type " + type.displayName() + " cannot use helper " + p.name() + "#" + i.imm32());
        }
        for (int a = 0; a < p.args().length; a++) {
            int r = a + 1;
            Value v = st.regs[r];
            if (v.kind() == Value.Kind.NOT_INIT) throw new Rejection(s, Reason.UNINIT_REGISTER, "R" + r + " !read_ok: argument " + r + " of " + p.name() + " is not set");
            switch (p.args()[a]) {
                case CTX -> {
                    if (v.kind() != Value.Kind.CTX || v.off() != 0) {
                        throw new Rejection(s, Reason.HELPER_ARGUMENT, "R" + r + " type=" + v + " expected=ctx (" + p.name() + ")");
                    }
                }
                case MAP_PTR -> throw new Rejection(s, Reason.HELPER_ARGUMENT, "R" + r + " type=" + v + " expected=map_ptr (" + p.name() + ")");
                default -> { }
            }
        }
        if (p.changesPacket()) {
            // Every packet pointer is stale after the packet moves: it becomes an unknown number.
            st.map(v -> v.kind() == Value.Kind.PACKET || v.kind() == Value.Kind.PACKET_END || v.kind() == Value.Kind.PACKET_META ? Value.UNKNOWN : v);
        }
        for (int r = 1; r <= 5; r++) st.regs[r] = Value.NOT_INIT;
        st.regs[0] = Value.scalar(p.ret());
    }
}
