package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Op;

/** Refines two scalars by the outcome of a conditional jump, as the kernel's {@code reg_set_min_max}. */
final class Branches {
    private Branches() {}

    /**
     * The operands narrowed to the values for which {@code a OP b} is {@code outcome}, or null when no values are.
     * For 32-bit jumps the operands are refined only when both fit in 32 bits (then the 32-bit and 64-bit comparisons
     * agree); otherwise the outcome is decided only for constants.
     */
    static Scalar[] refine(Scalar a, Scalar b, int op, boolean outcome, boolean j32) {
        if (!outcome) op = negate(op);
        if (j32) {
            if (a.isConst() && b.isConst()) return holds32(a.umin(), b.umin(), op) ? new Scalar[] {a, b} : null;
            boolean signed = op == Op.JSGT || op == Op.JSGE || op == Op.JSLT || op == Op.JSLE;
            long limit = signed ? Integer.MAX_VALUE : Scalar.U32_MAX;
            if (Long.compareUnsigned(a.umax(), limit) > 0 || Long.compareUnsigned(b.umax(), limit) > 0) {
                return new Scalar[] {a, b};
            }
        }
        return refine64(a, b, op);
    }

    static int negate(int op) {
        return switch (op) {
            case Op.JEQ -> Op.JNE;
            case Op.JNE -> Op.JEQ;
            case Op.JGT -> Op.JLE;
            case Op.JLE -> Op.JGT;
            case Op.JGE -> Op.JLT;
            case Op.JLT -> Op.JGE;
            case Op.JSGT -> Op.JSLE;
            case Op.JSLE -> Op.JSGT;
            case Op.JSGE -> Op.JSLT;
            case Op.JSLT -> Op.JSGE;
            case Op.JSET -> -Op.JSET; // "no bit in common"
            default -> op;
        };
    }

    private static boolean holds32(long x, long y, int op) {
        int a = (int) x, b = (int) y;
        return switch (op) {
            case Op.JEQ -> a == b;
            case Op.JNE -> a != b;
            case Op.JGT -> Integer.compareUnsigned(a, b) > 0;
            case Op.JGE -> Integer.compareUnsigned(a, b) >= 0;
            case Op.JLT -> Integer.compareUnsigned(a, b) < 0;
            case Op.JLE -> Integer.compareUnsigned(a, b) <= 0;
            case Op.JSGT -> a > b;
            case Op.JSGE -> a >= b;
            case Op.JSLT -> a < b;
            case Op.JSLE -> a <= b;
            case Op.JSET -> (a & b) != 0;
            case -Op.JSET -> (a & b) == 0;
            default -> true;
        };
    }

    private static Scalar[] refine64(Scalar a, Scalar b, int op) {
        long aumin = a.umin(), aumax = a.umax(), asmin = a.smin(), asmax = a.smax();
        long bumin = b.umin(), bumax = b.umax(), bsmin = b.smin(), bsmax = b.smax();
        switch (op) {
            case Op.JEQ -> {
                aumin = bumin = Scalar.umax(aumin, bumin);
                aumax = bumax = Scalar.umin(aumax, bumax);
                asmin = bsmin = Math.max(asmin, bsmin);
                asmax = bsmax = Math.min(asmax, bsmax);
            }
            case Op.JNE -> {
                if (a.isConst() && b.isConst() && aumin == bumin) return null;
                if (b.isConst()) {
                    if (aumin == bumin) aumin++;
                    else if (aumax == bumin) aumax--;
                }
                if (a.isConst()) {
                    if (bumin == aumin) bumin++;
                    else if (bumax == aumin) bumax--;
                }
            }
            case Op.JGT -> {
                if (bumin == -1L || aumax == 0) return null;
                aumin = Scalar.umax(aumin, bumin + 1);
                bumax = Scalar.umin(bumax, aumax - 1);
            }
            case Op.JGE -> {
                aumin = Scalar.umax(aumin, bumin);
                bumax = Scalar.umin(bumax, aumax);
            }
            case Op.JLT -> {
                if (aumin == -1L || bumax == 0) return null;
                aumax = Scalar.umin(aumax, bumax - 1);
                bumin = Scalar.umax(bumin, aumin + 1);
            }
            case Op.JLE -> {
                aumax = Scalar.umin(aumax, bumax);
                bumin = Scalar.umax(bumin, aumin);
            }
            case Op.JSGT -> {
                if (bsmin == Long.MAX_VALUE || asmax == Long.MIN_VALUE) return null;
                asmin = Math.max(asmin, bsmin + 1);
                bsmax = Math.min(bsmax, asmax - 1);
            }
            case Op.JSGE -> {
                asmin = Math.max(asmin, bsmin);
                bsmax = Math.min(bsmax, asmax);
            }
            case Op.JSLT -> {
                if (asmin == Long.MAX_VALUE || bsmax == Long.MIN_VALUE) return null;
                asmax = Math.min(asmax, bsmax - 1);
                bsmin = Math.max(bsmin, asmin + 1);
            }
            case Op.JSLE -> {
                asmax = Math.min(asmax, bsmax);
                bsmin = Math.max(bsmin, asmin);
            }
            case Op.JSET -> {
                if (a.isConst() && b.isConst() && (aumin & bumin) == 0) return null;
                if (a.isConst() && aumin == 0 || b.isConst() && bumin == 0) return null;
            }
            case -Op.JSET -> {
                if (a.isConst() && b.isConst() && (aumin & bumin) != 0) return null;
            }
            default -> { }
        }
        Scalar ra = new Scalar(aumin, aumax, asmin, asmax, a.tv(), a.tm()), rb = new Scalar(bumin, bumax, bsmin, bsmax, b.tv(), b.tm());
        if (ra.empty() || rb.empty()) return null;
        if (op == Op.JEQ) {
            ra = ra.withTnumOf(b);
            rb = rb.withTnumOf(a);
        }
        ra = ra.sync();
        rb = rb.sync();
        if (ra.empty() || rb.empty()) return null;
        return new Scalar[] {ra, rb};
    }
}
