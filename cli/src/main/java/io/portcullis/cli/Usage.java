package io.portcullis.cli;

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

    static final String TOOL = """
            Usage: portcullis <command> [options] [arguments]
                   portcullis --help | --version

            Policy-as-code compiler and CI gate for network security policy: proves the rules of each
            policy consistent, checks its expects, asserts and guards, and compiles it to an eBPF program.

            Commands:
              check   check policies and print the findings
              build   check, compile to eBPF, verify with the kernel and write one object per policy
              eval    print the verdict (allow or deny) a policy gives one packet
              diff    compare two versions of the policies by meaning: what is newly allowed or denied
              verify  prove an object gives its policy's verdict on every frame (verify --policy FILE OBJ.o)
              help    show the help of a command

            Options:
              -h, --help   show this help; 'portcullis <command> --help' shows a command's help
              --version    print the version

            """ + EXIT_CODES + """

            Examples:
              portcullis check policies/
              portcullis check --format json --fail-on warning policies/edge.policy
              portcullis build -o out policies/
              portcullis eval policies/edge.policy edge 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'
              portcullis diff --fail-on new-allow baseline/policies/ policies/
            """;

    static final String CHECK = """
            Usage: portcullis check [--format text|json] [--fail-on error|warning]
                                    [--severity CODE=LEVEL]... [--admin-ports LIST]
                                    [--waiver-window DAYS] PATH...

            Checks every policy in PATH (a .policy file, or a directory: every *.policy below it).
            Guards found anywhere in the run apply to every policy checked in that run.

            Options:
              --format text|json      text (default; coloured on a terminal unless NO_COLOR is set)
                                      or exactly one JSON object on stdout
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
            """;

    static final String BUILD = """
            Usage: portcullis build [-o DIR] [--kernel auto|always|never] [--fail-on error|warning]
                                    [--severity CODE=LEVEL]... PATH...

            Checks the policies in PATH, compiles each policy without errors to an eBPF object,
            verifies it and writes DIR/<policy>.o (atomically). Findings go to stdout, one line per
            object written; notes (such as the kernel verifier being unavailable) go to stderr.

            Options:
              -o, --output DIR        where to write the objects (default: out)
              --kernel auto|always|never
                                      verify with the kernel: when possible (auto, default), always
                                      (fail where bpf() is not allowed) or never
              --fail-on error|warning the lowest severity that fails the run (default: error)
              --severity CODE=LEVEL   override the severity of a finding code (repeatable)
              --admin-ports LIST      ports for exposed-admin-port (see 'portcullis check --help')
              --waiver-window DAYS    days of warning before a waiver expires (default 30)
              -h, --help              show this help

            """ + EXIT_CODES + """

            Examples:
              portcullis build policies/
              portcullis build -o target/bpf --kernel always policies/edge.policy
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

    static String of(String command) {
        if (command == null) return TOOL;
        return switch (command) {
            case "check" -> CHECK;
            case "build" -> BUILD;
            case "eval" -> EVAL;
            case "diff" -> DIFF;
            case "verify" -> TranslationCheck.USAGE;
            default -> TOOL;
        };
    }
}
