def log = new File(basedir, 'build.log').text
assert log =~ /\[WARNING\] src\/main\/policies\/web\.policy:5: shadowed: /
// One failure at the end, with the counts and the level that failed it.
assert log =~ /Portcullis check failed: 0 errors, 2 warnings \(failing on warning;/
assert log.readLines().count { it.startsWith('[ERROR] Failed to execute goal') } == 1
return true
