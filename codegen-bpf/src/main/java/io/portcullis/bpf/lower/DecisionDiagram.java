package io.portcullis.bpf.lower;

import io.portcullis.ir.Family;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A first-match policy for one address family as a reduced decision diagram over header fields (an FDD in the sense
 * of Gouda and Liu): each node splits one field into intervals, found per packet by binary search on the interval
 * starts, and each interval leads to the node for the rules still possible there. Per packet the work is a binary
 * search per field, so logarithmic in the number of distinct boundaries, instead of one test per rule.
 *
 * <p>Nodes are shared by (field, remaining rules), so the diagram is a DAG; a rule list stops at the first rule that
 * matches every value of the fields still to test. Rules with a wildcard destination replicate into every
 * destination interval, which makes a single diagram grow as (destination intervals) x (wildcard rules); when that
 * happens the rules are split into groups by which address fields they constrain, each group gets its own diagram
 * that yields the first matching rule of the group, and the smallest rule index wins. Pure and deterministic.
 */
final class DecisionDiagram {
    /**
     * Fields in test order. Addresses first: they have the most distinct values and split rules best. The other
     * header fields are packed into three keys so that the decision code keeps every value it tests in a register
     * (BPF has ten): with spills, every node would read the stack, and the kernel's stack-liveness pass (Linux 6.18)
     * reruns over the whole program after each newly seen stack access, which makes verification quadratic.
     * <ul>
     * <li>{@code PROTO}: the protocol, plus 256 for a non-first fragment;</li>
     * <li>{@code L4}: the destination port, or ICMP type &lt;&lt; 8 | code. A packet carries at most one of them and
     *     the parser leaves the other 0; every term that constrains this key also constrains {@code PROTO} to TCP/UDP
     *     or to ICMP, which is tested first, so the two meanings never mix;</li>
     * <li>{@code SPORT}: the source port, plus 65536 for an established TCP segment (ACK or RST).</li>
     * </ul>
     */
    enum Dim { DST_HI, DST_LO, SRC_HI, SRC_LO, PROTO, L4, SPORT }

    /** Offsets of the packed flags: non-first fragment in {@code PROTO}, established in {@code SPORT}. */
    static final int FRAG_SHIFT = 8, EST_SHIFT = 16, ICMP_TYPE_SHIFT = 8;

    static final int DIMS = Dim.values().length;
    static final int NO_RULE = -1;

    /** A node: a leaf (dim {@code -1}, {@code rule} the decided rule or NO_RULE) or a split of {@code dim}. */
    static final class Node {
        final int dim;
        final long[] starts;  // interval i is [starts[i], starts[i+1]) unsigned; starts[0] == 0
        final Node[] kids;
        final int rule;
        final int id;

        Node(int dim, long[] starts, Node[] kids, int rule, int id) {
            this.dim = dim;
            this.starts = starts;
            this.kids = kids;
            this.rule = rule;
            this.id = id;
        }

        boolean isLeaf() { return dim < 0; }
    }

    /** One conjunctive piece of a rule: per field a sorted list of disjoint unsigned intervals [lo, hi], or null for all. */
    record Term(int rule, long[][] sets) {}

    /** The roots, one per group; a single root returns rule indices of the whole policy. */
    record Diagram(List<Node> roots, int nodes, long edges) {}

    /** Raised when the diagram would exceed {@code budget} edges; the caller reports the limit. */
    static final class TooLarge extends Exception {
        final long edges;

        TooLarge(long edges) {
            super(null, null, false, false);
            this.edges = edges;
        }
    }

    private final Family family;
    private final long budget;
    private final Map<Key, Node> memo = new HashMap<>();
    private final Node none;
    private int nextId;
    private long edges;
    private List<Term> terms;
    private int[] fullFrom;

    private DecisionDiagram(Family family, long budget) {
        this.family = family;
        this.budget = budget;
        this.none = new Node(-1, null, null, NO_RULE, nextId++);
    }

