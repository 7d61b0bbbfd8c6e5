package io.portcullis.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectionTest {
    @TempDir Path dir;

    @Test
    void antStyleGlobs() {
        assertTrue(Selection.toRegex("**/*.policy").matcher("edge.policy").matches(), "**/ matches no directory too");
        assertTrue(Selection.toRegex("**/*.policy").matcher("a/b/edge.policy").matches());
        assertFalse(Selection.toRegex("*.policy").matcher("a/edge.policy").matches(), "* stays within one segment");
        assertTrue(Selection.toRegex("drafts/**").matcher("drafts/x/y.policy").matches());
        assertTrue(Selection.toRegex("drafts/").matcher("drafts/y.policy").matches());
        assertTrue(Selection.toRegex("e?ge.policy").matcher("edge.policy").matches());
        assertFalse(Selection.toRegex("e?ge.policy").matcher("e/ge.policy").matches());
        assertFalse(Selection.toRegex("a.policy").matcher("aXpolicy").matches(), "dots are literal");
    }

    @Test
    void includesThenExcludesSortedAndRootedAtTheDirectory() throws Exception {
        for (String f : List.of("edge.policy", "k8s/node.policy", "drafts/wip.policy", "notes.txt")) {
            Path p = dir.resolve(f);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "");
        }
        List<Loader.Source> all = Selection.select(dir, null, null);
        assertEquals(List.of("drafts/wip.policy", "edge.policy", "k8s/node.policy"),
                all.stream().map(s -> dir.relativize(s.file()).toString()).toList());
        assertTrue(all.stream().allMatch(s -> s.root().equals(dir.toAbsolutePath().normalize())));
        List<Loader.Source> some = Selection.select(dir, List.of("**/*.policy"), List.of("drafts/**"));
        assertEquals(List.of("edge.policy", "k8s/node.policy"),
                some.stream().map(s -> dir.relativize(s.file()).toString()).toList());
        assertEquals(List.of("k8s/node.policy"), Selection.select(dir, List.of("k8s/*"), List.of()).stream()
                .map(s -> dir.relativize(s.file()).toString()).toList());
    }
}
