package io.portcullis.bpf.tv;

import io.portcullis.bpf.elf.ElfFile;
import io.portcullis.bpf.elf.ReadOnlyData;
import io.portcullis.ir.Family;
import io.portcullis.ir.Packet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The decision tables of a table program, read from the object by translation validation's own decoder. The format
 * is the one the README specifies ("Translation validation", <em>the table format</em>); nothing here uses the code
 * generator, and anything the format does not allow is reported, never guessed.
 *
 * <ul>
 * <li>A <em>chunk</em> is a read-only section ({@code .rodata.*}) holding, at offset 0, an object symbol
 * {@code pc_t4_D_C} or {@code pc_t6_D_C}: the nodes of IPv4 (4) or IPv6 (6) rules that test key {@code D} (0..6), chunk
 * number {@code C} (0..31). The verdict table is the section holding {@code pc_verdicts} at offset 0.</li>
 * <li>A chunk is a sequence of nodes from offset 0, each starting 8-byte aligned: {@code u32 n} (at least 1),
 * {@code u32} (not read), {@code n} interval starts (u64 for the IPv6 address keys 0..3, u32 otherwise), {@code n}
 * child references (u32), all little-endian; a count of 0 ends the sequence.</li>
 * <li>A reference {@code r}: {@code r >>> 29} is 7 for a leaf, whose rule index is {@code r & (2^29 - 1)}; otherwise
 * it names the node of key {@code r >>> 29} in chunk {@code (r >>> 24) & 31} at byte {@code 4 * (r & (2^24 - 1))}.</li>
 * <li>A node sends a key value {@code k} to the child of the last interval whose start is at most {@code k} (unsigned);
 * the first start must be 0 and the starts must increase.</li>
 * <li>The verdict table holds one byte per rule index, and one more for "no rule" (index = the number of rules):
 * non-zero is allow.</li>
 * </ul>
 */
final class Tables {
    static final int DIM_SHIFT = 29, CHUNK_SHIFT = 24, LEAF = 7, DIMS = 7;
    static final long RULE_MASK = (1L << DIM_SHIFT) - 1, OFFSET_MASK = (1L << CHUNK_SHIFT) - 1;
    static final int DST_HI = 0, DST_LO = 1, SRC_HI = 2, SRC_LO = 3, PROTO = 4, L4 = 5, SPORT = 6;
    static final String[] DIM_NAMES = {"destination (high word)", "destination (low word)", "source (high word)",
        "source (low word)", "protocol and fragment", "destination port or ICMP type and code",
        "source port and TCP state"};

    /** What a byte offset of a table section holds. */
    enum Slot { COUNT, PAD, START, CHILD, VERDICT, OTHER }

    /** One decoded node. */
    static final class Node {
        final Family family;
        final long ref;
        final int dim;
        final long[] starts;
        final long[] kids;
        final String section;
        final int offset;

        Node(Family family, long ref, int dim, long[] starts, long[] kids, String section, int offset) {
            this.family = family;
            this.ref = ref;
            this.dim = dim;
            this.starts = starts;
            this.kids = kids;
            this.section = section;
            this.offset = offset;
        }

        /** What makes the node's intervals ill-formed, or null. */
        String defect() {
            if (starts[0] != 0) return "its first interval starts at " + Long.toUnsignedString(starts[0]) + ", not 0";
            for (int i = 1; i < starts.length; i++) {
                if (Long.compareUnsigned(starts[i - 1], starts[i]) >= 0) {
                    return "its interval starts do not increase (" + Long.toUnsignedString(starts[i - 1]) + " then "
                            + Long.toUnsignedString(starts[i]) + ")";
                }
            }
            long max = keyMax(family, dim);
            if (Long.compareUnsigned(starts[starts.length - 1], max) > 0) {
                return "an interval starts at " + Long.toUnsignedString(starts[starts.length - 1])
                        + ", above the key's largest value " + Long.toUnsignedString(max);
            }
            return null;
        }

        /** The index of the interval holding {@code key}. */
        int interval(long key) {
            int lo = 0, hi = starts.length - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (Long.compareUnsigned(starts[mid], key) <= 0) lo = mid;
                else hi = mid - 1;
            }
            return lo;
        }

        /** The last key value of interval {@code i}. */
        long end(int i) { return i + 1 < starts.length ? starts[i + 1] - 1 : keyMax(family, dim); }

