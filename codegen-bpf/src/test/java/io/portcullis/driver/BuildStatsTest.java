package io.portcullis.driver;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ElfWriter;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.ir.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code build --stats}: figures read from the object, the verifier's count, and the headroom against each limit. */
class BuildStatsTest {
    @TempDir Path dir;

    @AfterEach
    void enableKernel() { System.clearProperty(Bpf.DISABLE_PROPERTY); }

    /** 10 instructions; stack down to r10-64 reached through r2 = r10 - 64; the longest jump has offset 2. */
    static byte[] code() {
        return program(
                mov64Imm(R1, 0),
                stxdw(R10, -16, R1),
                mov64Reg(R2, R10),
                add64Imm(R2, -64),
                stxdw(R2, 0, R1),
                jmpImm(Op.JEQ, R1, 0, 2),
                mov64Imm(R0, 1),
                exit(),
                mov64Imm(R0, 2),
                exit());
    }

    static byte[] object(boolean rodata) {
        ElfWriter w = new ElfWriter().program("xdp", "prog", code()).license("GPL");
        if (rodata) w.section(".rodata", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC, new byte[100], 8);
        return w.build();
    }

    @Test
    void figuresComeFromTheObject() {
        BuildStats s = BuildStats.of("p", Path.of("out/p.o"), Target.XDP, object(true), null, "kernel verification turned off");
        assertEquals(10, s.instructions());
        assertEquals(64, s.stackBytes());
        assertEquals(2, s.longestJump());
        assertEquals(0, s.farJumps());
        assertEquals(-1, s.processed());
        assertEquals(List.of(new BuildStats.Section(".rodata", 100)), s.globalData());
        assertEquals("""
                stats for out/p.o (policy p, target xdp, section xdp):
                  instructions        10 of 1,000,000, headroom 999,990 (BPF_COMPLEXITY_LIMIT_INSNS)
                  verifier processed  not verified: kernel verification turned off
                  stack bytes         64 of 512, headroom 448 (MAX_BPF_STACK)
                  longest jump        2 of 32,767, headroom 32,765 (signed 16-bit offset)
                  map .rodata         100 of 4,194,304 bytes, headroom 4,194,204 (array map value: KMALLOC_MAX_SIZE)
                """, s.render());
        assertTrue(BuildStats.of("p", Path.of("p.o"), Target.XDP, object(false), null, "x").render()
                .contains("  maps                none\n"));
        assertTrue(BuildStats.of("p", Path.of("p.o"), Target.XDP, object(false), null, "x").withEstimate(1234).render()
                .contains("  estimated processed 1,234 of 1,000,000, headroom 998,766 (static verifier's estimate)\n"));
    }

    @Test
    void theKernelCountsProcessedInstructionsAndAgreesOnTheStack() {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel part skipped: " + a.reason());
        byte[] elf = object(false);
        KernelVerifier.Verification v = KernelVerifier.verify(elf, Target.XDP);
        assertEquals(KernelVerifier.Status.ACCEPTED, v.status(), v.log());
        BuildStats s = BuildStats.of("p", Path.of("p.o"), Target.XDP, elf, v, null);
        assertEquals(v.processed(), s.processed());
        assertTrue(s.processed() >= 8 && s.processed() <= 20, "processed " + s.processed());
        assertNull(s.notVerified());
        assertTrue(s.render().contains(String.format(java.util.Locale.ROOT,
                "  verifier processed  %,d of 1,000,000, headroom %,d ", s.processed(), 1_000_000 - s.processed())), s.render());
        Matcher m = Pattern.compile("stack depth (\\d+)").matcher(v.log());
        Assumptions.assumeTrue(m.find(), "the kernel's stats log has no stack depth line: " + v.log());
        assertEquals(Integer.parseInt(m.group(1)), s.stackBytes(), v.log());
    }

