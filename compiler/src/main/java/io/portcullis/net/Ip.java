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
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) return Optional.empty();
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) return Optional.empty();
            if (p.length() > 1 && p.charAt(0) == '0') return Optional.empty(); // no octal-looking octets
            int n = Integer.parseInt(p);
            if (n > 255) return Optional.empty();
            v = (v << 8) | n;
        }
        return Optional.of(v);
    }

    private static Optional<Ip> parseV6(String s) {
        int colons = 0;
        for (char c : s.toCharArray()) if (c == ':') colons++;
        if (colons < 2) return Optional.empty();
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) return Optional.empty();
        String head = dc >= 0 ? s.substring(0, dc) : s;
        String tail = dc >= 0 ? s.substring(dc + 2) : "";
        // An embedded IPv4 may only end the address.
        int[] hw = groups(head, dc < 0);
        int[] tw = dc >= 0 ? groups(tail, true) : new int[0];
        if (hw == null || tw == null) return Optional.empty();
        int total = hw.length + tw.length;
        if (dc < 0 && total != 8) return Optional.empty();
        if (dc >= 0 && total > 7) return Optional.empty();
        int[] words = new int[8];
        System.arraycopy(hw, 0, words, 0, hw.length);
        System.arraycopy(tw, 0, words, 8 - tw.length, tw.length);
        long hi = 0, lo = 0;
        for (int i = 0; i < 4; i++) hi = (hi << 16) | words[i];
        for (int i = 4; i < 8; i++) lo = (lo << 16) | words[i];
        return Optional.of(v6(hi, lo));
    }

    /** 16-bit groups of a colon-separated run; a trailing dotted quad counts as two groups when allowed. */
    private static int[] groups(String run, boolean v4Allowed) {
        if (run.isEmpty()) return new int[0];
        String[] parts = run.split(":", -1);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && p.contains(".")) {
                if (!v4Allowed) return null;
                Optional<Long> v4 = parseV4(p);
                if (v4.isEmpty()) return null;
                out.add((int) (v4.get() >>> 16));
                out.add((int) (v4.get() & 0xffff));
                continue;
            }
            if (p.isEmpty() || p.length() > 4) return null;
            for (char c : p.toCharArray()) if (Character.digit(c, 16) < 0) return null;
            out.add(Integer.parseInt(p, 16));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
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
