package io.portcullis.bpf.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The kernel verifier (through bpftool) and iproute2 accept the objects. */
class KernelLoadTest {
    @BeforeEach void kernel() {
        String why = Bpftool.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "kernel tests skipped: " + why);
    }

    private static void assertLoads(ResolvedPolicy p) throws Exception {
        Bpftool.Load l = Bpftool.load(BpfCompiler.compile(p), "load");
        try {
            assertTrue(l.ok(), () -> "bpftool prog load failed:\n" + l.log());
            assertFalse(l.log().toLowerCase().contains("warn"), l.log());
        } finally {
            l.unpin();
        }
    }

    @Test void mixedPolicyLoads() throws Exception { assertLoads(MixedPolicy.build()); }

    @Test void emptyPolicyLoads() throws Exception { assertLoads(Policies.policy("empty", Action.ALLOW, Action.DENY)); }

    @Test void fiveHundredRulesLoad() throws Exception { assertLoads(LargePolicy.build(500)); }

    /** A table program: libbpf makes the .rodata.* maps itself, and bpftool prints no warning. */
    @Test void tableProgramLoads() throws Exception {
        Bpftool.Load l = Bpftool.load(BpfCompiler.compile(LargePolicy.build(500), BpfCompiler.Strategy.TABLE), "tbl");
        try {
            assertTrue(l.ok(), () -> "bpftool prog load failed:\n" + l.log());
            assertFalse(l.log().toLowerCase().contains("warn"), l.log());
            Bpftool.Result show = Bpftool.exec(List.of("bpftool", "prog", "show", "pinned", l.pin().toString()));
            assertTrue(show.out().contains("map_ids"), show.out());
        } finally {
            l.unpin();
        }
    }

    @Test void tcProgramLoads() throws Exception {
        assertLoads(Policies.policy("tc", Target.TC_INGRESS, Action.DENY, Action.ALLOW,
                MixedPolicy.build().rules().stream().map(r -> r.match()).toArray(io.portcullis.ir.RuleMatch[]::new)));
    }

    /** bpftool infers the program type from the section name alone; a wrong section would load as the wrong type. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = BpfCompiler.Strategy.class, names = {"AUTO", "TABLE"})
    void everyTargetLoadsThroughBpftool(BpfCompiler.Strategy strategy) throws Exception {
        for (Target t : Target.values()) {
            ResolvedPolicy p = Policies.policy("t" + t.ordinal(), t, Action.DENY, Action.ALLOW,
                    MixedPolicy.build().rules().stream().map(r -> r.match()).toArray(io.portcullis.ir.RuleMatch[]::new));
            Bpftool.Load l = Bpftool.load(BpfCompiler.compile(p, strategy), "tgt");
            try {
                assertTrue(l.ok(), () -> t + ": bpftool prog load failed:\n" + l.log());
                assertFalse(l.log().toLowerCase().contains("warn"), l.log());
                Bpftool.Result show = Bpftool.exec(List.of("bpftool", "prog", "show", "pinned", l.pin().toString()));
                String type = switch (t) {
                    case XDP -> "xdp";
                    case TC_INGRESS, TC_EGRESS -> "sched_cls";
                    default -> "cgroup_skb";
                };
                assertTrue(show.out().contains(": " + type + " "), t + ": " + show.out());
            } finally {
                l.unpin();
            }
        }
    }

    /** iproute2 attaches the object to a dummy device in a throwaway network namespace without a word. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = BpfCompiler.Strategy.class, names = {"AUTO", "TABLE"})
    void iproute2AttachesWithoutWarnings(BpfCompiler.Strategy strategy) throws Exception {
        Assumptions.assumeTrue(Bpftool.exec(List.of("ip", "-V")).exit() == 0, "iproute2 is not installed");
        String ns = "pcg" + ProcessHandle.current().pid();
        Bpftool.Result add = Bpftool.exec(List.of("ip", "netns", "add", ns));
        Assumptions.assumeTrue(add.exit() == 0, () -> "cannot create a network namespace: " + add.out());
        Path obj = Files.createTempFile("portcullis-", ".o");
        try {
            Files.write(obj, BpfCompiler.compile(MixedPolicy.build(), strategy));
            Bpftool.Result dev = Bpftool.exec(List.of("ip", "-n", ns, "link", "add", "pc0", "type", "veth", "peer", "name", "pc1"));
            assertEquals(0, dev.exit(), dev.out());
            Bpftool.Result attach = Bpftool.exec(List.of("ip", "-n", ns, "link", "set", "dev", "pc0", "xdp", "obj",
                    obj.toString(), "sec", "xdp"));
            assertEquals(0, attach.exit(), attach.out());
            assertEquals("", attach.out().strip(), "iproute2 printed something");
            Bpftool.Result show = Bpftool.exec(List.of("ip", "-n", ns, "link", "show", "dev", "pc0"));
            assertTrue(show.out().contains("prog/xdp"), show.out());
        } finally {
            Files.deleteIfExists(obj);
            Bpftool.exec(List.of("ip", "netns", "del", ns));
        }
    }

    /** tc (iproute2) attaches the tc objects, with their BTF, as ingress and egress filters without a word. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = BpfCompiler.Strategy.class, names = {"AUTO", "TABLE"})
    void tcAttachesWithoutWarnings(BpfCompiler.Strategy strategy) throws Exception {
        Assumptions.assumeTrue(Bpftool.exec(List.of("tc", "-V")).exit() == 0, "tc (iproute2) is not installed");
        String ns = "pct" + ProcessHandle.current().pid();
        Bpftool.Result add = Bpftool.exec(List.of("ip", "netns", "add", ns));
        Assumptions.assumeTrue(add.exit() == 0, () -> "cannot create a network namespace: " + add.out());
        Path obj = Files.createTempFile("portcullis-", ".o");
        try {
            Bpftool.Result dev = Bpftool.exec(List.of("ip", "-n", ns, "link", "add", "pc0", "type", "veth", "peer", "name", "pc1"));
            assertEquals(0, dev.exit(), dev.out());
            Bpftool.Result qdisc = Bpftool.exec(List.of("tc", "-n", ns, "qdisc", "add", "dev", "pc0", "clsact"));
            assertEquals(0, qdisc.exit(), qdisc.out());
            for (Target t : new Target[] {Target.TC_INGRESS, Target.TC_EGRESS}) {
                ResolvedPolicy p = Policies.policy("tc" + t.ordinal(), t, Action.DENY, Action.ALLOW,
                        MixedPolicy.build().rules().stream().map(r -> r.match()).toArray(io.portcullis.ir.RuleMatch[]::new));
                Files.write(obj, BpfCompiler.compile(p, strategy));
                String hook = t == Target.TC_INGRESS ? "ingress" : "egress";
                Bpftool.Result attach = Bpftool.exec(List.of("tc", "-n", ns, "filter", "add", "dev", "pc0", hook,
                        "bpf", "da", "obj", obj.toString(), "sec", "tc"));
                assertEquals(0, attach.exit(), attach.out());
                assertEquals("", attach.out().strip(), t + ": tc printed something");
                Bpftool.Result show = Bpftool.exec(List.of("tc", "-n", ns, "filter", "show", "dev", "pc0", hook));
                assertTrue(show.out().contains("direct-action"), show.out());
            }
        } finally {
            Files.deleteIfExists(obj);
            Bpftool.exec(List.of("ip", "netns", "del", ns));
        }
    }
}
