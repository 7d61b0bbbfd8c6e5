package io.portcullis.bpf.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.TcpFlag;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits the packet parser: Ethernet (up to two VLAN tags), IPv4 or IPv6 (with a bounded extension-header walk) and
 * the first bytes of TCP, UDP, ICMP and ICMPv6. It fills {@link Fields} and jumps to the decision code for the
 * packet's family, or to the malformed / non-IP exits.
 *
 * <p>Every read is preceded by a {@code p + n > data_end} check on the very pointer it reads through, and every
 * variable offset comes from a byte or a 16-bit value assembled from bytes, so the verifier can bound it.
 */
final class ParserLowering {
    static final int ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86DD, ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88A8;
    static final int MAX_VLAN_TAGS = 2;
    static final int MAX_EXT_HEADERS = 8;
    static final int HOPOPTS = 0, ROUTING = 43, FRAGMENT = 44, ESP = 50, AH = 51, DSTOPTS = 60;

    private final Ir ir;
    private final Fields f;
    private final LLVMValueRef end;
    /** skb hooks: the packet's length from {@code data} on (which may extend past {@code end}); null for XDP. */
    private final LLVMValueRef len;
    private final LLVMBasicBlockRef malformed;
    private final LLVMValueRef nhSlot, offSlot;

    private ParserLowering(Ir ir, Fields f, LLVMValueRef end, LLVMValueRef len, LLVMBasicBlockRef malformed) {
        this.ir = ir;
        this.f = f;
        this.end = end;
        this.len = len;
        this.malformed = malformed;
        nhSlot = ir.local("nexthdr", 0);
        offSlot = ir.local("extoff", 0);
    }

    /**
     * Emits the parser at the builder's position, which must still be the entry block (the parser's own locals go
     * there). {@code data}/{@code end} are the packet pointers; control leaves
     * through {@code v4}, {@code v6}, {@code nonIp} or {@code malformed}.
     */
    static void emit(Ir ir, Fields f, LLVMValueRef data, LLVMValueRef end, LLVMValueRef len, LLVMBasicBlockRef v4,
                     LLVMBasicBlockRef v6, LLVMBasicBlockRef nonIp, LLVMBasicBlockRef malformed) {
        new ParserLowering(ir, f, end, len, malformed).ethernet(data, v4, v6, nonIp);
    }

    /**
     * The parser for hooks whose packet starts at the IP header (cgroup skb): the version nibble picks the family.
     * skb->protocol would do as well, but the nibble is what the IP parsers check anyway, so one read decides both.
     */
    static void emitFromIp(Ir ir, Fields f, LLVMValueRef data, LLVMValueRef end, LLVMValueRef len, LLVMBasicBlockRef v4,
                           LLVMBasicBlockRef v6, LLVMBasicBlockRef nonIp, LLVMBasicBlockRef malformed) {
        ParserLowering p = new ParserLowering(ir, f, end, len, malformed);
        ir.requireBytesOrExit(data, 1, end, malformed);
        LLVMValueRef version = ir.lshr(ir.u8(data, 0), 4);
        LLVMBasicBlockRef at4 = ir.block("ipv4.at0"), at6 = ir.block("ipv6.at0");
        ir.exitIf(ir.cmp(LLVMIntEQ, version, 4), at4);
        ir.exitIf(ir.cmp(LLVMIntEQ, version, 6), at6);
        ir.br(nonIp);
        ir.at(at4);
        p.ipv4(data, 0, v4);
        ir.at(at6);
        p.ipv6(data, 0, v6);
    }

