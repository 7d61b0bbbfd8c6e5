package io.portcullis.cli;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.kernel.KernelVerifier;
import io.portcullis.bpf.kernel.ProgramImage;
import io.portcullis.bpf.verify.ObjectVerifier;
import io.portcullis.bpf.verify.Problem;
import io.portcullis.bpf.verify.Verification;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code portcullis verify [--kernel auto|always|never] OBJ...}: the static verifier, and the kernel's where it runs,
 * on every program of any BPF object, the program type inferred from the section name as libbpf does. Options are
 * parsed here, apart from the other commands, so that more (such as a policy to validate against) can be added.
 */
final class VerifyCommand {
    static final String NAME = "verify";

    enum KernelMode { AUTO, ALWAYS, NEVER }

    record Options(KernelMode kernel, List<Path> objects, boolean help) {}

    private final PrintStream out;
    private final PrintStream err;

    VerifyCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static Options parse(List<String> args) throws UsageException {
        KernelMode kernel = KernelMode.AUTO;
        List<Path> objects = new ArrayList<>();
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-h") || a.equals("--help")) {
                help = true;
            } else if (a.equals("--kernel") || a.startsWith("--kernel=")) {
                String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : (i + 1 < args.size() ? args.get(++i) : null);
                if (v == null) throw new UsageException(NAME, "--kernel needs a value: auto, always or never");
                kernel = switch (v) {
                    case "auto" -> KernelMode.AUTO;
                    case "always" -> KernelMode.ALWAYS;
                    case "never" -> KernelMode.NEVER;
                    default -> throw new UsageException(NAME, "--kernel must be auto, always or never, not '" + v + "'");
                };
            } else if (a.startsWith("-") && !a.equals("-")) {
                throw new UsageException(NAME, "unknown option '" + a + "'");
            } else {
                objects.add(Path.of(a));
            }
        }
        if (!help && objects.isEmpty()) throw new UsageException(NAME, "no object file given");
        return new Options(kernel, List.copyOf(objects), help);
    }

    int run(List<String> args) throws UsageException {
        Options o = parse(args);
        if (o.help()) {
            out.print(Usage.VERIFY);
            return Main.OK;
        }
        // Read and parse everything first: an unreadable input is a usage error, reported before any verdict.
        List<byte[]> bytes = new ArrayList<>();
        List<List<ObjectVerifier.Program>> programs = new ArrayList<>();
        for (Path p : o.objects()) {
            byte[] b;
            try {
                b = Files.readAllBytes(p);
            } catch (NoSuchFileException e) {
                err.println("portcullis: " + p + ": no such file");
                return Main.USAGE;
            } catch (IOException e) {
                err.println("portcullis: " + p + ": cannot read: " + e.getMessage());
                return Main.USAGE;
            }
            try {
                programs.add(ObjectVerifier.verify(b));
            } catch (IllegalArgumentException e) {
                err.println("portcullis: " + p + ": not a BPF object: " + e.getMessage());
                return Main.USAGE;
            }
            bytes.add(b);
        }
        Bpf.Availability avail = o.kernel() == KernelMode.NEVER ? null : Bpf.availability();
        boolean rejected = false;
        int verified = 0;
        for (int f = 0; f < o.objects().size(); f++) {
            Path path = o.objects().get(f);
            String license = license(bytes.get(f));
            for (ObjectVerifier.Program p : programs.get(f)) {
                String where = path + ": section " + p.section();
                if (p.type() == null) {
                    out.println(where + ": skipped: " + p.note());
                    continue;
                }
                verified++;
                Verification v = p.verification();
                String what = where + " (" + p.name() + ", " + p.type().displayName() + ", " + v.slots() + " insns)";
                if (v.accepted()) {
                    out.printf("%s: accepted by the static verifier (%d analysed, %.1f ms)%n", what, v.analysed(), v.nanos() / 1e6);
                    io.portcullis.bpf.verify.Complexity c = v.complexity();
                    if (c != null) {
                        out.printf("%s: complexity estimate: %d instructions processed by the kernel's verifier (limit %d), "
                                + "%d pending branches at most (limit %d)%s%n", where, c.processed(),
                                io.portcullis.bpf.verify.StaticVerifier.MAX_INSNS, c.peakPending(),
                                io.portcullis.bpf.verify.StaticVerifier.MAX_PENDING_BRANCHES,
                                c.complete() ? "" : " (incomplete: " + c.note() + ")");
                        if (c.nearLimit()) out.println(where + ": warning: the estimate is within 10% of the kernel's limit; it may refuse the program");
                    }
                } else {
                    rejected = true;
                    out.println(what + ": REJECTED by the static verifier");
                    for (Problem pr : v.problems()) printProblem(v, pr);
                }
                if (avail == null) continue;
                if (!avail.available()) {
                    if (o.kernel() == KernelMode.ALWAYS) {
                        out.println(where + ": the kernel verifier was required but cannot run here: " + avail.reason());
                        rejected = true;
                    }
                    continue;
                }
                KernelVerifier.Verification k;
                try {
                    ProgramImage image = ProgramImage.of(p.code(), p.type().target(), license, p.name());
                    // A table program reads .rodata sections: the kernel gets them as read-only maps, as from build.
                    io.portcullis.bpf.elf.ElfFile elf = io.portcullis.bpf.elf.ElfFile.parse(bytes.get(f));
                    io.portcullis.bpf.elf.ReadOnlyData data = io.portcullis.bpf.elf.ReadOnlyData.of(elf,
                            elf.sectionHeader(p.section()).orElseThrow());
                    k = KernelVerifier.verify(new ProgramImage(image.code(), image.instructions(), image.license(),
                            image.name(), image.progType(), image.expectedAttachType(), data));
                } catch (IllegalArgumentException e) {
                    out.println(where + ": the kernel verifier cannot load it: " + e.getMessage());
                    continue;
                }
                if (k.status() == KernelVerifier.Status.ACCEPTED) {
                    out.println(where + ": accepted by the kernel verifier (" + k.processed() + " processed)");
                } else {
                    rejected = true;
                    out.println(where + (k.enotsupp() ? ": REJECTED by the kernel (after its verifier):" : ": REJECTED by the kernel verifier:"));
                    for (String line : lastLines(k.log(), 4)) out.println("    " + line);
                }
            }
        }
        if (avail != null && !avail.available() && o.kernel() == KernelMode.AUTO) {
            err.println("note: verification by the kernel was not possible: " + avail.reason());
        }
        if (verified == 0) {
            err.println("portcullis: no program of a type this verifier knows (xdp, tc, cgroup_skb/ingress, cgroup_skb/egress)");
            return Main.USAGE;
        }
        return rejected ? Main.FINDINGS : Main.OK;
    }

    private void printProblem(Verification v, Problem pr) {
        Insn at = pr.index() >= 0 ? v.insnAt(pr.index()) : null;
        if (pr.index() >= 0) out.printf("  %04d: %s%n", pr.index(), at == null ? "" : Disassembler.format(at));
        out.println("        " + pr.reason().code() + ": " + pr.message());
        if (!pr.reason().kernelRejects()) {
            out.println("        (a privileged kernel may accept this; Portcullis is stricter here)");
        }
    }

    private static String license(byte[] elf) {
        try {
            byte[] b = ElfFile.parse(elf).section("license").orElse(new byte[0]);
            int end = 0;
            while (end < b.length && b[end] != 0) end++;
            return new String(b, 0, end, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static List<String> lastLines(String log, int n) {
        String[] l = log.strip().split("\n");
        return List.of(l).subList(Math.max(0, l.length - n), l.length);
    }
}
