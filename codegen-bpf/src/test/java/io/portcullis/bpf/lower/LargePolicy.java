package io.portcullis.bpf.lower;

import static io.portcullis.bpf.lower.Policies.*;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpState;
import java.util.ArrayList;
import java.util.List;

/** A policy of {@code n} varied rules: IPv4 and IPv6 prefixes, port ranges, ICMP and TCP state. */
final class LargePolicy {
    private LargePolicy() {}

    static ResolvedPolicy build(int n) {
        List<RuleMatch> m = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String v4 = "10." + (i / 256) + "." + (i % 256) + ".0/24";
            String v6 = "2001:db8:" + Integer.toHexString(i) + "::/48";
            m.add(switch (i % 4) {
                case 0 -> match(addrs(v4, v6), addrs("any"), tcp(ports(1000 + i, 1000 + i, 20000, 20100)));
                case 1 -> match(addrs("any"), addrs(v4), ports(1024, 65535), TcpState.ANY, udp(ports(53, 53)));
                case 2 -> match(addrs(v6), addrs("any6"), null, TcpState.ESTABLISHED, tcp(null));
                default -> match(addrs("any4"), addrs(v4).minus(addrs(v4.replace(".0/24", ".128/25"))), icmp(8, 0), proto(47));
            });
        }
        return policy("large" + n, Target.XDP, Action.DENY, Action.ALLOW, m, null);
    }
}
