package io.portcullis.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplesTest {
    /**
     * No sample is an IPv6 packet whose protocol is an extension header: such a packet has no frame (the parser walks
     * past those headers), so a test comparing a program with the evaluator on it compares nothing real. Other
     * protocols without ports still appear for IPv6.
     */
    @Test
    void noIpv6PacketHasAnExtensionHeaderForItsProtocol(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("s.policy"), """
                policy s {
                    default deny;
                    allow proto 0;
                    allow proto 47 from 2001:db8::/32;
                    allow from ::/0 to 2001:db8:1::/48;
                    deny tcp from 10.0.0.0/8 to any port 22;
                }
                """);
        ResolvedPolicy p = Loader.load(List.of(f)).policies().get(0);
        List<Packet> samples = Samples.of(p, 3000, 7);
        List<Packet> bad = samples.stream()
                .filter(x -> x.family() == Family.IPV6 && ProtoClause.ipv6ExtensionHeader(x.proto()) != null).toList();
        assertEquals(List.of(), bad);
        assertTrue(samples.stream().anyMatch(x -> x.family() == Family.IPV6 && !x.hasPorts() && !x.isIcmp()),
                "IPv6 packets of protocols without ports are still sampled");
        assertTrue(samples.stream().anyMatch(x -> x.family() == Family.IPV4 && x.proto() == 0),
                "IPv4 keeps protocol 0");
    }
}
