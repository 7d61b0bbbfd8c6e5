package io.portcullis.space;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.RuleMatch;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.Prefix;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rules indexed by their source and destination prefixes, so that the checker asks the BDD engine only about rules
 * that can overlap, instead of about every earlier rule (which made the checks quadratic).
 *
 * <p>Prefixes form a laminar family: two prefixes overlap exactly when one contains the other. So the rules whose
 * addresses can overlap a prefix q are those indexed under an ancestor of q (found by hashing q truncated to every
 * prefix length in use) or under a descendant of q (a range of an ordered map by first address). The answer is a
 * superset of the rules whose matches intersect (ports, protocols and the other address field are left to the
 * BDDs), never a subset.
 */
public final class RuleIndex {
    private final Field src = new Field(), dst = new Field();
    private final int[] stamp;
    private int epoch;

    public RuleIndex(int rules) {
        stamp = new int[rules];
    }

    /** Indexes rule {@code rule}, which matches {@code m}. */
    public void add(int rule, RuleMatch m) {
        src.add(rule, m.src());
        dst.add(rule, m.dst());
    }

    /**
     * Indexed rules whose source and destination sets can both overlap those of {@code m}, ascending, each once.
     * Enumerates through the more selective of the two fields.
     */
    public int[] overlapping(RuleMatch m) {
        IntList byDst = candidates(dst, m.dst(), Integer.MAX_VALUE);
        if (byDst.size <= 16) return byDst.sorted();
        IntList bySrc = candidates(src, m.src(), byDst.size);
        return (bySrc != null && bySrc.size < byDst.size ? bySrc : byDst).sorted();
    }

    /** Indexed rules whose source and destination sets contain the addresses of {@code p}, ascending. */
    public int[] containing(Packet p) {
        IntList out = candidates(dst, AddrSet.of(Prefix.host(p.dst())), Integer.MAX_VALUE);
        IntList bySrc = candidates(src, AddrSet.of(Prefix.host(p.src())), out.size);
        return (bySrc != null && bySrc.size < out.size ? bySrc : out).sorted();
    }

    /** Rules of {@code f} overlapping {@code s}, or null once there are more than {@code limit}. */
    private IntList candidates(Field f, AddrSet s, int limit) {
        IntList out = new IntList();
        epoch++;
        for (Family fam : Family.values()) {
            for (Prefix q : s.prefixes(fam)) {
                if (!f.overlapping(q, out, stamp, epoch, limit)) return null;
            }
        }
        return out;
    }

    private record Key(Ip start, int length) implements Comparable<Key> {
        @Override public int compareTo(Key o) {
            int c = start.compareTo(o.start);
            return c != 0 ? c : Integer.compare(length, o.length);
        }
    }

    private static final class Field {
        final Map<Key, IntList> exact = new HashMap<>();
        final TreeMap<Key, IntList> ordered = new TreeMap<>();
        final boolean[][] used = new boolean[2][129];

        void add(int rule, AddrSet s) {
            for (Family fam : Family.values()) {
                for (Prefix p : s.prefixes(fam)) {
                    Key k = new Key(p.address(), p.length());
                    IntList l = exact.get(k);
                    if (l == null) {
                        l = new IntList();
                        exact.put(k, l);
                        ordered.put(k, l);
                    }
                    l.add(rule);
                    used[fam.ordinal()][p.length()] = true;
                }
            }
        }

        boolean overlapping(Prefix q, IntList out, int[] stamp, int epoch, int limit) {
            Family fam = q.family();
            boolean[] lengths = used[fam.ordinal()];
            for (int len = 0; len <= q.length(); len++) {
                if (!lengths[len]) continue;
                IntList l = exact.get(new Key(Prefix.network(q.address(), len), len));
                if (l != null && !out.addAll(l, stamp, epoch, limit)) return false;
            }
            if (q.length() == fam.bits()) return true;
            Ip last = Ip.fromBigInteger(fam, q.last());
            for (IntList l : ordered.subMap(new Key(q.address(), q.length() + 1), true, new Key(last, 129), true).values()) {
                if (!out.addAll(l, stamp, epoch, limit)) return false;
            }
            return true;
        }
    }

    /** A growable int list; the index holds one per distinct prefix, so boxing would dominate its memory. */
    static final class IntList {
        int[] a = new int[2];
        int size;

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        boolean addAll(IntList l, int[] stamp, int epoch, int limit) {
            for (int k = 0; k < l.size; k++) {
                int v = l.a[k];
                if (stamp[v] == epoch) continue;
                stamp[v] = epoch;
                add(v);
                if (size > limit) return false;
            }
            return true;
        }

        int[] sorted() {
            int[] r = Arrays.copyOf(a, size);
            Arrays.sort(r);
            return r;
        }
    }
}
