package io.portcullis.net;

import io.portcullis.ir.Family;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An exact set of addresses of both families, kept as sorted, disjoint, non-adjacent closed intervals per family.
 * {@link #prefixes(Family)} gives the minimal list of disjoint CIDR prefixes that covers exactly the set.
 */
public final class AddrSet {
    private record Range(BigInteger lo, BigInteger hi) {}

    private final List<Range> v4;
    private final List<Range> v6;
    // Computed on first use (the set never changes, so a thread that races another only computes them twice): every
    // rule's addresses are asked for their prefixes by the index, the atoms, the packet sets and the checks, and the
    // list is built from BigInteger intervals.
    private List<Prefix> v4Prefixes, v6Prefixes;
    private int hash;

    private AddrSet(List<Range> v4, List<Range> v6) {
        this.v4 = v4;
        this.v6 = v6;
    }

    public static final AddrSet EMPTY = new AddrSet(List.of(), List.of());

    public static AddrSet of(Prefix p) {
        List<Range> r = List.of(new Range(p.first(), p.last()));
        return p.family() == Family.IPV4 ? new AddrSet(r, List.of()) : new AddrSet(List.of(), r);
    }

    public static AddrSet all(Family f) { return of(Prefix.all(f)); }

    public static AddrSet any() { return all(Family.IPV4).union(all(Family.IPV6)); }

    public boolean isEmpty() { return v4.isEmpty() && v6.isEmpty(); }

    public boolean isEmpty(Family f) { return ranges(f).isEmpty(); }

    /** True when the set holds every address of family {@code f}. */
    public boolean isAll(Family f) {
        List<Range> r = ranges(f);
        return r.size() == 1 && r.get(0).lo.signum() == 0 && r.get(0).hi.equals(max(f));
    }

    private List<Range> ranges(Family f) { return f == Family.IPV4 ? v4 : v6; }

    private static BigInteger max(Family f) { return BigInteger.ONE.shiftLeft(f.bits()).subtract(BigInteger.ONE); }

    public AddrSet union(AddrSet o) { return new AddrSet(union(v4, o.v4), union(v6, o.v6)); }

    public AddrSet minus(AddrSet o) { return new AddrSet(minus(v4, o.v4), minus(v6, o.v6)); }

    public AddrSet intersect(AddrSet o) {
        return minus(minus(o));
    }

    /** Only the addresses of family {@code f}. */
    public AddrSet only(Family f) {
        return f == Family.IPV4 ? new AddrSet(v4, List.of()) : new AddrSet(List.of(), v6);
    }

    public boolean contains(Ip ip) {
        BigInteger v = ip.toBigInteger();
        for (Range r : ranges(ip.family())) {
            if (r.lo.compareTo(v) <= 0 && v.compareTo(r.hi) <= 0) return true;
        }
        return false;
    }

    /** The smallest address of family {@code f} in the set, or null. */
    public Ip first(Family f) {
        List<Range> r = ranges(f);
        return r.isEmpty() ? null : Ip.fromBigInteger(f, r.get(0).lo);
    }

    private static List<Range> union(List<Range> a, List<Range> b) {
        List<Range> all = new ArrayList<>(a);
        all.addAll(b);
        all.sort((x, y) -> x.lo.compareTo(y.lo));
        List<Range> out = new ArrayList<>();
        for (Range r : all) {
            if (!out.isEmpty()) {
                Range last = out.get(out.size() - 1);
                if (last.hi.add(BigInteger.ONE).compareTo(r.lo) >= 0) {
                    out.set(out.size() - 1, new Range(last.lo, last.hi.max(r.hi)));
                    continue;
                }
            }
            out.add(r);
        }
        return Collections.unmodifiableList(out);
    }

    /** One merge pass over both sorted lists: the nested loop it replaces was quadratic in long except lists. */
    private static List<Range> minus(List<Range> a, List<Range> b) {
        List<Range> out = new ArrayList<>();
        int j = 0;
        for (Range r : a) {
            BigInteger lo = r.lo;
            while (j < b.size() && b.get(j).hi.compareTo(lo) < 0) j++;
            int k = j;
            while (lo != null && k < b.size() && b.get(k).lo.compareTo(r.hi) <= 0) {
                Range s = b.get(k);
                if (s.lo.compareTo(lo) > 0) out.add(new Range(lo, s.lo.subtract(BigInteger.ONE)));
                lo = s.hi.compareTo(r.hi) >= 0 ? null : s.hi.add(BigInteger.ONE).max(lo);
                k++;
            }
            if (lo != null) out.add(new Range(lo, r.hi));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * How many prefixes {@link #prefixes()} would return, counting no further than {@code cap} (so that a set of
     * millions of prefixes is measured without being built).
     */
    public long prefixCount(long cap) {
        long n = 0;
        for (Family f : Family.values()) {
            for (Range r : ranges(f)) {
                BigInteger lo = r.lo;
                while (lo.compareTo(r.hi) <= 0) {
                    if (++n >= cap) return n;
                    int size = lo.signum() == 0 ? f.bits() : Math.min(lo.getLowestSetBit(), f.bits());
                    while (size > 0 && lo.add(BigInteger.ONE.shiftLeft(size)).subtract(BigInteger.ONE).compareTo(r.hi) > 0) size--;
                    lo = lo.add(BigInteger.ONE.shiftLeft(size));
                }
            }
        }
        return n;
    }

    /**
     * The minimal sorted list of disjoint prefixes of family {@code f} whose union is exactly this set's part of
     * {@code f} (unmodifiable).
     */
    public List<Prefix> prefixes(Family f) {
        List<Prefix> known = f == Family.IPV4 ? v4Prefixes : v6Prefixes;
        if (known != null) return known;
        List<Prefix> computed = computePrefixes(f);
        if (f == Family.IPV4) v4Prefixes = computed;
        else v6Prefixes = computed;
        return computed;
    }

    private List<Prefix> computePrefixes(Family f) {
        List<Prefix> out = new ArrayList<>();
        for (Range r : ranges(f)) {
            BigInteger lo = r.lo;
            while (lo.compareTo(r.hi) <= 0) {
                int size = lo.signum() == 0 ? f.bits() : lo.getLowestSetBit();
                size = Math.min(size, f.bits());
                while (size > 0 && lo.add(BigInteger.ONE.shiftLeft(size)).subtract(BigInteger.ONE).compareTo(r.hi) > 0) size--;
                out.add(new Prefix(Ip.fromBigInteger(f, lo), f.bits() - size));
                lo = lo.add(BigInteger.ONE.shiftLeft(size));
            }
        }
        return List.copyOf(out);
    }

    /** Both families' prefixes, IPv4 first. */
    public List<Prefix> prefixes() {
        List<Prefix> out = new ArrayList<>(prefixes(Family.IPV4));
        out.addAll(prefixes(Family.IPV6));
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof AddrSet a && a.v4.equals(v4) && a.v6.equals(v6);
    }

    @Override public int hashCode() {
        int h = hash;
        if (h == 0) hash = h = v4.hashCode() * 31 + v6.hashCode();
        return h;
    }

    @Override public String toString() {
        if (isAll(Family.IPV4) && isAll(Family.IPV6)) return "any";
        List<String> parts = new ArrayList<>();
        if (isAll(Family.IPV4)) parts.add("any4");
        else prefixes(Family.IPV4).forEach(p -> parts.add(p.toString()));
        if (isAll(Family.IPV6)) parts.add("any6");
        else prefixes(Family.IPV6).forEach(p -> parts.add(p.toString()));
        if (parts.isEmpty()) return "{}";
        return parts.size() == 1 ? parts.get(0) : "{ " + String.join(", ", parts) + " }";
    }
}
