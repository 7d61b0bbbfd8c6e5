package io.portcullis.bpf.lower;

import io.portcullis.ir.Target;

/**
 * Where a hook's context keeps the packet pointers. This, {@link Target#code} and {@link Target#ethernet} are all that
 * differ between hooks.
 */
record ContextLayout(int dataOffset, int dataEndOffset) {

    static ContextLayout of(Target target) {
        return switch (target) {
            // struct xdp_md { __u32 data; __u32 data_end; ... }
            case XDP -> new ContextLayout(0, 4);
            // struct __sk_buff: data at 76, data_end at 80 (uapi/linux/bpf.h).
            // Both are struct __sk_buff; cgroup programs see the packet from the IP header on.
            case TC_INGRESS, TC_EGRESS, CGROUP_INGRESS, CGROUP_EGRESS -> new ContextLayout(76, 80);
        };
    }
}
