import groovy.json.JsonSlurper

def dir = new File(basedir, 'target/portcullis')
def json = new JsonSlurper().parse(new File(dir, 'portcullis.json'))
assert json.version == 1
assert json.findings.any { it.code == 'conflict' && it.rule == 'late' }

def sarif = new JsonSlurper().parse(new File(dir, 'portcullis.sarif'))
assert sarif.version == '2.1.0'
def result = sarif.runs[0].results.find { it.ruleId == 'conflict' }
assert result != null
assert result.locations[0].physicalLocation.artifactLocation.uri == 'src/main/policies/web.policy'
assert result.message.text.contains('Witness: tcp ')

def junit = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new File(dir, 'TEST-portcullis.xml')).documentElement
assert junit.tagName == 'testsuites'
def failures = junit.getElementsByTagName('failure')
assert failures.length == 1
assert failures.item(0).parentNode.getAttribute('name') == 'conflict'
assert failures.item(0).parentNode.getAttribute('classname') == 'portcullis.extra.check'

def html = new File(dir, 'portcullis.html').text
assert html.startsWith('<!DOCTYPE html>')
assert html.contains('id="matrix-extra"')

def log = new File(basedir, 'build.log').text
assert log.contains('Portcullis sarif report:')
assert log.contains('BUILD FAILURE')
return true
