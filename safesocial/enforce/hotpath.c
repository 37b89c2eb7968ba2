/*
 * The Squid helper's per-line hot path, in C (built by build_native.py as
 * safesocial.enforce._native.hotpath; optional: squid_helper.py answers identically without it).
 *
 * Python keeps everything that depends on the policy or on time: who a login or an address is,
 * the shared context of a (person, segment) at this instant and its finished reply lines, and
 * when those go stale. This module only does, per request line, what the Python fast path
 * (Helper._fast_block) does with dictionaries:
 *
 *   split the fields -> login -> person number, address -> (person number, segment number)
 *   -> reply list of the context -> host -> index of its set of services (walking the host's
 *   suffixes in a table built once from the engine's domain table) -> reply list[index]
 *
 * and writes every reply of one read into one buffer. Anything it does not handle itself
 * (a first sight of a login, address or context, an unusual host, a reply not built yet, a
 * malformed line) is handed to a Python callback, so the answers are the Python ones.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#ifndef SAFESOCIAL_BUILD
#define SAFESOCIAL_BUILD ""
#endif

/* The longest DNS name; longer hosts are left to Python, longer domains cannot match. */
#define MAX_NAME 253
/* Host index meaning "Python must say" (unusual characters, an IP literal, ...). */
#define ASK_PYTHON (-2)

/* FNV-1a over the bytes, started from a per-process random seed so that nobody can choose
 * logins or addresses that all land in one place of a table. */
#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* spread the bits, so that low bits (slot) and high bits (tag, filter) all vary */
static inline uint64_t
finish(uint64_t h)
{
    h ^= h >> 32;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static inline uint64_t
hash_bytes(uint64_t seed, const char *p, size_t n)
{
    uint64_t h = seed ^ FNV_BASIS;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= FNV_PRIME;
    }
    return finish(h);
}

/* Host names are hashed from their last byte to their first, so that one pass over a host
 * gives the hash of each of its suffixes on the way. */
static inline uint64_t
hash_name(uint64_t seed, const char *p, size_t n)
{
    uint64_t h = seed ^ FNV_BASIS;
    while (n > 0) {
        h ^= (unsigned char)p[--n];
        h *= FNV_PRIME;
    }
    return finish(h);
}

static inline uint64_t
hash_u64(uint64_t seed, uint64_t x)
{
    x ^= seed;
    x *= 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 31);
}

static inline int
is_space(char c)
{
    /* the bytes that bytes.split() and bytes.strip() treat as whitespace */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c';
}

/* ---------------------------------------------------------------------------------------- */
/* HostTable: catalogue domain -> index of its set of services; read-only once built.      */

/* Most domains fit in the slot itself, so a hit costs one cache miss, not two; longer ones
 * point at the UTF-8 of the str key of `domains` (kept alive by the table). */
#define HOST_INLINE 24

typedef struct {
    int32_t value;
    uint16_t tag; /* high bits of the hash: most mismatches never touch the key */
    uint8_t len;  /* 0: empty slot */
    uint8_t spare;
    union {
        char bytes[HOST_INLINE];
        const char *ptr;
    } key;
} HostSlot;

typedef struct {
    PyObject_HEAD
    HostSlot *slots;
    size_t slots_bytes; /* > 0: mapped with mmap (a large table), else PyMem */
    size_t mask;
    /* One bit per hash value (8 bits per domain, small enough to stay in the CPU cache):
     * a clear bit means "not in the table" without touching the slots, which is the answer
     * for most names tried while walking a host's suffixes. */
    uint64_t *filter;
    size_t filter_mask;
    Py_ssize_t count;
    uint64_t seed;
    int32_t none_index; /* the index of "no service" */
    PyObject *domains;
} HostTable;

static inline const char *
host_key(const HostSlot *s)
{
    return s->len <= HOST_INLINE ? s->key.bytes : s->key.ptr;
}

static inline size_t
filter_bit(const HostTable *t, uint64_t h)
{
    return (size_t)(h >> 24) & t->filter_mask;
}

