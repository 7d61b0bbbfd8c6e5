def log = new File(basedir, 'build.log').text
assert log =~ /\[ERROR\] src\/main\/policies\/web\.policy:2: kernel-verifier: verification by the kernel was required but is not possible here: bpf\(\) disabled/
assert log =~ /Portcullis compile failed: 1 error/
assert !new File(basedir, 'target/portcullis/web.o').exists()
return true
