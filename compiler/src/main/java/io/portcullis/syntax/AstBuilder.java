package io.portcullis.syntax;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.Span;
import io.portcullis.grammar.PolicyLexer;
import io.portcullis.grammar.PolicyParser.ActionContext;
import io.portcullis.grammar.PolicyParser.AddrExprContext;
import io.portcullis.grammar.PolicyParser.AddrItemContext;
import io.portcullis.grammar.PolicyParser.AddrListContext;
import io.portcullis.grammar.PolicyParser.AssertStmtContext;
import io.portcullis.grammar.PolicyParser.EndpointContext;
import io.portcullis.grammar.PolicyParser.ExpectStmtContext;
import io.portcullis.grammar.PolicyParser.FileContext;
import io.portcullis.grammar.PolicyParser.GuardDefContext;
import io.portcullis.grammar.PolicyParser.IcmpServiceContext;
import io.portcullis.grammar.PolicyParser.IcmpSpecContext;
import io.portcullis.grammar.PolicyParser.IcmpValueContext;
import io.portcullis.grammar.PolicyParser.ImportStmtContext;
import io.portcullis.grammar.PolicyParser.MatchContext;
import io.portcullis.grammar.PolicyParser.NetworkDefContext;
import io.portcullis.grammar.PolicyParser.PacketContext;
import io.portcullis.grammar.PolicyParser.PacketProtoContext;
import io.portcullis.grammar.PolicyParser.PolicyDefContext;
import io.portcullis.grammar.PolicyParser.PolicyItemContext;
import io.portcullis.grammar.PolicyParser.PortListContext;
import io.portcullis.grammar.PolicyParser.PortRangeContext;
import io.portcullis.grammar.PolicyParser.ProtoContext;
import io.portcullis.grammar.PolicyParser.ProtoServiceContext;
import io.portcullis.grammar.PolicyParser.QualifierContext;
import io.portcullis.grammar.PolicyParser.RuleStmtContext;
import io.portcullis.grammar.PolicyParser.ServiceDefContext;
import io.portcullis.grammar.PolicyParser.ServiceItemContext;
import io.portcullis.grammar.PolicyParser.ServiceRefContext;
import io.portcullis.grammar.PolicyParser.TargetContext;
import io.portcullis.grammar.PolicyParser.TcpUdpServiceContext;
import io.portcullis.grammar.PolicyParser.TopItemContext;
import io.portcullis.grammar.PolicyParser.WaiveStmtContext;
import io.portcullis.ir.Action;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.ir.Target;
import io.portcullis.model.Ast;
import io.portcullis.net.Ip;
import io.portcullis.net.Prefix;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ErrorNode;
import org.antlr.v4.runtime.tree.ParseTree;
import org.antlr.v4.runtime.tree.ParseTreeListener;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Parse tree to {@link Ast} records, with the checks that need only the text: addresses, prefix host bits, number
 * ranges and dates. A statement that holds a syntax error is left out: its error is already reported, and a guess at
 * what it meant would only produce misleading findings later.
 */
final class AstBuilder {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd").withResolverStyle(ResolverStyle.STRICT);

    private final Positions pos;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final int maxListItems;
    /** The parse reported no syntax error, so no part of the tree can be broken: {@link #broken} need not look. */
    private final boolean clean;

    AstBuilder(Positions pos, int maxListItems, boolean clean) {
        this.pos = pos;
        this.maxListItems = maxListItems;
        this.clean = clean;
    }

    List<Diagnostic> diagnostics() { return diagnostics; }

    // ------------------------------------------------------------------ top level

