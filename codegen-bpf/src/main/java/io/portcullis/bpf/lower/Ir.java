package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A thin layer over the LLVM C builder for the one function being lowered. Scalars are i64 throughout: the verifier
 * tracks 64-bit registers best, and a single width keeps the lowering free of casts. Block names are numbered in
 * creation order so the IR text (and so the object) does not depend on anything but the policy.
 */
final class Ir {
    final LLVMContextRef ctx;
    final LLVMModuleRef module;
    final LLVMBuilderRef b;
    final LLVMTypeRef i1, i8, i16, i32, i64, ptr;
    private LLVMValueRef fn;
    /** Debug info for line tables and BTF, or null (then {@link #line} does nothing). */
    DebugInfo debug;
    private LLVMBasicBlockRef allocaBlock;
    private int blocks;

    Ir(LLVMContextRef ctx, LLVMModuleRef module) {
        this.ctx = ctx;
        this.module = module;
        this.b = LLVMCreateBuilderInContext(ctx);
        i1 = LLVMInt1TypeInContext(ctx);
        i8 = LLVMInt8TypeInContext(ctx);
        i16 = LLVMInt16TypeInContext(ctx);
        i32 = LLVMInt32TypeInContext(ctx);
        i64 = LLVMInt64TypeInContext(ctx);
        ptr = LLVMPointerTypeInContext(ctx, 0);
    }

    void dispose() { LLVMDisposeBuilder(b); }

    /** Instructions built from now on come from policy line {@code line} (see {@link DebugInfo}). */
    void line(io.portcullis.diag.Span span) {
        if (debug != null && span != null) debug.at(span.line(), span.column());
    }

    /** Starts {@code fn}: its first block holds the allocas, so mem2reg can promote every one of them. */
    LLVMBasicBlockRef begin(LLVMValueRef function) {
        fn = function;
        allocaBlock = LLVMAppendBasicBlockInContext(ctx, fn, "entry");
        LLVMPositionBuilderAtEnd(b, allocaBlock);
        return allocaBlock;
    }

    LLVMValueRef param(int i) { return LLVMGetParam(fn, i); }

    LLVMBasicBlockRef block(String hint) {
        return LLVMAppendBasicBlockInContext(ctx, fn, hint + "." + (blocks++));
    }

    void at(LLVMBasicBlockRef bb) { LLVMPositionBuilderAtEnd(b, bb); }

    /** An i64 local initialised to {@code init}; must be called while positioned in the entry block. */
    LLVMValueRef local(String name, long init) {
        LLVMValueRef slot = LLVMBuildAlloca(b, i64, name);
        LLVMBuildStore(b, k(init), slot);
        return slot;
    }

    /** An i64 stack slot accessed only through {@link #setVolatile}/{@link #getVolatile}; entry block only. */
    LLVMValueRef volatileLocal(String name, long init) {
        LLVMValueRef slot = LLVMBuildAlloca(b, i64, name);
        LLVMSetAlignment(slot, 8);
        setVolatile(slot, k(init));
        return slot;
    }

    /** An i64 stack slot for {@link #setVolatile}/{@link #getVolatile}, not initialised; entry block only. */
    LLVMValueRef volatileSlot(String name) {
        LLVMValueRef slot = LLVMBuildAlloca(b, i64, name);
        LLVMSetAlignment(slot, 8);
        return slot;
    }

    /**
     * An i64 local (promoted to a register) created in the entry block wherever the builder is; the builder comes
     * back to its block afterwards. For locals only the decision code needs; the caller stores its first value.
     */
    LLVMValueRef lateLocal(String name) {
        LLVMBasicBlockRef here = LLVMGetInsertBlock(b);
        LLVMValueRef term = LLVMGetBasicBlockTerminator(allocaBlock);
        if (term != null && !term.isNull()) LLVMPositionBuilderBefore(b, term);
        else LLVMPositionBuilderAtEnd(b, allocaBlock);
        LLVMValueRef slot = LLVMBuildAlloca(b, i64, name);
        LLVMPositionBuilderAtEnd(b, here);
        return slot;
    }

    void set(LLVMValueRef slot, LLVMValueRef v) { LLVMBuildStore(b, v, slot); }

    LLVMValueRef get(LLVMValueRef slot) { return LLVMBuildLoad2(b, i64, slot, ""); }

