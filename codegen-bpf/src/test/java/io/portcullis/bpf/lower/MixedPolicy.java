package io.portcullis.bpf.lower;

import static io.portcullis.bpf.lower.Policies.*;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpState;
import java.util.List;

/** One policy that uses every matching feature; the verdict tests run frames through it. */
final class MixedPolicy {
    private MixedPolicy() {}

    static ResolvedPolicy build() {
        List<io.portcullis.ir.RuleMatch> m = List.of(
                // 0 deny: bad source except one host, any protocol
                match(addrs("203.0.113.0/24").minus(addrs("203.0.113.7")), addrs("any"), anyProto()),
                // 1 allow: web to 10.1.0.0/16, ports 80, 443, 8000-8099
                match(addrs("any4"), addrs("10.1.0.0/16"), tcp(ports(80, 80, 443, 443, 8000, 8099))),
                // 2 allow: established TCP back to anything in 10/8
                match(addrs("any4"), addrs("10.0.0.0/8"), null, TcpState.ESTABLISHED, tcp(null)),
                // 3 deny: NEW tcp from 10.9/16
                match(addrs("10.9.0.0/16"), addrs("any"), null, TcpState.NEW, tcp(null)),
                // 4 allow: DNS over UDP from source ports 1024-65535 to 192.0.2.53
                match(addrs("any"), addrs("192.0.2.53"), ports(1024, 65535), TcpState.ANY, udp(ports(53, 53))),
                // 5 allow: ICMP echo request (type 8 code 0) and ICMPv6 echo request (128, any code)
                match(addrs("any"), addrs("any"), icmp(8, 0), icmp6(128, -1)),
                // 6 allow: IPv6 web to 2001:db8:1::/48 except 2001:db8:1:ff::/64
                match(addrs("any6"), addrs("2001:db8:1::/48").minus(addrs("2001:db8:1:ff::/64")), tcp(ports(443, 443))),
                // 7 allow: GRE (proto 47) between two hosts
                match(addrs("198.51.100.1", "2001:db8::1"), addrs("198.51.100.2", "2001:db8::2"), proto(47)),
                // 8 allow: UDP to 2001:db8:9::5/128 port 500-4500 (fragments cannot match)
                match(addrs("any6"), addrs("2001:db8:9::5"), udp(ports(500, 4500))),
                // 9 allow: anything to 10.200.0.0/16 (fragments included)
                match(addrs("any"), addrs("10.200.0.0/16", "2001:db8:200::/48"), anyProto()));
        List<Action> a = List.of(Action.DENY, Action.ALLOW, Action.ALLOW, Action.DENY, Action.ALLOW, Action.ALLOW,
                Action.ALLOW, Action.ALLOW, Action.ALLOW, Action.ALLOW);
        return policy("mixed-policy.v1", Target.XDP, Action.DENY, Action.DENY, m, a);
    }
}
