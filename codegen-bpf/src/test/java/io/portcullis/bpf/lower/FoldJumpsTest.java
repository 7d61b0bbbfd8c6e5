package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.junit.jupiter.api.Test;

/**
 * {@link Ir#foldJumpsOverGotos}: a search's branch whose false side is a lone {@code br} becomes the inverse branch to
 * that block's target, and the lone block is gone; any other block (the parser's) is left alone.
 */
class FoldJumpsTest {
    @Test
    void aSearchBranchOverALoneGotoIsInvertedAndOtherBranchesStay() {
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef module = LLVMModuleCreateWithNameInContext("t", ctx);
        Ir ir = new Ir(ctx, module);
        try {
            LLVMTypeRef[] params = {ir.i32};
            LLVMValueRef fn = LLVMAddFunction(module, "f", LLVMFunctionType(ir.i32, new PointerPointer<>(params), 1, 0));
            ir.begin(fn);
            LLVMValueRef v = LLVMGetParam(fn, 0);
            // entry: if v >= 10 goto ge (true) else lt, where lt is a lone goto to child; the same shape in a parser
            // block ("ok") must stay.
            LLVMBasicBlockRef lt = ir.block("lt"), ge = ir.block("ge"), child = ir.block("child"), ok = ir.block("ok"),
                    other = ir.block("other");
            LLVMBuildCondBr(ir.b, LLVMBuildICmp(ir.b, LLVMIntUGE, v, LLVMConstInt(ir.i32, 10, 0), ""), ge, lt);
            ir.at(lt);
            LLVMBuildBr(ir.b, child);
            ir.at(ge);
            LLVMBuildCondBr(ir.b, LLVMBuildICmp(ir.b, LLVMIntEQ, v, LLVMConstInt(ir.i32, 20, 0), ""), other, ok);
            ir.at(ok);
            LLVMBuildBr(ir.b, child);
            ir.at(child);
            LLVMBuildRet(ir.b, LLVMConstInt(ir.i32, 1, 0));
            ir.at(other);
            LLVMBuildRet(ir.b, LLVMConstInt(ir.i32, 2, 0));

            assertEquals(1, ir.foldJumpsOverGotos(), "one search branch folded");
            assertEquals(0, LLVMVerifyFunction(fn, LLVMReturnStatusAction), "the function is still valid");
            LLVMValueRef term = LLVMGetBasicBlockTerminator(LLVMGetEntryBasicBlock(fn));
            assertEquals(child.address(), LLVMGetSuccessor(term, 0).address(), "jumps straight to the child");
            assertEquals(ge.address(), LLVMGetSuccessor(term, 1).address(), "the upper half follows");
            assertEquals(LLVMIntULT, LLVMGetICmpPredicate(LLVMGetCondition(term)), "v < 10");
            int blocks = 0;
            for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb != null; bb = LLVMGetNextBasicBlock(bb)) {
                blocks++;
                assertTrue(!LLVMGetBasicBlockName(bb).getString().startsWith("lt."), "the lone goto is deleted");
            }
            assertEquals(5, blocks, "entry, ge, child, ok (kept: not a search block) and other");
        } finally {
            ir.dispose();
            LLVMDisposeModule(module);
            LLVMContextDispose(ctx);
        }
    }
}
