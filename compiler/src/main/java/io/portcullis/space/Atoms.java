package io.portcullis.space;

import io.portcullis.ir.Family;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.RuleMatch;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Coordinate compression of the address and port fields: the elementary intervals (atoms) cut out of each field by
 * every boundary the policy and the checks name. Every set the checker builds is a union of whole atoms, so a field
 * can be encoded by the index of its atom, in ceil(log2(atoms)) BDD variables, instead of by its 32, 128 or 16 bits.
 *
 * <p>A table is built once for everything one {@link PacketSpace} will encode: a range whose ends are not boundaries
 * of the table cannot be encoded exactly, and {@link PacketSpace} refuses it ({@link IllegalStateException}) rather
 * than over-approximate. Single values (packets) map to the atom holding them, which is exact for membership in any
 * set built over the table.
 */
public final class Atoms {
    /** One field's atoms, by their first values in ascending unsigned order; the first is always 0. */
    public static final class Table {
        private final long[] hi, lo;
        private final long maxHi, maxLo; // the field's largest value

        Table(long[] hi, long[] lo, long maxHi, long maxLo) {
            this.hi = hi;
            this.lo = lo;
            this.maxHi = maxHi;
            this.maxLo = maxLo;
        }

        public int count() { return lo.length; }

        /** The atom holding value (vhi, vlo). */
        public int index(long vhi, long vlo) {
            int a = 0, b = lo.length - 1; // the answer lies in [a, b]
            while (a < b) {
                int m = (a + b + 1) >>> 1;
                if (compare(hi[m], lo[m], vhi, vlo) <= 0) a = m;
                else b = m - 1;
            }
            return a;
        }

        /** Whether (vhi, vlo) is the first value of an atom. */
        public boolean isBoundary(long vhi, long vlo) {
            int k = index(vhi, vlo);
            return hi[k] == vhi && lo[k] == vlo;
        }

        /** Whether the last value of atom {@code k} is (vhi, vlo). */
        public boolean endsAt(int k, long vhi, long vlo) {
            if (k + 1 == lo.length) return vhi == maxHi && vlo == maxLo;
            long nl = vlo + 1, nh = vhi + (nl == 0 ? 1 : 0);
            return hi[k + 1] == nh && lo[k + 1] == nl;
        }

        /** The high and low halves of the first value of atom {@code k}. */
        public long startHi(int k) { return hi[k]; }
        public long startLo(int k) { return lo[k]; }

        /** Whether atom {@code k} holds more than one value. */
        public boolean wide(int k) {
            long eh = k + 1 < lo.length ? hi[k + 1] : maxHi, el = k + 1 < lo.length ? lo[k + 1] : maxLo;
            if (k + 1 < lo.length) { // end exclusive: wide when next start - start >= 2
                long dl = el - lo[k], dh = eh - hi[k] - (Long.compareUnsigned(el, lo[k]) < 0 ? 1 : 0);
                return dh != 0 || Long.compareUnsigned(dl, 2) >= 0;
            }
            return eh != hi[k] || el != lo[k]; // the last atom ends at the field's largest value (inclusive)
        }

        private static int compare(long ah, long al, long bh, long bl) {
            int c = Long.compareUnsigned(ah, bh);
            return c != 0 ? c : Long.compareUnsigned(al, bl);
        }
    }

    private final Table v4, v6, ports;

    private Atoms(Table v4, Table v6, Table ports) {
        this.v4 = v4;
        this.v6 = v6;
        this.ports = ports;
    }

    public Table addresses(Family f) { return f == Family.IPV4 ? v4 : v6; }
    public Table ports() { return ports; }

    /** Bits needed to hold {@code count} indices. */
    static int bitsFor(int count) { return count <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(count - 1); }

    public static Builder builder() { return new Builder(); }

    /** Collects boundaries; {@link #build()} may be called more than once. */
    public static final class Builder {
        private final Set<Ip> v4 = new HashSet<>(), v6 = new HashSet<>();
        private final Set<Integer> ports = new HashSet<>();
        // Rules name the same networks again and again: each distinct set's boundaries are added once.
        private final Set<AddrSet> seen = new HashSet<>();

        /** The ends of each run of contiguous addresses of {@code s} (not the cut points of its prefixes). */
        public Builder addresses(AddrSet s) {
            if (!seen.add(s)) return this;
            for (Family f : Family.values()) {
                Set<Ip> into = f == Family.IPV4 ? v4 : v6;
                for (long[] r : runs(s, f)) {
                    into.add(new Ip(f, r[0], r[1]));
                    if (!isMax(f, r[2], r[3])) into.add(next(f, r[2], r[3]));
                }
            }
            return this;
        }

