package io.portcullis.bpf.lower;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads objects into the kernel and runs them with the real tools, for tests. {@link #unavailableReason()} says why
 * not when bpftool, bpffs or bpf() are missing, so tests can skip visibly.
 */
final class Bpftool {
    static final Path BPFFS = Path.of("/sys/fs/bpf");
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Pattern RETVAL = Pattern.compile("Return value: (\\d+)");
    private static String reason;
    private static boolean probed;

    record Result(int exit, String out) {}

    private Bpftool() {}

    static Result exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timeout");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Null when loading works here, else why not. */
    static synchronized String unavailableReason() {
        if (probed) return reason;
        probed = true;
        if (exec(List.of("bpftool", "version")).exit() != 0) return reason = "bpftool is not installed";
        if (!isBpffs()) {
            exec(List.of("mount", "-t", "bpf", "bpf", BPFFS.toString()));
            if (!isBpffs()) return reason = "no bpf filesystem at " + BPFFS + " and it cannot be mounted";
        }
        // A trivially valid program: if this does not load, bpf() is not allowed here.
        try {
            byte[] obj = BpfCompiler.compile(Policies.policy("probe", io.portcullis.ir.Action.ALLOW, io.portcullis.ir.Action.ALLOW));
            Load l = load(obj, "probe");
            if (!l.ok()) return reason = "the kernel does not accept BPF programs here: " + l.log().lines().findFirst().orElse("");
            l.unpin();
        } catch (Exception e) {
            return reason = "cannot compile the probe program: " + e;
        }
        return reason = null;
    }

    private static boolean isBpffs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[1].equals(BPFFS.toString()) && f[2].equals("bpf")) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    record Load(boolean ok, Path pin, String log) {
        void unpin() {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException ignored) {
                // a leftover pin only costs kernel memory until reboot
            }
        }
    }

    static Load load(byte[] object, String hint) throws IOException {
        Path obj = Files.createTempFile("portcullis-", ".o");
        try {
            Files.write(obj, object);
            Path pin = BPFFS.resolve("pc_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet() + "_" + hint);
            Result r = exec(List.of("bpftool", "prog", "load", obj.toString(), pin.toString()));
            return new Load(r.exit() == 0 && Files.exists(pin), pin, r.out());
        } finally {
            Files.deleteIfExists(obj);
        }
    }

    /** Runs the pinned program once on {@code frame} and returns its return value. */
    static int run(Path pin, byte[] frame) throws IOException {
        Path in = Files.createTempFile("portcullis-frame-", ".bin");
        try {
            Files.write(in, frame);
            Result r = exec(List.of("bpftool", "prog", "run", "pinned", pin.toString(), "data_in", in.toString(), "repeat", "1"));
            Matcher m = RETVAL.matcher(r.out());
            if (r.exit() != 0 || !m.find()) throw new IOException("bpftool prog run failed: " + r.out());
            return Integer.parseInt(m.group(1));
        } finally {
            Files.deleteIfExists(in);
        }
    }

    static List<String> cmd(String... parts) { return new ArrayList<>(List.of(parts)); }
}
