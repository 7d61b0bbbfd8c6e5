package io.portcullis.bpf.kernel;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ClangObjectTest;
import io.portcullis.bpf.elf.ElfWriter;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-assembled programs through the real kernel; every test here skips with the reason when bpf() is unavailable. */
class KernelTest {
    @BeforeEach void needKernel() {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel tests skipped: " + a.reason());
    }

    static byte[] object(String section, Insn... insns) {
        return new ElfWriter().program(section, "prog", program(insns)).license("GPL").build();
    }

    /** XDP: pass (2) IPv4 frames, drop (1) everything else; reads the EtherType after a bounds check. */
    static byte[] ethertypeFilter() {
        return object("xdp",
                ldxw(R2, R1, 0),                         // data
                ldxw(R3, R1, 4),                         // data_end
                mov64Reg(R4, R2),
                add64Imm(R4, 14),
                jmpReg(Op.JGT, R4, R3, 5),               // too short: drop
                ldxh(R5, R2, 12),
                be(R5, 16),
                jmpImm(Op.JNE, R5, 0x0800, 2),
                mov64Imm(R0, 2),
                exit(),
                mov64Imm(R0, 1),
                exit());
    }

    static Packet tcp(Family f) {
        Ip a = f == Family.IPV4 ? Ip.parse("192.0.2.7").orElseThrow() : Ip.parse("2001:db8::7").orElseThrow();
        Ip b = f == Family.IPV4 ? Ip.parse("10.1.3.4").orElseThrow() : Ip.parse("2001:db8::4").orElseThrow();
        return new Packet(f, a, b, 6, 40000, 443, Set.of(TcpFlag.SYN), 0, 0, false);
    }

    @Test void availabilityIsCached() {
        assertSame(Bpf.availability(), Bpf.availability());
    }

    @Test void acceptsAndRunsConstantProgram() {
        byte[] obj = object("xdp", mov64Imm(R0, 2), exit());
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
        assertEquals(KernelVerifier.Status.ACCEPTED, v.status(), v.log());
        assertEquals(2, v.instructions());
        assertEquals(2, v.processed(), v.log());
        try (LoadedProgram p = LoadedProgram.load(obj, Target.XDP)) {
            assertEquals(2, p.run(FrameBuilder.ethernet(tcp(Family.IPV4))));
        }
    }

    @Test void runsBranchingProgramOnFrames() {
        byte[] obj = ethertypeFilter();
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
        assertEquals(KernelVerifier.Status.ACCEPTED, v.status(), v.log());
        assertEquals(12, v.instructions());
        assertTrue(v.processed() >= 12, "processed " + v.processed());
        try (LoadedProgram p = LoadedProgram.load(obj, Target.XDP)) {
            assertEquals(2, p.run(FrameBuilder.ethernet(tcp(Family.IPV4))));
            assertEquals(1, p.run(FrameBuilder.ethernet(tcp(Family.IPV6))));
            byte[] tagged = FrameBuilder.variant(tcp(Family.IPV4)).vlan(FrameBuilder.ETH_P_8021Q, 7).ethernet();
            assertEquals(1, p.run(tagged));
            LoadedProgram.RunStats s = p.run(FrameBuilder.ethernet(tcp(Family.IPV4)), 1000);
            assertEquals(2, s.retval());
            assertTrue(s.averageNs() >= 0 && s.averageNs() < 1_000_000, "average " + s.averageNs());
        }
    }

    @Test void shortInputIsRefusedBeforeTheKernel() {
        try (LoadedProgram p = LoadedProgram.load(object("xdp", mov64Imm(R0, 2), exit()), Target.XDP)) {
            var e = assertThrows(IllegalArgumentException.class, () -> p.run(new byte[13]));
            assertTrue(e.getMessage().contains("at least 14"), e.getMessage());
        }
    }

    @Test void rejectsUncheckedPacketRead() {
        byte[] obj = object("xdp", ldxw(R2, R1, 0), ldxh(R0, R2, 12), exit());
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
        assertEquals(KernelVerifier.Status.REJECTED, v.status());
        assertTrue(v.log().contains("invalid access to packet"), v.log());
        assertTrue(v.log().startsWith("bpf(BPF_PROG_LOAD) failed: EACCES"), v.log());
        var e = assertThrows(BpfException.class, () -> LoadedProgram.load(obj, Target.XDP));
        assertEquals(Bpf.EACCES, e.errno());
        assertTrue(e.log().contains("invalid access to packet"), e.log());
    }

