package io.portcullis.bpf.tv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.BpfException;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.kernel.LoadedProgram;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.resolve.Loader;
import io.portcullis.space.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates compiled objects (branch conditions, compared constants, verdicts, bounds checks, header offsets) and
 * requires every mutant to be caught by a checker (translation validation; the static verifier; the kernel verifier
 * where bpf() is allowed) unless translation validation proves it equivalent.
 * A mutant that TV accepts is run in the kernel on sample frames and must give the reference verdicts: a difference
 * would mean TV is unsound.
 *
 * <p>CI runs {@code portcullis.mutation.sites} sites per kind, policy and target (default 6);
 * {@code -Dportcullis.mutation.sites=1000} tries every site.
 */
class MutationTest {
    enum Kind { FLIP_BRANCH, CHANGE_CONSTANT, SWAP_VERDICT, SKIP_BOUNDS_CHECK, SHORTEN_OFFSET }

    record Mutant(Kind kind, int insn, String from, String to, List<Insn> code) {}

    record Checker(String name, Function<byte[], Optional<String>> check) {}

    private static final String POLICIES = """
            network web = { 10.1.0.0/16, 2001:db8:1::/64 };
            policy small on %s {
                default deny;
                non-ip deny;
                no-telnet: deny tcp from any to any port 23;
                web: allow tcp from any to web port { 80, 443 };
                replies: allow tcp established from any to 10.0.0.0/8;
                ping: allow icmp type echo-request from 192.0.2.0/24 to any;
                ndp: allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } from any6 to any6;
                dns: allow udp from 10.0.0.0/8 port 1024-65535 to 10.2.0.53 port 53;
                frag: allow proto 47 from 198.51.100.0/24 to any;
            }
            """;

