def log = new File(basedir, 'build.log').text
// The finding stays visible, at info level, with the waiver's reason; it does not count towards failure.
assert log =~ /\[INFO\] src\/main\/policies\/bastion\.policy:5: exposed-admin-port: .* \(waived: "?bastion host; reviewed by netops \(NET-7\)/
assert log =~ /0 errors, 0 warnings, 1 waived/
// severities: ndp-blocked=off removes that warning.
assert !log.contains('ndp-blocked')
assert new File(basedir, 'target/portcullis/bastion.o').isFile()
assert log.contains('BUILD SUCCESS')
return true
