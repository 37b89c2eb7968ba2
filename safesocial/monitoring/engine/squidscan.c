/*
 * A fast scanner for the common Squid access.log lines (built by build_native.py as
 * safesocial.monitoring.engine._native.squidscan; optional: formats.SQUID_SQL parses every
 * line by itself). native.py documents the interface.
 *
 * Scanner.scan() splits a block of lines and writes typed columns into the caller's buffers
 * (NumPy arrays), one item per line. Only well-formed, plain lines are taken (flag 0);
 * anything unusual is *deferred* (flag 1) and the caller parses those lines with SQUID_SQL.
 * So this code has to agree with the SQL exactly on the lines it takes, and may defer any
 * line it is not sure of (tests/monitoring/test_squidscan.py runs both on the same lines).
 * What is taken (formats.SQUID_SQL is the reference):
 *
 *   - printable ASCII only (0x20..0x7e), no leading or trailing space;
 *   - the timestamp, one or more spaces (%6tr's padding), then fields one space apart;
 *   - Squid's native format (10 fields or more) or the safesocial logformat (9, the last
 *     `rule=...`);
 *   - timestamp [0-9]{1,10}(.[0-9]{1,3})? from 946684800 to 4102444800; status 1 to 9 digits
 *     after the first `/`; size 1 to 18 digits; a URL of `-` or with a non-empty host, whose
 *     port, if any, is 1 to 9 digits (not `error:...`, not a `[` without `]`).
 *
 * The strings (client, user, method, result code, host, rule) are interned: each has a table
 * of its own, ids 0, 1, 2, ... in order of first appearance, and new_strings(table) hands the
 * strings added since the last call to Python. The scan runs without the GIL and only
 * touches C memory (PyMem_Raw*): open-addressing hash tables that grow, and an arena of the
 * string bytes, bounded by the distinct strings.
 *
 * Speed (about 0.1 us a line of 130 bytes): the data is read once, 64 bytes at a time, as bit
 * masks of its spaces, newlines and bad bytes (SSE2, which every x86-64 has); fields and URLs
 * are taken apart with bit operations rather than byte by byte; strings are hashed and
 * compared as words, and every table slot of a line is fetched before the first is read.
 * Branches whose outcome depends on a length are avoided where they would be mispredicted.
 * Without SSE2 (ARM, or -DSQUIDSCAN_PORTABLE) the same results come from portable code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#ifndef SAFESOCIAL_BUILD
#define SAFESOCIAL_BUILD ""
#endif

/* SSE2 is part of every x86-64 CPU; elsewhere (or built with -DSQUIDSCAN_PORTABLE) the same
 * work is done 8 bytes at a time or byte by byte, with the same results. */
#if defined(__SSE2__) && !defined(SQUIDSCAN_PORTABLE)
#include <emmintrin.h>
#define USE_SSE2 1
#define SQUIDSCAN_SIMD "sse2"
#else
#define USE_SSE2 0
#define SQUIDSCAN_SIMD "none"
#endif

/* More spaces than this in a line: deferred (fields beyond the 10th are never read). */
#define MAX_SPACES 64
/* The longest method or host that is case-folded here; longer ones are deferred. */
#define MAX_FOLDED 1024

/* The small functions of the per-line path are inlined whatever the compiler thinks. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define HOT static inline
#define NOINLINE
#endif

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOWS 0x7f7f7f7f7f7f7f7fULL

/* ---------------------------------------------------------------------------------------- */
/* Words: eight bytes at a time, byte k of the text in bits 8k..8k+7.                        */

HOT uint64_t
load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* The first n (< 8) bytes at p, the other bytes of the word being those of `fill`; reads
 * beyond p + n only when `limit` (the end of readable memory) allows. */
static inline uint64_t
load_part(const char *p, size_t n, const char *limit, uint64_t fill)
{
    if (n == 0)
        return fill;
    uint64_t keep = ~0ULL >> (64 - 8 * n);
    uint64_t w;
    if (limit - p >= 8) {
        w = load64(p);
    }
    else {
        char bytes[8] = {0};
        memcpy(bytes, p, n);
        w = load64(bytes);
    }
    return (w & keep) | (fill & ~keep);
}

/* The high bit of each byte of w that is a space. */
static inline uint64_t
space_bytes(uint64_t w)
{
    uint64_t y = w ^ (ONES * ' ');
    uint64_t t = (y & LOWS) + LOWS;
    return ~(t | y | LOWS);
}

/* Non-zero when some byte of w is outside 0x20..0x7e. */
static inline uint64_t
bad_bytes(uint64_t w)
{
    return (((w - ONES * 0x20) & ~w) | (w + ONES) | w) & HIGHS;
}

/* The high bit of each byte of w (ASCII) that is a letter in 'A'..'Z' (upper = 1) or
 * 'a'..'z' (upper = 0). */
HOT uint64_t
letter_bytes(uint64_t w, int upper)
{
    uint64_t first = upper ? 'A' : 'a', last = upper ? 'Z' : 'z';
    return (w + ONES * (0x80 - first)) & ~(w + ONES * (0x7f - last)) & HIGHS;
}

HOT void
store64(char *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    memcpy(p, &w, 8);
}

/* Copy n bytes to out (room for n + 32), lower-cased (upper = 0) or upper-cased; most fields
 * are at most 32 bytes, done as four words without a branch on the length. */
HOT void
fold_case(const char *p, size_t n, const char *limit, char *out, int upper)
{
    if (n <= 32 && limit - p >= 32) {
        for (size_t i = 0; i < 32; i += 8) {
            uint64_t w = load64(p + i);
            store64(out + i, w ^ (letter_bytes(w, !upper) >> 2));
        }
        return;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = load64(p + i);
        store64(out + i, w ^ (letter_bytes(w, !upper) >> 2));
    }
    if (i < n) {
        uint64_t w = load_part(p + i, n - i, limit, 0);
        store64(out + i, w ^ (letter_bytes(w, !upper) >> 2));
    }
}

static inline int
popcount_bytes(uint64_t m)
{
    /* m has only the high bits of bytes set: count them with one multiply */
    return (int)(((m >> 7) * ONES) >> 56);
}

static inline uint32_t
first_byte(uint64_t m)
{
    /* the top bit keeps the argument non-zero; it changes nothing when m has a bit set */
    return (uint32_t)__builtin_ctzll(m | (1ULL << 63)) >> 3;
}

/* ---------------------------------------------------------------------------------------- */
/* Hashing: 32 bytes at a time, from the per-process keys.                                  */

/* Most strings (addresses, logins, methods, result codes, most hosts) are at most 32 bytes
 * long: they are read as four words, the bytes past the end masked off, without a branch on
 * the length (a branch that depends on a length is often mispredicted, and costs more than
 * the work it saves). Reading 32 bytes needs 32 readable bytes; near the end of the data the
 * bytes are copied first, so that the hash does not depend on where they are. */
#define BLOCK 32

static const uint64_t BYTE_MASK[9] = {
    0,
    0xffULL,
    0xffffULL,
    0xffffffULL,
    0xffffffffULL,
    0xffffffffffULL,
    0xffffffffffffULL,
    0xffffffffffffffULL,
    ~0ULL,
};

/* word_masks[n][k]: the bytes of word k that a string of n (<= 32) bytes covers */
static uint64_t word_masks[BLOCK + 1][4];

static void
init_word_masks(void)
{
    for (size_t n = 0; n <= BLOCK; n++) {
        for (size_t k = 0; k < 4; k++) {
            size_t valid = n > 8 * k ? n - 8 * k : 0;
            word_masks[n][k] = BYTE_MASK[valid < 8 ? valid : 8];
        }
    }
}

/* Set once per process from os.urandom, so that nobody can choose strings that all land in
 * one place of a table. */
static uint64_t hash_keys[4];

/* 64 x 64 -> 128 bits, the halves folded: every bit of both inputs reaches most output bits */
HOT uint64_t
mum(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t al = a & 0xffffffffULL, ah = a >> 32, bl = b & 0xffffffffULL, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffULL) + (hl & 0xffffffffULL);
    uint64_t lo = (ll & 0xffffffffULL) | (mid << 32);
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

/* The hash of the first 32 bytes (w, zero past the string) of a string of n bytes */
HOT uint64_t
hash_first(const uint64_t w[4], size_t n)
{
    return mum(w[0] ^ hash_keys[0], w[1] ^ hash_keys[1] ^ (uint64_t)n) ^
           mum(w[2] ^ hash_keys[2], w[3] ^ hash_keys[3]);
}

/* The four words of the 32 bytes of p[:n] from `from` on (zero past n); p[from:] readable up
 * to `limit`. */