static int32_t
host_get(const HostTable *t, uint64_t h, const char *name, size_t n)
{
    size_t bit = filter_bit(t, h);
    if (!(t->filter[bit >> 6] & ((uint64_t)1 << (bit & 63))))
        return -1;
    uint16_t tag = (uint16_t)(h >> 48);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const HostSlot *s = &t->slots[i];
        if (s->len == 0)
            return -1;
        if (s->tag == tag && s->len == n && memcmp(host_key(s), name, n) == 0)
            return s->value;
    }
}

/* The most specific catalogue domain that `name` (normalised) is, or is under: the name
 * itself, then what follows each of its dots, left to right, as engine.lookup_services. */
static int32_t
host_find(const HostTable *t, const char *name, size_t n)
{
    /* hashes[k] is the hash of name[starts[k]:], shortest suffix first; a name of n bytes
     * has at most n of them ("....a") */
    uint64_t hashes[MAX_NAME];
    size_t starts[MAX_NAME];
    size_t count = 0;
    uint64_t h = t->seed ^ FNV_BASIS;
    for (size_t i = n; i > 0; i--) {
        h ^= (unsigned char)name[i - 1];
        h *= FNV_PRIME;
        if (i - 1 == 0 || name[i - 2] == '.') {
            hashes[count] = finish(h);
            starts[count] = i - 1;
            count++;
        }
    }
    /* collected shortest first; try the longest first */
    while (count > 0) {
        count--;
        int32_t found = host_get(t, hashes[count], name + starts[count], n - starts[count]);
        if (found >= 0)
            return found;
    }
    return t->none_index;
}

/* Normalise a host field as engine.normalise_host does, for the plain case only: ASCII
 * letters, digits, '-', '.', '_', optionally ":port". Lower-cases into `out` and returns the
 * length, or -1 when Python must decide (empty, "-", brackets, %-escapes, non-ASCII, a name
 * ending in a digit, which may be an IP literal, or anything else unusual). */
static Py_ssize_t
plain_host(const char *p, size_t n, char *out)
{
    size_t name_end = n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == ':') {
            if (name_end != n)
                return -1; /* a second colon: IPv6 or nonsense */
            name_end = i;
        }
        else if (name_end != n) {
            if (c <= ' ' || c >= 0x7f || c == '%')
                return -1; /* the port part: printable ASCII, nothing Python would decode */
        }
        else if (i >= MAX_NAME) {
            return -1;
        }
        else if (c >= 'A' && c <= 'Z') {
            out[i] = (char)(c + ('a' - 'A'));
        }
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_') {
            out[i] = (char)c;
        }
        else {
            return -1;
        }
    }
    while (name_end > 0 && out[name_end - 1] == '.')
        name_end--;
    if (name_end == 0 || (out[name_end - 1] >= '0' && out[name_end - 1] <= '9'))
        return -1;
    if (name_end == 1 && out[0] == '-' && n == 1)
        return -1; /* "-": no host */
    return (Py_ssize_t)name_end;
}

/* `key` must outlive the table when longer than HOST_INLINE; 0 < n <= MAX_NAME; `h` is
 * hash_name(t->seed, key, n). */
static void
host_insert(HostTable *t, uint64_t h, const char *key, size_t n, int32_t value)
{
    size_t bit = filter_bit(t, h);
    t->filter[bit >> 6] |= (uint64_t)1 << (bit & 63);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        HostSlot *s = &t->slots[i];
        if (s->len == 0) {
            if (n <= HOST_INLINE)
                memcpy(s->key.bytes, key, n);
            else
                s->key.ptr = key;
            s->len = (uint8_t)n;
            s->tag = (uint16_t)(h >> 48);
            s->value = value;
            t->count++;
            return;
        }
        if (s->len == n && memcmp(host_key(s), key, n) == 0)
            return; /* dict keys are distinct; kept for safety */
    }
}

/* A large table (a million domains: 64 MB) is mapped directly and asks for huge pages, so
 * that its random accesses, at load and per request, miss the TLB far less often. */
#define MAP_AT_LEAST (4u << 20)

static HostSlot *
slots_alloc(size_t capacity, size_t *mapped_bytes)
{
    size_t bytes = capacity * sizeof(HostSlot);
    *mapped_bytes = 0;
    if (bytes >= MAP_AT_LEAST) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
            (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
            *mapped_bytes = bytes;
            return p; /* zero-filled */
        }
    }
    return PyMem_Calloc(capacity, sizeof(HostSlot));
}

