def log = new File(basedir, 'build.log').text
// The finding, where it is (file:line), its code, and the packet that shows it.
def finding = log.readLines().find { it =~ /\[ERROR\] \S*bad\.policy:5: conflict: / }
assert finding : "no conflict finding for bad.policy line 5 in build.log"
assert log =~ /\[ERROR\]\s+witness: tcp 10\.1\.\d+\.\d+:\d+ -> 10\.2\.\d+\.\d+:5432/
// One failure at the end, with the counts.
assert log =~ /Portcullis (check|compile) failed: \d+ errors?, \d+ warnings?/
assert !new File(basedir, 'target/portcullis/bad.o').exists()
return true
