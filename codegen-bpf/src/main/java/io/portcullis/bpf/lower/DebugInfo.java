package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.ir.Target;
import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMDIBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Debug information for the program, built with LLVM's DIBuilder, so that the BPF back end writes {@code .BTF} and
 * {@code .BTF.ext} with func info and line info: {@code bpftool prog dump xlated ... linum} and the kernel verifier's
 * log then show, for each instruction, the policy line it comes from (the rule; the policy header for the parser).
 *
 * <p>Determinism: the file is named by the caller (the path relative to the policy root), with an empty directory, no
 * producer version and no timestamps. Its text is embedded as the DIFile's {@code source}, so LLVM never reads the
 * file from disk (it would otherwise look it up relative to the working directory, and the line texts in
 * {@code .BTF.ext} would depend on where the compiler ran). The C API cannot set a DIFile's source, so that one node
 * is parsed from a two-line IR snippet in the same context and handed to the DIBuilder like any other file.
 */
final class DebugInfo {
    private final Ir ir;
    private final LLVMDIBuilderRef di;
    private final LLVMMetadataRef file;
    private LLVMMetadataRef subprogram;

    private DebugInfo(Ir ir, LLVMDIBuilderRef di, LLVMMetadataRef file) {
        this.ir = ir;
        this.di = di;
        this.file = file;
    }

    /** Starts debug info for {@code module}: module flags, the file with its text, the compile unit. */
    static DebugInfo create(Ir ir, String fileName, String source) throws CodegenException {
        LLVMModuleRef module = ir.module;
        LLVMAddModuleFlag(module, LLVMModuleFlagBehaviorWarning, "Debug Info Version", "Debug Info Version".length(),
                LLVMValueAsMetadata(LLVMConstInt(ir.i32, LLVMDebugMetadataVersion(), 0)));
        LLVMAddModuleFlag(module, LLVMModuleFlagBehaviorWarning, "Dwarf Version", "Dwarf Version".length(),
                LLVMValueAsMetadata(LLVMConstInt(ir.i32, 5, 0)));
        LLVMDIBuilderRef di = LLVMCreateDIBuilder(module);
        LLVMMetadataRef file = fileWithSource(ir, fileName, source);
        LLVMDIBuilderCreateCompileUnit(di, LLVMDWARFSourceLanguageC, file, "portcullis", "portcullis".length(), 1,
                "", 0, 0, "", 0, LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0);
        return new DebugInfo(ir, di, file);
    }

    /**
     * Describes {@code fn} ({@code int name(struct CTX *ctx)}) as defined at {@code line}, and names its parameter:
     * the kernel rejects func info whose arguments have no names, and libbpf then silently loads without BTF.
     */
    void function(LLVMValueRef fn, String name, Target target, int line, LLVMBasicBlockRef entry) {
        LLVMMetadataRef intType = LLVMDIBuilderCreateBasicType(di, "int", 3, 32, 5 /* DW_ATE_signed */, 0);
        String ctxName = target == Target.XDP ? "xdp_md" : "__sk_buff";
        LLVMMetadataRef ctxStruct = LLVMDIBuilderCreateForwardDecl(di, 0x13 /* DW_TAG_structure_type */, ctxName,
                ctxName.length(), file, file, 0, 0, 0, 0, "", 0);
        LLVMMetadataRef ctxPtr = LLVMDIBuilderCreatePointerType(di, ctxStruct, 64, 0, 0, "", 0);
        LLVMMetadataRef type;
        try (PointerPointer<LLVMMetadataRef> types = new PointerPointer<>(intType, ctxPtr)) {
            type = LLVMDIBuilderCreateSubroutineType(di, file, types, 2, LLVMDIFlagPrototyped);
        }
        subprogram = LLVMDIBuilderCreateFunction(di, file, name, name.length(), name, name.length(), file, line, type,
                0, 1, line, LLVMDIFlagPrototyped, 1);
        LLVMSetSubprogram(fn, subprogram);
        LLVMMetadataRef param = LLVMDIBuilderCreateParameterVariable(di, subprogram, "ctx", 3, 1, file, line, ctxPtr,
                1 /* always preserve */, 0);
        LLVMMetadataRef loc = location(line, 0);
        LLVMDIBuilderInsertDbgValueRecordAtEnd(di, LLVMGetParam(fn, 0), param,
                LLVMDIBuilderCreateExpression(di, new long[0], 0), loc, entry);
        at(line, 0);
    }

    /** Instructions built from now on belong to {@code line} (1-based) of the policy file. */
    void at(int line, int column) {
        LLVMSetCurrentDebugLocation2(ir.b, location(line, column));
    }

    private LLVMMetadataRef location(int line, int column) {
        return LLVMDIBuilderCreateDebugLocation(ir.ctx, Math.max(0, line), Math.max(0, column), subprogram, null);
    }

    void finish() {
        LLVMDIBuilderFinalize(di);
        LLVMDisposeDIBuilder(di);
    }

    /** A DIFile with embedded source, parsed from IR text (see the class comment). */
    private static LLVMMetadataRef fileWithSource(Ir ir, String fileName, String source) throws CodegenException {
        String text = "!llvm.module.flags = !{!1}\n"
                + "!1 = !{i32 2, !\"Debug Info Version\", i32 " + LLVMDebugMetadataVersion() + "}\n"
                + "!portcullis.file = !{!0}\n"
                + "!0 = !DIFile(filename: \"" + escape(fileName) + "\", directory: \"\", source: \"" + escape(source) + "\")\n";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        BytePointer data = new BytePointer(bytes.length);
        data.put(bytes, 0, bytes.length);
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bytes.length, new BytePointer("debug"));
        LLVMModuleRef parsed = new LLVMModuleRef();
        BytePointer error = new BytePointer((Pointer) null);
        // Takes ownership of the buffer.
        if (LLVMParseIRInContext(ir.ctx, buffer, parsed, error) != 0) {
            String msg = error.isNull() ? "(no message)" : error.getString();
            throw new CodegenException("internal error: LLVM rejected the debug file node: " + msg);
        }
        try (PointerPointer<LLVMValueRef> out = new PointerPointer<>(1)) {
            LLVMGetNamedMetadataOperands(parsed, "portcullis.file", out);
            return LLVMValueAsMetadata(out.get(LLVMValueRef.class, 0));
        } finally {
            // The node lives in the context, not in the module.
            LLVMDisposeModule(parsed);
        }
    }

    /** An LLVM IR string literal body: printable ASCII as is, everything else (and {@code "} and {@code \}) as \XX. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') sb.append((char) c);
            else sb.append('\\').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return sb.toString();
    }
}
