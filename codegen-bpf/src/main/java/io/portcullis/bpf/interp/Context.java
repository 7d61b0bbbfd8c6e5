package io.portcullis.bpf.interp;

import java.util.Arrays;

/**
 * What a program sees when it runs: the packet bytes from {@code data} to {@code data_end} and the context fields.
 * {@link #testRun} builds them as BPF_PROG_TEST_RUN does without {@code ctx_in}, so the interpreter and the kernel
 * can be compared on the same input.
 *
 * @param packet        the bytes between data and data_end
 * @param len           skb->len (the packet length for xdp)
 * @param protocol      skb->protocol as a program loads it: the big-endian EtherType read as a little-endian u16
 * @param ifindex       skb->dev->ifindex / the xdp rx queue's device (the loopback device, 1, in a test run)
 */
public record Context(Hook hook, byte[] packet, int len, int protocol, int ifindex) {

    public Context {
        packet = packet.clone();
    }

    /**
     * The context BPF_PROG_TEST_RUN gives a program for {@code dataIn}, an Ethernet frame: xdp and tc see all of it;
     * cgroup skb programs see it from byte 14 on (eth_type_trans pulls the Ethernet header). The kernel refuses
     * inputs shorter than 14 bytes; so does this method.
     */
    public static Context testRun(Hook hook, byte[] dataIn) {
        if (dataIn.length < Hook.ETH_HLEN) {
            throw new IllegalArgumentException("a test run needs at least " + Hook.ETH_HLEN + " bytes (an Ethernet header), not "
                    + dataIn.length);
        }
        int etherType = ((dataIn[12] & 0xff) << 8) | (dataIn[13] & 0xff);
        // eth_type_trans: 802.3 length fields map to ETH_P_802_3 (raw, 0xFFFF payload) or ETH_P_802_2.
        int proto = etherType >= 0x600 ? etherType
                : (dataIn.length >= 16 && (dataIn[14] & 0xff) == 0xff && (dataIn[15] & 0xff) == 0xff ? 0x0001 : 0x0004);
        int protocolField = Integer.reverseBytes(proto) >>> 16;
        byte[] seen = hook.seesEthernet() ? dataIn : Arrays.copyOfRange(dataIn, Hook.ETH_HLEN, dataIn.length);
        return new Context(hook, seen, seen.length, protocolField, 1);
    }

    @Override public byte[] packet() { return packet.clone(); }

    byte[] packetUnsafe() { return packet; }
}