    Ast.PolicyFile file(FileContext ctx) {
        List<Ast.Import> imports = new ArrayList<>();
        List<Ast.NetworkDef> networks = new ArrayList<>();
        List<Ast.ServiceDef> services = new ArrayList<>();
        List<Ast.PolicyDef> policies = new ArrayList<>();
        List<Ast.GuardDef> guards = new ArrayList<>();
        for (TopItemContext item : ctx.topItem()) {
            if (item.importStmt() != null && !isBroken(item.importStmt())) imports.add(importStmt(item.importStmt()));
            if (item.networkDef() != null && !isBroken(item.networkDef())) networks.add(network(item.networkDef()));
            if (item.serviceDef() != null && !isBroken(item.serviceDef())) services.add(service(item.serviceDef()));
            if (item.policyDef() != null) {
                Ast.PolicyDef p = policy(item.policyDef());
                if (p != null) policies.add(p);
            }
            if (item.guardDef() != null) {
                Ast.GuardDef g = guard(item.guardDef());
                if (g != null) guards.add(g);
            }
        }
        return new Ast.PolicyFile(pos.file(), List.copyOf(imports), List.copyOf(networks), List.copyOf(services),
                List.copyOf(policies), List.copyOf(guards));
    }

    private Ast.Import importStmt(ImportStmtContext c) {
        return new Ast.Import(unquote(c.STRING().getSymbol()), span(c));
    }

    private Ast.NetworkDef network(NetworkDefContext c) {
        return new Ast.NetworkDef(c.NAME().getText(), addrExpr(c.addrExpr()), span(c), pos.token(c.NAME().getSymbol()));
    }

    private Ast.ServiceDef service(ServiceDefContext c) {
        List<Ast.ServiceItem> items = new ArrayList<>();
        for (ServiceItemContext i : bounded(c.serviceList().serviceItem(), "services")) items.addAll(serviceItem(i));
        return new Ast.ServiceDef(c.NAME().getText(), List.copyOf(items), span(c), pos.token(c.NAME().getSymbol()));
    }

    private List<Ast.ServiceItem> serviceItem(ServiceItemContext c) {
        Span sp = span(c);
        if (c instanceof TcpUdpServiceContext t) {
            return List.of(new Ast.TcpUdpItem(t.UDP() != null, ports(t.portList()), sp));
        }
        if (c instanceof IcmpServiceContext i) {
            boolean v6 = i.ICMPV6() != null;
            if (i.icmpSpec() == null) return List.of(new Ast.IcmpItem(v6, null, null, sp));
            IcmpValueContext codeCtx = i.icmpSpec().icmpValue();
            Ast.IcmpValue code = codeCtx == null ? null : icmpValue(codeCtx, "ICMP code");
            List<Ast.IcmpValue> types = new ArrayList<>();
            for (IcmpValueContext v : bounded(i.icmpSpec().icmpList().icmpValue(), "ICMP types")) types.add(icmpValue(v, "ICMP type"));
            return List.of(new Ast.IcmpItem(v6, List.copyOf(types), code, sp));
        }
        if (c instanceof ProtoServiceContext p) {
            int n = number(p.NUMBER().getSymbol(), 255, "protocol number", "IP protocol numbers run from 0 to 255");
            return List.of(new Ast.ProtoItem(Math.max(n, 0), sp));
        }
        ServiceRefContext r = (ServiceRefContext) c;
        return List.of(new Ast.ServiceRef(r.NAME().getText(), sp));
    }

    private Ast.PolicyDef policy(PolicyDefContext c) {
        if (c.NAME() == null || c.NAME() instanceof ErrorNode) return null;
        Target target = Target.XDP;
        if (c.target() != null && !isBroken(c.target())) target = target(c.target());
        List<Ast.PolicyItem> items = new ArrayList<>();
        for (PolicyItemContext i : c.policyItem()) {
            List<? extends Ast.PolicyItem> done = built.remove(i);
            if (done != null) items.addAll(done);
            else if (!isBroken(i)) items.addAll(policyItem(i));
        }
        return new Ast.PolicyDef(c.NAME().getText(), target, List.copyOf(items), span(c), pos.token(c.NAME().getSymbol()));
    }

    private static Target target(TargetContext c) {
        if (c.XDP() != null) return Target.XDP;
        boolean ingress = c.INGRESS() != null;
        if (c.TC() != null) return ingress ? Target.TC_INGRESS : Target.TC_EGRESS;
        return ingress ? Target.CGROUP_INGRESS : Target.CGROUP_EGRESS;
    }