        @Override public String toString() {
            return "node " + Long.toHexString(ref) + " (" + DIM_NAMES[dim] + ", " + starts.length + " intervals, "
                    + section + " byte " + offset + ")";
        }
    }

    private static final class Chunk {
        final Family family;
        final int dim, index;
        final String section;
        final int[] offsets;
        final Node[] nodes;
        final int end;

        Chunk(Family family, int dim, int index, String section, int[] offsets, Node[] nodes, int end) {
            this.family = family;
            this.dim = dim;
            this.index = index;
            this.section = section;
            this.offsets = offsets;
            this.nodes = nodes;
            this.end = end;
        }

        Node at(int offset) {
            int k = Arrays.binarySearch(offsets, offset);
            return k >= 0 ? nodes[k] : null;
        }

        /** The node whose bytes hold {@code offset}, or null. */
        Node holding(long offset) {
            if (offset < 0 || offset >= end) return null;
            int k = Arrays.binarySearch(offsets, (int) offset);
            if (k < 0) k = -k - 2;
            return k >= 0 ? nodes[k] : null;
        }
    }

    private static final Pattern CHUNK = Pattern.compile("pc_t([46])_([0-6])_([0-9]{1,2})");

    final int rules;
    final byte[] verdicts;
    final String verdictSection;
    private final Map<String, Chunk> bySection = new HashMap<>();
    private final Chunk[][][] byKey = new Chunk[2][DIMS][32];

    private Tables(int rules, byte[] verdicts, String verdictSection) {
        this.rules = rules;
        this.verdicts = verdicts;
        this.verdictSection = verdictSection;
    }

    /**
     * The tables of {@code f}, or null when the object has no table symbols (not a table program). {@code rules} is
     * the policy's rule count: the index of "no rule".
     */
    static Tables of(ElfFile f, int rules) throws TvException {
        Tables t = null;
        byte[] verdicts = null;
        String verdictSection = null;
        List<Object[]> chunks = new ArrayList<>();
        for (ElfFile.Symbol s : f.symbols()) {
            Matcher m = CHUNK.matcher(s.name());
            boolean isVerdicts = s.name().equals("pc_verdicts");
            if (!m.matches() && !isVerdicts) continue;
            ElfFile.Section sec = s.sectionIndex() > 0 && s.sectionIndex() < f.sections().size()
                    ? f.sections().get(s.sectionIndex()) : null;
            if (sec == null || !ReadOnlyData.isReadOnlyData(sec)) {
                throw new TvException("table symbol '" + s.name() + "' is not in a read-only data section", -1);
            }
            if (s.value() != 0) throw new TvException("table symbol '" + s.name() + "' is not at the start of '" + sec.name() + "'", -1);
            if (isVerdicts) {
                verdicts = f.contents(sec);
                verdictSection = sec.name();
            } else {
                chunks.add(new Object[] {m.group(1).equals("4") ? Family.IPV4 : Family.IPV6, Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), sec.name(), f.contents(sec)});
            }
        }
        if (verdicts == null && chunks.isEmpty()) return null;
        if (verdicts == null) throw new TvException("the object has decision tables but no verdict table (pc_verdicts)", -1);
        t = new Tables(rules, verdicts, verdictSection);
        for (Object[] c : chunks) {
            Family fam = (Family) c[0];
            int dim = (Integer) c[1], index = (Integer) c[2];
            if (index >= 32) throw new TvException("table chunk number " + index + " is above 31", -1);
            String section = (String) c[3];
            if (t.bySection.containsKey(section) || section.equals(verdictSection)) {
                throw new TvException("section '" + section + "' holds more than one table", -1);
            }
            if (t.byKey[fam.ordinal()][dim][index] != null) {
                throw new TvException("two sections hold table " + fam + " key " + dim + " chunk " + index, -1);
            }
            Chunk ch = decode(fam, dim, index, section, (byte[]) c[4]);
            t.bySection.put(section, ch);
            t.byKey[fam.ordinal()][dim][index] = ch;
        }
        return t;
    }

    private static Chunk decode(Family fam, int dim, int index, String section, byte[] b) {
        int w = wide(fam, dim) ? 8 : 4;
        List<Node> nodes = new ArrayList<>();
        int o = 0;
        while (o + 8 <= b.length) {
            long n = u32(b, o);
            if (n == 0) break;
            long size = 8 + n * (w + 4);
            if (o + size > b.length || o / 4 > OFFSET_MASK) break; // the rest cannot be a node
            long[] starts = new long[(int) n], kids = new long[(int) n];
            for (int i = 0; i < n; i++) starts[i] = w == 8 ? u64(b, o + 8 + 8 * i) : u32(b, o + 8 + 4 * i);
            int k0 = (int) (o + 8 + n * w);
            for (int i = 0; i < n; i++) kids[i] = u32(b, k0 + 4 * i);
            long ref = (long) dim << DIM_SHIFT | (long) index << CHUNK_SHIFT | (o / 4);
            nodes.add(new Node(fam, ref, dim, starts, kids, section, o));
            o += (int) ((size + 7) & ~7L);
        }
        int[] offsets = new int[nodes.size()];
        for (int i = 0; i < offsets.length; i++) offsets[i] = nodes.get(i).offset;
        return new Chunk(fam, dim, index, section, offsets, nodes.toArray(new Node[0]), o);
    }

    static boolean wide(Family f, int dim) { return f == Family.IPV6 && dim <= SRC_LO; }

    /** The largest value of key {@code dim}. */
    static long keyMax(Family f, int dim) {
        return switch (dim) {
            case DST_HI, SRC_HI -> f == Family.IPV4 ? 0xffffffffL : -1L;
            case DST_LO, SRC_LO -> f == Family.IPV4 ? 0 : -1L;
            case PROTO -> 511;
            case L4 -> 65535;
            default -> (1L << 17) - 1;
        };
    }

    static boolean isLeaf(long ref) { return (ref >>> DIM_SHIFT) == LEAF; }

    static int dim(long ref) { return (int) (ref >>> DIM_SHIFT); }

    /** The rule a leaf stands for, {@link #rules} for "no rule" (and any index from there on). */
    long rule(long leaf) { return Math.min(leaf & RULE_MASK, rules); }

    /** The node {@code ref} names among {@code family}'s tables, or null when it names none (or is a leaf). */
    Node node(Family family, long ref) {
        if (isLeaf(ref)) return null;
        int d = dim(ref), c = (int) ((ref >>> CHUNK_SHIFT) & 31);
        Chunk ch = byKey[family.ordinal()][d][c];
        return ch == null ? null : ch.at((int) ((ref & OFFSET_MASK) * 4));
    }

    /** Whether {@code section} holds a table chunk or the verdicts. */
    boolean isTable(String section) { return bySection.containsKey(section) || section.equals(verdictSection); }

    /** What byte {@code offset} of {@code section} holds. */
    Slot slot(String section, long offset) {
        if (section.equals(verdictSection)) return Slot.VERDICT;
        Chunk ch = bySection.get(section);
        if (ch == null) return Slot.OTHER;
        Node n = ch.holding(offset);
        if (n == null) return Slot.OTHER;
        long rel = offset - n.offset;
        int w = wide(n.family, n.dim) ? 8 : 4, cnt = n.starts.length;
        if (rel == 0) return Slot.COUNT;
        if (rel < 8) return Slot.PAD;
        if (rel < 8 + (long) cnt * w) return Slot.START;
        long k = rel - 8 - (long) cnt * w;
        if (k < 4L * cnt && k % 4 == 0) return Slot.CHILD;
        return Slot.OTHER;
    }

    /** The reference of the node whose header is at {@code offset} of {@code section} (a {@link Slot#COUNT}), or -2. */
    long refAt(String section, long offset) {
        Chunk ch = bySection.get(section);
        Node n = ch == null ? null : ch.at((int) offset);
        return n == null ? -2 : n.ref;
    }

    /** The family and key dimension of a chunk section, or null. */
    Object[] chunkOf(String section) {
        Chunk ch = bySection.get(section);
        return ch == null ? null : new Object[] {ch.family, ch.dim};
    }

    /** The child of node {@code n} for key value {@code key}. */
    static long child(Node n, long key) { return n.kids[n.interval(key)]; }

    /** Whether the verdict table allows rule index {@code b} (clamped to "no rule"). */
    boolean allows(long b) {
        int i = (int) Math.min(b, rules);
        return i < verdicts.length && verdicts[i] != 0;
    }

    /** The value of key {@code dim} for a concrete packet (of {@code f}): the same definition {@link KeySets} uses. */
    static long key(int dim, Packet p) {
        Family f = p.family();
        return switch (dim) {
            case DST_HI -> f == Family.IPV4 ? p.dst().lo() : p.dst().hi();
            case DST_LO -> f == Family.IPV4 ? 0 : p.dst().lo();
            case SRC_HI -> f == Family.IPV4 ? p.src().lo() : p.src().hi();
            case SRC_LO -> f == Family.IPV4 ? 0 : p.src().lo();
            case PROTO -> p.proto() | (p.nonFirstFragment() ? 256 : 0);
            case L4 -> p.hasPorts() ? p.dport() : p.isIcmp() ? (p.icmpType() << 8 | p.icmpCode()) : 0;
            default -> p.hasPorts() ? p.sport() | (p.isTcp() && p.established() ? 1 << 16 : 0) : 0;
        };
    }

    /** The leaf the walk from {@code root} reaches for packet {@code p}, or -1 when it leaves the tables. */
    long walk(long root, Packet p) {
        long r = root;
        for (int steps = 0; steps <= DIMS && !isLeaf(r); steps++) {
            Node n = node(p.family(), r);
            if (n == null) return -1;
            r = child(n, key(n.dim, p));
        }
        return isLeaf(r) ? r : -1;
    }

    private static long u32(byte[] b, long o) {
        int i = (int) o;
        return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24;
    }

    private static long u64(byte[] b, long o) { return u32(b, o) | u32(b, o + 4) << 32; }
}
