package io.portcullis.resolve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Picks policy files under a directory by include and exclude patterns, as build tools do: paths relative to the
 * directory with {@code /} separators; {@code *} matches within one path segment, {@code ?} one character,
 * {@code **} any number of segments ({@code **}{@code /x} also matches {@code x} at the top). A file is chosen when
 * some include matches it and no exclude does. Imports still read any file under the directory.
 */
public final class Selection {
    private Selection() {}

    public static final List<String> DEFAULT_INCLUDES = List.of("**/*.policy");

    /** The chosen files, sorted, each rooted at {@code dir}. */
    public static List<Loader.Source> select(Path dir, List<String> includes, List<String> excludes) throws InputException {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) throw new InputException("not a directory: " + dir);
        List<Pattern> in = compile(includes == null || includes.isEmpty() ? DEFAULT_INCLUDES : includes);
        List<Pattern> ex = compile(excludes == null ? List.of() : excludes);
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).map(Path::normalize).sorted().toList();
        } catch (IOException e) {
            throw new InputException("cannot read directory " + dir + ": " + e.getMessage());
        }
        List<Loader.Source> out = new ArrayList<>();
        for (Path f : files) {
            String rel = root.relativize(f).toString().replace('\\', '/');
            if (matchesAny(in, rel) && !matchesAny(ex, rel)) out.add(new Loader.Source(f, root));
        }
        return out;
    }

    private static boolean matchesAny(List<Pattern> patterns, String path) {
        for (Pattern p : patterns) if (p.matcher(path).matches()) return true;
        return false;
    }

    private static List<Pattern> compile(List<String> globs) {
        List<Pattern> out = new ArrayList<>();
        for (String g : globs) {
            if (g != null && !g.isBlank()) out.add(toRegex(g.trim()));
        }
        return out;
    }

    /** An Ant-style glob as a regular expression over a relative path with {@code /} separators. */
    static Pattern toRegex(String glob) {
        String g = glob.replace('\\', '/');
        while (g.startsWith("./")) g = g.substring(2);
        // A trailing slash means everything below the directory, as in Ant.
        if (g.endsWith("/")) g = g + "**";
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*') {
                boolean slashAfter = i + 2 < g.length() && g.charAt(i + 2) == '/';
                if (slashAfter) {
                    re.append("(?:.*/)?");
                    i += 2;
                } else {
                    re.append(".*");
                    i += 1;
                }
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
