package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetDataRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;

/** The machine-facing end of LLVM: the bpfel target, the IR passes we allow, and object emission. */
final class ObjectEmitter {
    static final String TRIPLE = "bpfel";
    static final String CPU = "v3";
    /**
     * For programs whose jumps may span more than the 16-bit offset of a conditional jump: LLVM then rewrites far
     * branches with {@code gotol} (32-bit offset, kernel 6.6+). With v3 it stops the process with "Branch target out
     * of insn range" instead, so the caller must pick v4 before emitting anything that large.
     */
    static final String CPU_FAR_JUMPS = "v4";
    /**
     * Only promotion of locals to registers. Combining passes (instcombine and friends) may rewrite a
     * {@code ptr + n > end} check into integer arithmetic on pointers, which the verifier rejects.
     */
    static final String PASSES = "mem2reg";

    private static boolean initialised;

    private ObjectEmitter() {}

    private static synchronized void init() {
        if (initialised) return;
        LLVMInitializeBPFTargetInfo();
        LLVMInitializeBPFTarget();
        LLVMInitializeBPFTargetMC();
        LLVMInitializeBPFAsmPrinter();
        initialised = true;
    }

    static LLVMTargetMachineRef targetMachine() throws CodegenException { return targetMachine(CPU); }

    static LLVMTargetMachineRef targetMachine(String cpu) throws CodegenException {
        init();
        BytePointer error = new BytePointer((Pointer) null);
        LLVMTargetRef target = new LLVMTargetRef();
        if (LLVMGetTargetFromTriple(new BytePointer(TRIPLE), target, error) != 0) {
            throw new CodegenException("LLVM has no BPF target: " + message(error));
        }
        return LLVMCreateTargetMachine(target, TRIPLE, cpu, "", Integer.getInteger("portcullis.llvm.level", LLVMCodeGenLevelDefault), LLVMRelocDefault,
                LLVMCodeModelDefault);
    }

    /** Points {@code module} at the BPF target; call before building functions so the data layout is known. */
    static void configure(LLVMModuleRef module, LLVMTargetMachineRef tm) {
        LLVMSetTarget(module, TRIPLE);
        LLVMTargetDataRef data = LLVMCreateTargetDataLayout(tm);
        BytePointer layout = LLVMCopyStringRepOfTargetData(data);
        LLVMSetDataLayout(module, layout);
        LLVMDisposeMessage(layout);
        LLVMDisposeTargetData(data);
    }

    static byte[] emit(LLVMModuleRef module, LLVMTargetMachineRef tm) throws CodegenException {
        BytePointer error = new BytePointer((Pointer) null);
        if (LLVMVerifyModule(module, LLVMReturnStatusAction, error) != 0) {
            throw new CodegenException("internal error: invalid LLVM IR: " + message(error));
        }
        LLVMDisposeMessage(error);
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        try {
            LLVMErrorRef err = LLVMRunPasses(module, PASSES, tm, options);
            if (err != null && !err.isNull()) {
                BytePointer msg = LLVMGetErrorMessage(err);
                String text = msg.getString();
                LLVMDisposeErrorMessage(msg);
                throw new CodegenException("LLVM passes failed: " + text);
            }
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
        LLVMMemoryBufferRef buffer = new LLVMMemoryBufferRef();
        error = new BytePointer((Pointer) null);
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, module, LLVMObjectFile, error, buffer) != 0) {
            throw new CodegenException("LLVM could not emit the BPF object: " + message(error));
        }
        try {
            int size = Math.toIntExact(LLVMGetBufferSize(buffer));
            byte[] out = new byte[size];
            LLVMGetBufferStart(buffer).capacity(size).get(out);
            return out;
        } finally {
            LLVMDisposeMemoryBuffer(buffer);
        }
    }

    /** The IR as text, for debugging and tests. */
    static String text(LLVMModuleRef module) {
        BytePointer s = LLVMPrintModuleToString(module);
        try {
            return s.getString();
        } finally {
            LLVMDisposeMessage(s);
        }
    }

    private static String message(BytePointer error) {
        if (error == null || error.isNull()) return "(no message)";
        String s = error.getString();
        LLVMDisposeMessage(error);
        return s;
    }
}