    private Ast.GuardDef guard(GuardDefContext c) {
        if (c.NAME() == null || c.NAME() instanceof ErrorNode) return null;
        List<Ast.AssertStmt> asserts = new ArrayList<>();
        for (AssertStmtContext a : c.assertStmt()) {
            if (!isBroken(a)) asserts.addAll(assertStmt(a));
        }
        return new Ast.GuardDef(c.NAME().getText(), List.copyOf(asserts), span(c), pos.token(c.NAME().getSymbol()));
    }

    // ------------------------------------------------------------------ policy items

    private List<? extends Ast.PolicyItem> policyItem(PolicyItemContext c) {
        if (c.defaultStmt() != null) {
            return List.of(new Ast.DefaultStmt(action(c.defaultStmt().action()), span(c.defaultStmt())));
        }
        if (c.nonIpStmt() != null) {
            return List.of(new Ast.NonIpStmt(action(c.nonIpStmt().action()), span(c.nonIpStmt())));
        }
        if (c.ruleStmt() != null) return ruleStmt(c.ruleStmt());
        if (c.waiveStmt() != null) return List.of(waiver(c.waiveStmt()));
        if (c.expectStmt() != null) {
            ExpectStmtContext e = c.expectStmt();
            Ast.PacketLit packet = packet(e.packet());
            return packet == null ? List.of() : List.of(new Ast.ExpectStmt(action(e.action()), packet, span(e)));
        }
        return assertStmt(c.assertStmt());
    }

    private List<Ast.RuleStmt> ruleStmt(RuleStmtContext c) {
        String label = c.label() == null ? null : c.label().NAME().getText();
        Action action = action(c.action());
        Span sp = span(c);
        List<Ast.RuleStmt> out = new ArrayList<>();
        for (Ast.Match m : match(c.match())) out.add(new Ast.RuleStmt(label, action, m, sp));
        return out;
    }

    private List<Ast.AssertStmt> assertStmt(AssertStmtContext c) {
        Action action = action(c.action());
        Span sp = span(c);
        String text = text(c.match());
        List<Ast.AssertStmt> out = new ArrayList<>();
        for (Ast.Match m : match(c.match())) out.add(new Ast.AssertStmt(action, m, sp, text));
        return out;
    }

    private Ast.WaiverStmt waiver(WaiveStmtContext c) {
        String reason = unquote(c.STRING().getSymbol());
        if (reason.isBlank()) {
            diagnostics.add(Diagnostic.error(Codes.SYNTAX, pos.token(c.STRING().getSymbol()),
                    "a waiver needs a reason", "say why the finding is accepted, e.g. \"bastion host; reviewed by netops\""));
        }
        LocalDate until = null;
        if (c.DATE() != null) {
            String d = c.DATE().getText();
            try {
                until = LocalDate.parse(d, DATE);
            } catch (DateTimeParseException ex) {
                diagnostics.add(Diagnostic.error(Codes.BAD_DATE, pos.token(c.DATE().getSymbol()),
                        "'" + d + "' is not a valid date", "write the date as YYYY-MM-DD, e.g. 2027-03-31"));
            }
        }
        return new Ast.WaiverStmt(c.word().getText(), reason, until, span(c), span(c.word()));
    }

    private static Action action(ActionContext c) {
        return c.ALLOW() != null ? Action.ALLOW : Action.DENY;
    }

    // ------------------------------------------------------------------ matches

