package io.portcullis.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Address text forms the parser must accept (with their values) and refuse, and a round trip over random addresses. */
class IpParseTest {

    @Test void acceptsIpv4() {
        assertEquals(Ip.v4(0x0a000001L), Ip.parse("10.0.0.1").orElseThrow());
        assertEquals(Ip.v4(0), Ip.parse("0.0.0.0").orElseThrow());
        assertEquals(Ip.v4(0xffffffffL), Ip.parse("255.255.255.255").orElseThrow());
        assertEquals(Ip.v4(0xc0000201L), Ip.parse("192.0.2.1").orElseThrow());
    }

    @Test void refusesBadIpv4() {
        for (String s : new String[] {"", ".", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1.2.3.4.5", "1..2.3", "256.0.0.1",
                "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.0x1", "1234.1.1.1", "1.2.3.a", "1.2.3.-1", "1.2.3.4 "}) {
            assertTrue(Ip.parse(s).isEmpty(), s);
        }
    }

    @Test void acceptsIpv6Forms() {
        assertEquals(Ip.v6(0, 0), Ip.parse("::").orElseThrow());
        assertEquals(Ip.v6(0, 1), Ip.parse("::1").orElseThrow());
        assertEquals(Ip.v6(0x0001000000000000L, 0), Ip.parse("1::").orElseThrow());
        assertEquals(Ip.v6(0x20010db800000000L, 7), Ip.parse("2001:db8::7").orElseThrow());
        assertEquals(Ip.v6(0x20010DB8AEE780D2L, 0), Ip.parse("2001:DB8:aee7:80d2::").orElseThrow());
        assertEquals(Ip.v6(0x0001000200030004L, 0x0005000600070008L), Ip.parse("1:2:3:4:5:6:7:8").orElseThrow());
        assertEquals(Ip.v6(0, 0x0000ffffc0000201L), Ip.parse("::ffff:192.0.2.1").orElseThrow());
        assertEquals(Ip.v6(0x0001000200030004L, 0x00050006c0000201L), Ip.parse("1:2:3:4:5:6:192.0.2.1").orElseThrow());
        assertEquals(Ip.v6(0x0001000000000000L, 0x0000000000000008L), Ip.parse("1::8").orElseThrow());
        assertEquals(Ip.v6(0x0001000200030004L, 0x0005000600070000L), Ip.parse("1:2:3:4:5:6:7::").orElseThrow());
    }

    @Test void refusesBadIpv6() {
        for (String s : new String[] {":", ":1", "1:", "1:2", ":::", "1:::2", "1::2::3", ":1::2", "1::2:", "1:2:3:4:5:6:7",
                "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8", "12345::",
                "g::1", "1::1.2.3", "1::256.0.0.1", "1.2.3.4::", "::1.2.3.4:1", "1:2:3:4:5:6:7:1.2.3.4",
                "::01.2.3.4", "1::-1", "1:: 2"}) {
            assertTrue(Ip.parse(s).isEmpty(), s);
        }
    }

    @Test void roundTripsRandomAddresses() {
        Random rnd = new Random(7);
        for (int i = 0; i < 2000; i++) {
            Ip v4 = Ip.v4(rnd.nextLong());
            assertEquals(v4, Ip.parse(v4.toString()).orElseThrow());
            // Runs of zero groups, so that '::' lands in every position.
            long hi = rnd.nextLong() & mask(rnd), lo = rnd.nextLong() & mask(rnd);
            Ip v6 = Ip.v6(hi, lo);
            assertEquals(v6, Ip.parse(v6.toString()).orElseThrow(), v6.toString());
        }
    }

    private static long mask(Random rnd) {
        long m = 0;
        for (int g = 0; g < 4; g++) if (rnd.nextBoolean()) m |= 0xffffL << (16 * g);
        return m;
    }
}
