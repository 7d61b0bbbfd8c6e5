package io.portcullis.bpf.lower;

/** The kernel verifier's limits a program can run into, with the values of the kernels we target (ENGINEERING.md). */
public enum Limits {
    PROGRAM_LENGTH("program length", 1_000_000, "instructions (BPF_COMPLEXITY_LIMIT_INSNS)"),
    PROCESSED("verifier work", 1_000_000, "processed instructions (BPF_COMPLEXITY_LIMIT_INSNS)"),
    JUMP_SEQUENCE("pending branches on one path", 8192, "jumps (BPF_COMPLEXITY_LIMIT_JMP_SEQ)"),
    STACK("stack", 512, "bytes (MAX_BPF_STACK)"),
    JUMP_OFFSET("conditional jump offset", 32767, "instructions (signed 16-bit offset; v4 adds gotol for far jumps)"),
    MAP_VALUE("array-map value size", 4L << 20, "bytes (KMALLOC_MAX_SIZE)"),
    MAPS("maps per program", 64, "maps (MAX_USED_MAPS)");

    private final String title;
    private final long max;
    private final String unit;

    Limits(String title, long max, String unit) {
        this.title = title;
        this.max = max;
        this.unit = unit;
    }

    public String title() { return title; }
    public long max() { return max; }
    public String unit() { return unit; }
}
