package io.portcullis.report;

import io.portcullis.ir.Assertion;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.PortSet;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PolicySets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The segmentation matrix of one policy: for each pair of named networks (and "any"), which services new connections
 * from the first to the second may use, computed exactly with the packet-set engine.
 *
 * <p>"New connections" are whole (or first-fragment) packets: TCP without ACK or RST, and any UDP, ICMP or other
 * protocol packet. The services are the elementary classes the policy's own rules can tell apart: for TCP and UDP the
 * destination-port intervals between every port boundary a rule names, for ICMP and ICMPv6 each type a rule names and
 * "other types", each other protocol a rule names, and "other protocols". Within one class every rule treats every
 * packet alike except by addresses, source port and TCP flags, so for each pair and class the allowed set is computed
 * exactly: a class is listed as <em>full</em> when every such packet between the two networks is allowed, and as
 * <em>partial</em> when only some are (some addresses or source ports).
 */
public final class Segmentation {
    private Segmentation() {}

    /** A network of the matrix: its name (or "any") and addresses. */
    public record Net(String name, AddrSet addresses) {}

    /** One service of a cell, e.g. {@code tcp 80-443}, and whether every packet of it between the pair is allowed. */
    public record Service(String label, boolean full, Packet example) {}

    public record Cell(List<Service> services) {
        public boolean isEmpty() { return services.isEmpty(); }
        public boolean allFull() { return services.stream().allMatch(Service::full); }
    }

    /** {@code cells[i][j]}: from {@code networks[i]} to {@code networks[j]}. */
    public record Matrix(List<Net> networks, Cell[][] cells, int classes) {}

    private record Cls(String proto, int lo, int hi, String label, int set) {}

    /** At most this many networks (plus "any") are shown; the rest are left out of the matrix, and the page says so. */
    public static final int MAX_NETWORKS = 24;

    public static Matrix compute(ResolvedPolicy policy, List<Net> named) {
        List<Net> nets = new ArrayList<>(named.subList(0, Math.min(named.size(), MAX_NETWORKS)));
        nets.add(new Net("any", AddrSet.any()));
        PacketSpace space = new PacketSpace();
        Bdd bdd = space.bdd();
        PolicySets sets = new PolicySets(space, policy);
        List<Cls> classes = classes(policy, space);
        Cell[][] cells = new Cell[nets.size()][nets.size()];
        for (int i = 0; i < nets.size(); i++) {
            for (int j = 0; j < nets.size(); j++) {
                RuleMatch pair = new RuleMatch(nets.get(i).addresses(), nets.get(j).addresses(), null,
                        List.of(ProtoClause.anyProtocol()), TcpState.ANY);
                int pairSet = space.match(pair);
                int allowed = sets.allowedWithin(pairSet, sets.overlapping(pair), 0);
                List<Service> services = new ArrayList<>();
                Cls runStart = null;
                Cls runEnd = null;
                boolean runFull = false;
                Packet runExample = null;
                for (Cls c : classes) {
                    int all = bdd.and(pairSet, c.set());
                    int ok = all == Bdd.FALSE ? Bdd.FALSE : bdd.and(allowed, c.set());
                    boolean some = ok != Bdd.FALSE;
                    boolean full = some && ok == all;
                    boolean extend = some && runStart != null && runFull == full && c.proto().equals(runStart.proto())
                            && c.lo() >= 0 && runEnd.hi() + 1 == c.lo();
                    if (extend) {
                        runEnd = c;
                        continue;
                    }
                    if (runStart != null) services.add(service(runStart, runEnd, runFull, runExample));
                    runStart = some ? c : null;
                    runEnd = runStart;
                    runFull = full;
                    runExample = some ? space.witness(ok) : null;
                }
                if (runStart != null) services.add(service(runStart, runEnd, runFull, runExample));
                cells[i][j] = new Cell(mergeIcmp(services));
            }
        }
        return new Matrix(List.copyOf(nets), cells, classes.size());
    }

    /** ICMP types of one protocol and status become one service: {@code icmpv6 neighbor-solicitation, neighbor-advertisement}. */
    private static List<Service> mergeIcmp(List<Service> in) {
        List<Service> out = new ArrayList<>();
        for (Service s : in) {
            String proto = s.label().startsWith("icmpv6 ") ? "icmpv6" : s.label().startsWith("icmp ") ? "icmp" : null;
            int at = -1;
            if (proto != null) {
                for (int k = 0; k < out.size(); k++) {
                    Service o = out.get(k);
                    if (o.full() == s.full() && o.label().startsWith(proto + " ")) at = k;
                }
            }
            if (at < 0) {
                out.add(s);
            } else {
                Service o = out.get(at);
                out.set(at, new Service(o.label() + ", " + s.label().substring(proto.length() + 1), o.full(), o.example()));
            }
        }
        return List.copyOf(out);
    }

