package io.portcullis.bpf.verify;

/**
 * Why the static verifier rejects a program: stable codes that tests and scripts can rely on. Each says whether the
 * Linux kernel's verifier, loading as root (CAP_BPF, CAP_PERFMON), rejects the same defect, or whether we are stricter.
 */
public enum Reason {
    EMPTY("empty", true, "the program has no instructions"),
    TOO_MANY_INSNS("too-many-insns", true, "longer than the kernel's 1,000,000-instruction limit"),
    INVALID_INSN("invalid-instruction", true, "an opcode outside the instruction set or a reserved field that is not zero"),
    INVALID_REGISTER("invalid-register", true, "a register field above r10, or a write to the read-only frame pointer r10"),
    JUMP_OUT_OF_RANGE("jump-out-of-range", true, "a jump outside the program or into the second half of an ld_imm64"),
    FALLS_OFF_END("falls-off-end", true, "the last instruction can fall through past the end of the program"),
    UNREACHABLE("unreachable", true, "an instruction that no control-flow path reaches"),
    LOOP("loop", false, "a back-edge in the control-flow graph; the kernel, as root, accepts loops it can bound, we accept none"),
    UNINIT_REGISTER("uninit-register", true, "a register read before any path writes it (R0 at exit included)"),
    UNINIT_STACK("uninit-stack", false, "a stack read of bytes some path never wrote; the kernel allows it for CAP_PERFMON"),
    STACK_OUT_OF_BOUNDS("stack-out-of-bounds", true, "a stack access outside [r10-512, r10)"),
    STACK_MISALIGNED("stack-misaligned", true, "a stack access not aligned to its size"),
    STACK_VARIABLE_OFFSET("stack-variable-offset", false, "a stack access through a pointer with a variable offset"),
    STACK_POINTER_PARTIAL("stack-pointer-partial", true, "a read of part of a pointer spilled to the stack"),
    PACKET_OUT_OF_RANGE("packet-out-of-range", true, "a packet access not proven inside the packet by an earlier check against data_end"),
    PACKET_NEGATIVE("packet-negative-offset", true, "a packet access below data, or through a pointer whose variable part may be negative"),
    MAP_OUT_OF_RANGE("map-out-of-range", true, "a read of read-only data (a map value) not proven inside the value for every offset the pointer may hold"),
    PACKET_WRITE("packet-write", true, "a packet write in a program type that may not write the packet"),
    CTX_ACCESS("ctx-access", true, "a context access at an offset or size the program type does not have"),
    CTX_READ_ONLY("ctx-read-only", true, "a write to a context field that is read-only for the program type"),
    CTX_MODIFIED("ctx-modified-pointer", true, "a context access through a pointer that is not the context itself"),
    POINTER_ARITHMETIC("pointer-arithmetic", true, "an operation a pointer does not allow: 32-bit or bitwise arithmetic, arithmetic on pkt_end, pointer plus pointer"),
    INVALID_DEREF("invalid-memory-access", true, "a load or store through a register that is not a pointer to readable memory"),
    PATH_DEPENDENT_TYPE("path-dependent-type", false, "a register that is a pointer on some paths and not on others, used where the kind matters"),
    POINTER_LEAK("pointer-leak", false, "a pointer stored into the packet or the context; the kernel allows it for CAP_PERFMON"),
    RETURN_POINTER("return-pointer", false, "a pointer returned as the verdict; the kernel rejects it for cgroup_skb only, as root"),
    RETURN_VALUE("return-value", false, "a return value outside the verdicts of the program type; the kernel checks cgroup_skb only"),
    DIVISION_BY_ZERO("division-by-zero", true, "division or modulo by the immediate 0 (by a register that is 0 is defined, and accepted)"),
    INVALID_SHIFT("invalid-shift", true, "a shift by an immediate not below the operand width"),
    UNKNOWN_HELPER("unknown-helper", true, "a call to a helper that does not exist or that the program type may not use"),
    HELPER_ARGUMENT("helper-argument", true, "a helper argument of the wrong kind"),
    UNSUPPORTED("unsupported", false, "a construct Portcullis never emits and this verifier does not model (maps, BPF-to-BPF calls, kfuncs, atomics, legacy packet loads)"),
    COMPLEXITY("complexity", true, "past the kernel's complexity limit: the estimate of the instructions its verifier processes passes 1,000,000"),
    JUMP_SEQUENCE("jump-sequence", true, "past the kernel's jump-sequence limit: more than 8192 pending branches while its verifier explores the paths");

    private final String code;
    private final boolean kernel;
    private final String description;

    Reason(String code, boolean kernel, String description) {
        this.code = code;
        this.kernel = kernel;
        this.description = description;
    }

    /** The stable code, e.g. {@code packet-out-of-range}. */
    public String code() { return code; }

    /** True when the kernel's verifier (as root) rejects every instance of this defect too. */
    public boolean kernelRejects() { return kernel; }

    public String description() { return description; }
}
