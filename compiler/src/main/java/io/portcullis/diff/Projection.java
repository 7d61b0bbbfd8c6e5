package io.portcullis.diff;

import io.portcullis.ir.Family;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import io.portcullis.space.Bdd;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact per-field projections of a packet set: existential quantification over every variable outside one field
 * (the Bdd package has none, so it lives here, on the public node API), then the projected set read back as
 * prefixes, port ranges or values.
 */
final class Projection {
    /** Past this many pieces a read-back gives up and the caller falls back to an enclosing range. */
    static final int MAX_PIECES = 1024;

    private final Bdd bdd;

    Projection(Bdd bdd) { this.bdd = bdd; }

    /** The set of assignments to {@code field} that some member of {@code set} has, as a BDD over the field alone. */
    int project(int set, Layout.Field field) {
        boolean[] keep = new boolean[bdd.varCount()];
        for (int v : field.vars()) keep[v] = true;
        return exists(set, keep, new HashMap<>());
    }

    private int exists(int n, boolean[] keep, Map<Integer, Integer> memo) {
        if (n == Bdd.FALSE || n == Bdd.TRUE) return n;
        Integer m = memo.get(n);
        if (m != null) return m;
        int v = bdd.var(n);
        int lo = exists(bdd.low(n), keep, memo);
        int r;
        if (keep[v]) {
            r = bdd.mk(v, lo, exists(bdd.high(n), keep, memo));
        } else {
            // A true low branch already makes the disjunction true; skip the high side.
            r = lo == Bdd.TRUE ? Bdd.TRUE : bdd.or(lo, exists(bdd.high(n), keep, memo));
        }
        memo.put(n, r);
        return r;
    }

    /** Aligned blocks (value, fixed leading bits) whose union is the projected set, or null past {@link #MAX_PIECES}. */
    private List<long[]> blocks(int projected, Layout.Field field) {
        List<long[]> out = new ArrayList<>();
        return walk(projected, field, 0, BigInteger.ZERO, out) ? out : null;
    }

    private List<BigInteger[]> bigBlocks(int projected, Layout.Field field) {
        List<BigInteger[]> out = new ArrayList<>();
        return walkBig(projected, field, 0, BigInteger.ZERO, out) ? out : null;
    }

    private boolean walk(int n, Layout.Field f, int depth, BigInteger value, List<long[]> out) {
        List<BigInteger[]> big = new ArrayList<>();
        boolean ok = walkBig(n, f, depth, value, big);
        for (BigInteger[] b : big) out.add(new long[] {b[0].longValue(), b[1].longValue()});
        return ok;
    }

    private boolean walkBig(int n, Layout.Field f, int depth, BigInteger value, List<BigInteger[]> out) {
        if (n == Bdd.FALSE) return true;
        if (n == Bdd.TRUE || depth == f.width()) {
            if (out.size() >= MAX_PIECES) return false;
            out.add(new BigInteger[] {value.shiftLeft(f.width() - depth), BigInteger.valueOf(depth)});
            return true;
        }
        int v = f.vars()[depth];
        int lo = bdd.var(n) == v ? bdd.low(n) : n, hi = bdd.var(n) == v ? bdd.high(n) : n;
        return walkBig(lo, f, depth + 1, value.shiftLeft(1), out)
                && walkBig(hi, f, depth + 1, value.shiftLeft(1).or(BigInteger.ONE), out);
    }

    /** The addresses of family {@code fam} that the projected set holds, or null when too fragmented to list. */
    AddrSet addresses(int projected, Layout.Field field, Family fam) {
        List<BigInteger[]> bs = bigBlocks(projected, field);
        if (bs == null) return null;
        AddrSet s = AddrSet.EMPTY;
        for (BigInteger[] b : bs) s = s.union(AddrSet.of(new Prefix(Ip.fromBigInteger(fam, b[0]), b[1].intValue())));
        return s;
    }

    /** The smallest prefix holding every address of the projected (non-empty) set. */
    AddrSet enclosing(int projected, Layout.Field field, Family fam) {
        int n = projected;
        BigInteger value = BigInteger.ZERO;
        int depth = 0;
        while (n != Bdd.TRUE && depth < field.width()) {
            int v = field.vars()[depth];
            if (bdd.var(n) != v) break;
            if (bdd.low(n) != Bdd.FALSE && bdd.high(n) != Bdd.FALSE) break;
            boolean one = bdd.low(n) == Bdd.FALSE;
            value = value.shiftLeft(1).or(one ? BigInteger.ONE : BigInteger.ZERO);
            n = one ? bdd.high(n) : bdd.low(n);
            depth++;
        }
        return AddrSet.of(new Prefix(Ip.fromBigInteger(fam, value.shiftLeft(field.width() - depth)), depth));
    }

    /** The 16-bit values the projected set holds, or null when too fragmented to list. */
    PortSet ports(int projected, Layout.Field field) {
        List<long[]> bs = blocks(projected, field);
        if (bs == null) return null;
        List<PortSet.Range> rs = new ArrayList<>();
        for (long[] b : bs) {
            int lo = (int) b[0], size = 1 << (field.width() - (int) b[1]);
            rs.add(new PortSet.Range(lo, lo + size - 1));
        }
        return PortSet.of(rs);
    }

    /** The values of a narrow field (at most 16 bits) that the projected set holds. */
    BitSet values(int projected, Layout.Field field) {
        BitSet out = new BitSet();
        int count = 1 << field.width();
        for (int x = 0; x < count; x++) if (holds(projected, field, x)) out.set(x);
        return out;
    }

    private boolean holds(int n, Layout.Field f, int x) {
        for (int i = 0; i < f.width() && n != Bdd.TRUE && n != Bdd.FALSE; i++) {
            if (bdd.var(n) != f.vars()[i]) continue;
            boolean bit = ((x >>> (f.width() - 1 - i)) & 1) != 0;
            n = bit ? bdd.high(n) : bdd.low(n);
        }
        return n == Bdd.TRUE;
    }
}
