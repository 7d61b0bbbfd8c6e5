package io.portcullis.ir;

import io.portcullis.diag.Span;

/** {@code expect allow|deny PACKET;} */
public record Expect(Action action, Packet packet, Span span) {}
