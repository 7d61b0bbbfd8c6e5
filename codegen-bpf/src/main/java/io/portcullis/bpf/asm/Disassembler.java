package io.portcullis.bpf.asm;

/** A stable, human-readable listing of BPF instructions. (Owner: bpf tooling.) */
public final class Disassembler {
    private Disassembler() {}

    /** One instruction per line, e.g. {@code 0012: r2 = *(u32 *)(r1 + 4)}; wide loads take two slots. */
    public static String listing(byte[] program) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
