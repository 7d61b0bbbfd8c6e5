package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shape of the emitted object, read with a minimal ELF64 section-header parser of our own. */
class ObjectFileTest {
    static final int EM_BPF = 247, SHF_EXECINSTR = 0x4;

    record Section(String name, int flags, byte[] data) {}

    static Map<String, Section> sections(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F', 2, 1}, Arrays.copyOf(elf, 6), "ELF64 little-endian");
        assertEquals(1, b.getShort(16), "ET_REL");
        assertEquals(EM_BPF, b.getShort(18) & 0xffff, "EM_BPF");
        long shoff = b.getLong(40);
        int shentsize = b.getShort(58) & 0xffff, shnum = b.getShort(60) & 0xffff, shstrndx = b.getShort(62) & 0xffff;
        long strOff = b.getLong((int) (shoff + (long) shstrndx * shentsize + 24));
        Map<String, Section> out = new LinkedHashMap<>();
        for (int i = 1; i < shnum; i++) {
            int h = (int) (shoff + (long) i * shentsize);
            int nameOff = b.getInt(h);
            int type = b.getInt(h + 4);
            long flags = b.getLong(h + 8);
            long off = b.getLong(h + 24), size = b.getLong(h + 32);
            int end = (int) strOff + nameOff;
            while (elf[end] != 0) end++;
            String name = new String(elf, (int) strOff + nameOff, end - (int) strOff - nameOff, StandardCharsets.US_ASCII);
            byte[] data = type == 8 ? new byte[0] : Arrays.copyOfRange(elf, (int) off, (int) (off + size)); // 8: NOBITS
            out.put(name, new Section(name, (int) flags, data));
        }
        return out;
    }

    @Test void sectionsOfAnXdpObject() throws Exception {
        Map<String, Section> s = sections(BpfCompiler.compile(MixedPolicy.build()));
        Section xdp = s.get("xdp");
        assertTrue(xdp != null, "xdp section in " + s.keySet());
        assertTrue((xdp.flags() & SHF_EXECINSTR) != 0, "xdp is executable");
        assertTrue(xdp.data().length > 0 && xdp.data().length % 8 == 0, "whole BPF instructions");
        assertArrayEquals("GPL\0".getBytes(StandardCharsets.US_ASCII), s.get("license").data());
        assertFalse(s.containsKey(".eh_frame"), "no .eh_frame: " + s.keySet());
        // Relocations only in debug info and BTF (for libbpf), none in the program: no maps, no calls.
        assertFalse(s.containsKey(".relxdp"), "no relocations in the program: " + s.keySet());
        assertTrue(s.keySet().stream().filter(n -> n.startsWith(".rel"))
                .allMatch(n -> n.startsWith(".rel.debug_") || n.equals(".rel.BTF.ext")), s.keySet().toString());
        assertTrue(s.containsKey(".BTF") && s.containsKey(".BTF.ext"), "BTF with func and line info: " + s.keySet());
        assertEquals(0, s.get(".text").data().length, "nothing outside the program section");
    }

    @Test void programSymbolIsTheSanitisedName() throws Exception {
        byte[] elf = BpfCompiler.compile(MixedPolicy.build());
        Map<String, Section> s = sections(elf);
        String strtab = new String(s.get(".strtab").data(), StandardCharsets.US_ASCII);
        assertTrue(strtab.contains("\0pc_mixed_policy\0"), strtab.replace('\0', ' '));
    }

    @Test void sameBytesEveryTime() throws Exception {
        ResolvedPolicy p = MixedPolicy.build();
        byte[] first = BpfCompiler.compile(p);
        assertArrayEquals(first, BpfCompiler.compile(p));
        assertArrayEquals(first, BpfCompiler.compile(MixedPolicy.build()), "an equal policy built again");
        assertArrayEquals(BpfCompiler.compile(LargePolicy.build(50)), BpfCompiler.compile(LargePolicy.build(50)));
        assertFalse(Arrays.equals(first, BpfCompiler.compile(LargePolicy.build(50))));
    }

    @Test void programNames() {
        assertEquals("pc_web", ProgramName.of("web"));
        assertEquals("pc_edge_v1_2", ProgramName.of("edge-v1.2"));
        assertEquals("pc_a_very_long_", ProgramName.of("a-very-long-policy-name"));
        assertEquals(15, ProgramName.of("a-very-long-policy-name").length());
        assertEquals("pc__x", ProgramName.of("\uD83D\uDE00x"), "one '_' per character, not per UTF-16 unit");
    }

    @Test void verdictCodesComeFromTheTarget() throws Exception {
        ResolvedPolicy allow = Policies.policy("all", Action.ALLOW, Action.ALLOW);
        String ir = BpfCompiler.llvmIr(allow);
        assertTrue(ir.contains("ret i32 " + Target.XDP.code(Action.ALLOW)), ir);
        assertTrue(ir.contains("ret i32 " + Target.XDP.code(Action.DENY)), "malformed frames are dropped");
        assertTrue(ir.contains("section \"xdp\""), ir);
        assertTrue(ir.contains("nounwind"), ir);
    }

    @Test void tcObjectUsesTheTcSection() throws Exception {
        ResolvedPolicy p = Policies.policy("tc", Target.TC_INGRESS, Action.DENY, Action.ALLOW);
        assertTrue(sections(BpfCompiler.compile(p)).containsKey("tc"));
    }

    @Test void cgroupObjectsUseTheCgroupSkbSections() throws Exception {
        for (Target t : new Target[] {Target.CGROUP_INGRESS, Target.CGROUP_EGRESS}) {
            ResolvedPolicy p = Policies.policy("cg", t, Action.DENY, Action.ALLOW);
            Map<String, ?> s = sections(BpfCompiler.compile(p));
            assertTrue(s.containsKey(t.section()), t + ": " + s.keySet());
            assertFalse(s.containsKey("xdp"), t + ": " + s.keySet());
        }
    }
}
