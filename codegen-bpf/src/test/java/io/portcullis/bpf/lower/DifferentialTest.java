package io.portcullis.bpf.lower;

import static io.portcullis.bpf.lower.Frames.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ProtoClause;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.ResolvedRule;
import io.portcullis.ir.TcpFlag;
import io.portcullis.net.Ip;
import io.portcullis.net.PortSet;
import io.portcullis.net.Prefix;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kernel's verdict on random packets equals the reference evaluator's. Addresses, ports and ICMP values are
 * drawn from the policy's own boundaries (first/last of each prefix and range, and their neighbours), where a
 * lowering mistake would show.
 */
class DifferentialTest {
    private static final int[] PROTOS = {ProtoClause.TCP, ProtoClause.UDP, ProtoClause.ICMP, ProtoClause.ICMPV6, 47, 50};

    @Test void mixedPolicyAgreesWithEvaluator() throws Exception {
        compare(MixedPolicy.build(), 400, 1);
    }

    @Test void largePolicyAgreesWithEvaluator() throws Exception {
        compare(LargePolicy.build(40), 300, 2);
    }

    /** The same policies as .rodata tables, loaded by bpftool (libbpf makes the maps). */
    @Test void tablesAgreeWithEvaluator() throws Exception {
        compare(MixedPolicy.build(), 400, 1, BpfCompiler.Strategy.TABLE);
        compare(LargePolicy.build(40), 300, 2, BpfCompiler.Strategy.TABLE);
    }

    private static void compare(ResolvedPolicy policy, int count, long seed) throws Exception {
        compare(policy, count, seed, BpfCompiler.Strategy.AUTO);
    }

