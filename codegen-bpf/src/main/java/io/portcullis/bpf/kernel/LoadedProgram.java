package io.portcullis.bpf.kernel;

import io.portcullis.ir.Target;

/** A program loaded into the kernel (an fd), for test runs. Close it to release the fd. */
public final class LoadedProgram implements AutoCloseable {
    /** Return value and average duration per run in nanoseconds. */
    public record RunStats(int retval, long averageNs) {}

    /** XDP (and skb) test runs need at least an Ethernet header. */
    public static final int MIN_INPUT = 14;

    private final ProgramImage image;
    private int fd;

    private LoadedProgram(ProgramImage image, int fd) {
        this.image = image;
        this.fd = fd;
    }

    /**
     * @throws IllegalArgumentException if the object has no usable program for the target
     * @throws BpfException             if bpf() is unavailable or the kernel rejects the program (the verifier log attached)
     */
    public static LoadedProgram load(byte[] elf, Target t) {
        return load(ProgramImage.fromElf(elf, t));
    }

    public static LoadedProgram load(ProgramImage image) {
        Bpf.Availability a = Bpf.availability();
        if (!a.available()) throw new BpfException(a.reason(), 0, "");
        Bpf.LoadResult r = KernelVerifier.load(image, 0, 0);
        if (r.ok()) return new LoadedProgram(image, r.fd());
        Bpf.LoadResult verbose = KernelVerifier.load(image, Bpf.LOG_LEVEL_VERBOSE, Bpf.LOG_BUFFER_SIZE);
        if (verbose.ok()) Bpf.close(verbose.fd());
        throw new BpfException("the kernel rejected program " + image.name() + ": " + Bpf.errnoName(r.errno()),
                r.errno(), verbose.log());
    }

    public int fd() {
        if (fd < 0) throw new IllegalStateException("program is closed");
        return fd;
    }

    public ProgramImage image() { return image; }

    /**
     * One test run; returns the program's return value. The input is always an Ethernet frame, also for tc and cgroup
     * programs: for cgroup skb programs the kernel strips the Ethernet header, so the program starts at the IP header
     * (checked by KernelTest#cgroupTestRunStartsAtTheIpHeader).
     */
    public int run(byte[] data) { return run(data, 1).retval(); }

    public RunStats run(byte[] data, int repeat) {
        if (data.length < MIN_INPUT) {
            throw new IllegalArgumentException("test input is " + data.length + " bytes; at least " + MIN_INPUT + " are needed");
        }
        Bpf.TestRun r = Bpf.testRun(fd(), data, repeat);
        return new RunStats(r.retval(), r.durationNs());
    }

    @Override public void close() {
        if (fd >= 0) {
            Bpf.close(fd);
            fd = -1;
        }
    }
}