HOT void
block_words(const char *p, size_t n, size_t from, const char *limit, uint64_t w[4])
{
    size_t m = n - from < BLOCK ? n - from : BLOCK;
    const char *q = p + from;
    char copy[BLOCK];
    if (limit - q < BLOCK) {
        memset(copy, 0, sizeof copy);
        memcpy(copy, q, m);
        q = copy;
    }
    for (int k = 0; k < 4; k++)
        w[k] = load64(q + 8 * k) & word_masks[m][k];
}

/* A string to look up: its hash and its first 32 bytes as words (zero past its end; only the
 * first two are set for a string of 16 bytes or less). */
typedef struct {
    const char *p; /* the string (NULL: it is the words, at most 32 bytes) */
    size_t n;
    uint64_t hash;
    uint64_t w[4];
} Key;

/* Any length: the first block as hash_first, then one more multiply per block. */
static void
key_make_long(Key *key, const char *p, size_t n, const char *limit)
{
    key->p = p;
    key->n = n;
    block_words(p, n, 0, limit, key->w);
    uint64_t h = hash_first(key->w, n);
    for (size_t from = BLOCK; from < n; from += BLOCK) {
        uint64_t w[4];
        block_words(p, n, from, limit, w);
        h = mum(w[0] ^ hash_keys[0] ^ h, w[1] ^ hash_keys[1]) ^
            mum(w[2] ^ hash_keys[2], w[3] ^ hash_keys[3]);
    }
    key->hash = h;
}

enum { AS_IS, UPPER, LOWER };

/* mum(hash_keys[2], hash_keys[3]): hash_first's second half for a string of 16 bytes or less */
static uint64_t hash_short;

/* The key of p[:n] (readable up to `limit`), upper- or lower-cased (ASCII) or as it is. A
 * string of more than 32 bytes is case-folded into `spare` (room for n + 32) first.
 * `usually_short`: the string has usually 16 bytes or less (addresses, logins, methods,
 * result codes): then only two words are read (for the same hash). */
HOT void
key_make(Key *key, const char *p, size_t n, const char *limit, int fold, char *spare,
         int usually_short)
{
    if (usually_short && n <= 16 && limit - p >= 16) {
        const uint64_t *mask = word_masks[n];
        uint64_t w0 = load64(p), w1 = load64(p + 8);
        if (fold != AS_IS) {
            w0 ^= letter_bytes(w0, fold == LOWER) >> 2;
            w1 ^= letter_bytes(w1, fold == LOWER) >> 2;
        }
        key->w[0] = w0 & mask[0];
        key->w[1] = w1 & mask[1];
        key->p = NULL; /* w[2] and w[3] are not read for 16 bytes or less */
        key->n = n;
        key->hash = mum(key->w[0] ^ hash_keys[0], key->w[1] ^ hash_keys[1] ^ (uint64_t)n) ^
                    hash_short;
        return;
    }
    if (n <= BLOCK && limit - p >= BLOCK) {
        const uint64_t *mask = word_masks[n];
        for (int k = 0; k < 4; k++) {
            uint64_t w = load64(p + 8 * k);
            if (fold != AS_IS)
                w ^= letter_bytes(w, fold == LOWER) >> 2;
            key->w[k] = w & mask[k];
        }
        key->p = NULL; /* the words are the string */
        key->n = n;
        key->hash = hash_first(key->w, n);
    }
    else if (fold != AS_IS) {
        fold_case(p, n, limit, spare, fold == UPPER);
        key_make_long(key, spare, n, spare + n + BLOCK);
    }
    else {
        key_make_long(key, p, n, limit);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Table: string -> id (0, 1, 2, ... in order of first appearance).                          */

/* A slot holds the string's first 16 bytes, so that most look-ups (strings of up to 16 bytes)
 * compare in the slot and never touch the arena; longer strings are compared in the arena
 * too. Hashes are not kept: a growing table computes them again. */
typedef struct {
    uint64_t w0, w1;
    uint64_t offset; /* of the string's bytes in the arena */
    uint32_t len;
    uint32_t id_plus_1; /* 0: empty slot */
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;
    size_t count;
    /* each string as a 4-byte length then its bytes, in id order; BLOCK spare bytes at the
     * end, so that strings can be read a block at a time */
    char *arena;
    size_t used, capacity;
    /* what new_strings() has handed out */
    size_t reported, reported_at;
} Table;

static int
table_init(Table *t)
{
    t->slots = PyMem_RawCalloc(64, sizeof(Slot));
    t->arena = PyMem_RawMalloc(4096);
    if (t->slots == NULL || t->arena == NULL)
        return -1;
    t->mask = 63;
    t->capacity = 4096;
    return 0;
}

static void
table_free(Table *t)
{
    PyMem_RawFree(t->slots);
    PyMem_RawFree(t->arena);
    t->slots = NULL;
    t->arena = NULL;
}

/* The hash of the string of slot s (as key_make computes it). */
static uint64_t
slot_hash(const Table *t, const Slot *s)
{
    if (s->len <= 16)
        return mum(s->w0 ^ hash_keys[0], s->w1 ^ hash_keys[1] ^ (uint64_t)s->len) ^ hash_short;
    Key key;
    key_make_long(&key, t->arena + s->offset, s->len, t->arena + t->capacity);
    return key.hash;
}

static int
table_grow(Table *t)
{
    size_t capacity = (t->mask + 1) * 2;
    Slot *slots = PyMem_RawCalloc(capacity, sizeof(Slot));
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i <= t->mask; i++) {
        const Slot *s = &t->slots[i];
        if (s->id_plus_1 == 0)
            continue;
        size_t j = slot_hash(t, s) & (capacity - 1);
        while (slots[j].id_plus_1 != 0)
            j = (j + 1) & (capacity - 1);
        slots[j] = *s;
    }
    PyMem_RawFree(t->slots);
    t->slots = slots;
    t->mask = capacity - 1;
    return 0;
}

/* Add key (not in t yet) to t: its id, or -1 when out of memory (t unchanged). */
static int32_t
table_add(Table *t, const Key *key)
{
    /* room first, so that a failure changes nothing */
    size_t n = key->n;
    if (t->count >= INT32_MAX - 1 || n > UINT32_MAX)
        return -1;
    size_t need = t->used + 4 + n;
    if (need + BLOCK > t->capacity) {
        size_t capacity = t->capacity;
        while (capacity < need + BLOCK)
            capacity *= 2;
        char *arena = PyMem_RawRealloc(t->arena, capacity);
        if (arena == NULL)
            return -1;
        t->arena = arena;
        t->capacity = capacity;
    }
    if ((t->count + 1) * 2 > t->mask + 1 && table_grow(t) < 0)
        return -1;
    size_t i = key->hash & t->mask;
    while (t->slots[i].id_plus_1 != 0)
        i = (i + 1) & t->mask;
    uint32_t len = (uint32_t)n;
    memcpy(t->arena + t->used, &len, 4);
    if (key->p != NULL) {
        memcpy(t->arena + t->used + 4, key->p, n);
    }
    else {
        char bytes[BLOCK];
        for (int k = 0; k < (n <= 16 ? 2 : 4); k++)
            store64(bytes + 8 * k, key->w[k]);
        memcpy(t->arena + t->used + 4, bytes, n);
    }
    Slot *s = &t->slots[i];
    s->w0 = key->w[0];
    s->w1 = key->w[1];
    s->offset = t->used + 4;
    s->len = len;
    s->id_plus_1 = (uint32_t)(t->count + 1);
    t->used = need;
    return (int32_t)t->count++;
}

/* Whether the string of slot s (which has key's length, more than 16 bytes, and first 16
 * bytes) is key. */
static int
same_tail(const Table *t, const Slot *s, const Key *key)
{
    const char *a = t->arena + s->offset;
    if (key->p == NULL) {
        const uint64_t *mask = word_masks[key->n];
        return (((load64(a + 16) & mask[2]) ^ key->w[2]) |
                ((load64(a + 24) & mask[3]) ^ key->w[3])) == 0;
    }
    return memcmp(a, key->p, key->n) == 0;
}

#define INTERN_FAILED (-2)

/* The id of key in t, added if new; INTERN_FAILED when out of memory (t unchanged). */
HOT int32_t
intern(Table *t, const Key *key)
{
    for (size_t i = key->hash & t->mask;; i = (i + 1) & t->mask) {
        const Slot *s = &t->slots[i];
        uint64_t diff = (s->w0 ^ key->w[0]) | (s->w1 ^ key->w[1]) | (s->len ^ key->n);
        if (diff == 0 && s->id_plus_1 != 0 && (key->n <= 16 || same_tail(t, s, key)))
            return (int32_t)(s->id_plus_1 - 1);
        if (s->id_plus_1 == 0) {
            int32_t id = table_add(t, key);
            return id < 0 ? INTERN_FAILED : id;
        }
    }
}

/* The id of p[:n] (readable up to `limit`, case-folded as `fold`) in t, added if new, or
 * INTERN_FAILED: the look-up for the small tables of short strings (methods, result codes),
 * with no Key in memory. */
HOT int32_t
intern_short(Table *t, const char *p, size_t n, const char *limit, int fold, char *spare)
{
    if (n > 16 || limit - p < 16) {
        Key key;
        key_make(&key, p, n, limit, fold, spare, 0);
        return intern(t, &key);
    }
    const uint64_t *mask = word_masks[n];
    uint64_t w0 = load64(p), w1 = load64(p + 8);
    if (fold != AS_IS) {
        w0 ^= letter_bytes(w0, fold == LOWER) >> 2;
        w1 ^= letter_bytes(w1, fold == LOWER) >> 2;
    }
    w0 &= mask[0];
    w1 &= mask[1];
    uint64_t hash = mum(w0 ^ hash_keys[0], w1 ^ hash_keys[1] ^ (uint64_t)n) ^ hash_short;
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const Slot *s = &t->slots[i];
        if (((s->w0 ^ w0) | (s->w1 ^ w1) | (s->len ^ n)) == 0 && s->id_plus_1 != 0)
            return (int32_t)(s->id_plus_1 - 1);
        if (s->id_plus_1 == 0) {
            Key key = {.p = NULL, .n = n, .hash = hash, .w = {w0, w1, 0, 0}};
            int32_t id = table_add(t, &key);
            return id < 0 ? INTERN_FAILED : id;
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* One line.                                                                                 */

enum { T_CLIENT, T_USER, T_METHOD, T_RESULT, T_HOST, T_RULE, N_TABLES };
static const char *const TABLE_NAMES[N_TABLES] = {"client", "user",  "method",
                                                  "result", "host", "rule"};

typedef struct {
    int64_t *ts, *size, *offset;
    int32_t *client, *user, *method, *result, *status, *host, *port, *rule;
    int8_t *flag;
} Columns;

typedef struct {
    const char *p;
    size_t n;
} Text;

/* The value of n (1 to 8) ASCII digits at p (8 bytes readable), or -1 if one is not a digit:
 * eight at a time, with no branch on n. */
HOT int64_t
eight_digits(const char *p, size_t n)
{
    /* the digits moved to the top of the word, '0's below them */
    uint64_t w = (load64(p) << (8 * (8 - n))) | (ONES * '0' & BYTE_MASK[8 - n]);
    uint64_t v = w - ONES * '0';
    if ((((v + ONES * 0x76) | v) & HIGHS) != 0)
        return -1;
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
        32;
    return (int64_t)v;
}

/* p[:n] as a number of 1 to `most` (at most 18) ASCII digits; 0 if it is not one. `limit`:
 * the end of readable memory. */
HOT int
digits(const char *p, size_t n, size_t most, int64_t *value, const char *limit)
{
    if (n == 3 && most >= 3) {
        /* status codes, milliseconds, ports 443 */
        unsigned d0 = (unsigned)(unsigned char)p[0] - '0', d1 = (unsigned)(unsigned char)p[1] - '0',
                 d2 = (unsigned)(unsigned char)p[2] - '0';
        *value = d0 * 100 + d1 * 10 + d2;
        return (d0 <= 9) & (d1 <= 9) & (d2 <= 9);
    }
    if (n - 1 < 8 && n <= most && limit - p >= 8) {
        int64_t v = eight_digits(p, n);
        *value = v;
        return v >= 0;
    }
    if (n == 0 || n > most)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return 0;
        v = v * 10 + d;
    }
    *value = v;
    return 1;
}

/* The offset of the first byte c in p[:n], or n. */
HOT size_t
first_byte_of(const char *p, size_t n, char c, const char *limit)
{
#if USE_SSE2
    if (n <= 32 && limit - p >= 32) {
        const __m128i k = _mm_set1_epi8(c);
        uint32_t m = (uint32_t)_mm_movemask_epi8(
                         _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), k)) |
                     (uint32_t)_mm_movemask_epi8(
                         _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), k))
                         << 16;
        m &= n == 32 ? ~0u : (1u << n) - 1;
        return m ? (size_t)__builtin_ctz(m) : n;
    }
