package io.portcullis.cli;

import java.util.List;

/** Help texts. Kept apart from the parser so the contract scripts rely on reads in one place. */
final class Usage {
    private Usage() {}

    static final String EXIT_CODES = """
            Exit codes:
              0  no finding at or above the fail level
              1  the policies have findings at or above the fail level (syntax errors included)
              2  usage or input error (unknown option, missing or unreadable PATH)
              3  internal error (set PORTCULLIS_DEBUG=1 to see the stack trace)
            """;

    /** The tool's own help: the command list comes from {@link #COMMANDS}. */
    static String tool() {
        StringBuilder commands = new StringBuilder();
        int width = 0;
        for (Command c : COMMANDS) width = Math.max(width, c.name().length());
        for (Command c : COMMANDS) {
            commands.append("  ").append(c.name()).append(" ".repeat(width - c.name().length() + 3)).append(c.summary()).append('\n');
        }
        commands.append("  help").append(" ".repeat(Math.max(1, width - 4 + 3))).append("show the help of a command\n");
        return """
            Usage: portcullis <command> [options] [arguments]
                   portcullis --help | --version

            Policy-as-code compiler and CI gate for network security policy: proves the rules of each
            policy consistent, checks its expects, asserts and guards, and compiles it to an eBPF program.

            Commands:
            """ + commands + """

            Options:
              -h, --help   show this help; 'portcullis <command> --help' shows a command's help
              --version    print the version

            """ + EXIT_CODES + """

            Examples:
              portcullis check policies/
              portcullis check --format json --fail-on warning policies/edge.policy
              portcullis build -o out policies/
              portcullis eval policies/edge.policy edge 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'
              portcullis explain policies/edge.policy edge 'tcp 192.0.2.7:40000 -> 10.1.3.4:22'
              portcullis diff --fail-on new-allow baseline/policies/ policies/
              portcullis fmt --check policies/
              portcullis verify out/edge.o
            """;
    }

    static final String CHECK = """
            Usage: portcullis check [--format text|json|sarif|junit|html] [--output FILE]
                                    [--fail-on error|warning]
                                    [--severity CODE=LEVEL]... [--admin-ports LIST]
                                    [--waiver-window DAYS] PATH...

            Checks every policy in PATH (a .policy file, or a directory: every *.policy below it).
            Guards found anywhere in the run apply to every policy checked in that run.

            Options:
              --format F              text (default; coloured on a terminal unless NO_COLOR is set),
                                      json (one object, "version": 1; schema in
                                      docs/schema/portcullis-report.schema.json), sarif (SARIF 2.1.0
                                      for code scanning), junit (JUnit XML for CI dashboards) or
                                      html (one self-contained page with the segmentation matrix)
              --output FILE           write the report to FILE (atomically) instead of stdout
              --fail-on error|warning the lowest severity that fails the run (default: error)
              --severity CODE=LEVEL   override the severity of a finding code; LEVEL is error,
                                      warning, info or off (repeatable), e.g. --severity shadowed=error
              --admin-ports LIST      the administrative and data ports for exposed-admin-port
                                      (default 22,23,3389,5900,2375-2376,6443,10250,2379-2380,
                                      3306,5432,6379,9200,27017,11211)
              --waiver-window DAYS    warn (waiver-expiring) this many days before a waiver's date
                                      (default 30)
              -h, --help              show this help

            """ + EXIT_CODES + """

            Examples:
              portcullis check policies/
              portcullis check --fail-on warning policies/edge.policy policies/guards/
              portcullis check --format json --severity redundant=off policies/ > findings.json
              portcullis check --format sarif --output portcullis.sarif policies/
              portcullis check --format html --output report.html policies/
            """;

    static final String BUILD = """
            Usage: portcullis build [-o DIR] [--kernel auto|always|never] [--stats]
                                    [--fail-on error|warning] [--severity CODE=LEVEL]... PATH...

            Checks the policies in PATH, compiles each policy without errors to an eBPF object,
            verifies it and writes DIR/<policy>.o (atomically). Findings go to stdout, one line per
            object written; notes (such as the kernel verifier being unavailable) go to stderr.

            Options:
              -o, --output DIR        where to write the objects (default: out)
              --kernel auto|always|never
                                      verify with the kernel: when possible (auto, default), always
                                      (fail where bpf() is not allowed) or never
              --stats                 print, per object, instructions, verifier processed
                                      instructions, stack, jump range and maps, each with the
                                      headroom left against the kernel's limit
              --fail-on error|warning the lowest severity that fails the run (default: error)
              --severity CODE=LEVEL   override the severity of a finding code (repeatable)
              --admin-ports LIST      ports for exposed-admin-port (see 'portcullis check --help')
              --waiver-window DAYS    days of warning before a waiver expires (default 30)
              -h, --help              show this help

            """ + EXIT_CODES + """

            Examples:
              portcullis build policies/
              portcullis build -o target/bpf --kernel always policies/edge.policy
              portcullis build --stats policies/
            """;