static void
HostTable_dealloc(HostTable *self)
{
    if (self->slots_bytes)
        munmap(self->slots, self->slots_bytes);
    else
        PyMem_Free(self->slots);
    PyMem_Free(self->filter);
    Py_XDECREF(self->domains);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int32_t
index_of(PyObject *set_index, PyObject *services)
{
    PyObject *found = PyDict_GetItemWithError(set_index, services);
    if (found == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "a set of services has no index");
        return -1;
    }
    long value = PyLong_AsLong(found);
    if (value == -1 && PyErr_Occurred())
        return -1;
    if (value < 0 || value > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "service set index out of range");
        return -1;
    }
    return (int32_t)value;
}

static PyObject *
HostTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"domains", "set_index", "seed", NULL};
    PyObject *domains, *set_index;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!K", kwlist, &PyDict_Type, &domains,
                                     &PyDict_Type, &set_index, &seed))
        return NULL;
    HostTable *self = (HostTable *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->seed = seed;
    Py_INCREF(domains);
    self->domains = domains;
    self->none_index = index_of(set_index, Py_None);
    if (self->none_index < 0)
        goto fail;
    size_t capacity = 16;
    while (capacity < (size_t)PyDict_GET_SIZE(domains) * 2 + 2)
        capacity <<= 1;
    size_t filter_bits = capacity * 4; /* 8 to 16 bits per domain */
    self->slots = slots_alloc(capacity, &self->slots_bytes);
    self->filter = PyMem_Calloc(filter_bits / 64, sizeof(uint64_t));
    if (self->slots == NULL || self->filter == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    self->mask = capacity - 1;
    self->filter_mask = filter_bits - 1;
    /* Inserts trail the hashing by AHEAD entries, and each entry's slot is prefetched when it
     * is hashed, so the random writes into a large table overlap instead of queueing. */
    enum { AHEAD = 16 };
    struct {
        const char *key;
        size_t len;
        uint64_t hash;
        int32_t value;
    } ring[AHEAD];
    size_t queued = 0;
    Py_ssize_t pos = 0;
    PyObject *key, *value, *last = NULL;
    int32_t last_index = 0;
    while (PyDict_Next(domains, &pos, &key, &value)) {
        /* Probes are plain ASCII, so only ASCII keys of a DNS name's length can ever match. */
        if (!PyUnicode_Check(key) || !PyUnicode_IS_ASCII(key))
            continue;
        Py_ssize_t n;
        const char *text = PyUnicode_AsUTF8AndSize(key, &n);
        if (text == NULL)
            goto fail;
        if (n == 0 || n > MAX_NAME)
            continue;
        if (value != last) { /* services tuples are shared, so this look-up is rare */
            last_index = index_of(set_index, value);
            if (last_index < 0)
                goto fail;
            last = value;
        }
        uint64_t h = hash_name(self->seed, text, (size_t)n);
#if defined(__GNUC__)
        __builtin_prefetch(&self->slots[h & self->mask], 1);
#endif
        size_t at = queued % AHEAD;
        if (queued >= AHEAD)
            host_insert(self, ring[at].hash, ring[at].key, ring[at].len, ring[at].value);
        ring[at].key = text;
        ring[at].len = (size_t)n;
        ring[at].hash = h;
        ring[at].value = last_index;
        queued++;
    }
    for (size_t i = queued > AHEAD ? queued - AHEAD : 0; i < queued; i++) {
        size_t at = i % AHEAD;
        host_insert(self, ring[at].hash, ring[at].key, ring[at].len, ring[at].value);
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyObject *
HostTable_lookup(HostTable *self, PyObject *arg)
{
    char *data;
    Py_ssize_t n;
    char name[MAX_NAME];
    if (PyBytes_AsStringAndSize(arg, &data, &n) < 0)
        return NULL;
    Py_ssize_t len = plain_host(data, (size_t)n, name);
    if (len < 0)
        return PyLong_FromLong(ASK_PYTHON);
    return PyLong_FromLong(host_find(self, name, (size_t)len));
}

static Py_ssize_t
HostTable_len(HostTable *self)
{
    return self->count;
}

static PyMethodDef HostTable_methods[] = {
    {"lookup", (PyCFunction)HostTable_lookup, METH_O,
     "lookup(host: bytes) -> int: the service-set index of a host as sent, or -2 when the "
     "host is not a plain name (Python decides)."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods HostTable_as_sequence = {
    .sq_length = (lenfunc)HostTable_len,
};

static PyTypeObject HostTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "safesocial.enforce._native.hotpath.HostTable",
    .tp_doc = "HostTable(domains, set_index, seed): catalogue domain -> service-set index.",
    .tp_basicsize = sizeof(HostTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = HostTable_new,
    .tp_dealloc = (destructor)HostTable_dealloc,
    .tp_methods = HostTable_methods,
    .tp_as_sequence = &HostTable_as_sequence,
};

/* ---------------------------------------------------------------------------------------- */
/* ByteMap: field as sent (bytes) -> 64-bit value; cleared wholesale at a size limit.       */

/* 32-byte slots; keys up to BYTE_INLINE bytes (IPv4 addresses, most logins) live in the
 * slot, longer ones in a copy of their own. The slot keeps 32 bits of the hash; the rest is
 * recomputed on the rare resize. */
#define BYTE_INLINE 16

typedef struct {
    int64_t value;
    uint32_t tag;
    uint32_t size; /* key length + 1; 0: empty slot */
    union {
        char bytes[BYTE_INLINE];
        char *ptr; /* PyMem_Malloc'd copy */
    } key;
} ByteSlot;

typedef struct {
    ByteSlot *slots;
    size_t mask;
    size_t count;
} ByteMap;

static inline const char *
byte_key(const ByteSlot *s)
{
    return s->size - 1 <= BYTE_INLINE ? s->key.bytes : s->key.ptr;
}

static int
bytemap_get(const ByteMap *m, uint64_t h, const char *key, size_t n, int64_t *value)
{
    if (m->slots == NULL)
        return 0;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const ByteSlot *s = &m->slots[i];
        if (s->size == 0)
            return 0;
        if (s->tag == tag && s->size == n + 1 && memcmp(byte_key(s), key, n) == 0) {
            *value = s->value;
            return 1;
        }
    }
}

static void
bytemap_clear(ByteMap *m)
{
    if (m->slots == NULL)
        return;
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->slots[i].size > BYTE_INLINE + 1)
            PyMem_Free(m->slots[i].key.ptr);
    }
    PyMem_Free(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

static int
bytemap_resize(ByteMap *m, uint64_t seed, size_t capacity)
{
    ByteSlot *slots = PyMem_Calloc(capacity, sizeof(ByteSlot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (m->slots != NULL) {
        for (size_t i = 0; i <= m->mask; i++) {
            ByteSlot *s = &m->slots[i];
            if (s->size == 0)
                continue;
            size_t j = hash_bytes(seed, byte_key(s), s->size - 1) & (capacity - 1);
            while (slots[j].size != 0)
                j = (j + 1) & (capacity - 1);
            slots[j] = *s;
        }
        PyMem_Free(m->slots);
    }
    m->slots = slots;
    m->mask = capacity - 1;
    return 0;
}

/* Insert a key known to be absent; `h` is hash_bytes(seed, key, n). */
static int
bytemap_put(ByteMap *m, size_t limit, uint64_t seed, uint64_t h, const char *key, size_t n,
            int64_t value)
{
    if (n >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "field too long");
        return -1;
    }
    if (m->count >= limit)
        bytemap_clear(m);
    if (m->slots == NULL || (m->count + 1) * 2 > m->mask + 1) {
        if (bytemap_resize(m, seed, m->slots == NULL ? 64 : (m->mask + 1) * 2) < 0)
            return -1;
    }
    ByteSlot slot = {.value = value, .tag = (uint32_t)(h >> 32), .size = (uint32_t)n + 1};
    if (n <= BYTE_INLINE) {
        memcpy(slot.key.bytes, key, n);
    }
    else {
        slot.key.ptr = PyMem_Malloc(n);
        if (slot.key.ptr == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(slot.key.ptr, key, n);
    }
    size_t i = h & m->mask;
    while (m->slots[i].size != 0)
        i = (i + 1) & m->mask;
    m->slots[i] = slot;
    m->count++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* ListMap: (person number, segment number) -> reply list of the context at this instant.  */

typedef struct {
    uint64_t key;
    PyObject *value; /* a list (strong reference); NULL: empty slot */
} ListSlot;

typedef struct {
    ListSlot *slots;
    size_t mask;
    size_t count;
} ListMap;

static PyObject *
listmap_get(const ListMap *m, uint64_t seed, uint64_t key)
{
    if (m->slots == NULL)
        return NULL;
    for (size_t i = hash_u64(seed, key) & m->mask;; i = (i + 1) & m->mask) {
        const ListSlot *s = &m->slots[i];
        if (s->value == NULL)
            return NULL;
        if (s->key == key)
            return s->value;
    }
}

static void
listmap_clear(ListMap *m)
{
    if (m->slots == NULL)
        return;
    ListSlot *slots = m->slots;
    size_t capacity = m->mask + 1;
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
    for (size_t i = 0; i < capacity; i++)
        Py_XDECREF(slots[i].value);
    PyMem_Free(slots);
}

static int
listmap_put(ListMap *m, size_t limit, uint64_t seed, uint64_t key, PyObject *value)
{
    if (m->count >= limit)
        listmap_clear(m);
    if (m->slots == NULL || (m->count + 1) * 2 > m->mask + 1) {
        size_t capacity = m->slots == NULL ? 64 : (m->mask + 1) * 2;
        ListSlot *slots = PyMem_Calloc(capacity, sizeof(ListSlot));
        if (slots == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        if (m->slots != NULL) {
            for (size_t i = 0; i <= m->mask; i++) {
                if (m->slots[i].value == NULL)
                    continue;
                size_t j = hash_u64(seed, m->slots[i].key) & (capacity - 1);
                while (slots[j].value != NULL)
                    j = (j + 1) & (capacity - 1);
                slots[j] = m->slots[i];
            }
            PyMem_Free(m->slots);
        }
        m->slots = slots;
        m->mask = capacity - 1;
    }
    size_t i = hash_u64(seed, key) & m->mask;
    while (m->slots[i].value != NULL)
        i = (i + 1) & m->mask;
    Py_INCREF(value);
    m->slots[i] = (ListSlot){.key = key, .value = value};
    m->count++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* LineAnswerer: the per-line loop.                                                          */

typedef struct {
    PyObject_HEAD
    HostTable *hosts;
    int concurrent;
    Py_ssize_t i_user, i_client, i_host, least;
    size_t limit;
    uint64_t seed;
    PyObject *on_login;   /* (bytes) -> int person number */
    PyObject *on_address; /* (bytes) -> (person number, segment number) */
    PyObject *on_context; /* (person number, segment number) -> list of bytes | None */
    PyObject *on_host;    /* (bytes) -> int service-set index, or -1: no usable host */
    PyObject *on_reply;   /* (list, int) -> bytes, stored in the list by Python */
    PyObject *on_line;    /* (bytes) -> bytes: the general path, newline included */
    ByteMap logins;
    ByteMap addresses;
    ListMap now;
    int busy;
} LineAnswerer;

typedef struct {
    char *data;
    size_t len, cap;
} Out;

static int
out_add(Out *out, const char *p, size_t n)
{
    if (out->len + n > out->cap) {
        size_t cap = out->cap ? out->cap : 1 << 16;
        while (cap < out->len + n)
            cap *= 2;
        char *data = PyMem_Realloc(out->data, cap);
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        out->data = data;
        out->cap = cap;
    }
    memcpy(out->data + out->len, p, n);
    out->len += n;
    return 0;
}

static int
out_add_bytes(Out *out, PyObject *reply, const char *what)
{
    if (!PyBytes_Check(reply)) {
        PyErr_Format(PyExc_TypeError, "%s must return bytes", what);
        return -1;
    }
    return out_add(out, PyBytes_AS_STRING(reply), (size_t)PyBytes_GET_SIZE(reply));
}

static int
as_int64(PyObject *obj, int64_t low, int64_t high, int64_t *value, const char *what)
{
    long long v = obj == NULL ? -1 : PyLong_AsLongLong(obj);
    if (obj == NULL || (v == -1 && PyErr_Occurred()))
        return -1;
    if (v < low || v > high) {
        PyErr_Format(PyExc_ValueError, "%s returned %lld, out of range", what, v);
        return -1;
    }
    *value = (int64_t)v;
    return 0;
}

static PyObject *
call_with_bytes(PyObject *callable, const char *p, size_t n)
{
    PyObject *arg = PyBytes_FromStringAndSize(p, (Py_ssize_t)n);
    if (arg == NULL)
        return NULL;
    PyObject *result = PyObject_CallOneArg(callable, arg);
    Py_DECREF(arg);
    return result;
}

static int
general(LineAnswerer *self, const char *line, size_t n, Out *out)
{
    PyObject *reply = call_with_bytes(self->on_line, line, n);
    if (reply == NULL)
        return -1;
    int rc = out_add_bytes(out, reply, "the general path");
    Py_DECREF(reply);
    return rc;
}

static int
answer_line(LineAnswerer *self, const char *line, size_t n, int skip_blank, Out *out)
{
    const char *channel = NULL, *user = NULL, *client = NULL, *host = NULL;
    size_t channel_len = 0, user_len = 0, client_len = 0, host_len = 0;
    Py_ssize_t count = 0;
    size_t i = 0;
    while (count < self->least) {
        while (i < n && is_space(line[i]))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && !is_space(line[i]))
            i++;
        if (count == 0) {
            channel = line + start;
            channel_len = i - start;
        }
        if (count == self->i_user) {
            user = line + start;
            user_len = i - start;
        }
        if (count == self->i_client) {
            client = line + start;
            client_len = i - start;
        }
        if (count == self->i_host) {
            host = line + start;
            host_len = i - start;
        }
        count++;
    }
    if (count == 0 && skip_blank)
        return 0; /* serve() skips whitespace-only lines */
    if (count < self->least)
        return general(self, line, n, out);
    if (self->concurrent) {
        for (size_t k = 0; k < channel_len; k++) {
            if (channel[k] < '0' || channel[k] > '9')
                return general(self, line, n, out);
        }
    }

    int64_t login_person;
    uint64_t h = hash_bytes(self->seed, user, user_len);
    if (!bytemap_get(&self->logins, h, user, user_len, &login_person)) {
        PyObject *r = call_with_bytes(self->on_login, user, user_len);
        int rc = as_int64(r, 0, INT32_MAX, &login_person, "the login callback");
        Py_XDECREF(r);
        if (rc < 0)
            return -1;
        if (bytemap_put(&self->logins, self->limit, self->seed, h, user, user_len,
                        login_person) < 0)
            return -1;
    }

    int64_t packed;
    h = hash_bytes(self->seed, client, client_len);
    if (!bytemap_get(&self->addresses, h, client, client_len, &packed)) {
        PyObject *r = call_with_bytes(self->on_address, client, client_len);
        if (r == NULL)
            return -1;
        int64_t person, segment;
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
            PyErr_SetString(PyExc_TypeError, "the address callback must return a pair");
            Py_DECREF(r);
            return -1;
        }
        int rc = as_int64(PyTuple_GET_ITEM(r, 0), 0, INT32_MAX, &person, "the address callback");
        if (rc == 0)
            rc = as_int64(PyTuple_GET_ITEM(r, 1), 0, INT32_MAX, &segment,
                          "the address callback");
        Py_DECREF(r);
        if (rc < 0)
            return -1;
        packed = (int64_t)(((uint64_t)person << 32) | (uint64_t)segment);
        if (bytemap_put(&self->addresses, self->limit, self->seed, h, client, client_len,
                        packed) < 0)
            return -1;
    }
    /* the login decides who it is; without a known login, the address does */
    uint64_t person = login_person ? (uint64_t)login_person : (uint64_t)packed >> 32;
    uint64_t key = (person << 32) | ((uint64_t)packed & 0xffffffffULL);

    PyObject *replies = listmap_get(&self->now, self->seed, key);
    if (replies == NULL) {
        PyObject *r = PyObject_CallFunction(self->on_context, "KK", (unsigned long long)person,
                                            (unsigned long long)(key & 0xffffffffULL));
        if (r == NULL)
            return -1;
        if (!PyList_CheckExact(r)) {
            PyErr_SetString(PyExc_TypeError, "the context callback must return a list");
            Py_DECREF(r);
            return -1;
        }
        int rc = listmap_put(&self->now, self->limit, self->seed, key, r);
        Py_DECREF(r);
        if (rc < 0)
            return -1;
        replies = r; /* now owned by the table */
    }
    Py_INCREF(replies); /* held across the callbacks below */

    char name[MAX_NAME];
    Py_ssize_t name_len = plain_host(host, host_len, name);
    int64_t index;
    if (name_len >= 0) {
        index = host_find(self->hosts, name, (size_t)name_len);
    }
    else {
        PyObject *r = call_with_bytes(self->on_host, host, host_len);
        int rc = as_int64(r, -1, INT32_MAX, &index, "the host callback");
        Py_XDECREF(r);
        if (rc < 0)
            goto fail;
    }
    /* no usable host (the general path says why), or a list of another size (defensive) */
    if (index < 0 || index >= PyList_GET_SIZE(replies)) {
        Py_DECREF(replies);
        return general(self, line, n, out);
    }
    PyObject *reply = PyList_GET_ITEM(replies, index);
    int rc;
    if (reply == Py_None) {
        reply = PyObject_CallFunction(self->on_reply, "On", replies, (Py_ssize_t)index);
        if (reply == NULL)
            goto fail;
        rc = self->concurrent ? out_add(out, channel, channel_len) : 0;
        if (rc == 0)
            rc = out_add_bytes(out, reply, "the reply callback");
        Py_DECREF(reply);
    }
    else {
        rc = self->concurrent ? out_add(out, channel, channel_len) : 0;
        if (rc == 0)
            rc = out_add_bytes(out, reply, "a reply list item");
    }
    Py_DECREF(replies);
    return rc;
fail:
    Py_DECREF(replies);
    return -1;
}

static PyObject *
LineAnswerer_answer(LineAnswerer *self, PyObject *args)
{
    Py_buffer buffer;
    int skip_blank = 0;
    if (!PyArg_ParseTuple(args, "y*|p", &buffer, &skip_blank))
        return NULL;
    if (self->busy) {
        PyBuffer_Release(&buffer);
        PyErr_SetString(PyExc_RuntimeError, "answer() called again from one of its callbacks");
        return NULL;
    }
    self->busy = 1;
    Out out = {NULL, 0, 0};
    const char *p = buffer.buf;
    const char *end = p + buffer.len;
    PyObject *result = NULL;
    while (p < end) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *stop = newline ? newline : end;
        if (answer_line(self, p, (size_t)(stop - p), skip_blank, &out) < 0)
            goto done;
        p = newline ? newline + 1 : end;
    }
    result = PyBytes_FromStringAndSize(out.data ? out.data : "", (Py_ssize_t)out.len);
done:
    self->busy = 0;
    PyMem_Free(out.data);
    PyBuffer_Release(&buffer);
    return result;
}

static PyObject *
LineAnswerer_clear_now(LineAnswerer *self, PyObject *Py_UNUSED(ignored))
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "clear_now() called from a callback");
        return NULL;
    }
    listmap_clear(&self->now);
    Py_RETURN_NONE;
}

static PyObject *
LineAnswerer_sizes(LineAnswerer *self, PyObject *Py_UNUSED(ignored))
{
    return Py_BuildValue("(nnn)", (Py_ssize_t)self->logins.count,
                         (Py_ssize_t)self->addresses.count, (Py_ssize_t)self->now.count);
}

static int
LineAnswerer_traverse(LineAnswerer *self, visitproc visit, void *arg)
{
    Py_VISIT(self->hosts);
    Py_VISIT(self->on_login);
    Py_VISIT(self->on_address);
    Py_VISIT(self->on_context);
    Py_VISIT(self->on_host);
    Py_VISIT(self->on_reply);
    Py_VISIT(self->on_line);
    if (self->now.slots != NULL) {
        for (size_t i = 0; i <= self->now.mask; i++)
            Py_VISIT(self->now.slots[i].value);
    }
    return 0;
}

static int
LineAnswerer_clear(LineAnswerer *self)
{
    Py_CLEAR(self->hosts);
    Py_CLEAR(self->on_login);
    Py_CLEAR(self->on_address);
    Py_CLEAR(self->on_context);
    Py_CLEAR(self->on_host);
    Py_CLEAR(self->on_reply);
    Py_CLEAR(self->on_line);
    listmap_clear(&self->now);
    return 0;
}

static void
LineAnswerer_dealloc(LineAnswerer *self)
{
    PyObject_GC_UnTrack(self);
    LineAnswerer_clear(self);
    bytemap_clear(&self->logins);
    bytemap_clear(&self->addresses);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
LineAnswerer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"hosts",   "concurrent", "user",       "client",     "host",
                             "least",   "limit",      "seed",       "on_login",   "on_address",
                             "on_context", "on_host", "on_reply",   "on_line",    NULL};
    PyObject *hosts, *callbacks[6];
    int concurrent;
    Py_ssize_t i_user, i_client, i_host, least, limit;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!pnnnnnKOOOOOO", kwlist, &HostTableType,
                                     &hosts, &concurrent, &i_user, &i_client, &i_host, &least,
                                     &limit, &seed, &callbacks[0], &callbacks[1], &callbacks[2],
                                     &callbacks[3], &callbacks[4], &callbacks[5]))
        return NULL;
    if (least < 1 || i_user < 0 || i_client < 0 || i_host < 0 || i_user >= least ||
        i_client >= least || i_host >= least || limit < 1) {
        PyErr_SetString(PyExc_ValueError, "field positions must lie within the first `least`");
        return NULL;
    }
    for (int k = 0; k < 6; k++) {
        if (!PyCallable_Check(callbacks[k])) {
            PyErr_SetString(PyExc_TypeError, "callbacks must be callable");
            return NULL;
        }
    }
    LineAnswerer *self = (LineAnswerer *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(hosts);
    self->hosts = (HostTable *)hosts;
    self->concurrent = concurrent;
    self->i_user = i_user;
    self->i_client = i_client;
    self->i_host = i_host;
    self->least = least;
    self->limit = (size_t)limit;
    self->seed = seed;
    PyObject **slots[6] = {&self->on_login, &self->on_address, &self->on_context,
                           &self->on_host,  &self->on_reply,   &self->on_line};
    for (int k = 0; k < 6; k++) {
        Py_INCREF(callbacks[k]);
        *slots[k] = callbacks[k];
    }
    return (PyObject *)self;
}

static PyMethodDef LineAnswerer_methods[] = {
    {"answer", (PyCFunction)LineAnswerer_answer, METH_VARARGS,
     "answer(data, skip_blank=False) -> bytes: the replies to every line of data (lines end "
     "with a newline; a last line without one counts too), newlines included."},
    {"clear_now", (PyCFunction)LineAnswerer_clear_now, METH_NOARGS,
     "Forget every (person, segment) -> context entry: call it at each decision boundary."},
    {"sizes", (PyCFunction)LineAnswerer_sizes, METH_NOARGS,
     "(logins, addresses, contexts) entries held now."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject LineAnswererType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "safesocial.enforce._native.hotpath.LineAnswerer",
    .tp_doc = "The per-line loop of the helper's fast path; see squid_helper.Helper.",
    .tp_basicsize = sizeof(LineAnswerer),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = LineAnswerer_new,
    .tp_dealloc = (destructor)LineAnswerer_dealloc,
    .tp_traverse = (traverseproc)LineAnswerer_traverse,
    .tp_clear = (inquiry)LineAnswerer_clear,
    .tp_methods = LineAnswerer_methods,
};

/* ---------------------------------------------------------------------------------------- */

static struct PyModuleDef hotpath_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "safesocial.enforce._native.hotpath",
    .m_doc = "The Squid helper's per-line hot path (see safesocial/enforce/hotpath.c).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_hotpath(void)
{
    if (PyType_Ready(&HostTableType) < 0 || PyType_Ready(&LineAnswererType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&hotpath_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddStringConstant(module, "BUILD", SAFESOCIAL_BUILD) < 0 ||
        PyModule_AddIntConstant(module, "ASK_PYTHON", ASK_PYTHON) < 0 ||
        PyModule_AddObjectRef(module, "HostTable", (PyObject *)&HostTableType) < 0 ||
        PyModule_AddObjectRef(module, "LineAnswerer", (PyObject *)&LineAnswererType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
