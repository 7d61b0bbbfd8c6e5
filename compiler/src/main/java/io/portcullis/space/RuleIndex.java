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
import java.util.List;

/**
 * Rules indexed by their source and destination prefixes, so that the checker asks the BDD engine only about rules
 * that can overlap, instead of about every earlier rule (which made the checks quadratic).
 *
 * <p>Prefixes form a laminar family: two prefixes overlap exactly when one contains the other. So the rules whose
 * addresses can overlap a prefix q are those indexed under an ancestor of q (q truncated to every prefix length in
 * use) or under a descendant of q (a range of the prefixes sorted by first address). The answer is a superset of the
 * rules whose matches intersect (ports, protocols and the other address field are left to the BDDs), never a subset.
 *
 * <p>Everything is kept as numbers: a prefix is its family, the two 64-bit halves of its address (IPv4 in the low
 * half) and its length, and the index is a sorted array searched by bisection, built on the first query. Rules are
 * added before the first query.
 */
public final class RuleIndex {
    private final Field src, dst;
    private final Sig[] sigs;
    // The signatures again, as flat arrays, for the filter that every candidate of a query goes through (an object per
    // rule cost a cache miss per field of each candidate): protocol bits (4 longs a rule), the hull of destination ports,
    // and each address field, inline when it is one prefix.
    private final long[] protoBits;
    private final int[] dlo, dhi;
    private final Flat srcFlat, dstFlat;

    /** One address field of every rule: family and length (meta, -1 for several prefixes) and address, inline. */
    private static final class Flat {
        final int[] meta;
        final long[] hi, lo;
        final Prefixes[] multi;

        Flat(int rules) {
            meta = new int[rules];
            hi = new long[rules];
            lo = new long[rules];
            multi = new Prefixes[rules];
        }

        void set(int rule, Prefixes p) {
            if (p.size == 1) {
                meta[rule] = p.fam[0] << 8 | p.len[0];
                hi[rule] = p.hi[0];
                lo[rule] = p.lo[0];
            } else {
                meta[rule] = -1;
                multi[rule] = p;
            }
        }

        /** Whether some prefix of rule {@code c} nests with some prefix of {@code q}: Sig.nested, without the object. */
        boolean nested(int c, Prefixes q) {
            int m = meta[c];
            if (m < 0) return Sig.nested(multi[c], q);
            if (q.size > 64) return true;
            int f = m >>> 8, l = m & 0xff;
            long h = hi[c], w = lo[c];
            for (int y = 0; y < q.size; y++) {
                if (f != q.fam[y]) continue;
                int len = Math.min(l, q.len[y]);
                if (((h ^ q.hi[y]) & maskHi(f, len)) == 0 && ((w ^ q.lo[y]) & maskLo(f, len)) == 0) return true;
            }
            return false;
        }
    }
    // Per querying thread: which rules the current query has listed already (see IntList#addAll).
    private final ThreadLocal<Scratch> scratch;

    private static final class Scratch {
        final int[] stamp;
        int epoch;

        Scratch(int rules) { stamp = new int[rules]; }
    }

    /** An index in which every added rule can be found. */
    public RuleIndex(int rules) { this(rules, false); }

    /**
     * An index of {@code rules} rules; with {@code live}, an added rule is only found once {@link #activate}d (so that
     * a sweep in rule order can look among the earlier rules that still decide packets).
     */
    public RuleIndex(int rules, boolean live) {
        scratch = ThreadLocal.withInitial(() -> new Scratch(rules));
        sigs = new Sig[rules];
        protoBits = new long[4 * rules];
        dlo = new int[rules];
        dhi = new int[rules];
        srcFlat = new Flat(rules);
        dstFlat = new Flat(rules);
        src = new Field(live);
        dst = new Field(live);
    }

    /**
     * Indexes rule {@code rule}, which matches {@code m}. Rules are added in ascending order, every one before the
     * first query or activation.
     */
    public void add(int rule, RuleMatch m) {
        Sig s = Sig.of(m);
        sigs[rule] = s;
        System.arraycopy(s.protos, 0, protoBits, 4 * rule, 4);
        dlo[rule] = s.dlo;
        dhi[rule] = s.dhi;
        srcFlat.set(rule, s.src);
        dstFlat.set(rule, s.dst);
        src.add(rule, s.src);
        dst.add(rule, s.dst);
    }

    /**
     * Ends adding: after this, queries may come from several threads at once (activation may not; it stays with the
     * thread that adds). The first query does the same.
     */
    public void freeze() {
        src.freeze();
        dst.freeze();
    }