        public Builder prefix(Prefix p) { return addresses(AddrSet.of(p)); }

        /** One boundary: an atom starts at {@code ip} (e.g. an interval start of a decision table). */
        public Builder address(Ip ip) {
            (ip.family() == Family.IPV4 ? v4 : v6).add(ip);
            return this;
        }

        public Builder ports(PortSet s) {
            for (PortSet.Range r : s.ranges()) ports(r.lo(), r.hi());
            return this;
        }

        public Builder ports(int lo, int hi) {
            ports.add(lo);
            if (hi < 65535) ports.add(hi + 1);
            return this;
        }

        /** Every boundary a rule match (or assert, guard) names. */
        public Builder match(RuleMatch m) {
            addresses(m.src());
            addresses(m.dst());
            if (m.sports() != null) ports(m.sports());
            for (ProtoClause c : m.protos()) if (c.dports() != null) ports(c.dports());
            return this;
        }

        public Atoms build() {
            return new Atoms(table(v4, 0, 0xFFFFFFFFL), table(v6, -1L, -1L), portTable());
        }

        private static Table table(Set<Ip> starts, long maxHi, long maxLo) {
            List<Ip> s = new ArrayList<>(starts);
            s.sort(null);
            boolean zero = !s.isEmpty() && s.get(0).hi() == 0 && s.get(0).lo() == 0;
            int n = s.size() + (zero ? 0 : 1);
            long[] hi = new long[n], lo = new long[n];
            int k = zero ? 0 : 1;
            for (Ip ip : s) {
                hi[k] = ip.hi();
                lo[k] = ip.lo();
                k++;
            }
            return new Table(hi, lo, maxHi, maxLo);
        }

        private Table portTable() {
            int[] s = ports.stream().mapToInt(Integer::intValue).sorted().toArray();
            boolean zero = s.length > 0 && s[0] == 0;
            int n = s.length + (zero ? 0 : 1);
            long[] hi = new long[n], lo = new long[n];
            for (int i = 0; i < s.length; i++) lo[i + (zero ? 0 : 1)] = s[i];
            return new Table(hi, lo, 0, 65535);
        }
    }

    /**
     * The maximal runs of contiguous addresses of family {@code f} in {@code s}, ascending, each as {first hi, first lo,
     * last hi, last lo}.
     */
    public static List<long[]> runs(AddrSet s, Family f) {
        List<long[]> out = new ArrayList<>();
        for (Prefix p : s.prefixes(f)) {
            Ip a = Prefix.network(p.address(), p.length());
            long[] last = last(p);
            long[] prev = out.isEmpty() ? null : out.get(out.size() - 1);
            if (prev != null && !isMax(f, prev[2], prev[3])) {
                Ip n = next(f, prev[2], prev[3]);
                if (n.hi() == a.hi() && n.lo() == a.lo()) {
                    prev[2] = last[0];
                    prev[3] = last[1];
                    continue;
                }
            }
            out.add(new long[] {a.hi(), a.lo(), last[0], last[1]});
        }
        return out;
    }

    /** The last address of {@code p} as {hi, lo}. */
    static long[] last(Prefix p) {
        Ip a = Prefix.network(p.address(), p.length());
        int free = p.family().bits() - p.length();
        long hi = a.hi(), lo = a.lo();
        if (p.family() == Family.IPV4) {
            lo |= (1L << free) - 1;
        } else if (free >= 64) {
            hi |= free == 128 ? -1L : (1L << (free - 64)) - 1;
            lo = -1L;
        } else {
            lo |= free == 0 ? 0 : (1L << free) - 1;
        }
        return new long[] {hi, lo};
    }

    static boolean isMax(Family f, long hi, long lo) {
        return f == Family.IPV4 ? lo == 0xFFFFFFFFL : hi == -1L && lo == -1L;
    }

    /** The address after (hi, lo), which must not be the family's last. */
    static Ip next(Family f, long hi, long lo) {
        long nl = lo + 1;
        return new Ip(f, f == Family.IPV4 ? 0 : hi + (nl == 0 ? 1 : 0), nl);
    }

    @Override public String toString() {
        return "Atoms[v4=" + v4.count() + ", v6=" + v6.count() + ", ports=" + ports.count() + "]";
    }
}
