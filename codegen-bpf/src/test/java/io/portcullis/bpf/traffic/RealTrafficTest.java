package io.portcullis.bpf.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.bpf.kernel.Bpf;
import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.resolve.Loader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real traffic through a compiled policy: two network namespaces joined by a veth pair, the policy attached to the
 * server side's interface with iproute2 exactly as a user would attach it (XDP: {@code ip link set dev ... xdp obj};
 * tc: a clsact qdisc and {@code tc filter add ... ingress bpf da obj}), and real TCP, UDP and ICMP from the client
 * namespace, over IPv4 and IPv6 (ICMPv6 echo for the IPv6 ping; the policy allows the neighbour discovery IPv6 needs
 * to work at all). Before the program is attached every flow must get through (so a blocked flow afterwards is the
 * policy's doing, not the set-up's); with it, exactly the allowed flows do. Every denied flow has a listener behind
 * it. Skips, with the reason, where bpf() or network namespaces are not allowed; the namespaces are always deleted.
 */
class RealTrafficTest {
    static final String SERVER = "10.199.0.2", OTHER = "10.199.0.3", CLIENT = "10.199.0.1";
    static final String SERVER6 = "fd00:199::2", OTHER6 = "fd00:199::3", CLIENT6 = "fd00:199::1";
    static final int TIMEOUT_MS = 2000;

    static String policy(String target) {
        return "policy traffic on " + target + " {\n"
                + "    default deny;\n"
                + "    web:  allow tcp to { " + SERVER + ", " + SERVER6 + " } port 8080;\n"
                + "    dns:  allow udp to { " + SERVER + ", " + SERVER6 + " } port 5353;\n"
                + "    ping: allow icmp type echo-request to " + SERVER + ";\n"
                + "    ping6: allow icmpv6 type echo-request to " + SERVER6 + ";\n"
                + "    ndp:  allow icmpv6 type { neighbor-solicitation, neighbor-advertisement } to any6;\n"
                + "}\n";
    }

