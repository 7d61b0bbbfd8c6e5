def log = new File(basedir, 'build.log').text
// The region, its witness and the rule on each side, logged as errors (failOnNewAllow defaults to true).
assert log =~ /\[ERROR\] db: newly allowed: tcp from any except 10\.244\.2\.0\/24 to 10\.2\.0\.0\/16 port 5432/
assert log =~ /\[ERROR\]\s+= witness: tcp \S+:\d+ -> 10\.2\.\d+\.\d+:5432/
assert log =~ /\[ERROR\]\s+= now:\s+allowed by 'everyone' \(\S*db\.policy:4\)/
assert log =~ /\[ERROR\]\s+= before: denied by the default \(\S*db\.policy:3\)/
// One failure at the end.
assert log =~ /Portcullis diff failed: 1 region newly allowed against the baseline/
return true
