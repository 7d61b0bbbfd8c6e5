package io.portcullis.bpf.kernel;

import static io.portcullis.bpf.asm.Asm.exit;
import static io.portcullis.bpf.asm.Asm.mov64Imm;
import static io.portcullis.bpf.asm.Asm.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ElfWriter;
import io.portcullis.ir.Target;
import org.junit.jupiter.api.Test;

/** Checks that need no kernel: object validation happens before any bpf() call. */
class KernelVerifierOfflineTest {
    static final byte[] CODE = program(mov64Imm(0, 2), exit());

    /** r1 = &data[4] (ld_imm64 with an R_BPF_64_64 relocation); r0 = 2; exit. */
    static final byte[] LD_CODE = program(io.portcullis.bpf.asm.Asm.ldImm64(1, 4), mov64Imm(0, 2), exit());

    /** Only read-only data is resolved: a reference into a writable section (a map definition here) is refused. */
    @Test void relocationsOtherThanReadOnlyDataAreRejected() {
        byte[] obj = new ElfWriter().program("xdp", "prog", LD_CODE).license("GPL")
                .section(".maps", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC | ElfFile.SHF_WRITE, new byte[32], 8)
                .symbol("rules", ".maps", 0, 32, ElfFile.STT_OBJECT, ElfFile.STB_GLOBAL)
                .relocation("xdp", 0, "rules", 1).build();
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
        assertEquals(KernelVerifier.Status.REJECTED, v.status());
        assertTrue(v.log().contains("not read-only data"), v.log());
        byte[] notLd = new ElfWriter().program("xdp", "prog", CODE).license("GPL")
                .section(".rodata", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC, new byte[32], 8)
                .symbol("t", ".rodata", 0, 32, ElfFile.STT_OBJECT, ElfFile.STB_GLOBAL)
                .relocation("xdp", 0, "t", 1).build();
        assertTrue(KernelVerifier.verify(notLd, Target.XDP).log().contains("not on an ld_imm64"));
    }

    /** A .rodata reference is resolved as libbpf does: symbol value plus the instruction's addend. */
    @Test void readOnlyDataReferencesAreResolved() {
        byte[] obj = new ElfWriter().program("xdp", "prog", LD_CODE).license("GPL")
                .section(".rodata.t0", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC, new byte[32], 8)
                .symbol("t", ".rodata.t0", 8, 24, ElfFile.STT_OBJECT, ElfFile.STB_LOCAL)
                .relocation("xdp", 0, "t", 1).build();
        ProgramImage image = ProgramImage.fromElf(obj, Target.XDP);
        assertEquals(1, image.data().regions().size());
        assertEquals(".rodata.t0", image.data().regions().get(0).section());
        assertEquals(32, image.data().regions().get(0).size());
        io.portcullis.bpf.elf.ReadOnlyData.Ref ref = image.data().at(0);
        assertEquals(0, ref.region());
        assertEquals(12, ref.offset());
        // Patched as libbpf does: src_reg BPF_PSEUDO_MAP_VALUE, map fd in the first imm, offset in the second.
        byte[] patched = image.codeWithMaps(new int[] {7});
        assertEquals(io.portcullis.bpf.asm.Op.PSEUDO_MAP_VALUE, (patched[1] >> 4) & 0xf);
        assertEquals(7, patched[4]);
        assertEquals(12, patched[12]);
    }

    @Test void missingSectionIsRejected() {
        byte[] obj = new ElfWriter().program("xdp", "prog", CODE).license("GPL").build();
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.TC_INGRESS);
        assertEquals(KernelVerifier.Status.REJECTED, v.status());
        assertTrue(v.log().contains("no program section 'tc'"), v.log());
        assertTrue(v.log().contains("xdp"), v.log());
    }

    @Test void garbageIsRejectedWithoutException() {
        KernelVerifier.Verification v = KernelVerifier.verify("not an object".getBytes(), Target.XDP);
        assertEquals(KernelVerifier.Status.REJECTED, v.status());
        assertTrue(v.log().startsWith("invalid object: not an ELF object"), v.log());
    }

    @Test void imageTakesNameLicenseAndType() {
        byte[] obj = new ElfWriter().program("cgroup_skb/egress", "my_filter", CODE).license("Dual MIT/GPL").build();
        ProgramImage img = ProgramImage.fromElf(obj, Target.CGROUP_EGRESS);
        assertEquals("my_filter", img.name());
        assertEquals("Dual MIT/GPL", img.license());
        assertEquals(Bpf.PROG_TYPE_CGROUP_SKB, img.progType());
        assertEquals(Bpf.ATTACH_CGROUP_INET_EGRESS, img.expectedAttachType());
        assertEquals(2, img.instructions());
        assertEquals(Bpf.PROG_TYPE_XDP, ProgramImage.of(CODE, Target.XDP, "GPL", "x").progType());
        assertEquals(Bpf.PROG_TYPE_SCHED_CLS, ProgramImage.of(CODE, Target.TC_EGRESS, "GPL", "x").progType());
    }

    @Test void trailingBytesInProgramAreRejected() {
        byte[] obj = new ElfWriter().program("xdp", "prog", new byte[12]).build();
        var e = assertThrows(IllegalArgumentException.class, () -> ProgramImage.fromElf(obj, Target.XDP));
        assertTrue(e.getMessage().contains("trailing bytes"), e.getMessage());
    }

    @Test void disabledKernelGivesUnavailable() {
        System.setProperty(Bpf.DISABLE_PROPERTY, "true");
        try {
            byte[] obj = new ElfWriter().program("xdp", "prog", CODE).license("GPL").build();
            KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
            assertEquals(KernelVerifier.Status.UNAVAILABLE, v.status());
            assertTrue(v.log().contains(Bpf.DISABLE_PROPERTY), v.log());
            assertEquals(-1, v.processed());
            assertThrows(BpfException.class, () -> LoadedProgram.load(obj, Target.XDP));
        } finally {
            System.clearProperty(Bpf.DISABLE_PROPERTY);
        }
    }

    @Test void processedParsesTheLastFigure() {
        assertEquals(27, KernelVerifier.processed("x\nprocessed 3 insns\nprocessed 27 insns (limit 1000000) max_states_per_insn 0"));
        assertEquals(-1, KernelVerifier.processed("nothing here"));
    }
}
