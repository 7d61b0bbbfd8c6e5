package io.portcullis.bpf.traffic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The two ends of the real-traffic test, run with {@code ip netns exec NS java -cp ... Probe ...} because a JVM's
 * sockets live in the namespace the JVM was started in. JDK classes only, so it runs from the test-classes directory.
 *
 * <ul>
 *   <li>{@code listen tcp:PORT... udp:PORT...}: echo servers on every address; prints {@code ready} once all are bound
 *       and serves until stdin closes.</li>
 *   <li>{@code send TIMEOUT_MS tcp:HOST:PORT udp:HOST:PORT icmp:HOST ...} (an IPv6 HOST in brackets before a port):
 *       one attempt each (TCP: connect, send a line, read the echo; UDP: a datagram and its echo; ICMP:
 *       {@link InetAddress#isReachable}, an ICMP or ICMPv6 echo request as root), all at once, and prints one line per
 *       flow, {@code FLOW ok} or {@code FLOW blocked (reason)}.</li>
 * </ul>
 */
public final class Probe {
    private Probe() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("listen")) listen(args);
        else if (args.length > 1 && args[0].equals("send")) send(args);
        else {
            System.err.println("usage: Probe listen tcp:PORT... udp:PORT... | Probe send TIMEOUT_MS FLOW...");
            System.exit(2);
        }
    }

    private static void listen(String[] args) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String[] f = args[i].split(":");
            int port = Integer.parseInt(f[1]);
            Thread t = f[0].equals("tcp") ? tcpEcho(new ServerSocket(port)) : udpEcho(new DatagramSocket(port));
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        System.out.println("ready");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) { /* serve until the test closes our stdin or kills us */ }
        System.exit(0);
    }

    private static Thread tcpEcho(ServerSocket server) {
        return new Thread(() -> {
            while (true) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                    OutputStream out = s.getOutputStream();
                    out.write(("echo " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // one failed client does not stop the server
                }
            }
        });
    }

    private static Thread udpEcho(DatagramSocket socket) {
        return new Thread(() -> {
            byte[] buf = new byte[1500];
            while (true) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                } catch (IOException e) {
                    // keep serving
                }
            }
        });
    }

    /** All flows at once (a blocked one costs the whole timeout), printed in the order given. */
    private static void send(String[] args) throws Exception {
        int timeout = Integer.parseInt(args[1]);
        List<java.util.concurrent.FutureTask<String>> tasks = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String flow = args[i];
            java.util.concurrent.FutureTask<String> t = new java.util.concurrent.FutureTask<>(() -> {
                try {
                    return attempt(flow, timeout);
                } catch (SocketTimeoutException e) {
                    return "blocked (timeout)";
                } catch (IOException e) {
                    return "blocked (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
                }
            });
            tasks.add(t);
            new Thread(t).start();
        }
        for (int i = 0; i < tasks.size(); i++) System.out.println(args[i + 2] + " " + tasks.get(i).get());
        System.out.flush();
    }

    private static String attempt(String flow, int timeout) throws IOException {
        String kind = flow.substring(0, flow.indexOf(':')), rest = flow.substring(kind.length() + 1);
        String addr = rest;
        int port = -1;
        if (!kind.equals("icmp")) { // HOST:PORT or [HOST]:PORT
            int colon = rest.lastIndexOf(':');
            addr = rest.substring(0, colon).replace("[", "").replace("]", "");
            port = Integer.parseInt(rest.substring(colon + 1));
        }
        InetAddress host = InetAddress.getByName(addr);
        switch (kind) {
            case "tcp": {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(host, port), timeout);
                    s.setSoTimeout(timeout);
                    s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                    String reply = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                    return "echo hello".equals(reply) ? "ok" : "blocked (reply " + reply + ")";
                }
            }
            case "udp": {
                try (DatagramSocket s = new DatagramSocket()) {
                    s.setSoTimeout(timeout);
                    byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
                    s.send(new DatagramPacket(msg, msg.length, host, port));
                    DatagramPacket reply = new DatagramPacket(new byte[64], 64);
                    s.receive(reply);
                    String text = new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
                    return "hello".equals(text) ? "ok" : "blocked (reply " + text + ")";
                }
            }
            case "icmp":
                return host.isReachable(timeout) ? "ok" : "blocked (no echo reply)";
            default:
                throw new IllegalArgumentException("unknown flow kind " + kind);
        }
    }
}
