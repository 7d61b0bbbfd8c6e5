package io.portcullis.driver;

import io.portcullis.bpf.asm.Disassembler;
import io.portcullis.bpf.asm.Insn;
import io.portcullis.bpf.verify.ObjectVerifier;
import io.portcullis.bpf.verify.Problem;
import io.portcullis.ir.Target;

/** The build's safety gate without privileges: the static verifier on every program of a freshly compiled object. */
final class StaticCheck {
    private StaticCheck() {}

    /** Null when every program is accepted; otherwise the first problem, with its instruction. */
    static String problems(byte[] object, Target target) {
        for (ObjectVerifier.Program p : ObjectVerifier.verify(object)) {
            if (p.verification() == null) {
                if (p.section().equals(target.section())) return p.note();
                continue;
            }
            if (p.accepted()) continue;
            Problem pr = p.verification().problems().get(0);
            Insn at = pr.index() >= 0 ? p.verification().insnAt(pr.index()) : null;
            return "section " + p.section() + (pr.index() >= 0 ? ", insn " + pr.index() : "")
                    + (at != null ? " (" + Disassembler.format(at) + ")" : "") + ": " + pr.reason().code() + ": " + pr.message();
        }
        return null;
    }
}
