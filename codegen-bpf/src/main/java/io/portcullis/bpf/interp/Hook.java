package io.portcullis.bpf.interp;

import io.portcullis.ir.Target;
import java.util.List;

/**
 * A program type as the interpreter runs it: how the context looks, where the packet starts, and what the return
 * codes are called. Ingress and egress tc programs see the same context in a test run, so they share {@link #TC}.
 */
public enum Hook {
    XDP("xdp", true, List.of("XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT")),
    TC("tc", true, List.of("TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT", "TC_ACT_PIPE", "TC_ACT_STOLEN",
            "TC_ACT_QUEUED", "TC_ACT_REPEAT", "TC_ACT_REDIRECT", "TC_ACT_TRAP")),
    CGROUP_SKB_INGRESS("cgroup_skb/ingress", false, List.of("drop", "allow")),
    CGROUP_SKB_EGRESS("cgroup_skb/egress", false, List.of("drop", "allow", "drop (congestion notification)",
            "allow (congestion notification)"));

    /** The Ethernet header that BPF_PROG_TEST_RUN strips for cgroup skb programs (eth_type_trans). */
    public static final int ETH_HLEN = 14;

    private final String section;
    private final boolean seesEthernet;
    private final List<String> codeNames;

    Hook(String section, boolean seesEthernet, List<String> codeNames) {
        this.section = section;
        this.seesEthernet = seesEthernet;
        this.codeNames = codeNames;
    }

    /** The libbpf section name that selects this program type. */
    public String section() { return section; }

    /** False for cgroup skb programs, whose packet starts at the network header. */
    public boolean seesEthernet() { return seesEthernet; }

    /** True for the hooks whose context is a {@code struct __sk_buff}. */
    public boolean skb() { return this != XDP; }

    /** The hook that runs a target's program. */
    public static Hook of(Target t) {
        return switch (t) {
            case XDP -> XDP;
            case TC_INGRESS, TC_EGRESS -> TC;
            case CGROUP_INGRESS -> CGROUP_SKB_INGRESS;
            case CGROUP_EGRESS -> CGROUP_SKB_EGRESS;
        };
    }

    /** The hook for a program section name (libbpf's convention: {@code xdp}, {@code tc}, {@code classifier}, ...). */
    public static Hook forSection(String name) {
        if (name.equals("xdp") || name.startsWith("xdp/")) return XDP;
        if (name.equals("tc") || name.startsWith("tc/") || name.equals("classifier") || name.startsWith("classifier/")
                || name.startsWith("tcx/")) return TC;
        if (name.equals("cgroup_skb/ingress")) return CGROUP_SKB_INGRESS;
        if (name.equals("cgroup_skb/egress")) return CGROUP_SKB_EGRESS;
        return null;
    }

    /**
     * The return value's name for this program type, e.g. {@code XDP_DROP}; {@code TC_ACT_UNSPEC} for -1 in tc;
     * null when the value has no name.
     */
    public String codeName(long r0) {
        int v = (int) r0;
        if (this == TC && v == -1) return "TC_ACT_UNSPEC";
        return v >= 0 && v < codeNames.size() ? codeNames.get(v) : null;
    }
}
