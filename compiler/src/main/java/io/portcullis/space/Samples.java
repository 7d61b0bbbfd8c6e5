package io.portcullis.space;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Test packets for a policy: a witness of every rule's match and of the packets it alone decides, boundary packets
 * (the first and last address of every prefix and the ones just outside, the ends of every port range and just
 * outside), and seeded random packets biased towards the policy's own prefixes and ports.
 */
public final class Samples {
    private Samples() {}

    public static List<Packet> of(ResolvedPolicy policy, int randomCount, long seed) {
        Set<Packet> out = new LinkedHashSet<>();
        PacketSpace space = new PacketSpace();
        Bdd bdd = space.bdd();
        int earlier = Bdd.FALSE;
        List<Prefix> prefixes = new ArrayList<>();
        List<Integer> ports = new ArrayList<>(List.of(0, 1, 22, 53, 80, 443, 1023, 1024, 65535));
        for (ResolvedRule r : policy.rules()) {
            int m = space.match(r.match());
            addIfPresent(out, space.witness(m));
            addIfPresent(out, space.witness(bdd.diff(m, earlier)));
            earlier = bdd.or(earlier, m);
            Packet w = space.witness(m);
            collect(r.match(), prefixes, ports);
            if (w != null) boundaries(out, w, r.match());
        }
        Random random = new Random(seed);
        for (int i = 0; i < randomCount; i++) out.add(random(random, prefixes, ports));
        // An IPv6 packet's protocol is the one after its extension headers (LANGUAGE.md), so it is never hop-by-hop,
        // routing, fragment, destination options or AH: such a Packet has no frame (one built from it is a header
        // chain, which the parser reads on), and the evaluator's verdict for it would be wrong for any frame.
        out.removeIf(p -> p.family() == Family.IPV6 && ProtoClause.ipv6ExtensionHeader(p.proto()) != null);
        return List.copyOf(out);
    }

    private static void addIfPresent(Set<Packet> out, Packet p) {
        if (p != null) out.add(p);
    }

    private static void collect(RuleMatch m, List<Prefix> prefixes, List<Integer> ports) {
        prefixes.addAll(m.src().prefixes());
        prefixes.addAll(m.dst().prefixes());
        for (ProtoClause c : m.protos()) {
            if (c.dports() != null) portEnds(c.dports(), ports);
        }
        if (m.sports() != null) portEnds(m.sports(), ports);
    }

    private static void portEnds(PortSet ps, List<Integer> ports) {
        for (PortSet.Range r : ps.ranges()) {
            for (int p : new int[] {r.lo() - 1, r.lo(), r.hi(), r.hi() + 1}) if (p >= 0 && p <= 65535) ports.add(p);
        }
    }

    /** Variations of {@code w} at the edges of each prefix and port range of the match. */
    private static void boundaries(Set<Packet> out, Packet w, RuleMatch m) {
        for (Ip ip : edges(m.src(), w.family())) out.add(with(w, ip, w.dst(), w.sport(), w.dport()));
        for (Ip ip : edges(m.dst(), w.family())) out.add(with(w, w.src(), ip, w.sport(), w.dport()));
        if (w.hasPorts()) {
            List<Integer> ps = new ArrayList<>();
            for (ProtoClause c : m.protos()) if (c.dports() != null) portEnds(c.dports(), ps);
            for (int p : ps) out.add(with(w, w.src(), w.dst(), w.sport(), p));
            if (m.sports() != null) {
                List<Integer> ss = new ArrayList<>();
                portEnds(m.sports(), ss);
                for (int p : ss) out.add(with(w, w.src(), w.dst(), p, w.dport()));
            }
            if (w.isTcp()) {
                out.add(new Packet(w.family(), w.src(), w.dst(), w.proto(), w.sport(), w.dport(),
                        EnumSet.of(TcpFlag.ACK), 0, 0, false));
                out.add(new Packet(w.family(), w.src(), w.dst(), w.proto(), w.sport(), w.dport(),
                        EnumSet.of(TcpFlag.RST), 0, 0, false));
            }
        }
        if (w.hasPorts() || w.isIcmp()) {
            out.add(new Packet(w.family(), w.src(), w.dst(), w.proto(), 0, 0, Set.of(), 0, 0, true));
        }
    }

    private static List<Ip> edges(AddrSet s, Family f) {
        List<Ip> out = new ArrayList<>();
        BigInteger max = BigInteger.ONE.shiftLeft(f.bits()).subtract(BigInteger.ONE);
        for (Prefix p : s.prefixes(f)) {
            for (BigInteger v : new BigInteger[] {p.first().subtract(BigInteger.ONE), p.first(), p.last(),
                    p.last().add(BigInteger.ONE)}) {
                if (v.signum() >= 0 && v.compareTo(max) <= 0) out.add(Ip.fromBigInteger(f, v));
            }
            if (out.size() > 64) break;
        }
        return out;
    }

    private static Packet with(Packet w, Ip src, Ip dst, int sport, int dport) {
        return new Packet(w.family(), src, dst, w.proto(), sport, dport, w.flags(), w.icmpType(), w.icmpCode(),
                w.nonFirstFragment());
    }

    private static Packet random(Random r, List<Prefix> prefixes, List<Integer> ports) {
        Family f = r.nextInt(3) == 0 ? Family.IPV6 : Family.IPV4;
        Ip src = address(r, f, prefixes), dst = address(r, f, prefixes);
        int kind = r.nextInt(10);
        boolean frag = r.nextInt(12) == 0;
        int proto = switch (kind) {
            case 0, 1, 2, 3 -> ProtoClause.TCP;
            case 4, 5, 6 -> ProtoClause.UDP;
            case 7, 8 -> f == Family.IPV4 ? ProtoClause.ICMP : ProtoClause.ICMPV6;
            default -> f == Family.IPV4 ? new int[] {47, 50, 132, 0}[r.nextInt(4)] : new int[] {47, 50, 132, 253}[r.nextInt(4)];
        };
        boolean hasPorts = !frag && (proto == ProtoClause.TCP || proto == ProtoClause.UDP);
        boolean icmp = !frag && (proto == ProtoClause.ICMP || proto == ProtoClause.ICMPV6);
        Set<TcpFlag> flags = Set.of();
        if (proto == ProtoClause.TCP && !frag) {
            EnumSet<TcpFlag> fs = EnumSet.noneOf(TcpFlag.class);
            for (TcpFlag t : TcpFlag.values()) if (r.nextInt(3) == 0) fs.add(t);
            flags = fs;
        }
        int sport = hasPorts ? port(r, ports) : 0, dport = hasPorts ? port(r, ports) : 0;
        int type = icmp ? new int[] {0, 3, 8, 11, 1, 2, 128, 129, 135, 136}[r.nextInt(10)] : 0;
        int code = icmp ? r.nextInt(5) : 0;
        return new Packet(f, src, dst, proto, sport, dport, flags, type, code, frag);
    }

    private static int port(Random r, List<Integer> ports) {
        return r.nextBoolean() ? ports.get(r.nextInt(ports.size())) : r.nextInt(65536);
    }

    private static Ip address(Random r, Family f, List<Prefix> prefixes) {
        List<Prefix> mine = prefixes.stream().filter(p -> p.family() == f).toList();
        BigInteger v = new BigInteger(f.bits(), r);
        if (!mine.isEmpty() && r.nextInt(4) != 0) {
            Prefix p = mine.get(r.nextInt(mine.size()));
            BigInteger size = BigInteger.ONE.shiftLeft(f.bits() - p.length());
            v = p.first().add(v.mod(size));
        }
        return Ip.fromBigInteger(f, v);
    }
}
