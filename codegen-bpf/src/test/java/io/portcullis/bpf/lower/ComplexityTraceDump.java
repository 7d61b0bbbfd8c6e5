package io.portcullis.bpf.lower;

import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.verify.DebugDump;
import io.portcullis.bpf.verify.ProgramType;
import io.portcullis.ir.Target;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Not a check: a tool, run by hand with {@code -Dportcullis.complexity.dump=DIR [-Dportcullis.complexity.rules=N]}
 * ({@code mvn -pl codegen-bpf -am test -Dtest=ComplexityTraceDump -Dsurefire.failIfNoSpecifiedTests=false ...}), that
 * writes the estimate's trace and the kernel's verbose log of a generated XDP program (see {@link DebugDump}).
 */
class ComplexityTraceDump {
    @Test
    void dump() throws Exception {
        String dir = System.getProperty("portcullis.complexity.dump");
        Assumptions.assumeTrue(dir != null, "trace dump not requested (-Dportcullis.complexity.dump=DIR)");
        byte[] o = BpfCompiler.compile(RuleGen.policy(Integer.getInteger("portcullis.complexity.rules", 3), 11, Target.XDP));
        ElfFile f = ElfFile.parse(o);
        System.out.println(DebugDump.dump(f.contents(f.sectionHeader("xdp").orElseThrow()), ProgramType.XDP, Path.of(dir)));
    }
}