#else
    (void)limit;
#endif
    const char *found = memchr(p, c, n);
    return found ? (size_t)(found - p) : n;
}

#define WORD5(a, b, c, d, e)                                                                   \
    ((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16 | (uint64_t)(d) << 24 |            \
     (uint64_t)(e) << 32)

/* The default port of a URL scheme (case-insensitive), or -1. */
HOT int32_t
scheme_port(const char *p, size_t n, const char *limit)
{
    if (n < 3 || n > 5)
        return -1;
    char bytes[8] = {0};
    if (limit - p < 8) {
        memcpy(bytes, p, n);
        p = bytes;
    }
    /* | 0x20 lower-cases letters, and only 'H' and 'h' give 'h' (and so on); the length is
     * in the mask (the scheme has no zero bytes) */
    uint64_t w = (load64(p) | ONES * 0x20) & BYTE_MASK[n];
    return w == WORD5('h', 't', 't', 'p', 0)        ? 80
           : w == WORD5('h', 't', 't', 'p', 's')    ? 443
           : w == WORD5('f', 't', 'p', 0, 0)        ? 21
                                                    : -1;
}

/* Where the parts of a URL are (offsets into it): the scheme before the first "://" (when
 * `scheme`), the authority [a, end) after the last '@' (`rest` is where it starts with the
 * '@'s), its first colon and whether it has two or more. */
typedef struct {
    size_t scheme_len, rest, a, end, colon;
    int scheme, colons;
} UrlParts;

/* Byte by byte. */
static inline void
url_parts_scalar(const char *u, size_t n, UrlParts *parts)
{
    const char *end = u + n;
    parts->scheme = 0;
    parts->rest = 0;
    for (const char *q = u; (q = memchr(q, ':', (size_t)(end - q))) != NULL; q++) {
        if (end - q >= 3 && q[1] == '/' && q[2] == '/') {
            parts->scheme = 1;
            parts->scheme_len = (size_t)(q - u);
            parts->rest = (size_t)(q - u) + 3;
            break;
        }
    }
    size_t a = parts->rest, i = parts->rest, colon = 0;
    int colons = 0;
    for (; i < n; i++) {
        char c = u[i];
        if (c == '/' || c == '?' || c == '#')
            break;
        if (c == '@') {
            a = i + 1;
            colons = 0;
        }
        else if (c == ':') {
            if (colons++ == 0)
                colon = i;
        }
    }
    parts->a = a;
    parts->end = i;
    parts->colon = colon;
    parts->colons = colons;
}

#if USE_SSE2
/* Bit i set where byte i of the `nv` vectors equals c. */
HOT uint64_t
mask64(const __m128i *x, int nv, char c)
{
    const __m128i k = _mm_set1_epi8(c);
    uint64_t m = 0;
    for (int j = 0; j < nv; j++)
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x[j], k)) << (16 * j);
    return m;
}

/* Bit i set where byte i of the `nv` vectors equals c or d. */
HOT uint64_t
mask64_either(const __m128i *x, int nv, char c, char d)
{
    const __m128i k = _mm_set1_epi8(c), l = _mm_set1_epi8(d);
    uint64_t m = 0;
    for (int j = 0; j < nv; j++)
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(
                 _mm_or_si128(_mm_cmpeq_epi8(x[j], k), _mm_cmpeq_epi8(x[j], l)))
             << (16 * j);
    return m;
}

