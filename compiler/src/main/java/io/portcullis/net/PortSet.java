package io.portcullis.net;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An exact set of 16-bit values (ports), as sorted, disjoint, non-adjacent inclusive ranges. */
public final class PortSet {
    /** An inclusive range. */
    public record Range(int lo, int hi) {
        public Range {
            if (lo < 0 || hi > 65535 || lo > hi) throw new IllegalArgumentException("bad port range " + lo + "-" + hi);
        }
        @Override public String toString() { return lo == hi ? Integer.toString(lo) : lo + "-" + hi; }
    }

    private final List<Range> ranges;

    private PortSet(List<Range> ranges) { this.ranges = ranges; }

    public static final PortSet ALL = new PortSet(List.of(new Range(0, 65535)));
    public static final PortSet EMPTY = new PortSet(List.of());

    public static PortSet of(List<Range> rs) {
        List<Range> all = new ArrayList<>(rs);
        all.sort((a, b) -> Integer.compare(a.lo, b.lo));
        List<Range> out = new ArrayList<>();
        for (Range r : all) {
            if (!out.isEmpty() && out.get(out.size() - 1).hi + 1 >= r.lo) {
                Range last = out.remove(out.size() - 1);
                out.add(new Range(last.lo, Math.max(last.hi, r.hi)));
            } else {
                out.add(r);
            }
        }
        return new PortSet(Collections.unmodifiableList(out));
    }

    public static PortSet of(int lo, int hi) { return of(List.of(new Range(lo, hi))); }

    public List<Range> ranges() { return ranges; }

    public boolean isEmpty() { return ranges.isEmpty(); }

    public boolean isAll() { return equals(ALL); }

    public boolean contains(int v) {
        for (Range r : ranges) if (r.lo <= v && v <= r.hi) return true;
        return false;
    }

    public PortSet union(PortSet o) {
        List<Range> all = new ArrayList<>(ranges);
        all.addAll(o.ranges);
        return of(all);
    }

    @Override public boolean equals(Object o) { return o instanceof PortSet p && p.ranges.equals(ranges); }

    @Override public int hashCode() { return ranges.hashCode(); }

    @Override public String toString() {
        if (ranges.size() == 1) return ranges.get(0).toString();
        List<String> s = new ArrayList<>();
        ranges.forEach(r -> s.add(r.toString()));
        return "{ " + String.join(", ", s) + " }";
    }
}
