package io.portcullis.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diff.DiffResult.Kind;
import io.portcullis.diff.DiffResult.PolicyDiff;
import io.portcullis.diff.DiffResult.Region;
import io.portcullis.diff.DiffResult.Status;
import io.portcullis.ir.ResolvedPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SemanticDiffTest {
    @TempDir Path dir;

    private static String policy(String body) {
        return "policy p on xdp {\n    default deny;\n" + body + "}\n";
    }

    private DiffResult diff(String before, String after) throws Exception {
        List<ResolvedPolicy> o = Policies.load(dir.resolve("old"), "p.policy", before);
        List<ResolvedPolicy> n = Policies.load(dir.resolve("new"), "p.policy", after);
        DiffResult d = SemanticDiff.compare(o, n);
        Replay.assertReplays(d);
        return d;
    }

    @Test
    void aNewAllowIsOneRegionWithAnExactSummary() throws Exception {
        DiffResult d = diff(policy("    web: allow tcp from any to 10.1.0.0/16 port 443;\n"),
                policy("    web: allow tcp from any to 10.1.0.0/16 port 443;\n    db: allow tcp from any to 10.2.0.0/16 port 5432;\n"));
        assertEquals(1, d.regions().size());
        Region r = d.regions().get(0);
        assertEquals(Kind.NEW_ALLOW, r.kind());
        assertEquals("newly allowed: tcp from any to 10.2.0.0/16 port 5432", r.line());
        assertTrue(r.exact());
        assertEquals("db", r.newSide().rule());
        assertEquals(4, r.newSide().line());
        assertTrue(r.oldSide().isDefault());
        assertEquals(Status.CHANGED, d.policies().get(0).status());
        assertFalse(d.unchanged());
    }

    @Test
    void aRemovedAllowIsNewlyDeniedAndNamesTheOldRule() throws Exception {
        DiffResult d = diff(policy("    ssh: allow tcp from 192.0.2.0/24 to 10.0.0.0/24 port 22 new;\n    web: allow udp to 10.1.0.0/16 port 53;\n"),
                policy("    web: allow udp to 10.1.0.0/16 port 53;\n"));
        assertEquals(1, d.regions().size());
        Region r = d.regions().get(0);
        assertEquals(Kind.NEW_DENY, r.kind());
        assertEquals("newly denied: tcp from 192.0.2.0/24 to 10.0.0.0/24 port 22 new", r.line());
        assertEquals("ssh", r.oldSide().rule());
        assertTrue(r.newSide().isDefault());
    }

    @Test
    void regionsSplitByTheDecidingRulesOnEachSide() throws Exception {
        // The new deny takes packets from two old allows: two regions, one per old rule.
        DiffResult d = diff(policy("    a: allow tcp to 10.0.0.0/25;\n    b: allow tcp to 10.0.0.128/25;\n"),
                policy("    block: deny tcp to 10.0.0.0/24 port 23;\n    a: allow tcp to 10.0.0.0/25;\n    b: allow tcp to 10.0.0.128/25;\n"));
        assertEquals(2, d.regions().size());
        assertEquals("newly denied: tcp from any to 10.0.0.0/25 port 23", d.regions().get(0).line());
        assertEquals("a", d.regions().get(0).oldSide().rule());
        assertEquals("newly denied: tcp from any to 10.0.0.128/25 port 23", d.regions().get(1).line());
        assertEquals("b", d.regions().get(1).oldSide().rule());
        for (Region r : d.regions()) assertEquals("block", r.newSide().rule());
    }

    @Test
    void aRegionThatIsNotAProductSaysWithin() throws Exception {
        DiffResult d = diff(policy(""), policy("    hole: deny tcp from 10.0.0.0/24 to 10.9.0.0/24;\n"
                + "    r: allow tcp from { 10.0.0.0/24, 10.1.0.0/24 } to { 10.8.0.0/24, 10.9.0.0/24 } port 22;\n"));
        assertEquals(1, d.regions().size());
        Region r = d.regions().get(0);
        assertFalse(r.exact());
        assertEquals("newly allowed: within tcp from { 10.0.0.0/24, 10.1.0.0/24 } to { 10.8.0.0/24, 10.9.0.0/24 } port 22",
                r.line());
    }

    @Test
    void summariesNameStateSourcePortsIcmpAndIpv6() throws Exception {
        DiffResult d = diff(policy(""), policy("    a: allow udp from 2001:db8::/32 port 53 to any6 port 1024-65535;\n"
                + "    b: allow icmp type echo-request from any4 to 10.0.0.1;\n"
                + "    c: allow tcp established from any to 10.0.0.0/8;\n"));
        List<String> lines = d.regions().stream().map(Region::line).toList();
        assertEquals(List.of("newly allowed: udp from 2001:db8::/32 port 53 to any port 1024-65535",
                "newly allowed: icmp from any to 10.0.0.1 type 8",
                "newly allowed: tcp from any to 10.0.0.0/8 established"), lines);
        assertTrue(d.regions().stream().allMatch(Region::exact));
    }

    @Test
    void mostOfAnAddressSpaceReadsAsAnyExcept() throws Exception {
        DiffResult d = diff(policy("    api: allow tcp from 10.244.2.0/24 to 10.2.0.0/16 port 5432;\n"),
                policy("    everyone: allow tcp to 10.2.0.0/16 port 5432;\n"));
        assertEquals(List.of("newly allowed: tcp from any except 10.244.2.0/24 to 10.2.0.0/16 port 5432"),
                d.regions().stream().map(Region::line).toList());
        assertTrue(d.regions().get(0).exact());
    }

    @Test
    void reorderingSplittingAndMergingSmallRulesChangesNothing() throws Exception {
        String base = policy("    a: allow tcp from any to { 10.0.0.0/24, 10.0.1.0/24 } port { 80, 443 };\n"
                + "    b: deny udp to 10.0.0.0/16;\n    c: allow udp from 192.0.2.0/24 to 10.0.0.0/24;\n");
        String reordered = policy("    b: deny udp to 10.0.0.0/16;\n"
                + "    a: allow tcp from any to { 10.0.0.0/24, 10.0.1.0/24 } port { 80, 443 };\n"
                + "    c: allow udp from 192.0.2.0/24 to 10.0.0.0/24;\n");
        String split = policy("    a1: allow tcp from any to 10.0.0.0/24 port 80;\n    a2: allow tcp from any to 10.0.1.0/24 port 80;\n"
                + "    a3: allow tcp to { 10.0.0.0/24, 10.0.1.0/24 } port 443;\n"
                + "    b: deny udp to 10.0.0.0/16;\n    c: allow udp from 192.0.2.0/24 to 10.0.0.0/24;\n");
        String merged = policy("    a: allow tcp from any to 10.0.0.0/23 port { 80, 443 };\n    b: deny udp to 10.0.0.0/16;\n");
        for (String after : List.of(base, reordered, split, merged)) {
            DiffResult d = diff(base, after);
            assertTrue(d.unchanged(), after);
            assertEquals(List.of(), d.regions());
            assertTrue(DiffReport.text(d).startsWith("no change in behaviour"), DiffReport.text(d));
        }
    }

    @Test
    void bundledPoliciesRewrittenWithoutChangeInMeaning() throws Exception {
        Path old = Policies.bundledCopy(dir.resolve("old"));
        Path neu = Policies.bundledCopy(dir.resolve("new"));
        Path edge = neu.resolve("edge.policy");
        String text = Files.readString(edge);
        // Swap two rules, split one service into two rules, and spell one network out.
        String web = "    web: allow http-s from internet to dmz-web;\n";
        String quic = "    web-quic: allow quic from internet to dmz-web;\n";
        assertTrue(text.contains(web) && text.contains(quic));
        text = text.replace(web, "@@").replace(quic, web).replace("@@", quic);
        String ssh = "    admin-ssh: allow ssh from office to public-edge;\n";
        assertTrue(text.contains(ssh));
        text = text.replace(ssh, "    admin-ssh4: allow ssh from 192.0.2.0/24 to public-edge;\n"
                + "    admin-ssh6: allow ssh from 2001:db8:100::/48 to public-edge;\n");
        Files.writeString(edge, text);
        Path k8s = neu.resolve("k8s-node.policy");
        String k = Files.readString(k8s);
        String[] lines = k.split("\n", -1);
        // Every rule of k8s-node allows and the default denies, so any order means the same: reverse the rules.
        List<String> rules = new java.util.ArrayList<>();
        for (String l : lines) if (l.matches("\\s+[a-z0-9-]+:\\s+allow .*")) rules.add(l);
        assertTrue(rules.size() > 5);
        StringBuilder out = new StringBuilder();
        int next = rules.size() - 1;
        for (String l : lines) out.append(rules.contains(l) ? rules.get(next--) : l).append('\n');
        Files.writeString(k8s, out.toString().substring(0, out.length() - 1));
        DiffResult d = SemanticDiff.compare(Policies.loadPath(old), Policies.loadPath(neu));
        assertEquals(2, d.policies().size());
        assertTrue(d.unchanged(), DiffReport.text(d));
    }

    @Test
    void bundledPoliciesWithARealChange() throws Exception {
        Path old = Policies.bundledCopy(dir.resolve("old"));
        Path neu = Policies.bundledCopy(dir.resolve("new"));
        Path edge = neu.resolve("edge.policy");
        String text = Files.readString(edge).replace("    admin-ssh: allow ssh from office to public-edge;\n",
                "    admin-ssh: allow ssh from any to public-edge;\n");
        Files.writeString(edge, text);
        DiffResult d = SemanticDiff.compare(Policies.loadPath(old), Policies.loadPath(neu));
        Replay.assertReplays(d);
        assertEquals(0, d.count(Kind.NEW_DENY));
        assertTrue(d.count(Kind.NEW_ALLOW) >= 1);
        for (Region r : d.regions()) {
            assertEquals("edge", r.policy());
            assertEquals("admin-ssh", r.newSide().rule());
            assertTrue(r.line().startsWith("newly allowed: tcp from "), r.line());
            assertTrue(r.line().contains("port 22"), r.line());
        }
        PolicyDiff k8s = d.policies().get(1);
        assertEquals(Status.UNCHANGED, k8s.status());
    }

    @Test
    void addedAndRemovedPoliciesAndNonIp() throws Exception {
        List<ResolvedPolicy> o = Policies.load(dir.resolve("old"), "p.policy",
                "policy gone on xdp {\n    default deny;\n    a: allow tcp to 10.0.0.1 port 22;\n}\n"
                + "policy kept on xdp {\n    default deny;\n    non-ip deny;\n}\n");
        List<ResolvedPolicy> n = Policies.load(dir.resolve("new"), "p.policy",
                "policy fresh on xdp {\n    default deny;\n    a: allow udp to 10.0.0.1 port 53;\n}\n"
                + "policy kept on xdp {\n    default deny;\n    non-ip allow;\n}\n");
        DiffResult d = SemanticDiff.compare(o, n);
        Replay.assertReplays(d);
        assertEquals(List.of("fresh", "gone", "kept"), d.policies().stream().map(PolicyDiff::name).toList());
        PolicyDiff fresh = d.policies().get(0), gone = d.policies().get(1), kept = d.policies().get(2);
        assertEquals(Status.ADDED, fresh.status());
        assertEquals("newly allowed: udp from any to 10.0.0.1 port 53", fresh.regions().get(0).line());
        assertNull(fresh.regions().get(0).oldSide());
        assertEquals(Status.REMOVED, gone.status());
        assertEquals("newly denied: tcp from any to 10.0.0.1 port 22", gone.regions().get(0).line());
        assertNull(gone.regions().get(0).newSide());
        assertEquals(1, kept.regions().size());
        assertTrue(kept.regions().get(0).nonIp());
        assertEquals(Kind.NEW_ALLOW, kept.regions().get(0).kind());
    }

    @Test
    void jsonIsOneVersionedObject() throws Exception {
        DiffResult d = diff(policy(""), policy("    db: allow tcp from any to 10.2.0.0/16 port 5432;\n"));
        String json = DiffReport.json(d);
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        assertEquals(1, node.get("version").asInt());
        var r = node.get("regions").get(0);
        assertEquals("new-allow", r.get("kind").asText());
        assertEquals("p", r.get("policy").asText());
        assertEquals("newly allowed: tcp from any to 10.2.0.0/16 port 5432", r.get("summary").asText());
        assertEquals("tcp", r.get("witness").get("protocol").asText());
        assertEquals(5432, r.get("witness").get("dport").asInt());
        assertEquals("db", r.get("new").get("rule").asText());
        assertEquals("default", r.get("old").get("rule").asText());
        assertEquals(1, node.get("summary").get("newlyAllowed").asInt());
        assertEquals(json, DiffReport.json(diff(policy(""), policy("    db: allow tcp from any to 10.2.0.0/16 port 5432;\n"))));
    }
}