/* The first 16 * nv bytes at once, as bit masks (bit i: byte i); 0 when the URL needs more. */
HOT int
url_parts_sse2(const char *u, size_t n, const char *limit, int nv, UrlParts *parts)
{
    const size_t window = 16 * (size_t)nv;
    __m128i x[4];
    char copy[64];
    const char *q = u;
    if ((size_t)(limit - u) < window) {
        memset(copy, 0, sizeof copy);
        memcpy(copy, u, n < window ? n : window);
        q = copy;
    }
    for (int j = 0; j < nv; j++)
        x[j] = _mm_loadu_si128((const __m128i *)(q + 16 * j));
    uint64_t inside = n >= 64 ? ~0ULL : (1ULL << n) - 1;
    uint64_t colon = mask64(x, nv, ':') & inside, slash = mask64(x, nv, '/') & inside;
    uint64_t scheme = colon & (slash >> 1) & (slash >> 2);
    if (scheme == 0 && n > window)
        return 0; /* the first "://" may lie beyond */
    size_t rest = scheme ? (size_t)__builtin_ctzll(scheme) + 3 : 0;
    if (rest >= window)
        return 0;
    uint64_t after = ~0ULL << rest;
    uint64_t stop = (slash | mask64_either(x, nv, '?', '#')) & inside & after;
    if (stop == 0 && n > window)
        return 0; /* the authority may go on beyond */
    size_t end = stop ? (size_t)__builtin_ctzll(stop) : n;
    uint64_t authority = after & (end >= 64 ? ~0ULL : (1ULL << end) - 1);
    uint64_t at = mask64(x, nv, '@') & authority;
    size_t a = at ? 64 - (size_t)__builtin_clzll(at) : rest;
    if (a >= window)
        return 0;
    uint64_t colons = colon & authority & (~0ULL << a);
    parts->scheme = scheme != 0;
    parts->scheme_len = rest - 3;
    parts->rest = rest;
    parts->a = a;
    parts->end = end;
    parts->colon = colons ? (size_t)__builtin_ctzll(colons) : 0;
    parts->colons = colons == 0 ? 0 : (colons & (colons - 1)) == 0 ? 1 : 2;
    return 1;
}
#endif

/* Host and port of a request URL (SQUID_SQL's url_host); 0: defer the line. host.p is NULL
 * when the URL is `-`. `limit`: the end of readable memory. */
HOT int
url_target(const char *u, size_t n, const char *limit, Text *host, int32_t *port)
{
    if (n == 1 && u[0] == '-') {
        host->p = NULL;
        *port = -1;
        return 1;
    }
    if (n >= 6 && memcmp(u, "error:", 6) == 0)
        return 0;
    UrlParts parts;
#if USE_SSE2
    if (!url_parts_sse2(u, n, limit, 2, &parts) && !url_parts_sse2(u, n, limit, 4, &parts))
        url_parts_scalar(u, n, &parts);
#else
    url_parts_scalar(u, n, &parts);
#endif
    int32_t default_port = parts.scheme ? scheme_port(u, parts.scheme_len, limit) : -1;
    const char *a = u + parts.a, *end = u + parts.end;
    if (a < end && *a == '[') {
        /* [X] or [X]:P */
        const char *close = memchr(a, ']', (size_t)(end - a));
        if (close == NULL || close == a + 1)
            return 0;
        host->p = a + 1;
        host->n = (size_t)(close - a - 1);
        if (close + 1 == end) {
            *port = default_port;
            return 1;
        }
        int64_t v;
        if (close[1] != ':' || !digits(close + 2, (size_t)(end - close - 2), 9, &v, limit))
            return 0;
        *port = (int32_t)v;
        return 1;
    }
    if (parts.colons == 1) {
        const char *colon = u + parts.colon;
        int64_t v;
        if (!digits(colon + 1, (size_t)(end - colon - 1), 9, &v, limit))
            return 0;
        host->p = a;
        host->n = (size_t)(colon - a);
        *port = (int32_t)v;
    }
    else {
        host->p = a; /* a bare IPv6 literal (two colons or more) or a name */
        host->n = (size_t)(end - a);
        *port = default_port;
    }
    return host->n > 0;
}

/* Splitting: the line's end, where its fields start, and whether it has a byte outside
 * 0x20..0x7e or an empty field. split_next() returns the length of the line (up to its
 * newline, or to the end of the data) and puts in sp[0..ns-1] the first space (the end of the
 * timestamp) and then the spaces after the elapsed time's padding (the others in the padding
 * are left out: fields after it are one space apart); sp has room for SP_ROOM, ns > MAX_SPACES
 * means too many to keep, and bad is non-zero for a bad byte or two spaces in a row after the
 * padding (an empty field). */
#define SP_ROOM (MAX_SPACES + 64)

#if USE_SSE2

/* 64 bytes at a time, as bit masks (bit i: byte i of the block); each block is read once,
 * the lines that share it taking their parts in turn, the newline found on the way. */
typedef struct {
    const char *data;
    size_t len;
    size_t block; /* offset of the block in the data (may be past its end) */
    uint64_t space, newline, odd; /* of the block, the bits of bytes already taken cleared */
} Splitter;

HOT uint64_t
movemask64(__m128i a, __m128i b, __m128i c, __m128i d)
{
    return (uint64_t)(unsigned)_mm_movemask_epi8(a) |
           (uint64_t)(unsigned)_mm_movemask_epi8(b) << 16 |
           (uint64_t)(unsigned)_mm_movemask_epi8(c) << 32 |
           (uint64_t)(unsigned)_mm_movemask_epi8(d) << 48;
}

HOT void
load_block(Splitter *st, size_t block)
{
    char copy[64];
    const char *q = copy;
    if (block + 64 <= st->len) {
        q = st->data + block;
    }
    else {
        /* the end of the data: as if newlines followed it */
        memset(copy, '\n', sizeof copy);
        if (block < st->len)
            memcpy(copy, st->data + block, st->len - block);
    }
    const __m128i space = _mm_set1_epi8(' '), newline = _mm_set1_epi8('\n');
    const __m128i one = _mm_set1_epi8(1), low = _mm_set1_epi8(0x20);
    __m128i x[4];
    for (int j = 0; j < 4; j++)
        x[j] = _mm_loadu_si128((const __m128i *)(q + 16 * j));
#define EQ(j, k) _mm_cmpeq_epi8(x[j], k)
    /* byte + 1, signed, is above 0x20 exactly for the bytes 0x20..0x7e */
#define FINE(j) _mm_cmpgt_epi8(_mm_add_epi8(x[j], one), low)
    st->block = block;
    st->space = movemask64(EQ(0, space), EQ(1, space), EQ(2, space), EQ(3, space));
    st->newline = movemask64(EQ(0, newline), EQ(1, newline), EQ(2, newline), EQ(3, newline));
    st->odd = ~movemask64(FINE(0), FINE(1), FINE(2), FINE(3));
#undef EQ
#undef FINE
}

/* The line at offset `at` (in the current block, whose earlier bytes are taken). */
HOT size_t
split_next(Splitter *st, size_t at, uint32_t *sp, int *ns_out, int *bad_out)
{
    uint64_t bad = 0, carry = 0;
    int ns = 0;
    /* 0: before the first space; 1: in the padding that follows it, which goes on into the
     * next block; 2: after the padding */
    int phase = 0;
    for (;;) {
        uint64_t nl = st->newline;
        uint64_t before = (nl - 1) & ~nl; /* the bits below the first newline (all: none) */
        uint64_t spaces = st->space & before;
        bad |= st->odd & before;
        if (phase != 2) {
            /* leave out the padding: the spaces in a row after the first */
            unsigned first = phase == 0 ? (unsigned)__builtin_ctzll(spaces | 1ULL << 63) : 0;
            uint64_t other = ~(spaces >> first); /* bit r: the first non-space from `first` */
            unsigned run = other ? (unsigned)__builtin_ctzll(other) : 64;
            uint64_t padding = (run >= 64 ? ~0ULL : (1ULL << run) - 1) << first;
            if (phase == 0)
                padding &= padding - 1; /* the first space stays */
            if (phase == 1 || spaces) {
                spaces &= ~padding;
                phase = first + run >= 64 ? 1 : 2;
            }
        }
        /* two spaces in a row after the padding: an empty field */
        bad |= spaces & ((spaces << 1) | carry);
        carry = spaces >> 63;
        if (ns <= MAX_SPACES) {
            /* positions from the line's start, which may lie after the block's (mod 2^32) */
            uint32_t base = (uint32_t)st->block - (uint32_t)at;
            while (spaces) {
                sp[ns++] = base + (uint32_t)__builtin_ctzll(spaces);
                spaces &= spaces - 1;
            }
        }
        if (nl) {
            unsigned bit = (unsigned)__builtin_ctzll(nl);
            size_t n = st->block + bit - at;
            uint64_t after = ~(nl ^ (nl - 1)); /* the bits above the newline */
            st->space &= after;
            st->newline &= after;
            st->odd &= after;
            if (bit == 63)
                load_block(st, st->block + 64);
            *ns_out = ns;
            *bad_out = bad != 0;
            return n;
        }
        load_block(st, st->block + 64);
    }
}

#else

