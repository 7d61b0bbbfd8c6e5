package io.portcullis.bpf.verify;

/**
 * What a register (or a spilled stack slot) holds on every path that reaches an instruction. Immutable.
 *
 * <p>A packet pointer is {@code data + var + off}: {@code var} a scalar shared by every register with the same
 * {@code id} (0: no variable part), {@code off} a constant, and {@code range} the number of bytes past {@code data + var}
 * proven readable by an earlier comparison with {@code data_end} (the kernel's {@code reg->range}). Because our
 * programs have no loops, every instruction runs at most once per run, so an id named after the instruction that
 * created the variable part denotes one run-time value on every path: range facts can be kept across joins.
 */
record Value(Kind kind, int off, Scalar var, int id, int range) {

    enum Kind {
        /** Never written on some path. */
        NOT_INIT("uninitialised"),
        SCALAR("scalar"),
        CTX("ctx"),
        PACKET("pkt"),
        PACKET_END("pkt_end"),
        PACKET_META("pkt_meta"),
        STACK("fp"),
        /**
         * A pointer into read-only data (a .rodata* section; a frozen array map's value in the kernel): {@code range}
         * holds the region's index in the program's {@link io.portcullis.bpf.elf.ReadOnlyData}, {@code off} and
         * {@code var} the offset into it. Reads only.
         */
        MAP_VALUE("map_value"),
        /** __sk_buff->sk: a socket pointer or NULL. */
        SOCK_OR_NULL("sock_common_or_null"),
        /** A pointer on some paths and something else on others. */
        MIXED("pointer or scalar depending on the path");

        final String text;

        Kind(String text) { this.text = text; }
    }

    static final Value NOT_INIT = new Value(Kind.NOT_INIT, 0, Scalar.UNKNOWN, 0, 0);
    static final Value UNKNOWN = scalar(Scalar.UNKNOWN);
    static final Value MIXED = new Value(Kind.MIXED, 0, Scalar.UNKNOWN, 0, 0);
    static final Value CTX = pointer(Kind.CTX, 0);
    static final Value FP = pointer(Kind.STACK, 0);

    static Value scalar(Scalar s) { return new Value(Kind.SCALAR, 0, s, 0, 0); }

    /**
     * For scalars in the path-sensitive exploration only: {@code id} links copies of one value (the kernel's scalar
     * id), with this flag when the register is a copy plus the constant {@code off}.
     */
    static final int ADD_CONST = 1 << 30;

    Value withVar(Scalar v) { return new Value(kind, off, v, id, range); }

    Value withScalarId(int sid, int k) { return new Value(kind, k, var, sid, range); }

    static Value constant(long v) { return scalar(Scalar.constant(v)); }

    static Value pointer(Kind k, int off) { return new Value(k, off, Scalar.constant(0), 0, 0); }

    boolean isScalar() { return kind == Kind.SCALAR; }

    boolean isPointer() { return kind != Kind.SCALAR && kind != Kind.NOT_INIT && kind != Kind.MIXED; }

    boolean isPacket() { return kind == Kind.PACKET; }

    Value withOff(int o) { return new Value(kind, o, var, id, range); }

    Value withRange(int r) { return new Value(kind, off, var, id, r); }

    /**
     * The least value that describes both. Packet pointers that are the same run-time value keep their shared range;
     * different ones become a new variable pointer ({@code phiId}) with the range both sides guarantee. With
     * {@code regionSize} (a read-only region's value size by index; null: never), pointers into
     * different read-only regions join to a pointer into the smaller one: every offset the joined pointer may hold is
     * then checked against the smaller size, so an access it allows is inside either region. The kernel explores the
     * two paths separately (it never joins), so it accepts at least what this accepts; a decision-table program whose
     * chunks share one search block needs it (the 100k-rule ClassBench-style policy).
     */
    Value join(Value o, int phiId, java.util.function.IntUnaryOperator regionSize) {
        if (equals(o)) return this;
        if (kind == Kind.NOT_INIT || o.kind == Kind.NOT_INIT) return NOT_INIT;
        if (kind != o.kind) return MIXED;
        switch (kind) {
            case SCALAR:
                return scalar(var.join(o.var));
            case PACKET: {
                if (id == o.id && off == o.off && var.equals(o.var)) return withRange(Math.min(range, o.range));
                Scalar a = var.add(Scalar.constant(off)), b = o.var.add(Scalar.constant(o.off));
                int r = Math.max(0, Math.min(range - off, o.range - o.off));
                return new Value(Kind.PACKET, 0, a.join(b), phiId, r);
            }
            case MAP_VALUE: {
                int region = range;
                if (range != o.range) { // different maps
                    if (regionSize == null) return MIXED;
                    int a = regionSize.applyAsInt(range), b = regionSize.applyAsInt(o.range);
                    region = a < b || a == b && range < o.range ? range : o.range;
                }
                Scalar a = var.add(Scalar.constant(off)), b = o.var.add(Scalar.constant(o.off));
                return new Value(Kind.MAP_VALUE, 0, a.join(b), phiId, region);
            }
            case MIXED:
                return MIXED;
            default:
                // ctx, stack and pkt_end pointers at different offsets: the kernel would need the path to decide.
                return off == o.off ? this : MIXED;
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case SCALAR:
                return var.isConst() ? "scalar " + var : "scalar(" + var + ")";
            case NOT_INIT:
            case MIXED:
                return kind.text;
            case PACKET: {
                StringBuilder sb = new StringBuilder("pkt(");
                if (id != 0) sb.append("id=").append(id).append(",var=").append(var).append(',');
                return sb.append("off=").append(off).append(",r=").append(range).append(')').toString();
            }
            case MAP_VALUE:
                return "map_value(map=" + range + (var.isConst() && var.umin() == 0 ? "" : ",var=" + var) + ",off=" + off + ")";
            default:
                return off == 0 ? kind.text : kind.text + "(off=" + off + ")";
        }
    }
}
