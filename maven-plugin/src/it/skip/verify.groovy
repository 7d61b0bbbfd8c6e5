def log = new File(basedir, 'build.log').text
assert log.contains('Portcullis check skipped')
assert log.contains('Portcullis compile skipped')
assert !log.contains('conflict')
assert log.contains('BUILD SUCCESS')
return true
