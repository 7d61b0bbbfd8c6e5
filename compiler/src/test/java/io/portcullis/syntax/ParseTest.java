package io.portcullis.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.ir.Action;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.ir.Target;
import io.portcullis.model.Ast;
import io.portcullis.net.Ip;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParseTest {

    static final String EXAMPLE = """
            # policies/edge.policy
            import "common/networks.policy";          # relative to this file; may not leave the policy root

            network office   = { 192.0.2.0/24, 2001:db8:100::/48 };
            network web      = 10.1.0.0/16;
            network db       = { 10.2.0.0/16, fd00:db::/64 };
            network partners = { 198.51.100.0/24, office } except 198.51.100.128/25;
            service https    = tcp 443;
            service dns      = { udp 53, tcp 53 };
            service ephemeral = tcp 32768-60999;

            policy edge on xdp {
                default deny;

                public-web:  allow tcp from any to web port { 80, 443 };
                web-to-db:   allow tcp from web to db port 5432;
                             allow https from partners to web;
                ping:        allow icmp type echo-request from office to any;
                ndp:         allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                no-telnet:   deny tcp from any to any port 23;
                replies:     allow tcp established from any to { web, db };

                waive exposed-admin-port "bastion host; reviewed by netops" until 2027-03-31;
                bastion-ssh: allow tcp from any to 10.1.0.5 port 22;

                expect allow tcp 192.0.2.7:40000 -> 10.1.3.4:443;
                expect deny  udp 203.0.113.9:5353 -> [fd00:db::7]:5432;
                assert deny  tcp new from any except web to db port 5432;
            }

            guard org-baseline {
                assert deny tcp new from any except office to any port 3389;
            }
            """;

    static PolicyParser.ParseResult parse(String text) {
        return PolicyParser.parse(SourceFile.ofString("t.policy", text));
    }

    static Ast.PolicyFile ok(String text) {
        PolicyParser.ParseResult r = parse(text);
        assertEquals(List.of(), r.diagnostics(), () -> "unexpected diagnostics for:\n" + text);
        return r.file();
    }

    static Ast.Match ruleMatch(String rule) {
        Ast.PolicyFile f = ok("policy p { default deny; " + rule + " }");
        Ast.PolicyItem item = f.policies().get(0).items().get(1);
        return assertInstanceOf(Ast.RuleStmt.class, item).match();
    }

    static Ast.PrefixItem prefixItem(Ast.AddrItem i) { return assertInstanceOf(Ast.PrefixItem.class, i); }

    @Test
    void completeExampleFromLanguageReference() {
        Ast.PolicyFile f = ok(EXAMPLE);
        assertEquals(List.of("common/networks.policy"), f.imports().stream().map(Ast.Import::path).toList());
        assertEquals(List.of("office", "web", "db", "partners"), f.networks().stream().map(Ast.NetworkDef::name).toList());
        assertEquals(List.of("https", "dns", "ephemeral"), f.services().stream().map(Ast.ServiceDef::name).toList());
        Ast.PolicyDef edge = f.policies().get(0);
        assertEquals("edge", edge.name());
        assertEquals(Target.XDP, edge.target());
        // 1 default + 8 rules (ndp's two ICMPv6 types become two rules) + waive + 2 expects + assert
        assertEquals(14, edge.items().size());
        Ast.RuleStmt ndp1 = (Ast.RuleStmt) edge.items().get(5);
        Ast.RuleStmt ndp2 = (Ast.RuleStmt) edge.items().get(6);
        assertEquals("ndp", ndp1.label());
        assertEquals("neighbor-solicitation", ndp1.match().type().name());
        assertEquals("neighbor-advertisement", ndp2.match().type().name());
        Ast.RuleStmt unlabelled = (Ast.RuleStmt) edge.items().get(3);
        assertNull(unlabelled.label());
        assertEquals(Ast.ProtoKind.SERVICE, unlabelled.match().proto().kind());
        assertEquals("https", unlabelled.match().proto().service());
        Ast.RuleStmt replies = (Ast.RuleStmt) edge.items().get(8);
        assertEquals(TcpState.ESTABLISHED, replies.match().state());
        assertEquals(2, replies.match().to().include().size());
        Ast.WaiverStmt w = (Ast.WaiverStmt) edge.items().get(9);
        assertEquals("exposed-admin-port", w.code());
        assertEquals("bastion host; reviewed by netops", w.reason());
        assertEquals(LocalDate.of(2027, 3, 31), w.until());
        Ast.ExpectStmt e2 = (Ast.ExpectStmt) edge.items().get(12);
        assertEquals(Action.DENY, e2.action());
        assertEquals(Ip.parse("fd00:db::7").orElseThrow(), e2.packet().dst());
        assertEquals(5432, e2.packet().dport());
        Ast.AssertStmt a = (Ast.AssertStmt) edge.items().get(13);
        assertEquals("tcp new from any except web to db port 5432", a.text());
        assertEquals(TcpState.NEW, a.match().state());
        assertEquals(1, a.match().from().except().size());
        assertEquals("org-baseline", f.guards().get(0).name());
        assertEquals(1, f.guards().get(0).asserts().size());
    }

    @Test
    void spansAreOneBasedAndCoverTheConstruct() {
        Ast.PolicyFile f = ok(EXAMPLE);
        Ast.NetworkDef partners = f.networks().get(3);
        assertEquals(7, partners.span().line());
        assertEquals(1, partners.span().column());
        assertEquals(9, partners.nameSpan().column());
        assertEquals("partners".length(), partners.nameSpan().length());
        Ast.RuleStmt web = (Ast.RuleStmt) f.policies().get(0).items().get(1);
        assertEquals(15, web.span().line());
        assertEquals(5, web.span().column());
        assertEquals("public-web:  allow tcp from any to web port { 80, 443 };".length(), web.span().length());
        assertEquals(24, web.match().span().column());
        assertEquals("tcp from any to web port { 80, 443 }".length(), web.match().span().length());
    }

    @Test
    void everyTarget() {
        assertEquals(Target.XDP, ok("policy p { default deny; }").policies().get(0).target());
        assertEquals(Target.XDP, ok("policy p on xdp { default deny; }").policies().get(0).target());
        assertEquals(Target.TC_INGRESS, ok("policy p on tc ingress { default deny; }").policies().get(0).target());
        assertEquals(Target.TC_EGRESS, ok("policy p on tc egress { default deny; }").policies().get(0).target());
        assertEquals(Target.CGROUP_INGRESS, ok("policy p on cgroup ingress { default deny; }").policies().get(0).target());
        assertEquals(Target.CGROUP_EGRESS, ok("policy p on cgroup egress { default deny; }").policies().get(0).target());
    }

    @Test
    void defaultAndNonIp() {
        List<Ast.PolicyItem> items = ok("policy p { default allow; non-ip deny; }").policies().get(0).items();
        assertEquals(Action.ALLOW, assertInstanceOf(Ast.DefaultStmt.class, items.get(0)).action());
        assertEquals(Action.DENY, assertInstanceOf(Ast.NonIpStmt.class, items.get(1)).action());
    }

    @Test
    void emptyMatchMeansEverything() {
        Ast.Match m = ruleMatch("allow;");
        assertNull(m.proto());
        assertNull(m.from());
        assertNull(m.to());
        assertNull(m.fromPorts());
        assertNull(m.toPorts());
        assertEquals(TcpState.ANY, m.state());
        assertNull(m.type());
    }

    @Test
    void fullMatchInOrder() {
        Ast.Match m = ruleMatch("deny udp from 10.0.0.0/8 port 53 to any4 except 10.9.0.0/16 port { 1, 8000-8999 };");
        assertEquals(Ast.ProtoKind.UDP, m.proto().kind());
        assertEquals(List.of(new Ast.PortRange(53, 53, m.fromPorts().get(0).span())), m.fromPorts());
        assertEquals(2, m.toPorts().size());
        assertEquals(8000, m.toPorts().get(1).lo());
        assertEquals(8999, m.toPorts().get(1).hi());
        assertEquals(Ast.AnyKind.ANY4, assertInstanceOf(Ast.AnyItem.class, m.to().include().get(0)).kind());
        assertEquals("10.9.0.0/16", prefixItem(m.to().except().get(0)).prefix().toString());
    }

    @Test
    void protoNumberAndIcmpCodes() {
        Ast.Match m = ruleMatch("allow proto 47 from 10.0.0.1;");
        assertEquals(Ast.ProtoKind.NUMBER, m.proto().kind());
        assertEquals(47, m.proto().number());
        Ast.Match icmp = ruleMatch("allow icmp from any to any type 3 code 4;");
        assertEquals(3, icmp.type().number());
        assertFalse(icmp.type().isNamed());
        assertEquals(4, icmp.code().number());
        Ast.Match tcpNew = ruleMatch("allow tcp to any port 22 new;");
        assertEquals(TcpState.NEW, tcpNew.state());
    }

    @Test
    void servicesOfEveryKind() {
        Ast.ServiceDef s = ok("service s = { tcp { 80, 443 }, udp 53, icmp, icmpv6 type echo-request code 0, proto 47, web };")
                .services().get(0);
        assertEquals(6, s.items().size());
        Ast.TcpUdpItem tcp = assertInstanceOf(Ast.TcpUdpItem.class, s.items().get(0));
        assertFalse(tcp.udp());
        assertEquals(2, tcp.ports().size());
        assertTrue(assertInstanceOf(Ast.TcpUdpItem.class, s.items().get(1)).udp());
        Ast.IcmpItem icmp = assertInstanceOf(Ast.IcmpItem.class, s.items().get(2));
        assertNull(icmp.type());
        Ast.IcmpItem v6 = assertInstanceOf(Ast.IcmpItem.class, s.items().get(3));
        assertTrue(v6.v6());
        assertEquals("echo-request", v6.type().name());
        assertEquals(0, v6.code().number());
        assertEquals(47, assertInstanceOf(Ast.ProtoItem.class, s.items().get(4)).number());
        assertEquals("web", assertInstanceOf(Ast.ServiceRef.class, s.items().get(5)).name());
    }

    @Test
    void waiverWithoutDateAndKeywordCodes() {
        List<Ast.PolicyItem> items = ok("policy p { default deny; waive default \"ok\"; waive shadowed \"a \\\"quoted\\\" reason\"; }")
                .policies().get(0).items();
        Ast.WaiverStmt w = assertInstanceOf(Ast.WaiverStmt.class, items.get(1));
        assertEquals("default", w.code());
        assertNull(w.until());
        assertEquals("a \"quoted\" reason", ((Ast.WaiverStmt) items.get(2)).reason());
    }

    // ---------------------------------------------------------------- lexing pitfalls

    @Test
    void namesWithDashesDigitsAndUnderscores() {
        Ast.PolicyFile f = ok("network public-web = 10.0.0.0/8; network db_2 = any; network _x = any6;");
        assertEquals(List.of("public-web", "db_2", "_x"), f.networks().stream().map(Ast.NetworkDef::name).toList());
    }

    @Test
    void hexLookingWordsAreNames() {
        Ast.Match m = ruleMatch("allow from db to { face, dead, beef, cafe };");
        assertEquals("db", assertInstanceOf(Ast.NameItem.class, m.from().include().get(0)).name());
        assertEquals(List.of("face", "dead", "beef", "cafe"),
                m.to().include().stream().map(i -> ((Ast.NameItem) i).name()).toList());
    }

    @Test
    void labelsAreNotIpv6() {
        List<Ast.PolicyItem> items = ok("policy p { default deny; db: allow tcp; face:allow udp; cafe : deny; }").policies().get(0).items();
        assertEquals("db", ((Ast.RuleStmt) items.get(1)).label());
        assertEquals("face", ((Ast.RuleStmt) items.get(2)).label());
        assertEquals("cafe", ((Ast.RuleStmt) items.get(3)).label());
    }

    @Test
    void ipv6Forms() {
        Ast.NetworkDef n = ok("network v6 = { 2001:db8:100::/48, fd00:db::7, ::1, ::, ::ffff:1.2.3.4, 2001:db8:0:0:0:0:0:1 };")
                .networks().get(0);
        List<String> got = n.value().include().stream().map(i -> prefixItem(i).prefix().toString()).toList();
        assertEquals(List.of("2001:db8:100::/48", "fd00:db::7", "::1", "::", "::ffff:102:304", "2001:db8::1"), got);
    }

    @Test
    void portRangesAreNumberDashNumber() {
        Ast.ServiceDef s = ok("service s = tcp 8000-8999; service t = tcp 8000 - 8999;").services().get(0);
        Ast.PortRange r = ((Ast.TcpUdpItem) s.items().get(0)).ports().get(0);
        assertEquals(8000, r.lo());
        assertEquals(8999, r.hi());
    }

    @Test
    void commentsAndStrings() {
        Ast.PolicyFile f = ok("# header\nimport \"a/b # not a comment.policy\"; # trailing\n#last");
        assertEquals("a/b # not a comment.policy", f.imports().get(0).path());
    }

    @Test
    void keywordsAreReserved() {
        PolicyParser.ParseResult r = parse("network from = 10.0.0.0/8;");
        assertEquals(1, r.diagnostics().size());
        Diagnostic d = r.diagnostics().get(0);
        assertEquals("syntax", d.code());
        assertTrue(d.help().contains("reserved"), d.help());
    }

    // ---------------------------------------------------------------- packets

    static Ast.PacketLit packet(String text) {
        PolicyParser.PacketResult r = PolicyParser.parsePacket(SourceFile.ofString("<packet>", text));
        assertEquals(List.of(), r.diagnostics(), text);
        return r.packet();
    }

    @Test
    void packetLiterals() {
        Ast.PacketLit p = packet("tcp 192.0.2.7:40000 -> 10.1.3.4:443");
        assertEquals(Ast.ProtoKind.TCP, p.proto().kind());
        assertEquals("192.0.2.7", p.src().toString());
        assertEquals(40000, p.sport());
        assertEquals(443, p.dport());
        assertNull(p.flags(), "no flags written: the resolver treats it as syn");
        assertEquals(5, p.srcSpan().column());
        assertEquals("192.0.2.7:40000".length(), p.srcSpan().length());
        assertEquals(24, p.dstSpan().column());

        Ast.PacketLit u = packet("udp [2001:db8::1]:53 -> [2001:db8::2]:53");
        assertEquals("2001:db8::2", u.dst().toString());
        assertEquals(53, u.sport());

        Ast.PacketLit i = packet("icmp 10.0.0.1 -> 10.0.0.2 type echo-request");
        assertEquals(-1, i.sport());
        assertEquals("echo-request", i.type().name());
        assertNull(i.code());

        Ast.PacketLit f = packet("tcp 1.2.3.4:1 -> 5.6.7.8:22 flags { syn, ack }");
        assertEquals(Set.of(TcpFlag.SYN, TcpFlag.ACK), f.flags());

        Ast.PacketLit g = packet("proto 47 10.0.0.1 -> 10.0.0.2");
        assertEquals(47, g.proto().number());

        Ast.PacketLit frag = packet("udp 10.0.0.1 -> 10.0.0.2 fragment");
        assertTrue(frag.fragment());
        assertEquals(-1, frag.dport());

        assertEquals(Set.of(), packet("tcp 1.2.3.4:1 -> 5.6.7.8:2 flags { }").flags());
        assertEquals(0, packet("icmpv6 ::1 -> fd00::1 type 128 code 0").code().number());
    }

    @Test
    void packetErrors() {
        assertPacketError("tcp 1.2.3.4:1 -> 5.6.7.8:2 fragment", "syntax", 1, 28);
        assertPacketError("tcp 1.2.3.4:1 -> 5.6.7.8:99999", "bad-number", 1, 26);
        assertPacketError("tcp 1.2.3.0/24:1 -> 5.6.7.8:2", "bad-address", 1, 5);
        assertPacketError("tcp 1.2.3.4:1 -> 5.6.7.8:2 extra", "syntax", 1, 28);
        assertPacketError("tcp 1.2.3.4:1 5.6.7.8:2", "syntax", 1, 14);
    }

    static void assertPacketError(String text, String code, int line, int col) {
        PolicyParser.PacketResult r = PolicyParser.parsePacket(SourceFile.ofString("<packet>", text));
        assertNull(r.packet(), text);
        assertEquals(1, r.diagnostics().size(), () -> text + " -> " + r.diagnostics());
        Diagnostic d = r.diagnostics().get(0);
        assertEquals(code, d.code(), d::toString);
        assertEquals(line + ":" + col, d.span().line() + ":" + d.span().column(), d::toString);
    }
}
