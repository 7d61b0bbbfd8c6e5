package io.portcullis.report;

import io.portcullis.diag.Codes;
import java.util.HashMap;
import java.util.Map;

/**
 * What to do about each finding code in general, for reports that describe codes apart from any one finding (SARIF
 * rule metadata, the HTML legend). A finding's own help text is more specific and is shown with the finding.
 */
public final class CodeHelp {
    private CodeHelp() {}

    private static final Map<String, String> HINTS = new HashMap<>();

    static {
        HINTS.put(Codes.SYNTAX, "Fix the text at the caret; the message says what the grammar expected there.");
        HINTS.put(Codes.BAD_ADDRESS, "Write IPv4 as dotted quads and IPv6 in RFC 5952 or RFC 4291 text form, with an optional /len.");
        HINTS.put(Codes.HOST_BITS, "Write the network address the message names (for example 10.0.0.0/8 instead of 10.0.0.1/8).");
        HINTS.put(Codes.BAD_NUMBER, "Use a value in range: ports 0-65535, protocols and ICMP types and codes 0-255, IPv4 prefixes /0-/32, IPv6 /0-/128.");
        HINTS.put(Codes.BAD_DATE, "Write the waiver's date as YYYY-MM-DD.");
        HINTS.put(Codes.IMPORT, "Import a file that exists, relative to the importing file and inside the directory tree that was checked.");
        HINTS.put(Codes.IMPORT_CYCLE, "Move the shared definitions into a file that both import.");
        HINTS.put(Codes.DUPLICATE, "Rename one of the two definitions; names share one namespace per kind across all files checked together.");
        HINTS.put(Codes.UNDEFINED, "Define the name, import the file that defines it, or fix its spelling.");
        HINTS.put(Codes.CYCLE, "Break the cycle: a definition may only refer to definitions that do not refer back to it.");
        HINTS.put(Codes.BAD_MATCH, "Combine only parts that go together: ports need tcp, udp or a service with ports; established and new need tcp; type and code need icmp or icmpv6.");
        HINTS.put(Codes.BAD_PACKET, "Write a packet that can exist: one address family, ports for tcp and udp, flags for tcp, type for icmp.");
        HINTS.put(Codes.DEFAULT, "Give every policy exactly one `default allow;` or `default deny;`, and at most one non-ip verdict.");
        HINTS.put(Codes.WAIVER, "Put the waiver directly before the rule (or the default) it accepts, with a known finding code.");
        HINTS.put(Codes.WAIVER_EXPIRED, "Fix the finding the waiver accepted, or renew the waiver with a new date and reason.");
        HINTS.put(Codes.WAIVER_EXPIRING, "Review the waiver before its date: fix the finding or renew it.");
        HINTS.put(Codes.WAIVER_UNUSED, "Delete the waiver: it accepts no finding on its rule.");
        HINTS.put(Codes.DEFAULT_ALLOW, "Prefer `default deny;` with explicit allows; for a deliberate deny-list, waive this before `default`.");
        HINTS.put(Codes.ALLOW_ALL, "Allow only the protocols and ports that are needed.");
        HINTS.put(Codes.EXPOSED_ADMIN_PORT, "Allow the administrative port from the administering networks only, or waive the finding with the reason.");
        HINTS.put(Codes.BROAD_SOURCE, "Name the sources instead of a very broad prefix.");
        HINTS.put(Codes.IPV6_OPEN, "Deny the traffic for both address families, not only one.");
        HINTS.put(Codes.NDP_BLOCKED, "Allow ICMPv6 neighbour discovery (and packet-too-big) above the deny; IPv6 does not work without it.");
        HINTS.put(Codes.UNUSED_NETWORK, "Delete the network or use it; unused definitions hide misspelled names.");
        HINTS.put(Codes.UNUSED_SERVICE, "Delete the service or use it; unused definitions hide misspelled names.");
        HINTS.put(Codes.CONFLICT, "If the rule states the intent, move it above the rule that decides its packets (or narrow that rule); otherwise delete it.");
        HINTS.put(Codes.SHADOWED, "Delete the rule: earlier rules with the same action already decide every packet it matches.");
        HINTS.put(Codes.REDUNDANT, "Delete the rule, or keep it deliberately and waive the finding.");
        HINTS.put(Codes.CORRELATION, "Check that the earlier rule of the opposite action is meant to come first; the witness shows a packet the order decides.");
        HINTS.put(Codes.IPV6_EXTENSION_HEADER, "Match the protocol after the IPv6 extension headers (Portcullis walks them), or limit the rule to IPv4 addresses.");
        HINTS.put(Codes.EMPTY, "Fix the rule's parts so that some packet can match (for example one address family on both sides), or delete it.");
        HINTS.put(Codes.EXPECT, "Change or reorder the rule that decides the packet, or fix the expect.");
        HINTS.put(Codes.ASSERT, "Narrow or reorder the rule that decides the witness packet, or add a rule that gives the asserted verdict.");
        HINTS.put(Codes.GUARD, "Change the policy so that the organisation's guard holds; the witness packet shows where it does not.");
        HINTS.put(Codes.CODEGEN, "Report the policy to the Portcullis developers.");
        HINTS.put(Codes.KERNEL_VERIFIER, "Read the verifier log in the message; the object was not written.");
        HINTS.put(Codes.UNSAFE_PROGRAM, "Report the policy to the Portcullis developers; the message names the instruction and the reason, and the object was not written.");
        HINTS.put(Codes.BPF_LIMIT, "Split the policy into smaller ones (per target or per zone), or merge rules that differ only in ports or addresses; the message names the kernel limit.");
        HINTS.put(Codes.TRANSLATION_MISMATCH, "Report the policy to the Portcullis developers; the message shows a witness frame, both verdicts, the rule and the instruction, and the object was not written.");
        HINTS.put(Codes.IO, "Check that the file exists and can be read or written.");
        HINTS.put(Codes.LIMIT, "Split the input, or raise the limit with -Dportcullis.limit.NAME=N at the risk of running out of memory.");
    }

    /** The general fix for {@code code}; for a code without one, a pointer to the finding's own help. */
    public static String hint(String code) {
        return HINTS.getOrDefault(code, "See the finding's help text.");
    }

    /** True when every catalogue code has a hint of its own (tested). */
    static boolean complete() {
        return HINTS.keySet().containsAll(Codes.catalogue().keySet());
    }
}
