package io.portcullis.ir;

import io.portcullis.net.PortSet;

/**
 * One protocol alternative of a match, after services are expanded.
 *
 * @param proto    IP protocol number (IPv6: the upper-layer protocol after extension headers), or -1 for any
 * @param family   the family this clause is limited to (icmp: IPv4, icmpv6: IPv6), or null for both
 * @param dports   destination ports (tcp/udp only), or null for any
 * @param icmpType ICMP / ICMPv6 type, or -1 for any
 * @param icmpCode ICMP / ICMPv6 code, or -1 for any
 */
public record ProtoClause(int proto, Family family, PortSet dports, int icmpType, int icmpCode) {
    public static final int TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58;

    public static ProtoClause anyProtocol() { return new ProtoClause(-1, null, null, -1, -1); }

    /** True when this clause looks past the IP header (ports or ICMP type/code), so a non-first fragment cannot match it. */
    public boolean constrainsTransport() { return dports != null || icmpType >= 0 || icmpCode >= 0; }

    public boolean isIcmp() { return proto == ICMP && family == Family.IPV4 || proto == ICMPV6 && family == Family.IPV6; }
}
