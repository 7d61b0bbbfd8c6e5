package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.ProgramImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public final class DebugDump {
    public static void dump(byte[] code, ProgramType type, Path dir) throws Exception {
        List<Insn> insns = Decoder.decode(code);
        StaticVerifier.Run run = new StaticVerifier.Run(insns, type);
        run.run();
        Explorer x = new Explorer(run);
        x.trace = new StringBuilder();
        x.debugAt = Integer.getInteger("dbg.at", -1);
        x.explore();
        Files.writeString(dir.resolve("ours.trace"), x.trace.toString());
        System.out.println("OURS processed " + x.processed + " states " + x.states + " pruned " + x.pruned);
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < x.processedAt.length; s++) sb.append(s).append(' ').append(x.processedAt[s]).append(' ').append(x.prunedAt[s]).append('\n');
        Files.writeString(dir.resolve("ours.txt"), sb.toString());
        ProgramImage im = ProgramImage.of(code, type.target(), "GPL", "dbg");
        Bpf.LoadResult r = Bpf.progLoad(im.progType(), im.expectedAttachType(), im.code(), im.license(), im.name(), 2, 256 << 20);
        Files.writeString(dir.resolve("kernel.log"), r.log());
        Files.write(dir.resolve("prog.bin"), code);
    }
}
