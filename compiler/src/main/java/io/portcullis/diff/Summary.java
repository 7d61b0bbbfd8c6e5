package io.portcullis.diff;

import io.portcullis.ir.Family;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Describes a packet set as one match in policy syntax, built from the exact projections of the set on each field.
 * The match always holds the whole set; when it holds more (the set is not a product of its projections, or a
 * projection is too fragmented to list) the summary says "within".
 */
final class Summary {
    /** Protocol lists longer than this are summarised as any protocol. */
    private static final int MAX_PROTOCOLS = 6;
    /** Address lists longer than this are shortened in the text (the match itself stays exact). */
    private static final int MAX_SHOWN_PREFIXES = 6;

    private final PacketSpace space;
    private final Bdd bdd;
    private final Layout layout;
    private final Projection projection;
    private final int tcpNonFrag, tcpEstablished, tcpNew, portBearing;

    Summary(PacketSpace space) {
        this.space = space;
        this.bdd = space.bdd();
        this.layout = new Layout(space);
        this.projection = new Projection(bdd);
        tcpEstablished = space.match(new RuleMatch(AddrSet.any(), AddrSet.any(), null,
                List.of(new ProtoClause(ProtoClause.TCP, null, null, -1, -1)), TcpState.ESTABLISHED));
        tcpNew = space.match(new RuleMatch(AddrSet.any(), AddrSet.any(), null,
                List.of(new ProtoClause(ProtoClause.TCP, null, null, -1, -1)), TcpState.NEW));
        tcpNonFrag = bdd.or(tcpEstablished, tcpNew);
        portBearing = space.match(new RuleMatch(AddrSet.any(), AddrSet.any(), null,
                List.of(new ProtoClause(ProtoClause.TCP, null, PortSet.ALL, -1, -1),
                        new ProtoClause(ProtoClause.UDP, null, PortSet.ALL, -1, -1)), TcpState.ANY));
    }

    PacketSpace space() { return space; }

    /** The text and whether it is exact. */
    record Text(String text, boolean exact, RuleMatch match) {}

    Text describe(int set) {
        RuleMatch m = match(set);
        int covered = space.match(m);
        if (!bdd.subset(set, covered)) {
            // Cannot happen if the projections are right; keep the summary honest rather than wrong.
            m = new RuleMatch(AddrSet.any(), AddrSet.any(), null, List.of(ProtoClause.anyProtocol()), TcpState.ANY);
            covered = Bdd.TRUE;
        }
        boolean exact = covered == set;
        String text = render(m);
        return new Text(exact ? text : "within " + text, exact, m);
    }

    /** The match built from the projections; it holds {@code set} (the randomized test checks that). */
    RuleMatch match(int set) {
        AddrSet src = AddrSet.EMPTY, dst = AddrSet.EMPTY;
        for (Family f : Family.values()) {
            int part = bdd.and(set, space.family(f));
            if (part == Bdd.FALSE) continue;
            src = src.union(addresses(part, layout.src[f.ordinal()], f));
            dst = dst.union(addresses(part, layout.dst[f.ordinal()], f));
        }
        BitSet protos = projection.values(projection.project(set, layout.proto), layout.proto);
        List<ProtoClause> clauses = new ArrayList<>();
        if (protos.cardinality() == 256 || protos.cardinality() > MAX_PROTOCOLS) {
            clauses.add(ProtoClause.anyProtocol());
        } else {
            for (int p = protos.nextSetBit(0); p >= 0; p = protos.nextSetBit(p + 1)) clauses.add(clause(set, p));
        }
        PortSet sports = null;
        if (bdd.subset(set, portBearing)) {
            PortSet s = projection.ports(projection.project(set, layout.sport), layout.sport);
            if (s != null && !s.isAll()) sports = s;
        }
        TcpState state = TcpState.ANY;
        if (bdd.subset(set, tcpNonFrag)) {
            if (bdd.subset(set, tcpEstablished)) state = TcpState.ESTABLISHED;
            else if (bdd.subset(set, tcpNew)) state = TcpState.NEW;
        }
        return new RuleMatch(src, dst, sports, clauses, state);
    }

    private AddrSet addresses(int part, Layout.Field field, Family f) {
        int projected = projection.project(part, field);
        AddrSet s = projection.addresses(projected, field, f);
        return s != null ? s : projection.enclosing(projected, field, f);
    }

    private ProtoClause clause(int set, int proto) {
        int part = bdd.and(set, space.match(new RuleMatch(AddrSet.any(), AddrSet.any(), null,
                List.of(new ProtoClause(proto, null, null, -1, -1)), TcpState.ANY)));
        if (proto == ProtoClause.TCP || proto == ProtoClause.UDP) {
            PortSet d = projection.ports(projection.project(part, layout.dport), layout.dport);
            return new ProtoClause(proto, null, d == null || d.isAll() ? null : d, -1, -1);
        }
        Family icmpFamily = proto == ProtoClause.ICMP ? Family.IPV4 : proto == ProtoClause.ICMPV6 ? Family.IPV6 : null;
        if (icmpFamily != null && bdd.subset(part, space.family(icmpFamily))) {
            BitSet types = projection.values(projection.project(part, layout.icmpType), layout.icmpType);
            BitSet codes = projection.values(projection.project(part, layout.icmpCode), layout.icmpCode);
            int type = types.cardinality() == 1 ? types.nextSetBit(0) : -1;
            int code = type >= 0 && codes.cardinality() == 1 ? codes.nextSetBit(0) : -1;
            return new ProtoClause(proto, icmpFamily, null, type, code);
        }
        return new ProtoClause(proto, null, null, -1, -1);
    }

