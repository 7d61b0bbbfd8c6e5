package io.portcullis.cli;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.interp.Hook;
import io.portcullis.bpf.interp.Interpreter;
import io.portcullis.bpf.interp.InterpreterFault;
import io.portcullis.bpf.interp.Program;
import io.portcullis.bpf.packet.FrameBuilder;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.ir.Packet;
import io.portcullis.report.TextReport;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.PolicyParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code portcullis run [--section NAME] [--trace] OBJ.o PACKET}: runs an object's program in the interpreter on one
 * packet, as BPF_PROG_TEST_RUN would, and prints the return value with its name for the program type.
 */
final class RunCommand {
    static final int RAN = 0, FAULT = 1;

    static final String USAGE = """
            Usage: portcullis run [--section NAME] [--trace] OBJ.o PACKET

            Runs the program in OBJ.o in Portcullis's BPF interpreter on one packet, with the context
            BPF_PROG_TEST_RUN gives that program type, and prints the return value and its name, e.g.
            "1 XDP_DROP". No kernel is needed. The program type follows from the section: xdp, tc,
            cgroup_skb/ingress or cgroup_skb/egress (cgroup programs see the packet from the IP header).

            PACKET is one of:
              'PROTO SRC -> DST ...'  the packet syntax of expect lines (as in 'portcullis eval'), built
                                      into an Ethernet frame; 'fragment' at the end makes it a non-first
                                      fragment
              @FILE                   the raw bytes of an Ethernet frame (as bpftool's data_in)
              hex:HEX                 the frame as hexadecimal digits (spaces and colons are ignored)
            A frame needs at least 14 bytes, as in the kernel.

            Options:
              --section NAME   the program section to run when the object has several
              --trace          print every instruction executed, with the registers it reads, to stderr
              -h, --help       show this help

            Exit codes:
              0  the program ran; its return value is printed
              1  the interpreter stopped the program: the instruction and the reason are printed
                 (an access outside the packet, stack or context, an unsupported instruction, ...)
              2  usage or input error (missing or unreadable object, no program section, bad PACKET)
              3  internal error

            Examples:
              portcullis run out/edge.o 'tcp 198.51.100.7:40000 -> 203.0.113.10:22'
              portcullis run out/edge.o 'udp [2001:db8::1]:5353 -> [2001:db8:1::53]:53'
              portcullis run --trace out/k8s-node.o @frame.bin
              portcullis run out/edge.o hex:0200000000020200000000010806...
            """;

    private RunCommand() {}

    record Args(Path object, String packet, String section, boolean trace, boolean help) {}

