package io.portcullis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Action;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The segmentation matrix: exact answers on a small policy, and every example packet replays through the evaluator. */
class SegmentationTest {
    static final String POLICY = """
            network a = 10.0.1.0/24;
            network b = 10.0.2.0/24;
            network c = 10.0.3.0/24;
            policy seg {
                default deny;
                allow tcp from a to b port { 80, 443 };
                allow udp from a to c port 53;
                allow tcp from 10.0.1.0/25 to c port 22;
                allow icmp type echo-request from any to b;
                allow tcp established from any to any;
            }
            """;

    private static List<String> cell(Segmentation.Matrix m, String from, String to) {
        int i = index(m, from), j = index(m, to);
        List<String> out = new ArrayList<>();
        for (Segmentation.Service s : m.cells()[i][j].services()) out.add(s.label() + (s.full() ? "" : " (partial)"));
        return out;
    }

    private static int index(Segmentation.Matrix m, String name) {
        for (int i = 0; i < m.networks().size(); i++) if (m.networks().get(i).name().equals(name)) return i;
        throw new AssertionError(name);
    }

    private static Loader.LoadResult load(Path tmp) throws Exception {
        return Loader.load(List.of(Fixtures.write(tmp, "seg.policy", POLICY)));
    }

    private static List<Segmentation.Net> nets(Loader.LoadResult r, String policy) {
        List<Segmentation.Net> out = new ArrayList<>();
        for (Loader.NamedNetwork n : r.networks()) if (n.usedBy().contains(policy)) out.add(new Segmentation.Net(n.name(), n.addresses()));
        return out;
    }

    @Test
    void exactCells(@TempDir Path tmp) throws Exception {
        Loader.LoadResult r = load(tmp);
        assertEquals(List.of("a", "b", "c"), r.networks().stream().map(Loader.NamedNetwork::name).toList());
        Segmentation.Matrix m = Segmentation.compute(r.policies().get(0), nets(r, "seg"));
        assertEquals(List.of("a", "b", "c", "any"), m.networks().stream().map(Segmentation.Net::name).toList());
        assertEquals(List.of("tcp 80", "tcp 443", "icmp echo-request"), cell(m, "a", "b"));
        assertEquals(List.of("tcp 22 (partial)", "udp 53"), cell(m, "a", "c"));
        assertEquals(List.of(), cell(m, "b", "a"), "established replies are not new connections");
        assertEquals(List.of(), cell(m, "c", "c"));
        assertEquals(List.of("tcp 80 (partial)", "tcp 443 (partial)", "icmp echo-request"), cell(m, "any", "b"));
    }

    @Test
    void examplesReplay(@TempDir Path tmp) throws Exception {
        List<Fixtures.Run> runs = new ArrayList<>();
        Loader.LoadResult bundled = Loader.load(List.of(Path.of("../policies")));
        int checked = 0;
        for (ResolvedPolicy p : bundled.policies()) {
            Segmentation.Matrix m = Segmentation.compute(p, nets(bundled, p.name()));
            assertTrue(m.networks().size() > 5, p.name() + " refers to several networks");
            for (int i = 0; i < m.networks().size(); i++) {
                for (int j = 0; j < m.networks().size(); j++) {
                    for (Segmentation.Service s : m.cells()[i][j].services()) {
                        var w = s.example();
                        assertEquals(Action.ALLOW, Evaluator.evaluate(p, w).action(), p.name() + " " + s + " " + w);
                        assertTrue(m.networks().get(i).addresses().contains(w.src()), s + " " + w);
                        assertTrue(m.networks().get(j).addresses().contains(w.dst()), s + " " + w);
                        assertTrue(!w.established(), "a new connection: " + w);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 100, "examples checked: " + checked);
    }
}