    /**
     * Builds the diagram for {@code rules} on {@code family}. A single diagram is tried first (one search per field
     * per packet); if it would exceed {@code singleBudget} edges, the grouped form is built within {@code budget}.
     */
    static Diagram build(Family family, List<ResolvedRule> rules, long singleBudget, long budget) throws TooLarge {
        List<Term> all = terms(family, rules);
        try {
            DecisionDiagram d = new DecisionDiagram(family, singleBudget);
            Node root = d.root(all);
            return new Diagram(List.of(root), d.nextId, d.edges);
        } catch (TooLarge single) {
            Map<Integer, List<Term>> groups = new TreeMap<>();
            for (Term t : all) {
                int g = (t.sets[Dim.DST_HI.ordinal()] == null && t.sets[Dim.DST_LO.ordinal()] == null ? 2 : 0)
                        + (t.sets[Dim.SRC_HI.ordinal()] == null && t.sets[Dim.SRC_LO.ordinal()] == null ? 1 : 0);
                groups.computeIfAbsent(g, k -> new ArrayList<>()).add(t);
            }
            DecisionDiagram d = new DecisionDiagram(family, budget);
            List<Node> roots = new ArrayList<>();
            for (List<Term> g : groups.values()) roots.add(d.root(g));
            return new Diagram(roots, d.nextId, d.edges);
        }
    }

    private Node root(List<Term> ts) throws TooLarge {
        terms = ts;
        fullFrom = new int[ts.size()];
        for (int i = 0; i < ts.size(); i++) {
            int f = DIMS;
            while (f > 0 && ts.get(i).sets[f - 1] == null) f--;
            fullFrom[i] = f;
        }
        int[] list = new int[ts.size()];
        for (int i = 0; i < list.length; i++) list[i] = i;
        memo.clear();
        return node(0, truncate(list, list.length, 0));
    }

    private record Key(int dim, int[] list) {
        @Override public boolean equals(Object o) {
            return o instanceof Key k && k.dim == dim && Arrays.equals(k.list, list);
        }

        @Override public int hashCode() { return dim * 31 + Arrays.hashCode(list); }
    }

    /** {@code list} (term indices in priority order) up to and including the first term covering all fields from {@code dim}. */
    private int[] truncate(int[] list, int n, int dim) {
        for (int i = 0; i < n; i++) {
            if (fullFrom[list[i]] <= dim) return Arrays.copyOf(list, i + 1);
        }
        return Arrays.copyOf(list, n);
    }

