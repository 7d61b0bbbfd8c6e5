package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The decision code: one compare-and-branch chain per address family, rules in order, first match returns its
 * verdict, the end of the chain returns the default. Kept apart from the parser so a decision structure that scales
 * better (see ENGINEERING.md on jump-sequence limits) can replace it without touching anything else.
 *
 * <p>Addresses are compared in the byte order they were loaded in: for a masked equality test, swapping the bytes
 * of the address, the mask and the network alike changes nothing, so no byte swap is emitted per packet.
 */
final class FirstMatchLowering {
    private static final long ESTABLISHED_BITS = TcpFlag.ACK.bit() | TcpFlag.RST.bit();

    private final Ir ir;
    private final Family family;
    private final Target target;
    private LLVMValueRef proto, frag, sport, dport, flags, itype, icode, src0, src1, dst0, dst1;

    private FirstMatchLowering(Ir ir, Family family, Target target) {
        this.ir = ir;
        this.family = family;
        this.target = target;
    }

    /** Emits the chain for packets of {@code family}, starting in {@code start}. */
    static void emit(Ir ir, Family family, Target target, List<ResolvedRule> rules, Action defaultAction, Fields f,
                     LLVMBasicBlockRef start) {
        FirstMatchLowering l = new FirstMatchLowering(ir, family, target);
        ir.at(start);
        l.proto = ir.get(f.proto());
        l.frag = ir.get(f.nonFirstFragment());
        l.sport = ir.get(f.sport());
        l.dport = ir.get(f.dport());
        l.flags = ir.get(f.tcpFlags());
        l.itype = ir.get(f.icmpType());
        l.icode = ir.get(f.icmpCode());
        l.src0 = ir.get(f.src0());
        l.dst0 = ir.get(f.dst0());
        if (family == Family.IPV6) {
            l.src1 = ir.get(f.src1());
            l.dst1 = ir.get(f.dst1());
        }
        for (ResolvedRule r : rules) {
            ir.line(r.span());
            l.rule(r);
        }
        ir.ret(target.code(defaultAction));
    }

    /** Emits one rule at the current position; falls through to a fresh block when it does not match. */
    private void rule(ResolvedRule r) {
        RuleMatch m = r.match();
        List<ProtoClause> clauses = m.protos().stream()
                .filter(c -> c.family() == null || c.family() == family).toList();
        if (m.src().isEmpty(family) || m.dst().isEmpty(family) || clauses.isEmpty()) return; // cannot match this family
        LLVMBasicBlockRef miss = ir.block("miss." + r.index());
        addresses(m.src(), src0, src1, miss);
        addresses(m.dst(), dst0, dst1, miss);
        if (m.sports() != null) {
            transportPorts(miss);
            ports(sport, m.sports(), miss);
        }
        if (m.state() != TcpState.ANY) {
            ir.require(ir.cmp(LLVMIntEQ, proto, ProtoClause.TCP), miss);
            ir.require(ir.cmp(LLVMIntEQ, frag, 0), miss);
            LLVMValueRef est = ir.cmp(LLVMIntNE, ir.and(flags, ESTABLISHED_BITS), 0);
            ir.require(m.state() == TcpState.ESTABLISHED ? est : LLVMBuildNot(ir.b, est, ""), miss);
        }
        LLVMBasicBlockRef hit = ir.block("hit." + r.index());
        for (ProtoClause c : clauses) {
            LLVMBasicBlockRef next = ir.block("clause");
            clause(m, c, next);
            ir.br(hit);
            ir.at(next);
        }
        ir.br(miss);
        ir.at(hit);
        ir.ret(target.code(r.action()));
        ir.at(miss);
    }