    @Test void rejectsUninitialisedR0() {
        KernelVerifier.Verification v = KernelVerifier.verify(object("xdp", mov64Imm(R1, 0), exit()), Target.XDP);
        assertEquals(KernelVerifier.Status.REJECTED, v.status());
        assertTrue(v.log().contains("R0 !read_ok"), v.log());
        assertTrue(v.processed() >= 1, v.log());
    }

    @Test void tcProgramRunsAsSchedCls() {
        byte[] obj = object("tc", mov64Imm(R0, 2), exit());
        assertEquals(KernelVerifier.Status.ACCEPTED, KernelVerifier.verify(obj, Target.TC_INGRESS).status());
        try (LoadedProgram p = LoadedProgram.load(obj, Target.TC_EGRESS)) {
            assertEquals(Bpf.PROG_TYPE_SCHED_CLS, p.image().progType());
            assertEquals(2, p.run(FrameBuilder.ethernet(tcp(Family.IPV4))));
        }
    }

    @Test void cgroupProgramsLoadWithTheirAttachType() {
        byte[] in = object("cgroup_skb/ingress", mov64Imm(R0, 1), exit());
        byte[] out = object("cgroup_skb/egress", mov64Imm(R0, 0), exit());
        assertEquals(KernelVerifier.Status.ACCEPTED, KernelVerifier.verify(in, Target.CGROUP_INGRESS).status());
        assertEquals(KernelVerifier.Status.ACCEPTED, KernelVerifier.verify(out, Target.CGROUP_EGRESS).status());
        try (LoadedProgram p = LoadedProgram.load(out, Target.CGROUP_EGRESS)) {
            assertEquals(Bpf.ATTACH_CGROUP_INET_EGRESS, p.image().expectedAttachType());
            assertEquals(0, p.run(FrameBuilder.ethernet(tcp(Family.IPV6))));
        }
        // cgroup skb programs may only return 0 or 1.
        KernelVerifier.Verification bad = KernelVerifier.verify(object("cgroup_skb/ingress", mov64Imm(R0, 7), exit()),
                Target.CGROUP_INGRESS);
        assertEquals(KernelVerifier.Status.REJECTED, bad.status(), bad.log());
    }

    @Test void loadsAndRunsAClangObject(@TempDir Path dir) throws Exception {
        byte[] obj = Files.readAllBytes(ClangObjectTest.compile(dir));
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
        assertEquals(KernelVerifier.Status.ACCEPTED, v.status(), v.log());
        try (LoadedProgram p = LoadedProgram.load(obj, Target.XDP)) {
            assertEquals("pass_long", p.image().name());
            assertEquals(2, p.run(FrameBuilder.ethernet(tcp(Family.IPV4))));
            assertEquals(1, p.run(FrameBuilder.ethernet(tcp(Family.IPV6))));
        }
    }

    /** Documents what a cgroup skb program sees in a test run: the input is an Ethernet frame, the program starts at IP. */
    @Test void cgroupTestRunStartsAtTheIpHeader() {
        byte[] obj = object("cgroup_skb/ingress",
                ldxw(R2, R1, 76),                        // __sk_buff->data
                ldxw(R3, R1, 80),                        // __sk_buff->data_end
                mov64Imm(R0, 0),
                mov64Reg(R4, R2),
                add64Imm(R4, 1),
                jmpReg(Op.JGT, R4, R3, 3),
                ldxb(R5, R2, 0),
                jmpImm(Op.JNE, R5, 0x45, 1),             // IPv4, IHL 5
                mov64Imm(R0, 1),
                exit());
        try (LoadedProgram p = LoadedProgram.load(obj, Target.CGROUP_INGRESS)) {
            assertEquals(1, p.run(FrameBuilder.ethernet(tcp(Family.IPV4))));
            assertEquals(0, p.run(FrameBuilder.ethernet(tcp(Family.IPV6))));
        }
    }

    @Test void progNameIsSanitised() {
        assertEquals("portcullis_a_b_", Bpf.progName("portcullis-a/b-policy"));
        assertEquals("ok.name_1", Bpf.progName("ok.name_1"));
    }
}
