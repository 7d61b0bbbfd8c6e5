package io.portcullis.resolve;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Severity;
import io.portcullis.diag.Span;
import io.portcullis.ir.Action;
import io.portcullis.ir.Assertion;
import io.portcullis.ir.Expect;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.RuleMatch;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.ir.Waiver;
import io.portcullis.model.Ast;
import io.portcullis.net.AddrSet;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Name resolution over all files of one run: one namespace per kind (networks, services, policies, guards).
 * Produces the resolved IR; every problem is a diagnostic, and a policy with a resolution error is left out of the
 * result (its other findings would be noise).
 */
final class Resolver {
    private final List<Ast.PolicyFile> files;
    private final List<Diagnostic> diagnostics;
    private final Map<String, Ast.NetworkDef> networks = new LinkedHashMap<>();
    private final Map<String, Ast.ServiceDef> services = new LinkedHashMap<>();
    private final Map<String, AddrSet> networkValues = new HashMap<>();
    private final Map<String, List<ProtoClause>> serviceValues = new HashMap<>();
    private final List<String> resolving = new ArrayList<>();
    /** Definitions that already failed: they report once, not at every use. */
    private final java.util.Set<String> failed = new java.util.HashSet<>();
    /** Names referenced anywhere ("network x", "service y"), for unused-definition findings. */
    private final java.util.Set<String> used = new java.util.HashSet<>();
    /** Networks the policy being resolved names directly (for reports); null outside a policy. */
    private Set<String> policyRefs;
    /** The networks each policy names directly; a set, since every network asks every policy (a list made that quadratic). */
    private final Map<String, Set<String>> networksByPolicy = new LinkedHashMap<>();
    private int errors;

    private final Set<io.portcullis.diag.SourceFile> broken;
    private final Limits limits;
    private final Set<String> depthReported = new java.util.HashSet<>();

    Resolver(List<Ast.PolicyFile> files, List<Diagnostic> diagnostics, Set<io.portcullis.diag.SourceFile> broken,
             Limits limits) {
        this.files = files;
        this.diagnostics = diagnostics;
        this.broken = broken;
        this.limits = limits;
    }

    /**
     * The per-run limits are checked before anything is resolved, so that one error replaces the run; a run that
     * resolved half its input would report findings about a selection nobody chose.
     */
    private boolean withinRunLimits() {
        long definitions = 0, policies = 0, rules = 0;
        for (Ast.PolicyFile f : files) {
            for (Ast.NetworkDef n : f.networks()) {
                if (++definitions > limits.definitionsPerRun()) return overRun(n.nameSpan(), "defines more than "
                        + Limits.count(limits.definitionsPerRun()) + " networks and services", "definitions-per-run",
                        "check fewer files at a time, or merge definitions into lists");
            }
            for (Ast.ServiceDef sv : f.services()) {
                if (++definitions > limits.definitionsPerRun()) return overRun(sv.nameSpan(), "defines more than "
                        + Limits.count(limits.definitionsPerRun()) + " networks and services", "definitions-per-run",
                        "check fewer files at a time, or merge definitions into lists");
            }
        }
        for (Ast.PolicyFile f : files) {
            List<Span> heads = new ArrayList<>();
            for (Ast.PolicyDef p : f.policies()) heads.add(p.nameSpan());
            for (Ast.GuardDef g : f.guards()) heads.add(g.nameSpan());
            heads.sort(java.util.Comparator.comparingInt(Span::line).thenComparingInt(Span::column));
            for (Span at : heads) {
                if (++policies > limits.policiesPerRun()) return overRun(at, "has more than "
                        + Limits.count(limits.policiesPerRun()) + " policies and guards", "policies-per-run",
                        "check fewer files at a time, or merge small policies");
            }
        }
        for (Ast.PolicyFile f : files) {
            for (Ast.PolicyDef p : f.policies()) {
                for (Ast.PolicyItem item : p.items()) {
                    if (item instanceof Ast.RuleStmt && ++rules > limits.rulesPerRun()) {
                        return overRun(item.span(), "has more than " + Limits.count(limits.rulesPerRun())
                                + " rules in all its policies", "rules-per-run", "check fewer policies at a time");
                    }
                }
            }
        }
        return true;
    }

    private boolean overRun(Span at, String what, String name, String help) {
        errors++;
        diagnostics.add(Limits.error(at, "this run " + what + "; this is the first one past the limit, and nothing was "
                + "checked", name, help));
        return false;
    }