    static Args parse(List<String> args) throws UsageException {
        List<String> positional = new ArrayList<>();
        String section = null;
        boolean trace = false, help = false, ended = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (ended || !a.startsWith("-") || a.equals("-")) {
                positional.add(a);
            } else if (a.equals("--")) {
                ended = true;
            } else if (Arguments.isHelp(a)) {
                help = true;
            } else if (a.equals("--trace")) {
                trace = true;
            } else if (a.equals("--section") || a.startsWith("--section=")) {
                if (a.startsWith("--section=")) {
                    section = a.substring("--section=".length());
                } else if (i + 1 < args.size()) {
                    section = args.get(++i);
                } else {
                    throw new UsageException("run", "--section needs a section name");
                }
            } else {
                throw new UsageException("run", "unknown option '" + a + "'");
            }
        }
        if (help) return new Args(null, null, section, trace, true);
        if (positional.size() != 2) {
            throw new UsageException("run", "run takes exactly two arguments: OBJ.o PACKET (got " + positional.size()
                    + "); quote the packet, e.g. 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'");
        }
        try {
            return new Args(Path.of(positional.get(0)), positional.get(1), section, trace, false);
        } catch (InvalidPathException e) {
            throw new UsageException("run", "not a path: " + positional.get(0));
        }
    }

    static int run(List<String> argList, PrintStream out, PrintStream err) throws UsageException {
        Args a = parse(argList);
        if (a.help()) {
            out.print(USAGE);
            return RAN;
        }
        byte[] elf;
        try {
            elf = Files.readAllBytes(a.object());
        } catch (IOException e) {
            err.println("portcullis: cannot read " + a.object() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return Main.USAGE;
        }
        Program program;
        try {
            program = Program.fromElf(elf, a.section());
        } catch (IllegalArgumentException e) {
            err.println("portcullis: " + a.object() + ": " + e.getMessage());
            return Main.USAGE;
        }
        byte[] frame = frame(a.packet(), err);
        if (frame == null) return Main.USAGE;
        if (frame.length < Hook.ETH_HLEN) {
            err.println("portcullis: the frame has " + frame.length + " bytes; a test run needs at least " + Hook.ETH_HLEN
                    + " (an Ethernet header)");
            return Main.USAGE;
        }
        Interpreter.Tracer tracer = !a.trace() ? null : (slot, insn, regs, init) -> {
            StringBuilder sb = new StringBuilder(String.format("%04d: %-40s", slot, Disassembler.format(insn)));
            for (int r = 0; r <= 10; r++) {
                if ((init & (1 << r)) != 0 && reads(insn, r)) sb.append(String.format(" r%d=0x%x", r, regs[r]));
            }
            err.println(sb.toString().stripTrailing());
        };
        try {
            Interpreter.Result r = Interpreter.run(program, io.portcullis.bpf.interp.Context.testRun(program.hook(), frame), tracer);
            String name = program.hook().codeName(r.r0());
            out.println(Integer.toUnsignedString(r.retval()) + (name == null ? "" : " " + name));
            return RAN;
        } catch (InterpreterFault f) {
            io.portcullis.bpf.asm.Insn at = program.at(f.slot());
            err.println("portcullis: " + a.object() + ": the interpreter stopped " + program.hook().section() + " program "
                    + program.name() + " at instruction " + f.slot() + (at == null ? "" : " (" + Disassembler.format(at) + ")")
                    + ": " + f.reason());
            return FAULT;
        }
    }

    /** Whether {@code insn} reads register {@code r} (for the trace: show only what matters). */
    private static boolean reads(io.portcullis.bpf.asm.Insn insn, int r) {
        int cls = insn.cls();
        boolean x = insn.usesSrcReg();
        return switch (cls) {
            case 0x04, 0x07 -> insn.dst() == r && insn.op() != 0xb0 || x && insn.src() == r && insn.op() != 0xd0;
            case 0x05, 0x06 -> insn.op() == 0x90 ? r == 0 : insn.op() != 0x00 && insn.op() != 0x80
                    && (insn.dst() == r || x && insn.src() == r);
            case 0x01 -> insn.src() == r;
            case 0x02 -> insn.dst() == r;
            case 0x03 -> insn.dst() == r || insn.src() == r;
            default -> false;
        };
    }

    /** The test-run input for PACKET, or null after printing why it is not one. */
    static byte[] frame(String text, PrintStream err) {
        if (text.startsWith("@")) {
            Path p;
            try {
                p = Path.of(text.substring(1));
                return Files.readAllBytes(p);
            } catch (InvalidPathException | IOException e) {
                err.println("portcullis: cannot read the frame " + text.substring(1) + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                return null;
            }
        }
        if (text.startsWith("hex:")) {
            String digits = text.substring(4).replaceAll("[\\s:]", "");
            try {
                return HexFormat.of().parseHex(digits);
            } catch (IllegalArgumentException e) {
                err.println("portcullis: not hexadecimal bytes: " + text.substring(4) + " (" + e.getMessage() + ")");
                return null;
            }
        }
        SourceFile src = SourceFile.ofString("<packet>", text);
        PolicyParser.PacketResult parsed = PolicyParser.parsePacket(src);
        List<Diagnostic> ds = new ArrayList<>(parsed.diagnostics());
        Packet packet = parsed.packet() == null || !ds.isEmpty() ? null : Loader.resolvePacket(parsed.packet(), ds);
        if (packet == null) {
            if (!ds.isEmpty()) err.print(TextReport.render(ds, false));
            err.println("portcullis: not a packet: " + text + " (write e.g. 'tcp 192.0.2.7:40000 -> 10.1.3.4:443', @FILE or hex:...)");
            return null;
        }
        return FrameBuilder.ethernet(packet);
    }
}
