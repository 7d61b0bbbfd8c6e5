package io.portcullis.diff;

import io.portcullis.diag.Span;
import io.portcullis.diff.DiffResult.Kind;
import io.portcullis.diff.DiffResult.PolicyDiff;
import io.portcullis.diff.DiffResult.Region;
import io.portcullis.diff.DiffResult.Side;
import io.portcullis.diff.DiffResult.Status;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import io.portcullis.space.PolicySets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares two versions of a set of policies by meaning. Policies are matched by name; for each pair both versions are
 * built in one {@link PacketSpace}, so their allowed sets compare exactly. What is newly allowed (or denied) is split
 * into regions by the pair of rules that decide it on each side.
 *
 * <p>A policy that exists on one side only is compared with a policy that allows nothing: everything an added policy
 * allows is newly allowed (it is new exposure a reviewer must see), and everything a removed policy allowed is newly
 * denied, with a note that the policy is gone (what the network does without it depends on what else is attached).
 */
public final class SemanticDiff {
    private SemanticDiff() {}

    public static DiffResult compare(List<ResolvedPolicy> before, List<ResolvedPolicy> after) {
        Map<String, ResolvedPolicy> old = byName(before), neu = byName(after);
        TreeSet<String> names = new TreeSet<>(old.keySet());
        names.addAll(neu.keySet());
        List<PolicyDiff> out = new ArrayList<>();
        for (String name : names) out.add(comparePolicy(name, old.get(name), neu.get(name)));
        return new DiffResult(out);
    }

    private static Map<String, ResolvedPolicy> byName(List<ResolvedPolicy> ps) {
        Map<String, ResolvedPolicy> m = new TreeMap<>();
        for (ResolvedPolicy p : ps) m.putIfAbsent(p.name(), p);
        return m;
    }

    /** One policy; {@code before} or {@code after} is null when the policy exists on one side only. */
    public static PolicyDiff comparePolicy(String name, ResolvedPolicy before, ResolvedPolicy after) {
        PacketSpace space = new PacketSpace();
        Bdd bdd = space.bdd();
        PolicySets o = before == null ? null : new PolicySets(space, before);
        PolicySets n = after == null ? null : new PolicySets(space, after);
        int allowedOld = o == null ? Bdd.FALSE : o.allowed();
        int allowedNew = n == null ? Bdd.FALSE : n.allowed();
        List<Region> regions = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (allowedOld != allowedNew) {
            Summary summary = new Summary(space);
            split(Kind.NEW_ALLOW, name, bdd.diff(allowedNew, allowedOld), n, o, summary, regions);
            split(Kind.NEW_DENY, name, bdd.diff(allowedOld, allowedNew), n, o, summary, regions);
        }
        Action nonIpOld = before == null ? Action.DENY : before.nonIp();
        Action nonIpNew = after == null ? Action.DENY : after.nonIp();
        if (nonIpOld != nonIpNew) {
            Kind k = nonIpNew == Action.ALLOW ? Kind.NEW_ALLOW : Kind.NEW_DENY;
            regions.add(new Region(k, name, "non-IP frames (ARP, LLDP, ...)", true, null,
                    after == null ? null : nonIpSide(after), before == null ? null : nonIpSide(before), Bdd.FALSE, true));
        }
        Status status;
        if (before == null) {
            status = Status.ADDED;
            notes.add("policy " + name + " is new; everything it allows counts as newly allowed");
        } else if (after == null) {
            status = Status.REMOVED;
            notes.add("policy " + name + " was removed; everything it allowed counts as newly denied"
                    + " (what passes without it depends on what else is attached)");
        } else {
            status = regions.isEmpty() ? Status.UNCHANGED : Status.CHANGED;
            if (before.target() != after.target()) {
                notes.add("policy " + name + " moved from " + before.target().syntax() + " to " + after.target().syntax());
                status = Status.CHANGED;
            }
        }
        return new PolicyDiff(name, status, before, after, space, regions, notes);
    }

    /**
     * Splits {@code changed} by the rule deciding it in the new version, then by the rule deciding it in the old one.
     * Walking the old rules with what is still unassigned keeps the work proportional to the regions found.
     */
    private static void split(Kind kind, String policy, int changed, PolicySets n, PolicySets o, Summary summary,
                              List<Region> out) {
        Bdd bdd = summary.space().bdd();
        if (changed == Bdd.FALSE) return;
        List<int[]> newParts = parts(changed, n, bdd);
        for (int[] np : newParts) {
            int remaining = np[1];
            if (o == null) {
                out.add(region(kind, policy, remaining, n, np[0], null, 0, summary));
                continue;
            }
            for (int j = 0; j < o.size() && remaining != Bdd.FALSE; j++) {
                int part = bdd.and(remaining, o.match(j));
                if (part == Bdd.FALSE) continue;
                out.add(region(kind, policy, part, n, np[0], o, j, summary));
                remaining = bdd.diff(remaining, part);
            }
            if (remaining != Bdd.FALSE) out.add(region(kind, policy, remaining, n, np[0], o, -1, summary));
        }
    }

    /** (rule index or -1 for the default, part of {@code set} it decides) in rule order, the default last. */
    private static List<int[]> parts(int set, PolicySets s, Bdd bdd) {
        List<int[]> out = new ArrayList<>();
        if (s == null) {
            out.add(new int[] {-2, set});
            return out;
        }
        int remaining = set;
        for (int i = 0; i < s.size() && remaining != Bdd.FALSE; i++) {
            int part = bdd.and(remaining, s.match(i));
            if (part == Bdd.FALSE) continue;
            out.add(new int[] {i, part});
            remaining = bdd.diff(remaining, part);
        }
        if (remaining != Bdd.FALSE) out.add(new int[] {-1, remaining});
        return out;
    }

    private static Region region(Kind kind, String policy, int set, PolicySets n, int ni, PolicySets o, int oi,
                                 Summary summary) {
        Summary.Text text = summary.describe(set);
        return new Region(kind, policy, text.text(), text.exact(), summary.space().witness(set),
                n == null ? null : side(n.policy(), ni), o == null ? null : side(o.policy(), oi), set, false);
    }

    private static Side side(ResolvedPolicy p, int index) {
        if (index < 0) return new Side("default", -1, p.defaultAction(), file(p.defaultSpan()), line(p.defaultSpan()));
        ResolvedRule r = p.rules().get(index);
        return new Side(r.displayName(), index, r.action(), file(r.span()), line(r.span()));
    }

    private static Side nonIpSide(ResolvedPolicy p) {
        return new Side("non-ip", -2, p.nonIp(), file(p.span()), line(p.span()));
    }

    private static String file(Span s) { return s == null || s.file() == null ? "<unknown>" : s.file().displayName(); }

    private static int line(Span s) { return s == null ? 0 : s.line(); }
}
