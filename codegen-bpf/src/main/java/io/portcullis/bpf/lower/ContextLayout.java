package io.portcullis.bpf.lower;

import io.portcullis.ir.Target;

/**
 * Where a hook's context keeps the packet pointers. Only this and {@link Target#code} differ between hooks that see
 * the Ethernet header; cgroup skb programs start at the IP header and are not lowered yet.
 */
record ContextLayout(int dataOffset, int dataEndOffset) {

    static ContextLayout of(Target target) throws CodegenException {
        return switch (target) {
            // struct xdp_md { __u32 data; __u32 data_end; ... }
            case XDP -> new ContextLayout(0, 4);
            // struct __sk_buff: data at 76, data_end at 80 (uapi/linux/bpf.h).
            case TC_INGRESS, TC_EGRESS -> new ContextLayout(76, 80);
            case CGROUP_INGRESS, CGROUP_EGRESS ->
                    throw new CodegenException("target '" + target.syntax() + "' is not supported by the eBPF back end yet");
        };
    }
}
