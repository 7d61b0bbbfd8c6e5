package io.portcullis.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.bpf.packet.FrameParser;
import io.portcullis.bpf.tv.TranslationValidator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import io.portcullis.space.Samples;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Table programs of policies with one family only, and with a group whose root is a leaf (a rule that matches every
 * packet of its family, first in the family or first in its group): translation validation proves the faithful
 * object, and never proves one whose verdict byte for that rule or for "no rule" was flipped, or whose code loads
 * another rule's leaf as that root.
 */
class TableTvFamilyTest {

    private static String rules(int n, boolean v6) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String action = i % 3 == 0 ? "deny" : "allow";
            String from = v6 ? "2001:db8:" + Integer.toHexString(i) + "::/48" : "192.0." + i + ".0/24";
            String to = v6 ? "2001:db8:ff" + (i % 7) + "::/48" : "10.1." + (i % 7) + ".0/24";
            String proto = i % 4 == 1 ? "udp" : "tcp";
            s.append("    r").append(i).append(": ").append(action).append(' ').append(proto).append(" from ").append(from)
                    .append(" to ").append(to).append(" port ").append(1000 + i).append(";\n");
        }
        return s.toString();
    }

    private static ResolvedPolicy load(Path dir, String name, String body, String dflt) throws Exception {
        Path f = Files.writeString(dir.resolve(name + ".policy"),
                "policy " + name + " {\n    default " + dflt + ";\n" + body + "}\n");
        return Loader.load(List.of(f)).policies().get(0);
    }

    /** The object with the verdict byte of rule {@code rule} ({@code rules().size()} = no rule) flipped. */
    private static byte[] flip(byte[] elf, int rule) {
        ElfFile f = ElfFile.parse(elf);
        byte[] m = elf.clone();
        m[(int) f.sectionHeader(".rodata.v").orElseThrow().offset() + rule] ^= 1;
        return m;
    }

    /** The faithful object proven; flipping "no rule" caught with a witness. */
    private static void provenAndDefaultFlipCaught(ResolvedPolicy p) throws Exception {
        byte[] elf = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        assertTrue(ElfFile.parse(elf).sectionNames().stream().anyMatch(n -> n.startsWith(".rodata.t")), "a table program");
        TranslationValidator.Session tv = new TranslationValidator.Session(p);
        TranslationValidator.Result ok = tv.validate(elf);
        assertTrue(ok.valid(), () -> p.name() + ": " + ok.problems());
        assertTrue(ok.stats().tables() != null, "proven by the table proof");
        TranslationValidator.Result bad = tv.validate(flip(elf, p.rules().size()));
        assertFalse(bad.valid(), p.name() + ": the flipped default verdict must not be proven");
        TranslationValidator.Problem first = bad.problems().get(0);
        assertEquals(TranslationValidator.Kind.MISMATCH, first.kind(), first.message());
        assertTrue(first.render().contains("witness"), first.render());
        System.out.println(p.name() + ": faithful object proven; default byte flipped: " + first.render());
    }

    /**
     * A policy of both families: the tables of each are checked against the policy in a space of their own, on two
     * threads. With the default's verdict byte flipped both families have packets with the wrong verdict; the problems
     * come in family order (IPv4 first), the same on every run.
     */
    @Test
    void problemsOfBothFamiliesComeInFamilyOrderOnEveryRun(@TempDir Path dir) throws Exception {
        ResolvedPolicy p = load(dir, "both", rules(30, false) + rules(30, true).replace("    r", "    s"), "deny");
        byte[] elf = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        TranslationValidator.Session tv = new TranslationValidator.Session(p);
        TranslationValidator.Result ok = tv.validate(elf);
        assertTrue(ok.valid(), () -> ok.problems().toString());
        assertTrue(ok.stats().tables().contains("IPV4") && ok.stats().tables().contains("IPV6"), ok.stats().tables());
        byte[] bad = flip(elf, p.rules().size());
        List<String> first = null;
        for (int run = 0; run < 3; run++) {
            TranslationValidator.Result r = tv.validate(bad);
            assertFalse(r.valid(), "the flipped default verdict must not be proven");
            List<String> rendered = r.problems().stream().map(TranslationValidator.Problem::render).toList();
            if (first == null) first = rendered;
            assertEquals(first, rendered, "the same problems in the same order on every run");
        }
        assertTrue(first.size() >= 2, first.toString());
        assertTrue(first.get(0).contains("IPv4"), first.get(0));
        assertTrue(first.stream().anyMatch(x -> x.contains("IPv6")), first.toString());
        int lastV4 = -1, firstV6 = first.size();
        for (int k = 0; k < first.size(); k++) {
            if (first.get(k).contains("IPv4")) lastV4 = k;
            if (first.get(k).contains("IPv6")) firstV6 = Math.min(firstV6, k);
        }
        assertTrue(lastV4 < firstV6, "IPv4's problems before IPv6's: " + first);
        System.out.println("both: " + first.size() + " problems, IPv4's first; " + ok.stats().tables());
    }

    @Test
    void ipv4OnlyAndIpv6OnlyPoliciesAreProvenAndTheirDefaultIsChecked(@TempDir Path dir) throws Exception {
        // An IPv4-only policy: every IPv6 packet gets the default, through a family whose tables hold no node.
        provenAndDefaultFlipCaught(load(dir, "v4only", rules(60, false), "deny"));
        provenAndDefaultFlipCaught(load(dir, "v6only", rules(60, true), "allow"));
    }

    /**
     * The object with the leaf root of rule {@code rule} replaced, in the code, by the leaf of {@code other}: the 64-bit
     * immediate of every {@code ld_imm64} that loads {@code 7 << 29 | rule} (there must be one).
     */
    private static byte[] leafRoot(byte[] elf, String section, int rule, int other) {
        ElfFile f = ElfFile.parse(elf);
        ElfFile.Section code = f.sectionHeader(section).orElseThrow();
        byte[] m = elf.clone();
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        long leaf = 7L << 29 | rule;
        int sites = 0;
        for (long o = code.offset(); o + 16 <= code.offset() + code.size(); o += 8) {
            int at = (int) o;
            if ((m[at] & 0xff) == Op.LD_IMM64 && (b.getInt(at + 4) & 0xffffffffL) == leaf && b.getInt(at + 12) == 0) {
                b.putInt(at + 4, (int) (7L << 29 | other));
                sites++;
                o += 8;
            }
        }
        assertTrue(sites > 0, "the code loads the leaf root of rule " + rule + " with ld_imm64");
        return m;
    }

    /** The first rule whose action is not {@code rule}'s. */
    private static int otherVerdict(ResolvedPolicy p, int rule) {
        for (int i = 0; i < p.rules().size(); i++) if (p.rules().get(i).action() != p.rules().get(rule).action()) return i;
        throw new AssertionError("every rule has the same action");
    }

    /**
     * A policy whose family {@code family} has a group with a leaf for a root (rule {@code leafRule}): the faithful
     * object is proven by the table proof (and agrees with the kernel on samples where a kernel is at hand); flipping
     * the verdict byte of that rule or of "no rule", or loading another rule's leaf (one with the other verdict) as the
     * root in the code, changes behaviour and is never proven.
     */
    private static void leafRootProvenAndMutantsCaught(ResolvedPolicy p, int leafRule) throws Exception {
        byte[] elf = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        TranslationValidator.Session tv = new TranslationValidator.Session(p);
        TranslationValidator.Result ok = tv.validate(elf);
        assertTrue(ok.valid(), () -> p.name() + ": a faithful object not proven: " + ok.problems());
        assertTrue(ok.stats().tables() != null, "proven by the table proof");
        System.out.println(p.name() + ": faithful object proven; " + ok.stats().tables());
        Bpf.Availability kernel = Bpf.availability();
        if (kernel.available()) {
            try (LoadedProgram prog = LoadedProgram.load(elf, p.target())) {
                for (Packet s : Samples.of(p, 200, 3)) {
                    // The language's reading of the frame (an IPv6 sample of protocol 0 is a hop-by-hop header).
                    byte[] frame = FrameBuilder.ethernet(s);
                    FrameParser.Reading reading = FrameParser.ethernet(frame);
                    int want = (int) p.target().code(reading.verdict(p));
                    assertEquals(want, prog.run(frame), () -> s + " read as " + reading);
                }
            }
        } else {
            System.out.println(p.name() + ": kernel cross-check skipped: " + kernel.reason());
        }
        int other = otherVerdict(p, leafRule);
        Map<String, byte[]> mutants = new LinkedHashMap<>();
        mutants.put("verdict byte " + leafRule + " flipped", flip(elf, leafRule));
        mutants.put("verdict byte " + p.rules().size() + " (no rule) flipped", flip(elf, p.rules().size()));
        mutants.put("leaf root " + leafRule + " loaded as rule " + other + " in the code",
                leafRoot(elf, p.target().section(), leafRule, other));
        for (Map.Entry<String, byte[]> e : mutants.entrySet()) {
            TranslationValidator.Result bad = tv.validate(e.getValue());
            assertFalse(bad.valid(), p.name() + ": " + e.getKey() + " but proven");
            System.out.println(p.name() + ": " + e.getKey() + ": " + bad.problems().get(0).kind() + ": "
                    + bad.problems().get(0).message().lines().findFirst().orElse(""));
        }
    }

    @Test
    void aRuleMatchingEveryIpv6PacketIsProvenAndItsMutantsAreCaught(@TempDir Path dir) throws Exception {
        // r_all matches every IPv6 packet: the IPv6 tables are a leaf. Later IPv6 rules are dead; IPv4 is unaffected.
        String body = rules(30, false) + "    r_all: deny from ::/0 to ::/0;\n" + rules(30, true).replace("    r", "    s");
        ResolvedPolicy p = load(dir, "anyv6", body, "allow");
        assertEquals("r_all", p.rules().get(30).label());
        leafRootProvenAndMutantsCaught(p, 30);
    }

    @Test
    void aRuleMatchingEveryIpv4PacketIsProvenAndItsMutantsAreCaught(@TempDir Path dir) throws Exception {
        // The first rule allows every IPv4 packet: the IPv4 tables are a leaf; IPv6 has tables of nodes.
        String body = "    r_all4: allow from 0.0.0.0/0 to 0.0.0.0/0;\n" + rules(30, false) + rules(30, true).replace("    r", "    s");
        ResolvedPolicy p = load(dir, "anyv4", body, "deny");
        assertEquals("r_all4", p.rules().get(0).label());
        leafRootProvenAndMutantsCaught(p, 0);
    }

    @Test
    void aCatchAllAfterGroupsOfNodesIsProvenAndItsMutantsAreCaught(@TempDir Path dir) throws Exception {
        // Rules on destinations only, then on sources only, replicate too much for one diagram: the tables are split
        // into groups by the addresses their rules constrain. The catch-all constrains none: its group, run after the
        // groups of nodes, is one leaf.
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            body.append("    d").append(i).append(": ").append(i % 2 == 0 ? "allow" : "deny").append(" tcp from any to 10.0.")
                    .append(i).append(".0/24 port ").append(80 + i % 5).append(";\n");
        }
        for (int i = 0; i < 200; i++) {
            body.append("    s").append(i).append(": ").append(i % 2 == 0 ? "deny" : "allow").append(" udp from 172.16.")
                    .append(i).append(".0/24 to any port ").append(53 + i % 3).append(";\n");
        }
        body.append("    catch_all: deny from 0.0.0.0/0 to 0.0.0.0/0;\n");
        body.append(rules(20, true).replace("    r", "    v"));
        ResolvedPolicy p = load(dir, "catchall", body.toString(), "allow");
        assertEquals("catch_all", p.rules().get(400).label());
        leafRootProvenAndMutantsCaught(p, 400);
    }
}
