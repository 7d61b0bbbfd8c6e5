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

    /**
     * Compiles with {@code sourceName} as the policy file's name in the debug info (BTF line info): the path relative
     * to the policy root, with '/' separators, so that objects do not depend on where the compiler ran. Without it,
     * the file's own name is used.
     */
    public static byte[] compile(ResolvedPolicy policy, String sourceName) throws CodegenException {
        return build(policy, false, Strategy.AUTO, sourceName).object;
    }

    /** The name of the policy's file without its directories: what {@link #compile(ResolvedPolicy)} records. */
    public static String defaultSourceName(ResolvedPolicy policy) {
        if (policy.span() == null || policy.span().file() == null) return "policy";
        String n = policy.span().file().displayName().replace('\\', '/');
        return n.substring(n.lastIndexOf('/') + 1);
    }

    /** The LLVM IR for {@code policy} after the passes run before emission, as text (for debugging). */
    public static String llvmIr(ResolvedPolicy policy) throws CodegenException {
        return build(policy, true).ir;
    }

    /** The function (and kernel program) name for {@code policy}: {@code pc_} and the sanitised name, 15 chars at most. */
    public static String programName(ResolvedPolicy policy) { return ProgramName.of(policy.name()); }

    private record Output(byte[] object, String ir, java.util.Map<Family, java.util.List<Long>> tableRoots) {}

    /**
     * An object and, for a table program, the references each family's walk starts its groups from, in group order
     * (empty for other programs). Translation validation may take the roots as a guess to start early; it proves them.
     */
    public record Compiled(byte[] object, java.util.Map<Family, java.util.List<Long>> tableRoots) {}

    /** As {@link #compile(ResolvedPolicy, String)}, with the table roots (see {@link Compiled}). */
    public static Compiled compileWithRoots(ResolvedPolicy policy, String sourceName) throws CodegenException {
        return compileWithRoots(policy, Strategy.AUTO, sourceName);
    }

    /** As {@link #compile(ResolvedPolicy, Strategy, String)}, with the table roots (see {@link Compiled}). */
    public static Compiled compileWithRoots(ResolvedPolicy policy, Strategy strategy, String sourceName) throws CodegenException {
        Output o = build(policy, false, strategy, sourceName);
        return new Compiled(o.object, o.tableRoots);
    }

    private static Output build(ResolvedPolicy policy, boolean wantIr) throws CodegenException {
        return build(policy, wantIr, Strategy.AUTO);
    }

    private static Output build(ResolvedPolicy policy, boolean wantIr, Strategy strategy) throws CodegenException {
        return build(policy, wantIr, strategy, defaultSourceName(policy));
    }

    private static Output build(ResolvedPolicy policy, boolean wantIr, Strategy strategy, String sourceName)
            throws CodegenException {
        ContextLayout layout = ContextLayout.of(policy.target());
        DecisionDiagram.Diagram[] diagrams = new DecisionDiagram.Diagram[2];
        long estimate = 0;
        DecisionTable.Table[] tables = null;
        if (strategy != Strategy.LINEAR) {
            for (Family f : new Family[] {Family.IPV4, Family.IPV6}) {
                diagrams[f.ordinal()] = diagram(policy, f);
                estimate += estimateInstructions(diagrams[f.ordinal()], f);
            }
            if (strategy == Strategy.AUTO) strategy = estimate > TABLE_ABOVE_INSNS ? Strategy.TABLE : Strategy.DIAGRAM;
            if (strategy == Strategy.TABLE) {
                tables = new DecisionTable.Table[2];
                estimate = 0;
                for (Family f : new Family[] {Family.IPV4, Family.IPV6}) {
                    tables[f.ordinal()] = DecisionTable.of(f, diagrams[f.ordinal()], policy.rules().size());
                    estimate += estimateWalk(tables[f.ordinal()], diagrams[f.ordinal()]);
                }
            }
        } else {
            estimate = 40L * policy.rules().size();
        }
        if (estimate > MAX_INSNS) {
            throw new CodegenException(Limits.PROGRAM_LENGTH, "the program would have about " + estimate
                    + " instructions, over the kernel's limit of " + MAX_INSNS + " instructions per program ("
                    + "BPF_COMPLEXITY_LIMIT_INSNS)");
        }
        LLVMTargetMachineRef tm = ObjectEmitter.targetMachine(estimate > NEAR_JUMP_INSNS ? ObjectEmitter.CPU_FAR_JUMPS
                : ObjectEmitter.CPU);
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMModuleRef module = LLVMModuleCreateWithNameInContext("portcullis", ctx);
        Ir ir = new Ir(ctx, module);
        try {
            ObjectEmitter.configure(module, tm);
            ir.hints = strategy != Strategy.TABLE;
            String source = policy.span() != null && policy.span().file() != null ? policy.span().file().text() : "";
            ir.debug = DebugInfo.create(ir, sourceName, source);
            license(ir);
            TableLowering.Globals globals = tables != null ? TableLowering.globals(ir, policy, tables) : null;
            program(ir, policy, layout, strategy, diagrams, tables, globals);
            ir.debug.finish();
            byte[] object = ObjectEmitter.emit(module, tm);
            java.util.Map<Family, java.util.List<Long>> roots = new java.util.EnumMap<>(Family.class);
            if (tables != null) {
                for (Family f : new Family[] {Family.IPV4, Family.IPV6}) {
                    roots.put(f, java.util.Arrays.stream(tables[f.ordinal()].roots()).boxed().toList());
                }
            }
            return new Output(object, wantIr ? ObjectEmitter.text(module) : null, java.util.Map.copyOf(roots));
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

    /**
     * How the rules are decided: the decision diagram inline as code, the same diagram as read-only tables walked by a
     * small fixed program, the linear chain (kept as the benchmark's baseline), or AUTO: inline up to
     * {@link #TABLE_ABOVE_INSNS} estimated instructions, tables above.
     */
    public enum Strategy { AUTO, DIAGRAM, TABLE, LINEAR }

    /**
     * Inline diagrams estimated above this many instructions are compiled as tables instead (see the README, "Back
     * end": per packet the inline code is a little faster, but LLVM's time grows faster than linearly with it).
     */
    public static final long TABLE_ABOVE_INSNS = 60_000;

    /** An upper estimate of the walk: per group and dim, per chunk, about 12 instructions per search step. */
    static long estimateWalk(DecisionTable.Table t, DecisionDiagram.Diagram d) {
        long n = 40;
        for (int g = 0; g < d.roots().size(); g++) {
            n += 40;
            for (int dim = 0; dim < DecisionDiagram.DIMS; dim++) {
                for (DecisionTable.Chunk c : t.chunks().get(dim)) n += 30 + 16L * DecisionTable.steps(c.maxIntervals());
            }
        }
        return n;
    }

    /** The kernel's limit on program length for privileged loaders (BPF_COMPLEXITY_LIMIT_INSNS). */
    public static final int MAX_INSNS = 1_000_000;
    /** Work (rule-list entries visited) after which the single diagram gives way to the grouped one. */
    static final long SINGLE_BUDGET_PER_TERM = 16, SINGLE_BUDGET_BASE = 20_000;
    /** Work after which compilation gives up: far past anything that could fit the program-length limit. */
    static final long BUDGET = 40_000_000;

    /** Compiles with the given strategy (the benchmark compares both). */
    public static byte[] compile(ResolvedPolicy policy, Strategy strategy) throws CodegenException {
        return build(policy, false, strategy).object;
    }

    /** Compiles with the given strategy and {@code sourceName} in the debug info (see {@link #compile(ResolvedPolicy, String)}). */
    public static byte[] compile(ResolvedPolicy policy, Strategy strategy, String sourceName) throws CodegenException {
        return build(policy, false, strategy, sourceName).object;
    }

    /** What {@link Strategy#AUTO} picks for {@code policy}: DIAGRAM or TABLE (builds the diagrams to estimate). */
    public static Strategy strategyFor(ResolvedPolicy policy) throws CodegenException {
        long estimate = 0;
        for (Family f : new Family[] {Family.IPV4, Family.IPV6}) estimate += estimateInstructions(diagram(policy, f), f);
        return estimate > TABLE_ABOVE_INSNS ? Strategy.TABLE : Strategy.DIAGRAM;
    }

    /** Below this many instructions (estimated) every jump fits a 16-bit offset; parser and slack included. */
    static final long NEAR_JUMP_INSNS = 24_000;

    /** An upper estimate: each interval costs a compare and a jump (IPv6 address words also a 64-bit constant). */
    static long estimateInstructions(DecisionDiagram.Diagram d, Family f) {
        long n = 0;
        for (DecisionDiagram.Node node : DecisionDiagram.nodes(d.roots())) {
            if (node.isLeaf()) { n += 4; continue; }
            boolean wide = f == Family.IPV6 && node.dim <= DecisionDiagram.Dim.SRC_LO.ordinal();
            n += (long) node.kids.length * (wide ? 4 : 2);
        }
        return n;
    }

    private static void program(Ir ir, ResolvedPolicy policy, ContextLayout layout, Strategy strategy,
                                DecisionDiagram.Diagram[] diagrams, DecisionTable.Table[] tables,
                                TableLowering.Globals globals) throws CodegenException {
        LLVMTypeRef[] params = {ir.ptr};
        LLVMTypeRef type = LLVMFunctionType(ir.i32, new org.bytedeco.javacpp.PointerPointer<>(params), 1, 0);
        LLVMValueRef fn = LLVMAddFunction(ir.module, ProgramName.of(policy.name()), type);
        LLVMSetSection(fn, policy.target().section());
        LLVMSetLinkage(fn, LLVMExternalLinkage);
        // Without nounwind LLVM emits .eh_frame, which libbpf reports and skips.
        int nounwind = LLVMGetEnumAttributeKindForName("nounwind", "nounwind".length());
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ir.ctx, nounwind, 0));

        LLVMBasicBlockRef entry = ir.begin(fn);
        ir.debug.function(fn, ProgramName.of(policy.name()), policy.target(),
                policy.span() == null ? 0 : policy.span().line(), entry);
        Fields fields = strategy == Strategy.DIAGRAM ? Fields.packed(ir) : Fields.separate(ir);
        LLVMValueRef ctx = ir.param(0);
        LLVMValueRef data = packetPointer(ir, ctx, layout.dataOffset());
        LLVMValueRef end = packetPointer(ir, ctx, layout.dataEndOffset());

        int deny = policy.target().code(Action.DENY);
        LLVMBasicBlockRef malformed = ir.block("malformed");
        LLVMBasicBlockRef nonIp = ir.block("nonip");
        LLVMBasicBlockRef v4 = ir.block("rules.v4");
        LLVMBasicBlockRef v6 = ir.block("rules.v6");
        LLVMValueRef len = null;
        if (layout.lenOffset() >= 0) {
            LLVMValueRef field = LLVMBuildLoad2(ir.b, ir.i32, ir.gep(ctx, layout.lenOffset()), "");
            LLVMSetAlignment(field, 4);
            len = LLVMBuildZExt(ir.b, field, ir.i64, "");
        }
        if (policy.target().ethernet()) ParserLowering.emit(ir, fields, data, end, len, v4, v6, nonIp, malformed);
        else ParserLowering.emitFromIp(ir, fields, data, end, len, v4, v6, nonIp, malformed);

        ir.at(malformed);
        ir.ret(deny);
        ir.at(nonIp);
        ir.ret(policy.target().code(policy.nonIp()));
        for (Family family : new Family[] {Family.IPV4, Family.IPV6}) {
            LLVMBasicBlockRef start = family == Family.IPV4 ? v4 : v6;
            if (strategy == Strategy.LINEAR) {
                FirstMatchLowering.emit(ir, family, policy.target(), policy.rules(), policy.defaultAction(), fields, start);
            } else if (strategy == Strategy.TABLE) {
                TableLowering.emit(ir, family, policy, fields, start, diagrams[family.ordinal()],
                        tables[family.ordinal()], globals);
            } else {
                DiagramLowering.emit(ir, family, policy, fields, start, diagrams[family.ordinal()]);
            }
        }
    }

    static DecisionDiagram.Diagram diagram(ResolvedPolicy policy, Family family) throws CodegenException {
        long single = SINGLE_BUDGET_BASE + SINGLE_BUDGET_PER_TERM * policy.rules().size();
        try {
            return DecisionDiagram.build(family, policy.rules(), single, BUDGET);
        } catch (DecisionDiagram.TooLarge e) {
            throw new CodegenException(Limits.PROGRAM_LENGTH, "the " + family + " rules need a decision diagram of more than " + BUDGET
                    + " entries, far past the kernel's limit of " + MAX_INSNS + " instructions per program ("
                    + "BPF_COMPLEXITY_LIMIT_INSNS)");
        }
    }

    /** Loads a 32-bit packet pointer field of the context, the way the verifier expects ({@code ldxw}). */
    private static LLVMValueRef packetPointer(Ir ir, LLVMValueRef ctx, int offset) {
        LLVMValueRef field = LLVMBuildLoad2(ir.b, ir.i32, ir.gep(ctx, offset), "");
        LLVMSetAlignment(field, 4);
        return LLVMBuildIntToPtr(ir.b, LLVMBuildZExt(ir.b, field, ir.i64, ""), ir.ptr, "");
    }
}