    @Test
    void everyBehaviourChangingMutantIsCaught(@TempDir Path dir) throws Exception {
        int sitesPerKind = Integer.getInteger("portcullis.mutation.sites", 6);
        Bpf.Availability kernel = Bpf.availability();
        List<ResolvedPolicy> policies = new ArrayList<>();
        for (Target t : new Target[] {Target.XDP, Target.CGROUP_INGRESS}) {
            Path f = dir.resolve("small-" + t.name() + ".policy");
            Files.writeString(f, String.format(POLICIES, t.syntax()));
            policies.addAll(Loader.load(List.of(f)).policies());
        }
        for (ResolvedPolicy p : Loader.load(List.of(Path.of("../policies/edge.policy"))).policies()) policies.add(p);

        Map<Kind, int[]> tally = new TreeMap<>(); // tried, caught by TV, caught only by the kernel, equivalent
        Map<String, Integer> byChecker = new TreeMap<>();
        List<String> unsound = new ArrayList<>();
        List<String> equivalents = new ArrayList<>();
        long tvMillis = 0;
        int kernelRuns = 0;
        for (ResolvedPolicy policy : policies) {
            byte[] elf = BpfCompiler.compile(policy);
            ElfFile.Section sec = ElfFile.parse(elf).sectionHeader(policy.target().section()).orElseThrow();
            List<Insn> code = Decoder.decode(ElfFile.parse(elf).contents(sec));
            // Small policies need far fewer nodes than the default budget; a mutant whose values blow up is refused
            // sooner (its refusal counts as caught, never as proven).
            TranslationValidator.Session tv = new TranslationValidator.Session(policy, 4_000_000);
            assertTrue(tv.validate(code).valid(), "the unmutated program of " + policy.name() + " must validate");
            List<Checker> checkers = new ArrayList<>();
            checkers.add(new Checker("translation validation", obj -> {
                TranslationValidator.Result r = tv.validate(decode(obj, sec));
                return r.valid() ? Optional.empty() : Optional.of(r.problems().get(0).message());
            }));
            checkers.add(new Checker("static verifier", obj -> {
                for (io.portcullis.bpf.verify.ObjectVerifier.Program p : io.portcullis.bpf.verify.ObjectVerifier.verify(obj)) {
                    if (!p.section().equals(sec.name())) continue;
                    if (p.verification() == null) return Optional.of(p.note());
                    if (!p.accepted()) return Optional.of(p.verification().problems().get(0).reason().code());
                }
                return Optional.empty();
            }));
            assertTrue(checkers.get(1).check().apply(elf).isEmpty(), "the unmutated program of " + policy.name()
                    + " must pass the static verifier");
            if (kernel.available()) {
                checkers.add(new Checker("kernel verifier", obj -> {
                    KernelVerifier.Verification v = KernelVerifier.verify(obj, policy.target());
                    return v.status() == KernelVerifier.Status.REJECTED ? Optional.of("rejected") : Optional.empty();
                }));
            }
            List<Mutant> mutants = mutants(code, sitesPerKind, new Random(policy.name().hashCode() * 31L + policy.target().ordinal()),
                    policy.target().code(Action.ALLOW), policy.target().code(Action.DENY));
            List<Sample> samples = samples(policy);
            for (Mutant m : mutants) {
                byte[] obj = patch(elf, sec, m.code());
                int[] t = tally.computeIfAbsent(m.kind(), k -> new int[4]);
                t[0]++;
                String caughtBy = null;
                long t0 = System.nanoTime();
                for (Checker c : checkers) {
                    if (c.check().apply(obj).isPresent()) {
                        caughtBy = c.name();
                        break;
                    }
                }
                tvMillis += (System.nanoTime() - t0) / 1_000_000;
                if (caughtBy != null) {
                    byChecker.merge(caughtBy, 1, Integer::sum);
                    t[caughtBy.equals("translation validation") ? 1 : 2]++;
                    continue;
                }
                // TV says the mutant is equivalent: the kernel must agree on every sample frame.
                t[3]++;
                if (equivalents.size() < 40) equivalents.add(policy.name() + "/" + policy.target().syntax() + " " + m.kind()
                        + " at " + m.insn() + ": " + m.from() + " -> " + m.to());
                if (!kernel.available()) continue;
                try (LoadedProgram prog = LoadedProgram.load(obj, policy.target())) {
                    for (Sample sample : samples) {
                        kernelRuns++;
                        int got = prog.run(sample.frame());
                        int want = sample.want();
                        if (got != want) {
                            unsound.add(policy.name() + "/" + policy.target().syntax() + " " + m.kind() + " at " + m.insn()
                                    + " (" + m.from() + " -> " + m.to() + "): kernel returns " + got + ", expected " + want);
                            break;
                        }
                    }
                } catch (BpfException e) {
                    unsound.add(m.kind() + " at " + m.insn() + ": TV accepted a program the kernel rejects: " + e.getMessage());
                }
            }
        }
        StringBuilder report = new StringBuilder("mutation test: ");
        int tried = 0, caught = 0, equivalent = 0;
        for (Map.Entry<Kind, int[]> e : tally.entrySet()) {
            int[] t = e.getValue();
            tried += t[0];
            caught += t[1] + t[2];
            equivalent += t[3];
            report.append(String.format("%n  %-18s tried %4d, caught by TV %4d, caught by a safety verifier only %3d, proven equivalent %3d",
                    e.getKey(), t[0], t[1], t[2], t[3]));
        }
        report.append(String.format("%n  total: %d tried, %d caught %s, %d proven equivalent by TV (cross-checked on %d kernel runs%s); checkers took %d ms",
                tried, caught, byChecker, equivalent, kernelRuns,
                kernel.available() ? "" : ": kernel unavailable, " + kernel.reason(), tvMillis));
        report.append("\n  proven equivalent (first ").append(equivalents.size()).append("):");
        for (String e : equivalents) report.append("\n    ").append(e);
        System.out.println(report);
        assertEquals(List.of(), unsound, "mutants TV accepted but the kernel shows to behave differently (TV unsound)");
        assertTrue(tried >= 5 * sitesPerKind, "too few mutation sites were found: " + tried);
        assertTrue(caught * 2 > tried, "most mutants change behaviour; TV caught only " + caught + " of " + tried);
        for (Kind k : Kind.values()) assertTrue(tally.containsKey(k), "no site for mutation kind " + k);
    }

    private static List<Insn> decode(byte[] obj, ElfFile.Section sec) {
        return Decoder.decode(ElfFile.parse(obj).contents(sec));
    }

    private static byte[] patch(byte[] elf, ElfFile.Section sec, List<Insn> code) {
        byte[] bytes = Encoder.encode(code);
        if (bytes.length != sec.size()) throw new IllegalStateException("a mutant must keep the program's size");
        byte[] out = elf.clone();
        System.arraycopy(bytes, 0, out, (int) sec.offset(), bytes.length);
        return out;
    }