    private void ethernet(LLVMValueRef data, LLVMBasicBlockRef v4, LLVMBasicBlockRef v6, LLVMBasicBlockRef nonIp) {
        // Each tag depth gets its own copy of the dispatch, so the L3 offset stays a constant for the verifier.
        int l3 = 14;
        ir.requireBytesOrExit(data, l3, end, malformed);
        LLVMValueRef type = ir.be16(data, 12);
        LLVMBasicBlockRef[] v4At = new LLVMBasicBlockRef[MAX_VLAN_TAGS + 1];
        LLVMBasicBlockRef[] v6At = new LLVMBasicBlockRef[MAX_VLAN_TAGS + 1];
        for (int tags = 0; ; tags++) {
            v4At[tags] = ir.block("ipv4.at" + l3);
            v6At[tags] = ir.block("ipv6.at" + l3);
            if (ir.hints) {
                // IPv4 falls through, IPv6 is one jump away, tags and non-IP frames two.
                LLVMBasicBlockRef notV4 = ir.block("notv4");
                ir.exitIfUnlikely(ir.cmp(LLVMIntNE, type, ETH_P_IP), notV4);
                ir.br(v4At[tags]);
                LLVMMoveBasicBlockAfter(v4At[tags], LLVMGetInsertBlock(ir.b));
                ir.at(notV4);
                ir.exitIf(ir.cmp(LLVMIntEQ, type, ETH_P_IPV6), v6At[tags]);
            } else {
                ir.exitIf(ir.cmp(LLVMIntEQ, type, ETH_P_IP), v4At[tags]);
                ir.exitIf(ir.cmp(LLVMIntEQ, type, ETH_P_IPV6), v6At[tags]);
            }
            LLVMValueRef vlan = ir.or(ir.cmp(LLVMIntEQ, type, ETH_P_8021Q), ir.cmp(LLVMIntEQ, type, ETH_P_8021AD));
            if (tags == MAX_VLAN_TAGS) {
                ir.condBr(vlan, malformed, nonIp);
                break;
            }
            ir.require(vlan, nonIp);
            ir.requireBytesOrExit(data, l3 + 4, end, malformed);
            type = ir.be16(data, l3 + 2);
            l3 += 4;
        }
        for (int tags = 0, at = 14; tags <= MAX_VLAN_TAGS; tags++, at += 4) {
            ir.at(v4At[tags]);
            ipv4(ir.gep(data, at), at, v4);
            ir.at(v6At[tags]);
            ipv6(ir.gep(data, at), at, v6);
        }
    }

    /** {@code p} points at the IPv4 header, {@code at} bytes after {@code data}. */
    private void ipv4(LLVMValueRef p, int at, LLVMBasicBlockRef rules) {
        ir.requireBytesOrExit(p, 20, end, malformed);
        opaqueZero(p);
        LLVMValueRef b0 = ir.u8(p, 0);
        ir.check(ir.cmp(LLVMIntEQ, ir.lshr(b0, 4), 4), malformed);
        LLVMValueRef ihl = ir.and(b0, 0xf);
        ir.check(ir.cmp(LLVMIntUGE, ihl, 5), malformed);
        LLVMValueRef hlen = ir.shl(ihl, 2);
        ir.requireBytesOrExit(ir.gep(p, hlen), 0, end, malformed);
        LLVMValueRef total = ir.be16(p, 2);
        ir.check(ir.cmp(LLVMIntUGE, total, hlen), malformed);
        requireLength(p, at, total);

        LLVMValueRef proto = ir.u8(p, 9);
        if (!f.packed()) f.put(ir, f.proto(), proto);
        f.put(ir, f.src0(), ir.loadRaw(ir.i32, p, 12, 4));
        f.put(ir, f.dst0(), ir.loadRaw(ir.i32, p, 16, 4));
        LLVMValueRef fragOff = ir.and(ir.be16(p, 6), 0x1fff);
        LLVMBasicBlockRef fragment = ir.block("v4.fragment");
        ir.exitIfUnlikely(ir.cmp(LLVMIntNE, fragOff, 0), fragment);
        transport(proto, ProtoClause.ICMP, ir.gep(p, hlen), hlen, total, rules);

        ir.at(fragment);
        nonFirstFragment(proto);
        ir.br(rules);
    }

