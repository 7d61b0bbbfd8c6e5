package io.portcullis.bpf.verify;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.ProgramImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A tool for comparing the complexity estimate with the kernel step by step (see {@code ComplexityTraceDump}): writes
 * the exploration's sequence of processed instructions ({@code ours.trace}, one index a line, prunes included) and the
 * kernel's level-2 verifier log ({@code kernel.log}, where {@code N: (..)}, {@code N: safe} and
 * {@code from M to N: safe} lines give the same sequence), so the first place where they part can be found.
 */
public final class DebugDump {
    private DebugDump() {}

    public static String dump(byte[] code, ProgramType type, Path dir) throws Exception {
        Files.createDirectories(dir);
        List<Insn> insns = Decoder.decode(code);
        StaticVerifier.Run run = new StaticVerifier.Run(insns, type);
        run.run();
        Explorer x = new Explorer(run);
        x.trace = new StringBuilder();
        x.explore();
        Files.writeString(dir.resolve("ours.trace"), x.trace.toString());
        Files.write(dir.resolve("prog.bin"), code);
        String summary = "estimate: processed " + x.processed + ", states " + x.states + ", pruned " + x.pruned;
        if (Bpf.availability().available()) {
            ProgramImage im = ProgramImage.of(code, type.target(), "GPL", "dump");
            Bpf.LoadResult r = Bpf.progLoad(im.progType(), im.expectedAttachType(), im.code(), im.license(), im.name(), 2, 256 << 20);
            if (r.ok()) Bpf.close(r.fd());
            Files.writeString(dir.resolve("kernel.log"), r.log());
        }
        return summary;
    }
}
