package io.portcullis.bpf.lower;

import io.portcullis.ir.ResolvedPolicy;

/** Lowers a checked policy to LLVM IR (bytedeco) and emits a bpfel ELF object. Pure: same policy, same bytes. (Owner: codegen.) */
public final class BpfCompiler {
    private BpfCompiler() {}

    public static byte[] compile(ResolvedPolicy policy) throws CodegenException {
        throw new UnsupportedOperationException("not landed yet");
    }
}