    Loader.LoadResult resolve() {
        Map<String, Ast.PolicyDef> policies = new LinkedHashMap<>();
        Map<String, Ast.GuardDef> guards = new LinkedHashMap<>();
        if (!withinRunLimits()) return new Loader.LoadResult(List.of(), List.of(), List.copyOf(diagnostics));
        for (Ast.PolicyFile f : files) {
            for (Ast.NetworkDef n : f.networks()) define(networks, n.name(), n, n.nameSpan(), "network", networks.get(n.name()) == null ? null : networks.get(n.name()).nameSpan());
            for (Ast.ServiceDef s : f.services()) define(services, s.name(), s, s.nameSpan(), "service", services.get(s.name()) == null ? null : services.get(s.name()).nameSpan());
            for (Ast.PolicyDef p : f.policies()) define(policies, p.name(), p, p.nameSpan(), "policy", policies.get(p.name()) == null ? null : policies.get(p.name()).nameSpan());
            for (Ast.GuardDef g : f.guards()) define(guards, g.name(), g, g.nameSpan(), "guard", guards.get(g.name()) == null ? null : guards.get(g.name()).nameSpan());
        }
        for (Ast.NetworkDef n : networks.values()) network(n.name(), null);
        for (Ast.ServiceDef s : services.values()) service(s.name(), null);

        List<ResolvedGuard> rguards = new ArrayList<>();
        for (Ast.GuardDef g : guards.values()) {
            int before = errors;
            List<Assertion> asserts = new ArrayList<>();
            if (g.asserts().size() > limits.propertiesPerPolicy()) {
                error(g.asserts().get(limits.propertiesPerPolicy()).span(), "guard '" + g.name() + "' has more than "
                        + Limits.count(limits.propertiesPerPolicy()) + " asserts", "properties-per-policy",
                        "split it into several guards");
                continue;
            }
            for (Ast.AssertStmt a : g.asserts()) {
                RuleMatch m = match(a.match());
                if (m != null) asserts.add(new Assertion(a.action(), m, a.span(), a.text()));
            }
            if (errors == before && !broken.contains(g.span().file())) {
                rguards.add(new ResolvedGuard(g.name(), asserts, g.span()));
            }
        }
        List<ResolvedPolicy> rpolicies = new ArrayList<>();
        for (Ast.PolicyDef p : policies.values()) {
            int before = errors;
            policyRefs = new java.util.LinkedHashSet<>();
            ResolvedPolicy rp = policy(p);
            if (rp != null && errors == before && !broken.contains(p.span().file())) {
                rpolicies.add(rp);
                networksByPolicy.put(p.name(), policyRefs);
            }
            policyRefs = null;
        }
        unused(networks, "network");
        unused(services, "service");
        List<Loader.NamedNetwork> named = new ArrayList<>();
        for (Ast.NetworkDef n : networks.values()) {
            AddrSet v = networkValues.get(n.name());
            if (v == null) continue;
            List<String> by = new ArrayList<>();
            for (Map.Entry<String, Set<String>> e : networksByPolicy.entrySet()) if (e.getValue().contains(n.name())) by.add(e.getKey());
            named.add(new Loader.NamedNetwork(n.name(), v, n.nameSpan(), List.copyOf(by)));
        }
        return new Loader.LoadResult(List.copyOf(rpolicies), List.copyOf(rguards), List.copyOf(diagnostics), List.copyOf(named));
    }

    private void unused(Map<String, ?> defs, String kind) {
        for (Map.Entry<String, ?> e : defs.entrySet()) {
            if (used.contains(kind + " " + e.getKey())) continue;
            Span at = e.getValue() instanceof Ast.NetworkDef n ? n.nameSpan() : ((Ast.ServiceDef) e.getValue()).nameSpan();
            String code = kind.equals("network") ? Codes.UNUSED_NETWORK : Codes.UNUSED_SERVICE;
            diagnostics.add(Diagnostic.of(code, Codes.defaultSeverity(code), at,
                    kind + " '" + e.getKey() + "' is defined but never used",
                    "delete it, or use it in a rule; unused definitions hide mistakes such as a misspelled name"));
        }
    }