    /**
     * A volatile store to an i64 stack slot. Volatile accesses are neither promoted to registers nor merged, so every
     * {@link #getVolatile} is a load of its own in the object (see {@link Fields} for why that matters).
     */
    void setVolatile(LLVMValueRef slot, LLVMValueRef v) {
        LLVMValueRef st = LLVMBuildStore(b, v, slot);
        LLVMSetVolatile(st, 1);
        LLVMSetAlignment(st, 8);
    }

    LLVMValueRef getVolatile(LLVMValueRef slot) {
        LLVMValueRef v = LLVMBuildLoad2(b, i64, slot, "");
        LLVMSetVolatile(v, 1);
        LLVMSetAlignment(v, 8);
        return v;
    }

    LLVMValueRef xor(LLVMValueRef a, LLVMValueRef c) { return LLVMBuildXor(b, a, c, ""); }

    LLVMValueRef k(long v) { return LLVMConstInt(i64, v, 0); }

    LLVMValueRef add(LLVMValueRef a, LLVMValueRef c) { return LLVMBuildAdd(b, a, c, ""); }
    LLVMValueRef and(LLVMValueRef a, long m) { return LLVMBuildAnd(b, a, k(m), ""); }
    LLVMValueRef or(LLVMValueRef a, LLVMValueRef c) { return LLVMBuildOr(b, a, c, ""); }
    LLVMValueRef shl(LLVMValueRef a, long n) { return LLVMBuildShl(b, a, k(n), ""); }
    LLVMValueRef lshr(LLVMValueRef a, long n) { return LLVMBuildLShr(b, a, k(n), ""); }

    LLVMValueRef cmp(int pred, LLVMValueRef a, LLVMValueRef c) { return LLVMBuildICmp(b, pred, a, c, ""); }
    LLVMValueRef cmp(int pred, LLVMValueRef a, long c) { return cmp(pred, a, k(c)); }

    /** {@code base + off} bytes, as a packet pointer the verifier can follow. */
    LLVMValueRef gep(LLVMValueRef base, LLVMValueRef off) {
        try (PointerPointer<LLVMValueRef> idx = new PointerPointer<>(1)) {
            idx.put(0, off);
            return LLVMBuildGEP2(b, i8, base, idx, 1, "");
        }
    }

    LLVMValueRef gep(LLVMValueRef base, long off) { return off == 0 ? base : gep(base, k(off)); }

    /** Loads an unsigned integer of {@code type} at {@code p + off} and widens it to i64 (the packet's byte order). */
    LLVMValueRef loadRaw(LLVMTypeRef type, LLVMValueRef p, long off, int align) {
        LLVMValueRef v = LLVMBuildLoad2(b, type, gep(p, off), "");
        LLVMSetAlignment(v, align);
        return type == i64 ? v : LLVMBuildZExt(b, v, i64, "");
    }

    LLVMValueRef u8(LLVMValueRef p, long off) { return loadRaw(i8, p, off, 1); }

    /** Big-endian u16 from two byte loads: the verifier then knows the result is below 65536. */
    LLVMValueRef be16(LLVMValueRef p, long off) { return or(shl(u8(p, off), 8), u8(p, off + 1)); }

    /** {@code llvm.bswap} of an i32 or i64 value: one BPF {@code be32}/{@code be64} instruction. */
    LLVMValueRef bswap(LLVMTypeRef t, LLVMValueRef v) {
        String name = t == i64 ? "llvm.bswap.i64" : "llvm.bswap.i32";
        LLVMValueRef fn = LLVMGetNamedFunction(module, name);
        LLVMTypeRef[] params = {t};
        LLVMTypeRef fnType = LLVMFunctionType(t, new PointerPointer<>(params), 1, 0);
        if (fn == null || fn.isNull()) fn = LLVMAddFunction(module, name, fnType);
        LLVMValueRef[] args = {v};
        return LLVMBuildCall2(b, fnType, fn, new PointerPointer<>(args), 1, "");
    }

    void br(LLVMBasicBlockRef to) { LLVMBuildBr(b, to); }

    void condBr(LLVMValueRef cond, LLVMBasicBlockRef yes, LLVMBasicBlockRef no) { LLVMBuildCondBr(b, cond, yes, no); }

    /**
     * Layout hints for the parser ({@link #exitIfUnlikely}, {@link #check}, {@link #requireBytesOrExit}): with them the
     * common path through the parser falls through its tests; without them those methods emit exactly what
     * {@link #exitIf}, {@link #require} and {@link #requireBytes} do. Off for table programs, whose objects stay as they
     * were while their translation validation is being built.
     */
    boolean hints;