    static final String EVAL = """
            Usage: portcullis eval FILE POLICY PACKET

            Prints the verdict (allow or deny) that policy POLICY in FILE gives one packet, by the
            reference evaluator (first matching rule, else the default). PACKET is one argument in the
            packet syntax of expect lines: PROTO SRC -> DST, with 'flags { ... }' for TCP (none written
            means a connection attempt, syn) and 'type T [code C]' for ICMP.

            Options:
              -h, --help   show this help

            Exit codes:
              0  the verdict was printed
              1  the file has errors, so the policy cannot be evaluated
              2  usage or input error (missing file, unknown policy, a PACKET that is not a packet)
              3  internal error

            Examples:
              portcullis eval policies/edge.policy edge 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'
              portcullis eval policies/edge.policy edge 'udp [2001:db8::1]:5353 -> [2001:db8:1::53]:53'
              portcullis eval policies/edge.policy edge 'icmp 198.51.100.1 -> 10.1.0.1 type echo-request'
            """;

    static final String DIFF = """
            Usage: portcullis diff [--format text|json] [--fail-on new-allow|new-deny|any|never] OLD NEW

            Compares two versions of the same policies by meaning, not by text. OLD and NEW are each a
            .policy file or a directory (every *.policy below it); policies are matched by name. Every
            region of packets whose verdict changed is listed with a one-line summary, a witness packet,
            and the rule that decides it in each version. Reordering, splitting or merging rules
            without a change in meaning prints "no change in behaviour".

            A policy present only in NEW counts as allowing nothing before (all it allows is newly
            allowed); a policy present only in OLD counts as allowing nothing after.

            Options:
              --format text|json      text (default) or exactly one JSON object ("version": 1)
              --fail-on new-allow|new-deny|any|never
                                      exit 1 when something is newly allowed, newly denied, either,
                                      or never (default: never; the diff is printed either way)
              -h, --help              show this help

            Exit codes:
              0  compared; nothing at the --fail-on level changed
              1  something changed at the --fail-on level, or a version has errors (they are printed)
              2  usage or input error (unknown option, missing or unreadable path)
              3  internal error (set PORTCULLIS_DEBUG=1 to see the stack trace)

            Examples:
              portcullis diff old/policies/ policies/
              portcullis diff --fail-on new-allow main-checkout/policies/edge.policy policies/edge.policy
              git worktree add /tmp/base origin/main && portcullis diff --format json /tmp/base/policies policies
            """;

    static final String EXPLAIN = """
            Usage: portcullis explain FILE POLICY PACKET

            Shows why policy POLICY in FILE gives one packet its verdict: every rule before the
            deciding one with the header fields that keep it from matching (source or destination
            not in the rule's addresses, another protocol, a port outside the rule's ports, the TCP
            state, the ICMP type), the rule that decides (first match), later rules that would match
            too, or the default when no rule matches. Then the expects of this very packet, and the
            asserts and guards (loaded with FILE) whose match holds it, with whether they hold.
            The same field tests decide 'portcullis eval', so the two always agree.

            PACKET is one argument in the packet syntax of expect lines (see 'portcullis eval --help').

            Options:
              -h, --help   show this help

            Exit codes:
              0  the explanation was printed
              1  the file has errors, so the policy cannot be explained
              2  usage or input error (missing file, unknown policy, a PACKET that is not a packet)
              3  internal error

            Examples:
              portcullis explain policies/edge.policy edge 'tcp 198.51.100.7:40000 -> 203.0.113.10:22'
              portcullis explain policies/k8s-node.policy k8s-node 'udp [2001:db8::1]:5353 -> [fd00:db::7]:5432'
            """;

