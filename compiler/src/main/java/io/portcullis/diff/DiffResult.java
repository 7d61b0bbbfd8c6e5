package io.portcullis.diff;

import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.space.PacketSpace;
import java.util.List;

/** What changed in behaviour between two versions of a set of policies. */
public record DiffResult(List<PolicyDiff> policies) {
    public DiffResult {
        policies = List.copyOf(policies);
    }

    public enum Kind {
        NEW_ALLOW("new-allow", "newly allowed"), NEW_DENY("new-deny", "newly denied");

        private final String code, phrase;
        Kind(String code, String phrase) {
            this.code = code;
            this.phrase = phrase;
        }
        /** Stable name in JSON and in {@code --fail-on}. */
        public String code() { return code; }
        public String phrase() { return phrase; }
    }

    public enum Status { UNCHANGED, CHANGED, ADDED, REMOVED }

    /**
     * The rule deciding a region on one side, or the default ({@code index} -1, {@code rule} "default"), or for
     * non-IP frames the policy's {@code non-ip} setting ({@code index} -2, {@code rule} "non-ip").
     * {@code file} and {@code line} locate the rule (or the default statement).
     */
    public record Side(String rule, int index, Action action, String file, int line) {
        public boolean isDefault() { return index == -1; }

        /** {@code 'web' (edge.policy:12)} or {@code the default (edge.policy:9)}. */
        public String describe() {
            String where = " (" + file + ":" + line + ")";
            return (isDefault() ? "the default" : index == -2 ? "non-ip " + action.label() : "'" + rule + "'") + where;
        }
    }

    /**
     * One region of packets whose verdict changed: every packet in it is decided by {@code newSide} in the new version
     * and by {@code oldSide} in the old one (null: the policy does not exist on that side). {@code set} is the
     * region in {@link PolicyDiff#space()}; {@code witness} is one of its packets, null only for {@link #nonIp}.
     * {@code exact} is false when the summary describes a larger set than the region ("within").
     */
    public record Region(Kind kind, String policy, String summary, boolean exact, Packet witness,
                         Side newSide, Side oldSide, int set, boolean nonIp) {
        /** The one-line summary with its kind, e.g. {@code newly allowed: tcp from any to 10.2.0.0/16 port 5432}. */
        public String line() { return kind.phrase() + ": " + summary; }
    }

    /** One policy, matched by name. {@code before}/{@code after} are null for an added/removed policy. */
    public record PolicyDiff(String name, Status status, ResolvedPolicy before, ResolvedPolicy after,
                             PacketSpace space, List<Region> regions, List<String> notes) {
        public PolicyDiff {
            regions = List.copyOf(regions);
            notes = List.copyOf(notes);
        }

        public long count(Kind k) { return regions.stream().filter(r -> r.kind() == k).count(); }
    }

    public long count(Kind k) { return policies.stream().mapToLong(p -> p.count(k)).sum(); }

    public List<Region> regions() { return policies.stream().flatMap(p -> p.regions().stream()).toList(); }

    /** True when no policy changed in behaviour (policies added or removed count as changes). */
    public boolean unchanged() { return policies.stream().allMatch(p -> p.status() == Status.UNCHANGED); }
}
