package io.portcullis.ir;

public enum Action {
    ALLOW, DENY;

    public String label() { return this == ALLOW ? "allow" : "deny"; }
    public Action opposite() { return this == ALLOW ? DENY : ALLOW; }
}