    private <T> void define(Map<String, T> map, String name, T def, Span span, String kind, Span previous) {
        if (previous != null) {
            error(Codes.DUPLICATE, span, kind + " '" + name + "' is defined twice (first at " + previous.location() + ")",
                    "rename one of them; " + kind + " names share one namespace across all files checked together");
            return;
        }
        map.put(name, def);
    }

    private void error(String code, Span span, String message, String help) {
        errors++;
        diagnostics.add(Diagnostic.error(code, span, message, help));
    }

    /** A {@code limit} error. */
    private void error(Span span, String message, String name, String help) {
        errors++;
        diagnostics.add(Limits.error(span, message, name, help));
    }

    // ---- networks ----

    private AddrSet network(String name, Span usedAt) {
        if (usedAt != null) used.add("network " + name);
        if (usedAt != null && policyRefs != null && resolving.isEmpty()) policyRefs.add(name);
        AddrSet done = networkValues.get(name);
        if (done != null || failed.contains("network " + name)) return done;
        Ast.NetworkDef def = networks.get(name);
        if (def == null) {
            error(Codes.UNDEFINED, usedAt, "network '" + name + "' is not defined",
                    "define it with `network " + name + " = ...;` or import the file that defines it");
            return null;
        }
        String key = "network " + name;
        if (resolving.contains(key)) {
            error(Codes.CYCLE, usedAt, "network '" + name + "' is defined in terms of itself: "
                    + String.join(" -> ", resolving.subList(resolving.indexOf(key), resolving.size())) + " -> " + key,
                    "break the cycle: a network may only refer to networks that do not refer back to it");
            return null;
        }
        if (resolving.size() >= limits.definitionDepth()) {
            depthError(usedAt, "network", name);
            return null;
        }
        resolving.add(key);
        AddrSet v = addrs(def.value());
        resolving.remove(resolving.size() - 1);
        if (v != null) networkValues.put(name, v);
        else failed.add(key);
        return v;
    }

    /** Resolution recurses once per level of names, so a long chain of names would otherwise end in a stack overflow. */
    private void depthError(Span usedAt, String kind, String name) {
        // A chain thousands of names long would otherwise report again every definitionDepth names.
        if (!depthReported.add(kind)) {
            errors++;
            return;
        }
        error(usedAt, "this reference to " + kind + " '" + name + "' is more than "
                        + Limits.count(limits.definitionDepth()) + " " + kind + "s deep: " + resolving.get(0) + " -> ... -> "
                        + resolving.get(resolving.size() - 1) + " -> " + kind + " " + name, "definition-depth",
                "refer to the innermost " + kind + "s directly instead of through a long chain of names");
    }

    private AddrSet addrs(Ast.AddrExpr e) {
        if (e == null) return AddrSet.any();
        AddrSet inc = items(e.include());
        AddrSet exc = e.except() == null ? AddrSet.EMPTY : items(e.except());
        if (inc == null || exc == null) return null;
        AddrSet out = inc.minus(exc);
        // An except punches holes that each cost up to 2 x 128 prefixes, and the engine pays per prefix.
        long count = out.prefixCount(limits.prefixesPerSet() + 1L);
        if (count > limits.prefixesPerSet()) {
            error(e.span(), "these addresses flatten to more than " + Limits.count(limits.prefixesPerSet())
                            + " CIDR prefixes (each `except` hole splits the ranges around it)", "prefixes-per-set",
                    "list fewer exceptions, or exclude them with earlier deny rules instead of `except`");
            return null;
        }
        return out;
    }

    private AddrSet items(List<Ast.AddrItem> items) {
        // A balanced union: adding n items one by one re-sorts a growing list n times (quadratic on long lists).
        List<AddrSet> sets = new ArrayList<>(items.size());
        boolean ok = true;
        for (Ast.AddrItem it : items) {
            AddrSet s;
            if (it instanceof Ast.PrefixItem p) {
                s = AddrSet.of(p.prefix());
            } else if (it instanceof Ast.AnyItem a) {
                s = switch (a.kind()) {
                    case ANY -> AddrSet.any();
                    case ANY4 -> AddrSet.all(Family.IPV4);
                    case ANY6 -> AddrSet.all(Family.IPV6);
                };
            } else {
                Ast.NameItem n = (Ast.NameItem) it;
                s = network(n.name(), n.span());
            }
            if (s == null) ok = false;
            else sets.add(s);
        }
        if (!ok) return null;
        if (sets.isEmpty()) return AddrSet.EMPTY;
        while (sets.size() > 1) {
            List<AddrSet> next = new ArrayList<>((sets.size() + 1) / 2);
            for (int i = 0; i < sets.size(); i += 2) next.add(i + 1 < sets.size() ? sets.get(i).union(sets.get(i + 1)) : sets.get(i));
            sets = next;
        }
        return sets.get(0);
    }