    /** The match in policy syntax: {@code [PROTO] from SRC [port P] to DST [port P] [established|new] [type T [code C]]}. */
    static String render(RuleMatch m) {
        StringBuilder sb = new StringBuilder();
        List<ProtoClause> cs = m.protos();
        PortSet sharedPorts = cs.get(0).dports();
        boolean samePorts = cs.stream().allMatch(c -> java.util.Objects.equals(c.dports(), sharedPorts)
                && c.icmpType() < 0 && c.icmpCode() < 0);
        boolean single = cs.size() == 1;
        if (single && cs.get(0).proto() < 0) {
            // any protocol: nothing written
        } else if (single || samePorts) {
            List<String> names = new ArrayList<>();
            for (ProtoClause c : cs) names.add(protoName(c));
            sb.append(names.size() == 1 ? names.get(0) : "{ " + String.join(", ", names) + " }").append(' ');
        } else {
            List<String> items = new ArrayList<>();
            for (ProtoClause c : cs) items.add(service(c));
            sb.append("{ ").append(String.join(", ", items)).append(" } ");
        }
        sb.append("from ").append(addrs(m.src(), m.dst()));
        if (m.sports() != null) sb.append(" port ").append(m.sports());
        sb.append(" to ").append(addrs(m.dst(), m.src()));
        if ((single || samePorts) && sharedPorts != null) sb.append(" port ").append(sharedPorts);
        if (m.state() == TcpState.ESTABLISHED) sb.append(" established");
        if (m.state() == TcpState.NEW) sb.append(" new");
        if (single && cs.get(0).icmpType() >= 0) {
            sb.append(" type ").append(cs.get(0).icmpType());
            if (cs.get(0).icmpCode() >= 0) sb.append(" code ").append(cs.get(0).icmpCode());
        }
        return sb.toString();
    }

    private static String protoName(ProtoClause c) {
        if (c.proto() == ProtoClause.TCP) return "tcp";
        if (c.proto() == ProtoClause.UDP) return "udp";
        if (c.proto() == ProtoClause.ICMP && c.family() == Family.IPV4) return "icmp";
        if (c.proto() == ProtoClause.ICMPV6 && c.family() == Family.IPV6) return "icmpv6";
        return "proto " + c.proto();
    }

    /** A clause in service syntax, for protocol lists whose clauses differ: {@code tcp 22}, {@code icmp type 8}. */
    private static String service(ProtoClause c) {
        StringBuilder sb = new StringBuilder(protoName(c));
        if (c.dports() != null) sb.append(' ').append(c.dports());
        if (c.icmpType() >= 0) sb.append(" type ").append(c.icmpType());
        if (c.icmpCode() >= 0) sb.append(" code ").append(c.icmpCode());
        return sb.toString();
    }

    /** {@code any} for a whole family when the other side already fixes the family, as a rule author would write it. */
    private static String addrs(AddrSet s, AddrSet other) {
        for (Family f : Family.values()) {
            Family g = f == Family.IPV4 ? Family.IPV6 : Family.IPV4;
            if (s.equals(AddrSet.all(f)) && other.isEmpty(g) && !other.isEmpty(f)) return "any";
        }
        // "any except X" reads better than the many prefixes that make up most of an address space.
        AddrSet space = AddrSet.EMPTY;
        for (Family f : Family.values()) if (!s.isEmpty(f)) space = space.union(AddrSet.all(f));
        AddrSet rest = space.minus(s);
        if (!rest.isEmpty() && rest.prefixes().size() < s.prefixes().size()) {
            String any;
            if (!s.isEmpty(Family.IPV4) && !s.isEmpty(Family.IPV6)) any = "any";
            else if (other.equals(other.only(s.isEmpty(Family.IPV4) ? Family.IPV6 : Family.IPV4))) any = "any";
            else any = s.isEmpty(Family.IPV4) ? "any6" : "any4";
            return any + " except " + addrs(rest, other);
        }
        List<Prefix> all = s.prefixes();
        boolean any4 = s.isAll(Family.IPV4), any6 = s.isAll(Family.IPV6);
        if (any4 || any6 || all.size() <= MAX_SHOWN_PREFIXES) return s.toString();
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < MAX_SHOWN_PREFIXES - 1; i++) shown.add(all.get(i).toString());
        shown.add("... " + (all.size() - shown.size()) + " more");
        return "{ " + String.join(", ", shown) + " }";
    }
}
