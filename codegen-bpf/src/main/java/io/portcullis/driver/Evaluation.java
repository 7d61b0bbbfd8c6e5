package io.portcullis.driver;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.PolicyParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code portcullis eval}: load one file, find the policy, parse the packet, evaluate. */
final class Evaluation {
    private Evaluation() {}

    static Portcullis.EvalResult eval(Path file, String policyName, String packetText) throws InputException {
        Loader.LoadResult loaded = Loader.loadFile(file);
        List<Diagnostic> errors = new ArrayList<>();
        for (Diagnostic d : loaded.diagnostics()) if (d.severity() == io.portcullis.diag.Severity.ERROR) errors.add(d);
        ResolvedPolicy policy = loaded.policies().stream().filter(p -> p.name().equals(policyName)).findFirst().orElse(null);
        SourceFile packetSource = SourceFile.ofString("<packet>", packetText);
        if (policy == null) {
            if (errors.isEmpty()) {
                List<String> names = loaded.policies().stream().map(ResolvedPolicy::name).toList();
                throw new InputException("no policy '" + policyName + "' in " + file
                        + (names.isEmpty() ? "" : " (it has: " + String.join(", ", names) + ")"));
            }
            return new Portcullis.EvalResult(null, null, errors);
        }
        PolicyParser.PacketResult parsed = PolicyParser.parsePacket(packetSource);
        List<Diagnostic> ds = new ArrayList<>(parsed.diagnostics());
        if (parsed.packet() == null || !ds.isEmpty()) {
            if (ds.isEmpty()) ds.add(Diagnostic.error(Codes.BAD_PACKET, Span.of(packetSource, 1, 1, packetText.length()),
                    "not a packet", "write e.g. 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'"));
            return new Portcullis.EvalResult(null, policy, ds);
        }
        Packet packet = Loader.resolvePacket(parsed.packet(), ds);
        if (packet == null) return new Portcullis.EvalResult(null, policy, ds);
        return new Portcullis.EvalResult(Evaluator.evaluate(policy, packet), policy, List.of());
    }
}
