package io.portcullis.diag;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The catalogue of stable finding codes. Tests pin codes, not prose; never rename a code.
 */
public final class Codes {
    private Codes() {}

    // Front end: lexing and parsing
    public static final String SYNTAX = "syntax";
    public static final String BAD_ADDRESS = "bad-address";
    public static final String HOST_BITS = "host-bits";
    public static final String BAD_NUMBER = "bad-number";
    public static final String BAD_DATE = "bad-date";
    // Resolution
    public static final String IMPORT = "import";
    public static final String IMPORT_CYCLE = "import-cycle";
    public static final String DUPLICATE = "duplicate";
    public static final String UNDEFINED = "undefined";
    public static final String CYCLE = "cycle";
    public static final String BAD_MATCH = "bad-match";
    public static final String BAD_PACKET = "bad-packet";
    public static final String DEFAULT = "default";
    public static final String WAIVER = "waiver";
    public static final String WAIVER_EXPIRED = "waiver-expired";
    public static final String DEFAULT_ALLOW = "default-allow";
    public static final String ALLOW_ALL = "allow-all";
    public static final String EXPOSED_ADMIN_PORT = "exposed-admin-port";
    public static final String BROAD_SOURCE = "broad-source";
    public static final String IPV6_OPEN = "ipv6-open";
    public static final String NDP_BLOCKED = "ndp-blocked";
    public static final String WAIVER_EXPIRING = "waiver-expiring";
    public static final String WAIVER_UNUSED = "waiver-unused";
    public static final String UNUSED_NETWORK = "unused-network";
    public static final String UNUSED_SERVICE = "unused-service";
    // Consistency and properties
    public static final String CONFLICT = "conflict";
    public static final String SHADOWED = "shadowed";
    public static final String REDUNDANT = "redundant";
    public static final String CORRELATION = "correlation";
    public static final String EMPTY = "empty";
    public static final String IPV6_EXTENSION_HEADER = "ipv6-extension-header";
    public static final String EXPECT = "expect";
    public static final String ASSERT = "assert";
    public static final String GUARD = "guard";
    // Back end
    public static final String CODEGEN = "codegen";
    public static final String KERNEL_VERIFIER = "kernel-verifier";
    public static final String BPF_LIMIT = "bpf-limit";
    public static final String IO = "io";
    // Input size
    public static final String LIMIT = "limit";
    // Static verifier (run on every build)
    public static final String UNSAFE_PROGRAM = "unsafe-program";
    // Translation validation: the compiled program does not implement the policy (or cannot be shown to)
    public static final String TRANSLATION_MISMATCH = "translation-mismatch";

    private static final Map<String, Entry> CATALOGUE = new LinkedHashMap<>();

    /** A catalogue entry: default severity and a one-line description. */
    public record Entry(String code, Severity severity, String description) {}

    private static void add(String code, Severity s, String description) {
        CATALOGUE.put(code, new Entry(code, s, description));
    }

    static {
        add(SYNTAX, Severity.ERROR, "the text does not follow the grammar");
        add(BAD_ADDRESS, Severity.ERROR, "an address or prefix is malformed");
        add(HOST_BITS, Severity.ERROR, "a prefix has host bits set");
        add(BAD_NUMBER, Severity.ERROR, "a number is out of range (port, protocol, prefix length, ICMP type or code)");
        add(BAD_DATE, Severity.ERROR, "a waiver date is not a valid YYYY-MM-DD date");
        add(IMPORT, Severity.ERROR, "an import cannot be read or leaves the policy root");
        add(IMPORT_CYCLE, Severity.ERROR, "files import each other in a cycle");
        add(DUPLICATE, Severity.ERROR, "a name is defined twice");
        add(UNDEFINED, Severity.ERROR, "a name is used but never defined");
        add(CYCLE, Severity.ERROR, "definitions refer to each other in a cycle");
        add(BAD_MATCH, Severity.ERROR, "a match combines parts that cannot go together");
        add(BAD_PACKET, Severity.ERROR, "an expect packet is not a possible packet");
        add(DEFAULT, Severity.ERROR, "a policy lacks exactly one default verdict, or has two non-ip verdicts");
        add(WAIVER, Severity.ERROR, "a waiver is misplaced or names an unknown code");
        add(WAIVER_EXPIRED, Severity.ERROR, "a waiver is past its date");
        add(WAIVER_EXPIRING, Severity.WARNING, "a waiver expires within the warning window (30 days by default)");
        add(WAIVER_UNUSED, Severity.WARNING, "a waiver accepts no finding on its rule");
        add(DEFAULT_ALLOW, Severity.WARNING, "a policy allows every packet no rule matches");
        add(ALLOW_ALL, Severity.ERROR, "a rule allows every protocol and port between very broad ranges");
        add(EXPOSED_ADMIN_PORT, Severity.ERROR,
                "new connections from outside the private ranges can reach an administrative or data port");
        add(BROAD_SOURCE, Severity.WARNING, "an allow from a source prefix shorter than /8 (IPv6 /32) other than any");
        add(IPV6_OPEN, Severity.ERROR, "traffic denied in one address family is allowed by default in the other");
        add(NDP_BLOCKED, Severity.WARNING, "ICMPv6 neighbour discovery or packet-too-big is denied");
        add(UNUSED_NETWORK, Severity.WARNING, "a network is defined but never referenced");
        add(UNUSED_SERVICE, Severity.WARNING, "a service is defined but never referenced");
        add(CONFLICT, Severity.ERROR, "the rule never takes effect; an earlier rule with the opposite action decides some of its packets");
        add(SHADOWED, Severity.WARNING, "the rule never takes effect; earlier rules with the same action decide all its packets");
        add(REDUNDANT, Severity.WARNING, "the rule takes effect, but removing it would change no verdict");
        add(CORRELATION, Severity.INFO, "the rule partially overlaps an earlier rule with the opposite action");
        add(EMPTY, Severity.ERROR, "the rule matches no packet at all");
        add(IPV6_EXTENSION_HEADER, Severity.WARNING,
                "a rule's protocol is an IPv6 extension header, which IPv6 packets never have: it matches IPv4 only");
        add(EXPECT, Severity.ERROR, "a concrete expect packet gets another verdict");
        add(ASSERT, Severity.ERROR, "a policy assert does not hold");
        add(GUARD, Severity.ERROR, "a guard assert does not hold for a policy");
        add(CODEGEN, Severity.ERROR, "the policy could not be compiled to eBPF");
        add(KERNEL_VERIFIER, Severity.ERROR, "the kernel verifier rejected the compiled program");
        add(BPF_LIMIT, Severity.ERROR, "the compiled program would exceed a kernel limit (program length, verifier work)");
        add(IO, Severity.ERROR, "a file could not be read or written");
        add(LIMIT, Severity.ERROR, "the input is larger than a hard limit (rules, definitions, files, list items, ...)");
        add(UNSAFE_PROGRAM, Severity.ERROR, "Portcullis's own static verifier rejected the compiled program");
        add(TRANSLATION_MISMATCH, Severity.ERROR, "translation validation found a frame on which the compiled program's verdict differs from the policy's");
    }

    public static Map<String, Entry> catalogue() { return java.util.Collections.unmodifiableMap(CATALOGUE); }

    public static boolean known(String code) { return CATALOGUE.containsKey(code); }

    public static Severity defaultSeverity(String code) {
        Entry e = CATALOGUE.get(code);
        return e == null ? Severity.ERROR : e.severity();
    }
}
