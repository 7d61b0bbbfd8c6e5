package io.portcullis.bpf.kernel;

import io.portcullis.bpf.elf.ReadOnlyData;
import io.portcullis.ir.Target;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs an object's program through the Linux kernel's verifier (BPF_PROG_LOAD). (Owner: bpf tooling.) */
public final class KernelVerifier {
    private KernelVerifier() {}

    public enum Status { ACCEPTED, REJECTED, UNAVAILABLE }

    /**
     * {@code log} is the verifier log on rejection, the reason when unavailable; {@code processed} is insns processed or
     * -1; {@code errno} is what BPF_PROG_LOAD failed with, 0 when it did not run or did not fail.
     */
    public record Verification(Status status, String log, int instructions, int processed, int errno) {
        /** The load failed with ENOTSUPP: see {@link KernelVerifier#AFTER_VERIFIER}. */
        public boolean enotsupp() { return status == Status.REJECTED && errno == Bpf.ENOTSUPP; }
    }

    private static final Pattern PROCESSED = Pattern.compile("processed (\\d+) insns");
    private static final int STATS_LOG_SIZE = 1 << 16;

    public static Verification verify(byte[] elf, Target target) {
        ProgramImage image;
        try {
            image = ProgramImage.fromElf(elf, target);
        } catch (IllegalArgumentException e) {
            return new Verification(Status.REJECTED, "invalid object: " + e.getMessage(), -1, -1, 0);
        }
        return verify(image);
    }

    /**
     * Loads without a log first (a small log buffer can fail a valid program with ENOSPC), then either loads again
     * with BPF_LOG_STATS to learn the processed-instruction count, or with a 16 MiB verbose log to explain the rejection.
     */
    public static Verification verify(ProgramImage image) {
        Bpf.Availability a = Bpf.availability();
        if (!a.available()) return new Verification(Status.UNAVAILABLE, a.reason(), image.instructions(), -1, 0);
        Bpf.LoadResult first = load(image, 0, 0);
        if (first.ok()) {
            Bpf.close(first.fd());
            Bpf.LoadResult stats = load(image, Bpf.LOG_LEVEL_STATS, STATS_LOG_SIZE);
            if (stats.ok()) Bpf.close(stats.fd());
            return new Verification(Status.ACCEPTED, stats.log().strip(), image.instructions(), processed(stats.log()), 0);
        }
        Bpf.LoadResult verbose = load(image, Bpf.LOG_LEVEL_VERBOSE, Bpf.LOG_BUFFER_SIZE);
        if (verbose.ok()) Bpf.close(verbose.fd());
        String log = "bpf(BPF_PROG_LOAD) failed: " + Bpf.errnoName(first.errno());
        if (first.errno() == Bpf.ENOTSUPP) log += "\n" + AFTER_VERIFIER;
        if (!verbose.log().isBlank()) log += "\n" + verbose.log().strip();
        return new Verification(Status.REJECTED, log, image.instructions(), processed(verbose.log()), first.errno());
    }

    /**
     * One BPF_PROG_LOAD; the image's read-only data is first made into frozen array maps (as libbpf does for
     * {@code .rodata*}), which are closed again after the load: a loaded program holds its own references.
     */
    static Bpf.LoadResult load(ProgramImage image, int logLevel, int logSize) {
        java.util.List<ReadOnlyData.Region> regions = image.data().regions();
        int[] fds = new int[regions.size()];
        java.util.Arrays.fill(fds, -1);
        try {
            for (ReadOnlyData.Region r : regions) fds[r.index()] = Bpf.readOnlyArray(r.section(), r.bytes());
            return Bpf.progLoad(image.progType(), image.expectedAttachType(), image.codeWithMaps(fds), image.license(),
                    image.name(), logLevel, logSize);
        } catch (BpfException e) {
            return new Bpf.LoadResult(-1, e.errno(), e.getMessage());
        } finally {
            for (int fd : fds) Bpf.close(fd);
        }
    }

    /**
     * What ENOTSUPP at load means when the verifier's log below it ends in its summary, with no complaint: the kernel's
     * JIT compiler refused the program after the verifier accepted it (seen on Linux 6.18 x86-64, whose JIT logs "bpf_jit:
     * fatal error" when instruction addresses change between its last passes). Not a safety problem of the program.
     */
    public static final String AFTER_VERIFIER = "ENOTSUPP after a verifier log that ends without a complaint means the"
            + " kernel's JIT compiler refused the program after the verifier accepted it (the kernel log, dmesg, then"
            + " shows 'bpf_jit: ...'): a limit or bug of the kernel's JIT, not unsafe code";

    /** The last "processed N insns" figure in a verifier log, or -1. */
    static int processed(String log) {
        Matcher m = PROCESSED.matcher(log);
        int n = -1;
        while (m.find()) n = Integer.parseInt(m.group(1));
        return n;
    }
}