    @Test
    void buildReportsStatsForEachObjectWritten() throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("web.policy"), "policy web {\n    default deny;\n    allow tcp to 10.0.0.0/8 port 443;\n}\n");
        Files.writeString(src.resolve("db.policy"), "policy db on tc ingress {\n    default deny;\n    allow tcp from 10.1.0.0/16 to 10.2.0.0/16 port 8443;\n}\n");
        System.setProperty(Bpf.DISABLE_PROPERTY, "true");
        Portcullis.BuildResult r = Portcullis.build(List.of(src), dir.resolve("out"), BuildTest.options(Portcullis.KernelMode.AUTO));
        assertEquals(r.objects(), r.stats().stream().map(BuildStats::object).toList());
        for (BuildStats s : r.stats()) {
            assertEquals(Files.readAllBytes(s.object()).length > 0, true);
            assertEquals(ElfFile.parse(Files.readAllBytes(s.object())).sectionHeader(s.target().section()).get().size() / 8,
                    s.instructions());
            assertEquals("bpf() disabled by -D" + Bpf.DISABLE_PROPERTY + "=true", s.notVerified());
            assertTrue(s.stackBytes() >= 0 && s.stackBytes() <= 512);
            assertTrue(s.estimated() > s.instructions(), "the static verifier's estimate is in the stats: " + s.estimated());
        }
        assertEquals(List.of("db", "web"), r.stats().stream().map(BuildStats::policy).sorted().toList());
        assertTrue(r.stats().stream().anyMatch(s -> s.target() == Target.TC_INGRESS && s.render().contains("section tc)")));
    }

    @Test
    void kernelVerifiedBuildsCarryTheProcessedCount() throws Exception {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel part skipped: " + a.reason());
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("web.policy"), "policy web {\n    default deny;\n    allow tcp to 10.0.0.0/8 port 443;\n}\n");
        Portcullis.BuildResult r = Portcullis.build(List.of(src), dir.resolve("out"), BuildTest.options(Portcullis.KernelMode.AUTO));
        BuildStats s = r.stats().get(0);
        assertTrue(s.processed() > 0, s.render());
        // The build's note and the stats come from the same verification.
        assertTrue(r.notes().contains("kernel verifier accepted web: " + s.instructions() + " instructions, "
                + s.processed() + " processed"), r.notes() + "\n" + s.render());
    }

    /** A table object: each .rodata.* section is an array map, listed with its headroom, and the map count against 64. */
    @Test
    void tableObjectsListTheirReadOnlyMaps() throws Exception {
        Path src = dir.resolve("t.policy");
        Files.writeString(src, "policy t {\n    default deny;\n    allow tcp to 10.0.0.0/8 port 443;\n"
                + "    deny udp from 192.168.0.0/16 to 10.1.0.0/16 port 53;\n    allow udp to 10.0.0.0/8 port 53;\n}\n");
        io.portcullis.ir.ResolvedPolicy p = io.portcullis.resolve.Loader.load(List.of(src)).policies().get(0);
        byte[] elf = io.portcullis.bpf.lower.BpfCompiler.compile(p, io.portcullis.bpf.lower.BpfCompiler.Strategy.TABLE);
        ElfFile f = ElfFile.parse(elf);
        List<String> rodata = f.sectionNames().stream().filter(n -> n.startsWith(".rodata.")).toList();
        assertTrue(rodata.contains(".rodata.v") && rodata.size() >= 2, rodata.toString());
        BuildStats s = BuildStats.of("t", dir.resolve("t.o"), Target.XDP, elf, null, "kernel verification turned off");
        String text = s.render();
        for (String name : rodata) {
            long size = f.sectionHeader(name).orElseThrow().size();
            assertTrue(text.contains(String.format(java.util.Locale.ROOT, "map %s", name)), text);
            assertTrue(text.contains(String.format(java.util.Locale.ROOT, "%,d of 4,194,304 bytes, headroom %,d", size,
                    (4L << 20) - size)), text);
        }
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "data maps           %d of 64, headroom %d (MAX_USED_MAPS)",
                rodata.size(), 64 - rodata.size())), text);
    }
}