    private static Service service(Cls first, Cls last, boolean full, Packet example) {
        if (first.lo() < 0) return new Service(first.label(), full, example);
        String ports = first.lo() == last.hi() ? String.valueOf(first.lo()) : first.lo() + "-" + last.hi();
        if (first.lo() == 0 && last.hi() == 65535) ports = "any port";
        return new Service(first.proto() + " " + ports, full, example);
    }

    /** The elementary service classes of the policy, in a fixed order. */
    private static List<Cls> classes(ResolvedPolicy policy, PacketSpace space) {
        Bdd bdd = space.bdd();
        List<RuleMatch> matches = new ArrayList<>();
        for (ResolvedRule r : policy.rules()) matches.add(r.match());
        for (Assertion a : policy.asserts()) matches.add(a.match());
        TreeSet<Integer> tcpCuts = new TreeSet<>(List.of(0, 65536)), udpCuts = new TreeSet<>(List.of(0, 65536));
        TreeSet<Integer> icmpTypes = new TreeSet<>(), icmp6Types = new TreeSet<>(), others = new TreeSet<>();
        for (RuleMatch m : matches) {
            for (ProtoClause c : m.protos()) {
                if (c.dports() != null && (c.proto() == ProtoClause.TCP || c.proto() == ProtoClause.UDP)) {
                    TreeSet<Integer> cuts = c.proto() == ProtoClause.TCP ? tcpCuts : udpCuts;
                    for (PortSet.Range r : c.dports().ranges()) {
                        cuts.add(r.lo());
                        cuts.add(r.hi() + 1);
                    }
                }
                if (c.isIcmp() && c.icmpType() >= 0) (c.family() == Family.IPV4 ? icmpTypes : icmp6Types).add(c.icmpType());
                if (c.proto() >= 0 && c.proto() != ProtoClause.TCP && c.proto() != ProtoClause.UDP && !c.isIcmp()) {
                    others.add(c.proto());
                }
            }
        }
        List<Cls> out = new ArrayList<>();
        ports(out, space, "tcp", ProtoClause.TCP, tcpCuts);
        ports(out, space, "udp", ProtoClause.UDP, udpCuts);
        icmp(out, space, "icmp", ProtoClause.ICMP, Family.IPV4, icmpTypes);
        icmp(out, space, "icmpv6", ProtoClause.ICMPV6, Family.IPV6, icmp6Types);
        int named = Bdd.FALSE;
        for (int p : List.of(ProtoClause.TCP, ProtoClause.UDP)) named = bdd.or(named, proto(space, p, null));
        named = bdd.or(named, proto(space, ProtoClause.ICMP, Family.IPV4));
        named = bdd.or(named, proto(space, ProtoClause.ICMPV6, Family.IPV6));
        for (int p : others) {
            int s = proto(space, p, null);
            out.add(new Cls("proto " + p, -1, -1, "proto " + p, s));
            named = bdd.or(named, s);
        }
        out.add(new Cls("other", -1, -1, "other protocols", bdd.not(named)));
        return out;
    }

    private static void ports(List<Cls> out, PacketSpace space, String name, int proto, TreeSet<Integer> cuts) {
        Integer prev = null;
        for (int cut : cuts) {
            if (prev != null) {
                PortSet ps = PortSet.of(prev, cut - 1);
                RuleMatch m = new RuleMatch(AddrSet.any(), AddrSet.any(), null, List.of(new ProtoClause(proto, null, ps, -1, -1)),
                        proto == ProtoClause.TCP ? TcpState.NEW : TcpState.ANY);
                out.add(new Cls(name, prev, cut - 1, name + " " + ps, space.match(m)));
            }
            prev = cut;
        }
    }

    private static void icmp(List<Cls> out, PacketSpace space, String name, int proto, Family f, TreeSet<Integer> types) {
        Bdd bdd = space.bdd();
        int all = space.match(new RuleMatch(AddrSet.all(f), AddrSet.all(f), null,
                List.of(new ProtoClause(proto, f, null, -1, -1)), TcpState.ANY));
        int rest = all;
        for (int t : types) {
            int s = space.match(new RuleMatch(AddrSet.all(f), AddrSet.all(f), null,
                    List.of(new ProtoClause(proto, f, null, t, -1)), TcpState.ANY));
            out.add(new Cls(name + " type " + t, -1, -1, name + " " + io.portcullis.resolve.IcmpNames.typeName(f, t), s));
            rest = bdd.diff(rest, s);
        }
        out.add(new Cls(name, -1, -1, types.isEmpty() ? name : name + " (other types)", rest));
    }

    private static int proto(PacketSpace space, int proto, Family f) {
        AddrSet a = f == null ? AddrSet.any() : AddrSet.all(f);
        return space.match(new RuleMatch(a, a, null, List.of(new ProtoClause(proto, f, null, -1, -1)), TcpState.ANY));
    }
}
