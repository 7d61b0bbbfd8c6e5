package io.portcullis.bpf.lower;

import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.verify.DebugDump;
import io.portcullis.bpf.verify.ProgramType;
import io.portcullis.ir.Target;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DebugDumpTest {
    @Test
    void dump() throws Exception {
        byte[] o = BpfCompiler.compile(RuleGen.policy(Integer.getInteger("dbg.n", 40), 11, Target.XDP));
        ElfFile f = ElfFile.parse(o);
        byte[] code = f.contents(f.sectionHeader("xdp").orElseThrow());
        DebugDump.dump(code, ProgramType.XDP, Path.of("/tmp/v2dbg"));
    }
}
