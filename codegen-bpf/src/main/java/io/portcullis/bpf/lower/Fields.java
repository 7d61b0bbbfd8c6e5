package io.portcullis.bpf.lower;

import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The header fields the parser hands to the decision code. Addresses are kept in the packet's byte order as loaded
 * (see {@link FirstMatchLowering}); IPv4 uses {@code src0}/{@code dst0} only, IPv6 uses both words.
 *
 * <p><b>Two layouts.</b> {@link #separate} (the linear chain and the table walk): one volatile i64 stack slot per
 * field, all set to 0 at entry, so fields a packet does not carry stay 0, as in {@link io.portcullis.ir.Packet}.
 * {@link #packed} (the inline decision diagram): the addresses, and {@link #meta}, the three non-address keys of
 * {@link DecisionDiagram.Dim} already packed into one word by the parser on each transport path ({@code PROTO} at bit
 * {@link #PROTO_AT}, {@code L4} at {@link #L4_AT}, {@code SPORT} at {@link #SPORT_AT}), in ordinary locals that LLVM
 * promotes to registers (phis where the parser's paths meet). Every path that reaches the decision code writes every
 * field its family reads, so nothing is zeroed, nothing goes through the stack, and the decision code does not pack
 * the keys itself. (Measured on the cost benchmark's 10-rule policy, early match: 141 instructions per packet with the
 * separate layout, 80 packed. Without the opaque zero below it would be 5 fewer, but the kernel verifier's work then
 * grows with the parser's paths: 689k processed instructions at 600 generated rules instead of 118k, so that variant
 * was not kept.)
 *
 * <p><b>Why the opaque {@code zero}.</b> The parser reaches the decision code on many
 * paths (VLAN depths, IPv6 extension chains, TCP/UDP/ICMP/other, fragments), and on each path the kernel verifier knows
 * different things about the fields: the protocol is the constant 6 after the parser's TCP branch, the fragment flag
 * and the ports of an ICMP packet are constants. A decision-diagram compare whose outcome the verifier can predict
 * from such a constant marks the field "precise", and a state with a precise field only prunes against a state with
 * the same value, so the whole diagram would be walked once per parser path (past 1M processed instructions at 10k
 * rules). So the decision code never tests a field directly: it XORs it with {@code zero}, which
 * is 0 at run time but a full-range unknown to the verifier (two separate volatile loads of the same packet bytes,
 * XORed: the verifier does not know they are equal). The result is exact at run time and unknown to the verifier on
 * every path, so no diagram branch is ever predicted, nothing is marked precise, and every arrival at a shared node
 * after the first is pruned. In the separate layout the slots are volatile, which keeps LLVM from forwarding the
 * parser's constants past the XOR or merging two recomputations into one register; the grouped form recomputes the
 * keys per group for the same reason: a group's search narrows its copy, never the field. (In the packed layout the
 * XOR's operands are phis, which LLVM does not fold through without the passes we do not run.)
 */
record Fields(boolean packed, LLVMValueRef proto, LLVMValueRef nonFirstFragment, LLVMValueRef sport, LLVMValueRef dport,
              LLVMValueRef tcpFlags, LLVMValueRef icmpType, LLVMValueRef icmpCode,
              LLVMValueRef src0, LLVMValueRef src1, LLVMValueRef dst0, LLVMValueRef dst1, LLVMValueRef meta,
              LLVMValueRef zero) {

    /** Bit positions of the packed keys in {@link #meta}: 9 + 16 + 17 bits. */
    static final int PROTO_AT = 0, L4_AT = 9, SPORT_AT = 25;

    /** One slot per field, zeroed at entry. */
    static Fields separate(Ir ir) {
        return new Fields(false, ir.volatileLocal("proto", 0), ir.volatileLocal("frag", 0), ir.volatileLocal("sport", 0),
                ir.volatileLocal("dport", 0), ir.volatileLocal("flags", 0), ir.volatileLocal("itype", 0),
                ir.volatileLocal("icode", 0), ir.volatileLocal("src0", 0), ir.volatileLocal("src1", 0),
                ir.volatileLocal("dst0", 0), ir.volatileLocal("dst1", 0), null, ir.volatileLocal("zero", 0));
    }

    /**
     * Addresses and the packed keys in ordinary locals, which LLVM promotes to registers (phis where the parser's paths
     * meet), each written by the parser on every path that reads it; nothing zeroed, no stack round trip. The decision
     * code XORs each with the opaque zero, itself a local.
     */
    static Fields packed(Ir ir) {
        return new Fields(true, null, null, null, null, null, null, null, ir.lateLocal("src0"), ir.lateLocal("src1"),
                ir.lateLocal("dst0"), ir.lateLocal("dst1"), ir.lateLocal("meta"), ir.lateLocal("zero"));
    }

    /** Stores a field: volatile in the separate layout, an ordinary local in the packed one. */
    void put(Ir ir, LLVMValueRef slot, LLVMValueRef v) {
        if (packed) ir.set(slot, v);
        else ir.setVolatile(slot, v);
    }

    /** Loads a field: volatile in the separate layout, an ordinary local in the packed one. */
    LLVMValueRef take(Ir ir, LLVMValueRef slot) {
        return packed ? ir.get(slot) : ir.getVolatile(slot);
    }

    /** The field in {@code slot}, exact at run time and opaque to the verifier (see the class comment). */
    LLVMValueRef opaque(Ir ir, LLVMValueRef slot) {
        return ir.xor(ir.getVolatile(slot), ir.getVolatile(zero));
    }
}