    /** A non-first fragment: no transport header, so no ports, ICMP values or TCP flags. */
    private void nonFirstFragment(LLVMValueRef proto) {
        if (f.packed()) f.put(ir, f.meta(), ir.or(proto, ir.k(1L << DecisionDiagram.FRAG_SHIFT << Fields.PROTO_AT)));
        else f.put(ir, f.nonFirstFragment(), ir.k(1));
    }

    /**
     * The packed keys ({@link Fields#meta}): {@code PROTO} (the protocol; fragments are {@link #nonFirstFragment}),
     * {@code L4} and {@code SPORT} (null for 0).
     */
    private void meta(LLVMValueRef proto, LLVMValueRef l4, LLVMValueRef sport) {
        LLVMValueRef m = proto;
        if (l4 != null) m = ir.or(m, ir.shl(l4, Fields.L4_AT));
        if (sport != null) m = ir.or(m, ir.shl(sport, Fields.SPORT_AT));
        f.put(ir, f.meta(), m);
    }

    /**
     * Malformed unless the IP header's length field fits the packet. For XDP the frame ends at {@code data_end}; an skb
     * may continue past it in page fragments (a TCP segment's payload, typically), so there the bound is
     * {@code skb->len}, an integer compare. Headers themselves are still only read below {@code data_end}.
     */
    private void requireLength(LLVMValueRef p, int at, LLVMValueRef length) {
        if (len == null) ir.requireBytesOrExit(ir.gep(p, length), 0, end, malformed);
        else ir.check(ir.cmp(LLVMIntULE, ir.add(length, ir.k(at)), len), malformed);
    }

    private void ipv6(LLVMValueRef p, int at, LLVMBasicBlockRef rules) {
        ir.requireBytesOrExit(p, 40, end, malformed);
        opaqueZero(p);
        ir.check(ir.cmp(LLVMIntEQ, ir.lshr(ir.u8(p, 0), 4), 6), malformed);
        LLVMValueRef plen = ir.be16(p, 4);
        LLVMValueRef payload = ir.gep(p, 40);
        requireLength(p, at, ir.add(plen, ir.k(40)));
        f.put(ir, f.src0(), ir.loadRaw(ir.i64, p, 8, 8));
        f.put(ir, f.src1(), ir.loadRaw(ir.i64, p, 16, 8));
        f.put(ir, f.dst0(), ir.loadRaw(ir.i64, p, 24, 8));
        f.put(ir, f.dst1(), ir.loadRaw(ir.i64, p, 32, 8));

        // Walk state: the next header's type and its offset from the start of the payload.
        ir.set(nhSlot, ir.u8(p, 6));
        ir.set(offSlot, ir.k(0));
        LLVMBasicBlockRef done = ir.block("v6.done");
        LLVMBasicBlockRef fragment = ir.block("v6.fragment");
        for (int level = 0; level < MAX_EXT_HEADERS; level++) {
            LLVMValueRef nh = ir.get(nhSlot), off = ir.get(offSlot);
            LLVMBasicBlockRef opts = ir.block("v6.opts"), ah = ir.block("v6.ah"), frag = ir.block("v6.frag");
            LLVMBasicBlockRef next = ir.block("v6.next");
            // Hop-by-hop options may only come first.
            ir.exitIfUnlikely(ir.cmp(LLVMIntEQ, nh, HOPOPTS), level == 0 ? opts : malformed);
            ir.exitIfUnlikely(ir.cmp(LLVMIntEQ, nh, ROUTING), opts);
            ir.exitIfUnlikely(ir.cmp(LLVMIntEQ, nh, DSTOPTS), opts);
            ir.exitIfUnlikely(ir.cmp(LLVMIntEQ, nh, AH), ah);
            ir.exitIfUnlikely(ir.cmp(LLVMIntEQ, nh, FRAGMENT), frag);
            ir.br(done);

            // Options-style headers are (len + 1) * 8 bytes, AH is (len + 2) * 4: each from its own type.
            ir.at(opts);
            extHeader(payload, off, plen, 1, 3);
            ir.br(next);
            ir.at(ah);
            extHeader(payload, off, plen, 2, 2);
            ir.br(next);

            ir.at(frag);
            LLVMValueRef h = ir.gep(payload, off);
            ir.requireBytesOrExit(h, 8, end, malformed);
            LLVMValueRef after = ir.add(off, ir.k(8));
            ir.check(ir.cmp(LLVMIntULE, after, plen), malformed);
            ir.set(nhSlot, ir.u8(h, 0));
            ir.set(offSlot, after);
            ir.exitIfUnlikely(ir.cmp(LLVMIntNE, ir.lshr(ir.be16(h, 2), 3), 0), fragment);
            ir.br(next);

            ir.at(next);
        }
        // Still an extension header after the bound: the chain is too long to classify.
        LLVMValueRef last = ir.get(nhSlot);
        for (int type : new int[] {HOPOPTS, ROUTING, DSTOPTS, AH, FRAGMENT}) {
            ir.exitIfUnlikely(ir.cmp(LLVMIntEQ, last, type), malformed);
        }
        ir.br(done);

        ir.at(done);
        LLVMValueRef proto = ir.get(nhSlot), off = ir.get(offSlot);
        if (!f.packed()) f.put(ir, f.proto(), proto);
        transport(proto, ProtoClause.ICMPV6, ir.gep(payload, off), off, plen, rules);

        ir.at(fragment);
        if (!f.packed()) f.put(ir, f.proto(), ir.get(nhSlot));
        nonFirstFragment(ir.get(nhSlot));
        ir.br(rules);
    }

