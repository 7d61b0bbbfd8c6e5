package io.portcullis.resolve;

import io.portcullis.ir.Family;
import java.util.LinkedHashMap;
import java.util.Map;

/** ICMP (RFC 792) and ICMPv6 (RFC 4443, RFC 4861) type and code names. */
public final class IcmpNames {
    private IcmpNames() {}

    private static final Map<String, Integer> V4_TYPES = new LinkedHashMap<>();
    private static final Map<String, Integer> V6_TYPES = new LinkedHashMap<>();
    private static final Map<String, Integer> V4_CODES = new LinkedHashMap<>();
    private static final Map<String, Integer> V6_CODES = new LinkedHashMap<>();

    static {
        V4_TYPES.put("echo-reply", 0);
        V4_TYPES.put("destination-unreachable", 3);
        V4_TYPES.put("source-quench", 4);
        V4_TYPES.put("redirect", 5);
        V4_TYPES.put("echo-request", 8);
        V4_TYPES.put("router-advertisement", 9);
        V4_TYPES.put("router-solicitation", 10);
        V4_TYPES.put("time-exceeded", 11);
        V4_TYPES.put("parameter-problem", 12);
        V4_TYPES.put("timestamp-request", 13);
        V4_TYPES.put("timestamp-reply", 14);
        V6_TYPES.put("destination-unreachable", 1);
        V6_TYPES.put("packet-too-big", 2);
        V6_TYPES.put("time-exceeded", 3);
        V6_TYPES.put("parameter-problem", 4);
        V6_TYPES.put("echo-request", 128);
        V6_TYPES.put("echo-reply", 129);
        V6_TYPES.put("multicast-listener-query", 130);
        V6_TYPES.put("multicast-listener-report", 131);
        V6_TYPES.put("multicast-listener-done", 132);
        V6_TYPES.put("router-solicitation", 133);
        V6_TYPES.put("router-advertisement", 134);
        V6_TYPES.put("neighbor-solicitation", 135);
        V6_TYPES.put("neighbor-advertisement", 136);
        V6_TYPES.put("redirect", 137);
        V4_CODES.put("net-unreachable", 0);
        V4_CODES.put("host-unreachable", 1);
        V4_CODES.put("protocol-unreachable", 2);
        V4_CODES.put("port-unreachable", 3);
        V4_CODES.put("fragmentation-needed", 4);
        V4_CODES.put("ttl-exceeded", 0);
        V6_CODES.put("no-route", 0);
        V6_CODES.put("admin-prohibited", 1);
        V6_CODES.put("address-unreachable", 3);
        V6_CODES.put("port-unreachable", 4);
        V6_CODES.put("hop-limit-exceeded", 0);
    }

    static Integer type(Family f, String name) { return (f == Family.IPV4 ? V4_TYPES : V6_TYPES).get(name); }

    /** The first name of ICMP (or ICMPv6) type {@code type}, or its number when it has none, for reports. */
    public static String typeName(Family f, int type) {
        for (Map.Entry<String, Integer> e : (f == Family.IPV4 ? V4_TYPES : V6_TYPES).entrySet()) {
            if (e.getValue() == type) return e.getKey();
        }
        return "type " + type;
    }

    static Integer code(Family f, String name) { return (f == Family.IPV4 ? V4_CODES : V6_CODES).get(name); }

    static String known(Family f, boolean types) {
        return String.join(", ", (types ? (f == Family.IPV4 ? V4_TYPES : V6_TYPES) : (f == Family.IPV4 ? V4_CODES : V6_CODES)).keySet());
    }
}
