package io.portcullis.bpf.verify;

/**
 * A set of 64-bit values as an unsigned range and a signed range, kept consistent with each other (the kernel's
 * {@code umin/umax/smin/smax} without the tnum). Immutable. Unsigned bounds are stored in {@code long}s and compared
 * with {@link Long#compareUnsigned}.
 */
record Scalar(long umin, long umax, long smin, long smax) {
    static final long U32_MAX = 0xffff_ffffL;
    static final Scalar UNKNOWN = new Scalar(0, -1L, Long.MIN_VALUE, Long.MAX_VALUE);
    static final Scalar U32 = unsigned(0, U32_MAX);

    static Scalar constant(long v) { return new Scalar(v, v, v, v); }

    /** Values in the unsigned range [lo, hi]. */
    static Scalar unsigned(long lo, long hi) { return new Scalar(lo, hi, Long.MIN_VALUE, Long.MAX_VALUE).sync(); }

    static Scalar signed(long lo, long hi) { return new Scalar(0, -1L, lo, hi).sync(); }

    /** Any value of {@code bytes} bytes, zero-extended. */
    static Scalar ofBytes(int bytes) { return bytes >= 8 ? UNKNOWN : unsigned(0, (1L << (8 * bytes)) - 1); }

    boolean isConst() { return umin == umax; }

    boolean fits32() { return Long.compareUnsigned(umax, U32_MAX) <= 0; }

    /** Empty after a refinement that no value satisfies. */
    boolean empty() { return Long.compareUnsigned(umin, umax) > 0 || smin > smax; }

    /** Tightens each pair of bounds from the other, as the kernel's {@code reg_bounds_sync}. */
    Scalar sync() {
        long umin = this.umin, umax = this.umax, smin = this.smin, smax = this.smax;
        if (Long.compareUnsigned(umin, umax) > 0 || smin > smax) return this;
        // If the signed range does not cross the sign boundary, it is also an unsigned range.
        if (smin >= 0 || smax < 0) {
            umin = umax(umin, smin);
            umax = umin(umax, smax);
        }
        // If the unsigned range does not cross the sign boundary, it is also a signed range.
        if ((umin ^ umax) >= 0) {
            smin = Math.max(smin, umin);
            smax = Math.min(smax, umax);
        }
        return new Scalar(umin, umax, smin, smax);
    }

    Scalar join(Scalar o) {
        if (equals(o)) return this;
        return new Scalar(umin(umin, o.umin), umax(umax, o.umax), Math.min(smin, o.smin), Math.max(smax, o.smax));
    }

    /** This scalar truncated to 32 bits and zero-extended, as a 32-bit ALU result is. */
    Scalar zext32() {
        if (fits32()) return this;
        if (Long.compareUnsigned(umax - umin, U32_MAX) <= 0 && (umin >>> 32) == (umax >>> 32)) {
            return unsigned(umin & U32_MAX, umax & U32_MAX);
        }
        return U32;
    }

    Scalar add(Scalar o) {
        long lo = umin + o.umin, hi = umax + o.umax;
        boolean uOverflow = Long.compareUnsigned(hi, umax) < 0 || Long.compareUnsigned(lo, umin) < 0
                || Long.compareUnsigned(umax, -1L - o.umax) > 0;
        long slo, shi;
        try {
            slo = Math.addExact(smin, o.smin);
            shi = Math.addExact(smax, o.smax);
        } catch (ArithmeticException e) {
            slo = Long.MIN_VALUE;
            shi = Long.MAX_VALUE;
        }
        return new Scalar(uOverflow ? 0 : lo, uOverflow ? -1L : hi, slo, shi).sync();
    }

    Scalar neg() {
        if (isConst()) return constant(-umin);
        if (smin == Long.MIN_VALUE) return UNKNOWN;
        return signed(-smax, -smin);
    }

    Scalar sub(Scalar o) {
        boolean uUnder = Long.compareUnsigned(umin, o.umax) < 0;
        long slo, shi;
        try {
            slo = Math.subtractExact(smin, o.smax);
            shi = Math.subtractExact(smax, o.smin);
        } catch (ArithmeticException e) {
            slo = Long.MIN_VALUE;
            shi = Long.MAX_VALUE;
        }
        return new Scalar(uUnder ? 0 : umin - o.umax, uUnder ? -1L : umax - o.umin, slo, shi).sync();
    }

    Scalar mul(Scalar o) {
        if (isConst() && o.isConst()) return constant(umin * o.umin);
        if (Long.compareUnsigned(umax, U32_MAX) <= 0 && Long.compareUnsigned(o.umax, U32_MAX) <= 0) {
            return unsigned(umin * o.umin, umax * o.umax);
        }
        return UNKNOWN;
    }

    /** Unsigned division; the kernel defines x / 0 = 0. */
    Scalar div(Scalar o) {
        if (isConst() && o.isConst()) return constant(o.umin == 0 ? 0 : Long.divideUnsigned(umin, o.umin));
        if (o.umin == 0) return unsigned(0, umax);
        return unsigned(Long.divideUnsigned(umin, o.umax), Long.divideUnsigned(umax, o.umin));
    }

    /** Unsigned remainder; the kernel defines x % 0 = x. */
    Scalar mod(Scalar o) {
        if (isConst() && o.isConst()) return constant(o.umin == 0 ? umin : Long.remainderUnsigned(umin, o.umin));
        if (o.umin == 0) return unsigned(0, umax);
        return unsigned(0, umin(umax, o.umax - 1));
    }

    Scalar and(Scalar o) {
        if (isConst() && o.isConst()) return constant(umin & o.umin);
        // The result is no larger than either operand, unsigned.
        return unsigned(0, umin(umax, o.umax));
    }

    Scalar or(Scalar o) {
        if (isConst() && o.isConst()) return constant(umin | o.umin);
        return unsigned(umax(umin, o.umin), bitsUpTo(umax | o.umax));
    }

    Scalar xor(Scalar o) {
        if (isConst() && o.isConst()) return constant(umin ^ o.umin);
        return unsigned(0, bitsUpTo(umax | o.umax));
    }

    Scalar lsh(int k) {
        if (k == 0) return this;
        if (Long.numberOfLeadingZeros(umax) >= k) return unsigned(umin << k, umax << k);
        return UNKNOWN;
    }

    Scalar rsh(int k) { return k == 0 ? this : unsigned(umin >>> k, umax >>> k); }

    Scalar arsh(int k) { return signed(smin >> k, smax >> k); }

    /** The upper bound of an unsigned range: every bit up to the highest set bit of v. */
    private static long bitsUpTo(long v) {
        return v == 0 ? 0 : (-1L >>> Long.numberOfLeadingZeros(v));
    }

    static long umin(long a, long b) { return Long.compareUnsigned(a, b) <= 0 ? a : b; }

    static long umax(long a, long b) { return Long.compareUnsigned(a, b) >= 0 ? a : b; }

    @Override
    public String toString() {
        if (isConst()) return Long.toString(smin);
        StringBuilder sb = new StringBuilder();
        if (umin != 0 || umax != -1L) sb.append("umin=").append(Long.toUnsignedString(umin)).append(",umax=").append(Long.toUnsignedString(umax));
        if (smin != Long.MIN_VALUE || smax != Long.MAX_VALUE) {
            if (sb.length() > 0) sb.append(',');
            sb.append("smin=").append(smin).append(",smax=").append(smax);
        }
        return sb.length() == 0 ? "unknown" : sb.toString();
    }
}
