package io.portcullis.resolve;

/** A usage or I/O problem with the inputs themselves (a path that does not exist): the CLI exits 2. */
public final class InputException extends Exception {
    public InputException(String message) { super(message); }
}