/* memchr for the newline, then 8 bytes at a time */
HOT size_t
split_line(const char *p, const char *end, uint32_t *sp, int *ns_out, int *bad_out)
{
    const char *newline = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)((newline ? newline : end) - p);
    uint64_t bad = 0;
    int ns = 0;
    for (size_t i = 0; i < n && ns <= MAX_SPACES; i += 8) {
        uint64_t w = i + 8 <= n ? load64(p + i) : load_part(p + i, n - i, end, ONES * 'x');
        bad |= bad_bytes(w);
        /* the spaces of the word (at most 8, mostly 0 to 2): two written whatever the count,
         * which costs less than a mispredicted branch; sp has room for them */
        uint64_t m = space_bytes(w);
        int count = popcount_bytes(m);
        uint32_t *o = sp + ns;
        o[0] = (uint32_t)i + first_byte(m);
        m &= m - 1;
        o[1] = (uint32_t)i + first_byte(m);
        m &= m - 1;
        for (int k = 2; k < count; k++) {
            o[k] = (uint32_t)i + first_byte(m);
            m &= m - 1;
        }
        ns += count;
    }
    if (ns > 0 && ns <= MAX_SPACES) {
        /* leave out the padding (the spaces in a row after the first); an empty field after
         * it is bad */
        int pad = 1;
        while (pad < ns && sp[pad] == sp[pad - 1] + 1)
            pad++;
        for (int k = pad + 1; k < ns; k++)
            bad |= sp[k] == sp[k - 1] + 1;
        for (int k = pad; k < ns; k++)
            sp[k - pad + 1] = sp[k];
        ns -= pad - 1;
    }
    *ns_out = ns;
    *bad_out = bad != 0;
    return n;
}
#endif

/* A line taken apart, the keys of its strings made and their slots being fetched (clients,
 * users, hosts and rules: the tables that may be large): looked up while the next line is
 * taken apart, so that cache misses overlap that work. */
typedef struct {
    size_t row;
    int64_t ms, size;
    int32_t status, port;
    Text method, result; /* looked up then (their tables are small) */
    int present[N_TABLES];
    Key keys[N_TABLES];
    char spare[2][MAX_FOLDED + BLOCK]; /* long methods and hosts, case-folded */
} Pending;

/* Take apart the line p[:n] (split by split_next or split_line) into `line`; 1: taken,
 * 0: deferred. `limit`: the end of the data (words may be read past the line, never past the
 * data). Not inlined: the compiler does better with it on its own. */
static int NOINLINE
parse_line(Table *tables, const char *p, size_t n, uint32_t *sp, int ns, int bad,
           const char *limit, Pending *line)
{
    if (n == 0 || n > UINT32_MAX - 16 || bad || ns == 0 || ns > MAX_SPACES || p[0] == ' ' ||
        p[n - 1] == ' ')
        return 0;

    /* sp[0] ends the timestamp, sp[1] the elapsed time, sp[f - 1] field f (from 1) */
    sp[ns] = (uint32_t)n; /* the end of the last field */
    int nf = ns + 1;
#define FIELD(f) ((Text){p + sp[(f) - 2] + 1, sp[(f) - 1] - sp[(f) - 2] - 1})
    int custom = 0;
    if (nf == 9) {
        Text last = FIELD(9);
        if (last.n < 5 || memcmp(last.p, "rule=", 5) != 0)
            return 0;
        custom = 1;
    }
    else if (nf < 10) {
        return 0;
    }
    Text client = FIELD(3), user, code, size_text, method, url, rule = {NULL, 0};
    if (custom) {
        user = FIELD(4);
        code = FIELD(5);
        size_text = FIELD(6);
        method = FIELD(7);
        url = FIELD(8);
        rule = FIELD(9);
        rule.p += 5;
        rule.n -= 5;
        if (rule.n == 0 || (rule.n == 1 && rule.p[0] == '-'))
            rule.p = NULL;
    }
    else {
        code = FIELD(4);
        size_text = FIELD(5);
        method = FIELD(6);
        url = FIELD(7);
        user = FIELD(8);
    }
#undef FIELD

    /* timestamp: seconds, then up to 3 decimals; compared exactly, in milliseconds */
    int64_t seconds, fraction = 0, high, low;
    size_t ts_len = sp[0];
    if (ts_len == 14 && p[10] == '.') {
        /* the usual %ts.%03tu */
        unsigned d8 = (unsigned)(unsigned char)p[8] - '0', d9 = (unsigned)(unsigned char)p[9] - '0';
        if (!digits(p, 8, 8, &high, limit) || d8 > 9 || d9 > 9 ||
            !digits(p + 11, 3, 3, &fraction, limit))
            return 0;
        seconds = high * 100 + d8 * 10 + d9;
    }
    else {
        size_t dot = 0;
        while (dot < ts_len && p[dot] != '.')
            dot++;
        if (dot > 8) {
            if (!digits(p, dot - 8, 2, &high, limit) || !digits(p + dot - 8, 8, 8, &low, limit))
                return 0;
            seconds = high * 100000000 + low;
        }
        else if (!digits(p, dot, 8, &seconds, limit)) {
            return 0;
        }
        if (dot < ts_len) {
            size_t decimals = ts_len - dot - 1;
            if (!digits(p + dot + 1, decimals, 3, &fraction, limit))
                return 0;
            fraction *= decimals == 1 ? 100 : decimals == 2 ? 10 : 1;
        }
    }
    int64_t ms = seconds * 1000 + fraction;
    if (ms < 946684800000LL || ms > 4102444800000LL)
        return 0;

    /* result code / status */
    size_t slash = first_byte_of(code.p, code.n, '/', limit);
    int64_t status;
    if (slash == code.n || !digits(code.p + slash + 1, code.n - slash - 1, 9, &status, limit))
        return 0;
    Text result = {code.p, slash};

    int64_t size;
    if (!digits(size_text.p, size_text.n, 18, &size, limit))
        return 0;

    Text host;
    int32_t port;
    if (!url_target(url.p, url.n, limit, &host, &port))
        return 0;
    if (method.n > MAX_FOLDED || (host.p != NULL && host.n > MAX_FOLDED))
        return 0;

    /* taken: the keys made and every slot fetched */
    int no_user = user.n == 1 && user.p[0] == '-';
    if (host.p != NULL) {
        while (host.n > 0 && host.p[host.n - 1] == '.')
            host.n--; /* as rtrim(lower(host), '.') */
    }
    line->ms = ms;
    line->size = size;
    line->status = (int32_t)status;
    line->port = port;
    line->method = method;
    line->result = result;
    line->present[T_CLIENT] = 1;
    line->present[T_USER] = !no_user;
    line->present[T_HOST] = host.p != NULL;
    line->present[T_RULE] = rule.p != NULL;
#define KEY(k, text, fold, buffer, usually_short)                                               \
    do {                                                                                       \
        key_make(&line->keys[k], (text).p, (text).n, limit, fold, buffer, usually_short);      \
        __builtin_prefetch(&tables[k].slots[line->keys[k].hash & tables[k].mask]);             \
    } while (0)
    KEY(T_CLIENT, client, AS_IS, NULL, 1);
    if (!no_user)
        KEY(T_USER, user, AS_IS, NULL, 1);
    if (host.p != NULL)
        KEY(T_HOST, host, LOWER, line->spare[1], 0);
    if (rule.p != NULL)
        KEY(T_RULE, rule, AS_IS, NULL, 0);
#undef KEY
    return 1;
}

/* Look up the strings of a line taken apart and write its row; -1: out of memory. */
HOT int
finish_line(Table *tables, Pending *line, const char *limit, Columns *out)
{
    int32_t ids[N_TABLES];
#define LOOK_UP(k) (line->present[k] ? intern(&tables[k], &line->keys[k]) : -1)
    ids[T_CLIENT] = intern(&tables[T_CLIENT], &line->keys[T_CLIENT]);
    ids[T_USER] = LOOK_UP(T_USER);
    ids[T_METHOD] = intern_short(&tables[T_METHOD], line->method.p, line->method.n, limit, UPPER,
                                 line->spare[0]);
    ids[T_RESULT] = intern_short(&tables[T_RESULT], line->result.p, line->result.n, limit, AS_IS,
                                 NULL);
    ids[T_HOST] = LOOK_UP(T_HOST);
    ids[T_RULE] = LOOK_UP(T_RULE);
#undef LOOK_UP
    if ((ids[T_CLIENT] == INTERN_FAILED) | (ids[T_USER] == INTERN_FAILED) |
        (ids[T_METHOD] == INTERN_FAILED) | (ids[T_RESULT] == INTERN_FAILED) |
        (ids[T_HOST] == INTERN_FAILED) | (ids[T_RULE] == INTERN_FAILED))
        return -1;
    size_t row = line->row;
    out->ts[row] = line->ms;
    out->client[row] = ids[T_CLIENT];
    out->user[row] = ids[T_USER];
    out->method[row] = ids[T_METHOD];
    out->result[row] = ids[T_RESULT];
    out->status[row] = line->status;
    out->size[row] = line->size;
    out->host[row] = ids[T_HOST];
    out->port[row] = line->port;
    out->rule[row] = ids[T_RULE];
    out->flag[row] = 0;
    return 0;
}

