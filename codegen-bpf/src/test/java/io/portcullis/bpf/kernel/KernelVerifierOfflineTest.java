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

    @Test void relocationsAreRejected() {
        byte[] obj = new ElfWriter().program("xdp", "prog", CODE).license("GPL")
                .section(".maps", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC | ElfFile.SHF_WRITE, new byte[32], 8)
                .symbol("rules", ".maps", 0, 32, ElfFile.STT_OBJECT, ElfFile.STB_GLOBAL)
                .relocation("xdp", 0, "rules", 1).build();
        KernelVerifier.Verification v = KernelVerifier.verify(obj, Target.XDP);
        assertEquals(KernelVerifier.Status.REJECTED, v.status());
        assertTrue(v.log().contains("1 relocation(s)"), v.log());
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
