package io.portcullis.bpf.lower;

import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.Target;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A seeded generator of large ACL-like policies, loosely after ClassBench's ACL seeds: destination prefixes drawn
 * from a few hundred /16 "sites" (lengths 16-32, most of them long), sources often wildcard or a site prefix, TCP or
 * UDP with a well-known port, the ephemeral range or any port, and a tenth of the rules IPv6. Packets are drawn
 * inside random rules (so late rules decide some of them) and at random.
 */
final class RuleGen {
    private static final int[] WELL_KNOWN = {22, 25, 53, 80, 110, 123, 143, 161, 389, 443, 445, 636, 993, 995, 1433,
            3306, 3389, 5432, 6379, 8080, 8443, 9090, 9200, 11211};

    private final Random rnd;
    private final long[] sites = new long[256];

    RuleGen(long seed) {
        rnd = new Random(seed);
        for (int i = 0; i < sites.length; i++) sites[i] = ((long) (rnd.nextInt(223) + 1) << 24) | ((long) rnd.nextInt(256) << 16);
    }

    static ResolvedPolicy policy(int n, long seed, Target target) {
        return new RuleGen(seed).build(n, target);
    }

    ResolvedPolicy build(int n, Target target) {
        List<RuleMatch> ms = new ArrayList<>();
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ms.add(rule());
            actions.add(rnd.nextInt(3) == 0 ? Action.DENY : Action.ALLOW);
        }
        return Policies.policy("gen" + n, target, Action.DENY, Action.ALLOW, ms, actions);
    }

    private RuleMatch rule() {
        boolean v6 = rnd.nextInt(10) == 0;
        int kind = rnd.nextInt(10);
        // A wildcard destination only with a protocol: a rule matching everything would end the policy early.
        AddrSet dst = kind < 9 && rnd.nextInt(50) == 0 ? any(v6) : AddrSet.of(prefix(v6, 16 + rnd.nextInt(17)));
        AddrSet src = rnd.nextInt(2) == 0 ? any(v6) : AddrSet.of(prefix(v6, 8 + rnd.nextInt(25)));
        ProtoClause c;
        PortSet dports = switch (rnd.nextInt(10)) {
            case 0, 1, 2 -> null;
            case 3 -> PortSet.of(1024, 65535);
            default -> {
                int port = WELL_KNOWN[rnd.nextInt(WELL_KNOWN.length)];
                yield PortSet.of(port, port);
            }
        };
        if (kind < 6) c = new ProtoClause(ProtoClause.TCP, null, dports, -1, -1);
        else if (kind < 9) c = new ProtoClause(ProtoClause.UDP, null, dports, -1, -1);
        else c = ProtoClause.anyProtocol();
        PortSet sports = rnd.nextInt(10) == 0 ? PortSet.of(1024, 65535) : null;
        TcpState state = kind < 6 && rnd.nextInt(8) == 0 ? TcpState.ESTABLISHED : TcpState.ANY;
        return new RuleMatch(src, dst, sports, List.of(c), state);
    }

    private static AddrSet any(boolean v6) { return AddrSet.all(v6 ? Family.IPV6 : Family.IPV4); }

    private Prefix prefix(boolean v6, int len) {
        long site = sites[rnd.nextInt(sites.length)];
        if (!v6) {
            return new Prefix(Prefix.network(Ip.v4(site | (rnd.nextLong() & 0xffffL)), len), len);
        }
        // IPv6: the site in the first 32 bits under 2001:db8::/32-like space, the rest random; lengths 48-128.
        int l6 = Math.min(128, 32 + len * 3);
        long hi = 0x2001_0db8_0000_0000L ^ (site << 0) ^ (rnd.nextLong() & 0xffffffffL);
        long lo = rnd.nextLong();
        Ip ip = Ip.v6(hi, lo);
        return new Prefix(Prefix.network(ip, l6), l6);
    }

    /** A packet inside rule {@code r}'s match (not necessarily decided by it), or at random. */
    Packet packet(ResolvedPolicy p) {
        RuleMatch m = p.rules().get(rnd.nextInt(p.rules().size())).match();
        Family f = m.dst().isEmpty(Family.IPV4) ? Family.IPV6 : Family.IPV4;
        Ip src = inside(m.src(), f), dst = inside(m.dst(), f);
        int proto = rnd.nextInt(8) == 0 ? 47 : rnd.nextBoolean() ? ProtoClause.TCP : ProtoClause.UDP;
        ProtoClause c = m.protos().get(0);
        if (c.proto() >= 0 && rnd.nextInt(4) != 0) proto = c.proto();
        int dport = c.dports() != null && rnd.nextInt(4) != 0 ? c.dports().ranges().get(0).lo() : rnd.nextInt(65536);
        int sport = rnd.nextInt(65536);
        Set<TcpFlag> flags = proto == ProtoClause.TCP ? (rnd.nextBoolean() ? Set.of(TcpFlag.ACK) : Set.of(TcpFlag.SYN)) : Set.of();
        if (proto != ProtoClause.TCP && proto != ProtoClause.UDP) { sport = 0; dport = 0; }
        return new Packet(f, src, dst, proto, sport, dport, flags, 0, 0, false);
    }

    private Ip inside(AddrSet s, Family f) {
        List<Prefix> ps = s.prefixes(f);
        Prefix pf = ps.get(rnd.nextInt(ps.size()));
        if (rnd.nextInt(6) == 0) {
            // Just outside or anywhere: boundary-ish.
            pf = new Prefix(Prefix.network(pf.address(), Math.max(0, pf.length() - 1)), Math.max(0, pf.length() - 1));
        }
        if (f == Family.IPV4) {
            long span = pf.length() == 0 ? 0xffffffffL : (1L << (32 - pf.length())) - 1;
            return Ip.v4(pf.address().lo() + (span == 0 ? 0 : Math.floorMod(rnd.nextLong(), span + 1)));
        }
        int len = pf.length();
        long hi = pf.address().hi(), lo = pf.address().lo();
        if (len < 64) hi |= rnd.nextLong() & (-1L >>> len);
        if (len < 128) lo |= rnd.nextLong() & (len <= 64 ? -1L : (-1L >>> (len - 64)));
        return Ip.v6(hi, lo);
    }
}