static inline void
defer_row(Columns *out, size_t row)
{
    out->ts[row] = 0;
    out->client[row] = 0;
    out->user[row] = 0;
    out->method[row] = 0;
    out->result[row] = 0;
    out->status[row] = 0;
    out->size[row] = 0;
    out->host[row] = 0;
    out->port[row] = 0;
    out->rule[row] = 0;
    out->flag[row] = 1;
}

enum { SCAN_OK, SCAN_FULL, SCAN_NO_MEMORY };

/* Every line of data[:len] into rows 0, 1, ...; at most `rows` of them. Each taken line is
 * looked up after the next one is taken apart (lines[row % 2] is the line being taken
 * apart, lines[(row - 1) % 2] the one before, if `waiting`). */
static size_t
scan_all(Table *tables, const char *data, size_t len, Columns *out, size_t rows, int *status)
{
    const char *end = data + len;
    size_t at = 0, row = 0;
    Pending lines[2];
    int waiting = 0;
    *status = SCAN_OK;
#if USE_SSE2
    Splitter splitter = {.data = data, .len = len};
    load_block(&splitter, 0);
#endif
    while (at < len) {
        if (row >= rows) {
            *status = SCAN_FULL;
            break;
        }
        const char *p = data + at;
        uint32_t sp[SP_ROOM];
        int ns, bad;
#if USE_SSE2
        size_t n = split_next(&splitter, at, sp, &ns, &bad);
#else
        size_t n = split_line(p, end, sp, &ns, &bad);
#endif
        out->offset[row] = (int64_t)at;
        Pending *line = &lines[row & 1];
        line->row = row;
        int taken = parse_line(tables, p, n, sp, ns, bad, end, line);
        if (!taken)
            defer_row(out, row);
        if (waiting && finish_line(tables, &lines[(row - 1) & 1], end, out) < 0) {
            defer_row(out, row - 1);
            defer_row(out, row);
            *status = SCAN_NO_MEMORY;
            return row + 1;
        }
        waiting = taken;
        row++;
        at += n + 1;
    }
    if (waiting && finish_line(tables, &lines[(row - 1) & 1], end, out) < 0) {
        defer_row(out, row - 1);
        *status = SCAN_NO_MEMORY;
    }
    return row;
}

/* ---------------------------------------------------------------------------------------- */
/* Scanner                                                                                   */

typedef struct {
    PyObject_HEAD
    Table tables[N_TABLES];
    int busy;
} Scanner;

static void
Scanner_dealloc(Scanner *self)
{
    for (int k = 0; k < N_TABLES; k++)
        table_free(&self->tables[k]);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":Scanner", kwlist))
        return NULL;
    Scanner *self = (Scanner *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    for (int k = 0; k < N_TABLES; k++) {
        if (table_init(&self->tables[k]) < 0) {
            Py_DECREF(self);
            return PyErr_NoMemory();
        }
    }
    return (PyObject *)self;
}

/* The output columns, in the order of scan()'s arguments after `data`. */
enum { C_TS, C_CLIENT, C_USER, C_METHOD, C_RESULT, C_STATUS, C_SIZE, C_HOST, C_PORT, C_RULE,
       C_FLAG, C_OFFSET, N_COLUMNS };
static const char *const COLUMN_NAMES[N_COLUMNS] = {
    "ts", "client", "user", "method", "result", "status", "size", "host", "port", "rule",
    "flag", "offset"};
static const Py_ssize_t COLUMN_ITEMSIZE[N_COLUMNS] = {8, 4, 4, 4, 4, 4, 8, 4, 4, 4, 1, 8};

/* A signed integer format of the native byte order (or none given); unsigned too when
 * `unsigned_too` (the flags, which are never negative). */
static int
integer_format(const char *format, int unsigned_too)
{
    if (format == NULL)
        return 1;
    if (*format == '@' || *format == '=')
        format++;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    else if (*format == '<')
        format++;
#endif
    return format[0] != '\0' && format[1] == '\0' &&
           strchr(unsigned_too ? "bhilqnBHILQN" : "bhilqn", format[0]) != NULL;
}

static PyObject *
Scanner_scan(Scanner *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"data", "ts",   "client", "user", "method", "result", "status",
                             "size", "host", "port",   "rule", "flag",   "offset", NULL};
    Py_buffer data;
    PyObject *objects[N_COLUMNS];
    Py_buffer views[N_COLUMNS];
    int held = 0;
    PyObject *answer = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*OOOOOOOOOOOO:scan", kwlist, &data,
                                     &objects[0], &objects[1], &objects[2], &objects[3],
                                     &objects[4], &objects[5], &objects[6], &objects[7],
                                     &objects[8], &objects[9], &objects[10], &objects[11]))
        return NULL;
    size_t rows = SIZE_MAX;
    for (; held < N_COLUMNS; held++) {
        const char *name = COLUMN_NAMES[held];
        if (PyObject_GetBuffer(objects[held], &views[held],
                               PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s: not a writable contiguous buffer", name);
            goto done;
        }
        if (views[held].itemsize != COLUMN_ITEMSIZE[held] ||
            !integer_format(views[held].format, held == C_FLAG)) {
            PyErr_Format(PyExc_ValueError, "%s: expected %zd-byte %sintegers, got format %s",
                         name, COLUMN_ITEMSIZE[held], held == C_FLAG ? "" : "signed ",
                         views[held].format ? views[held].format : "(none)");
            held++;
            goto done;
        }
        size_t items = (size_t)(views[held].len / views[held].itemsize);
        if (items < rows)
            rows = items;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this Scanner is in use by another thread");
        goto done;
    }
    Columns out = {
        .ts = views[C_TS].buf,
        .client = views[C_CLIENT].buf,
        .user = views[C_USER].buf,
        .method = views[C_METHOD].buf,
        .result = views[C_RESULT].buf,
        .status = views[C_STATUS].buf,
        .size = views[C_SIZE].buf,
        .host = views[C_HOST].buf,
        .port = views[C_PORT].buf,
        .rule = views[C_RULE].buf,
        .flag = views[C_FLAG].buf,
        .offset = views[C_OFFSET].buf,
    };
    int status;
    size_t count;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    count = scan_all(self->tables, data.buf, (size_t)data.len, &out, rows, &status);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (status == SCAN_NO_MEMORY) {
        PyErr_NoMemory();
    }
    else if (status == SCAN_FULL) {
        int shortest = 0;
        for (int k = 1; k < N_COLUMNS; k++) {
            if (views[k].len / views[k].itemsize < views[shortest].len / views[shortest].itemsize)
                shortest = k;
        }
        PyErr_Format(PyExc_ValueError,
                     "%s: too short for the lines of data (room for %zu; the first %zu rows "
                     "were written)",
                     COLUMN_NAMES[shortest], rows, count);
    }
    else {
        answer = PyLong_FromSize_t(count);
    }
done:
    for (int k = 0; k < held; k++)
        PyBuffer_Release(&views[k]);
    PyBuffer_Release(&data);
    return answer;
}

static PyObject *
Scanner_new_strings(Scanner *self, PyObject *arg)
{
    int k = 0;
    while (k < N_TABLES && !(PyUnicode_Check(arg) &&
                             PyUnicode_CompareWithASCIIString(arg, TABLE_NAMES[k]) == 0))
        k++;
    if (k == N_TABLES) {
        PyErr_Format(PyExc_ValueError,
                     "unknown table %R (client, user, method, result, host or rule)", arg);
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this Scanner is in use by another thread");
        return NULL;
    }
    Table *t = &self->tables[k];
    PyObject *list = PyList_New((Py_ssize_t)(t->count - t->reported));
    if (list == NULL)
        return NULL;
    size_t at = t->reported_at;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        uint32_t len;
        memcpy(&len, t->arena + at, 4);
        PyObject *text = PyUnicode_DecodeASCII(t->arena + at + 4, (Py_ssize_t)len, NULL);
        if (text == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, text);
        at += 4 + len;
    }
    t->reported = t->count;
    t->reported_at = at;
    return list;
}

