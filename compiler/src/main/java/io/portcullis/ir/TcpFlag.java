package io.portcullis.ir;

/** TCP flags with their bit in the TCP header's flags byte (offset 13). */
public enum TcpFlag {
    FIN(0x01), SYN(0x02), RST(0x04), PSH(0x08), ACK(0x10), URG(0x20);

    private final int bit;
    TcpFlag(int bit) { this.bit = bit; }
    public int bit() { return bit; }
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
