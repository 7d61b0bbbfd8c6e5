package io.portcullis.check;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Span;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpState;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PolicySets;
import java.util.ArrayList;
import java.util.List;

/**
 * The unsafe-policy catalogue, computed on packet sets rather than on syntax: what the policy lets through (or
 * blocks) is decided exactly, then attributed to the rule (or the default) that decides a witness packet, so that a
 * waiver on that rule accepts it.
 */
public final class Unsafe {
    private Unsafe() {}

    /** Sources that cannot come from outside: RFC 1918, loopback, link-local, and IPv6 ULA, link-local, loopback. */
    public static final AddrSet PRIVATE = addrs("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
            "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128");

    /** Shorter source prefixes than these (other than the whole family) are broad-source. */
    static final int BROAD_V4 = 8, BROAD_V6 = 32;

    public static List<Diagnostic> check(PolicySets sets) {
        return check(sets, CheckConfig.DEFAULTS);
    }

    public static List<Diagnostic> check(PolicySets sets, CheckConfig config) {
        return check(sets, config, sets.space());
    }

    /** As {@link #check(PolicySets, CheckConfig)}, building sets in {@code space}: the sets' space or a view of it on an overlay. */
    static List<Diagnostic> check(PolicySets sets, CheckConfig config, PacketSpace space) {
        return new Run(sets, config, space).run();
    }

    private static AddrSet addrs(String... prefixes) {
        AddrSet s = AddrSet.EMPTY;
        for (String p : prefixes) {
            String[] a = p.split("/");
            s = s.union(AddrSet.of(new Prefix(Ip.parse(a[0]).orElseThrow(), Integer.parseInt(a[1]))));
        }
        return s;
    }

    /** Every address and port boundary the checks below build sets from, beyond those of the rules themselves. */
    static void boundaries(ResolvedPolicy policy, CheckConfig config, io.portcullis.space.Atoms.Builder b) {
        b.addresses(PRIVATE).addresses(LINK_LOCAL).ports(config.adminPorts()).ports(PROBE_PORT, PROBE_PORT);
        // allow-all and broad-source build sets from single broad prefixes of a rule's addresses.
        for (ResolvedRule r : policy.rules()) {
            for (AddrSet s : List.of(r.match().src(), r.match().dst())) {
                for (Family f : Family.values()) {
                    int limit = f == Family.IPV4 ? BROAD_V4 : BROAD_V6;
                    for (Prefix p : s.prefixes(f)) if (p.length() <= limit) b.prefix(p);
                }
            }
        }
    }

    private static final int PROBE_PORT = 61000;
    private static final AddrSet LINK_LOCAL = addrs("fe80::/10");

    private static final class Run {
        final PolicySets sets;
        final CheckConfig config;
        final PacketSpace space;
        final Bdd bdd;
        final ResolvedPolicy policy;
        final List<Diagnostic> out = new ArrayList<>();

        Run(PolicySets sets, CheckConfig config, PacketSpace space) {
            this.sets = sets;
            this.config = config;
            this.space = space;
            this.bdd = space.bdd();
            this.policy = sets.policy();
        }

        List<Diagnostic> run() {
            // Each check keeps packets, not sets, so the nodes it makes are released after it (see Bdd#release).
            scoped(this::defaultAllow);
            for (ResolvedRule r : policy.rules()) {
                if (r.action() != Action.ALLOW || sets.decided(r.index()) == Bdd.FALSE) continue;
                scoped(() -> allowAll(r));
                scoped(() -> broadSource(r));
            }
            scoped(this::exposedAdminPorts);
            scoped(this::dualStackBypass);
            scoped(this::ndpBlocked);
            return out;
        }

        private void scoped(Runnable check) {
            int mark = bdd.mark();
            check.run();
            bdd.release(mark);
        }