    /**
     * Stores 0 in {@link Fields#zero} as the XOR of two separate volatile loads of the same 8 packet bytes: the
     * verifier cannot tell they are equal, so it sees an unknown 64-bit value (see {@link Fields}). {@code p} must
     * have 8 bytes checked.
     */
    private void opaqueZero(LLVMValueRef p) {
        LLVMValueRef a = LLVMBuildLoad2(ir.b, ir.i64, p, "");
        LLVMValueRef b = LLVMBuildLoad2(ir.b, ir.i64, p, "");
        for (LLVMValueRef v : new LLVMValueRef[] {a, b}) {
            LLVMSetVolatile(v, 1);
            LLVMSetAlignment(v, 8);
        }
        f.put(ir, f.zero(), ir.xor(a, b));
    }

    /** Checks the extension header at {@code payload + off} and advances the walk past it. */
    private void extHeader(LLVMValueRef payload, LLVMValueRef off, LLVMValueRef plen, long bias, int shift) {
        LLVMValueRef h = ir.gep(payload, off);
        ir.requireBytesOrExit(h, 2, end, malformed);
        ir.check(ir.cmp(LLVMIntULE, ir.add(off, ir.k(2)), plen), malformed);
        LLVMValueRef len = ir.shl(ir.add(ir.u8(h, 1), ir.k(bias)), shift);
        LLVMValueRef after = ir.add(off, len);
        ir.check(ir.cmp(LLVMIntULE, after, plen), malformed);
        ir.set(nhSlot, ir.u8(h, 0));
        ir.set(offSlot, after);
    }

