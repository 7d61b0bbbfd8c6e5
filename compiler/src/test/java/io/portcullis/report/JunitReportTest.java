package io.portcullis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portcullis.diag.Severity;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** JUnit XML against our XSD (portcullis-junit.xsd), and one test case per check, expect, assert and guard. */
class JunitReportTest {

    static void validate(String xml) throws Exception {
        SchemaFactory f = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        Validator v = f.newSchema(JunitReportTest.class.getResource("/io/portcullis/report/portcullis-junit.xsd")).newValidator();
        v.validate(new StreamSource(new StringReader(xml)));
    }

    static Document parse(String xml) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }

    @Test
    void everyReportIsValidAndCountsAgree(@TempDir Path tmp) throws Exception {
        for (Fixtures.Run run : Fixtures.all(tmp)) {
            for (Severity failOn : List.of(Severity.ERROR, Severity.WARNING)) {
                String xml = JunitReport.render(run.diagnostics(), run.policies(), run.guards(), failOn);
                validate(xml);
                Document doc = parse(xml);
                Element root = doc.getDocumentElement();
                assertEquals(doc.getElementsByTagName("testcase").getLength(), Integer.parseInt(root.getAttribute("tests")), run.name());
                assertEquals(doc.getElementsByTagName("failure").getLength(), Integer.parseInt(root.getAttribute("failures")), run.name());
                NodeList suites = doc.getElementsByTagName("testsuite");
                for (int i = 0; i < suites.getLength(); i++) {
                    Element s = (Element) suites.item(i);
                    assertEquals(s.getElementsByTagName("testcase").getLength(), Integer.parseInt(s.getAttribute("tests")));
                    assertEquals(s.getElementsByTagName("failure").getLength(), Integer.parseInt(s.getAttribute("failures")));
                }
                // Every unwaived finding at the fail level fails some test case, so a dashboard cannot look green.
                long failing = run.diagnostics().stream().filter(d -> !d.isWaived() && d.severity().atLeast(failOn)).count();
                assertEquals(failing > 0, Integer.parseInt(root.getAttribute("failures")) > 0, run.name());
            }
        }
    }

    @Test
    void oneCasePerCheckExpectAssertAndGuard(@TempDir Path tmp) throws Exception {
        Fixtures.Run run = Fixtures.check("mixed", List.of(Fixtures.write(tmp, "m.policy", Fixtures.MIXED)));
        String xml = JunitReport.render(run.diagnostics(), run.policies(), run.guards(), Severity.ERROR);
        validate(xml);
        Document doc = parse(xml);
        List<String> suites = new ArrayList<>();
        NodeList ss = doc.getElementsByTagName("testsuite");
        for (int i = 0; i < ss.getLength(); i++) suites.add(((Element) ss.item(i)).getAttribute("name"));
        assertEquals(List.of("files", "policy mixed", "policy open"), suites);

        Element mixed = (Element) ss.item(1);
        // 16 checks + 2 expects + 2 asserts + 2 guard asserts
        assertEquals(JunitReport.POLICY_CHECKS.size() + 6, mixed.getElementsByTagName("testcase").getLength());
        Element conflict = testcase(mixed, "conflict");
        assertNotNull(conflict.getElementsByTagName("failure").item(0), "conflict fails: no-web is dead");
        assertTrue(((Element) conflict.getElementsByTagName("failure").item(0)).getAttribute("message").contains("no-web"));
        assertNull(testcase(mixed, "empty").getFirstChild(), "a passing check has no children");
        // The waived finding (ssh) is a property; the unwaived one (rdp) fails the case.
        Element exposed = testcase(mixed, "exposed-admin-port");
        assertTrue(((Element) exposed.getElementsByTagName("failure").item(0)).getAttribute("message").contains("rdp"));
        assertTrue(exposed.getElementsByTagName("system-out").item(0).getTextContent().contains("waived[exposed-admin-port]"));
        assertTrue(((Element) exposed.getElementsByTagName("property").item(0)).getAttribute("value").contains("bastion; reviewed"));
        // The expired waiver is a failure of its own check.
        assertEquals(1, testcase(mixed, "waiver-expired").getElementsByTagName("failure").getLength());
        // Expects: the first holds, the second does not.
        Element ok = testcase(mixed, "expect allow tcp 192.0.2.7:40000 -> 10.1.3.4:443 flags { syn } (line 20)");
        Element bad = testcase(mixed, "expect deny tcp 192.0.2.7:40000 -> 10.1.3.4:443 flags { syn } (line 21)");
        assertEquals(0, ok.getElementsByTagName("failure").getLength());
        assertEquals("expect", ((Element) bad.getElementsByTagName("failure").item(0)).getAttribute("type"));
        assertEquals("portcullis.mixed.expect", bad.getAttribute("classname"));
        // Asserts: the first holds, the second (ssh is open to web's 10.1.0.5) does not.
        assertEquals(0, testcase(mixed, "assert deny tcp new from any except web to db port 5432 (line 22)")
                .getElementsByTagName("failure").getLength());
        assertEquals(1, testcase(mixed, "assert deny tcp new from any to web port 22 (line 23)")
                .getElementsByTagName("failure").getLength());
        // Guards: one case per guard assert per policy; rdp breaks the first.
        String guardFile = run.guards().get(0).span().file().displayName();
        assertEquals(1, testcase(mixed, "guard baseline: assert deny tcp new from any except office to any port 3389 ("
                + guardFile + ":33:5)").getElementsByTagName("failure").getLength());
        assertEquals(0, testcase(mixed, "guard baseline: assert deny udp from any to any port 161 (" + guardFile + ":34:5)")
                .getElementsByTagName("failure").getLength());
        // Warnings are not failures at failOn=error, but they are listed.
        Element unused = testcase((Element) ss.item(0), guardFile);
        assertEquals(0, unused.getElementsByTagName("failure").getLength());
        assertTrue(unused.getElementsByTagName("system-out").item(0).getTextContent().contains("unused-network"));
        // ... and are failures at failOn=warning.
        Document strict = parse(JunitReport.render(run.diagnostics(), run.policies(), run.guards(), Severity.WARNING));
        assertEquals(1, testcase((Element) strict.getElementsByTagName("testsuite").item(0), guardFile)
                .getElementsByTagName("failure").getLength());
    }

    @Test
    void syntaxErrorsFailTheFileCase(@TempDir Path tmp) throws Exception {
        Fixtures.Run run = Fixtures.check("broken", List.of(Fixtures.write(tmp, "b.policy", "policy b {\n  default deny;\n  allow tcp to\n}\n")));
        String xml = JunitReport.render(run.diagnostics(), run.policies(), run.guards(), Severity.ERROR);
        validate(xml);
        Element files = (Element) parse(xml).getElementsByTagName("testsuite").item(0);
        Element failure = (Element) files.getElementsByTagName("failure").item(0);
        assertEquals("syntax", failure.getAttribute("type"));
    }

    @Test
    void shippedXsdIsTheResource() throws Exception {
        String docs = java.nio.file.Files.readString(Path.of("../docs/schema/portcullis-junit.xsd"));
        String resource = new String(JunitReportTest.class.getResourceAsStream("/io/portcullis/report/portcullis-junit.xsd")
                .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(docs, resource);
    }

    @Test
    void xmlEscaping() {
        assertEquals("a&lt;b&amp;&quot;c&quot;&#10;\ufffd", JunitReport.attr("a<b&\"c\"\n\u0001"));
        assertEquals("x &lt;y&gt;\n", JunitReport.text("x <y>\n"));
    }

    private static Element testcase(Element suite, String name) {
        NodeList cs = suite.getElementsByTagName("testcase");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < cs.getLength(); i++) {
            Element c = (Element) cs.item(i);
            if (c.getAttribute("name").equals(name)) return c;
            names.add(c.getAttribute("name"));
        }
        throw new AssertionError("no test case '" + name + "' in " + names);
    }
}