    private static void compare(ResolvedPolicy policy, int count, long seed, BpfCompiler.Strategy strategy) throws Exception {
        String why = Bpftool.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "kernel tests skipped: " + why);
        Bpftool.Load load = Bpftool.load(BpfCompiler.compile(policy, strategy), "diff");
        assertTrue(load.ok(), load.log());
        try {
            Pools pools = new Pools(policy);
            Random rnd = new Random(seed);
            Set<Integer> deciders = new TreeSet<>();
            for (int i = 0; i < count; i++) {
                Packet p = pools.packet(rnd, policy);
                Evaluator.Decision d = Evaluator.evaluate(policy, p);
                deciders.add(d.ruleIndex());
                int expected = policy.target().code(d.action());
                assertEquals(expected, Bpftool.run(load.pin(), encode(p, rnd)), () -> "packet " + p);
            }
            // Otherwise the comparison says little: most packets would fall through to the default.
            assertTrue(deciders.size() > policy.rules().size() / 2, () -> "too few rules decided: " + deciders);
        } finally {
            load.unpin();
        }
    }

    /** The frame for {@code p}; a non-first fragment carries random bytes where a transport header would be. */
    static byte[] encode(Packet p, Random rnd) {
        byte[] l4;
        if (p.nonFirstFragment()) {
            l4 = new byte[20];
            rnd.nextBytes(l4);
        } else if (p.isTcp()) {
            int flags = 0;
            for (TcpFlag f : p.flags()) flags |= f.bit();
            l4 = tcp(p.sport(), p.dport(), flags);
        } else if (p.isUdp()) {
            l4 = udp(p.sport(), p.dport());
        } else if (p.isIcmp()) {
            l4 = icmp(p.icmpType(), p.icmpCode());
        } else {
            l4 = zeros(8);
        }
        if (p.family() == Family.IPV4) {
            byte[] ip = ipv4(p.src().toString(), p.dst().toString(), p.proto(), p.nonFirstFragment() ? 37 : 0, new byte[0], -1, l4);
            return eth(0x0800, ip);
        }
        if (p.nonFirstFragment()) {
            return eth(0x86DD, ipv6(p.src().toString(), p.dst().toString(), 44, cat(fragHeader(p.proto(), 37, true), l4)));
        }
        return eth(0x86DD, ipv6(p.src().toString(), p.dst().toString(), p.proto(), l4));
    }

    private static final class Pools {
        final List<Ip> v4 = new ArrayList<>(), v6 = new ArrayList<>();
        final List<Integer> ports = new ArrayList<>(), icmp = new ArrayList<>();

        Pools(ResolvedPolicy policy) {
            Set<Ip> a4 = new TreeSet<>(), a6 = new TreeSet<>();
            Set<Integer> ps = new TreeSet<>(List.of(0, 1, 65535)), is = new TreeSet<>(List.of(0, 255));
            for (ResolvedRule r : policy.rules()) {
                for (Prefix p : r.match().src().prefixes()) edges(p, p.family() == Family.IPV4 ? a4 : a6);
                for (Prefix p : r.match().dst().prefixes()) edges(p, p.family() == Family.IPV4 ? a4 : a6);
                if (r.match().sports() != null) ranges(r.match().sports(), ps);
                for (ProtoClause c : r.match().protos()) {
                    if (c.dports() != null) ranges(c.dports(), ps);
                    for (int v : new int[] {c.icmpType(), c.icmpCode()}) {
                        if (v >= 0) {
                            is.add(v);
                            if (v < 255) is.add(v + 1);
                        }
                    }
                }
            }
            v4.addAll(a4);
            v6.addAll(a6);
            v4.add(Ip.v4(0x08080808L));
            v6.add(Ip.v6(0x20010db8ffffL << 16, 1));
            ports.addAll(ps);
            icmp.addAll(is);
        }

        private static void edges(Prefix p, Set<Ip> out) {
            BigInteger max = BigInteger.ONE.shiftLeft(p.family().bits()).subtract(BigInteger.ONE);
            for (BigInteger v : new BigInteger[] {p.first(), p.last(), p.first().subtract(BigInteger.ONE), p.last().add(BigInteger.ONE)}) {
                if (v.signum() >= 0 && v.compareTo(max) <= 0) out.add(Ip.fromBigInteger(p.family(), v));
            }
        }

        private static void ranges(PortSet s, Set<Integer> out) {
            for (PortSet.Range r : s.ranges()) {
                out.add(r.lo());
                out.add(r.hi());
                if (r.lo() > 0) out.add(r.lo() - 1);
                if (r.hi() < 65535) out.add(r.hi() + 1);
            }
        }

        /** Mostly packets aimed at one rule (its boundaries), the rest drawn from the whole policy's pools. */
        Packet packet(Random rnd, ResolvedPolicy policy) {
            ResolvedRule aim = rnd.nextInt(10) < 7 && !policy.rules().isEmpty()
                    ? policy.rules().get(rnd.nextInt(policy.rules().size())) : null;
            Family f = rnd.nextBoolean() ? Family.IPV4 : Family.IPV6;
            if (aim != null && aim.match().src().isEmpty(f)) f = f == Family.IPV4 ? Family.IPV6 : Family.IPV4;
            List<Ip> pool = f == Family.IPV4 ? v4 : v6;
            Ip src = pool.get(rnd.nextInt(pool.size())), dst = pool.get(rnd.nextInt(pool.size()));
            int proto = PROTOS[rnd.nextInt(PROTOS.length)];
            PortSet sports = null, dports = null;
            int icmpType = -1, icmpCode = -1;
            if (aim != null) {
                src = pick(rnd, aim.match().src().prefixes(f), f, src);
                dst = pick(rnd, aim.match().dst().prefixes(f), f, dst);
                sports = aim.match().sports();
                List<ProtoClause> cs = aim.match().protos();
                if (!cs.isEmpty()) {
                    ProtoClause c = cs.get(rnd.nextInt(cs.size()));
                    if (c.proto() >= 0) proto = c.proto();
                    dports = c.dports();
                    icmpType = c.icmpType();
                    icmpCode = c.icmpCode();
                }
            }
            boolean frag = rnd.nextInt(6) == 0;
            boolean ports = !frag && (proto == ProtoClause.TCP || proto == ProtoClause.UDP);
            boolean isIcmp = !frag && (f == Family.IPV4 ? proto == ProtoClause.ICMP : proto == ProtoClause.ICMPV6);
            Set<TcpFlag> flags = EnumSet.noneOf(TcpFlag.class);
            if (!frag && proto == ProtoClause.TCP) for (TcpFlag t : TcpFlag.values()) if (rnd.nextInt(3) == 0) flags.add(t);
            return new Packet(f, src, dst, proto,
                    ports ? port(rnd, sports) : 0, ports ? port(rnd, dports) : 0, flags,
                    isIcmp ? value(rnd, icmpType) : 0, isIcmp ? value(rnd, icmpCode) : 0, frag);
        }

        private Ip pick(Random rnd, List<Prefix> prefixes, Family f, Ip fallback) {
            if (prefixes.isEmpty()) return fallback;
            Set<Ip> e = new TreeSet<>();
            edges(prefixes.get(rnd.nextInt(prefixes.size())), e);
            List<Ip> l = new ArrayList<>(e);
            return l.get(rnd.nextInt(l.size()));
        }

        private int port(Random rnd, PortSet aimed) {
            if (aimed == null || rnd.nextInt(4) == 0) return ports.get(rnd.nextInt(ports.size()));
            Set<Integer> e = new TreeSet<>();
            ranges(aimed, e);
            List<Integer> l = new ArrayList<>(e);
            return l.get(rnd.nextInt(l.size()));
        }

        private int value(Random rnd, int aimed) {
            if (aimed < 0 || rnd.nextInt(4) == 0) return icmp.get(rnd.nextInt(icmp.size()));
            return aimed;
        }
    }
}
