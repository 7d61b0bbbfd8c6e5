package io.portcullis.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The atom table (coordinate compression) and the compressed packet space against the bit-level one. */
class AtomsTest {
    static Prefix p(String s) {
        String[] a = s.split("/");
        return new Prefix(Ip.parse(a[0]).orElseThrow(), Integer.parseInt(a[1]));
    }

    static Ip ip(String s) { return Ip.parse(s).orElseThrow(); }

    @Test
    void ipv4TableRoundTripsAndBoundaries() {
        Atoms a = Atoms.builder().prefix(p("10.0.0.0/8")).prefix(p("10.1.2.3/32")).prefix(p("255.255.255.255/32")).build();
        Atoms.Table t = a.addresses(Family.IPV4);
        // 0, 10.0.0.0, 10.1.2.3, 10.1.2.4, 11.0.0.0, 255.255.255.255 (no boundary past the top)
        assertEquals(6, t.count());
        String[] starts = {"0.0.0.0", "10.0.0.0", "10.1.2.3", "10.1.2.4", "11.0.0.0", "255.255.255.255"};
        for (int k = 0; k < starts.length; k++) {
            Ip s = ip(starts[k]);
            assertEquals(k, t.index(s.hi(), s.lo()), starts[k]);
            assertEquals(s.lo(), t.startLo(k));
            assertTrue(t.isBoundary(s.hi(), s.lo()));
        }
        assertEquals(1, t.index(0, ip("10.1.2.2").lo()));
        assertEquals(4, t.index(0, ip("255.255.255.254").lo()));
        assertFalse(t.isBoundary(0, ip("10.1.2.2").lo()));
        assertTrue(t.endsAt(1, 0, ip("10.1.2.2").lo()));
        assertTrue(t.endsAt(2, 0, ip("10.1.2.3").lo()));
        assertTrue(t.endsAt(5, 0, 0xFFFFFFFFL));
        assertFalse(t.wide(2));
        assertFalse(t.wide(5));
        assertTrue(t.wide(1));
        assertEquals(1, a.addresses(Family.IPV6).count(), "no IPv6 boundary: one atom");
    }