    /** Makes added rule {@code rule} visible to queries (for an index made with {@code live}). */
    public void activate(int rule) {
        src.activate(rule);
        dst.activate(rule);
    }

    /** Prefixes as parallel arrays: family ordinal, address halves, length. */
    private static final class Prefixes {
        final int size;
        final int[] fam, len;
        final long[] hi, lo;

        Prefixes(AddrSet s) {
            List<Prefix> v4 = s.prefixes(Family.IPV4), v6 = s.prefixes(Family.IPV6);
            size = v4.size() + v6.size();
            fam = new int[size];
            len = new int[size];
            hi = new long[size];
            lo = new long[size];
            int k = 0;
            for (List<Prefix> l : List.of(v4, v6)) {
                for (Prefix p : l) {
                    fam[k] = p.family().ordinal();
                    len[k] = p.length();
                    hi[k] = p.address().hi();
                    lo[k] = p.address().lo();
                    k++;
                }
            }
        }

        Prefixes(Ip ip) {
            size = 1;
            fam = new int[] {ip.family().ordinal()};
            len = new int[] {ip.family().bits()};
            hi = new long[] {ip.hi()};
            lo = new long[] {ip.lo()};
        }
    }

    private static final int V4 = Family.IPV4.ordinal();

    /** The high half of the mask of the first {@code len} bits of an address of family {@code fam}. */
    private static long maskHi(int fam, int len) {
        if (fam == V4) return 0;
        return len >= 64 ? -1L : len == 0 ? 0 : -1L << (64 - len);
    }

    /** The low half of that mask (an IPv4 address lives in the low 32 bits). */
    private static long maskLo(int fam, int len) {
        if (fam == V4) return len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
        return len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
    }

    /**
     * A cheap over-approximation of a match: its prefixes, protocols and the hull of its destination ports. Two
     * matches whose signatures are disjoint cannot intersect, so most candidates are dropped before any BDD work.
     */
    private static final class Sig {
        final Prefixes src, dst;
        final long[] protos;
        final int dlo, dhi;

        private Sig(Prefixes src, Prefixes dst, long[] protos, int dlo, int dhi) {
            this.src = src;
            this.dst = dst;
            this.protos = protos;
            this.dlo = dlo;
            this.dhi = dhi;
        }

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
            return new Sig(new Prefixes(m.src()), new Prefixes(m.dst()), protos, lo, hi);
        }

        /** Whether the signatures meet; the address field {@code known} (src or dst, or null) is known to. */
        boolean meets(Sig o, Prefixes known) {
            boolean proto = false;
            for (int k = 0; k < 4; k++) proto |= (protos[k] & o.protos[k]) != 0;
            return proto && dlo <= o.dhi && o.dlo <= dhi && (known == o.src || nested(src, o.src))
                    && (known == o.dst || nested(dst, o.dst));
        }