    // ---- services ----

    private List<ProtoClause> service(String name, Span usedAt) {
        if (usedAt != null) used.add("service " + name);
        List<ProtoClause> done = serviceValues.get(name);
        if (done != null || failed.contains("service " + name)) return done;
        Ast.ServiceDef def = services.get(name);
        if (def == null) {
            error(Codes.UNDEFINED, usedAt, "service '" + name + "' is not defined",
                    "define it with `service " + name + " = tcp PORT;` or use tcp/udp/icmp/icmpv6/proto N");
            return null;
        }
        String key = "service " + name;
        if (resolving.contains(key)) {
            error(Codes.CYCLE, usedAt, "service '" + name + "' is defined in terms of itself: "
                    + String.join(" -> ", resolving.subList(resolving.indexOf(key), resolving.size())) + " -> " + key,
                    "break the cycle: a service may only refer to services that do not refer back to it");
            return null;
        }
        if (resolving.size() >= limits.definitionDepth()) {
            depthError(usedAt, "service", name);
            return null;
        }
        resolving.add(key);
        List<ProtoClause> out = new ArrayList<>();
        boolean ok = true;
        for (Ast.ServiceItem it : def.items()) {
            if (it instanceof Ast.TcpUdpItem t) {
                out.add(new ProtoClause(t.udp() ? ProtoClause.UDP : ProtoClause.TCP, null, ports(t.ports()), -1, -1));
            } else if (it instanceof Ast.IcmpItem i) {
                List<ProtoClause> cs = icmp(i.v6(), i.types(), i.code());
                if (cs == null) ok = false;
                else out.addAll(cs);
            } else if (it instanceof Ast.ProtoItem p) {
                out.add(ProtoClause.number(p.number(), null));
            } else if (it instanceof Ast.ServiceRef r) {
                List<ProtoClause> inner = service(r.name(), r.span());
                if (inner == null) ok = false;
                else out.addAll(inner);
            }
        }
        resolving.remove(resolving.size() - 1);
        if (!ok) {
            failed.add(key);
            return null;
        }
        List<ProtoClause> v = List.copyOf(out);
        serviceValues.put(name, v);
        return v;
    }

    private static PortSet ports(List<Ast.PortRange> rs) {
        if (rs == null) return null;
        List<PortSet.Range> out = new ArrayList<>();
        for (Ast.PortRange r : rs) out.add(new PortSet.Range(r.lo(), r.hi()));
        return PortSet.of(out);
    }

    /** One clause per type alternative (one clause for any type when {@code types} is null); null after an error. */
    private List<ProtoClause> icmp(boolean v6, List<Ast.IcmpValue> types, Ast.IcmpValue code) {
        Family f = v6 ? Family.IPV6 : Family.IPV4;
        int c = icmpValue(f, code, false);
        List<ProtoClause> out = new ArrayList<>();
        boolean ok = c != -2;
        for (Ast.IcmpValue type : types == null ? java.util.Collections.<Ast.IcmpValue>singletonList(null) : types) {
            int t = icmpValue(f, type, true);
            if (t == -2) ok = false;
            else out.add(new ProtoClause(v6 ? ProtoClause.ICMPV6 : ProtoClause.ICMP, f, null, t, c));
        }
        return ok ? List.copyOf(out) : null;
    }

    /** -1 when absent, -2 after an error. */
    private int icmpValue(Family f, Ast.IcmpValue v, boolean type) {
        if (v == null) return -1;
        if (!v.isNamed()) return v.number();
        Integer n = type ? IcmpNames.type(f, v.name()) : IcmpNames.code(f, v.name());
        if (n == null) {
            String proto = f == Family.IPV4 ? "icmp" : "icmpv6";
            Integer other = type ? IcmpNames.type(f == Family.IPV4 ? Family.IPV6 : Family.IPV4, v.name()) : null;
            error(Codes.UNDEFINED, v.span(), "unknown " + proto + " " + (type ? "type" : "code") + " '" + v.name() + "'"
                            + (other != null ? " (it is an " + (f == Family.IPV4 ? "icmpv6" : "icmp") + " type)" : ""),
                    "use a number, or one of: " + IcmpNames.known(f, type));
            return -2;
        }
        return n;
    }