    private void clause(RuleMatch m, ProtoClause c, LLVMBasicBlockRef fail) {
        if (c.proto() >= 0) ir.require(ir.cmp(LLVMIntEQ, proto, c.proto()), fail);
        if (!m.matchesFragments(c)) ir.require(ir.cmp(LLVMIntEQ, frag, 0), fail);
        if (c.dports() != null) {
            transportPorts(fail);
            ports(dport, c.dports(), fail);
        }
        if (c.icmpType() >= 0 || c.icmpCode() >= 0) {
            int icmp = family == Family.IPV4 ? ProtoClause.ICMP : ProtoClause.ICMPV6;
            ir.require(ir.cmp(LLVMIntEQ, proto, icmp), fail);
            ir.require(ir.cmp(LLVMIntEQ, frag, 0), fail);
            if (c.icmpType() >= 0) ir.require(ir.cmp(LLVMIntEQ, itype, c.icmpType()), fail);
            if (c.icmpCode() >= 0) ir.require(ir.cmp(LLVMIntEQ, icode, c.icmpCode()), fail);
        }
    }

    /** TCP or UDP with its transport header read. */
    private void transportPorts(LLVMBasicBlockRef fail) {
        ir.require(ir.or(ir.cmp(LLVMIntEQ, proto, ProtoClause.TCP), ir.cmp(LLVMIntEQ, proto, ProtoClause.UDP)), fail);
        ir.require(ir.cmp(LLVMIntEQ, frag, 0), fail);
    }

    private void ports(LLVMValueRef port, PortSet set, LLVMBasicBlockRef fail) {
        LLVMBasicBlockRef in = ir.block("port.in");
        for (PortSet.Range r : set.ranges()) {
            LLVMValueRef c;
            if (r.lo() == r.hi()) c = ir.cmp(LLVMIntEQ, port, r.lo());
            else if (r.lo() == 0) c = ir.cmp(LLVMIntULE, port, r.hi());
            else if (r.hi() == 65535) c = ir.cmp(LLVMIntUGE, port, r.lo());
            else c = LLVMBuildAnd(ir.b, ir.cmp(LLVMIntUGE, port, r.lo()), ir.cmp(LLVMIntULE, port, r.hi()), "");
            ir.exitIf(c, in);
        }
        ir.br(fail);
        ir.at(in);
    }

    private void addresses(AddrSet set, LLVMValueRef w0, LLVMValueRef w1, LLVMBasicBlockRef fail) {
        if (set.isAll(family)) return;
        LLVMBasicBlockRef in = ir.block("addr.in");
        for (Prefix p : set.prefixes(family)) {
            ir.exitIf(prefix(p, w0, w1), in);
        }
        ir.br(fail);
        ir.at(in);
    }

    /** {@code (addr & mask) == network}, with mask and network in the packet's byte order (see the class comment). */
    private LLVMValueRef prefix(Prefix p, LLVMValueRef w0, LLVMValueRef w1) {
        Ip a = p.address();
        int len = p.length();
        if (family == Family.IPV4) {
            long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
            return masked(w0, Integer.reverseBytes((int) mask) & 0xffffffffL, Integer.reverseBytes((int) a.lo()) & 0xffffffffL);
        }
        long hiMask = len >= 64 ? -1L : len == 0 ? 0 : -1L << (64 - len);
        LLVMValueRef hi = masked(w0, Long.reverseBytes(hiMask), Long.reverseBytes(a.hi()));
        if (len <= 64) return hi;
        long loMask = len == 128 ? -1L : -1L << (128 - len);
        return LLVMBuildAnd(ir.b, hi, masked(w1, Long.reverseBytes(loMask), Long.reverseBytes(a.lo())), "");
    }

    private LLVMValueRef masked(LLVMValueRef w, long mask, long net) {
        if (mask == 0) return LLVMConstInt(ir.i1, 1, 0);
        LLVMValueRef v = mask == -1L || (family == Family.IPV4 && mask == 0xffffffffL) ? w : LLVMBuildAnd(ir.b, w, ir.k(mask), "");
        return ir.cmp(LLVMIntEQ, v, ir.k(net));
    }
}
