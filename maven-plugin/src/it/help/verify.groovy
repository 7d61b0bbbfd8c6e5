def log = new File(basedir, 'build.log').text
['portcullis:check', 'portcullis:compile', 'portcullis:diff', 'portcullis:help'].each { assert log.contains(it) : "no goal ${it}" }
// Every parameter with its user property, as the README's table lists them.
['policyDirectory': 'portcullis.policyDirectory', 'includes': 'portcullis.includes', 'excludes': 'portcullis.excludes',
 'failOn': 'portcullis.failOn', 'skip': 'portcullis.skip', 'guards': 'portcullis.guards',
 'kernelVerify': 'portcullis.kernelVerify', 'outputDirectory': 'portcullis.outputDirectory',
 'baseline': 'portcullis.baseline', 'failOnNewAllow': 'portcullis.failOnNewAllow',
 'adminPorts': 'portcullis.adminPorts', 'waiverWindow': 'portcullis.waiverWindow', 'attach': 'portcullis.attach'].each { p, prop ->
    assert log =~ /(?m)^\s+${p}\b/ : "no parameter ${p}"
    assert log.contains("User property: ${prop}") : "no user property ${prop}"
}
assert log.contains('severities')
return true