    // ---- matches ----

    RuleMatch match(Ast.Match m) {
        int before = errors;
        AddrSet src = addrs(m.from());
        AddrSet dst = addrs(m.to());
        List<ProtoClause> clauses;
        Ast.Proto proto = m.proto();
        PortSet dports = ports(m.toPorts());
        PortSet sports = ports(m.fromPorts());
        if (proto == null) {
            clauses = List.of(ProtoClause.anyProtocol());
            if (dports != null || sports != null) {
                Span s = m.toPorts() != null ? m.toPorts().get(0).span() : m.fromPorts().get(0).span();
                error(Codes.BAD_MATCH, s, "a port needs a protocol", "write `tcp` or `udp` (or a service) before `from`");
            }
        } else {
            clauses = switch (proto.kind()) {
                case TCP -> List.of(new ProtoClause(ProtoClause.TCP, null, dports, -1, -1));
                case UDP -> List.of(new ProtoClause(ProtoClause.UDP, null, dports, -1, -1));
                case NUMBER -> List.of(ProtoClause.number(proto.number(),
                        proto.number() == ProtoClause.TCP || proto.number() == ProtoClause.UDP ? dports : null));
                case ICMP, ICMPV6 -> {
                    List<ProtoClause> cs = icmp(proto.kind() == Ast.ProtoKind.ICMPV6, m.types(), m.code());
                    yield cs == null ? List.of() : cs;
                }
                case SERVICE -> {
                    List<ProtoClause> s = service(proto.service(), proto.span());
                    if (s != null && dports != null) {
                        error(Codes.BAD_MATCH, m.toPorts().get(0).span(),
                                "service '" + proto.service() + "' already gives the destination ports",
                                "drop `port ...` after `to`, or use tcp/udp instead of the service");
                    }
                    yield s == null ? List.of() : s;
                }
            };
            boolean tcpUdp = clauses.stream().allMatch(c -> c.proto() == ProtoClause.TCP || c.proto() == ProtoClause.UDP);
            if (dports != null && proto.kind() != Ast.ProtoKind.SERVICE && !tcpUdp) {
                error(Codes.BAD_MATCH, m.toPorts().get(0).span(), "a port needs tcp or udp, not " + protoText(proto),
                        "remove `port ...`, or match tcp or udp");
            }
            if (sports != null && !tcpUdp) {
                error(Codes.BAD_MATCH, m.fromPorts().get(0).span(), "a source port needs tcp or udp, not " + protoText(proto),
                        "remove `port ...` after `from`, or match tcp or udp");
            }
        }
        if (m.state() != TcpState.ANY) {
            boolean tcp = proto != null && !clauses.isEmpty() && clauses.stream().allMatch(c -> c.proto() == ProtoClause.TCP);
            if (!tcp) {
                error(Codes.BAD_MATCH, m.stateSpan() != null ? m.stateSpan() : m.span(),
                        "`" + (m.state() == TcpState.ESTABLISHED ? "established" : "new") + "` needs tcp",
                        "match `tcp` (or a service that is only tcp) to use connection state");
            }
        }
        if ((m.types() != null || m.code() != null) && (proto == null
                || (proto.kind() != Ast.ProtoKind.ICMP && proto.kind() != Ast.ProtoKind.ICMPV6))) {
            error(Codes.BAD_MATCH, (m.types() != null ? m.types().get(0) : m.code()).span(), "`type` and `code` need icmp or icmpv6",
                    "match `icmp` or `icmpv6` to use a type");
        }
        if (errors != before || src == null || dst == null) return null;
        return new RuleMatch(src, dst, sports, clauses, m.state());
    }

    private static String protoText(Ast.Proto p) {
        return switch (p.kind()) {
            case TCP -> "tcp";
            case UDP -> "udp";
            case ICMP -> "icmp";
            case ICMPV6 -> "icmpv6";
            case NUMBER -> "proto " + p.number();
            case SERVICE -> "service '" + p.service() + "'";
        };
    }

    // ---- policies ----

