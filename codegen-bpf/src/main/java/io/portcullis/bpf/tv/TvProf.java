package io.portcullis.bpf.tv;
public final class TvProf { public static long[] get() { long[] r = WalkProof.PROF.clone(); java.util.Arrays.fill(WalkProof.PROF, 0); for (int i = 0; i < 8; i++) if (i != 4) r[i] /= 1000000; return r; } }