static PyObject *
Scanner_sizes(Scanner *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *sizes = PyDict_New();
    if (sizes == NULL)
        return NULL;
    for (int k = 0; k < N_TABLES; k++) {
        PyObject *count = PyLong_FromSize_t(self->tables[k].count);
        if (count == NULL || PyDict_SetItemString(sizes, TABLE_NAMES[k], count) < 0) {
            Py_XDECREF(count);
            Py_DECREF(sizes);
            return NULL;
        }
        Py_DECREF(count);
    }
    return sizes;
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))Scanner_scan, METH_VARARGS | METH_KEYWORDS,
     "scan(data, ts, client, user, method, result, status, size, host, port, rule, flag, "
     "offset) -> int: scan the lines of data (each ending in a newline) into the buffers, "
     "one item per line; returns the number of lines. flag 1: deferred (parse it with SQL)."},
    {"new_strings", (PyCFunction)Scanner_new_strings, METH_O,
     "new_strings(table) -> list[str]: the strings added to a table (client, user, method, "
     "result, host or rule) since the last call for it, in id order."},
    {"sizes", (PyCFunction)Scanner_sizes, METH_NOARGS,
     "sizes() -> dict[str, int]: the number of strings in each table."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "safesocial.monitoring.engine._native.squidscan.Scanner",
    .tp_doc = "Scanner(): scans Squid access.log lines; holds the string tables of one run.",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Scanner_new,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
};

/* ---------------------------------------------------------------------------------------- */

/* ---- Tuples of small integers, interned (who = client + login, kind = method + ...) ----
 *
 * The ingest gives each line one key per combination of its ids; doing that in NumPy costs a
 * sort or a large table per block, so the combinations are interned here: an open-addressing
 * table of tuple ids, the tuples stored side by side. Only lines with flag 0 are interned
 * (the others get -1).
 */
#define TUPLES_MAX_WIDTH 8

typedef struct {
    PyObject_HEAD
    int width;
    int32_t *values;     /* count * width ints, tuple by tuple */
    int64_t *lines;      /* per tuple: lines counted (count()) since take_counts() */
    int64_t *sums;       /* per tuple: their sizes added up */
    Py_ssize_t count, capacity, reported;
    int32_t *slots;      /* tuple id + 1, 0 = empty */
    size_t mask;
} Tuples;

static inline uint64_t
tuple_hash(const int32_t *v, int width)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < width; i++) {
        h ^= (uint32_t)v[i];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    return h;
}

static int
tuples_grow_slots(Tuples *self)
{
    size_t size = (self->mask + 1) * 2;
    int32_t *slots = PyMem_RawCalloc(size, sizeof(int32_t));
    if (slots == NULL)
        return -1;
    for (Py_ssize_t id = 0; id < self->count; id++) {
        size_t at = tuple_hash(self->values + id * self->width, self->width) & (size - 1);
        while (slots[at])
            at = (at + 1) & (size - 1);
        slots[at] = (int32_t)(id + 1);
    }
    PyMem_RawFree(self->slots);
    self->slots = slots;
    self->mask = size - 1;
    return 0;
}

/* Add the tuple v (not in the table; `at` is its empty slot): its id, -1 when out of memory */
static int32_t
tuples_add(Tuples *self, const int32_t *v, size_t at)
{
    int width = self->width;
    if (self->count >= INT32_MAX - 1)
        return -1;
    if (self->count == self->capacity) {
        Py_ssize_t capacity = self->capacity * 2;
        int32_t *values = PyMem_RawRealloc(self->values, capacity * width * sizeof(int32_t));
        if (values == NULL)
            return -1;
        self->values = values;
        int64_t *lines = PyMem_RawRealloc(self->lines, capacity * sizeof(int64_t));
        if (lines == NULL)
            return -1;
        self->lines = lines;
        int64_t *sums = PyMem_RawRealloc(self->sums, capacity * sizeof(int64_t));
        if (sums == NULL)
            return -1;
        self->sums = sums;
        self->capacity = capacity;
    }
    int32_t id = (int32_t)self->count++;
    memcpy(self->values + (Py_ssize_t)id * width, v, width * sizeof(int32_t));
    self->lines[id] = 0;
    self->sums[id] = 0;
    self->slots[at] = id + 1;
    if ((size_t)self->count * 2 > self->mask + 1 && tuples_grow_slots(self) < 0)
        return -1;
    return id;
}

/* The id of the tuple v, added if new; -1 when out of memory. Inlined with a constant width
 * (BY_WIDTH), the hash and the comparison unroll: no memcmp call per line. */
static inline int32_t
tuples_intern(Tuples *self, const int32_t *v, const int width)
{
    size_t at = tuple_hash(v, width) & self->mask;
    for (;;) {
        int32_t slot = self->slots[at];
        if (slot == 0)
            return tuples_add(self, v, at);
        const int32_t *known = self->values + (Py_ssize_t)(slot - 1) * width;
        int same = 1;
        for (int k = 0; k < width; k++)
            same &= known[k] == v[k];
        if (same)
            return slot - 1;
        at = (at + 1) & self->mask;
    }
}

/* out[i] = the id of (columns[0][i], ...) where flag[i] == 0, else -1; 0, or -1 when out of
 * memory. */
static inline int
tuples_intern_rows(Tuples *self, int32_t *out, const int8_t *flag,
                   const int32_t *const *columns, Py_ssize_t n, const int width)
{
    int32_t v[TUPLES_MAX_WIDTH];
    for (Py_ssize_t i = 0; i < n; i++) {
        if (flag[i] != 0) {
            out[i] = -1;
            continue;
        }
        for (int k = 0; k < width; k++)
            v[k] = columns[k][i];
        int32_t id = tuples_intern(self, v, width);
        if (id < 0)
            return -1;
        out[i] = id;
    }
    return 0;
}

/* `CALL(w)` with w the constant equal to `width` (1 to TUPLES_MAX_WIDTH): the per-line loops
 * it calls are inlined for that width, so that their inner loops unroll. */
#define BY_WIDTH(width, CALL)                                                                  \
    switch (width) {                                                                           \
    case 1: CALL(1); break;                                                                    \
    case 2: CALL(2); break;                                                                    \
    case 3: CALL(3); break;                                                                    \
    case 4: CALL(4); break;                                                                    \
    case 5: CALL(5); break;                                                                    \
    case 6: CALL(6); break;                                                                    \
    case 7: CALL(7); break;                                                                    \
    case 8: CALL(8); break;                                                                    \
    }

/* Take the buffers of the n arguments (C-contiguous; the first writable when `out_first`),
 * argument k holding items of itemsizes[k] bytes: 0, or -1 with an exception set. *taken
 * says how many were taken either way: the caller releases those. */
static int
take_buffers(PyObject *args, Py_buffer *views, int n, int out_first,
             const Py_ssize_t *itemsizes, int *taken)
{
    for (*taken = 0; *taken < n; ++*taken) {
        int k = *taken, flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
        if (k == 0 && out_first)
            flags |= PyBUF_WRITABLE;
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, k), &views[k], flags) < 0)
            return -1;
        if (views[k].itemsize != itemsizes[k]) {
            ++*taken;
            PyErr_Format(PyExc_ValueError, "argument %d must hold %zd-byte items", k + 1,
                         itemsizes[k]);
            return -1;
        }
    }
    return 0;
}

