package io.portcullis.bpf.lower;

import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The header fields the parser hands to the decision code, as i64 locals. Addresses are kept in the packet's byte
 * order as loaded (see {@link FirstMatchLowering}); IPv4 uses {@code src0}/{@code dst0} only, IPv6 uses both words.
 * Fields a packet does not carry stay 0, as in {@link io.portcullis.ir.Packet}.
 */
record Fields(LLVMValueRef proto, LLVMValueRef nonFirstFragment, LLVMValueRef sport, LLVMValueRef dport,
              LLVMValueRef tcpFlags, LLVMValueRef icmpType, LLVMValueRef icmpCode,
              LLVMValueRef src0, LLVMValueRef src1, LLVMValueRef dst0, LLVMValueRef dst1) {

    static Fields allocate(Ir ir) {
        return new Fields(ir.local("proto", 0), ir.local("frag", 0), ir.local("sport", 0), ir.local("dport", 0),
                ir.local("flags", 0), ir.local("itype", 0), ir.local("icode", 0),
                ir.local("src0", 0), ir.local("src1", 0), ir.local("dst0", 0), ir.local("dst1", 0));
    }
}
