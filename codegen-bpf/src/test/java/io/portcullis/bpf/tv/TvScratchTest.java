package io.portcullis.bpf.tv;

import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.ir.Target;
import io.portcullis.resolve.Loader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TvScratchTest {
    @Test void bundled() throws Exception {
        Loader.LoadResult r = Loader.load(List.of(Path.of("../policies")));
        for (ResolvedPolicy p0 : r.policies()) {
            for (Target t : Target.values()) {
                ResolvedPolicy p = new ResolvedPolicy(p0.name(), t, p0.defaultAction(), p0.nonIp(), p0.rules(), p0.expects(), p0.asserts(), p0.span(), p0.defaultSpan(), p0.defaultWaivers());
                byte[] o = BpfCompiler.compile(p);
                TranslationValidator.Result res = TranslationValidator.validate(o, p);
                System.out.println(p.name() + " " + t + " " + res.stats());
                for (TranslationValidator.Problem pr : res.problems()) System.out.println(pr.render());
            }
        }
        for (String f : System.getProperty("tv.extra", "").split(",")) {
            if (f.isEmpty()) continue;
            for (ResolvedPolicy p : Loader.load(List.of(Path.of(f))).policies()) {
                long t0 = System.nanoTime();
                byte[] o = BpfCompiler.compile(p);
                long t1 = System.nanoTime();
                TranslationValidator.Result res = TranslationValidator.validate(o, p);
                System.out.println(f + " compile " + (t1 - t0) / 1000000 + " ms, tv " + res.stats());
                for (TranslationValidator.Problem pr : res.problems()) System.out.println(pr.render());
            }
        }
    }
}
