def object = new File(basedir, 'target/portcullis/web.o')
assert object.isFile() : "expected ${object} to be written"
def bytes = object.bytes
// An ELF file: 0x7f 'E' 'L' 'F'.
assert bytes.length > 64 && bytes[0] == 0x7f && bytes[1] == (byte) 'E' && bytes[2] == (byte) 'L' && bytes[3] == (byte) 'F'
def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert !log.contains('[ERROR]')
return true