    private Node node(int dim, int[] list) throws TooLarge {
        if (list.length == 0) return none;
        if (fullFrom[list[0]] <= dim) return leaf(terms.get(list[0]).rule);
        // Skip fields no remaining term constrains.
        while (true) {
            boolean used = false;
            for (int t : list) if (terms.get(t).sets[dim] != null) { used = true; break; }
            if (used) break;
            dim++;
        }
        Key key = new Key(dim, list);
        Node cached = memo.get(key);
        if (cached != null) return cached;

        // Elementary intervals: every interval start and every end + 1 of the remaining terms on this field.
        long max = max(dim);
        long[] points = new long[2 + list.length * 4];
        int np = 0;
        points[np++] = 0;
        for (int t : list) {
            long[] set = terms.get(t).sets[dim];
            if (set == null) continue;
            for (int i = 0; i < set.length; i += 2) {
                if (np + 2 > points.length) points = Arrays.copyOf(points, points.length * 2);
                points[np++] = set[i];
                if (set[i + 1] != max) points[np++] = set[i + 1] + 1;
            }
        }
        long[] starts = uniqueUnsigned(points, np);
        int k = starts.length;
        // Sweep: the terms covering each elementary interval, kept in priority order.
        List<List<Integer>> opens = new ArrayList<>(k), closes = new ArrayList<>(k);
        for (int i = 0; i < k; i++) { opens.add(null); closes.add(null); }
        java.util.TreeSet<Integer> active = new java.util.TreeSet<>();
        for (int t : list) {
            long[] set = terms.get(t).sets[dim];
            if (set == null) { active.add(t); continue; }
            for (int i = 0; i < set.length; i += 2) {
                int a = index(starts, set[i]);
                addTo(opens, a, t);
                if (set[i + 1] != max) addTo(closes, index(starts, set[i + 1] + 1), t);
            }
        }
        List<Long> outStarts = new ArrayList<>();
        List<Node> outKids = new ArrayList<>();
        int[] buf = new int[list.length];
        for (int i = 0; i < k; i++) {
            if (closes.get(i) != null) active.removeAll(closes.get(i));
            if (opens.get(i) != null) active.addAll(opens.get(i));
            int n = 0;
            for (int t : active) {
                buf[n++] = t;
                if (fullFrom[t] <= dim + 1) break;
            }
            edges += n + 1;
            if (edges > budget) throw new TooLarge(edges);
            Node kid = node(dim + 1, Arrays.copyOf(buf, n));
            if (!outKids.isEmpty() && outKids.get(outKids.size() - 1) == kid) continue; // same as the left neighbour
            outStarts.add(starts[i]);
            outKids.add(kid);
        }
        Node result;
        if (outKids.size() == 1) {
            result = outKids.get(0);
        } else {
            long[] s = new long[outStarts.size()];
            for (int i = 0; i < s.length; i++) s[i] = outStarts.get(i);
            result = new Node(dim, s, outKids.toArray(new Node[0]), NO_RULE, nextId++);
        }
        memo.put(key, result);
        return result;
    }

    private final Map<Integer, Node> leaves = new HashMap<>();

    private Node leaf(int rule) {
        return leaves.computeIfAbsent(rule, r -> new Node(-1, null, null, r, nextId++));
    }

    private static void addTo(List<List<Integer>> lists, int i, int t) {
        List<Integer> l = lists.get(i);
        if (l == null) lists.set(i, l = new ArrayList<>(2));
        l.add(t);
    }

    private static int index(long[] sorted, long v) {
        int lo = 0, hi = sorted.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(sorted[mid], v);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        throw new IllegalStateException("not a boundary: " + v);
    }

    private static long[] uniqueUnsigned(long[] v, int n) {
        long[] b = new long[n];
        for (int i = 0; i < n; i++) b[i] = v[i] ^ Long.MIN_VALUE; // unsigned order as signed order
        Arrays.sort(b);
        int m = 0;
        for (int i = 0; i < n; i++) if (m == 0 || b[i] != b[m - 1]) b[m++] = b[i];
        long[] out = new long[m];
        for (int i = 0; i < m; i++) out[i] = b[i] ^ Long.MIN_VALUE;
        return out;
    }

    /** The largest value of field {@code dim} for this family. */
    long max(int dim) { return max(family, Dim.values()[dim]); }

    static long max(Family family, Dim d) {
        return switch (d) {
            case DST_HI, SRC_HI -> family == Family.IPV4 ? 0xffffffffL : -1L;
            case DST_LO, SRC_LO -> family == Family.IPV4 ? 0 : -1L;
            case PROTO -> (1L << FRAG_SHIFT) * 2 - 1;
            case L4 -> 65535;
            case SPORT -> (1L << EST_SHIFT) * 2 - 1;
        };
    }

    // ---- rules to terms ----

    private static final long[] TCP_UDP = {ProtoClause.TCP, ProtoClause.TCP, ProtoClause.UDP, ProtoClause.UDP};
    private static final long[] ZERO = {0, 0};

