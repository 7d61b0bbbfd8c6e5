package io.portcullis.resolve;

import io.portcullis.diag.Codes;
import io.portcullis.diag.Diagnostic;
import io.portcullis.diag.SourceFile;
import io.portcullis.diag.Span;
import io.portcullis.ir.ResolvedGuard;
import io.portcullis.ir.ResolvedPolicy;
import io.portcullis.model.Ast;
import io.portcullis.syntax.PolicyParser;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads policy files and directories, follows imports inside the root they were given under, and resolves names.
 * A directory's root is itself; a file's root is its directory. Every file is read once, however often it is imported.
 */
public final class Loader {
    private Loader() {}

    /** Policies and guards that resolved, and every diagnostic found on the way (syntax included). */
    public record LoadResult(List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {}

    public static LoadResult load(List<Path> inputs) throws InputException {
        if (inputs.isEmpty()) throw new InputException("no policy files or directories given");
        Path cwd = Path.of("").toAbsolutePath();
        Map<Path, Ast.PolicyFile> files = new LinkedHashMap<>();
        List<Diagnostic> diagnostics = new ArrayList<>();
        Walk walk = new Walk(files, diagnostics, cwd);
        for (Path input : inputs) {
            Path abs = input.toAbsolutePath().normalize();
            if (!Files.exists(abs)) throw new InputException("no such file or directory: " + input);
            if (Files.isDirectory(abs)) {
                List<Path> found;
                try (Stream<Path> s = Files.walk(abs)) {
                    found = s.filter(p -> p.getFileName().toString().endsWith(".policy") && Files.isRegularFile(p))
                            .map(Path::normalize).sorted().toList();
                } catch (IOException e) {
                    throw new InputException("cannot read directory " + input + ": " + e.getMessage());
                }
                for (Path f : found) walk.visit(f, abs, null);
            } else {
                walk.visit(abs, abs.getParent(), null);
            }
        }
        // A policy in a file with syntax errors lost the statements that did not parse: checking what is left would
        // report findings about a policy nobody wrote. Its definitions still resolve, so other files are unaffected.
        java.util.Set<SourceFile> broken = new java.util.HashSet<>();
        for (Diagnostic d : diagnostics) {
            if (d.severity() == io.portcullis.diag.Severity.ERROR && d.span() != null) broken.add(d.span().file());
        }
        return new Resolver(List.copyOf(files.values()), diagnostics, broken).resolve();
    }

    /** Resolves a packet literal (ICMP names, default flags); problems go to {@code diagnostics}, and null is returned. */
    public static io.portcullis.ir.Packet resolvePacket(Ast.PacketLit lit, List<Diagnostic> diagnostics) {
        return new Resolver(List.of(), diagnostics, java.util.Set.of()).packet(lit);
    }

    /** Loads one file (and its imports) for {@code eval}. */
    public static LoadResult loadFile(Path file) throws InputException {
        if (!Files.isRegularFile(file)) throw new InputException("no such file: " + file);
        return load(List.of(file));
    }

    /** Depth-first file loading with import-cycle detection. */
    private static final class Walk {
        final Map<Path, Ast.PolicyFile> files;
        final List<Diagnostic> diagnostics;
        final Path cwd;
        final Map<Path, Boolean> onStack = new HashMap<>();

        Walk(Map<Path, Ast.PolicyFile> files, List<Diagnostic> diagnostics, Path cwd) {
            this.files = files;
            this.diagnostics = diagnostics;
            this.cwd = cwd;
        }

        void visit(Path file, Path root, Span importedAt) throws InputException {
            if (Boolean.TRUE.equals(onStack.get(file))) {
                diagnostics.add(Diagnostic.error(Codes.IMPORT_CYCLE, importedAt,
                        "import cycle: " + display(file) + " imports itself through this import",
                        "remove one of the imports; move shared definitions into a file that imports nothing"));
                return;
            }
            if (files.containsKey(file)) return;
            SourceFile source;
            try {
                byte[] bytes = Files.readAllBytes(file);
                String text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
                source = new SourceFile(file, display(file), text);
            } catch (CharacterCodingException e) {
                SourceFile empty = new SourceFile(file, display(file), "");
                diagnostics.add(Diagnostic.error(Codes.IO, Span.of(empty, 1, 1, 1),
                        "file is not valid UTF-8 text", "save the policy file as UTF-8"));
                return;
            } catch (IOException e) {
                if (importedAt == null) throw new InputException("cannot read " + display(file) + ": " + e.getMessage());
                diagnostics.add(Diagnostic.error(Codes.IMPORT, importedAt, "cannot read imported file " + display(file),
                        "check the path; imports are relative to the importing file"));
                return;
            }
            PolicyParser.ParseResult parsed = PolicyParser.parse(source);
            diagnostics.addAll(parsed.diagnostics());
            files.put(file, parsed.file());
            onStack.put(file, true);
            for (Ast.Import imp : parsed.file().imports()) {
                Path target = file.getParent().resolve(imp.path()).normalize();
                if (!target.startsWith(root)) {
                    diagnostics.add(Diagnostic.error(Codes.IMPORT, imp.span(),
                            "import \"" + imp.path() + "\" leaves the policy root " + display(root),
                            "imports must stay inside the directory tree given to portcullis; pass a higher directory"));
                    continue;
                }
                if (!Files.isRegularFile(target)) {
                    diagnostics.add(Diagnostic.error(Codes.IMPORT, imp.span(),
                            "imported file \"" + imp.path() + "\" does not exist",
                            "imports are relative to the importing file (" + display(file.getParent()) + ")"));
                    continue;
                }
                visit(target, root, imp.span());
            }
            onStack.put(file, false);
        }

        String display(Path p) {
            Path rel = p.startsWith(cwd) ? cwd.relativize(p) : p;
            String s = rel.toString();
            return s.isEmpty() ? "." : s;
        }
    }
}
