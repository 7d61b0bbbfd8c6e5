package io.portcullis.model;

import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.Action;
import io.portcullis.ir.TcpFlag;
import io.portcullis.ir.TcpState;
import io.portcullis.ir.Target;
import io.portcullis.net.Ip;
import io.portcullis.net.Prefix;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;

/**
 * The syntax model: immutable records built from the parse tree, with source spans. Names are not resolved yet.
 * Nothing after the front end sees ANTLR types; everything after it sees these records.
 */
public final class Ast {
    private Ast() {}

    /** One parsed file. */
    public record PolicyFile(SourceFile source, List<Import> imports, List<NetworkDef> networks,
                             List<ServiceDef> services, List<PolicyDef> policies, List<GuardDef> guards) {}

    public record Import(String path, Span span) {}

    public record NetworkDef(String name, AddrExpr value, Span span, Span nameSpan) {}

    public record ServiceDef(String name, List<ServiceItem> items, Span span, Span nameSpan) {}

    // ---- addresses ----

    /** {@code ITEMS [except ITEMS]}. */
    public record AddrExpr(List<AddrItem> include, List<AddrItem> except, Span span) {}

    public sealed interface AddrItem permits PrefixItem, NameItem, AnyItem {
        Span span();
    }

    /** An address (host prefix) or a prefix. */
    public record PrefixItem(Prefix prefix, Span span) implements AddrItem {}

    /** A network name. */
    public record NameItem(String name, Span span) implements AddrItem {}

    public enum AnyKind { ANY, ANY4, ANY6 }

    public record AnyItem(AnyKind kind, Span span) implements AddrItem {}

    // ---- ports, ICMP ----

    public record PortRange(int lo, int hi, Span span) {}

    /** An ICMP type or code written by number or by name (names need the family to resolve). */
    public record IcmpValue(String name, int number, Span span) {
        public boolean isNamed() { return name != null; }
    }

    // ---- services ----

    public sealed interface ServiceItem permits TcpUdpItem, IcmpItem, ProtoItem, ServiceRef {
        Span span();
    }

    /** {@code tcp PORTS} or {@code udp PORTS} (ports are required in a service). */
    public record TcpUdpItem(boolean udp, List<PortRange> ports, Span span) implements ServiceItem {}

    /** {@code icmp [type T [code C]]} or {@code icmpv6 ...}; types (alternatives) null when absent, code null when absent. */
    public record IcmpItem(boolean v6, List<IcmpValue> types, IcmpValue code, Span span) implements ServiceItem {}

    /** {@code proto N}. */
    public record ProtoItem(int number, Span span) implements ServiceItem {}

    /** Another service's name. */
    public record ServiceRef(String name, Span span) implements ServiceItem {}

    // ---- matches ----

    public enum ProtoKind { TCP, UDP, ICMP, ICMPV6, NUMBER, SERVICE }

    /** The PROTO part of a match: a keyword, {@code proto N} or a service name. */
    public record Proto(ProtoKind kind, int number, String service, Span span) {}

    /**
     * {@code [PROTO] [from ADDRS [port PORTS]] [to ADDRS [port PORTS]] [established | new] [type T [code C]]}.
     * Absent parts are null (ports, addresses, types, code) or {@link TcpState#ANY}. {@code types} are alternatives.
     */
    public record Match(Proto proto, AddrExpr from, List<PortRange> fromPorts, AddrExpr to, List<PortRange> toPorts,
                        TcpState state, Span stateSpan, List<IcmpValue> types, IcmpValue code, Span span) {}

    // ---- policy body ----

    public sealed interface PolicyItem permits DefaultStmt, NonIpStmt, RuleStmt, WaiverStmt, ExpectStmt, AssertStmt {
        Span span();
    }

    public record DefaultStmt(Action action, Span span) implements PolicyItem {}

    public record NonIpStmt(Action action, Span span) implements PolicyItem {}

    public record RuleStmt(String label, Action action, Match match, Span span) implements PolicyItem {}

    /** {@code waive CODE "REASON" [until DATE];} ({@code until} null when absent). */
    public record WaiverStmt(String code, String reason, LocalDate until, Span span, Span codeSpan) implements PolicyItem {}

    public record ExpectStmt(Action action, PacketLit packet, Span span) implements PolicyItem {}

    public record AssertStmt(Action action, Match match, Span span, String text) implements PolicyItem {}

    /** A policy; {@code target} is {@link Target#XDP} when absent. Items are in source order. */
    public record PolicyDef(String name, Target target, List<PolicyItem> items, Span span, Span nameSpan) {}

    public record GuardDef(String name, List<AssertStmt> asserts, Span span, Span nameSpan) {}

    // ---- packets (expect) ----

    /**
     * {@code PROTO SRC -> DST [flags {...}] [type T [code C]] [fragment]}. {@code proto} is TCP, UDP, ICMP, ICMPV6 or
     * NUMBER (never SERVICE). Ports are -1 when absent; {@code flags} is null when not written.
     * {@code fragment} (an extension) marks a non-first fragment.
     */
    public record PacketLit(Proto proto, Ip src, int sport, Ip dst, int dport, Set<TcpFlag> flags,
                            IcmpValue type, IcmpValue code, boolean fragment, Span span, Span srcSpan, Span dstSpan) {}
}
