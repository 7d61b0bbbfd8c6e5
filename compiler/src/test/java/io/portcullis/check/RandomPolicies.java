package io.portcullis.check;

import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.ir.Target;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Random policies over a small vocabulary, and a finite packet universe that holds a representative of every class of
 * packets those policies can tell apart. Brute force over the universe is then an exact oracle.
 */
public final class RandomPolicies {
    static final SourceFile SRC = SourceFile.ofString("random.policy", "");

    static final List<Prefix> V4 = List.of(p("10.0.0.0/30"), p("10.0.0.0/31"), p("10.0.0.2/31"), p("10.0.0.1/32"),
            p("10.0.0.3/32"));
    static final List<Prefix> V6 = List.of(p("2001:db8::/126"), p("2001:db8::/127"), p("2001:db8::2/127"),
            p("2001:db8::1/128"));
    static final List<Ip> V4_HOSTS = List.of(ip("10.0.0.0"), ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"), ip("11.0.0.1"));
    static final List<Ip> V6_HOSTS = List.of(ip("2001:db8::"), ip("2001:db8::1"), ip("2001:db8::2"), ip("2001:db8::3"),
            ip("2001:db9::1"));
    static final int[] PORTS = {0, 1, 2, 3, 4, 1000};
    /** The universe also holds values no rule ever names, so "outside every rule" has a representative. */
    static final int[] UNIVERSE_PORTS = {0, 1, 2, 3, 4, 1000, 2000};
    static final int[] UNIVERSE_PROTOS = {6, 17, 1, 58, 47, 50};
    static final int[] UNIVERSE_TYPES = {0, 1, 2, 3, 8};
    static final int[] PROTOS = {6, 17, 1, 58, 47};
    static final int[] TYPES = {0, 1, 2, 8};

    static Prefix p(String s) {
        String[] a = s.split("/");
        return new Prefix(Ip.parse(a[0]).orElseThrow(), Integer.parseInt(a[1]));
    }

    static Ip ip(String s) { return Ip.parse(s).orElseThrow(); }

    public static Span span(int line) { return Span.of(SRC, line, 1, 1); }

    static AddrSet addrs(Random r) {
        int k = r.nextInt(10);
        if (k == 0) return AddrSet.any();
        if (k == 1) return AddrSet.all(Family.IPV4);
        if (k == 2) return AddrSet.all(Family.IPV6);
        AddrSet s = AddrSet.EMPTY;
        int items = 1 + r.nextInt(2);
        for (int i = 0; i < items; i++) {
            List<Prefix> pool = r.nextInt(3) == 0 ? V6 : V4;
            s = s.union(AddrSet.of(pool.get(r.nextInt(pool.size()))));
        }
        if (r.nextInt(5) == 0) s = s.minus(AddrSet.of(V4.get(3 + r.nextInt(2))));
        return s;
    }

    static PortSet ports(Random r) {
        int lo = r.nextInt(5), hi = lo + r.nextInt(5 - lo);
        PortSet ps = PortSet.of(lo, hi);
        if (r.nextInt(4) == 0) ps = ps.union(PortSet.of(1000, 1000));
        return ps;
    }

    static RuleMatch match(Random r) {
        AddrSet src = addrs(r), dst = addrs(r);
        int kind = r.nextInt(8);
        List<ProtoClause> clauses = new ArrayList<>();
        PortSet sports = null;
        TcpState state = TcpState.ANY;
        switch (kind) {
            case 0 -> clauses.add(ProtoClause.anyProtocol());
            case 1, 2 -> {
                int proto = r.nextBoolean() ? 6 : 17;
                clauses.add(new ProtoClause(proto, null, r.nextInt(3) == 0 ? null : ports(r), -1, -1));
                if (r.nextInt(4) == 0) sports = ports(r);
                if (proto == 6 && r.nextInt(3) == 0) state = r.nextBoolean() ? TcpState.ESTABLISHED : TcpState.NEW;
            }
            case 3 -> {
                boolean v6 = r.nextBoolean();
                clauses.add(new ProtoClause(v6 ? 58 : 1, v6 ? Family.IPV6 : Family.IPV4, null,
                        r.nextBoolean() ? TYPES[r.nextInt(TYPES.length)] : -1, r.nextInt(4) == 0 ? r.nextInt(2) : -1));
            }
            case 4 -> clauses.add(new ProtoClause(PROTOS[r.nextInt(PROTOS.length)], null, null, -1, -1));
            default -> { // a service: several clauses
                clauses.add(new ProtoClause(6, null, ports(r), -1, -1));
                clauses.add(new ProtoClause(17, null, ports(r), -1, -1));
                if (r.nextBoolean()) clauses.add(new ProtoClause(47, null, null, -1, -1));
            }
        }
        return new RuleMatch(src, dst, sports, clauses, state);
    }

    public static ResolvedPolicy policy(Random r, int rules) {
        List<ResolvedRule> rs = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            rs.add(new ResolvedRule(i, "r" + (i + 1), r.nextBoolean() ? Action.ALLOW : Action.DENY, match(r),
                    span(i + 2), List.of()));
        }
        return new ResolvedPolicy("random", Target.XDP, r.nextBoolean() ? Action.ALLOW : Action.DENY, Action.ALLOW,
                rs, List.of(), List.of(), span(1), span(rules + 2));
    }

    /** Every packet of the finite universe. */
    public static List<Packet> universe() {
        List<Packet> out = new ArrayList<>();
        for (Family f : Family.values()) {
            List<Ip> hosts = f == Family.IPV4 ? V4_HOSTS : V6_HOSTS;
            for (Ip s : hosts) {
                for (Ip d : hosts) {
                    for (int proto : UNIVERSE_PROTOS) {
                        out.add(new Packet(f, s, d, proto, 0, 0, Set.of(), 0, 0, true));
                        if (proto == 6 || proto == 17) {
                            for (int sp : UNIVERSE_PORTS) {
                                for (int dp : UNIVERSE_PORTS) {
                                    if (proto == 17) {
                                        out.add(new Packet(f, s, d, proto, sp, dp, Set.of(), 0, 0, false));
                                    } else {
                                        out.add(new Packet(f, s, d, proto, sp, dp, EnumSet.of(TcpFlag.SYN), 0, 0, false));
                                        out.add(new Packet(f, s, d, proto, sp, dp, EnumSet.of(TcpFlag.ACK), 0, 0, false));
                                    }
                                }
                            }
                        } else if (proto == 1 && f == Family.IPV4 || proto == 58 && f == Family.IPV6) {
                            for (int t : UNIVERSE_TYPES) {
                                for (int c = 0; c < 3; c++) out.add(new Packet(f, s, d, proto, 0, 0, Set.of(), t, c, false));
                            }
                        } else {
                            out.add(new Packet(f, s, d, proto, 0, 0, Set.of(), 0, 0, false));
                        }
                    }
                }
            }
        }
        return out;
    }
}