    /** One match, or one per ICMP type when several are listed (first match over them equals their union). */
    private List<Ast.Match> match(MatchContext c) {
        Ast.Proto proto = c.proto() == null ? null : proto(c.proto());
        Ast.AddrExpr from = null, to = null;
        List<Ast.PortRange> fromPorts = null, toPorts = null;
        boolean afterTo = false;
        for (ParseTree child : c.children == null ? List.<ParseTree>of() : c.children) {
            if (child instanceof TerminalNode tn && tn.getSymbol().getType() == PolicyLexer.TO) afterTo = true;
            if (child instanceof AddrExprContext a) {
                if (afterTo) to = addrExpr(a); else from = addrExpr(a);
            }
            if (child instanceof PortListContext pl) {
                if (afterTo) toPorts = ports(pl); else fromPorts = ports(pl);
            }
        }
        TcpState state = TcpState.ANY;
        Span stateSpan = null;
        List<IcmpSpecContext> specs = new ArrayList<>();
        for (QualifierContext q : c.qualifier()) {
            if (q.icmpSpec() != null) {
                specs.add(q.icmpSpec());
                if (specs.size() == 2) {
                    diagnostics.add(Diagnostic.error(Codes.SYNTAX, span(q), "the ICMP type is given twice",
                            "give 'type' once, either after the protocol or at the end of the match"));
                }
            } else if (stateSpan != null) {
                diagnostics.add(Diagnostic.error(Codes.SYNTAX, span(q), "the connection state is given twice",
                        "write 'established' or 'new' once"));
            } else {
                state = q.state().ESTABLISHED() != null ? TcpState.ESTABLISHED : TcpState.NEW;
                stateSpan = span(q);
            }
        }
        List<Ast.IcmpValue> types = new ArrayList<>();
        Ast.IcmpValue code = null;
        if (!specs.isEmpty()) {
            IcmpSpecContext spec = specs.get(0);
            for (IcmpValueContext v : bounded(spec.icmpList().icmpValue(), "ICMP types")) types.add(icmpValue(v, "ICMP type"));
            if (spec.icmpValue() != null) code = icmpValue(spec.icmpValue(), "ICMP code");
        }
        Span sp = span(c);
        return List.of(new Ast.Match(proto, from, fromPorts, to, toPorts, state, stateSpan,
                types.isEmpty() ? null : List.copyOf(types), code, sp));
    }

    private Ast.Proto proto(ProtoContext c) {
        Span sp = span(c);
        if (c.TCP() != null) return new Ast.Proto(Ast.ProtoKind.TCP, 6, null, sp);
        if (c.UDP() != null) return new Ast.Proto(Ast.ProtoKind.UDP, 17, null, sp);
        if (c.ICMP() != null) return new Ast.Proto(Ast.ProtoKind.ICMP, 1, null, sp);
        if (c.ICMPV6() != null) return new Ast.Proto(Ast.ProtoKind.ICMPV6, 58, null, sp);
        if (c.PROTO() != null) {
            int n = number(c.NUMBER().getSymbol(), 255, "protocol number", "IP protocol numbers run from 0 to 255");
            return new Ast.Proto(Ast.ProtoKind.NUMBER, Math.max(n, 0), null, sp);
        }
        return new Ast.Proto(Ast.ProtoKind.SERVICE, -1, c.NAME().getText(), sp);
    }

    private Ast.Proto packetProto(PacketProtoContext c) {
        Span sp = span(c);
        if (c.TCP() != null) return new Ast.Proto(Ast.ProtoKind.TCP, 6, null, sp);
        if (c.UDP() != null) return new Ast.Proto(Ast.ProtoKind.UDP, 17, null, sp);
        if (c.ICMP() != null) return new Ast.Proto(Ast.ProtoKind.ICMP, 1, null, sp);
        if (c.ICMPV6() != null) return new Ast.Proto(Ast.ProtoKind.ICMPV6, 58, null, sp);
        int n = number(c.NUMBER().getSymbol(), 255, "protocol number", "IP protocol numbers run from 0 to 255");
        return n < 0 ? null : new Ast.Proto(Ast.ProtoKind.NUMBER, n, null, sp);
    }

    private Ast.AddrExpr addrExpr(AddrExprContext c) {
        List<Ast.AddrItem> include = addrList(c.addrList(0));
        List<Ast.AddrItem> except = c.addrList().size() > 1 ? addrList(c.addrList(1)) : null;
        return new Ast.AddrExpr(include, except, span(c));
    }

    private List<Ast.AddrItem> addrList(AddrListContext c) {
        List<Ast.AddrItem> out = new ArrayList<>();
        for (AddrItemContext i : bounded(c.addrItem(), "addresses")) {
            Ast.AddrItem item = addrItem(i);
            if (item != null) out.add(item);
        }
        return List.copyOf(out);
    }

