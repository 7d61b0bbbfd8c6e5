package io.portcullis.net;

import io.portcullis.ir.Family;
import java.math.BigInteger;
import java.util.Optional;

/**
 * An IPv4 or IPv6 address. IPv4 lives in the low 32 bits of {@code lo}; IPv6 is {@code hi:lo} (network order, hi first).
 */
public record Ip(Family family, long hi, long lo) implements Comparable<Ip> {

    public static Ip v4(long value) { return new Ip(Family.IPV4, 0, value & 0xffffffffL); }
    public static Ip v6(long hi, long lo) { return new Ip(Family.IPV6, hi, lo); }

    /** Bit {@code i} counted from the most significant bit (0) of the address. */
    public boolean bit(int i) {
        if (family == Family.IPV4) return ((lo >>> (31 - i)) & 1) != 0;
        return i < 64 ? ((hi >>> (63 - i)) & 1) != 0 : ((lo >>> (127 - i)) & 1) != 0;
    }

    public BigInteger toBigInteger() {
        if (family == Family.IPV4) return BigInteger.valueOf(lo);
        return new BigInteger(1, toBytes());
    }

    public static Ip fromBigInteger(Family f, BigInteger v) {
        if (f == Family.IPV4) return v4(v.longValue());
        return v6(v.shiftRight(64).longValue(), v.longValue());
    }

    /** Network-order bytes: 4 for IPv4, 16 for IPv6. */
    public byte[] toBytes() {
        if (family == Family.IPV4) {
            return new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    @Override public int compareTo(Ip o) {
        int c = family.compareTo(o.family);
        if (c != 0) return c;
        c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    /** Parses dotted IPv4 or any RFC 4291 IPv6 text form (with at least two colons, optional embedded IPv4). */
    public static Optional<Ip> parse(String s) {
        if (s.indexOf(':') >= 0) return parseV6(s);
        return parseV4(s).map(Ip::v4);
    }

    private static Optional<Long> parseV4(String s) {
        long v = parseV4(s, 0, s.length());
        return v < 0 ? Optional.empty() : Optional.of(v);
    }

    /**
     * {@code s[from, to)} as four decimal octets (no leading zeros) separated by dots, or -1. Called once per address
     * in every policy, so it walks the characters instead of splitting.
     */
    private static long parseV4(String s, int from, int to) {
        long v = 0;
        int parts = 0;
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i < to && s.charAt(i) != '.') continue;
            int len = i - start;
            if (len == 0 || len > 3 || ++parts > 4) return -1;
            int n = 0;
            for (int k = start; k < i; k++) {
                int d = Character.isDigit(s.charAt(k)) ? Character.digit(s.charAt(k), 10) : -1;
                if (d < 0) return -1;
                n = n * 10 + d;
            }
            if (len > 1 && s.charAt(start) == '0') return -1; // no octal-looking octets
            if (n > 255) return -1;
            v = (v << 8) | n;
            start = i + 1;
        }
        return parts == 4 ? v : -1;
    }

    private static Optional<Ip> parseV6(String s) {
        int colons = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == ':') colons++;
        if (colons < 2) return Optional.empty();
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) return Optional.empty();
        int[] words = new int[8];
        // An embedded IPv4 may only end the address.
        int head = groups(s, 0, dc >= 0 ? dc : s.length(), dc < 0, words, 0);
        if (head < 0) return Optional.empty();
        int[] tail = new int[8];
        int tw = dc >= 0 ? groups(s, dc + 2, s.length(), true, tail, 0) : 0;
        if (tw < 0) return Optional.empty();
        int total = head + tw;
        if (dc < 0 && total != 8) return Optional.empty();
        if (dc >= 0 && total > 7) return Optional.empty();
        System.arraycopy(tail, 0, words, 8 - tw, tw);
        long hi = 0, lo = 0;
        for (int i = 0; i < 4; i++) hi = (hi << 16) | words[i];
        for (int i = 4; i < 8; i++) lo = (lo << 16) | words[i];
        return Optional.of(v6(hi, lo));
    }

    /**
     * The 16-bit groups of the colon-separated run {@code s[from, to)} into {@code out}; a trailing dotted quad counts
     * as two groups when allowed. Returns how many groups, or -1 when malformed (or more than fit in {@code out}).
     */
    private static int groups(String s, int from, int to, boolean v4Allowed, int[] out, int n) {
        if (from == to) return 0;
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i < to && s.charAt(i) != ':') continue;
            boolean last = i == to;
            if (last && s.indexOf('.', start) >= 0 && s.indexOf('.', start) < to) {
                if (!v4Allowed) return -1;
                long v4 = parseV4(s, start, to);
                if (v4 < 0 || n + 2 > out.length) return -1;
                out[n++] = (int) (v4 >>> 16);
                out[n++] = (int) (v4 & 0xffff);
                return n;
            }
            int len = i - start;
            if (len == 0 || len > 4 || n == out.length) return -1;
            int w = 0;
            for (int k = start; k < i; k++) {
                int d = Character.digit(s.charAt(k), 16);
                if (d < 0) return -1;
                w = (w << 4) | d;
            }
            out[n++] = w;
            start = i + 1;
        }
        return n;
    }

    /** RFC 5952 canonical text. */
    @Override public String toString() {
        if (family == Family.IPV4) {
            return ((lo >>> 24) & 255) + "." + ((lo >>> 16) & 255) + "." + ((lo >>> 8) & 255) + "." + (lo & 255);
        }
        int[] w = new int[8];
        for (int i = 0; i < 4; i++) w[i] = (int) ((hi >>> (48 - 16 * i)) & 0xffff);
        for (int i = 0; i < 4; i++) w[4 + i] = (int) ((lo >>> (48 - 16 * i)) & 0xffff);
        int bestStart = -1, bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && w[j] == 0) j++;
            if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(w[i]));
        }
        return sb.toString();
    }
}
