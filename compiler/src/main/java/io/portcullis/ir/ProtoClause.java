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

    /**
     * The IPv6 extension header numbered {@code proto} that packets are walked past (LANGUAGE.md: hop-by-hop, routing,
     * fragment, destination options and AH), or null. An IPv6 packet's protocol is the one after them, so it is never
     * one of these numbers, and a clause naming one can only match IPv4 packets.
     */
    public static String ipv6ExtensionHeader(int proto) {
        return switch (proto) {
            case 0 -> "hop-by-hop options";
            case 43 -> "routing";
            case 44 -> "fragment";
            case 51 -> "authentication (AH)";
            case 60 -> "destination options";
            default -> null;
        };
    }

    /** A clause for protocol number {@code proto}: IPv4 only when IPv6 packets cannot have that protocol. */
    public static ProtoClause number(int proto, PortSet dports) {
        return new ProtoClause(proto, ipv6ExtensionHeader(proto) != null ? Family.IPV4 : null, dports, -1, -1);
    }
}