    /** Flow (as {@link Probe} spells it) to whether the policy allows it. */
    static Map<String, Boolean> flows() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        m.put("tcp:" + SERVER + ":8080", true);
        m.put("tcp:" + SERVER + ":8081", false);
        m.put("tcp:" + OTHER + ":8080", false);
        m.put("udp:" + SERVER + ":5353", true);
        m.put("udp:" + SERVER + ":5354", false);
        m.put("icmp:" + SERVER, true);
        m.put("icmp:" + OTHER, false);
        m.put("tcp:[" + SERVER6 + "]:8080", true);
        m.put("tcp:[" + SERVER6 + "]:8081", false);
        m.put("tcp:[" + OTHER6 + "]:8080", false);
        m.put("udp:[" + SERVER6 + "]:5353", true);
        m.put("udp:[" + SERVER6 + "]:5354", false);
        m.put("icmp:" + SERVER6, true);
        m.put("icmp:" + OTHER6, false);
        return m;
    }

    @TempDir Path dir;

    @Test
    void xdpAttachedWithIpLinkPassesAllowedAndDropsDeniedFlows() throws Exception {
        run("xdp", "xdp", ns -> sh("ip", "-n", ns.server, "link", "set", "dev", ns.serverIf, "xdp", "obj",
                ns.object.toString(), "sec", "xdp"));
    }

    @Test
    void tcIngressAttachedWithTcFilterPassesAllowedAndDropsDeniedFlows() throws Exception {
        run("tc ingress", "tc", ns -> {
            sh("ip", "netns", "exec", ns.server, "tc", "qdisc", "add", "dev", ns.serverIf, "clsact");
            sh("ip", "netns", "exec", ns.server, "tc", "filter", "add", "dev", ns.serverIf, "ingress", "bpf", "da",
                    "obj", ns.object.toString(), "sec", "tc");
        });
    }

    interface Attach { void to(Net n) throws Exception; }

    /** The two namespaces of one test and the object under test. */
    static final class Net {
        final String client, server, clientIf, serverIf;
        Path object;

        Net(String tag) {
            String id = ProcessHandle.current().pid() + tag;
            client = "pc-traffic-c" + id;
            server = "pc-traffic-s" + id;
            clientIf = "pcc" + id;   // interface names: at most 15 characters
            serverIf = "pcs" + id;
        }
    }

    private void run(String target, String tag, Attach attach) throws Exception {
        Bpf.Availability a = Bpf.availability();
        Assumptions.assumeTrue(a.available(), "real-traffic test skipped: " + a.reason());
        Path src = dir.resolve("traffic.policy");
        Files.writeString(src, policy(target));
        Loader.LoadResult loaded = Loader.load(List.of(src));
        assertEquals(1, loaded.policies().size(), loaded.diagnostics().toString());
        Net n = new Net(tag);
        n.object = dir.resolve("traffic.o");
        Files.write(n.object, BpfCompiler.compile(loaded.policies().get(0)));

        Result add = exec("ip", "netns", "add", n.server);
        Assumptions.assumeTrue(add.code == 0, "real-traffic test skipped: network namespaces not available here ("
                + add.output.strip() + ")");
        Process listener = null;
        try {
            sh("ip", "netns", "add", n.client);
            sh("ip", "link", "add", n.clientIf, "netns", n.client, "type", "veth", "peer", "name", n.serverIf,
                    "netns", n.server);
            sh("ip", "-n", n.client, "addr", "add", CLIENT + "/24", "dev", n.clientIf);
            sh("ip", "-n", n.server, "addr", "add", SERVER + "/24", "dev", n.serverIf);
            sh("ip", "-n", n.server, "addr", "add", OTHER + "/24", "dev", n.serverIf);
            // nodad: usable at once, without the seconds of duplicate address detection.
            sh("ip", "-n", n.client, "addr", "add", CLIENT6 + "/64", "dev", n.clientIf, "nodad");
            sh("ip", "-n", n.server, "addr", "add", SERVER6 + "/64", "dev", n.serverIf, "nodad");
            sh("ip", "-n", n.server, "addr", "add", OTHER6 + "/64", "dev", n.serverIf, "nodad");
            for (String[] up : new String[][] {{n.client, n.clientIf}, {n.server, n.serverIf}, {n.client, "lo"},
                    {n.server, "lo"}}) {
                sh("ip", "-n", up[0], "link", "set", "dev", up[1], "up");
            }
            listener = listen(n.server, "tcp:8080", "tcp:8081", "udp:5353", "udp:5354");

            Map<String, String> before = send(n.client);
            for (String flow : flows().keySet()) {
                assertEquals("ok", before.get(flow), "without the program every flow must get through: " + before);
            }
            attach.to(n);
            Map<String, String> after = send(n.client);
            List<String> wrong = new ArrayList<>();
            flows().forEach((flow, allowed) -> {
                boolean ok = "ok".equals(after.get(flow));
                if (ok != allowed) wrong.add(flow + (allowed ? " should get through" : " should be blocked") + ": " + after.get(flow));
            });
            assertTrue(wrong.isEmpty(), target + ": " + wrong + "\nall results: " + after);
            System.out.println("real traffic, " + target + ": " + after);
        } finally {
            if (listener != null) {
                listener.getOutputStream().close();
                if (!listener.waitFor(5, TimeUnit.SECONDS)) listener.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            // Deleting a namespace removes its end of the veth pair, the other end and the attached programs with it.
            exec("ip", "netns", "del", n.client);
            exec("ip", "netns", "del", n.server);
        }
    }

    private Process listen(String ns, String... sockets) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, java(), "-cp", probeClasspath(),
                Probe.class.getName(), "listen"));
        cmd.addAll(List.of(sockets));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (IOException e) {
                lines.add("read failed: " + e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        String first = lines.poll(30, TimeUnit.SECONDS);
        if (!"ready".equals(first)) {
            p.destroyForcibly();
            throw new AssertionError("listener did not start: " + first + " " + lines);
        }
        return p;
    }

    private Map<String, String> send(String ns) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, java(), "-cp", probeClasspath(),
                Probe.class.getName(), "send", Integer.toString(TIMEOUT_MS)));
        cmd.addAll(flows().keySet());
        Result r = exec(cmd.toArray(String[]::new));
        assertEquals(0, r.code, r.output);
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : r.output.strip().split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) out.put(line.substring(0, sp), line.substring(sp + 1));
        }
        return out;
    }

    private static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    private static String probeClasspath() throws Exception {
        return Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    record Result(int code, String output) {}

    static Result exec(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(127, cmd[0] + ": " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(124, String.join(" ", cmd) + ": timed out\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    static void sh(String... cmd) throws IOException, InterruptedException {
        Result r = exec(cmd);
        assertEquals(0, r.code, String.join(" ", cmd) + " failed: " + r.output);
    }
}
