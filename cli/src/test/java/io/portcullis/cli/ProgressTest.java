package io.portcullis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress lines by an injected clock: nothing before the threshold, one line after it, more while the work goes on. */
class ProgressTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private Progress progress(boolean enabled) {
        return new Progress(new PrintStream(err, true, StandardCharsets.UTF_8), now::get, 2_000, 10_000, enabled, false);
    }

    private String err() { return err.toString(StandardCharsets.UTF_8); }

    @Test
    void quickWorkPrintsNothing() {
        Progress p = progress(true);
        p.start("checking 3 files (1 kB)");
        now.addAndGet(1_999);
        p.tick();
        p.done();
        assertEquals("", err());
    }

    @Test
    void longWorkSaysSoAfterTheThresholdThenPeriodicallyThenTheTotal() {
        Progress p = progress(true);
        p.start("checking 3 files (1 kB)");
        now.addAndGet(2_000);
        p.tick();
        p.tick();
        assertEquals("portcullis: checking 3 files (1 kB)...\n", err());
        now.addAndGet(9_999);
        p.tick();
        now.addAndGet(1);
        p.tick();
        now.addAndGet(500);
        p.done();
        assertEquals("""
                portcullis: checking 3 files (1 kB)...
                portcullis: still checking 3 files (1 kB) (12.0 s so far)
                portcullis: done checking 3 files (1 kB) in 12.5 s
                """, err());
        p.tick();
        assertEquals(3, err().lines().count(), "nothing after done");
    }

    @Test
    void quietPrintsNothing() {
        Progress p = progress(true);
        p.quiet();
        p.start("checking");
        now.addAndGet(60_000);
        p.tick();
        p.done();
        assertEquals("", err());
    }

    @Test
    void aLongCommandReportsOnStderrOnlyAndNotUnderQuiet() {
        // The library stand-in takes "3 s" on the fake clock; the progress thread is replaced by a tick inside it.
        for (boolean quiet : new boolean[] {false, true}) {
            err.reset();
            Progress p = progress(true);
            MainTest.FakeLibrary slow = new MainTest.FakeLibrary() {
                @Override
                public io.portcullis.driver.Portcullis.CheckResult check(java.util.List<java.nio.file.Path> inputs,
                        io.portcullis.driver.Portcullis.Options options) throws io.portcullis.resolve.InputException {
                    now.addAndGet(3_000);
                    p.tick();
                    return super.check(inputs, options);
                }
            };
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            String[] args = quiet ? new String[] {"check", "--quiet", "--format", "json", "x.policy"}
                    : new String[] {"check", "--format", "json", "x.policy"};
            int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                    java.util.Map.of(), false, slow, p).run(args);
            assertEquals(Main.OK, code, err());
            String stdout = out.toString(StandardCharsets.UTF_8);
            assertTrue(stdout.startsWith("{") && !stdout.contains("portcullis:"), "stdout stays JSON: " + stdout);
            if (quiet) {
                assertEquals("", err());
            } else {
                assertTrue(err().startsWith("portcullis: checking x.policy..."), err());
                assertTrue(err().contains("portcullis: done checking x.policy in 3.0 s"), err());
            }
        }
    }
}
