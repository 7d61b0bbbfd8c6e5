package io.portcullis.bpf.kernel;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import io.portcullis.bpf.asm.Asm;
import java.nio.charset.StandardCharsets;

/**
 * The bpf(2) system call through JNA, with {@code union bpf_attr} laid out by hand. Only the two commands Portcullis
 * needs: BPF_PROG_LOAD and BPF_PROG_TEST_RUN. Offsets were checked against {@code offsetof} in linux/bpf.h.
 */
public final class Bpf {
    private Bpf() {}

    public static final int BPF_MAP_CREATE = 0, BPF_MAP_UPDATE_ELEM = 2, BPF_PROG_LOAD = 5, BPF_PROG_TEST_RUN = 10,
            BPF_MAP_FREEZE = 22;
    public static final int MAP_TYPE_ARRAY = 2;
    /** The program may only read the map (what libbpf sets for .rodata maps). */
    public static final int F_RDONLY_PROG = 1 << 7;
    public static final int PROG_TYPE_SCHED_CLS = 3, PROG_TYPE_XDP = 6, PROG_TYPE_CGROUP_SKB = 8;
    public static final int ATTACH_CGROUP_INET_INGRESS = 0, ATTACH_CGROUP_INET_EGRESS = 1;
    public static final int LOG_LEVEL_VERBOSE = 1, LOG_LEVEL_STATS = 4;
    /** Large enough for the verifier log of any program we emit; a smaller buffer can turn a success into ENOSPC. */
    public static final int LOG_BUFFER_SIZE = 16 << 20;
    /** The kernel's prog_name holds 15 characters and a NUL. */
    public static final int OBJ_NAME_LEN = 16;

    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, E2BIG = 7, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
            EACCES = 13, EFAULT = 14, EINVAL = 22, ENOSPC = 28, ENOSYS = 38, EOPNOTSUPP = 95, ENOTSUPP = 524;

    // Offsets in union bpf_attr.
    private static final int LOAD_PROG_TYPE = 0, LOAD_INSN_CNT = 4, LOAD_INSNS = 8, LOAD_LICENSE = 16, LOAD_LOG_LEVEL = 24,
            LOAD_LOG_SIZE = 28, LOAD_LOG_BUF = 32, LOAD_PROG_NAME = 48, LOAD_EXPECTED_ATTACH_TYPE = 68, LOAD_ATTR_SIZE = 144;
    private static final int TEST_PROG_FD = 0, TEST_RETVAL = 4, TEST_DATA_SIZE_IN = 8, TEST_DATA_IN = 16, TEST_REPEAT = 32,
            TEST_DURATION = 36, TEST_ATTR_SIZE = 80;

    private static final int MAP_TYPE = 0, MAP_KEY_SIZE = 4, MAP_VALUE_SIZE = 8, MAP_MAX_ENTRIES = 12, MAP_FLAGS = 16,
            MAP_NAME = 28, MAP_ATTR_SIZE = 72;
    private static final int ELEM_MAP_FD = 0, ELEM_KEY = 8, ELEM_VALUE = 16, ELEM_ATTR_SIZE = 32;

    /** Whether programs can be loaded here, and if not, why (a sentence for a user). */
    public record Availability(boolean available, String reason) {}

    /** The outcome of one BPF_PROG_LOAD: {@code fd >= 0} on success, otherwise {@code errno}; {@code log} as returned. */
    public record LoadResult(int fd, int errno, String log) {
        public boolean ok() { return fd >= 0; }
    }

    /** retval and average duration per run in nanoseconds, as BPF_PROG_TEST_RUN reports them. */
    public record TestRun(int retval, long durationNs) {}

    /** Set this system property to {@code true} to behave as if bpf() were unavailable (for testing the fallback). */
    public static final String DISABLE_PROPERTY = "portcullis.bpf.disable";

    private static volatile Availability cached;

