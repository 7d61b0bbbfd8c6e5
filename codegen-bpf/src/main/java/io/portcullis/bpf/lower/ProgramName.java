package io.portcullis.bpf.lower;

/** The program's symbol name: the kernel keeps 15 characters of it (BPF_OBJ_NAME_LEN is 16 with the NUL). */
final class ProgramName {
    static final int MAX = 15;

    private ProgramName() {}

    static String of(String policyName) {
        StringBuilder sb = new StringBuilder("pc_");
        // By code point, so a character outside the BMP becomes one '_', not two.
        policyName.codePoints().limit(MAX - sb.length()).forEach(c -> {
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
            sb.append(ok ? (char) c : '_');
        });
        return sb.toString();
    }
}
