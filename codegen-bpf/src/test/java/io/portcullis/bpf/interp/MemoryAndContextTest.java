package io.portcullis.bpf.interp;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The three memory regions and the context of each program type: what a program reads from the context and the
 * packet equals what the kernel's BPF_PROG_TEST_RUN gives it, and every access outside a region is a fault that
 * names the instruction.
 */
class MemoryAndContextTest {
    static final Packet TCP4 = new Packet(Family.IPV4, Ip.parse("192.0.2.7").orElseThrow(), Ip.parse("10.1.3.4").orElseThrow(),
            6, 40000, 443, Set.of(TcpFlag.SYN), 0, 0, false);
    static final Packet UDP6 = new Packet(Family.IPV6, Ip.parse("2001:db8::7").orElseThrow(), Ip.parse("2001:db8::4").orElseThrow(),
            17, 5353, 53, Set.of(), 0, 0, false);

    static List<byte[]> frames() {
        List<byte[]> l = new ArrayList<>();
        l.add(FrameBuilder.ethernet(TCP4));
        l.add(FrameBuilder.ethernet(UDP6));
        l.add(FrameBuilder.variant(TCP4).vlan(FrameBuilder.ETH_P_8021Q, 5).ethernet());
        byte[] broadcast = FrameBuilder.ethernet(TCP4);
        for (int i = 0; i < 6; i++) broadcast[i] = (byte) 0xff;
        l.add(broadcast);
        byte[] multicast = FrameBuilder.ethernet(UDP6);
        multicast[0] = 0x33;
        l.add(multicast);
        byte[] host = FrameBuilder.ethernet(TCP4);
        for (int i = 0; i < 6; i++) host[i] = 0;
        l.add(host);
        byte[] llc = new byte[60];
        llc[13] = 46; // an 802.3 length field
        l.add(llc);
        byte[] raw = new byte[60];
        raw[13] = 46;
        raw[14] = (byte) 0xff;
        raw[15] = (byte) 0xff;
        l.add(raw);
        l.add(new byte[14]);
        return l;
    }

    /** Context reads (offset, size) each program type allows and the interpreter models. */
    static int[][] fields(Hook h) {
        if (h == Hook.XDP) return new int[][] {{12, 4}, {16, 4}};
        List<int[]> l = new ArrayList<>(List.of(new int[] {0, 4}, new int[] {0, 1}, new int[] {1, 1}, new int[] {0, 2},
                new int[] {8, 4}, new int[] {12, 4}, new int[] {16, 4}, new int[] {16, 2},
                new int[] {17, 1}, new int[] {32, 4}, new int[] {40, 4}, new int[] {48, 4}, new int[] {64, 4}));
        if (h == Hook.TC) l.add(new int[] {44, 4});
        return l.toArray(new int[0][]);
    }

    /** r0 = the context field. */
    static List<Insn> readField(int off, int size) {
        int sz = switch (size) {
            case 1 -> Op.B;
            case 2 -> Op.H;
            default -> Op.W;
        };
        return List.of(ldx(sz, R0, R1, off), exit());
    }

    /** r0 = data_end - data, then the byte at {@code at} in the top bits (if the packet is long enough). */
    static List<Insn> packetProbe(int at) {
        return List.of(
                ldxw(R2, R1, 76), ldxw(R3, R1, 80),
                mov64Reg(R0, R3), alu64Reg(Op.SUB, R0, R2),
                mov64Reg(R4, R2), add64Imm(R4, at + 1),
                jmpReg(Op.JGT, R4, R3, 3),
                ldxb(R5, R2, at), alu64Imm(Op.LSH, R5, 24), alu64Reg(Op.OR, R0, R5),
                exit());
    }

    static List<Insn> xdpPacketProbe(int at) {
        List<Insn> l = new ArrayList<>(packetProbe(at));
        l.set(0, ldxw(R2, R1, 0));
        l.set(1, ldxw(R3, R1, 4));
        return l;
    }

    @Test void contextFieldsAndPacketBoundsEqualTheKernelsForEveryHook() {
        KernelRun.assumeKernel();
        int compared = 0;
        for (Hook h : Hook.values()) {
            List<List<Insn>> progs = new ArrayList<>();
            for (int[] f : fields(h)) progs.add(readField(f[0], f[1]));
            for (int at : new int[] {0, 12, 13, 14, 20, 33, 59}) progs.add(h == Hook.XDP ? xdpPacketProbe(at) : packetProbe(at));
            for (List<Insn> whole : progs) {
                // cgroup skb programs may only return 0 or 1 (ingress) or 0..3 (egress): compare them bit by bit.
                int bits = h.seesEthernet() ? 1 : 32;
                for (int bit = 0; bit < bits; bit++) {
                    List<Insn> prog = new ArrayList<>(whole.subList(0, whole.size() - 1));
                    if (!h.seesEthernet()) {
                        prog.add(alu64Imm(Op.RSH, R0, bit));
                        prog.add(alu64Imm(Op.AND, R0, 1));
                    }
                    prog.add(exit());
                    Program mine = Program.of(h, "t", prog);
                    try (var k = KernelRun.load(h, prog)) {
                        for (byte[] frame : frames()) {
                            int want = k.run(frame);
                            assertEquals(want, Interpreter.testRun(mine, frame).retval(),
                                    () -> h + " " + io.portcullis.bpf.asm.Disassembler.listing(prog) + " on " + frame.length + " bytes");
                            compared++;
                        }
                    }
                }
            }
        }
        System.out.println("context and packet reads: " + compared + " runs equal to the kernel's");
    }