        private void defaultAllow() {
            if (policy.defaultAction() != Action.ALLOW) return;
            // A witness that reaches the default, looked for in a few small slices (a high TCP or UDP port, an
            // unusual protocol, each family) rather than in the complement of every rule, which is large for large policies.
            Packet w = null;
            for (Family f : Family.values()) {
                for (ProtoClause c : List.of(new ProtoClause(ProtoClause.TCP, null, PortSet.of(PROBE_PORT, PROBE_PORT), -1, -1),
                        new ProtoClause(ProtoClause.UDP, null, PortSet.of(PROBE_PORT, PROBE_PORT), -1, -1),
                        new ProtoClause(253, null, null, -1, -1))) {
                    RuleMatch probe = new RuleMatch(AddrSet.all(f), AddrSet.all(f), null, List.of(c), TcpState.ANY);
                    w = space.witness(walk(space.match(probe), probe).toDefault());
                    if (w != null) break;
                }
                if (w != null) break;
            }
            if (w == null) { // rare: the probes are all covered; decide exactly whether anything reaches the default
                RuleMatch all = new RuleMatch(AddrSet.any(), AddrSet.any(), null, List.of(ProtoClause.anyProtocol()), TcpState.ANY);
                w = space.witness(walk(Bdd.TRUE, all).toDefault());
                if (w == null) return;
            }
            out.add(finding(null, Codes.DEFAULT_ALLOW, "policy '" + policy.name()
                            + "' allows every packet that no rule matches (default allow)",
                    "prefer `default deny;` with explicit allows; for a deliberate deny-list, waive default-allow", w));
        }

        /** An allow of every protocol and port between two /8-or-broader (IPv6: /32) blocks. */
        private void allowAll(ResolvedRule r) {
            int m = sets.match(r.index());
            for (Family f : Family.values()) {
                int limit = f == Family.IPV4 ? BROAD_V4 : BROAD_V6;
                for (Prefix src : r.match().src().prefixes(f)) {
                    if (src.length() > limit) continue;
                    for (Prefix dst : r.match().dst().prefixes(f)) {
                        if (dst.length() > limit) continue;
                        int block = space.match(new RuleMatch(AddrSet.of(src), AddrSet.of(dst), null,
                                List.of(ProtoClause.anyProtocol()), TcpState.ANY));
                        if (!bdd.subset(block, m)) continue;
                        out.add(finding(r, Codes.ALLOW_ALL, "rule " + quoted(r) + " allows every protocol and port"
                                        + " from " + show(src) + " to " + show(dst),
                                "allow only the services that are needed, or narrow the addresses",
                                space.witness(bdd.and(block, sets.decided(r.index())))));
                        return;
                    }
                }
            }
        }

        private static String show(Prefix p) { return p.length() == 0 ? (p.family() == Family.IPV4 ? "any4" : "any6") : p.toString(); }

        /**
         * An allow from a source prefix shorter than /8 (IPv6 /32) that is not "any": sets that cover at least three
         * quarters of their family (any minus private or bogon ranges, say) read as any, and prefixes inside the
         * private and link-local ranges are local by nature.
         */
        private void broadSource(ResolvedRule r) {
            for (Family f : Family.values()) {
                AddrSet src = r.match().src().only(f);
                if (src.isEmpty() || anyLike(src, f)) continue;
                int limit = f == Family.IPV4 ? BROAD_V4 : BROAD_V6;
                for (Prefix p : src.prefixes(f)) {
                    if (p.length() >= limit || AddrSet.of(p).minus(PRIVATE).isEmpty()) continue;
                    int region = bdd.and(sets.decided(r.index()),
                            space.match(new RuleMatch(AddrSet.of(p), AddrSet.any(), null, List.of(ProtoClause.anyProtocol()), TcpState.ANY)));
                    Packet w = space.witness(region);
                    if (w == null) continue;
                    out.add(finding(r, Codes.BROAD_SOURCE, "rule " + quoted(r) + " allows from " + p
                                    + ", a source prefix broader than /" + limit,
                            "name the sources you mean; write `any` if every source is really intended", w));
                    return;
                }
            }
        }

