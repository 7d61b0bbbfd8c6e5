package io.portcullis.ir;

/** Where a policy's program attaches, with the ELF section libbpf uses for it and its verdict codes. */
public enum Target {
    XDP("xdp", "xdp", true, 2, 1),
    TC_INGRESS("tc ingress", "tc", true, 0, 2),
    TC_EGRESS("tc egress", "tc", true, 0, 2),
    CGROUP_INGRESS("cgroup ingress", "cgroup_skb/ingress", false, 1, 0),
    CGROUP_EGRESS("cgroup egress", "cgroup_skb/egress", false, 1, 0);

    private final String syntax;
    private final String section;
    private final boolean ethernet;
    private final int allowCode;
    private final int denyCode;

    Target(String syntax, String section, boolean ethernet, int allowCode, int denyCode) {
        this.syntax = syntax;
        this.section = section;
        this.ethernet = ethernet;
        this.allowCode = allowCode;
        this.denyCode = denyCode;
    }

    /** How the target is written in a policy: {@code xdp}, {@code tc ingress}, ... */
    public String syntax() { return syntax; }
    /** The ELF section name of the program (libbpf convention). */
    public String section() { return section; }
    /** True when the program sees the Ethernet header (xdp, tc); false for cgroup skb programs. */
    public boolean ethernet() { return ethernet; }
    /** The program return value for a verdict: XDP_PASS/XDP_DROP, TC_ACT_OK/TC_ACT_SHOT, 1/0. */
    public int code(Action a) { return a == Action.ALLOW ? allowCode : denyCode; }
}
