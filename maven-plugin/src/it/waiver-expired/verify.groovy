def log = new File(basedir, 'build.log').text
assert log =~ /\[ERROR\] src\/main\/policies\/bastion\.policy:4: waiver-expired: waiver for 'exposed-admin-port' on rule 'ssh' expired on 2020-01-31/
assert log =~ /\[ERROR\] src\/main\/policies\/bastion\.policy:5: exposed-admin-port: /
assert log =~ /Portcullis check failed: 2 errors, 0 warnings \(failing on error;/
return true