        /** The set holds at least three quarters of the addresses of its family. */
        private static boolean anyLike(AddrSet s, Family f) {
            java.math.BigInteger size = java.math.BigInteger.ZERO;
            for (Prefix p : s.prefixes(f)) size = size.add(p.last().subtract(p.first()).add(java.math.BigInteger.ONE));
            return size.shiftLeft(2).compareTo(java.math.BigInteger.valueOf(3).shiftLeft(f.bits())) >= 0;
        }

        /** New connections from outside the private ranges that reach an administrative or data port. */
        private void exposedAdminPorts() {
            AddrSet outside = AddrSet.any().minus(PRIVATE);
            PortSet ports = config.adminPorts();
            RuleMatch tcpNew = new RuleMatch(outside, AddrSet.any(), null,
                    List.of(new ProtoClause(ProtoClause.TCP, null, ports, -1, -1)), TcpState.NEW);
            RuleMatch udp = new RuleMatch(outside, AddrSet.any(), null,
                    List.of(new ProtoClause(ProtoClause.UDP, null, ports, -1, -1)), TcpState.ANY);
            int exposed = bdd.or(space.match(tcpNew), space.match(udp));
            RuleMatch outsideMatch = new RuleMatch(outside, AddrSet.any(), null, List.of(ProtoClause.anyProtocol()), TcpState.ANY);
            // The exposed packets a rule decides are its decided set's share of them: only the allow rules are asked
            // (a first-match walk through every rule would visit the deny rules too, building a set for each), match
            // first, since a match is a small diagram where a decided set can be a large one.
            for (int j : sets.overlapping(outsideMatch)) {
                ResolvedRule r = policy.rules().get(j);
                if (r.action() != Action.ALLOW || sets.decided(j) == Bdd.FALSE) continue;
                if (!bdd.intersects(sets.match(j), exposed) || !bdd.intersects(sets.decided(j), exposed)) continue;
                Packet w = space.witness(bdd.and(sets.decided(j), exposed));
                out.add(finding(r, Codes.EXPOSED_ADMIN_PORT, "rule " + quoted(r) + " lets new connections from"
                                + " outside the private ranges reach " + (w.isTcp() ? "tcp" : "udp") + " port " + w.dport()
                                + ", an administrative or data port",
                        "allow it only from the networks that administer it (a bastion, the office), or waive it with"
                                + " the reason", w));
            }
            Packet w = policy.defaultAction() == Action.ALLOW ? space.witness(walk(exposed, outsideMatch).toDefault()) : null;
            if (w != null) {
                out.add(finding(null, Codes.EXPOSED_ADMIN_PORT, "the default of policy '" + policy.name() + "' lets new"
                                + " connections from outside the private ranges reach port " + w.dport()
                                + ", an administrative or data port",
                        "deny the administrative ports explicitly, or make the default deny", w));
            }
        }

        /**
         * The dual-stack bypass: a deny of some kind of traffic between any addresses of one family, while the same
         * kind of traffic in the other family is allowed by the default.
         */
        private void dualStackBypass() {
            if (policy.defaultAction() != Action.ALLOW) return;
            for (ResolvedRule r : policy.rules()) {
                if (r.action() != Action.DENY || sets.match(r.index()) == Bdd.FALSE) continue;
                RuleMatch m = r.match();
                for (Family f : Family.values()) {
                    Family other = f == Family.IPV4 ? Family.IPV6 : Family.IPV4;
                    boolean restrictsF = !m.src().isEmpty(f) && !m.dst().isEmpty(f);
                    boolean coversOther = !m.src().isEmpty(other) && !m.dst().isEmpty(other);
                    if (!restrictsF || coversOther) continue;
                    if (!broad(m.src(), f) || !broad(m.dst(), f)) continue;
                    List<ProtoClause> same = sameKindIn(m.protos(), other);
                    if (same.isEmpty()) continue; // e.g. an IPv6 extension header: no such traffic in IPv6
                    RuleMatch kind = new RuleMatch(AddrSet.all(other), AddrSet.all(other), m.sports(), same, m.state());
                    Packet w = space.witness(walk(space.match(kind), kind).toDefault());
                    if (w == null) continue;
                    out.add(finding(r, Codes.IPV6_OPEN, "rule " + quoted(r) + " denies this traffic over "
                                    + (f == Family.IPV4 ? "IPv4" : "IPv6") + ", but the same traffic over "
                                    + (other == Family.IPV4 ? "IPv4" : "IPv6") + " is allowed by the default",
                            "deny it for both families (use `any` rather than `any4`/IPv4 prefixes), or deny the other"
                                    + " family by default", w));
                    break;
                }
            }
        }

