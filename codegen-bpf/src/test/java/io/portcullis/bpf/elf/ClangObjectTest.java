package io.portcullis.bpf.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads an object produced by a real toolchain; needs clang with the BPF target, skipped otherwise. */
public class ClangObjectTest {
    public static final String SOURCE = """
            struct xdp_md { unsigned int data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };
            static int counter_unused;
            __attribute__((section("xdp"), used))
            int pass_long(struct xdp_md *ctx) {
                void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                if (data + 14 > end) return 1;
                unsigned short proto = *(unsigned short *)(data + 12);
                return proto == 0x0008 ? 2 : 1;
            }
            char _license[] __attribute__((section("license"), used)) = "GPL";
            """;

    public static Path compile(Path dir) throws IOException, InterruptedException {
        Path src = dir.resolve("prog.c"), obj = dir.resolve("prog.o");
        Files.writeString(src, SOURCE);
        Process p;
        try {
            p = new ProcessBuilder("clang", "-O2", "-target", "bpf", "-c", src.toString(), "-o", obj.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("clang is not installed: " + e.getMessage());
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes());
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "clang could not build a BPF object: " + out);
        return obj;
    }

    @Test void parsesClangObject(@TempDir Path dir) throws Exception {
        ElfFile f = ElfFile.parse(Files.readAllBytes(compile(dir)));
        assertEquals(ElfFile.EM_BPF, f.machine());
        assertTrue(f.sectionNames().containsAll(List.of("xdp", "license", ".symtab", ".strtab")), f.sectionNames().toString());
        byte[] code = f.section("xdp").orElseThrow();
        List<Insn> insns = Decoder.decode(code);
        assertTrue(insns.size() >= 5, Disassembler.listing(code));
        assertEquals(List.of(), List.of(Encoder.encode(insns)).stream().filter(b -> !java.util.Arrays.equals(b, code)).toList());
        assertTrue(Disassembler.listing(code).contains("exit"), Disassembler.listing(code));
        assertTrue(Disassembler.listing(code).contains("r2 = *(u32 *)(r1 +4)") || Disassembler.listing(code).contains("*(u32 *)(r1 +4)"),
                Disassembler.listing(code));
        assertTrue(f.symbols().stream().anyMatch(s -> s.name().equals("pass_long") && s.type() == ElfFile.STT_FUNC));
        assertEquals("GPL", new String(f.section("license").orElseThrow(), 0, 3));
    }
}