    @Test
    void ipv6TableCarriesAcrossTheHalves() {
        Atoms a = Atoms.builder().prefix(p("2001:db8::/64")).prefix(p("2001:db8:0:1::/65"))
                .prefix(p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")).prefix(p("::/0"))
                .prefix(p("2001:db8:0:2:ffff:ffff:ffff:ffff/128")).build();
        Atoms.Table t = a.addresses(Family.IPV6);
        for (String s : new String[] {"::", "2001:db8::", "2001:db8:0:1::", "2001:db8:0:1:8000::",
                "2001:db8:0:2:ffff:ffff:ffff:ffff", "2001:db8:0:3::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
            Ip x = ip(s);
            assertTrue(t.isBoundary(x.hi(), x.lo()), s);
            assertEquals(x, Ip.v6(t.startHi(t.index(x.hi(), x.lo())), t.startLo(t.index(x.hi(), x.lo()))));
        }
        assertEquals(7, t.count());
        Ip inside = ip("2001:db8:0:1:7fff::1");
        assertEquals(2, t.index(inside.hi(), inside.lo()));
        Ip end = ip("2001:db8:0:1:7fff:ffff:ffff:ffff");
        assertTrue(t.endsAt(2, end.hi(), end.lo()));
        assertTrue(t.endsAt(6, -1L, -1L));
    }

    @Test
    void portTable() {
        Atoms a = Atoms.builder().ports(PortSet.of(22, 22)).ports(1024, 65535).build();
        Atoms.Table t = a.ports();
        assertEquals(4, t.count()); // 0-21, 22, 23-1023, 1024-65535
        assertEquals(0, t.index(0, 21));
        assertEquals(1, t.index(0, 22));
        assertEquals(2, t.index(0, 1023));
        assertEquals(3, t.index(0, 65535));
        assertTrue(t.endsAt(3, 0, 65535));
        assertTrue(t.endsAt(2, 0, 1023));
    }

    @Test
    void runsMergeContiguousPrefixes() {
        AddrSet outside = AddrSet.of(p("0.0.0.0/0")).minus(AddrSet.of(p("10.0.0.0/8")));
        List<long[]> runs = Atoms.runs(outside, Family.IPV4);
        assertEquals(2, runs.size());
        assertEquals(ip("9.255.255.255").lo(), runs.get(0)[3]);
        assertEquals(ip("11.0.0.0").lo(), runs.get(1)[1]);
        assertEquals(0xFFFFFFFFL, runs.get(1)[3]);
    }

    @Test
    void compressedSpaceRefusesBoundariesOutsideItsTable() {
        PacketSpace s = PacketSpace.compressed(Atoms.builder().prefix(p("10.0.0.0/8")));
        RuleMatch other = new RuleMatch(AddrSet.of(p("192.168.0.0/16")), AddrSet.any(), null,
                List.of(ProtoClause.anyProtocol()), TcpState.ANY);
        assertThrows(IllegalStateException.class, () -> s.match(other));
        RuleMatch port = new RuleMatch(AddrSet.any(), AddrSet.any(), null,
                List.of(new ProtoClause(6, null, PortSet.of(8080, 8080), -1, -1)), TcpState.ANY);
        assertThrows(IllegalStateException.class, () -> s.match(port));
    }

    private static final List<Prefix> POOL = List.of(p("0.0.0.0/0"), p("10.0.0.0/8"), p("10.1.0.0/16"), p("10.1.2.0/24"),
            p("10.1.2.2/31"), p("10.1.2.3/32"), p("10.1.2.4/32"), p("192.0.2.0/24"), p("198.51.100.0/24"),
            p("198.51.100.0/32"), p("255.255.255.255/32"), p("0.0.0.0/32"), p("::/0"), p("2001:db8::/32"),
            p("2001:db8::/64"), p("2001:db8:0:1::/65"), p("2001:db8::2/128"), p("2001:db8::3/128"), p("fe80::/10"),
            p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"));
    private static final int[] PORTS = {0, 1, 22, 80, 443, 1023, 1024, 40000, 65535};

    private static AddrSet addrs(Random r) {
        AddrSet s = AddrSet.EMPTY;
        for (int k = 1 + r.nextInt(2); k > 0; k--) s = s.union(AddrSet.of(POOL.get(r.nextInt(POOL.size()))));
        if (r.nextInt(4) == 0) s = s.minus(AddrSet.of(POOL.get(r.nextInt(POOL.size()))));
        return s;
    }

    private static PortSet ports(Random r) {
        int a = PORTS[r.nextInt(PORTS.length)], b = PORTS[r.nextInt(PORTS.length)];
        return PortSet.of(Math.min(a, b), Math.max(a, b));
    }

    private static RuleMatch match(Random r) {
        List<ProtoClause> cs = new ArrayList<>();
        switch (r.nextInt(4)) {
            case 0 -> cs.add(ProtoClause.anyProtocol());
            case 1 -> cs.add(new ProtoClause(6, null, ports(r), -1, -1));
            case 2 -> cs.add(new ProtoClause(17, null, r.nextBoolean() ? null : ports(r), -1, -1));
            default -> cs.add(new ProtoClause(58, Family.IPV6, null, 135, -1));
        }
        TcpState st = cs.get(0).proto() == 6 && r.nextBoolean() ? TcpState.NEW : TcpState.ANY;
        return new RuleMatch(addrs(r), addrs(r), r.nextInt(5) == 0 ? ports(r) : null, cs, st);
    }

    /** Addresses at and around every boundary of the pool, in both families. */
    private static List<Ip> probes(Family f) {
        List<Ip> out = new ArrayList<>();
        for (Prefix q : POOL) {
            if (q.family() != f) continue;
            long[] last = Atoms.last(q);
            out.add(q.address());
            out.add(new Ip(f, last[0], last[1]));
            if (!Atoms.isMax(f, last[0], last[1])) out.add(Atoms.next(f, last[0], last[1]));
            if (q.address().lo() != 0) out.add(new Ip(f, q.address().hi(), q.address().lo() - 1));
        }
        return out;
    }

    @Test
    void compressedSpaceAgreesWithBitLevelSpaceOnMembershipAndWitnesses() {
        Random r = new Random(20261125);
        for (int round = 0; round < 30; round++) {
            List<RuleMatch> ms = new ArrayList<>();
            for (int k = 0; k < 8; k++) ms.add(match(r));
            Atoms.Builder b = Atoms.builder();
            ms.forEach(b::match);
            PacketSpace c = PacketSpace.compressed(b), raw = new PacketSpace();
            for (int k = 0; k < ms.size(); k++) {
                RuleMatch m = ms.get(k), o = ms.get((k + 1) % ms.size());
                assertEquals(raw.witness(raw.match(m)), c.witness(c.match(m)), "witness of " + m);
                int rd = raw.bdd().diff(raw.match(m), raw.match(o)), cd = c.bdd().diff(c.match(m), c.match(o));
                assertEquals(raw.witness(rd), c.witness(cd), "witness of " + m + " minus " + o);
                assertEquals(rd == Bdd.FALSE, cd == Bdd.FALSE);
                for (Family f : Family.values()) {
                    List<Ip> ips = probes(f);
                    for (int n = 0; n < 40; n++) {
                        Ip s = ips.get(r.nextInt(ips.size())), d = ips.get(r.nextInt(ips.size()));
                        int sp = PORTS[r.nextInt(PORTS.length)] + (r.nextBoolean() ? 0 : 1) & 0xFFFF;
                        int dp = PORTS[r.nextInt(PORTS.length)];
                        Packet p = r.nextBoolean()
                                ? new Packet(f, s, d, 6, sp, dp, EnumSet.of(r.nextBoolean() ? TcpFlag.SYN : TcpFlag.ACK), 0, 0, false)
                                : new Packet(f, s, d, 17, sp, dp, Set.of(), 0, 0, false);
                        boolean want = Evaluator.matches(m, p);
                        assertEquals(want, c.bdd().intersects(c.packet(p), c.match(m)), p + " in " + m);
                        assertEquals(want, c.bdd().subset(c.packet(p), c.match(m)), p + " within " + m);
                    }
                }
            }
        }
    }
}
