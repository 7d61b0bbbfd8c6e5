package io.portcullis.driver;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.eval.Evaluator;
import io.portcullis.ir.Packet;
import io.portcullis.ir.ResolvedGuard;
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
        Prepared p = prepare(file, policyName, packetText);
        if (p.packet == null) return new Portcullis.EvalResult(null, p.policy, p.diagnostics);
        return new Portcullis.EvalResult(Evaluator.evaluate(p.policy, p.packet), p.policy, List.of());
    }

    /** {@code portcullis explain}: the same loading and packet parsing as eval, then every rule's reasons. */
    static Portcullis.ExplainResult explain(Path file, String policyName, String packetText) throws InputException {
        Prepared p = prepare(file, policyName, packetText);
        if (p.packet == null) return new Portcullis.ExplainResult(null, p.policy, null, List.of(), p.diagnostics);
        return new Portcullis.ExplainResult(Evaluator.explain(p.policy, p.packet), p.policy, p.packet, p.guards, List.of());
    }

    /** The policy and the packet, or (packet null) the diagnostics that kept either from being read. */
    private record Prepared(ResolvedPolicy policy, Packet packet, List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {}

    private static Prepared prepare(Path file, String policyName, String packetText) throws InputException {
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
            return new Prepared(null, null, List.of(), errors);
        }
        PolicyParser.PacketResult parsed = PolicyParser.parsePacket(packetSource);
        List<Diagnostic> ds = new ArrayList<>(parsed.diagnostics());
        if (parsed.packet() == null || !ds.isEmpty()) {
            if (ds.isEmpty()) ds.add(Diagnostic.error(Codes.BAD_PACKET, Span.of(packetSource, 1, 1, packetText.length()),
                    "not a packet", "write e.g. 'tcp 192.0.2.7:40000 -> 10.1.3.4:443'"));
            return new Prepared(policy, null, List.of(), ds);
        }
        Packet packet = Loader.resolvePacket(parsed.packet(), ds);
        if (packet == null) return new Prepared(policy, null, List.of(), ds);
        return new Prepared(policy, packet, loaded.guards(), List.of());
    }
}