    private Ast.AddrItem addrItem(AddrItemContext c) {
        Span sp = span(c);
        if (c.NAME() != null) return new Ast.NameItem(c.NAME().getText(), sp);
        if (c.ANY() != null) return new Ast.AnyItem(Ast.AnyKind.ANY, sp);
        if (c.ANY4() != null) return new Ast.AnyItem(Ast.AnyKind.ANY4, sp);
        if (c.ANY6() != null) return new Ast.AnyItem(Ast.AnyKind.ANY6, sp);
        Token t = c.DOTTED() != null ? c.DOTTED().getSymbol() : c.IPV6().getSymbol();
        Prefix p = prefix(t);
        return p == null ? null : new Ast.PrefixItem(p, sp);
    }

    /** An address or prefix; null (after reporting) when malformed. A prefix with host bits set becomes its network. */
    private Prefix prefix(Token t) {
        String text = t.getText();
        Span sp = pos.token(t);
        int slash = text.indexOf('/');
        Ip ip = address(slash < 0 ? text : text.substring(0, slash), sp);
        if (ip == null) return null;
        if (slash < 0) return Prefix.host(ip);
        String lenText = text.substring(slash + 1);
        int bits = ip.family().bits();
        long len = lenText.length() > 9 ? Long.MAX_VALUE : Long.parseLong(lenText);
        if (len > bits) {
            diagnostics.add(Diagnostic.error(Codes.BAD_NUMBER, sp,
                    "prefix length /" + lenText + " is too long for an " + (bits == 32 ? "IPv4" : "IPv6") + " address",
                    "an IPv4 prefix length is 0-32, an IPv6 one 0-128"));
            return null;
        }
        Ip network = Prefix.network(ip, (int) len);
        if (!network.equals(ip)) {
            diagnostics.add(Diagnostic.error(Codes.HOST_BITS, sp,
                    text + " has host bits set; did you mean " + network + "/" + len + "?",
                    "the bits after the first " + len + " of a prefix must be zero; write " + network + "/" + len
                            + " for the network, or " + ip + " for the single host"));
        }
        return new Prefix(network, (int) len);
    }

    private Ip address(String text, Span sp) {
        Optional<Ip> ip = Ip.parse(text);
        if (ip.isPresent()) return ip.get();
        boolean v6 = text.indexOf(':') >= 0;
        diagnostics.add(Diagnostic.error(Codes.BAD_ADDRESS, sp,
                "'" + text + "' is not a valid " + (v6 ? "IPv6" : "IPv4") + " address",
                v6 ? "write up to eight groups of 1-4 hex digits separated by ':', with at most one '::', e.g. 2001:db8::1"
                        : "write four numbers from 0 to 255 separated by dots, without leading zeros, e.g. 192.0.2.1"));
        return null;
    }

    private List<Ast.PortRange> ports(PortListContext c) {
        List<Ast.PortRange> out = new ArrayList<>();
        for (PortRangeContext r : bounded(c.portRange(), "ports")) {
            Ast.PortRange pr = portRange(r);
            if (pr != null) out.add(pr);
        }
        return List.copyOf(out);
    }

    private Ast.PortRange portRange(PortRangeContext c) {
        String help = "ports run from 0 to 65535";
        int lo = number(c.NUMBER(0).getSymbol(), 65535, "port", help);
        int hi = c.NUMBER().size() > 1 ? number(c.NUMBER(1).getSymbol(), 65535, "port", help) : lo;
        if (lo < 0 || hi < 0) return null;
        if (lo > hi) {
            diagnostics.add(Diagnostic.error(Codes.BAD_NUMBER, span(c), "port range " + lo + "-" + hi + " is backwards",
                    "write the lower port first: " + hi + "-" + lo));
            return null;
        }
        return new Ast.PortRange(lo, hi, span(c));
    }

