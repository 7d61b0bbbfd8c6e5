package io.portcullis.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.asm.Decoder;
import io.portcullis.bpf.asm.Encoder;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.asm.Op;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.BpfException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Translation validation of table programs at the sizes that need tables: the ClassBench-style policies of 1,000 and
 * 10,000 rules are proven, and mutants of a table program (verdict bytes, interval starts, child references, branches
 * of the walk, header offsets of the parser) are caught with a witness or a refusal, or, when TV proves one, behave
 * like the policy in the kernel on witness, boundary and random packets.
 *
 * <p>{@code -Dportcullis.tablemutation.rules=10000} mutates the 10,000-rule program instead of the 1,000-rule one;
 * {@code -Dportcullis.tablemutation.sites=N} sets the mutants per kind (CI: 5).
 */
class TableTvScaleTest {
    static final long SEED = 20261125;

    private static ResolvedPolicy load(Path dir, int rules) throws Exception {
        Path f = dir.resolve("r" + rules + ".policy");
        Files.writeString(f, RuleGenerator.text(rules, SEED));
        Loader.LoadResult lr = Loader.load(List.of(f));
        return lr.policies().get(0);
    }

    @Test
    void classBenchTableProgramsAreProven(@TempDir Path dir) throws Exception {
        for (int rules : new int[] {1000, 10000}) {
            ResolvedPolicy p = load(dir, rules);
            byte[] elf = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
            assertTrue(ElfFile.parse(elf).sectionNames().stream().anyMatch(n -> n.startsWith(".rodata.t")),
                    "a table program has .rodata.t sections");
            long t0 = System.nanoTime();
            TranslationValidator.Result r = TranslationValidator.validate(elf, p);
            System.out.printf("table program of %d ClassBench-style rules: %s in %.1f s; %s%n", rules,
                    r.valid() ? "proven" : "NOT proven", (System.nanoTime() - t0) / 1e9, r.stats().tables());
            assertTrue(r.valid(), () -> rules + " rules: " + r.problems());
            assertTrue(r.stats().tables() != null, "proven by the table proof");
        }
    }

    enum Kind { VERDICT_BYTE, INTERVAL_START, CHILD_REF, WALK_BRANCH, KEY_OFFSET }

    record Mutant(Kind kind, String what, byte[] object) {}

    @Test
    void tableMutantsAreCaughtOrBehaveIdentically(@TempDir Path dir) throws Exception {
        int rules = Integer.getInteger("portcullis.tablemutation.rules", 1000);
        int sites = Integer.getInteger("portcullis.tablemutation.sites", 5);
        ResolvedPolicy p = load(dir, rules);
        byte[] elf = BpfCompiler.compile(p, BpfCompiler.Strategy.TABLE);
        TranslationValidator.Session tv = new TranslationValidator.Session(p);
        assertTrue(tv.validate(elf).valid(), "the unmutated table program must be proven");
        List<Mutant> mutants = mutants(elf, p, sites, new Random(SEED));
        Bpf.Availability kernel = Bpf.availability();
        List<Packet> samples = kernel.available() ? Samples.of(p, 300, 7) : List.of();
        Map<Kind, int[]> tally = new TreeMap<>(); // tried, witness, refusal, proven (and confirmed in the kernel)
        List<String> unsound = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int kernelRuns = 0;
        long t0 = System.nanoTime();
        for (Mutant m : mutants) {
            int[] t = tally.computeIfAbsent(m.kind(), k -> new int[4]);
            t[0]++;
            TranslationValidator.Result r = tv.validate(m.object());
            if (!r.valid()) {
                TranslationValidator.Problem first = r.problems().get(0);
                boolean witness = first.kind() != TranslationValidator.Kind.UNSUPPORTED;
                t[witness ? 1 : 2]++;
                lines.add(m.kind() + " " + m.what() + ": " + (witness ? "witness: " : "refused: ") + first.message());
                continue;
            }
            t[3]++;
            lines.add(m.kind() + " " + m.what() + ": proven equivalent");
            if (!kernel.available()) continue;
            try (LoadedProgram prog = LoadedProgram.load(m.object(), p.target())) {
                for (Packet s : samples) {
                    kernelRuns++;
                    int want = (int) p.target().code(Evaluator.evaluate(p, s).action());
                    int got = prog.run(FrameBuilder.ethernet(s));
                    if (got != want) {
                        unsound.add(m.kind() + " " + m.what() + ": the kernel returns " + got + " for " + s + ", the policy "
                                + want);
                        break;
                    }
                }
            } catch (BpfException e) {
                unsound.add(m.kind() + " " + m.what() + ": proven, but the kernel rejects it: " + e.getMessage());
            }
        }
        StringBuilder report = new StringBuilder(String.format("table mutation test (%d rules, %d instructions):", rules,
                Decoder.decode(text(elf, p)).size()));
        int tried = 0, caught = 0;
        for (Map.Entry<Kind, int[]> e : tally.entrySet()) {
            int[] t = e.getValue();
            tried += t[0];
            caught += t[1] + t[2];
            report.append(String.format("%n  %-15s tried %3d, caught with a witness %3d, refused %3d, proven equivalent %3d",
                    e.getKey(), t[0], t[1], t[2], t[3]));
        }
        report.append(String.format("%n  total %d tried, %d caught, %d proven equivalent (%s); TV took %.1f s",
                tried, caught, tried - caught, kernel.available() ? "cross-checked on " + kernelRuns + " kernel runs"
                        : "kernel unavailable: " + kernel.reason(), (System.nanoTime() - t0) / 1e9));
        for (String l : lines) report.append("\n    ").append(l.length() > 260 ? l.substring(0, 260) + "..." : l);
        System.out.println(report);
        assertEquals(List.of(), unsound, "mutants TV proved but the kernel shows to behave differently (TV unsound)");
        for (Kind k : Kind.values()) assertTrue(tally.containsKey(k), "no site for mutation kind " + k);
        // Branches of the walk and offsets of the parser change what the program computes: each must be caught.
        assertEquals(tally.get(Kind.WALK_BRANCH)[0], tally.get(Kind.WALK_BRANCH)[1] + tally.get(Kind.WALK_BRANCH)[2],
                "flipped walk branches caught");
        assertTrue(caught * 2 > tried, "most mutants change behaviour; caught only " + caught + " of " + tried);
    }

