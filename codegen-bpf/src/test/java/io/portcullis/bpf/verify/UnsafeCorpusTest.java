package io.portcullis.bpf.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.kernel.ProgramImage;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every corpus program gets its expected verdict from the static verifier; where bpf() is allowed, the kernel's
 * verifier must give the verdict the corpus records for it (rejected, for every unsafe entry but the few where we are
 * stricter than a privileged kernel, which the kernel must then accept: the difference is pinned, not guessed).
 */
class UnsafeCorpusTest {
    @Test
    void staticVerifierGivesEveryExpectedVerdict() {
        List<String> wrong = new ArrayList<>();
        int rejected = 0, accepted = 0;
        Set<Reason> seen = EnumSet.noneOf(Reason.class);
        for (UnsafeCorpus.Entry e : UnsafeCorpus.all()) {
            Verification v = StaticVerifier.verify(e.code(), e.type());
            Reason got = v.accepted() ? null : v.problems().get(0).reason();
            if (got != e.reason()) wrong.add(e.name() + ": expected " + (e.reason() == null ? "accept" : e.reason().code())
                    + ", got " + (v.accepted() ? "accept" : v.problems()));
            if (got != null) {
                rejected++;
                seen.add(got);
            } else {
                accepted++;
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        System.out.println("static verifier: " + rejected + " unsafe corpus programs rejected with the expected reason ("
                + seen.size() + " distinct reasons), " + accepted + " safe variants accepted");
        assertTrue(rejected >= 20, "at least 20 unsafe programs");
    }

    @Test
    void everyUnsafeEntryHasOneProblemAtAnInstruction() {
        for (UnsafeCorpus.Entry e : UnsafeCorpus.all()) {
            if (e.reason() == null) continue;
            Verification v = StaticVerifier.verify(e.code(), e.type());
            assertEquals(1, v.problems().size(), e.name());
            Problem p = v.problems().get(0);
            boolean wholeProgram = e.reason() == Reason.TOO_MANY_INSNS || e.reason() == Reason.JUMP_SEQUENCE
                    || e.reason() == Reason.COMPLEXITY;
            assertTrue(wholeProgram ? p.index() == -1 : p.index() >= 0 && p.index() < v.slots(), e.name() + ": " + p);
            assertFalse(p.message().isBlank(), e.name());
        }
    }

    @Test
    void kernelVerifierAgreesWithTheCorpus() {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "kernel verifier agreement skipped: " + a.reason());
        List<String> wrong = new ArrayList<>();
        int agreeReject = 0, agreeAccept = 0, stricter = 0;
        for (UnsafeCorpus.Entry e : UnsafeCorpus.all()) {
            ProgramImage image = ProgramImage.of(e.code(), e.type().target(), "GPL", "corpus");
            KernelVerifier.Verification k = KernelVerifier.verify(image);
            boolean kernelRejects = k.status() == KernelVerifier.Status.REJECTED;
            boolean weReject = !StaticVerifier.verify(e.code(), e.type()).accepted();
            if (System.getenv("CORPUS_PRINT") != null) System.out.println("KERNEL " + e.name() + " => " + (kernelRejects ? tail(k.log()).replace("\n", " / ") : "accepted"));
            if (kernelRejects && weReject && e.reason() != null && !KERNEL_SAYS.get(e.reason()).matcher(k.log()).find()) {
                wrong.add(e.name() + ": the kernel rejects it for another reason than " + e.reason().code() + ":\n" + tail(k.log()));
            }
            if (kernelRejects != e.kernelRejects()) {
                wrong.add(e.name() + ": the kernel " + (kernelRejects ? "rejects" : "accepts") + " it, the corpus says otherwise"
                        + (kernelRejects ? "\n" + tail(k.log()) : ""));
            } else if (kernelRejects && weReject) {
                agreeReject++;
            } else if (!kernelRejects && !weReject) {
                agreeAccept++;
            } else if (!kernelRejects && weReject) {
                assertFalse(e.reason().kernelRejects() && e.reason() != Reason.RETURN_VALUE && e.reason() != Reason.RETURN_POINTER,
                        e.name() + ": only reasons documented as stricter than the kernel may differ");
                stricter++;
            } else {
                wrong.add(e.name() + ": the kernel rejects it and we accept it");
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        System.out.println("kernel agreement on the corpus: " + agreeReject + " rejected by both, " + agreeAccept
                + " accepted by both, " + stricter + " rejected only by us (stricter than a privileged kernel, by design)");
    }

    /**
     * The complexity estimate against the kernel's processed count on the corpus programs made to stress it: the
     * 8000-branch chain and the 2^14 diamonds (accepted: the ratio must lie in the same band as for emitted objects),
     * and the two past the limits (both must fail the same limit, the kernel at 1,000,001 processed or 8193 jumps).
     */
    @Test
    void complexityEstimateAgreesWithTheKernelOnTheCorpus() {
        List<String> lines = new ArrayList<>();
        Bpf.Availability a = Bpf.availability();
        for (UnsafeCorpus.Entry e : UnsafeCorpus.all()) {
            if (!e.name().contains("pending branches") && !e.name().contains("paths")) continue;
            Verification v = StaticVerifier.verify(e.code(), e.type());
            Complexity c = v.complexity();
            assertTrue(c != null, e.name());
            if (e.reason() == Reason.COMPLEXITY) assertTrue(c.processed() > StaticVerifier.MAX_INSNS, e.name() + ": " + c);
            if (e.reason() == Reason.JUMP_SEQUENCE) assertEquals(StaticVerifier.MAX_PENDING_BRANCHES + 1, c.peakPending(), e.name());
            if (e.reason() == null) assertTrue(c.complete(), e.name() + ": " + c.note());
            String line = e.name() + ": estimate " + c.processed() + " processed, peak " + c.peakPending() + " pending";
            if (a.available()) {
                KernelVerifier.Verification k = KernelVerifier.verify(ProgramImage.of(e.code(), e.type().target(), "GPL", "corpus"));
                line += "; kernel " + k.processed();
                if (e.reason() == null) {
                    double r = (double) c.processed() / k.processed();
                    line += String.format(" (ratio %.3f)", r);
                    assertTrue(r >= 0.85 && r <= 1.35, line);
                } else if (e.reason() == Reason.COMPLEXITY) {
                    assertTrue(k.log().contains("BPF program is too large"), e.name() + ": " + k.log().lines().reduce((x, y) -> y).orElse(""));
                }
            }
            lines.add(line);
        }
        assertEquals(4, lines.size(), "the four complexity corpus programs");
        lines.forEach(l -> System.out.println("complexity corpus: " + l));
        Assumptions.assumeTrue(a.available(), "comparison with the kernel's processed count skipped: " + a.reason());
    }

    /** What the kernel's log says for each defect (Linux 6.x wording), so that both reject for the same reason. */
    private static final java.util.Map<Reason, java.util.regex.Pattern> KERNEL_SAYS = new java.util.EnumMap<>(Reason.class);

    static {
        String[][] says = {
            {"PACKET_OUT_OF_RANGE", "invalid access to packet"}, {"PACKET_NEGATIVE", "invalid access to packet"},
            {"PACKET_WRITE", "cannot write into packet"}, {"UNINIT_REGISTER", "!read_ok"},
            {"INVALID_REGISTER", "is invalid|frame pointer is read only"}, {"STACK_OUT_OF_BOUNDS", "invalid (write|read) to stack"},
            {"STACK_MISALIGNED", "misaligned stack access"}, {"STACK_POINTER_PARTIAL", "invalid size of register fill"},
            {"CTX_ACCESS", "invalid bpf_context access"}, {"CTX_READ_ONLY", "invalid bpf_context access"},
            {"CTX_MODIFIED", "dereference of modified ctx ptr"}, {"POINTER_ARITHMETIC", "pointer"},
            {"INVALID_DEREF", "invalid mem access"}, {"RETURN_POINTER", "not a known value"},
            {"RETURN_VALUE", "should have been in"}, {"UNREACHABLE", "unreachable insn"}, {"LOOP", "infinite loop detected"},
            {"JUMP_OUT_OF_RANGE", "jump out of range|jump into the middle of ldimm64"},
            {"FALLS_OFF_END", "last insn is not an exit or jmp"}, {"INVALID_INSN", "unknown opcode|uses reserved fields"},
            {"DIVISION_BY_ZERO", "div by zero"}, {"INVALID_SHIFT", "invalid shift"}, {"HELPER_ARGUMENT", "expected="},
            {"UNKNOWN_HELPER", "invalid func|cannot use helper"}, {"TOO_MANY_INSNS", "E2BIG"},
            {"JUMP_SEQUENCE", "The sequence of 8193 jumps is too complex"}, {"COMPLEXITY", "BPF program is too large"}};
        for (String[] s : says) KERNEL_SAYS.put(Reason.valueOf(s[0]), java.util.regex.Pattern.compile(s[1]));
        for (Reason r : Reason.values()) KERNEL_SAYS.putIfAbsent(r, java.util.regex.Pattern.compile("(?s).*"));
    }

    private static String tail(String log) {
        String[] l = log.strip().split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(l, Math.max(0, l.length - 3), l.length));
    }
}
