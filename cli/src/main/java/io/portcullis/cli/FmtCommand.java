package io.portcullis.cli;

import io.portcullis.diag.SourceFile;
import io.portcullis.report.TextReport;
import io.portcullis.resolve.InputException;
import io.portcullis.resolve.Loader;
import io.portcullis.syntax.Formatter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code portcullis fmt [--check] PATH...}: formats each file with {@link Formatter}; rewrites it atomically when its
 * text changes, or with --check only lists it. A file that does not parse is reported and left untouched.
 */
final class FmtCommand {
    private final PrintStream out;
    private final PrintStream err;
    private final Progress progress;

    FmtCommand(PrintStream out, PrintStream err, Progress progress) {
        this.out = out;
        this.err = err;
        this.progress = progress;
    }

    int run(Arguments.Fmt a) throws InputException {
        List<Path> files = new ArrayList<>();
        for (Loader.Source s : Loader.sources(a.paths())) files.add(s.file());
        progress.start((a.check() ? "checking the layout of " : "formatting ") + Progress.files(files));
        Path cwd = Path.of("").toAbsolutePath();
        boolean broken = false;
        List<String> unformatted = new ArrayList<>();
        for (Path file : files) {
            String shown = file.startsWith(cwd) ? cwd.relativize(file).toString() : file.toString();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            } catch (CharacterCodingException e) {
                err.println(shown + ":1:1: error[io]: file is not valid UTF-8 text (left untouched)");
                broken = true;
                continue;
            } catch (IOException e) {
                throw new InputException("cannot read " + shown + ": " + e.getMessage());
            }
            Formatter.Result r = Formatter.format(new SourceFile(file, shown, text));
            if (r.text() == null) {
                err.print(TextReport.render(r.errors(), false));
                err.println("portcullis: " + shown + " does not parse, so it was not formatted (left untouched)");
                broken = true;
                continue;
            }
            if (r.text().equals(text)) continue;
            if (a.check()) {
                unformatted.add(shown);
                out.println(shown + ": not formatted");
                out.print(firstDifference(text, r.text()));
            } else {
                try {
                    writeAtomically(file, r.text());
                } catch (IOException e) {
                    throw new InputException("cannot write " + shown + ": " + e.getMessage());
                }
                out.println("formatted " + shown);
            }
        }
        if (broken) return Main.USAGE;
        if (!unformatted.isEmpty()) {
            err.println("portcullis: " + unformatted.size() + (unformatted.size() == 1 ? " file is" : " files are")
                    + " not formatted; run 'portcullis fmt' on " + (unformatted.size() == 1 ? "it" : "them"));
            return Main.FINDINGS;
        }
        return Main.OK;
    }

    /** The first line that differs, as a two-line diff hint. */
    static String firstDifference(String before, String after) {
        String[] a = before.split("\r?\n", -1);
        String[] b = after.split("\n", -1);
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i].equals(b[i])) i++;
        // Same lines, different line endings or a missing final newline.
        if (i == n && a.length == b.length) return "    line endings or trailing blanks differ\n";
        String was = i < a.length ? a[i] : "";
        String now = i < b.length ? b[i] : "";
        return "    line " + (i + 1) + ":\n    - " + was + "\n    + " + now + "\n";
    }

    /** A temporary file beside the target, then a move: no reader ever sees half a file. */
    private static void writeAtomically(Path target, String text) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
            } catch (UnsupportedOperationException | IOException e) {
                // Not a POSIX file system: the temporary file's permissions stay.
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
