package io.portcullis.bpf.verify;

/**
 * A set of 64-bit values as an unsigned range, a signed range and known bits ({@code tv}: the known bit values,
 * {@code tm}: the unknown bits; the kernel's {@code umin/umax/smin/smax} and {@code var_off} tnum), kept consistent with
 * each other. Immutable. Unsigned bounds are stored in {@code long}s and compared with {@link Long#compareUnsigned}.
 * The known bits matter for alignment (an IPv6 extension-header length is a multiple of 8, an AH length a multiple of
 * 4) and for the complexity estimate, where the kernel compares precise scalars by range and by known bits.
 */
record Scalar(long umin, long umax, long smin, long smax, long tv, long tm) {
    /** A scalar whose known bits are only those its unsigned range implies. */
    Scalar(long umin, long umax, long smin, long smax) {
        this(umin, umax, smin, smax, rangeValue(umin, umax), rangeMask(umin, umax));
    }

    /** The kernel's tnum_range: the bits shared by every value in [lo, hi]. */
    static long rangeMask(long lo, long hi) {
        long chi = lo ^ hi;
        int bits = 64 - Long.numberOfLeadingZeros(chi);
        return bits > 63 ? -1L : (1L << bits) - 1;
    }

    static long rangeValue(long lo, long hi) { return lo & ~rangeMask(lo, hi); }

    /** This scalar with the known bits (v, m) added (intersected), and the unsigned range tightened by them. */
    Scalar withTnum(long v, long m) {
        long nv = tv | v, nm = tm & m;
        if (((tv ^ v) & ~tm & ~m) != 0) return this; // contradictory (an infeasible refinement): keep what we have
        nv &= ~nm;
        long lo = umax(umin, nv), hi = umin(umax, nv | nm);
        if (Long.compareUnsigned(lo, hi) > 0) return this;
        if (lo == umin && hi == umax && nv == tv && nm == tm) return this;
        Scalar r = new Scalar(lo, hi, smin, smax, nv, nm);
        return r.sync0();
    }

    Scalar withTnumOf(Scalar o) { return withTnum(o.tv, o.tm); }

    /** Whether every value of {@code o} is in this set as far as known bits go (the kernel's tnum_in). */
    boolean tnumContains(Scalar o) {
        if ((o.tm & ~tm) != 0) return false;
        return (o.tv & ~tm) == tv;
    }
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
        Scalar r = sync0();
        return r.empty() ? r : r.withTnum(rangeValue(r.umin, r.umax), rangeMask(r.umin, r.umax));
    }

    private Scalar sync0() {
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
        return new Scalar(umin, umax, smin, smax, tv, tm);
    }

    Scalar join(Scalar o) {
        if (equals(o)) return this;
        long m = tm | o.tm | (tv ^ o.tv);
        return new Scalar(umin(umin, o.umin), umax(umax, o.umax), Math.min(smin, o.smin), Math.max(smax, o.smax))
                .withTnum(tv & o.tv & ~m, m);
    }

    /** This scalar truncated to 32 bits and zero-extended, as a 32-bit ALU result is. */
    Scalar zext32() {
        if (fits32()) return this;
        if (Long.compareUnsigned(umax - umin, U32_MAX) <= 0 && (umin >>> 32) == (umax >>> 32)) {
            return unsigned(umin & U32_MAX, umax & U32_MAX).withTnum(tv & U32_MAX, tm & U32_MAX);
        }
        return U32.withTnum(tv & U32_MAX, tm & U32_MAX);
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
        long sm = tm + o.tm, sv = tv + o.tv, mu = ((sm + sv) ^ sv) | tm | o.tm;
        return new Scalar(uOverflow ? 0 : lo, uOverflow ? -1L : hi, slo, shi).sync().withTnum(sv & ~mu, mu);
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
        long dv = tv - o.tv, mu = ((dv + tm) ^ (dv - o.tm)) | tm | o.tm;
        return new Scalar(uUnder ? 0 : umin - o.umax, uUnder ? -1L : umax - o.umin, slo, shi).sync().withTnum(dv & ~mu, mu);
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
        long v = tv & o.tv;
        return unsigned(0, umin(umax, o.umax)).withTnum(v, (tv | tm) & (o.tv | o.tm) & ~v);
    }

    Scalar or(Scalar o) {
        if (isConst() && o.isConst()) return constant(umin | o.umin);
        long v = tv | o.tv;
        return unsigned(umax(umin, o.umin), bitsUpTo(umax | o.umax)).withTnum(v, (tm | o.tm) & ~v);
    }

    Scalar xor(Scalar o) {
        if (isConst() && o.isConst()) return constant(umin ^ o.umin);
        long mu = tm | o.tm;
        return unsigned(0, bitsUpTo(umax | o.umax)).withTnum((tv ^ o.tv) & ~mu, mu);
    }

    Scalar lsh(int k) {
        if (k == 0) return this;
        if (Long.numberOfLeadingZeros(umax) >= k) return unsigned(umin << k, umax << k).withTnum(tv << k, tm << k);
        return UNKNOWN.withTnum(tv << k, tm << k);
    }

    Scalar rsh(int k) { return k == 0 ? this : unsigned(umin >>> k, umax >>> k).withTnum(tv >>> k, tm >>> k); }

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
