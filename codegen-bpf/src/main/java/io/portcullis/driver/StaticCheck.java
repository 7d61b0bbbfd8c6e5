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
    static String problems(byte[] object, Target target) { return check(object, target).problem(); }

    /** The first problem (null: none) and the estimate of the kernel's processed count for the target's program (-1: none). */
    record Result(String problem, int estimated) {}

    static Result check(byte[] object, Target target) {
        int estimated = -1;
        for (ObjectVerifier.Program p : ObjectVerifier.verify(object)) {
            if (p.verification() != null && p.verification().complexity() != null && p.section().equals(target.section())) {
                estimated = p.verification().complexity().processed();
            }
            if (p.verification() == null) {
                if (p.section().equals(target.section())) return new Result(p.note(), estimated);
                continue;
            }
            if (p.accepted()) continue;
            Problem pr = p.verification().problems().get(0);
            Insn at = pr.index() >= 0 ? p.verification().insnAt(pr.index()) : null;
            return new Result("section " + p.section() + (pr.index() >= 0 ? ", insn " + pr.index() : "")
                    + (at != null ? " (" + Disassembler.format(at) + ")" : "") + ": " + pr.reason().code() + ": " + pr.message(), estimated);
        }
        return new Result(null, estimated);
    }
}
