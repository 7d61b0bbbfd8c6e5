package io.portcullis.bpf.lower;

import io.portcullis.ir.Target;

/**
 * Where a hook's context keeps the packet pointers. This, {@link Target#code} and {@link Target#ethernet} are all that
 * differ between hooks.
 */
/**
 * {@code lenOffset} is where skb hooks keep the packet's whole length ({@code __sk_buff.len}, -1 for XDP): for them
 * {@code data_end} ends the linear part only, and the rest of a packet (a TCP segment's payload, typically) may lie in
 * page fragments the program cannot read but must not mistake for truncation.
 */
record ContextLayout(int dataOffset, int dataEndOffset, int lenOffset) {

    static ContextLayout of(Target target) {
        return switch (target) {
            // struct xdp_md { __u32 data; __u32 data_end; ... }
            case XDP -> new ContextLayout(0, 4, -1);
            // struct __sk_buff: len at 0, data at 76, data_end at 80 (uapi/linux/bpf.h).
            // Both are struct __sk_buff; cgroup programs see the packet from the IP header on.
            case TC_INGRESS, TC_EGRESS, CGROUP_INGRESS, CGROUP_EGRESS -> new ContextLayout(76, 80, 0);
        };
    }
}
