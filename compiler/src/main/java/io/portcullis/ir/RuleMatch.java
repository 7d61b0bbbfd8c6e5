package io.portcullis.ir;

import io.portcullis.net.AddrSet;
import io.portcullis.net.PortSet;
import java.util.List;

/**
 * What a rule (or an assert) matches, with every name resolved and every address list flattened to exact sets.
 * A packet matches when its family has addresses in both {@code src} and {@code dst}, its source port is in
 * {@code sports} (null = any), one of {@code protos} matches, and its TCP state fits {@code state}.
 * A non-first fragment matches only when nothing past the IP header is constrained (see {@link #matchesFragments}).
 */
public record RuleMatch(AddrSet src, AddrSet dst, PortSet sports, List<ProtoClause> protos, TcpState state) {
    public RuleMatch {
        protos = List.copyOf(protos);
    }

    /** Whether clause {@code c} of this match can match a non-first fragment. */
    public boolean matchesFragments(ProtoClause c) {
        return sports == null && state == TcpState.ANY && !c.constrainsTransport();
    }
}
