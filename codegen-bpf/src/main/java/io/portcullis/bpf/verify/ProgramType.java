package io.portcullis.bpf.verify;

import io.portcullis.ir.Target;
import java.util.Optional;

/** The program types Portcullis emits, with their verdicts. */
public enum ProgramType {
    XDP("xdp", 0, 4),
    /** BPF_PROG_TYPE_SCHED_CLS: TC_ACT_UNSPEC (-1) .. TC_ACT_TRAP (8). */
    SCHED_CLS("tc", -1, 8),
    CGROUP_SKB_INGRESS("cgroup_skb/ingress", 0, 1),
    CGROUP_SKB_EGRESS("cgroup_skb/egress", 0, 1);

    private final String name;
    private final long minReturn, maxReturn;

    ProgramType(String name, long minReturn, long maxReturn) {
        this.name = name;
        this.minReturn = minReturn;
        this.maxReturn = maxReturn;
    }

    public String displayName() { return name; }

    /** The smallest and largest verdict: XDP_ABORTED..XDP_REDIRECT, TC_ACT_UNSPEC..TC_ACT_TRAP, cgroup 0..1. */
    public long minReturn() { return minReturn; }

    public long maxReturn() { return maxReturn; }

    public boolean cgroup() { return this == CGROUP_SKB_INGRESS || this == CGROUP_SKB_EGRESS; }

    public static ProgramType of(Target t) {
        return switch (t) {
            case XDP -> XDP;
            case TC_INGRESS, TC_EGRESS -> SCHED_CLS;
            case CGROUP_INGRESS -> CGROUP_SKB_INGRESS;
            case CGROUP_EGRESS -> CGROUP_SKB_EGRESS;
        };
    }

    /** A target with this type's kernel program type and attach type, for loading into the kernel. */
    public Target target() {
        return switch (this) {
            case XDP -> Target.XDP;
            case SCHED_CLS -> Target.TC_INGRESS;
            case CGROUP_SKB_INGRESS -> Target.CGROUP_INGRESS;
            case CGROUP_SKB_EGRESS -> Target.CGROUP_EGRESS;
        };
    }

    /**
     * The type libbpf infers from an executable section's name (its {@code SEC()} table, for the types we model):
     * {@code xdp}, {@code xdp/...}, {@code xdp.frags}; {@code tc}, {@code tc/...}, {@code classifier},
     * {@code tcx/...}; {@code cgroup_skb/ingress}, {@code cgroup_skb/egress}.
     */
    public static Optional<ProgramType> fromSection(String s) {
        if (s.equals("xdp") || s.startsWith("xdp/") || s.startsWith("xdp.frags")) return Optional.of(XDP);
        if (s.equals("tc") || s.startsWith("tc/") || s.equals("classifier") || s.startsWith("classifier/")
                || s.startsWith("tcx/")) {
            return Optional.of(SCHED_CLS);
        }
        if (s.equals("cgroup_skb/ingress")) return Optional.of(CGROUP_SKB_INGRESS);
        if (s.equals("cgroup_skb/egress")) return Optional.of(CGROUP_SKB_EGRESS);
        return Optional.empty();
    }
}