    private static byte[] text(byte[] elf, ResolvedPolicy p) {
        ElfFile f = ElfFile.parse(elf);
        return f.contents(f.sectionHeader(p.target().section()).orElseThrow());
    }

    // ---- mutants -------------------------------------------------------------------------------------------------

    /** A node of the tables, read by the test itself from the format the README specifies. */
    record Node(String section, int offset, boolean wide, long[] starts, long[] kids) {
        int kidAt(int k) { return offset + 8 + starts.length * (wide ? 8 : 4) + 4 * k; }
        int startAt(int k) { return offset + 8 + k * (wide ? 8 : 4); }
    }

    private static final Pattern CHUNK = Pattern.compile("pc_t([46])_([0-6])_([0-9]+)");

    static List<Node> nodes(ElfFile f) {
        List<Node> out = new ArrayList<>();
        for (ElfFile.Symbol s : f.symbols()) {
            Matcher m = CHUNK.matcher(s.name());
            if (!m.matches()) continue;
            ElfFile.Section sec = f.sections().get(s.sectionIndex());
            byte[] b = f.contents(sec);
            boolean wide = m.group(1).equals("6") && Integer.parseInt(m.group(2)) <= 3;
            int w = wide ? 8 : 4;
            for (int o = 0; o + 8 <= b.length; ) {
                int n = (int) u32(b, o);
                if (n == 0) break;
                long[] starts = new long[n], kids = new long[n];
                for (int k = 0; k < n; k++) starts[k] = wide ? u32(b, o + 8 + 8 * k) | u32(b, o + 12 + 8 * k) << 32 : u32(b, o + 8 + 4 * k);
                for (int k = 0; k < n; k++) kids[k] = u32(b, o + 8 + n * w + 4 * k);
                out.add(new Node(sec.name(), o, wide, starts, kids));
                o += (8 + n * (w + 4) + 7) & ~7;
            }
        }
        return out;
    }

    private static long u32(byte[] b, int o) {
        return (b[o] & 0xffL) | (b[o + 1] & 0xffL) << 8 | (b[o + 2] & 0xffL) << 16 | (b[o + 3] & 0xffL) << 24;
    }

    private static void put32(byte[] b, int o, long v) {
        for (int i = 0; i < 4; i++) b[o + i] = (byte) (v >>> (8 * i));
    }