    /**
     * Reads the transport header at {@code t} for TCP, UDP and {@code icmpProto}. {@code used} bytes of the IP
     * payload of {@code limit} bytes precede it; the header must fit both the payload and the frame.
     */
    private void transport(LLVMValueRef proto, int icmpProto, LLVMValueRef t, LLVMValueRef used, LLVMValueRef limit,
                           LLVMBasicBlockRef rules) {
        LLVMBasicBlockRef tcp = ir.block("tcp"), udp = ir.block("udp"), icmp = ir.block("icmp");
        if (ir.hints) {
            // TCP, the common case, falls through; everything else is one jump away.
            LLVMBasicBlockRef other = ir.block("nottcp");
            ir.exitIfUnlikely(ir.cmp(LLVMIntNE, proto, ProtoClause.TCP), other);
            ir.br(tcp);
            ir.at(other);
        } else {
            ir.exitIf(ir.cmp(LLVMIntEQ, proto, ProtoClause.TCP), tcp);
        }
        ir.exitIf(ir.cmp(LLVMIntEQ, proto, ProtoClause.UDP), udp);
        ir.exitIf(ir.cmp(LLVMIntEQ, proto, icmpProto), icmp);
        if (f.packed()) meta(proto, null, null);
        ir.br(rules);

        ir.at(tcp);
        need(t, 20, used, limit);
        if (f.packed()) {
            // SPORT's flag: 1 << EST_SHIFT when ACK or RST is set, without a branch: -(flags & (ACK|RST)) has its top
            // bit set exactly when the masked flags are not 0.
            LLVMValueRef acked = ir.and(ir.u8(t, 13), TcpFlag.ACK.bit() | TcpFlag.RST.bit());
            LLVMValueRef est = ir.lshr(LLVMBuildNeg(ir.b, acked, ""), 63);
            f.put(ir, f.meta(), ir.or(ir.or(ports(t), ir.k(ProtoClause.TCP)),
                    ir.shl(est, Fields.SPORT_AT + DecisionDiagram.EST_SHIFT)));
        } else {
            f.put(ir, f.sport(), ir.be16(t, 0));
            f.put(ir, f.dport(), ir.be16(t, 2));
            f.put(ir, f.tcpFlags(), ir.u8(t, 13));
        }
        ir.br(rules);

        ir.at(udp);
        need(t, 8, used, limit);
        if (f.packed()) {
            f.put(ir, f.meta(), ir.or(ports(t), ir.k(ProtoClause.UDP)));
        } else {
            f.put(ir, f.sport(), ir.be16(t, 0));
            f.put(ir, f.dport(), ir.be16(t, 2));
        }
        ir.br(rules);

        ir.at(icmp);
        need(t, 8, used, limit);
        if (f.packed()) {
            // L4 for ICMP: type << ICMP_TYPE_SHIFT | code.
            meta(ir.k(icmpProto), ir.or(ir.shl(ir.u8(t, 0), DecisionDiagram.ICMP_TYPE_SHIFT), ir.u8(t, 1)), null);
        } else {
            f.put(ir, f.icmpType(), ir.u8(t, 0));
            f.put(ir, f.icmpCode(), ir.u8(t, 1));
        }
        ir.br(rules);
    }

    /**
     * {@code L4} and {@code SPORT} of {@link Fields#meta} for TCP and UDP, placed: the 4 bytes at {@code t} are the
     * source and destination ports, so one 32-bit load, swapped to host order, is {@code sport << 16 | dport}, and
     * since {@code SPORT_AT == L4_AT + 16} that shifted by {@code L4_AT} puts both ports where they belong.
     */
    private LLVMValueRef ports(LLVMValueRef t) {
        LLVMValueRef both = LLVMBuildLoad2(ir.b, ir.i32, t, "");
        LLVMSetAlignment(both, 4); // as for the address loads: x86-64 and arm64 read packets unaligned
        return ir.shl(LLVMBuildZExt(ir.b, ir.bswap(ir.i32, both), ir.i64, ""), Fields.L4_AT);
    }

    static {
        if (Fields.SPORT_AT != Fields.L4_AT + 16) throw new AssertionError("ports(): SPORT_AT must be L4_AT + 16");
    }

    private void need(LLVMValueRef t, long n, LLVMValueRef used, LLVMValueRef limit) {
        ir.check(ir.cmp(LLVMIntULE, ir.add(used, ir.k(n)), limit), malformed);
        ir.requireBytesOrExit(t, n, end, malformed);
    }
}
