package io.portcullis.driver;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Asm;
import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.diag.Severity;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's static safety gate: accepts what the compiler emits, refuses an object whose bounds check is gone. */
class StaticCheckTest {
    @TempDir Path dir;

    @Test
    void acceptsACompiledPolicyAndRefusesItWithoutItsFirstBoundsCheck() throws Exception {
        Path f = Files.writeString(dir.resolve("p.policy"), "policy p on tc ingress { default deny; allow tcp to 10.0.0.0/8 port 22; }\n");
        Portcullis.CheckResult r = Portcullis.check(List.of(f),
                new Portcullis.Options(Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25), Portcullis.KernelMode.NEVER));
        ResolvedPolicy p = r.policies().get(0);
        byte[] o = BpfCompiler.compile(p);
        assertNull(StaticCheck.problems(o, Target.TC_INGRESS));

        ElfFile elf = ElfFile.parse(o);
        ElfFile.Section sec = elf.sectionHeader("tc").orElseThrow();
        List<Insn> insns = new java.util.ArrayList<>(Decoder.decode(elf.contents(sec)));
        int check = 0;
        while (!(insns.get(check).isJump() && insns.get(check).usesSrcReg())) check++;
        insns.set(check, io.portcullis.bpf.lower.BoundsChecks.skipped(insns.get(check)));
        byte[] code = Encoder.encode(insns);
        byte[] bad = o.clone();
        System.arraycopy(code, 0, bad, (int) sec.offset(), code.length);
        String problem = StaticCheck.problems(bad, Target.TC_INGRESS);
        assertTrue(problem != null && problem.contains("section tc, insn ") && problem.contains("packet-out-of-range"), problem);
    }
}