    static List<Mutant> mutants(byte[] elf, ResolvedPolicy p, int sites, Random rnd) {
        ElfFile f = ElfFile.parse(elf);
        List<Mutant> out = new ArrayList<>();
        // Verdict bytes: a sample of rules, and "no rule".
        ElfFile.Section v = f.sectionHeader(".rodata.v").orElseThrow();
        int n = p.rules().size();
        for (int k = 0; k < sites; k++) {
            int rule = k == 0 ? n : rnd.nextInt(n);
            byte[] m = elf.clone();
            m[(int) v.offset() + rule] ^= 1;
            out.add(new Mutant(Kind.VERDICT_BYTE, "byte " + rule, m));
        }
        List<Node> nodes = nodes(f);
        List<Node> multi = nodes.stream().filter(x -> x.starts().length >= 3).toList();
        // Interval starts: one start moved up by one (inside its neighbours, so the node stays well formed).
        for (int k = 0, tries = 0; k < sites && tries < 1000; tries++) {
            Node x = multi.get(rnd.nextInt(multi.size()));
            int i = 1 + rnd.nextInt(x.starts().length - 2);
            if (x.starts()[i] + 1 >= x.starts()[i + 1]) continue;
            byte[] m = elf.clone();
            int at = (int) f.sectionHeader(x.section()).orElseThrow().offset() + x.startAt(i);
            m[at] = (byte) (m[at] + 1); // the low byte: +1 (starts are not ...ff here often; a carry would only move it more)
            if ((m[at] & 0xff) == 0) continue;
            out.add(new Mutant(Kind.INTERVAL_START, x.section() + " node " + x.offset() + " start " + i, m));
            k++;
        }
        // Child references: an interval sent to another child of the same node.
        for (int k = 0, tries = 0; k < sites && tries < 1000; tries++) {
            Node x = multi.get(rnd.nextInt(multi.size()));
            int i = rnd.nextInt(x.kids().length), j = rnd.nextInt(x.kids().length);
            if (x.kids()[i] == x.kids()[j]) continue;
            byte[] m = elf.clone();
            put32(m, (int) f.sectionHeader(x.section()).orElseThrow().offset() + x.kidAt(i), x.kids()[j]);
            out.add(new Mutant(Kind.CHILD_REF, x.section() + " node " + x.offset() + " child " + i, m));
            k++;
        }
        // Branches of the walk (between the first and the last ld_imm64): register compares flipped.
        ElfFile.Section text = f.sectionHeader(p.target().section()).orElseThrow();
        byte[] code = f.contents(text);
        int slots = code.length / 8, first = -1, last = -1;
        for (int i = 0; i < slots; i++) {
            if ((code[8 * i] & 0xff) == 0x18) {
                if (first < 0) first = i;
                last = i;
            }
        }
        List<Integer> branches = new ArrayList<>();
        for (int i = Math.max(first, 0); i < last; i++) {
            int opc = code[8 * i] & 0xff, op = opc & 0xf0;
            if ((opc & 7) == Op.JMP && (opc & 0x08) != 0 && (op == Op.JGT || op == Op.JLE || op == Op.JGE || op == Op.JLT)) {
                branches.add(i);
            }
        }
        for (int k = 0; k < sites && k < branches.size(); k++) {
            int i = branches.get(k * branches.size() / Math.min(sites, branches.size()));
            int opc = code[8 * i] & 0xff, op = opc & 0xf0;
            int flipped = op == Op.JGT ? Op.JLE : op == Op.JLE ? Op.JGT : op == Op.JGE ? Op.JLT : Op.JGE;
            byte[] m = elf.clone();
            m[(int) text.offset() + 8 * i] = (byte) (flipped | (opc & 0x0f));
            out.add(new Mutant(Kind.WALK_BRANCH, "slot " + i, m));
        }
        // Header offsets of the parser (packet loads: not from the stack): one byte earlier.
        List<Insn> insns = Decoder.decode(code);
        List<Integer> loads = new ArrayList<>();
        for (int i = 0; i < insns.size(); i++) {
            Insn in = insns.get(i);
            if (in.cls() == Op.LDX && in.mode() == Op.MEM && in.off() > 0 && in.src() != 10) loads.add(i);
        }
        java.util.Collections.shuffle(loads, rnd);
        for (int k = 0; k < sites && k < loads.size(); k++) {
            int i = loads.get(k);
            Insn in = insns.get(i);
            List<Insn> c = new ArrayList<>(insns);
            c.set(i, new Insn(in.opcode(), in.dst(), in.src(), in.off() - 1, in.imm()));
            byte[] bytes = Encoder.encode(c);
            byte[] m = elf.clone();
            System.arraycopy(bytes, 0, m, (int) text.offset(), bytes.length);
            out.add(new Mutant(Kind.KEY_OFFSET, "instruction " + i + " offset " + in.off() + " -> " + (in.off() - 1), m));
        }
        return out;
    }
}