        /** Broad enough to be "this kind of traffic" rather than some hosts': any, or nearly all, of the family. */
        private boolean broad(AddrSet s, Family f) { return anyLike(s, f); }

        /**
     * The same protocol clauses in the other family (ICMP and ICMPv6 map onto each other only by "any type"); empty when
     * none has a counterpart there (a protocol limited to one family, such as an IPv6 extension header number).
     */
        private static List<ProtoClause> sameKindIn(List<ProtoClause> clauses, Family other) {
            List<ProtoClause> out = new ArrayList<>();
            for (ProtoClause c : clauses) {
                if (c.family() == null) {
                    out.add(c);
                } else if (c.isIcmp()) {
                    out.add(new ProtoClause(other == Family.IPV4 ? ProtoClause.ICMP : ProtoClause.ICMPV6, other, null, -1, -1));
                }
            }
            return out;
        }

        /**
         * Neighbour discovery (NS, NA, and RA from link-local sources) and packet-too-big must get through. One
         * finding per rule (or default) that denies some of them, naming every type it denies.
         */
        private void ndpBlocked() {
            String[] names = {"neighbor-solicitation", "neighbor-advertisement", "router-advertisement", "packet-too-big"};
            int[] types = {135, 136, 134, 2};
            AddrSet linkLocal = LINK_LOCAL;
            java.util.Map<Integer, List<Integer>> byDecider = new java.util.TreeMap<>();
            java.util.Map<Integer, Packet> witnesses = new java.util.HashMap<>();
            // Packet-too-big matters for the destinations the policy serves: those its IPv6 allow rules (other than ICMP) reach.
            AddrSet served = AddrSet.EMPTY;
            for (ResolvedRule r : policy.rules()) {
                boolean carriesFlows = r.match().protos().stream().anyMatch(c -> !c.isIcmp());
                boolean v6 = !r.match().src().isEmpty(Family.IPV6);
                if (r.action() == Action.ALLOW && carriesFlows && v6) served = served.union(r.match().dst().only(Family.IPV6));
            }
            if (policy.defaultAction() == Action.ALLOW) served = AddrSet.all(Family.IPV6);
            for (int k = 0; k < types.length; k++) {
                AddrSet src = types[k] == 134 ? linkLocal : AddrSet.all(Family.IPV6);
                AddrSet dst = types[k] == 2 ? served : AddrSet.all(Family.IPV6);
                if (dst.isEmpty()) continue;
                int needed = space.match(new RuleMatch(src, dst, null,
                        List.of(new ProtoClause(ProtoClause.ICMPV6, Family.IPV6, null, types[k], -1)), TcpState.ANY));
                RuleMatch neededMatch = new RuleMatch(src, dst, null,
                        List.of(new ProtoClause(ProtoClause.ICMPV6, Family.IPV6, null, types[k], -1)), TcpState.ANY);
                Walk walk = walk(needed, neededMatch);
                int denied = policy.defaultAction() == Action.DENY ? walk.toDefault() : Bdd.FALSE;
                for (ResolvedRule r : policy.rules()) {
                    if (r.action() == Action.DENY && walk.decided()[r.index()] != Bdd.FALSE) {
                        denied = bdd.or(denied, walk.decided()[r.index()]);
                    }
                }
                Packet w = space.witness(denied);
                if (w == null) continue;
                int by = decider(w);
                byDecider.computeIfAbsent(by, x -> new ArrayList<>()).add(k);
                witnesses.putIfAbsent(by, w);
            }
            for (java.util.Map.Entry<Integer, List<Integer>> e : byDecider.entrySet()) {
                ResolvedRule r = e.getKey() < 0 ? null : policy.rules().get(e.getKey());
                List<String> denied = e.getValue().stream().map(k -> names[k]).toList();
                boolean onlyPtb = e.getValue().equals(List.of(3));
                out.add(finding(r, Codes.NDP_BLOCKED, "ICMPv6 " + String.join(", ", denied) + " "
                                + (denied.size() == 1 ? "is" : "are") + " denied (by "
                                + (r == null ? "the default" : "rule " + quoted(r)) + "), which breaks IPv6 "
                                + (onlyPtb ? "path MTU discovery" : "neighbour discovery"),
                        "allow icmpv6 type { " + String.join(", ", denied) + " } to any6 (router advertisements from"
                                + " fe80::/10), above " + (r == null ? "the default" : quoted(r)),
                        witnesses.get(e.getKey())));
            }
        }

