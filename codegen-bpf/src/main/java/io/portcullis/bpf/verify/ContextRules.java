package io.portcullis.bpf.verify;

/**
 * Which context accesses each program type allows, after the kernel's {@code xdp_is_valid_access},
 * {@code tc_cls_act_is_valid_access}, {@code cg_skb_is_valid_access} and {@code bpf_skb_is_valid_access}
 * (Linux 6.x, loading with CAP_BPF).
 */
final class ContextRules {
    private ContextRules() {}

    /** The value a load gives, or the reason the access is refused. */
    record Access(Value loaded, Reason reason, String message) {
        boolean ok() { return reason == null; }
    }

    // struct xdp_md
    static final int XDP_DATA = 0, XDP_DATA_END = 4, XDP_DATA_META = 8, XDP_EGRESS_IFINDEX = 20, XDP_SIZE = 24;
    // struct __sk_buff
    static final int SKB_MARK = 8, SKB_QUEUE_MAPPING = 12, SKB_PRIORITY = 32, SKB_TC_INDEX = 44, SKB_CB = 48,
            SKB_CB_END = 68, SKB_TC_CLASSID = 72, SKB_DATA = 76, SKB_DATA_END = 80, SKB_FAMILY = 88,
            SKB_REMOTE_IP4 = 92, SKB_LOCAL_IP4 = 96, SKB_REMOTE_IP6 = 100, SKB_LOCAL_IP6 = 116, SKB_LOCAL_PORT = 136,
            SKB_DATA_META = 140, SKB_FLOW_KEYS = 144, SKB_TSTAMP = 152, SKB_WIRE_LEN = 160, SKB_SK = 168,
            SKB_TSTAMP_TYPE = 180, SKB_HWTSTAMP = 184, SKB_SIZE = 192;

    static Access check(ProgramType type, int off, int size, boolean write) {
        return type == ProgramType.XDP ? xdp(off, size, write) : skb(type, off, size, write);
    }

    private static Access xdp(int off, int size, boolean write) {
        if (off < 0 || off >= XDP_SIZE || off % size != 0 || size != 4 || off == XDP_EGRESS_IFINDEX) {
            return bad(off, size, "xdp_md has u32 fields at offsets 0..16 (egress_ifindex only for devmap programs)");
        }
        if (write) return new Access(null, Reason.CTX_READ_ONLY, "xdp_md is read-only (write of " + size + " bytes at offset " + off + ")");
        return switch (off) {
            case XDP_DATA -> ok(Value.pointer(Value.Kind.PACKET, 0));
            case XDP_DATA_END -> ok(Value.pointer(Value.Kind.PACKET_END, 0));
            case XDP_DATA_META -> ok(Value.pointer(Value.Kind.PACKET_META, 0));
            default -> ok(Value.scalar(Scalar.U32));
        };
    }

    private static Access skb(ProgramType type, int off, int size, boolean write) {
        boolean tc = type == ProgramType.SCHED_CLS;
        if (off < 0 || off >= SKB_SIZE || off % size != 0) return bad(off, size, "outside __sk_buff or misaligned");
        if (tc && in(off, SKB_FAMILY, SKB_LOCAL_PORT + 4)) return bad(off, size, "socket fields are not available to tc programs");
        if (!tc && (in(off, SKB_TC_CLASSID, SKB_TC_CLASSID + 4) || in(off, SKB_DATA_META, SKB_DATA_META + 4)
                || in(off, SKB_WIRE_LEN, SKB_WIRE_LEN + 4))) {
            return bad(off, size, "tc_classid, data_meta and wire_len are not available to cgroup_skb programs");
        }
        if (write) {
            boolean writable = in(off, SKB_MARK, SKB_MARK + 4) || in(off, SKB_PRIORITY, SKB_PRIORITY + 4)
                    || in(off, SKB_CB, SKB_CB_END) || in(off, SKB_TSTAMP, SKB_TSTAMP + 8)
                    || tc && (in(off, SKB_TC_INDEX, SKB_TC_INDEX + 4) || in(off, SKB_TC_CLASSID, SKB_TC_CLASSID + 4)
                    || in(off, SKB_QUEUE_MAPPING, SKB_QUEUE_MAPPING + 4));
            if (!writable) {
                return new Access(null, Reason.CTX_READ_ONLY, "__sk_buff field at offset " + off + " is read-only for "
                        + type.displayName() + " programs");
            }
        }
        if (in(off, SKB_CB, SKB_CB_END)) return off + size <= SKB_CB_END ? ok(scalar(size)) : bad(off, size, "past cb[4]");
        if (off == SKB_DATA || off == SKB_DATA_END || off == SKB_DATA_META) {
            if (size != 4) return bad(off, size, "data, data_end and data_meta are read as whole u32 fields");
            Value.Kind k = off == SKB_DATA ? Value.Kind.PACKET : off == SKB_DATA_END ? Value.Kind.PACKET_END : Value.Kind.PACKET_META;
            return ok(Value.pointer(k, 0));
        }
        if (in(off, SKB_DATA, SKB_DATA_END + 4) || in(off, SKB_DATA_META, SKB_DATA_META + 4)) {
            return bad(off, size, "data, data_end and data_meta are read as whole u32 fields");
        }
        if (in(off, SKB_REMOTE_IP4, SKB_LOCAL_IP6 + 16)) {
            return size == 4 ? ok(scalar(4)) : bad(off, size, "addresses are read as whole u32 words");
        }
        if (in(off, SKB_FLOW_KEYS, SKB_FLOW_KEYS + 8)) return bad(off, size, "flow_keys is for flow dissector programs");
        if (in(off, SKB_TSTAMP, SKB_TSTAMP + 8)) return size == 8 ? ok(scalar(8)) : bad(off, size, "tstamp is a whole u64");
        if (in(off, SKB_HWTSTAMP, SKB_HWTSTAMP + 8)) {
            if (write || size != 8) return bad(off, size, "hwtstamp is a read-only u64");
            return ok(scalar(8));
        }
        if (in(off, SKB_SK, SKB_SK + 8)) {
            if (write || size != 8 || off != SKB_SK) return bad(off, size, "sk is a read-only pointer");
            return ok(Value.pointer(Value.Kind.SOCK_OR_NULL, 0));
        }
        if (in(off, SKB_TSTAMP_TYPE, SKB_HWTSTAMP)) return bad(off, size, "tstamp_type and padding");
        // Other u32 fields: whole writes, narrow reads at any aligned offset inside the field.
        if (write && size != 4) return bad(off, size, "writes are whole u32 fields");
        if (size > 4 || (off & ~3) != ((off + size - 1) & ~3)) return bad(off, size, "u32 field read across its end");
        return ok(scalar(size));
    }

    private static boolean in(int off, int from, int to) { return off >= from && off < to; }

    private static Value scalar(int size) { return Value.scalar(Scalar.ofBytes(size)); }

    private static Access ok(Value v) { return new Access(v, null, null); }

    private static Access bad(int off, int size, String why) {
        return new Access(null, Reason.CTX_ACCESS, "invalid context access off=" + off + " size=" + size + ": " + why);
    }
}
