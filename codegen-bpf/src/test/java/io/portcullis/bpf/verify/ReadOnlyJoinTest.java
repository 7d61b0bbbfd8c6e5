package io.portcullis.bpf.verify;

import static io.portcullis.bpf.asm.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ElfWriter;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.ir.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pointers into two different read-only regions meeting at one instruction (LLVM shares the search block of two table
 * chunks in the 100k-rule decision-table program): the static verifier joins them into a pointer into the smaller
 * region, so an access inside both is accepted and one past the smaller is refused, as the kernel (which checks each
 * path on its own) decides. Before, the join made the register "pointer or scalar" and every such program was refused.
 */
class ReadOnlyJoinTest {
    /** r2 = ctx->ingress_ifindex; r3 = &small; if r2 == 0 skip; r3 = &large; r4 = *(u32 *)(r3 + off); return XDP_PASS. */
    static byte[] object(int off) {
        byte[] code = program(
                ldxw(2, 1, 12),
                ldImm64(3, 0),
                jmpImm(Op.JEQ, 2, 0, 2),
                ldImm64(3, 0),
                ldxw(4, 3, off),
                mov64Imm(0, 2),
                exit());
        return new ElfWriter().program("xdp", "prog", code).license("GPL")
                .section(".rodata.t0", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC, new byte[16], 8)
                .section(".rodata.t1", ElfFile.SHT_PROGBITS, ElfFile.SHF_ALLOC, new byte[64], 8)
                .symbol("small", ".rodata.t0", 0, 16, ElfFile.STT_OBJECT, ElfFile.STB_LOCAL)
                .symbol("large", ".rodata.t1", 0, 64, ElfFile.STT_OBJECT, ElfFile.STB_LOCAL)
                .relocation("xdp", 8, "small", 1)
                .relocation("xdp", 32, "large", 1).build();
    }

    private static ObjectVerifier.Program verify(byte[] elf) {
        List<ObjectVerifier.Program> ps = ObjectVerifier.verify(elf);
        assertEquals(1, ps.size());
        return ps.get(0);
    }

    @Test
    void anAccessInsideBothRegionsIsAccepted() {
        ObjectVerifier.Program p = verify(object(12));
        assertTrue(p.accepted(), () -> String.valueOf(p.verification().problems()));
        kernelAgrees(object(12), true);
    }

    @Test
    void anAccessPastTheSmallerRegionIsRefused() {
        ObjectVerifier.Program p = verify(object(32));
        assertTrue(!p.accepted(), "an access at 32..35 is outside the 16-byte region on one path");
        Problem first = p.verification().problems().get(0);
        assertEquals(Reason.MAP_OUT_OF_RANGE, first.reason(), first.toString());
        assertTrue(first.message().contains("value_size=16"), first.message());
        kernelAgrees(object(32), false);
    }

    private static void kernelAgrees(byte[] elf, boolean accepts) {
        Bpf.Availability a = Bpf.availability();
        if (!a.available()) {
            System.out.println("ReadOnlyJoinTest: kernel agreement not checked: " + a.reason());
            return;
        }
        KernelVerifier.Verification k = KernelVerifier.verify(elf, Target.XDP);
        assertEquals(accepts ? KernelVerifier.Status.ACCEPTED : KernelVerifier.Status.REJECTED, k.status(), k.log());
    }
}