        /**
         * First match restricted to {@code slice}: for each rule (in order) the part of the slice it decides, and
         * what reaches the default. Only rules whose addresses can meet the slice are visited, and every set stays
         * inside the slice, so this is cheap where the policy-wide sets would be large.
         */
        private Walk walk(int slice, RuleMatch sliceMatch) {
            int[] decidedHere = new int[policy.rules().size()];
            int rest = slice;
            for (int j : sets.overlapping(sliceMatch)) {
                if (rest == Bdd.FALSE) break;
                // A rule that decides nothing has its match inside the earlier ones, all taken out of rest already.
                if (sets.decided(j) == Bdd.FALSE || !bdd.intersects(rest, sets.match(j))) continue;
                int hit = bdd.and(rest, sets.match(j));
                decidedHere[j] = hit;
                rest = bdd.diff(rest, hit);
            }
            return new Walk(decidedHere, rest);
        }

        /** {@code decided[j]}: the slice's packets rule j decides (0 = none); {@code toDefault}: what no rule matches. */
        private record Walk(int[] decided, int toDefault) {}

        /**
         * The rule that decides {@code p} (-1: the default), as {@link Evaluator#evaluate} finds it, but trying only
         * the rules whose addresses contain the packet's (ascending), not every rule.
         */
        private int decider(Packet p) {
            for (int j : sets.containing(p)) if (Evaluator.matches(policy.rules().get(j).match(), p)) return j;
            return -1;
        }

        /** A finding on a rule (or, with {@code r} null, on the policy's default). */
        private Diagnostic finding(ResolvedRule r, String code, String message, String help, Packet witness) {
            Span span = r != null ? r.span() : (policy.defaultSpan() != null ? policy.defaultSpan() : policy.span());
            List<Diagnostic.Related> related = new ArrayList<>();
            if (witness != null) {
                int by = decider(witness);
                related.add(by < 0
                        ? new Diagnostic.Related(null, policy.defaultSpan() == null ? 0 : policy.defaultSpan().line(), -1,
                                "default " + policy.defaultAction().label())
                        : new Diagnostic.Related(policy.rules().get(by).label(),
                                policy.rules().get(by).span().line(), by,
                                policy.rules().get(by).action().label() + " "
                                        + policy.rules().get(by).displayName()));
            }
            return new Diagnostic(code, Codes.defaultSeverity(code), span, message, help, policy.name(),
                    r == null ? null : r.label(), related, witness, null);
        }
    }

    /** A rule as messages name it: its label in quotes, or #N for an unlabelled rule (as the consistency checks do). */
    static String quoted(io.portcullis.ir.ResolvedRule r) {
        return r.label() != null ? "'" + r.label() + "'" : "#" + (r.index() + 1);
    }
}