    /** Loads a trivial XDP program ({@code r0 = 2; exit}) once per JVM and remembers the answer. */
    public static Availability availability() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return new Availability(false, "bpf() disabled by -D" + DISABLE_PROPERTY + "=true");
        }
        Availability a = cached;
        if (a == null) {
            synchronized (Bpf.class) {
                if (cached == null) cached = probe();
                a = cached;
            }
        }
        return a;
    }

    private static Availability probe() {
        if (!Platform.isLinux()) return new Availability(false, "not Linux: bpf() exists only on Linux");
        if (syscallNumber() < 0) return new Availability(false, "unsupported CPU architecture " + Platform.ARCH + " for bpf()");
        String linkError = Libc.error();
        if (linkError != null) return new Availability(false, "JNA could not load libc: " + linkError);
        byte[] code = Asm.program(Asm.mov64Imm(0, 2), Asm.exit());
        LoadResult r;
        try {
            r = progLoad(PROG_TYPE_XDP, 0, code, "GPL", "probe", 0, 0);
        } catch (LinkageError e) {
            return new Availability(false, "JNA could not load its native library: " + e.getMessage());
        }
        if (r.ok()) {
            close(r.fd());
            return new Availability(true, "bpf() is available");
        }
        String reason = switch (r.errno()) {
            case EPERM -> "bpf() not permitted (EPERM): run as root or with CAP_BPF";
            case EACCES -> "bpf() denied (EACCES): run as root or with CAP_BPF, or check the LSM policy";
            case ENOSYS -> "the kernel has no bpf() system call (ENOSYS)";
            default -> "loading a trivial XDP program failed: " + errnoName(r.errno());
        };
        return new Availability(false, reason);
    }

    /**
     * BPF_PROG_LOAD. With {@code logLevel} 0 no log buffer is passed. Retries on EAGAIN as libbpf does.
     *
     * @param code encoded instructions (a multiple of 8 bytes)
     */
    public static LoadResult progLoad(int progType, int expectedAttachType, byte[] code, String license, String name,
                                      int logLevel, int logSize) {
        if (code.length == 0 || code.length % 8 != 0) throw new IllegalArgumentException("program code must be a non-empty multiple of 8 bytes");
        if (logLevel != 0 && logSize < 128) throw new IllegalArgumentException("a verifier log buffer needs at least 128 bytes");
        byte[] lic = (license + "\0").getBytes(StandardCharsets.UTF_8);
        try (Memory insns = new Memory(code.length); Memory licMem = new Memory(lic.length);
             Memory attr = zeroed(LOAD_ATTR_SIZE);
             Memory log = logLevel != 0 ? zeroed(logSize) : null) {
            insns.write(0, code, 0, code.length);
            licMem.write(0, lic, 0, lic.length);
            attr.setInt(LOAD_PROG_TYPE, progType);
            attr.setInt(LOAD_INSN_CNT, code.length / 8);
            attr.setLong(LOAD_INSNS, Pointer.nativeValue(insns));
            attr.setLong(LOAD_LICENSE, Pointer.nativeValue(licMem));
            if (log != null) {
                attr.setInt(LOAD_LOG_LEVEL, logLevel);
                attr.setInt(LOAD_LOG_SIZE, logSize);
                attr.setLong(LOAD_LOG_BUF, Pointer.nativeValue(log));
            }
            byte[] nm = progName(name).getBytes(StandardCharsets.US_ASCII);
            attr.write(LOAD_PROG_NAME, nm, 0, nm.length);
            attr.setInt(LOAD_EXPECTED_ATTACH_TYPE, expectedAttachType);
            long rc = -1;
            int errno = 0;
            for (int attempt = 0; attempt < 5; attempt++) {
                rc = syscall(BPF_PROG_LOAD, attr, LOAD_ATTR_SIZE);
                errno = rc < 0 ? Native.getLastError() : 0;
                if (rc >= 0 || errno != EAGAIN) break;
            }
            String text = log != null ? log.getString(0, StandardCharsets.UTF_8.name()) : "";
            return rc >= 0 ? new LoadResult((int) rc, 0, text) : new LoadResult(-1, errno, text);
        }
    }

    /**
     * A read-only data map as libbpf makes one for a {@code .rodata*} section: an array with one element holding
     * {@code value}, read-only for programs, frozen (so the verifier may treat its contents as constant). Returns the
     * map fd; the caller closes it (a loaded program keeps its own reference).
     *
     * @throws BpfException when a step fails
     */
    public static int readOnlyArray(String name, byte[] value) {
        int fd;
        try (Memory attr = zeroed(MAP_ATTR_SIZE)) {
            attr.setInt(MAP_TYPE, MAP_TYPE_ARRAY);
            attr.setInt(MAP_KEY_SIZE, 4);
            attr.setInt(MAP_VALUE_SIZE, value.length);
            attr.setInt(MAP_MAX_ENTRIES, 1);
            attr.setInt(MAP_FLAGS, F_RDONLY_PROG);
            byte[] nm = progName(name).getBytes(StandardCharsets.US_ASCII);
            attr.write(MAP_NAME, nm, 0, nm.length);
            long rc = syscall(BPF_MAP_CREATE, attr, MAP_ATTR_SIZE);
            if (rc < 0) {
                int errno = Native.getLastError();
                throw new BpfException("bpf(BPF_MAP_CREATE) of a " + value.length + "-byte array for " + name
                        + " failed: " + errnoName(errno), errno, "");
            }
            fd = (int) rc;
        }
        try (Memory key = zeroed(4); Memory val = new Memory(Math.max(1, value.length)); Memory attr = zeroed(ELEM_ATTR_SIZE)) {
            val.write(0, value, 0, value.length);
            attr.setInt(ELEM_MAP_FD, fd);
            attr.setLong(ELEM_KEY, Pointer.nativeValue(key));
            attr.setLong(ELEM_VALUE, Pointer.nativeValue(val));
            check(fd, syscall(BPF_MAP_UPDATE_ELEM, attr, ELEM_ATTR_SIZE), "BPF_MAP_UPDATE_ELEM", name);
        }
        try (Memory attr = zeroed(ELEM_ATTR_SIZE)) {
            attr.setInt(ELEM_MAP_FD, fd);
            check(fd, syscall(BPF_MAP_FREEZE, attr, 4), "BPF_MAP_FREEZE", name);
        }
        return fd;
    }

    private static void check(int fd, long rc, String what, String name) {
        if (rc >= 0) return;
        int errno = Native.getLastError();
        close(fd);
        throw new BpfException("bpf(" + what + ") for " + name + " failed: " + errnoName(errno), errno, "");
    }

    /** BPF_PROG_TEST_RUN without data_out or context. */
    public static TestRun testRun(int progFd, byte[] data, int repeat) {
        if (repeat < 1) throw new IllegalArgumentException("repeat must be at least 1");
        try (Memory in = new Memory(Math.max(1, data.length)); Memory attr = zeroed(TEST_ATTR_SIZE)) {
            if (data.length > 0) in.write(0, data, 0, data.length);
            attr.setInt(TEST_PROG_FD, progFd);
            attr.setInt(TEST_DATA_SIZE_IN, data.length);
            attr.setLong(TEST_DATA_IN, Pointer.nativeValue(in));
            attr.setInt(TEST_REPEAT, repeat);
            long rc = syscall(BPF_PROG_TEST_RUN, attr, TEST_ATTR_SIZE);
            if (rc < 0) {
                int errno = Native.getLastError();
                throw new BpfException("bpf(BPF_PROG_TEST_RUN) failed: " + errnoName(errno), errno, "");
            }
            return new TestRun(attr.getInt(TEST_RETVAL), Integer.toUnsignedLong(attr.getInt(TEST_DURATION)));
        }
    }

    public static void close(int fd) {
        if (fd >= 0) Libc.close.invokeInt(new Object[] {fd});
    }

    /** The kernel accepts [A-Za-z0-9_.] in prog_name; anything else becomes '_' and the name is cut to 15 characters. */
    static String progName(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : (name == null ? "" : name).toCharArray()) {
            if (sb.length() == OBJ_NAME_LEN - 1) break;
            sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.') ? c : '_');
        }
        return sb.toString();
    }

    public static String errnoName(int errno) {
        String name = switch (errno) {
            case EPERM -> "EPERM (Operation not permitted)";
            case ENOENT -> "ENOENT (No such file or directory)";
            case EINTR -> "EINTR (Interrupted system call)";
            case E2BIG -> "E2BIG (Argument list too long)";
            case EBADF -> "EBADF (Bad file descriptor)";
            case EAGAIN -> "EAGAIN (Resource temporarily unavailable)";
            case ENOMEM -> "ENOMEM (Cannot allocate memory)";
            case EACCES -> "EACCES (Permission denied)";
            case EFAULT -> "EFAULT (Bad address)";
            case EINVAL -> "EINVAL (Invalid argument)";
            case ENOSPC -> "ENOSPC (No space left on device)";
            case ENOSYS -> "ENOSYS (Function not implemented)";
            case EOPNOTSUPP -> "EOPNOTSUPP (Operation not supported)";
            case ENOTSUPP -> "ENOTSUPP (Operation not supported)";
            default -> null;
        };
        return name != null ? name : "errno " + errno;
    }

    private static int syscallNumber() {
        if (Platform.ARCH.equals("x86-64")) return 321;
        if (Platform.ARCH.equals("aarch64")) return 280;
        return -1;
    }

    private static long syscall(int cmd, Memory attr, int size) {
        return Libc.syscall.invokeLong(new Object[] {(long) syscallNumber(), cmd, attr, size});
    }

    private static Memory zeroed(int size) {
        Memory m = new Memory(size);
        m.clear();
        return m;
    }

    /** libc bound lazily, so a missing JNA native library is reported as unavailability rather than an error. */
    private static final class Libc {
        static final Function syscall;
        static final Function close;
        private static final String ERROR;

        static {
            Function s = null, c = null;
            String err = null;
            try {
                NativeLibrary lib = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
                s = lib.getFunction("syscall");
                c = lib.getFunction("close");
            } catch (LinkageError | RuntimeException e) {
                err = e.getMessage();
            }
            syscall = s;
            close = c;
            ERROR = err;
        }

        static String error() { return ERROR; }
    }
}
