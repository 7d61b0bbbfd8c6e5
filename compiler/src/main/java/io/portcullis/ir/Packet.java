package io.portcullis.ir;

import io.portcullis.net.Ip;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One concrete IP packet as the policy sees it. Ports apply to TCP and UDP, flags to TCP, type and code to ICMP/ICMPv6;
 * fields that do not apply are 0 / empty. A non-first fragment carries no transport header, so its ports, flags,
 * type and code are meaningless and are 0.
 */
public record Packet(Family family, Ip src, Ip dst, int proto, int sport, int dport, Set<TcpFlag> flags,
                     int icmpType, int icmpCode, boolean nonFirstFragment) {

    public Packet {
        if (src.family() != family || dst.family() != family) throw new IllegalArgumentException("mixed address families");
        flags = flags.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(flags));
    }

    public boolean isTcp() { return proto == ProtoClause.TCP; }
    public boolean isUdp() { return proto == ProtoClause.UDP; }
    public boolean hasPorts() { return (isTcp() || isUdp()) && !nonFirstFragment; }
    public boolean isIcmp() {
        return !nonFirstFragment && (family == Family.IPV4 && proto == ProtoClause.ICMP
                || family == Family.IPV6 && proto == ProtoClause.ICMPV6);
    }

    /** TCP ACK or RST set. */
    public boolean established() { return flags.contains(TcpFlag.ACK) || flags.contains(TcpFlag.RST); }

    public static String protoName(int proto, Family f) {
        if (proto == ProtoClause.TCP) return "tcp";
        if (proto == ProtoClause.UDP) return "udp";
        if (proto == ProtoClause.ICMP && f == Family.IPV4) return "icmp";
        if (proto == ProtoClause.ICMPV6 && f == Family.IPV6) return "icmpv6";
        return "proto " + proto;
    }

    /** The packet in LANGUAGE.md's packet syntax, e.g. {@code tcp 192.0.2.7:40000 -> 10.1.3.4:443 flags { syn }}. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder(protoName(proto, family)).append(' ');
        sb.append(endpoint(src, sport)).append(" -> ").append(endpoint(dst, dport));
        if (isTcp() && !nonFirstFragment) {
            List<String> fs = new ArrayList<>();
            for (TcpFlag f : TcpFlag.values()) if (flags.contains(f)) fs.add(f.label());
            sb.append(" flags { ").append(String.join(", ", fs)).append(" }");
        }
        if (isIcmp()) sb.append(" type ").append(icmpType).append(" code ").append(icmpCode);
        if (nonFirstFragment) sb.append(" fragment");
        return sb.toString();
    }

    private String endpoint(Ip ip, int port) {
        if (!hasPorts()) return ip.toString();
        return family == Family.IPV6 ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
