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
    public record LoadResult(List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics,
                             List<NamedNetwork> networks) {
        public LoadResult(List<ResolvedPolicy> policies, List<ResolvedGuard> guards, List<Diagnostic> diagnostics) {
            this(policies, guards, diagnostics, List.of());
        }
    }

    /**
     * A resolved {@code network} definition, for reports (segmentation matrix): its exact addresses, where it is
     * defined, and the policies whose rules, expects or asserts name it directly.
     */
    public record NamedNetwork(String name, io.portcullis.net.AddrSet addresses, Span span, List<String> usedBy) {}

    public static LoadResult load(List<Path> inputs) throws InputException {
        return load(inputs, defaultLimits());
    }

    /** The limits in force ({@code -Dportcullis.limit.*} or the built-in values); a bad property value is an input error. */
    public static Limits defaultLimits() throws InputException {
        try {
            return Limits.defaults();
        } catch (IllegalArgumentException e) {
            // A bad -Dportcullis.limit.* value is the user's mistake in how the tool was started: a usage error.
            throw new InputException(e.getMessage());
        }
    }

    /** As {@link #load(List)}, within {@code limits} instead of the defaults. */
    public static LoadResult load(List<Path> inputs, Limits limits) throws InputException {
        if (inputs.isEmpty()) throw new InputException("no policy files or directories given");
        return loadSources(sources(inputs), limits);
    }

    /** One file to read, and the root directory its imports must stay inside. */
    public record Source(Path file, Path root) {}

    /**
     * The files {@code inputs} name: a directory gives every {@code *.policy} below it (sorted), rooted at itself; a
     * file gives itself, rooted at its directory.
     */
    public static List<Source> sources(List<Path> inputs) throws InputException {
        List<Source> out = new ArrayList<>();
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
                for (Path f : found) out.add(new Source(f, abs));
            } else {
                out.add(new Source(abs, abs.getParent()));
            }
        }
        return out;
    }

    /** Loads exactly these files (and what they import), each within its own root. */
    public static LoadResult loadSources(List<Source> sources, Limits limits) throws InputException {
        Path cwd = Path.of("").toAbsolutePath();
        Map<Path, Ast.PolicyFile> files = new LinkedHashMap<>();
        List<Diagnostic> diagnostics = new ArrayList<>();
        Walk walk = new Walk(files, diagnostics, cwd, limits);
        for (Source src : sources) {
            Path file = src.file().toAbsolutePath().normalize();
            if (!Files.isRegularFile(file)) throw new InputException("no such file: " + src.file());
            walk.visit(file, src.root().toAbsolutePath().normalize(), null, 0);
        }
        // A policy in a file with syntax errors lost the statements that did not parse: checking what is left would
        // report findings about a policy nobody wrote. Its definitions still resolve, so other files are unaffected.
        java.util.Set<SourceFile> broken = new java.util.HashSet<>();
        for (Diagnostic d : diagnostics) {
            if (d.severity() == io.portcullis.diag.Severity.ERROR && d.span() != null) broken.add(d.span().file());
        }
        // Past a per-run limit nothing is resolved: a partial run would report findings about inputs nobody gave.
        if (walk.overRun) return new LoadResult(List.of(), List.of(), List.copyOf(diagnostics));
        return new Resolver(List.copyOf(files.values()), diagnostics, broken, limits).resolve();
    }

    /** Resolves a packet literal (ICMP names, default flags); problems go to {@code diagnostics}, and null is returned. */
    public static io.portcullis.ir.Packet resolvePacket(Ast.PacketLit lit, List<Diagnostic> diagnostics) {
        return new Resolver(List.of(), diagnostics, java.util.Set.of(), Limits.defaults()).packet(lit);
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
        final Limits limits;
        /** Files read or refused so far, and whether the files-per-run limit was passed. */
        int seen;
        boolean overRun;

        Walk(Map<Path, Ast.PolicyFile> files, List<Diagnostic> diagnostics, Path cwd, Limits limits) {
            this.files = files;
            this.diagnostics = diagnostics;
            this.cwd = cwd;
            this.limits = limits;
        }

        /** {@code depth}: how many imports led here (0 for a file given on the command line). */
        void visit(Path file, Path root, Span importedAt, int depth) throws InputException {
            if (Boolean.TRUE.equals(onStack.get(file))) {
                diagnostics.add(Diagnostic.error(Codes.IMPORT_CYCLE, importedAt,
                        "import cycle: " + display(file) + " imports itself through this import",
                        "remove one of the imports; move shared definitions into a file that imports nothing"));
                return;
            }
            if (files.containsKey(file) || overRun) return;
            if (++seen > limits.filesPerRun()) {
                overRun = true;
                Span at = importedAt != null ? importedAt : Span.of(new SourceFile(file, display(file), ""), 1, 1, 1);
                diagnostics.add(Limits.error(at, "this run reads more than " + Limits.count(limits.filesPerRun())
                                + " files; " + display(file) + " is one too many, and nothing was checked",
                        "files-per-run", "check fewer files at a time, or merge small files"));
                return;
            }
            SourceFile source;
            try {
                // Checked before reading: a huge file must not be read into memory only to be refused.
                long size = Files.size(file);
                if (size > limits.fileBytes()) {
                    SourceFile empty = new SourceFile(file, display(file), "");
                    diagnostics.add(Limits.error(Span.of(empty, 1, 1, 1), "file is " + Limits.count(size)
                                    + " bytes, more than the " + Limits.count(limits.fileBytes()) + " a policy file may have",
                            "file-bytes", "split it into several files, for example one per policy, with shared "
                                    + "definitions in an imported file"));
                    files.put(file, new Ast.PolicyFile(empty, List.of(), List.of(), List.of(), List.of(), List.of()));
                    return;
                }
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
            PolicyParser.ParseResult parsed = PolicyParser.parse(source, limits);
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
                if (depth + 1 > limits.importDepth() && !files.containsKey(target)) {
                    diagnostics.add(Limits.error(imp.span(), "this import is " + Limits.count(depth + 1)
                                    + " imports deep, more than the " + Limits.count(limits.importDepth()) + " allowed",
                            "import-depth", "import the shared file directly from where it is needed instead of "
                                    + "through a chain of files"));
                    continue;
                }
                visit(target, root, imp.span(), depth + 1);
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
