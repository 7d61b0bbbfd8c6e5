package io.portcullis.bpf.packet;

import io.portcullis.ir.Packet;

/** Encodes a {@link Packet} as the bytes a program sees: an Ethernet frame (xdp, tc) or a bare IP packet (cgroup). (Owner: bpf tooling.) */
public final class FrameBuilder {
    private FrameBuilder() {}

    public static byte[] ethernet(Packet p) {
        throw new UnsupportedOperationException("not landed yet");
    }
}