    private Ast.IcmpValue icmpValue(IcmpValueContext c, String what) {
        Span sp = span(c);
        if (c.NAME() != null) return new Ast.IcmpValue(c.NAME().getText(), -1, sp);
        int n = number(c.NUMBER().getSymbol(), 255, what, "ICMP types and codes run from 0 to 255");
        return new Ast.IcmpValue(null, Math.max(n, 0), sp);
    }

    /** A decimal number no larger than {@code max}; -1 (after reporting bad-number) when it is larger. */
    private int number(Token t, int max, String what, String help) {
        String s = t.getText();
        long v = s.length() > 9 ? Long.MAX_VALUE : Long.parseLong(s);
        if (v > max) {
            diagnostics.add(Diagnostic.error(Codes.BAD_NUMBER, pos.token(t),
                    what + " " + s + " is out of range (0-" + max + ")", help));
            return -1;
        }
        return (int) v;
    }

    // ------------------------------------------------------------------ packets

    private record Endpoint(Ip ip, int port, Span span) {}

    Ast.PacketLit packet(PacketContext c) {
        int before = diagnostics.size();
        Ast.Proto proto = packetProto(c.packetProto());
        Endpoint src = endpoint(c.endpoint(0));
        Endpoint dst = endpoint(c.endpoint(1));
        Set<TcpFlag> flags = null;
        if (c.FLAGS() != null) {
            flags = EnumSet.noneOf(TcpFlag.class);
            for (TerminalNode n : boundedTokens(c.flagList().NAME(), "TCP flags")) {
                TcpFlag f = flag(n.getText());
                if (f == null) {
                    diagnostics.add(Diagnostic.error(Codes.SYNTAX, pos.token(n.getSymbol()),
                            "unknown TCP flag '" + n.getText() + "'", "TCP flags are syn, ack, rst, fin, psh and urg"));
                } else {
                    flags.add(f);
                }
            }
            flags = Set.copyOf(flags);
        }
        Ast.IcmpValue type = null, code = null;
        if (c.icmpSpec() != null) {
            List<IcmpValueContext> types = c.icmpSpec().icmpList().icmpValue();
            if (types.size() > 1) {
                diagnostics.add(Diagnostic.error(Codes.SYNTAX, span(c.icmpSpec().icmpList()),
                        "a packet has exactly one ICMP type", "write one type, e.g. 'type echo-request'"));
            }
            type = icmpValue(types.get(0), "ICMP type");
            if (c.icmpSpec().icmpValue() != null) code = icmpValue(c.icmpSpec().icmpValue(), "ICMP code");
        }
        boolean fragment = c.FRAGMENT() != null;
        if (fragment && (src != null && src.port >= 0 || dst != null && dst.port >= 0 || flags != null || type != null)) {
            diagnostics.add(Diagnostic.error(Codes.SYNTAX, pos.token(c.FRAGMENT().getSymbol()),
                    "a non-first fragment carries no transport header, so it has no ports, flags or ICMP type",
                    "write bare addresses, e.g. 'udp 10.0.0.1 -> 10.0.0.2 fragment'"));
        }
        if (diagnostics.size() > before || proto == null || src == null || dst == null) return null;
        return new Ast.PacketLit(proto, src.ip, src.port, dst.ip, dst.port, flags, type, code, fragment, span(c),
                src.span, dst.span);
    }

    private static TcpFlag flag(String name) {
        for (TcpFlag f : TcpFlag.values()) if (f.label().equals(name.toLowerCase(Locale.ROOT))) return f;
        return null;
    }

