package io.portcullis.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random policy files as text, mostly valid and built from small pools of overlapping addresses and ports so that
 * the checker finds conflicts, shadowing and failed properties often; and random mutations of such text.
 */
final class PolicyText {
    private final Random rnd;
    private final List<String> networks = new ArrayList<>();
    private final List<String> services = new ArrayList<>();

    PolicyText(Random rnd) { this.rnd = rnd; }

    static final String[] V4 = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.1.2.128/25", "192.0.2.0/24",
        "192.0.2.7", "0.0.0.0/0", "172.16.0.0/12", "10.1.3.0/24"};
    static final String[] V6 = {"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::5", "fd00::/8", "::/0", "2001:db8:2::/64",
        "fe80::/10", "2001:db8:1:0:8000::/65"};
    static final String[] PORTS = {"22", "80", "443", "1000-2000", "53", "0-1023", "65535", "1024-65535", "3389", "5432"};
    static final String[] ICMP4 = {"echo-request", "echo-reply", "destination-unreachable", "time-exceeded", "8", "3", "0"};
    static final String[] ICMP6 = {"echo-request", "packet-too-big", "neighbor-solicitation", "neighbor-advertisement",
        "router-advertisement", "1", "128", "135"};
    static final String[] CODES = {"conflict", "shadowed", "redundant", "correlation", "empty", "default-allow",
        "unused-network", "no-such-code"};

    <T> T pick(T[] a) { return a[rnd.nextInt(a.length)]; }

    boolean chance(int percent) { return rnd.nextInt(100) < percent; }

    /** One whole file: definitions, one to three policies and sometimes a guard. */
    String file(String prefix) {
        StringBuilder sb = new StringBuilder();
        int nn = rnd.nextInt(4);
        for (int i = 0; i < nn; i++) {
            String name = prefix + "net" + i;
            sb.append("network ").append(name).append(" = ").append(addrExpr(false)).append(";\n");
            networks.add(name);
        }
        int ns = rnd.nextInt(3);
        for (int i = 0; i < ns; i++) {
            String name = prefix + "svc" + i;
            sb.append("service ").append(name).append(" = ").append(service()).append(";\n");
            services.add(name);
        }
        int np = 1 + rnd.nextInt(3);
        for (int i = 0; i < np; i++) policy(sb, prefix + "pol" + i);
        if (chance(40)) {
            sb.append("guard ").append(prefix).append("g {\n");
            for (int i = rnd.nextInt(3); i >= 0; i--) sb.append("    assert ").append(action()).append(' ').append(match()).append(";\n");
            sb.append("}\n");
        }
        if (chance(20)) sb.append("# a trailing comment ").append(rnd.nextInt()).append('\n');
        return sb.toString();
    }

    /** Definitions only, for an imported file. */
    String library(String prefix) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1 + rnd.nextInt(3); i++) {
            String name = prefix + "lib" + i;
            sb.append("network ").append(name).append(" = ").append(addrExpr(false)).append(";\n");
            networks.add(name);
        }
        return sb.toString();
    }

    void policy(StringBuilder sb, String name) {
        sb.append("policy ").append(name);
        if (chance(30)) sb.append(pick(new String[] {" on xdp", " on tc ingress", " on tc egress"}));
        sb.append(" {\n");
        int defaultAt = chance(95) ? rnd.nextInt(3) : -1;
        int rules = 1 + rnd.nextInt(9);
        for (int i = 0; i < rules; i++) {
            if (i == defaultAt) sb.append("    default ").append(action()).append(";\n");
            if (chance(5)) sb.append("    non-ip ").append(action()).append(";\n");
            if (chance(12)) {
                sb.append("    waive ").append(pick(CODES)).append(" \"fuzz\"");
                if (chance(60)) sb.append(" until ").append(pick(new String[] {"2020-01-01", "2030-12-31", "2026-02-30"}));
                sb.append(";\n");
            }
            sb.append("    ");
            if (chance(60)) sb.append("r").append(i).append(": ");
            sb.append(action()).append(' ').append(match()).append(";\n");
            if (chance(15)) sb.append("    expect ").append(action()).append(' ').append(packet()).append(";\n");
            if (chance(10)) sb.append("    assert ").append(action()).append(' ').append(match()).append(";\n");
        }
        if (defaultAt >= rules) sb.append("    default ").append(action()).append(";\n");
        sb.append("}\n");
    }

    String action() { return chance(50) ? "allow" : "deny"; }

    String addrItem(boolean v6Only) {
        int k = rnd.nextInt(100);
        if (k < 10 && !networks.isEmpty()) return networks.get(rnd.nextInt(networks.size()));
        if (k < 14) return pick(new String[] {"any", "any4", "any6"});
        if (v6Only || k < 45) return pick(V6);
        return pick(V4);
    }

    String addrList(boolean v6Only) {
        if (chance(60)) return addrItem(v6Only);
        List<String> items = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(3); i > 0; i--) items.add(addrItem(v6Only));
        return "{ " + String.join(", ", items) + " }";
    }

    String addrExpr(boolean v6Only) {
        String s = addrList(v6Only);
        if (chance(25)) s += " except " + addrList(v6Only);
        return s;
    }

    String ports() {
        if (chance(70)) return pick(PORTS);
        List<String> items = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(3); i > 0; i--) items.add(pick(PORTS));
        return "{ " + String.join(", ", items) + " }";
    }

    String icmpTypes(boolean v6) {
        String[] pool = v6 ? ICMP6 : ICMP4;
        if (chance(70)) return pick(pool);
        return "{ " + pick(pool) + ", " + pick(pool) + " }";
    }

    String service() {
        List<String> items = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(2); i > 0; i--) {
            int k = rnd.nextInt(10);
            if (k < 5) items.add((chance(70) ? "tcp " : "udp ") + ports());
            else if (k < 7) items.add("icmp" + (chance(60) ? " type " + icmpTypes(false) : ""));
            else if (k < 8) items.add("icmpv6" + (chance(60) ? " type " + icmpTypes(true) : ""));
            else if (k < 9) items.add("proto " + pick(new String[] {"47", "50", "6", "17", "132"}));
            else if (!services.isEmpty()) items.add(services.get(rnd.nextInt(services.size())));
            else items.add("tcp 22");
        }
        return items.size() == 1 ? items.get(0) : "{ " + String.join(", ", items) + " }";
    }

    String match() {
        StringBuilder sb = new StringBuilder();
        int k = rnd.nextInt(100);
        boolean tcp = false, ports = false, icmp = false, icmp6 = false;
        if (k < 35) { sb.append("tcp"); tcp = true; ports = true; }
        else if (k < 50) { sb.append("udp"); ports = true; }
        else if (k < 58) { sb.append("icmp"); icmp = true; }
        else if (k < 66) { sb.append("icmpv6"); icmp6 = true; }
        else if (k < 72) sb.append("proto ").append(pick(new String[] {"47", "6", "17", "255"}));
        else if (k < 80 && !services.isEmpty()) sb.append(services.get(rnd.nextInt(services.size())));
        if (chance(70)) {
            sb.append(" from ").append(addrExpr(icmp6));
            if (ports && chance(20)) sb.append(" port ").append(ports());
        }
        if (chance(80)) {
            sb.append(" to ").append(addrExpr(icmp6));
            if (ports && chance(60)) sb.append(" port ").append(ports());
        }
        if (tcp && chance(30)) sb.append(chance(50) ? " established" : " new");
        if ((icmp || icmp6) && chance(50)) {
            sb.append(" type ").append(icmpTypes(icmp6));
            if (chance(30)) sb.append(" code ").append(rnd.nextInt(5));
        }
        return sb.toString().trim();
    }

    String packet() {
        boolean v6 = chance(40);
        String src = v6 ? pick(new String[] {"2001:db8:1::5", "2001:db8::1", "fd00::7", "2001:db8:2::9"})
                : pick(new String[] {"10.1.2.3", "192.0.2.7", "10.2.0.1", "172.16.5.5", "10.1.3.4"});
        String dst = v6 ? pick(new String[] {"2001:db8:1::5", "2001:db8:1:0:8000::1", "fd00::1", "2001:db8:2::1"})
                : pick(new String[] {"10.1.2.3", "10.1.2.200", "192.0.2.1", "10.0.0.1", "10.1.3.4"});
        int k = rnd.nextInt(10);
        if (k < 5) {
            String proto = chance(70) ? "tcp" : "udp";
            String s = v6 ? "[" + src + "]:" + port() : src + ":" + port();
            String d = v6 ? "[" + dst + "]:" + port() : dst + ":" + port();
            String out = proto + " " + s + " -> " + d;
            if (proto.equals("tcp") && chance(40)) out += " flags { " + pick(new String[] {"syn", "ack", "syn, ack", "rst", "fin, ack"}) + " }";
            return out;
        }
        if (k < 8) return (v6 ? "icmpv6 " : "icmp ") + src + " -> " + dst + " type " + icmpTypes(v6).replaceAll("[{}]|,.*", "").trim();
        if (k < 9) return "udp " + src + " -> " + dst + " fragment";
        return "proto 47 " + src + " -> " + dst;
    }

    int port() { return pick(new Integer[] {22, 80, 443, 1500, 53, 40000, 3389, 5432, 0, 65535}); }

    // ------------------------------------------------------------------ mutations

    static final String[] GARBAGE = {"{", "}", ";", ",", "->", "\"", "#", "except", "port", "from", "to", "tcp", "::",
        "/", "-", "\u201c", "\u00e9", "\ud83d\ude00", "\t", "\r", "\u0000", "'", "[", "]", ":", "policy", "default", "waive",
        "99999999999999999999", "4294967296", "/129", "1.2.3.4.5", "65536", "2026-13-45", "::::", "\\"};

    /** Applies one random mutation to {@code text}. */
    String mutate(String text) {
        List<String> tokens = tokens(text);
        if (tokens.isEmpty()) return text + pick(GARBAGE);
        int i = rnd.nextInt(tokens.size());
        switch (rnd.nextInt(9)) {
            case 0 -> tokens.remove(i);
            case 1 -> {
                int j = rnd.nextInt(tokens.size());
                String t = tokens.get(i);
                tokens.set(i, tokens.get(j));
                tokens.set(j, t);
            }
            case 2 -> tokens.add(i, pick(GARBAGE));
            case 3 -> tokens.set(i, tokens.get(i).replaceAll("[0-9]+", pick(new String[] {"99999999999999999999", "256",
                "65536", "4294967296", "00", "129", "-1"})));
            case 4 -> tokens.add(i, tokens.get(i));
            case 5 -> {
                // Deep nesting, as far as a grammar without nesting allows: braces, a long list, a chain of names.
                int n = 50 + rnd.nextInt(400);
                String what = pick(new String[] {"{", "{ 10.0.0.0/8,", "}", "except "});
                tokens.add(i, what.repeat(n));
            }
            case 6 -> {
                StringBuilder sb = new StringBuilder();
                int n = 70 + rnd.nextInt(30);
                for (int k = 0; k < n; k++) sb.append("network chain").append(k).append(" = chain").append(k + 1).append(";\n");
                sb.append("network chain").append(n).append(" = 10.0.0.0/8;\n");
                return text + sb;
            }
            case 7 -> {
                return text.substring(0, rnd.nextInt(text.length() + 1));
            }
            default -> tokens.set(i, randomBytes());
        }
        return String.join("", tokens);
    }

    private String randomBytes() {
        StringBuilder sb = new StringBuilder();
        for (int n = 1 + rnd.nextInt(6); n > 0; n--) sb.append((char) (rnd.nextInt(3) == 0 ? rnd.nextInt(0x3000) : rnd.nextInt(128)));
        return sb.toString();
    }

    /** Words, single punctuation characters and the whitespace between them, so that joining gives the text back. */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int j = i + 1;
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                while (j < text.length() && Character.isWhitespace(text.charAt(j))) j++;
            } else if (Character.isLetterOrDigit(c) || c == '.' || c == ':' || c == '/' || c == '-') {
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || "./:-".indexOf(text.charAt(j)) >= 0)) j++;
            }
            out.add(text.substring(i, j));
            i = j;
        }
        return out;
    }

    /** Bytes for the file: UTF-8, or now and then invalid UTF-8. */
    byte[] bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0 && chance(2)) b[rnd.nextInt(b.length)] = (byte) 0xC3;
        return b;
    }
}
