def log = new File(basedir, 'build.log').text
assert log =~ /\[WARNING\] src\/main\/policies\/web\.policy:5: shadowed: rule 'intranet' never takes effect/
assert log =~ /Portcullis checked 1 policies and 0 guards in .*: 0 errors, 2 warnings, 0 waived/
assert !log.contains('Portcullis check failed')
assert log.contains('BUILD SUCCESS')
return true