    /** The mutants of each kind at up to {@code perKind} randomly chosen sites. */
    static List<Mutant> mutants(List<Insn> code, int perKind, Random rnd, long allow, long deny) {
        Map<Kind, List<Mutant>> all = new LinkedHashMap<>();
        for (Kind k : Kind.values()) all.put(k, new ArrayList<>());
        for (int i = 0; i < code.size(); i++) {
            Insn in = code.get(i);
            int cls = in.cls(), op = in.op();
            boolean cond = in.isJump() && op != Op.JA && op != Op.CALL && op != Op.EXIT;
            if (cond && op != Op.JSET) {
                add(all, Kind.FLIP_BRANCH, code, i, new Insn(cls | negate(op) | (in.opcode() & Op.X), in.dst(), in.src(), in.off(), in.imm()));
            }
            if (cond && !in.usesSrcReg()) {
                add(all, Kind.CHANGE_CONSTANT, code, i, new Insn(in.opcode(), in.dst(), in.src(), in.off(), in.imm() + 1));
            }
            if (cond && in.usesSrcReg() && cls == Op.JMP && (op == Op.JGT || op == Op.JGE || op == Op.JLT || op == Op.JLE)) {
                // A compare of two registers: in our programs the data_end checks. Either outcome, made unconditional.
                add(all, Kind.SKIP_BOUNDS_CHECK, code, i, new Insn(Op.JMP | Op.JA, 0, 0, 0, 0));
                add(all, Kind.SKIP_BOUNDS_CHECK, code, i, new Insn(Op.JMP | Op.JA, 0, 0, in.off(), 0));
            }
            if ((cls == Op.ALU || cls == Op.ALU64) && op == Op.MOV && !in.usesSrcReg() && in.dst() == 0
                    && (in.imm() == allow || in.imm() == deny)) {
                add(all, Kind.SWAP_VERDICT, code, i, new Insn(in.opcode(), 0, 0, in.off(), in.imm() == allow ? deny : allow));
            }
            if (cls == Op.LDX && in.mode() == Op.MEM && in.off() > 0 && in.src() != 10) {
                add(all, Kind.SHORTEN_OFFSET, code, i, new Insn(in.opcode(), in.dst(), in.src(), in.off() - 1, in.imm()));
            }
        }
        List<Mutant> out = new ArrayList<>();
        for (List<Mutant> ms : all.values()) {
            List<Mutant> copy = new ArrayList<>(ms);
            java.util.Collections.shuffle(copy, rnd);
            out.addAll(copy.subList(0, Math.min(perKind, copy.size())));
        }
        return out;
    }

    private static void add(Map<Kind, List<Mutant>> all, Kind k, List<Insn> code, int i, Insn to) {
        if (to.equals(code.get(i))) return;
        List<Insn> c = new ArrayList<>(code);
        c.set(i, to);
        all.get(k).add(new Mutant(k, i, Disassembler.format(code.get(i)), Disassembler.format(to), c));
    }

    private static int negate(int op) {
        return switch (op) {
            case Op.JEQ -> Op.JNE;
            case Op.JNE -> Op.JEQ;
            case Op.JGT -> Op.JLE;
            case Op.JLE -> Op.JGT;
            case Op.JGE -> Op.JLT;
            case Op.JLT -> Op.JGE;
            case Op.JSGT -> Op.JSLE;
            case Op.JSLE -> Op.JSGT;
            case Op.JSGE -> Op.JSLT;
            case Op.JSLT -> Op.JSGE;
            default -> throw new IllegalArgumentException("no negation for " + op);
        };
    }

    record Sample(byte[] frame, int want) {}

    /**
     * Witness, boundary and random packets of the policy with the reference verdict, and for Ethernet targets every
     * truncation (from 14 bytes) of the first few, which are malformed and dropped.
     */
    private static List<Sample> samples(ResolvedPolicy policy) {
        List<Sample> out = new ArrayList<>();
        Target t = policy.target();
        List<Packet> ps = Samples.of(policy, 40, 7);
        for (Packet p : ps) out.add(new Sample(FrameBuilder.ethernet(p), t.code(Evaluator.evaluate(policy, p).action())));
        if (!t.ethernet()) return out;
        for (Packet p : ps.subList(0, Math.min(4, ps.size()))) {
            int whole = FrameBuilder.ethernet(p).length;
            for (int n = LoadedProgram.MIN_INPUT; n < whole; n++) {
                out.add(new Sample(FrameBuilder.variant(p).truncate(n).ethernet(), t.code(Action.DENY)));
            }
        }
        return out;
    }
}
