package io.portcullis.space;

import java.util.ArrayList;
import java.util.List;

/** Runs one task on several threads at once and waits for all of them; the first failure is rethrown. */
public final class Parallel {
    private Parallel() {}

    /** The stack of a worker thread: the diagram operations recurse once per variable, so a main thread's room. */
    private static final long STACK = 16L << 20;

    /** Daemon threads named {@code name} with a worker's stack, for pools that run diagram work. */
    public static java.util.concurrent.ThreadFactory threads(String name) {
        return r -> {
            Thread t = new Thread(null, r, name, STACK);
            t.setDaemon(true);
            return t;
        };
    }

    /** The result of {@code f}, waiting for it; a failure there is thrown here (a checked one wrapped), as if here. */
    public static <T> T get(java.util.concurrent.Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a worker", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    public static void run(int threads, Runnable task) { run(threads, k -> task.run()); }

    /**
     * As {@link #run(int, java.util.function.IntConsumer)} with {@code bdd} frozen meanwhile: each thread reads it
     * through an overlay of its own ({@link Bdd#overlay()}).
     */
    public static void onFrozen(Bdd bdd, int threads, java.util.function.IntConsumer task) {
        bdd.freeze();
        try {
            run(threads, task);
        } finally {
            bdd.thaw();
        }
    }

    /** As {@link #run(int, Runnable)}, telling each thread its number: 0 for the calling thread, 1..threads-1. */
    public static void run(int threads, java.util.function.IntConsumer task) {
        List<Thread> started = new ArrayList<>();
        Throwable[] failure = new Throwable[1];
        for (int k = 1; k < threads; k++) {
            int id = k;
            Thread t = threads("portcullis-worker-" + k).newThread(() -> {
                try {
                    task.accept(id);
                } catch (Throwable e) {
                    synchronized (failure) {
                        if (failure[0] == null) failure[0] = e;
                    }
                }
            });
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
