package io.portcullis.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Tells a person at the terminal that long work is under way: once the work has taken {@code threshold}, one line on
 * stderr ("portcullis: checking 3 files (2.1 MB)..."), then a line every {@code every} while it goes on, and the total
 * time when it ends. Never on stdout, so machine-readable output stays clean; nothing at all under --quiet or for
 * work that ends within the threshold. A daemon thread calls {@link #tick}; tests call it themselves with a fake clock.
 */
final class Progress {
    static final long THRESHOLD_MILLIS = 2_000;
    static final long EVERY_MILLIS = 10_000;

    private final PrintStream err;
    private final LongSupplier clock;
    private final long threshold;
    private final long every;
    private boolean enabled;
    private final boolean thread;

    private String message;
    private long started;
    private long lastPrinted = -1;
    private ScheduledExecutorService timer;

    /** @param thread whether {@link #start} runs a timer thread; false when the caller ticks (tests) */
    Progress(PrintStream err, LongSupplier clock, long threshold, long every, boolean enabled, boolean thread) {
        this.err = err;
        this.clock = clock;
        this.threshold = threshold;
        this.every = every;
        this.enabled = enabled;
        this.thread = thread;
    }

    static Progress real(PrintStream err, boolean quiet) {
        return new Progress(err, () -> System.nanoTime() / 1_000_000, THRESHOLD_MILLIS, EVERY_MILLIS, !quiet, true);
    }

    /** --quiet: never print. */
    synchronized void quiet() { enabled = false; }

    /** Starts timing one piece of work, described as "checking 3 files". */
    synchronized void start(String what) {
        message = what;
        started = clock.getAsLong();
        lastPrinted = -1;
        if (enabled && thread && timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "portcullis-progress");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(this::tick, 200, 200, TimeUnit.MILLISECONDS);
        }
    }

    /** Prints the first line once the threshold has passed, then one line every {@code every}. */
    synchronized void tick() {
        if (!enabled || message == null) return;
        long elapsed = clock.getAsLong() - started;
        if (lastPrinted < 0) {
            if (elapsed >= threshold) {
                err.println("portcullis: " + message + "...");
                lastPrinted = elapsed;
            }
        } else if (elapsed - lastPrinted >= every) {
            err.println("portcullis: still " + message + " (" + seconds(elapsed) + " so far)");
            lastPrinted = elapsed;
        }
    }

    /** Ends the work; says how long it took when a progress line was printed. */
    synchronized void done() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        if (message != null && lastPrinted >= 0) {
            err.println("portcullis: done " + message + " in " + seconds(clock.getAsLong() - started));
        }
        message = null;
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** "3 files (2.1 MB)" for a list of files. */
    static String files(java.util.List<java.nio.file.Path> files) {
        long bytes = 0;
        for (java.nio.file.Path f : files) {
            try {
                bytes += java.nio.file.Files.size(f);
            } catch (java.io.IOException e) {
                // Only a size for a progress line; the real reading reports the problem.
            }
        }
        String size = bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%d kB", (bytes + 1023) / 1024);
        return files.size() + (files.size() == 1 ? " file" : " files") + " (" + size + ")";
    }
}
