package io.portcullis.bpf.lower;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test void dump() throws Exception {
        java.nio.file.Files.writeString(java.nio.file.Path.of("/tmp/pc-codegen.ll"), BpfCompiler.llvmIr(MixedPolicy.build()));
        java.nio.file.Files.write(java.nio.file.Path.of("/tmp/pc-codegen.o"), BpfCompiler.compile(MixedPolicy.build()));
    }
}
