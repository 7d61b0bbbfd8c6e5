package io.portcullis.bpf.tv;

import io.portcullis.bpf.lower.BpfCompiler;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.Loader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TvScratchTest {
    @Test void bundled() throws Exception {
        Loader.LoadResult r = Loader.load(List.of(Path.of("../policies")));
        for (ResolvedPolicy p : r.policies()) {
            byte[] o = BpfCompiler.compile(p);
            TranslationValidator.Result res = TranslationValidator.validate(o, p);
            System.out.println(p.name() + " " + res.stats());
            for (TranslationValidator.Problem pr : res.problems()) System.out.println(pr.render());
        }
    }
}
