package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.ResolvedPolicy;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/** Lowers a checked policy to LLVM IR (bytedeco) and emits a bpfel ELF object. Pure: same policy, same bytes. (Owner: codegen.) */
public final class BpfCompiler {
    /** The symbol of the licence string; libbpf only looks at the section. */
    static final String LICENSE_SYMBOL = "_license";
    static final String LICENSE = "GPL";

    private BpfCompiler() {}

    public static byte[] compile(ResolvedPolicy policy) throws CodegenException {
        return build(policy, false).object;
    }

    /** The LLVM IR for {@code policy} after the passes run before emission, as text (for debugging). */
    public static String llvmIr(ResolvedPolicy policy) throws CodegenException {
        return build(policy, true).ir;
    }

    /** The function (and kernel program) name for {@code policy}: {@code pc_} and the sanitised name, 15 chars at most. */
    public static String programName(ResolvedPolicy policy) { return ProgramName.of(policy.name()); }

    private record Output(byte[] object, String ir) {}

    private static Output build(ResolvedPolicy policy, boolean wantIr) throws CodegenException {
        ContextLayout layout = ContextLayout.of(policy.target());
        LLVMTargetMachineRef tm = ObjectEmitter.targetMachine();
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef module = LLVMModuleCreateWithNameInContext("portcullis", ctx);
        Ir ir = new Ir(ctx, module);
        try {
            ObjectEmitter.configure(module, tm);
            license(ir);
            program(ir, policy, layout);
            byte[] object = ObjectEmitter.emit(module, tm);
            return new Output(object, wantIr ? ObjectEmitter.text(module) : null);
        } finally {
            ir.dispose();
            LLVMDisposeModule(module);
            LLVMContextDispose(ctx);
            LLVMDisposeTargetMachine(tm);
        }
    }

    private static void license(Ir ir) {
        LLVMValueRef text = LLVMConstStringInContext2(ir.ctx, LICENSE, LICENSE.length(), 0); // 0: keep the NUL
        LLVMValueRef g = LLVMAddGlobal(ir.module, LLVMTypeOf(text), LICENSE_SYMBOL);
        LLVMSetInitializer(g, text);
        LLVMSetSection(g, "license");
        LLVMSetAlignment(g, 1);
        LLVMSetLinkage(g, LLVMExternalLinkage);
    }

    private static void program(Ir ir, ResolvedPolicy policy, ContextLayout layout) {
        LLVMTypeRef[] params = {ir.ptr};
        LLVMTypeRef type = LLVMFunctionType(ir.i32, new org.bytedeco.javacpp.PointerPointer<>(params), 1, 0);
        LLVMValueRef fn = LLVMAddFunction(ir.module, ProgramName.of(policy.name()), type);
        LLVMSetSection(fn, policy.target().section());
        LLVMSetLinkage(fn, LLVMExternalLinkage);
        // Without nounwind LLVM emits .eh_frame, which libbpf reports and skips.
        int nounwind = LLVMGetEnumAttributeKindForName("nounwind", "nounwind".length());
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ir.ctx, nounwind, 0));

        ir.begin(fn);
        Fields fields = Fields.allocate(ir);
        LLVMValueRef ctx = ir.param(0);
        LLVMValueRef data = packetPointer(ir, ctx, layout.dataOffset());
        LLVMValueRef end = packetPointer(ir, ctx, layout.dataEndOffset());

        int deny = policy.target().code(Action.DENY);
        LLVMBasicBlockRef malformed = ir.block("malformed");
        LLVMBasicBlockRef nonIp = ir.block("nonip");
        LLVMBasicBlockRef v4 = ir.block("rules.v4");
        LLVMBasicBlockRef v6 = ir.block("rules.v6");
        if (policy.target().ethernet()) ParserLowering.emit(ir, fields, data, end, v4, v6, nonIp, malformed);
        else ParserLowering.emitFromIp(ir, fields, data, end, v4, v6, nonIp, malformed);

        ir.at(malformed);
        ir.ret(deny);
        ir.at(nonIp);
        ir.ret(policy.target().code(policy.nonIp()));
        FirstMatchLowering.emit(ir, Family.IPV4, policy.target(), policy.rules(), policy.defaultAction(), fields, v4);
        FirstMatchLowering.emit(ir, Family.IPV6, policy.target(), policy.rules(), policy.defaultAction(), fields, v6);
    }

    /** Loads a 32-bit packet pointer field of the context, the way the verifier expects ({@code ldxw}). */
    private static LLVMValueRef packetPointer(Ir ir, LLVMValueRef ctx, int offset) {
        LLVMValueRef field = LLVMBuildLoad2(ir.b, ir.i32, ir.gep(ctx, offset), "");
        LLVMSetAlignment(field, 4);
        return LLVMBuildIntToPtr(ir.b, LLVMBuildZExt(ir.b, field, ir.i64, ""), ir.ptr, "");
    }
}