    static final String FMT = """
            Usage: portcullis fmt [--check] PATH...

            Rewrites policy files in the canonical layout (see the README, "Formatting"): one statement
            per line, four spaces of indentation inside policy and guard blocks, single spaces between
            words, '{ a, b }' lists, no space before ';' ',' ':', one blank line at most between
            statements and exactly one between top-level blocks. Every comment is kept. Formatting
            changes no meaning, and formatting a formatted file changes nothing. PATH is a .policy file
            or a directory (every *.policy below it). Files are replaced atomically, and only when
            their text changes.

            Options:
              --check      change nothing; list the files that are not formatted, with the first
                           line that differs, and exit 1 if there are any
              -h, --help   show this help

            Exit codes:
              0  every file is formatted (or was rewritten)
              1  --check: some files are not formatted
              2  usage or input error, or a file that does not parse (file:line:col; the file is
                 left untouched)
              3  internal error

            Examples:
              portcullis fmt policies/
              portcullis fmt --check policies/ || echo 'run: portcullis fmt policies/'
            """;

    static final String VERIFY = """
            Usage: portcullis verify [--kernel auto|always|never] OBJ...
                   portcullis verify [--kernel auto|always|never] --policy FILE [--name POLICY] OBJ.o

            Runs Portcullis's static verifier on every program in each BPF object file (any object, not only
            ours), with the program type inferred from the section name as libbpf does (xdp, tc, classifier,
            cgroup_skb/ingress, cgroup_skb/egress). It checks the control flow (no unreachable code, no loops,
            no jump out of the program), initialised registers and stack, pointer kinds and arithmetic, packet
            reads proven inside the packet by an earlier check against data_end, stack bounds, context fields,
            helper arguments, return values, and the kernel's size and complexity limits. It needs no privileges.
            A rejection prints the instruction index, the instruction and a stable reason code.

            With --policy, it also proves that the object gives the policy's verdict for every frame (translation
            validation): the program is executed symbolically on all frames of every enumerated layout at once, and
            each exit's set of frames is compared with the policy's verdict on that set. A mismatch prints a witness
            frame, both verdicts, the deciding rule, the instruction and the path. 'portcullis build' runs the same
            proof on every object before writing it.

            Options:
              --kernel MODE   also load each program into the kernel's verifier: auto (default; where bpf() is
                              allowed), always (fail when it is not), never
              --policy FILE   the .policy file the object was compiled from: prove the object implements it
              --name POLICY   the policy in FILE (default: the only policy, or the one named like OBJ)

            Exit codes:
              0  every program was accepted
              1  a program was rejected (by either verifier), with --policy not proven to implement the
                 policy, or --kernel always could not run the kernel's
              2  usage error, unreadable file, not a BPF object, or no program of a known type
              3  internal error (set PORTCULLIS_DEBUG=1 to see the stack trace)

            Examples:
              portcullis verify out/edge.o
              portcullis verify --kernel never out/*.o
              portcullis verify --policy policies/edge.policy out/edge.o
            """;

    /** One command: its name, its line in the tool's help, and its full help text. */
    record Command(String name, String summary, String help) {}

    /**
     * Every command, in the order the tool's help lists them. A new command adds one line here (and one in
     * {@code Main}'s dispatch table); '--help' and 'portcullis help COMMAND' then work for it.
     */
    static final List<Command> COMMANDS = List.of(
            new Command("check", "check policies and print the findings", CHECK),
            new Command("build", "check, compile to eBPF, verify with the kernel and write one object per policy", BUILD),
            new Command("eval", "print the verdict (allow or deny) a policy gives one packet", EVAL),
            new Command("explain", "show which rules match a packet, which one decides, and why the others do not", EXPLAIN),
            new Command("diff", "compare two versions of the policies by meaning: what is newly allowed or denied", DIFF),
            new Command("fmt", "rewrite policy files in the canonical layout (--check: only report)", FMT),
            new Command("run", "run a compiled object on one packet in the BPF interpreter (no kernel needed)",
                    RunCommand.USAGE),
            new Command("verify", "check that the programs of a BPF object are safe, without privileges (and with the kernel)",
                    VERIFY));

    /** The command called {@code name}, or null. */
    static Command find(String name) {
        for (Command c : COMMANDS) if (c.name().equals(name)) return c;
        return null;
    }

    static List<String> names() {
        return COMMANDS.stream().map(Command::name).toList();
    }

    static String of(String command) {
        Command c = command == null ? null : find(command);
        return c == null ? tool() : c.help();
    }
}