    private ResolvedPolicy policy(Ast.PolicyDef p) {
        Action def = null;
        Span defSpan = null;
        Action nonIp = null;
        Span nonIpSpan = null;
        List<ResolvedRule> rules = new ArrayList<>();
        List<Expect> expects = new ArrayList<>();
        List<Assertion> asserts = new ArrayList<>();
        List<Waiver> pending = new ArrayList<>();
        List<Waiver> defaultWaivers = new ArrayList<>();
        int index = 0;
        int properties = 0;
        boolean incomplete = false;
        for (Ast.PolicyItem item : p.items()) {
            if (item instanceof Ast.RuleStmt && index >= limits.rulesPerPolicy()) {
                error(item.span(), "policy '" + p.name() + "' has more than " + Limits.count(limits.rulesPerPolicy())
                        + " rules; this is the first one past the limit", "rules-per-policy",
                        "split the policy, for example by destination, into policies on separate interfaces");
                return null;
            }
            if ((item instanceof Ast.ExpectStmt || item instanceof Ast.AssertStmt) && ++properties > limits.propertiesPerPolicy()) {
                error(item.span(), "policy '" + p.name() + "' has more than " + Limits.count(limits.propertiesPerPolicy())
                        + " expects and asserts; this is the first one past the limit", "properties-per-policy",
                        "keep the ones that test distinct behaviour, or split the policy");
                return null;
            }
            if (item instanceof Ast.DefaultStmt d) {
                    if (!pending.isEmpty()) { // waivers before `default` accept policy-level findings
                        defaultWaivers.addAll(pending);
                        pending = new ArrayList<>();
                    }
                    if (def != null) {
                        error(Codes.DEFAULT, d.span(), "policy '" + p.name() + "' has a second `default` (first at "
                                + defSpan.location() + ")", "keep exactly one `default allow;` or `default deny;`");
                    } else {
                        def = d.action();
                        defSpan = d.span();
                    }
            } else if (item instanceof Ast.NonIpStmt n) {
                    if (nonIp != null) {
                        error(Codes.DEFAULT, n.span(), "policy '" + p.name() + "' has a second `non-ip` (first at "
                                + nonIpSpan.location() + ")", "keep at most one `non-ip allow;` or `non-ip deny;`");
                    } else {
                        nonIp = n.action();
                        nonIpSpan = n.span();
                    }
            } else if (item instanceof Ast.WaiverStmt w) {
                    if (!Codes.known(w.code())) {
                        diagnostics.add(Diagnostic.of(Codes.WAIVER, Severity.WARNING, w.codeSpan(),
                                "waiver for '" + w.code() + "', a code this version of Portcullis does not report",
                                "check the spelling; known codes: " + String.join(", ", Codes.catalogue().keySet())));
                    }
                    pending.add(new Waiver(w.code(), w.reason(), w.until(), w.span()));
            } else if (item instanceof Ast.RuleStmt r) {
                    RuleMatch m = match(r.match());
                    if (m != null) rules.add(new ResolvedRule(index, r.label(), r.action(), m, r.span(), pending));
                    // A rule over a definition that failed (reported once, at the definition) is missing: checking
                    // the policy without it would report findings about a policy nobody wrote.
                    else incomplete = true;
                    index++;
                    pending = new ArrayList<>();
            } else if (item instanceof Ast.ExpectStmt e) {
                    Packet pkt = packet(e.packet());
                    if (pkt != null) expects.add(new Expect(e.action(), pkt, e.span()));
            } else if (item instanceof Ast.AssertStmt a) {
                    RuleMatch m = match(a.match());
                    if (m != null) asserts.add(new Assertion(a.action(), m, a.span(), a.text()));
            }
            if (!(item instanceof Ast.WaiverStmt) && !(item instanceof Ast.RuleStmt) && !pending.isEmpty()) {
                for (Waiver w : pending) {
                    error(Codes.WAIVER, w.span(), "a waiver must come directly before the rule (or the `default`) it accepts a finding on",
                            "move `waive " + w.code() + " ...;` to the line above its rule");
                }
                pending = new ArrayList<>();
            }
        }
        for (Waiver w : pending) {
            error(Codes.WAIVER, w.span(), "a waiver must come directly before the rule (or the `default`) it accepts a finding on",
                    "move `waive " + w.code() + " ...;` to the line above its rule");
        }
        if (def == null) {
            error(Codes.DEFAULT, p.nameSpan(), "policy '" + p.name() + "' has no `default` verdict",
                    "add `default deny;` (or `default allow;`) to the policy");
            return null;
        }
        if (incomplete) return null;
        return new ResolvedPolicy(p.name(), p.target(), def, nonIp == null ? Action.ALLOW : nonIp,
                rules, expects, asserts, p.nameSpan(), defSpan, defaultWaivers);
    }

