def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
// The excluded draft was never read.
assert !log.contains('broken.policy')
// One object per policy under target/portcullis, attached with the classifier <policy>-<target>.
assert new File(basedir, 'target/portcullis/edge.o').isFile()
assert new File(basedir, 'target/portcullis/pod.o').isFile()
assert log.contains('Attached edge.o as compile-attaches-1.0-edge-xdp.o')
assert log.contains('Attached pod.o as compile-attaches-1.0-pod-tc-ingress.o')
// Installed with the build: the local repository holds both objects, byte for byte the ones written.
def dir = new File(localRepositoryPath, 'io/portcullis/it/compile-attaches/1.0')
['edge-xdp': 'edge.o', 'pod-tc-ingress': 'pod.o'].each { classifier, name ->
    def published = new File(dir, "compile-attaches-1.0-${classifier}.o")
    assert published.isFile() : "expected ${published} in the local repository"
    assert published.bytes == new File(basedir, "target/portcullis/${name}").bytes
    def b = published.bytes
    assert b[0] == 0x7f && b[1] == (byte) 'E' && b[2] == (byte) 'L' && b[3] == (byte) 'F'
}
// Leave the shared local repository as it was.
new File(localRepositoryPath, 'io/portcullis/it/compile-attaches').deleteDir()
return true