    /** Jumps to {@code to} when {@code cond} holds, which is unlikely: {@code to} goes out of line (with hints). */
    void exitIfUnlikely(LLVMValueRef cond, LLVMBasicBlockRef to) {
        if (!hints) {
            exitIf(cond, to);
            return;
        }
        LLVMBasicBlockRef next = block("cont");
        weightedBr(cond, to, next, 1, 64);
        follow(next);
    }

    /**
     * Moves {@code next} right after the current block and continues there. LLVM's BPF back end keeps blocks in the
     * order of the IR (it cannot analyse, so cannot re-lay out, a conditional branch), and at instruction selection a
     * branch falls through to its false successor only if that is the next block: so the block order is the layout.
     */
    void follow(LLVMBasicBlockRef next) {
        LLVMMoveBasicBlockAfter(next, LLVMGetInsertBlock(b));
        at(next);
    }

    /** Continues when {@code cond} holds, the likely case; otherwise jumps to {@code otherwise} (see {@link #hints}). */
    void check(LLVMValueRef cond, LLVMBasicBlockRef otherwise) {
        if (!hints) {
            require(cond, otherwise);
            return;
        }
        exitIfUnlikely(LLVMBuildNot(b, cond, ""), otherwise);
    }

    /** {@link #requireBytes} with the bounds failure unlikely (see {@link #hints}). */
    void requireBytesOrExit(LLVMValueRef p, long n, LLVMValueRef end, LLVMBasicBlockRef to) {
        if (!hints) {
            requireBytes(p, n, end, to);
            return;
        }
        exitIfUnlikely(LLVMBuildICmp(b, LLVMIntUGT, gep(p, n), end, ""), to);
    }

    /**
     * A branch whose false successor should follow it in the object (the caller continues there with
     * {@link #follow}): then it is one jump, taken only for the true side, where a true successor placed next costs a
     * conditional jump over an extra {@code goto} (the BPF back end cannot reverse a branch). The weights of 1 : 2 say
     * the same to LLVM's block placement.
     */
    void condBrFallingTo(LLVMValueRef cond, LLVMBasicBlockRef yes, LLVMBasicBlockRef no) {
        weightedBr(cond, yes, no, 1, 2);
    }

    /** A conditional branch with {@code !prof} branch weights for its true and false successors. */
    private void weightedBr(LLVMValueRef cond, LLVMBasicBlockRef yes, LLVMBasicBlockRef no, int yesWeight, int noWeight) {
        LLVMValueRef br = LLVMBuildCondBr(b, cond, yes, no);
        if (profKind < 0) profKind = LLVMGetMDKindIDInContext(ctx, "prof", 4);
        org.bytedeco.llvm.LLVM.LLVMMetadataRef[] md = {
            LLVMMDStringInContext2(ctx, "branch_weights", 14),
            LLVMValueAsMetadata(LLVMConstInt(i32, yesWeight, 0)),
            LLVMValueAsMetadata(LLVMConstInt(i32, noWeight, 0))};
        LLVMSetMetadata(br, profKind, LLVMMetadataAsValue(ctx, LLVMMDNodeInContext2(ctx, new PointerPointer<>(md), md.length)));
    }

    private int profKind = -1;

    /** Continues in a fresh block when {@code cond} holds, otherwise jumps to {@code otherwise}. */
    void require(LLVMValueRef cond, LLVMBasicBlockRef otherwise) {
        LLVMBasicBlockRef next = block("ok");
        condBr(cond, next, otherwise);
        at(next);
    }

    /** Jumps to {@code to} when {@code cond} holds, otherwise continues in a fresh block. */
    void exitIf(LLVMValueRef cond, LLVMBasicBlockRef to) {
        LLVMBasicBlockRef next = block("cont");
        condBr(cond, to, next);
        at(next);
    }

    /** Exits to {@code to} unless {@code p + n <= end}: the bounds check the verifier needs before reading {@code p[0..n)}. */
    void requireBytes(LLVMValueRef p, long n, LLVMValueRef end, LLVMBasicBlockRef to) {
        exitIf(LLVMBuildICmp(b, LLVMIntUGT, gep(p, n), end, ""), to);
    }

    void ret(int code) { LLVMBuildRet(b, LLVMConstInt(i32, code, 0)); }
}
