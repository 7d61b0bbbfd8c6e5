package io.portcullis.space;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.RuleMatch;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
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
    private final Sig[] sigs;
    private int epoch;

    public RuleIndex(int rules) {
        stamp = new int[rules];
        sigs = new Sig[rules];
    }

    /** Indexes rule {@code rule}, which matches {@code m}. */
    public void add(int rule, RuleMatch m) {
        src.add(rule, m.src());
        dst.add(rule, m.dst());
        sigs[rule] = Sig.of(m);
    }

    /**
     * A cheap over-approximation of a match: its prefixes, protocols and the hull of its destination ports. Two
     * matches whose signatures are disjoint cannot intersect, so most candidates are dropped before any BDD work.
     */
    private record Sig(List<Prefix> src, List<Prefix> dst, long[] protos, int dlo, int dhi) {
        static Sig of(RuleMatch m) {
            long[] protos = new long[4];
            int lo = 65535, hi = 0;
            for (ProtoClause c : m.protos()) {
                if (c.proto() < 0) Arrays.fill(protos, -1L);
                else protos[c.proto() >>> 6] |= 1L << (c.proto() & 63);
                if (c.dports() == null) {
                    lo = 0;
                    hi = 65535;
                } else {
                    for (PortSet.Range r : c.dports().ranges()) {
                        lo = Math.min(lo, r.lo());
                        hi = Math.max(hi, r.hi());
                    }
                }
            }
            return new Sig(m.src().prefixes(), m.dst().prefixes(), protos, lo, hi);
        }

        boolean meets(Sig o) {
            boolean proto = false;
            for (int k = 0; k < 4; k++) proto |= (protos[k] & o.protos[k]) != 0;
            return proto && dlo <= o.dhi && o.dlo <= dhi && nested(src, o.src) && nested(dst, o.dst);
        }

        private static boolean nested(List<Prefix> a, List<Prefix> b) {
            if (a.size() * b.size() > 64) return true;
            for (Prefix p : a) {
                for (Prefix q : b) {
                    if (p.family() != q.family()) continue;
                    int len = Math.min(p.length(), q.length());
                    if (Prefix.network(p.address(), len).equals(Prefix.network(q.address(), len))) return true;
                }
            }
            return false;
        }
    }

    /**
     * Indexed rules whose source and destination sets can both overlap those of {@code m}, ascending, each once.
     * Enumerates through the more selective of the two fields.
     */
    public int[] overlapping(RuleMatch m) {
        IntList byDst = candidates(dst, m.dst(), Integer.MAX_VALUE);
        IntList bySrc = byDst.size <= 16 ? null : candidates(src, m.src(), byDst.size);
        IntList c = bySrc != null && bySrc.size < byDst.size ? bySrc : byDst;
        Sig sig = Sig.of(m);
        IntList out = new IntList();
        for (int k = 0; k < c.size; k++) if (sigs[c.a[k]].meets(sig)) out.add(c.a[k]);
        return out.sorted();
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
