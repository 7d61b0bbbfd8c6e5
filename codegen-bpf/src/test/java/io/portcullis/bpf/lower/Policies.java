package io.portcullis.bpf.lower;

import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.ArrayList;
import java.util.List;

/** Builds resolved policies directly, the way the resolver would. */
final class Policies {
    static final Span SPAN = Span.of(SourceFile.ofString("test.policy", "policy test {}\n"), 1, 1, 1);

    private Policies() {}

    static ResolvedPolicy policy(String name, Action dflt, Action nonIp, RuleMatch... matches) {
        return policy(name, Target.XDP, dflt, nonIp, matches);
    }

    static ResolvedPolicy policy(String name, Target target, Action dflt, Action nonIp, RuleMatch... matches) {
        return policy(name, target, dflt, nonIp, List.of(matches), null);
    }

    /** Rules alternate ALLOW/DENY unless {@code actions} gives them. */
    static ResolvedPolicy policy(String name, Target target, Action dflt, Action nonIp, List<RuleMatch> matches,
                                 List<Action> actions) {
        List<ResolvedRule> rules = new ArrayList<>();
        for (int i = 0; i < matches.size(); i++) {
            Action a = actions != null ? actions.get(i) : (i % 2 == 0 ? Action.ALLOW : Action.DENY);
            rules.add(new ResolvedRule(i, null, a, matches.get(i), SPAN, List.of()));
        }
        return new ResolvedPolicy(name, target, dflt, nonIp, rules, List.of(), List.of(), SPAN, SPAN);
    }

    static Prefix pfx(String s) {
        int slash = s.indexOf('/');
        Ip ip = Ip.parse(slash < 0 ? s : s.substring(0, slash)).orElseThrow();
        int len = slash < 0 ? ip.family().bits() : Integer.parseInt(s.substring(slash + 1));
        return new Prefix(ip, len);
    }

    /** The union of the given prefixes; "any", "any4", "any6" as in the language. */
    static AddrSet addrs(String... items) {
        AddrSet s = AddrSet.EMPTY;
        for (String i : items) {
            s = s.union(switch (i) {
                case "any" -> AddrSet.any();
                case "any4" -> AddrSet.all(Family.IPV4);
                case "any6" -> AddrSet.all(Family.IPV6);
                default -> AddrSet.of(pfx(i));
            });
        }
        return s;
    }

    static PortSet ports(int... loHi) {
        List<PortSet.Range> rs = new ArrayList<>();
        for (int i = 0; i < loHi.length; i += 2) rs.add(new PortSet.Range(loHi[i], loHi[i + 1]));
        return PortSet.of(rs);
    }

    static ProtoClause tcp(PortSet dports) { return new ProtoClause(ProtoClause.TCP, null, dports, -1, -1); }
    static ProtoClause udp(PortSet dports) { return new ProtoClause(ProtoClause.UDP, null, dports, -1, -1); }
    static ProtoClause icmp(int type, int code) { return new ProtoClause(ProtoClause.ICMP, Family.IPV4, null, type, code); }
    static ProtoClause icmp6(int type, int code) { return new ProtoClause(ProtoClause.ICMPV6, Family.IPV6, null, type, code); }
    static ProtoClause proto(int n) { return new ProtoClause(n, null, null, -1, -1); }
    static ProtoClause anyProto() { return ProtoClause.anyProtocol(); }

    static RuleMatch match(AddrSet src, AddrSet dst, PortSet sports, TcpState state, ProtoClause... protos) {
        return new RuleMatch(src, dst, sports, List.of(protos), state);
    }

    static RuleMatch match(AddrSet src, AddrSet dst, ProtoClause... protos) {
        return match(src, dst, null, TcpState.ANY, protos);
    }
}
