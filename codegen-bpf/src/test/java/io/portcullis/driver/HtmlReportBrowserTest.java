package io.portcullis.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the HTML report of the bundled policies in headless Chromium: the page loads from a file with no network
 * access and no console errors, shows each policy's segmentation matrix with the cells the policy implies, and a
 * screenshot is written to target/html-report/ for people to look at.
 */
class HtmlReportBrowserTest {
    static final Path OUT = Path.of("target/html-report");

    static String render(List<Path> inputs, boolean kernel) throws Exception {
        Portcullis.Options o = new Portcullis.Options(io.portcullis.diag.Severity.ERROR, Map.of(), LocalDate.of(2026, 11, 25),
                Portcullis.KernelMode.NEVER);
        return Reports.render(Reports.Format.HTML, Portcullis.check(inputs, o), o,
                new Reports.Context(Path.of(""), "test", false, kernel));
    }

    @Test
    void sameInputSameBytes() throws Exception {
        assertEquals(render(List.of(Path.of("../policies")), false), render(List.of(Path.of("../policies")), false));
    }

    @Test
    void selfContained() throws Exception {
        String html = render(List.of(Path.of("../policies")), false);
        for (String forbidden : List.of("http://", "https://", "<link", "@import", "src=\"", "url(")) {
            assertFalse(html.contains(forbidden), "the page must not load anything: found " + forbidden);
        }
        assertTrue(html.contains("<table class=\"matrix\" id=\"matrix-edge\""));
        assertTrue(html.contains("<table class=\"stats\">"));
    }

    @Test
    void rendersInChromium(@TempDir Path tmp) throws Exception {
        Path exe = Chromium.find();
        Assumptions.assumeTrue(exe != null, "HTML rendering skipped: chromium is not installed (apt-get install chromium)");
        Files.createDirectories(OUT);
        Path page = OUT.resolve("portcullis.html").toAbsolutePath();
        Files.writeString(page, render(List.of(Path.of("../policies")), true));
        try (Chromium c = new Chromium(exe, tmp.resolve("profile"))) {
            c.send("Runtime.enable", Map.of());
            c.send("Log.enable", Map.of());
            c.send("Page.enable", Map.of());
            c.send("Emulation.setDeviceMetricsOverride", Map.of("width", 1400, "height", 1800, "deviceScaleFactor", 1, "mobile", false));

            // The detector works: a page with a console error and an exception is caught.
            Path bad = tmp.resolve("bad.html");
            Files.writeString(bad, "<!DOCTYPE html><title>x</title><script>console.error('broken'); undefinedFunction();</script>");
            c.load(bad.toUri().toString());
            Thread.sleep(200);
            assertEquals(2, c.errors().size(), c.errors().toString());

            c.load(page.toUri().toString());
            Thread.sleep(300);
            assertEquals(List.of(), c.errors(), "console errors on the report page");
            assertEquals(0, c.eval("performance.getEntriesByType('resource').length").asInt(), "the page fetched resources");

            JsonNode edge = c.eval("(() => { const t = document.getElementById('matrix-edge');"
                    + " const cols = [...t.querySelectorAll('thead th[scope=col]')].map(th => th.textContent);"
                    + " const rows = [...t.querySelectorAll('tbody th[scope=row]')].map(th => th.textContent);"
                    + " const cell = (f, to) => [...t.querySelector(`td[data-from=\"${f}\"][data-to=\"${to}\"]`)"
                    + "   .querySelectorAll('.svc')].map(s => s.textContent + (s.classList.contains('full') ? '' : ' (partial)')).join('; ');"
                    + " return { cols, rows, visible: t.getBoundingClientRect().width > 0,"
                    + "   officeToWeb: cell('office', 'dmz-web'), internetToWeb: cell('internet', 'dmz-web'),"
                    + "   webToOffice: cell('dmz-web', 'office'), internetToMail: cell('internet', 'mail') }; })()");
            assertTrue(edge.get("visible").asBoolean(), "the matrix is laid out");
            List<String> names = List.of("internet", "public-edge", "dns", "dmz-web", "mail", "vpn-gw", "office", "any");
            for (String n : names) {
                assertTrue(edge.toString().contains("\"" + n + "\""), n + " in " + edge);
            }
            assertEquals(edge.get("cols"), edge.get("rows"));
            assertTrue(edge.get("officeToWeb").asText().contains("tcp 22"), edge.toString());
            assertTrue(edge.get("internetToWeb").asText().contains("tcp 80"), edge.toString());
            assertTrue(edge.get("internetToWeb").asText().contains("udp 443"), edge.toString());
            // internet holds office's public range, so ssh from the internet to the DMZ is open for part of it only.
            assertTrue(edge.get("internetToWeb").asText().contains("tcp 22 (partial)"), edge.toString());
            assertTrue(edge.get("internetToWeb").asText().contains("tcp 80;"), "web is open to all of the internet: " + edge);
            assertTrue(edge.get("internetToMail").asText().contains("tcp 25"), edge.toString());
            assertFalse(edge.get("webToOffice").asText().contains("tcp"), "dmz-web opens no TCP connections to office: " + edge);

            JsonNode k8s = c.eval("(() => { const t = document.getElementById('matrix-k8s-node');"
                    + " const cell = (f, to) => t.querySelector(`td[data-from=\"${f}\"][data-to=\"${to}\"]`).innerText;"
                    + " return { apiToDb: cell('api-pods', 'db-pods'), webToDb: cell('web-pods', 'db-pods') }; })()");
            assertTrue(k8s.get("apiToDb").asText().contains("tcp 5432"), k8s.toString());
            assertFalse(k8s.get("webToDb").asText().contains("5432"), k8s.toString());

            // Findings, rules and program statistics are on the page; the severity filter works.
            JsonNode facts = c.eval("(() => ({ findings: document.querySelectorAll('article.finding').length,"
                    + " snippet: document.querySelector('article.finding pre.snippet mark') !== null,"
                    + " rules: document.querySelectorAll('table.rules tbody tr').length,"
                    + " stats: [...document.querySelectorAll('table.stats tbody tr')].map(r => r.children[3].textContent) }))()");
            assertEquals(1, facts.get("findings").asInt(), facts.toString());
            assertTrue(facts.get("snippet").asBoolean());
            assertTrue(facts.get("rules").asInt() > 20, facts.toString());
            for (JsonNode insns : facts.get("stats")) assertTrue(insns.asText().matches("\\d+"), "instruction count: " + facts);
            assertEquals(1, c.eval("(() => { const b = document.querySelector('input.filter[value=waived]'); b.click();"
                    + " return document.querySelectorAll('article.finding.hidden').length; })()").asInt());
            c.eval("document.querySelector('input.filter[value=waived]').click()");

            byte[] png = c.screenshot();
            assertTrue(png.length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot");
            Files.write(OUT.resolve("portcullis.png"), png);
            c.eval("document.getElementById('policy-edge').scrollIntoView()");
            Files.write(OUT.resolve("portcullis-edge.png"), c.screenshot());
            assertEquals(List.of(), c.errors(), "console errors after interaction");
        }
    }
}
