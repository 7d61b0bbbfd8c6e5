package io.portcullis.cli;

/** The command line itself is wrong (unknown option, missing argument): exit 2 with a hint, never a stack trace. */
final class UsageException extends Exception {
    private final String command;

    UsageException(String command, String message) {
        super(message);
        this.command = command;
    }

    /** The command whose help the user should read, or null for the tool's own help. */
    String command() { return command; }
}