    // ---- packets ----

    Packet packet(Ast.PacketLit lit) {
        Ip src = lit.src();
        Ip dst = lit.dst();
        if (src.family() != dst.family()) {
            error(Codes.BAD_PACKET, lit.span(), "the packet's source is " + src.family().label() + " but its destination is "
                    + dst.family().label(), "a packet has one address family: use two IPv4 or two IPv6 addresses");
            return null;
        }
        Family f = src.family();
        int proto = switch (lit.proto().kind()) {
            case TCP -> ProtoClause.TCP;
            case UDP -> ProtoClause.UDP;
            case ICMP -> ProtoClause.ICMP;
            case ICMPV6 -> ProtoClause.ICMPV6;
            case NUMBER -> lit.proto().number();
            case SERVICE -> -1;
        };
        if (proto < 0) {
            error(Codes.BAD_PACKET, lit.proto().span(), "a packet needs a protocol, not a service",
                    "write tcp, udp, icmp, icmpv6 or proto N");
            return null;
        }
        String header = f == Family.IPV6 ? ProtoClause.ipv6ExtensionHeader(proto) : null;
        if (header != null) {
            error(Codes.BAD_PACKET, lit.proto().span(), "an IPv6 packet never has protocol " + proto + " (the " + header
                    + " extension header): IPv6 extension headers are walked, and a packet's protocol is the one after"
                    + " them", "write the protocol that follows the extension headers (tcp, udp, icmpv6, proto 59 for no"
                    + " next header, ...)");
            return null;
        }
        if (lit.proto().kind() == Ast.ProtoKind.ICMP && f != Family.IPV4
                || lit.proto().kind() == Ast.ProtoKind.ICMPV6 && f != Family.IPV6) {
            error(Codes.BAD_PACKET, lit.proto().span(), (f == Family.IPV4 ? "icmpv6 needs IPv6" : "icmp needs IPv4")
                    + " addresses", "use icmp with IPv4 and icmpv6 with IPv6");
            return null;
        }
        boolean ports = (proto == ProtoClause.TCP || proto == ProtoClause.UDP) && !lit.fragment();
        boolean icmp = (proto == ProtoClause.ICMP && f == Family.IPV4 || proto == ProtoClause.ICMPV6 && f == Family.IPV6)
                && !lit.fragment();
        if (ports && (lit.sport() < 0 || lit.dport() < 0)) {
            error(Codes.BAD_PACKET, lit.span(), "a tcp or udp packet needs both ports (ADDR:PORT -> ADDR:PORT)",
                    "write e.g. 192.0.2.7:40000 -> 10.1.3.4:443, or [2001:db8::1]:40000 for IPv6");
            return null;
        }
        if (!ports && (lit.sport() >= 0 || lit.dport() >= 0)) {
            error(Codes.BAD_PACKET, lit.span(), lit.fragment() ? "a non-first fragment has no ports"
                    : "only tcp and udp packets have ports", "write the addresses without :PORT");
            return null;
        }
        if (lit.flags() != null && (proto != ProtoClause.TCP || lit.fragment())) {
            error(Codes.BAD_PACKET, lit.span(), "only tcp packets have flags", "remove `flags { ... }`");
            return null;
        }
        if (!icmp && (lit.type() != null || lit.code() != null)) {
            error(Codes.BAD_PACKET, lit.span(), "only icmp and icmpv6 packets have a type and code", "remove `type ...`");
            return null;
        }
        int type = 0, code = 0;
        if (icmp) {
            if (lit.type() == null) {
                error(Codes.BAD_PACKET, lit.span(), "an icmp packet needs `type T`", "add e.g. `type echo-request`");
                return null;
            }
            type = icmpValue(f, lit.type(), true);
            code = lit.code() == null ? 0 : icmpValue(f, lit.code(), false);
            if (type < 0 || code < 0) return null;
        }
        Set<TcpFlag> flags = Set.of();
        if (proto == ProtoClause.TCP && !lit.fragment()) flags = lit.flags() == null ? Set.of(TcpFlag.SYN) : lit.flags();
        return new Packet(f, src, dst, proto, ports ? lit.sport() : 0, ports ? lit.dport() : 0, flags, type, code,
                lit.fragment());
    }
}
