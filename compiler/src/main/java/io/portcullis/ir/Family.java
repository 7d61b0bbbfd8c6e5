package io.portcullis.ir;

public enum Family {
    IPV4(32), IPV6(128);

    private final int bits;
    Family(int bits) { this.bits = bits; }
    public int bits() { return bits; }
    public String label() { return this == IPV4 ? "ipv4" : "ipv6"; }
}
