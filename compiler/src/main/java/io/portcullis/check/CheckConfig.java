package io.portcullis.check;

import io.portcullis.net.PortSet;
import java.util.List;

/**
 * Settings of the checks that users tune per organisation.
 *
 * @param adminPorts        administrative and data ports that must not be reachable by new connections from outside
 *                          the private ranges ({@code exposed-admin-port}), for TCP and UDP
 * @param waiverWindowDays  a waiver whose date is this close (or closer) gives {@code waiver-expiring}
 */
public record CheckConfig(PortSet adminPorts, int waiverWindowDays) {
    /** SSH, telnet, RDP, VNC, Docker, Kubernetes API, kubelet, etcd, MySQL, PostgreSQL, Redis, Elasticsearch, MongoDB, memcached. */
    public static final PortSet DEFAULT_ADMIN_PORTS = PortSet.of(List.of(
            new PortSet.Range(22, 22), new PortSet.Range(23, 23), new PortSet.Range(3389, 3389),
            new PortSet.Range(5900, 5900), new PortSet.Range(2375, 2376), new PortSet.Range(6443, 6443),
            new PortSet.Range(10250, 10250), new PortSet.Range(2379, 2380), new PortSet.Range(3306, 3306),
            new PortSet.Range(5432, 5432), new PortSet.Range(6379, 6379), new PortSet.Range(9200, 9200),
            new PortSet.Range(27017, 27017), new PortSet.Range(11211, 11211)));

    public static final CheckConfig DEFAULTS = new CheckConfig(DEFAULT_ADMIN_PORTS, 30);

    /** Parses "22,23,2375-2376,..." (the CLI and plugin form). */
    public static PortSet parsePorts(String text) {
        List<PortSet.Range> out = new java.util.ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            int dash = p.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
            int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1).strip());
            out.add(new PortSet.Range(lo, hi));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no ports in '" + text + "'");
        return PortSet.of(out);
    }
}