    /** The rules as terms, in priority order; the same conditions {@link FirstMatchLowering} tests, as intervals. */
    static List<Term> terms(Family family, List<ResolvedRule> rules) {
        List<Term> out = new ArrayList<>();
        for (ResolvedRule r : rules) {
            RuleMatch m = r.match();
            List<ProtoClause> clauses = m.protos().stream()
                    .filter(c -> c.family() == null || c.family() == family).toList();
            if (m.src().isEmpty(family) || m.dst().isEmpty(family) || clauses.isEmpty()) continue;
            List<long[][]> srcs = addresses(family, m.src()), dsts = addresses(family, m.dst());
            for (ProtoClause c : clauses) {
                // Per field: null for all values; frag/est {v, v}.
                long[] proto = c.proto() >= 0 ? new long[] {c.proto(), c.proto()} : null;
                long[] frag = m.matchesFragments(c) ? null : ZERO;
                long[] l4 = null, sport = null, est = null;
                if (c.dports() != null) {
                    proto = restrict(proto, TCP_UDP);
                    frag = ZERO;
                    l4 = ports(c.dports());
                }
                if (c.icmpType() >= 0 || c.icmpCode() >= 0) {
                    int icmp = family == Family.IPV4 ? ProtoClause.ICMP : ProtoClause.ICMPV6;
                    proto = restrict(proto, new long[] {icmp, icmp});
                    frag = ZERO;
                    l4 = icmp(c.icmpType(), c.icmpCode());
                }
                if (m.sports() != null) {
                    proto = restrict(proto, TCP_UDP);
                    frag = ZERO;
                    sport = ports(m.sports());
                }
                if (m.state() != TcpState.ANY) {
                    proto = restrict(proto, new long[] {ProtoClause.TCP, ProtoClause.TCP});
                    frag = ZERO;
                    long e = m.state() == TcpState.ESTABLISHED ? 1 : 0;
                    est = new long[] {e, e};
                }
                if (proto != null && proto.length == 0) continue;
                long[][] base = new long[DIMS][];
                base[Dim.PROTO.ordinal()] = pack(proto, 255, frag, FRAG_SHIFT);
                base[Dim.L4.ordinal()] = l4;
                base[Dim.SPORT.ordinal()] = pack(sport, 65535, est, EST_SHIFT);
                for (long[][] s : srcs) {
                    for (long[][] d : dsts) {
                        long[][] sets = base.clone();
                        sets[Dim.SRC_HI.ordinal()] = s[0];
                        sets[Dim.SRC_LO.ordinal()] = s[1];
                        sets[Dim.DST_HI.ordinal()] = d[0];
                        sets[Dim.DST_LO.ordinal()] = d[1];
                        out.add(new Term(r.index(), sets));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The key {@code flag << shift | value} for values in {@code low} (null: 0..lowMax) and flags in {@code flag}
     * (null: 0 or 1), as sorted intervals; null when both are unconstrained.
     */
    static long[] pack(long[] low, long lowMax, long[] flag, int shift) {
        if (low == null && flag == null) return null;
        long[] lo = low != null ? low : new long[] {0, lowMax};
        long[] flags = flag != null ? flag : new long[] {0, 1};
        List<Long> out = new ArrayList<>();
        for (long f = flags[0]; f <= flags[1]; f++) {
            for (int i = 0; i < lo.length; i += 2) {
                long a = (f << shift) | lo[i], b = (f << shift) | lo[i + 1];
                int n = out.size();
                if (n > 0 && out.get(n - 1) + 1 == a) out.set(n - 1, b); // adjacent: merge
                else { out.add(a); out.add(b); }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** ICMP type and code as intervals of the {@code L4} key; a code without a type is 256 single values. */
    static long[] icmp(int type, int code) {
        if (type >= 0 && code >= 0) {
            long k = ((long) type << ICMP_TYPE_SHIFT) | code;
            return new long[] {k, k};
        }
        if (type >= 0) return new long[] {(long) type << ICMP_TYPE_SHIFT, ((long) type << ICMP_TYPE_SHIFT) | 255};
        long[] r = new long[512];
        for (int t = 0; t < 256; t++) r[2 * t] = r[2 * t + 1] = ((long) t << ICMP_TYPE_SHIFT) | code;
        return r;
    }

    /** The intersection of two sorted interval lists; {@code cur} null means all values. */
    private static long[] restrict(long[] cur, long[] allowed) {
        if (cur == null) return allowed;
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < cur.length; i += 2) {
            for (int j = 0; j < allowed.length; j += 2) {
                long lo = Math.max(cur[i], allowed[j]), hi = Math.min(cur[i + 1], allowed[j + 1]);
                if (lo <= hi) { out.add(lo); out.add(hi); }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] ports(PortSet set) {
        if (set.isAll()) return null;
        long[] r = new long[set.ranges().size() * 2];
        int i = 0;
        for (PortSet.Range x : set.ranges()) { r[i++] = x.lo(); r[i++] = x.hi(); }
        return r;
    }

    /**
     * An address set as (high field, low field) products. IPv4 uses the high field alone. IPv6 prefixes up to /64
     * are intervals of the high word; longer ones are one high-word value with an interval of the low word, grouped
     * by that value, so the union of the products is exactly the set.
     */
    static List<long[][]> addresses(Family family, AddrSet set) {
        if (set.isAll(family)) return List.<long[][]>of(new long[][] {null, null});
        List<Prefix> prefixes = set.prefixes(family);
        if (family == Family.IPV4) {
            Intervals iv = new Intervals();
            for (Prefix p : prefixes) {
                long span = p.length() == 0 ? 0xffffffffL : (1L << (32 - p.length())) - 1;
                iv.add(p.address().lo(), p.address().lo() + span);
            }
            return List.<long[][]>of(new long[][] {iv.toArray(), null});
        }
        Intervals shortOnes = new Intervals();
        Map<Long, Intervals> longOnes = new LinkedHashMap<>();
        for (Prefix p : prefixes) {
            int len = p.length();
            if (len <= 64) {
                long span = len == 0 ? -1L : len == 64 ? 0 : (-1L >>> len);
                shortOnes.add(p.address().hi(), p.address().hi() + span);
            } else {
                long span = len == 128 ? 0 : (-1L >>> (len - 64));
                longOnes.computeIfAbsent(p.address().hi(), h -> new Intervals()).add(p.address().lo(), p.address().lo() + span);
            }
        }
        List<long[][]> out = new ArrayList<>();
        if (!shortOnes.isEmpty()) out.add(new long[][] {shortOnes.toArray(), null});
        for (Map.Entry<Long, Intervals> e : longOnes.entrySet()) {
            out.add(new long[][] {{e.getKey(), e.getKey()}, e.getValue().toArray()});
        }
        return out;
    }

    /** Sorted unsigned intervals, adjacent ones merged (prefixes of an AddrSet come sorted and disjoint). */
    private static final class Intervals {
        private final List<long[]> list = new ArrayList<>();

        void add(long lo, long hi) {
            if (!list.isEmpty()) {
                long[] last = list.get(list.size() - 1);
                if (last[1] != -1L && last[1] + 1 == lo) { last[1] = hi; return; }
            }
            list.add(new long[] {lo, hi});
        }

        boolean isEmpty() { return list.isEmpty(); }

        long[] toArray() {
            list.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
            long[] r = new long[list.size() * 2];
            for (int i = 0; i < list.size(); i++) { r[2 * i] = list.get(i)[0]; r[2 * i + 1] = list.get(i)[1]; }
            return r;
        }
    }

    /** Every node reachable from the roots, each once, in a deterministic order (depth first, left to right). */
    static List<Node> nodes(List<Node> roots) {
        List<Node> out = new ArrayList<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        java.util.ArrayDeque<Node> stack = new java.util.ArrayDeque<>();
        for (int i = roots.size() - 1; i >= 0; i--) stack.push(roots.get(i));
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (seen.put(n, Boolean.TRUE) != null) continue;
            out.add(n);
            if (!n.isLeaf()) for (int i = n.kids.length - 1; i >= 0; i--) stack.push(n.kids[i]);
        }
        return out;
    }
}
