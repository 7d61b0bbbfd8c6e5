package io.portcullis.diff;

import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import io.portcullis.space.Bdd;
import io.portcullis.space.PacketSpace;
import java.math.BigInteger;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which BDD variable holds which header bit, learnt from {@link PacketSpace#packet} alone: two packets that differ in
 * one header bit give cubes that differ in exactly one shared variable. The diff needs per-field projections, and
 * reading the layout this way keeps it correct whatever variable order the engine chooses.
 */
final class Layout {
    /** Variables of one field, most significant bit first. */
    record Field(int[] vars) {
        int width() { return vars.length; }
    }

    final int family;
    final Field proto, icmpType, icmpCode;
    final Field[] src = new Field[2], dst = new Field[2];
    final Field sport, dport;
    final int est;

    Layout(PacketSpace space) {
        Bdd bdd = space.bdd();
        Ip z4 = Ip.v4(0), z6 = Ip.v6(0, 0);
        Packet raw4 = new Packet(Family.IPV4, z4, z4, 0, 0, 0, Set.of(), 0, 0, false);
        Packet raw6 = new Packet(Family.IPV6, z6, z6, 0, 0, 0, Set.of(), 0, 0, false);
        family = differing(space, raw4, raw6);
        int[] pv = new int[8];
        for (int i = 0; i < 8; i++) pv[i] = differing(space, raw4, withProto(raw4, 1 << (7 - i)));
        proto = new Field(pv);
        for (Family f : Family.values()) {
            Packet base = f == Family.IPV4 ? raw4 : raw6;
            int[] s = new int[f.bits()], d = new int[f.bits()];
            for (int i = 0; i < f.bits(); i++) {
                Ip bit = Ip.fromBigInteger(f, BigInteger.ONE.shiftLeft(f.bits() - 1 - i));
                Ip zero = f == Family.IPV4 ? z4 : z6;
                s[i] = differing(space, base, new Packet(f, bit, zero, 0, 0, 0, Set.of(), 0, 0, false));
                d[i] = differing(space, base, new Packet(f, zero, bit, 0, 0, 0, Set.of(), 0, 0, false));
            }
            src[f.ordinal()] = new Field(s);
            dst[f.ordinal()] = new Field(d);
        }
        Packet syn = new Packet(Family.IPV4, z4, z4, ProtoClause.TCP, 0, 0, EnumSet.of(TcpFlag.SYN), 0, 0, false);
        est = differing(space, syn, new Packet(Family.IPV4, z4, z4, ProtoClause.TCP, 0, 0, EnumSet.of(TcpFlag.ACK), 0, 0, false));
        int[] sp = new int[16], dp = new int[16];
        for (int i = 0; i < 16; i++) {
            int v = 1 << (15 - i);
            sp[i] = differing(space, syn, new Packet(Family.IPV4, z4, z4, ProtoClause.TCP, v, 0, syn.flags(), 0, 0, false));
            dp[i] = differing(space, syn, new Packet(Family.IPV4, z4, z4, ProtoClause.TCP, 0, v, syn.flags(), 0, 0, false));
        }
        sport = new Field(sp);
        dport = new Field(dp);
        Packet echo = new Packet(Family.IPV4, z4, z4, ProtoClause.ICMP, 0, 0, Set.of(), 0, 0, false);
        int[] t = new int[8], c = new int[8];
        for (int i = 0; i < 8; i++) {
            int v = 1 << (7 - i);
            t[i] = differing(space, echo, new Packet(Family.IPV4, z4, z4, ProtoClause.ICMP, 0, 0, Set.of(), v, 0, false));
            c[i] = differing(space, echo, new Packet(Family.IPV4, z4, z4, ProtoClause.ICMP, 0, 0, Set.of(), 0, v, false));
        }
        icmpType = new Field(t);
        icmpCode = new Field(c);
        for (Field f : new Field[] {proto, src[0], dst[0], src[1], dst[1], sport, dport, icmpType, icmpCode}) {
            for (int i = 1; i < f.width(); i++) {
                // Read-back walks a field from its most significant bit down the BDD; that needs ascending order.
                if (f.vars[i] <= f.vars[i - 1]) throw new IllegalStateException("packet space layout: field bits out of order");
            }
        }
        if (bdd.varCount() <= 0) throw new IllegalStateException("empty packet space");
    }

    private static Packet withProto(Packet p, int proto) {
        return new Packet(p.family(), p.src(), p.dst(), proto, 0, 0, Set.of(), 0, 0, false);
    }

    /** The one variable both cubes fix, to different values. */
    private static int differing(PacketSpace space, Packet a, Packet b) {
        Map<Integer, Boolean> ca = cube(space.bdd(), space.packet(a)), cb = cube(space.bdd(), space.packet(b));
        int found = -1;
        for (Map.Entry<Integer, Boolean> e : ca.entrySet()) {
            Boolean other = cb.get(e.getKey());
            if (other != null && !other.equals(e.getValue())) {
                if (found >= 0) throw new IllegalStateException("packet space layout: " + a + " and " + b + " differ in two bits");
                found = e.getKey();
            }
        }
        if (found < 0) throw new IllegalStateException("packet space layout: " + a + " and " + b + " do not differ");
        return found;
    }

    private static Map<Integer, Boolean> cube(Bdd bdd, int n) {
        Map<Integer, Boolean> out = new HashMap<>();
        while (n != Bdd.TRUE) {
            if (n == Bdd.FALSE) throw new IllegalStateException("packet space layout: empty packet");
            if (bdd.low(n) != Bdd.FALSE) {
                if (bdd.high(n) != Bdd.FALSE) throw new IllegalStateException("packet space layout: a packet is not a cube");
                out.put(bdd.var(n), false);
                n = bdd.low(n);
            } else {
                out.put(bdd.var(n), true);
                n = bdd.high(n);
            }
        }
        return out;
    }
}