        static boolean nested(Prefixes a, Prefixes b) {
            if (a.size * b.size > 64) return true;
            for (int x = 0; x < a.size; x++) {
                for (int y = 0; y < b.size; y++) {
                    int f = a.fam[x];
                    if (f != b.fam[y]) continue;
                    int len = Math.min(a.len[x], b.len[y]);
                    long mh = maskHi(f, len), ml = maskLo(f, len);
                    if (((a.hi[x] ^ b.hi[y]) & mh) == 0 && ((a.lo[x] ^ b.lo[y]) & ml) == 0) return true;
                }
            }
            return false;
        }
    }

    /**
     * Indexed rules whose source and destination sets can both overlap those of {@code m}, ascending, each once.
     * Enumerates through the more selective of the two fields.
     */
    public int[] overlapping(RuleMatch m) { return overlapping(Sig.of(m), 0); }

    /** As {@link #overlapping(RuleMatch)} for the match of indexed rule {@code rule}. */
    public int[] overlapping(int rule) { return overlapping(sigs[rule], 0); }

    /** As {@link #overlapping(int)}, only the rules after {@code rule}. */
    public int[] overlappingLater(int rule) { return overlapping(sigs[rule], rule + 1); }

    private int[] overlapping(Sig sig, int from) {
        IntList byDst = candidates(dst, sig.dst, Integer.MAX_VALUE, from);
        IntList bySrc = byDst.size <= 16 ? null : candidates(src, sig.src, byDst.size, from);
        boolean srcSide = bySrc != null && bySrc.size < byDst.size;
        IntList c = srcSide ? bySrc : byDst;
        // Every candidate found through a field has a prefix nested with one of the query's in that field.
        Prefixes known = srcSide ? sig.src : sig.dst;
        IntList out = new IntList();
        for (int k = 0; k < c.size; k++) if (c.a[k] >= from && meets(c.a[k], sig, known)) out.add(c.a[k]);
        return out.sorted();
    }

    /** {@code sigs[c].meets(q, known)}, read from the flat arrays. */
    private boolean meets(int c, Sig q, Prefixes known) {
        int p = 4 * c;
        long[] qp = q.protos;
        if (((protoBits[p] & qp[0]) | (protoBits[p + 1] & qp[1]) | (protoBits[p + 2] & qp[2]) | (protoBits[p + 3] & qp[3])) == 0) {
            return false;
        }
        return dlo[c] <= q.dhi && q.dlo <= dhi[c] && (known == q.src || srcFlat.nested(c, q.src))
                && (known == q.dst || dstFlat.nested(c, q.dst));
    }

    /** Whether indexed rules {@code a} and {@code b} can overlap, by the same test as {@link #overlapping(int)}. */
    public boolean mayOverlap(int a, int b) { return meets(a, sigs[b], null); }

        /** Indexed rules whose source and destination sets contain the addresses of {@code p}, ascending. */
    public int[] containing(Packet p) {
        IntList out = candidates(dst, new Prefixes(p.dst()), Integer.MAX_VALUE, 0);
        IntList bySrc = candidates(src, new Prefixes(p.src()), out.size, 0);
        return (bySrc != null && bySrc.size < out.size ? bySrc : out).sorted();
    }

    /** Rules from {@code from} on of {@code f} overlapping {@code s}, or null once there are more than {@code limit}. */
    private IntList candidates(Field f, Prefixes s, int limit, int from) {
        f.freeze();
        IntList out = new IntList();
        Scratch x = scratch.get();
        int epoch = ++x.epoch;
        for (int k = 0; k < s.size; k++) {
            if (!f.overlapping(s.fam[k], s.hi[k], s.lo[k], s.len[k], out, x.stamp, epoch, limit, from)) return null;
        }
        return out;
    }

    /**
     * One address field of every rule: the distinct prefixes sorted by (family, address, length), each with the
     * rules indexed under it that are visible (rules[start[k]..start[k]+fill[k]-1]).
     */
    private static final class Field {
        private final boolean live;
        // While adding: one entry per (rule, prefix); rule r's entries are firstEntry[r]..firstEntry[r+1]-1.
        private int entries, added;
        private int[] eFam = new int[16], eLen = new int[16], eRule = new int[16];
        private long[] eHi = new long[16], eLo = new long[16];
        private int[] firstEntry = new int[16];
        // Frozen: the distinct keys and their rules; entryKey[e]: the key of entry e.
        private int keys = -1;
        private int[] kFam, kLen, start, fill, rules, entryKey;
        private long[] kHi, kLo;
        final boolean[][] used = new boolean[2][129];

        Field(boolean live) { this.live = live; }

        void activate(int rule) {
            freeze();
            for (int e = firstEntry[rule]; e < firstEntry[rule + 1]; e++) {
                int k = entryKey[e];
                rules[start[k] + fill[k]++] = rule;
            }
        }

        void add(int rule, Prefixes s) {
            if (keys >= 0) throw new IllegalStateException("rule added after the first query");
            if (rule != added) throw new IllegalArgumentException("rules are added in order");
            if (added + 2 > firstEntry.length) firstEntry = Arrays.copyOf(firstEntry, firstEntry.length * 2);
            firstEntry[added++] = entries;
            firstEntry[added] = entries + s.size;
            for (int k = 0; k < s.size; k++) {
                if (entries == eFam.length) {
                    int cap = entries * 2;
                    eFam = Arrays.copyOf(eFam, cap);
                    eLen = Arrays.copyOf(eLen, cap);
                    eRule = Arrays.copyOf(eRule, cap);
                    eHi = Arrays.copyOf(eHi, cap);
                    eLo = Arrays.copyOf(eLo, cap);
                }
                eFam[entries] = s.fam[k];
                eLen[entries] = s.len[k];
                eHi[entries] = s.hi[k];
                eLo[entries] = s.lo[k];
                eRule[entries] = rule;
                entries++;
                used[s.fam[k]][s.len[k]] = true;
            }
        }

        private int compareEntries(int x, int y) {
            int c = Integer.compare(eFam[x], eFam[y]);
            if (c == 0) c = Long.compareUnsigned(eHi[x], eHi[y]);
            if (c == 0) c = Long.compareUnsigned(eLo[x], eLo[y]);
            if (c == 0) c = Integer.compare(eLen[x], eLen[y]);
            return c != 0 ? c : Integer.compare(eRule[x], eRule[y]);
        }

        void freeze() {
            if (keys >= 0) return;
            Integer[] order = new Integer[entries];
            for (int k = 0; k < entries; k++) order[k] = k;
            Arrays.sort(order, this::compareEntries);
            kFam = new int[entries];
            kLen = new int[entries];
            kHi = new long[entries];
            kLo = new long[entries];
            start = new int[entries + 1];
            rules = new int[entries];
            entryKey = new int[entries];
            int n = 0;
            for (int k = 0; k < entries; k++) {
                int e = order[k];
                if (n == 0 || eFam[e] != kFam[n - 1] || eHi[e] != kHi[n - 1] || eLo[e] != kLo[n - 1] || eLen[e] != kLen[n - 1]) {
                    kFam[n] = eFam[e];
                    kHi[n] = eHi[e];
                    kLo[n] = eLo[e];
                    kLen[n] = eLen[e];
                    start[n] = k;
                    n++;
                }
                rules[k] = eRule[e];
                entryKey[e] = n - 1;
            }
            start[n] = entries;
            keys = n;
            fill = new int[n];
            if (!live) for (int k = 0; k < n; k++) fill[k] = start[k + 1] - start[k];
            eFam = eLen = eRule = null;
            eHi = eLo = null;
        }

        /** The first key not below (fam, hi, lo, len). */
        private int lowerBound(int fam, long hi, long lo, int len) {
            int a = 0, b = keys;
            while (a < b) {
                int m = (a + b) >>> 1;
                int c = Integer.compare(kFam[m], fam);
                if (c == 0) c = Long.compareUnsigned(kHi[m], hi);
                if (c == 0) c = Long.compareUnsigned(kLo[m], lo);
                if (c == 0) c = Integer.compare(kLen[m], len);
                if (c < 0) a = m + 1;
                else b = m;
            }
            return a;
        }

        /** Adds the visible rules of key {@code k} from {@code from} on (each key lists its rules in ascending order). */
        private boolean addKey(int k, IntList out, int[] stamp, int epoch, int limit, int from) {
            int a = start[k], b = start[k] + fill[k];
            if (from > 0 && a < b && rules[a] < from) {
                int lo = a + 1, hi = b; // the first position holding a rule >= from
                while (lo < hi) {
                    int m = (lo + hi) >>> 1;
                    if (rules[m] < from) lo = m + 1;
                    else hi = m;
                }
                a = lo;
            }
            return out.addAll(rules, a, b, stamp, epoch, limit);
        }

        boolean overlapping(int fam, long hi, long lo, int len, IntList out, int[] stamp, int epoch, int limit, int from) {
            boolean[] lengths = used[fam];
            for (int l = 0; l <= len; l++) {
                if (!lengths[l]) continue;
                long h = hi & maskHi(fam, l), w = lo & maskLo(fam, l);
                int k = lowerBound(fam, h, w, l);
                if (k < keys && kFam[k] == fam && kHi[k] == h && kLo[k] == w && kLen[k] == l
                        && !addKey(k, out, stamp, epoch, limit, from)) return false;
            }
            int bits = fam == V4 ? 32 : 128;
            if (len == bits) return true;
            // Descendants: keys from (q's address, len + 1) up to (q's last address, any length).
            long lastHi = hi | ~maskHi(fam, len), lastLo = lo | ~maskLo(fam, len);
            if (fam == V4) {
                lastHi = 0;
                lastLo &= 0xffffffffL;
            }
            for (int k = lowerBound(fam, hi, lo, len + 1); k < keys && kFam[k] == fam; k++) {
                int c = Long.compareUnsigned(kHi[k], lastHi);
                if (c == 0) c = Long.compareUnsigned(kLo[k], lastLo);
                if (c > 0) break;
                if (!addKey(k, out, stamp, epoch, limit, from)) return false;
            }
            return true;
        }
    }

    /** A growable int list. */
    static final class IntList {
        int[] a = new int[2];
        int size;

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        boolean addAll(int[] from, int lo, int hi, int[] stamp, int epoch, int limit) {
            for (int k = lo; k < hi; k++) {
                int v = from[k];
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
