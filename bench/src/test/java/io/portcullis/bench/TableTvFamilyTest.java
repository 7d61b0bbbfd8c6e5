package io.portcullis.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.bpf.tv.TranslationValidator;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import io.portcullis.space.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Table programs of policies with one family only, and with a rule that matches every IPv6 packet (its family's
 * tables have a leaf for a root): translation validation proves the faithful object, or refuses it, and never proves
 * an object whose verdict byte for that rule or for "no rule" was flipped.
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

    @Test
    void ipv4OnlyAndIpv6OnlyPoliciesAreProvenAndTheirDefaultIsChecked(@TempDir Path dir) throws Exception {
        // An IPv4-only policy: every IPv6 packet gets the default, through a family whose tables hold no node.
        provenAndDefaultFlipCaught(load(dir, "v4only", rules(60, false), "deny"));
        provenAndDefaultFlipCaught(load(dir, "v6only", rules(60, true), "allow"));
    }

    @Test
    void aRuleMatchingEveryIpv6PacketIsProvenOrRefusedButNeverWronglyProven(@TempDir Path dir) throws Exception {
        // r_all matches every IPv6 packet: the IPv6 tables are a leaf. Later IPv6 rules are dead; IPv4 is unaffected.
        String body = rules(30, false) + "    r_all: deny from ::/0 to ::/0;\n" + rules(30, true).replace("    r", "    s");
        ResolvedPolicy p = load(dir, "anyv6", body, "allow");
        int allRule = 30;
        assertEquals("r_all", p.rules().get(allRule).label());
        byte[] elf = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        TranslationValidator.Session tv = new TranslationValidator.Session(p);
        TranslationValidator.Result ok = tv.validate(elf);
        // Proven, or refused as beyond the proof: never a mismatch, since the compiled object is right.
        assertTrue(ok.valid() || ok.problems().stream().allMatch(x -> x.kind() == TranslationValidator.Kind.UNSUPPORTED),
                () -> "a faithful object reported wrong: " + ok.problems());
        System.out.println("anyv6: faithful object " + (ok.valid() ? "proven" : "refused: " + ok.problems().get(0).message()));
        // The object is right: the kernel agrees with the evaluator on sample packets of both families.
        Bpf.Availability kernel = Bpf.availability();
        if (kernel.available()) {
            try (LoadedProgram prog = LoadedProgram.load(elf, p.target())) {
                for (Packet s : Samples.of(p, 200, 3)) {
                    int want = (int) p.target().code(Evaluator.evaluate(p, s).action());
                    assertEquals(want, prog.run(FrameBuilder.ethernet(s)), s::toString);
                }
            }
        } else {
            System.out.println("anyv6: kernel cross-check skipped: " + kernel.reason());
        }
        // Flipping the verdict of the all-IPv6 rule, or of "no rule", changes behaviour: never proven.
        for (int rule : new int[] {allRule, p.rules().size()}) {
            TranslationValidator.Result bad = tv.validate(flip(elf, rule));
            assertFalse(bad.valid(), "verdict byte " + rule + " flipped but proven");
            System.out.println("anyv6: verdict byte " + rule + " flipped: " + bad.problems().get(0).kind() + ": "
                    + bad.problems().get(0).message().lines().findFirst().orElse(""));
        }
    }
}
