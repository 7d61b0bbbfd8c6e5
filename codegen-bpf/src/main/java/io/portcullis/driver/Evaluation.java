package io.portcullis.driver;

import io.portcullis.resolve.InputException;
import java.nio.file.Path;

/** {@code portcullis eval}: load one file, find the policy, parse the packet, evaluate. */
final class Evaluation {
    private Evaluation() {}

    static Portcullis.EvalResult eval(Path file, String policyName, String packetText) throws InputException {
        throw new UnsupportedOperationException("not landed yet");
    }
}
