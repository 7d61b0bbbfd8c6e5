package io.portcullis.bpf.interp;

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
import java.util.Random;

/**
 * Seeded random policies that overlap on purpose: addresses from one small nested plan per family (a /8 holding
 * /16s holding /24s, /28s and hosts; the IPv6 plan likewise from /32 to /128), sometimes with an {@code except}
 * hole; ports at the edges (0, 1, 1023, 1024, 65535) and small ranges around them; tcp with
 * {@code established}/{@code new}, udp, icmp and icmpv6 with types and codes, other protocols, any protocol.
 */
final class RandomPolicy {
    static final Span SPAN = Span.of(SourceFile.ofString("random.policy", "policy random {}\n"), 1, 1, 1);
    private static final int[] EDGE_PORTS = {0, 1, 2, 22, 53, 80, 443, 1023, 1024, 1025, 8080, 32768, 65534, 65535};
    private static final int[] ICMP_TYPES = {0, 3, 8, 11, 128, 129, 135, 136};

    private final Random rnd;

    RandomPolicy(Random rnd) { this.rnd = rnd; }

    ResolvedPolicy build(String name, Target target, int rules) {
        List<ResolvedRule> out = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            Action a = rnd.nextInt(5) < 3 ? Action.ALLOW : Action.DENY;
            out.add(new ResolvedRule(i, "r" + i, a, match(), SPAN, List.of()));
        }
        Action dflt = rnd.nextBoolean() ? Action.ALLOW : Action.DENY;
        Action nonIp = rnd.nextBoolean() ? Action.ALLOW : Action.DENY;
        return new ResolvedPolicy(name, target, dflt, nonIp, out, List.of(), List.of(), SPAN, SPAN);
    }

    static ResolvedPolicy retarget(ResolvedPolicy p, Target t) {
        return new ResolvedPolicy(p.name(), t, p.defaultAction(), p.nonIp(), p.rules(), p.expects(), p.asserts(),
                p.span(), p.defaultSpan());
    }

    private RuleMatch match() {
        int fam = rnd.nextInt(5); // 0-1 v4, 2-3 v6, 4 both
        Family f = fam < 2 ? Family.IPV4 : fam < 4 ? Family.IPV6 : null;
        AddrSet src = addrs(f, rnd.nextInt(3) == 0), dst = addrs(f, rnd.nextInt(4) == 0);
        PortSet sports = null;
        TcpState state = TcpState.ANY;
        List<ProtoClause> protos = new ArrayList<>();
        int kind = rnd.nextInt(12);
        if (kind < 4) {
            protos.add(new ProtoClause(ProtoClause.TCP, null, rnd.nextInt(4) == 0 ? null : ports(), -1, -1));
            if (rnd.nextInt(3) == 0) state = rnd.nextBoolean() ? TcpState.ESTABLISHED : TcpState.NEW;
            if (rnd.nextInt(5) == 0) sports = ports();
        } else if (kind < 6) {
            protos.add(new ProtoClause(ProtoClause.UDP, null, rnd.nextInt(4) == 0 ? null : ports(), -1, -1));
            if (rnd.nextInt(5) == 0) sports = ports();
        } else if (kind < 7) {
            protos.add(new ProtoClause(ProtoClause.TCP, null, ports(), -1, -1));
            protos.add(new ProtoClause(ProtoClause.UDP, null, ports(), -1, -1));
        } else if (kind < 9) {
            boolean v4 = f == Family.IPV4 || f == null && rnd.nextBoolean();
            int type = rnd.nextInt(3) == 0 ? -1 : ICMP_TYPES[rnd.nextInt(ICMP_TYPES.length)];
            int code = type >= 0 && rnd.nextInt(3) == 0 ? rnd.nextInt(3) : -1;
            protos.add(new ProtoClause(v4 ? ProtoClause.ICMP : ProtoClause.ICMPV6, v4 ? Family.IPV4 : Family.IPV6, null, type, code));
            if (f == null) {
                // Keep the rule satisfiable: the addresses must include the clause's family.
                Family cf = v4 ? Family.IPV4 : Family.IPV6;
                if (src.isEmpty(cf) || dst.isEmpty(cf)) {
                    src = AddrSet.all(cf);
                    dst = AddrSet.all(cf);
                }
            }
        } else if (kind < 10) {
            protos.add(new ProtoClause(new int[] {47, 50, 132, 0, 255}[rnd.nextInt(5)], null, null, -1, -1));
        } else {
            protos.add(ProtoClause.anyProtocol());
        }
        return new RuleMatch(src, dst, sports, protos, state);
    }

    private AddrSet addrs(Family f, boolean any) {
        if (f == null) {
            if (any) return AddrSet.any();
            return addrs(Family.IPV4, false).union(addrs(Family.IPV6, false));
        }
        if (any) return AddrSet.all(f);
        AddrSet s = AddrSet.of(prefix(f));
        if (rnd.nextInt(6) == 0) s = s.union(AddrSet.of(prefix(f)));
        if (rnd.nextInt(5) == 0) {
            AddrSet hole = AddrSet.of(prefix(f));
            AddrSet rest = s.minus(hole);
            if (!rest.isEmpty(f)) s = rest;
        }
        return s;
    }

    /** A prefix from a small nested plan, so rules overlap and nest. */
    Prefix prefix(Family f) {
        int depth = rnd.nextInt(6);
        if (f == Family.IPV4) {
            int len = new int[] {8, 16, 24, 28, 31, 32}[depth];
            long v = (10L << 24) | ((long) rnd.nextInt(3) << 16) | ((long) rnd.nextInt(3) << 8) | rnd.nextInt(4) * 5L;
            return new Prefix(Prefix.network(Ip.v4(v), len), len);
        }
        int len = new int[] {32, 48, 64, 96, 127, 128}[depth];
        long hi = (0x20010db8L << 32) | ((long) rnd.nextInt(3) << 16) | rnd.nextInt(2);
        long lo = ((long) rnd.nextInt(2) << 40) | rnd.nextInt(4) * 3L;
        return new Prefix(Prefix.network(Ip.v6(hi, lo), len), len);
    }

    private PortSet ports() {
        int n = 1 + rnd.nextInt(2);
        List<PortSet.Range> rs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int a = EDGE_PORTS[rnd.nextInt(EDGE_PORTS.length)];
            int b = rnd.nextInt(3) == 0 ? EDGE_PORTS[rnd.nextInt(EDGE_PORTS.length)] : a;
            rs.add(new PortSet.Range(Math.min(a, b), Math.max(a, b)));
        }
        return PortSet.of(rs);
    }
}