    private Endpoint endpoint(EndpointContext c) {
        Span sp = span(c);
        Token addr = c.DOTTED() != null ? c.DOTTED().getSymbol() : c.IPV6().getSymbol();
        String text = addr.getText();
        if (text.indexOf('/') >= 0) {
            diagnostics.add(Diagnostic.error(Codes.BAD_ADDRESS, pos.token(addr),
                    "a packet has one address, not the prefix " + text, "write a single address, e.g. "
                            + text.substring(0, text.indexOf('/'))));
            return null;
        }
        Ip ip = address(text, pos.token(addr));
        if (ip == null) return null;
        int port = -1;
        if (c.NUMBER() != null) {
            port = number(c.NUMBER().getSymbol(), 65535, "port", "ports run from 0 to 65535");
            if (port < 0) return null;
        }
        return new Endpoint(ip, port, sp);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * The first {@code maxListItems} items of a {@code { ... }} list; past that one {@code limit} error at the first
     * item too many. The rest is dropped so that a generated list cannot make every later stage pay for it.
     */
    private <T extends ParserRuleContext> List<T> bounded(List<T> items, String what) {
        if (items.size() <= maxListItems) return items;
        diagnostics.add(listLimit(span(items.get(maxListItems)), what));
        return items.subList(0, maxListItems);
    }

    private List<TerminalNode> boundedTokens(List<TerminalNode> items, String what) {
        if (items.size() <= maxListItems) return items;
        diagnostics.add(listLimit(pos.token(items.get(maxListItems).getSymbol()), what));
        return items.subList(0, maxListItems);
    }

    private Diagnostic listLimit(Span at, String what) {
        return io.portcullis.resolve.Limits.error(at, "this list of " + what + " has more than "
                        + io.portcullis.resolve.Limits.count(maxListItems) + " items, the most one `{ ... }` list may hold",
                "list-items", "split it into several networks or services and list their names instead");
    }

    private Span span(ParserRuleContext c) {
        Token stop = c.stop;
        if (stop != null && stop.getTokenIndex() < c.start.getTokenIndex()) stop = null;
        return pos.range(c.start, stop);
    }

    private String text(ParserRuleContext c) {
        if (c.stop == null || c.stop.getTokenIndex() < c.start.getTokenIndex()) return "";
        String s = pos.slice(pos.startChar(c.start), pos.endChar(c.stop));
        // Messages quote this text on one line: a match written over several lines, or with comments, is folded.
        if (s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || s.indexOf('#') >= 0) {
            s = s.replaceAll("#[^\r\n]*", " ").replaceAll("\\s+", " ").trim();
        }
        return s;
    }

    private static String unquote(Token t) {
        String s = t.getText();
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length() - 1) {
                char n = s.charAt(++i);
                sb.append(n == 'n' ? '\n' : n == 't' ? '\t' : n);
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    private boolean isBroken(ParseTree tree) { return !clean && broken(tree); }

    /** Policy items already turned into AST while the parser ran, by their (since emptied) parse tree node. */
    private final Map<PolicyItemContext, List<? extends Ast.PolicyItem>> built = new IdentityHashMap<>();

    /**
     * A parse listener that builds each policy item's AST the moment the parser leaves it and then drops the item's
     * subtree. Parse tree nodes cost far more heap than the AST (a 100,000-rule policy's tree alone took hundreds of
     * megabytes, most of the front end's peak and of its garbage collection time). Only for a parse that stops at the
     * first error: then a finished item is final and holds no error. Once {@code failed} says the parser gave up, the
     * rules it leaves are incomplete and left alone (this builder is then thrown away).
     */
    ParseTreeListener itemBuilder(java.util.function.BooleanSupplier failed) {
        return new ParseTreeListener() {
            @Override public void visitTerminal(TerminalNode node) {}
            @Override public void visitErrorNode(ErrorNode node) {}
            @Override public void enterEveryRule(ParserRuleContext ctx) {}
            @Override public void exitEveryRule(ParserRuleContext ctx) {
                if (ctx instanceof PolicyItemContext item && !failed.getAsBoolean()) {
                    built.put(item, policyItem(item));
                    item.children = null;
                }
            }
        };
    }

    /**
     * True when the tree holds a syntax error. A conjured ';' does not count: the missing ';' is reported and
     * the statement itself is complete.
     */
    static boolean broken(ParseTree tree) {
        if (tree instanceof ErrorNode e) {
            Token t = e.getSymbol();
            return !(t.getTokenIndex() < 0 && t.getType() == PolicyLexer.SEMI);
        }
        if (tree instanceof ParserRuleContext c && c.exception != null) return true;
        for (int i = 0; i < tree.getChildCount(); i++) if (broken(tree.getChild(i))) return true;
        return false;
    }
}
