package io.portcullis.net;

import io.portcullis.ir.Family;
import java.math.BigInteger;

/** A CIDR prefix with no host bits set. */
public record Prefix(Ip address, int length) implements Comparable<Prefix> {

    public Prefix {
        if (length < 0 || length > address.family().bits()) throw new IllegalArgumentException("bad prefix length " + length);
        if (!address.equals(network(address, length))) throw new IllegalArgumentException("host bits set in " + address + "/" + length);
    }

    public Family family() { return address.family(); }

    public static Prefix host(Ip ip) { return new Prefix(ip, ip.family().bits()); }

    public static Prefix all(Family f) { return new Prefix(f == Family.IPV4 ? Ip.v4(0) : Ip.v6(0, 0), 0); }

    /** {@code ip} with every bit after the first {@code length} cleared. */
    public static Ip network(Ip ip, int length) {
        if (ip.family() == Family.IPV4) {
            long mask = length == 0 ? 0 : (0xffffffffL << (32 - length)) & 0xffffffffL;
            return Ip.v4(ip.lo() & mask);
        }
        long hm = length >= 64 ? -1L : (length == 0 ? 0 : -1L << (64 - length));
        long lm = length <= 64 ? 0 : (length == 128 ? -1L : -1L << (128 - length));
        return Ip.v6(ip.hi() & hm, ip.lo() & lm);
    }

    public boolean contains(Ip ip) {
        return ip.family() == family() && network(ip, length).equals(address);
    }

    public BigInteger first() { return address.toBigInteger(); }

    public BigInteger last() {
        return first().add(BigInteger.ONE.shiftLeft(family().bits() - length)).subtract(BigInteger.ONE);
    }

    @Override public int compareTo(Prefix o) {
        int c = address.compareTo(o.address);
        return c != 0 ? c : Integer.compare(length, o.length);
    }

    @Override public String toString() {
        return length == family().bits() ? address.toString() : address + "/" + length;
    }
}
