package io.portcullis.space;

import java.util.ArrayList;
import java.util.List;

/** Runs one task on several threads at once and waits for all of them; the first failure is rethrown. */
public final class Parallel {
    private Parallel() {}

    /** The stack of a worker thread: the diagram operations recurse once per variable, so a main thread's room. */
    public static final long STACK = 16L << 20;

    public static void run(int threads, Runnable task) { run(threads, k -> task.run()); }

    /** As {@link #run(int, Runnable)}, telling each thread its number: 0 for the calling thread, 1..threads-1. */
    public static void run(int threads, java.util.function.IntConsumer task) {
        List<Thread> started = new ArrayList<>();
        Throwable[] failure = new Throwable[1];
        for (int k = 1; k < threads; k++) {
            int id = k;
            // The diagram operations recurse once per variable; give the helpers room like a main thread's.
            Thread t = new Thread(null, () -> {
                try {
                    task.accept(id);
                } catch (Throwable e) {
                    synchronized (failure) {
                        if (failure[0] == null) failure[0] = e;
                    }
                }
            }, "portcullis-worker-" + k, STACK);
            t.setDaemon(true);
            t.start();
            started.add(t);
        }
        try {
            task.accept(0); // the calling thread is one of them
        } catch (Throwable e) {
            synchronized (failure) {
                if (failure[0] == null) failure[0] = e;
            }
        }
        for (Thread t : started) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        Throwable f;
        synchronized (failure) {
            f = failure[0];
        }
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
        if (f != null) throw new IllegalStateException(f);
    }
}