static void
Tuples_dealloc(Tuples *self)
{
    PyMem_RawFree(self->values);
    PyMem_RawFree(self->lines);
    PyMem_RawFree(self->sums);
    PyMem_RawFree(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Tuples_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {"width", NULL};
    int width;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "i", names, &width))
        return NULL;
    if (width < 1 || width > TUPLES_MAX_WIDTH) {
        PyErr_Format(PyExc_ValueError, "width must be 1 to %d", TUPLES_MAX_WIDTH);
        return NULL;
    }
    Tuples *self = (Tuples *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->width = width;
    self->capacity = 1024;
    self->values = PyMem_RawMalloc(self->capacity * width * sizeof(int32_t));
    self->lines = PyMem_RawMalloc(self->capacity * sizeof(int64_t));
    self->sums = PyMem_RawMalloc(self->capacity * sizeof(int64_t));
    self->mask = 4095;
    self->slots = PyMem_RawCalloc(self->mask + 1, sizeof(int32_t));
    if (self->values == NULL || self->lines == NULL || self->sums == NULL || self->slots == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

/* intern(out, flag, *columns): out[i] = the id of (columns[0][i], ...) where flag[i] == 0 */
static PyObject *
Tuples_intern(Tuples *self, PyObject *args)
{
    Py_ssize_t given = PyTuple_GET_SIZE(args);
    if (given != 2 + self->width) {
        PyErr_Format(PyExc_TypeError, "intern() takes out, flag and %d columns", self->width);
        return NULL;
    }
    Py_buffer views[2 + TUPLES_MAX_WIDTH];
    Py_ssize_t itemsizes[2 + TUPLES_MAX_WIDTH];
    for (int k = 0; k < given; k++)
        itemsizes[k] = k == 1 ? 1 : 4; /* out, flag (int8), the int32 columns */
    PyObject *result = NULL;
    int held;
    if (take_buffers(args, views, (int)given, 1, itemsizes, &held) < 0)
        goto done;
    Py_ssize_t n = views[0].len / 4;
    for (int k = 1; k < given; k++) {
        if (views[k].len / views[k].itemsize < n) {
            PyErr_Format(PyExc_ValueError, "argument %d is shorter than out", k + 1);
            goto done;
        }
    }
    int32_t *out = views[0].buf;
    const int8_t *flag = views[1].buf;
    const int32_t *columns[TUPLES_MAX_WIDTH];
    for (int k = 0; k < self->width; k++)
        columns[k] = views[2 + k].buf;
    int status = 0;
    Py_BEGIN_ALLOW_THREADS
#define INTERN(w) status = tuples_intern_rows(self, out, flag, columns, n, w)
    BY_WIDTH(self->width, INTERN)
#undef INTERN
    Py_END_ALLOW_THREADS
    if (status < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    for (int k = 0; k < held; k++)
        PyBuffer_Release(&views[k]);
    return result;
}

/* the tuples added since the last call, in id order */
static PyObject *
Tuples_new_tuples(Tuples *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *list = PyList_New(self->count - self->reported);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t id = self->reported; id < self->count; id++) {
        PyObject *tuple = PyTuple_New(self->width);
        if (tuple == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        for (int k = 0; k < self->width; k++) {
            PyObject *value = PyLong_FromLong(self->values[id * self->width + k]);
            if (value == NULL) {
                Py_DECREF(tuple);
                Py_DECREF(list);
                return NULL;
            }
            PyTuple_SET_ITEM(tuple, k, value);
        }
        PyList_SET_ITEM(list, id - self->reported, tuple);
    }
    self->reported = self->count;
    return list;
}

/* Count lines by mapped tuple: line i's tuple is (tables[0][ids[0][i]], ...); its tuple id's
 * line count goes up by one and its sum by sizes[i]. 0, -1 out of memory, -2 an id out of its
 * table's range (*bad: which pair). */
static inline int
tuples_count_rows(Tuples *self, const int64_t *sizes, const int32_t *const *ids,
                  const int32_t *const *tables, const Py_ssize_t *table_len, Py_ssize_t n,
                  const int width, int *bad)
{
    int32_t v[TUPLES_MAX_WIDTH];
    for (Py_ssize_t i = 0; i < n; i++) {
        for (int k = 0; k < width; k++) {
            int32_t at = ids[k][i];
            if (at < 0 || at >= table_len[k]) {
                *bad = k;
                return -2;
            }
            v[k] = tables[k][at];
        }
        int32_t id = tuples_intern(self, v, width);
        if (id < 0)
            return -1;
        self->lines[id] += 1;
        self->sums[id] += sizes[i];
    }
    return 0;
}

/* count(sizes, ids0, table0, ids1, table1, ...): width pairs of an int32 id column and the
 * int32 table it indexes; sizes int64, one per line (every line is counted). */
static PyObject *
Tuples_count(Tuples *self, PyObject *args)
{
    Py_ssize_t given = PyTuple_GET_SIZE(args);
    int width = self->width;
    if (given != 1 + 2 * width) {
        PyErr_Format(PyExc_TypeError, "count() takes sizes and %d (ids, table) pairs", width);
        return NULL;
    }
    Py_buffer views[1 + 2 * TUPLES_MAX_WIDTH];
    Py_ssize_t itemsizes[1 + 2 * TUPLES_MAX_WIDTH];
    for (int k = 0; k < given; k++)
        itemsizes[k] = k == 0 ? 8 : 4; /* sizes (int64), then int32 ids and tables */
    PyObject *result = NULL;
    int held;
    if (take_buffers(args, views, (int)given, 0, itemsizes, &held) < 0)
        goto done;
    Py_ssize_t n = views[0].len / 8;
    const int32_t *ids[TUPLES_MAX_WIDTH], *tables[TUPLES_MAX_WIDTH];
    Py_ssize_t table_len[TUPLES_MAX_WIDTH];
    for (int k = 0; k < width; k++) {
        if (views[1 + 2 * k].len / 4 != n) {
            PyErr_Format(PyExc_ValueError, "ids %d: %zd items for %zd sizes", k,
                         views[1 + 2 * k].len / 4, n);
            goto done;
        }
        ids[k] = views[1 + 2 * k].buf;
        tables[k] = views[2 + 2 * k].buf;
        table_len[k] = views[2 + 2 * k].len / 4;
    }
    const int64_t *sizes = views[0].buf;
    int status = 0, bad = 0;
    Py_BEGIN_ALLOW_THREADS
#define COUNT(w) status = tuples_count_rows(self, sizes, ids, tables, table_len, n, w, &bad)
    BY_WIDTH(width, COUNT)
#undef COUNT
    Py_END_ALLOW_THREADS
    if (status == -1) {
        PyErr_NoMemory();
        goto done;
    }
    if (status == -2) {
        PyErr_Format(PyExc_ValueError, "ids %d: an id outside its table", bad);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    for (int k = 0; k < held; k++)
        PyBuffer_Release(&views[k]);
    return result;
}

/* [(tuple id, lines, sum of sizes)] of the tuples counted since the last call, in id order;
 * their counts start again from 0 */
static PyObject *
Tuples_take_counts(Tuples *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t id = 0; id < self->count; id++) {
        if (self->lines[id] == 0)
            continue;
        PyObject *row = Py_BuildValue("(nLL)", id, (long long)self->lines[id],
                                      (long long)self->sums[id]);
        if (row == NULL || PyList_Append(list, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(row);
        self->lines[id] = 0;
        self->sums[id] = 0;
    }
    return list;
}

static PyMethodDef Tuples_methods[] = {
    {"intern", (PyCFunction)Tuples_intern, METH_VARARGS,
     "intern(out, flag, *columns): each line's tuple id (int32), -1 where flag != 0"},
    {"new_tuples", (PyCFunction)Tuples_new_tuples, METH_NOARGS,
     "the tuples added since the last call, in id order"},
    {"count", (PyCFunction)Tuples_count, METH_VARARGS,
     "count(sizes, ids0, table0, ...): count each line under the tuple (table0[ids0[i]], ...) "
     "and add up its size"},
    {"take_counts", (PyCFunction)Tuples_take_counts, METH_NOARGS,
     "[(tuple id, lines, sum of sizes)] counted since the last call; the counts restart"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TuplesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "squidscan.Tuples",
    .tp_doc = "Tuples(width): interns tuples of int32 ids, line by line",
    .tp_basicsize = sizeof(Tuples),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Tuples_new,
    .tp_dealloc = (destructor)Tuples_dealloc,
    .tp_methods = Tuples_methods,
};

/* count_lines(buffer): the number of b"\n" in it (memchr is vectorised by the C library; a
 * block's line count sizes the scanner's columns before the scan) */
static PyObject *
squidscan_count_lines(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    const char *p = view.buf, *end = p + view.len;
    Py_ssize_t lines = 0;
    Py_BEGIN_ALLOW_THREADS
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(lines);
}

static PyMethodDef squidscan_functions[] = {
    {"count_lines", (PyCFunction)squidscan_count_lines, METH_O,
     "count_lines(buffer): the number of newlines in it"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef squidscan_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "safesocial.monitoring.engine._native.squidscan",
    .m_doc = "A fast scanner for common Squid access.log lines (see squidscan.c).",
    .m_size = -1,
    .m_methods = squidscan_functions,
};

static int
seed_from_urandom(void)
{
    PyObject *os = PyImport_ImportModule("os");
    if (os == NULL)
        return -1;
    PyObject *random = PyObject_CallMethod(os, "urandom", "n", (Py_ssize_t)sizeof hash_keys);
    Py_DECREF(os);
    if (random == NULL)
        return -1;
    if (!PyBytes_Check(random) || PyBytes_GET_SIZE(random) != (Py_ssize_t)sizeof hash_keys) {
        Py_DECREF(random);
        PyErr_SetString(PyExc_RuntimeError, "os.urandom() did not return the bytes asked for");
        return -1;
    }
    memcpy(hash_keys, PyBytes_AS_STRING(random), sizeof hash_keys);
    hash_short = mum(hash_keys[2], hash_keys[3]);
    Py_DECREF(random);
    return 0;
}

PyMODINIT_FUNC
PyInit_squidscan(void)
{
    init_word_masks();
    if (seed_from_urandom() < 0 || PyType_Ready(&ScannerType) < 0 ||
        PyType_Ready(&TuplesType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&squidscan_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddStringConstant(module, "BUILD", SAFESOCIAL_BUILD) < 0 ||
        PyModule_AddStringConstant(module, "SIMD", SQUIDSCAN_SIMD) < 0 ||
        PyModule_AddObjectRef(module, "Scanner", (PyObject *)&ScannerType) < 0 ||
        PyModule_AddObjectRef(module, "Tuples", (PyObject *)&TuplesType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