    @Test void unmodelledContextFieldsAreFaults() {
        // skb->pkt_type depends on the device a test run picks; the interpreter refuses to guess it.
        InterpreterFault f = assertThrows(InterpreterFault.class,
                () -> Interpreter.testRun(Program.of(Hook.TC, "t", readField(4, 4)), new byte[60]));
        assertTrue(f.reason().contains("offset 4 is not modelled"), f.reason());
    }

    @Test void cgroupProgramsSeeThePacketFromTheIpHeader() {
        byte[] frame = FrameBuilder.ethernet(TCP4);
        Interpreter.Result r = Interpreter.testRun(Program.of(Hook.CGROUP_SKB_INGRESS, "t", packetProbe(0)), frame);
        assertEquals(frame.length - 14, r.retval() & 0xffffff);
        assertEquals(0x45, r.retval() >>> 24);
    }

    @Test void readPastDataEndIsAFaultAtThatInstruction() {
        // No bounds check: the kernel's verifier would refuse this; the interpreter must not invent a byte.
        List<Insn> prog = List.of(ldxw(R2, R1, 0), ldxw(R3, R1, 4), ldxb(R0, R2, 100), exit());
        InterpreterFault f = assertThrows(InterpreterFault.class,
                () -> Interpreter.testRun(Program.of(Hook.XDP, "t", prog), new byte[60]));
        assertEquals(2, f.slot());
        assertTrue(f.reason().contains("packet offset 100 (the packet has 60 bytes)"), f.reason());
    }

    @Test void straddlingTheEndOfThePacketIsAFault() {
        List<Insn> prog = List.of(ldxw(R2, R1, 0), ldxw(R0, R2, 58), exit());
        assertThrows(InterpreterFault.class, () -> Interpreter.testRun(Program.of(Hook.XDP, "t", prog), new byte[60]));
        List<Insn> ok = List.of(ldxw(R2, R1, 0), ldxw(R0, R2, 56), exit());
        assertEquals(0, Interpreter.testRun(Program.of(Hook.XDP, "t", ok), new byte[60]).r0());
    }

    @Test void stackBoundsAndUninitialisedBytes() {
        InterpreterFault below = assertThrows(InterpreterFault.class,
                () -> InstructionSemanticsTest.r0(stdw(R10, -520, 1), mov64Imm(R0, 0)));
        assertTrue(below.reason().contains("outside"), below.reason());
        InterpreterFault above = assertThrows(InterpreterFault.class,
                () -> InstructionSemanticsTest.r0(mov64Imm(R0, 0), stdw(R10, 0, 1)));
        assertEquals(1, above.slot());
        InterpreterFault uninit = assertThrows(InterpreterFault.class,
                () -> InstructionSemanticsTest.r0(stw(R10, -8, 1), ldxdw(R0, R10, -8)));
        assertTrue(uninit.reason().contains("uninitialised stack at r10-4"), uninit.reason());
    }

    @Test void registersAndControlFlowFaults() {
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(mov64Reg(R0, R2)))
                .reason().contains("r2 is read before it is written"));
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(exit()))
                .reason().contains("r0 is read before"));
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(mov64Imm(R0, 0), ja(5)))
                .reason().contains("outside the program"));
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(call(5)))
                .reason().contains("helper call 5"));
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(new Insn(Op.ALU64 | Op.MOV, R10, 0, 0, 1)))
                .reason().contains("r10"));
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(new Insn(0x8f, 0, 0, 0, 0)))
                .reason().contains("invalid instruction"));
        // Falling off the end.
        InterpreterFault off = assertThrows(InterpreterFault.class,
                () -> Interpreter.testRun(Program.of(Hook.XDP, "t", List.of(mov64Imm(R0, 1))), new byte[14]));
        assertTrue(off.reason().contains("past the last instruction"), off.reason());
        // Jumping into the second half of LD_IMM64.
        InterpreterFault mid = assertThrows(InterpreterFault.class,
                () -> InstructionSemanticsTest.r0(ja(1), ldImm64(R0, 5)));
        assertTrue(mid.reason().contains("LD_IMM64"), mid.reason());
    }

    @Test void writesWhereTheKernelForbidsThem() {
        assertTrue(assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(stw(R1, 8, 1)))
                .reason().contains("context"));
        List<Insn> packetWrite = List.of(ldxw(R2, R1, 76), ldxw(R3, R1, 80), mov64Reg(R4, R2), add64Imm(R4, 1),
                jmpReg(Op.JGT, R4, R3, 1), st(Op.B, R2, 0, 7), mov64Imm(R0, 1), exit());
        assertThrows(InterpreterFault.class,
                () -> Interpreter.testRun(Program.of(Hook.CGROUP_SKB_EGRESS, "t", packetWrite), new byte[40]));
        assertEquals(1, Interpreter.testRun(Program.of(Hook.TC, "t", packetWrite), new byte[40]).r0());
    }

    @Test void runawayProgramsStop() {
        InterpreterFault f = assertThrows(InterpreterFault.class, () -> InstructionSemanticsTest.r0(mov64Imm(R0, 0), ja(-1)));
        assertTrue(f.reason().contains("more than " + Interpreter.MAX_STEPS), f.reason());
    }
}
