/* Which texts of a prefilter view hold a pattern: a dense Aho-Corasick automaton
   over the view's alphabet, scanned along several texts at once (prefilter.py).

   automaton(patterns, starts=b"") -> an opaque automaton (a capsule) for the
   patterns, bytes of lower-case letters and digits (what a view holds between its
   NUL bytes); ``starts``: a byte per pattern, non-zero for one that counts only
   where it begins a word (on a byte that the view marks with 0x80).
   texts_with(automaton, view) -> the indexes, in order, of the NUL-separated texts
   of ``view`` in which some pattern occurs (a view's bytes are read without their
   mark, 0x80, which only says where a word begins).

   Why not a general library: with 10,000 requesters the automaton has 210,000
   states (32 MB), and a scan is one dependent memory load per byte, most of them
   missing the processor's caches. Rust's aho-corasick (through
   ahocorasick_rs) spent 5 ns a byte so. Here four stretches of the view are
   scanned in one loop, so that four such loads are in flight at once, and a text
   is left as soon as a pattern is found in it: only whether it holds one matters.
   tests/test_scan.py checks the answers against Python's.

   lines(block) -> the number of lines of a block of JSON lines, or -1 where one
   may hold two values (sweep_input.block_rows). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Symbols: 0 the NUL between texts, 1-26 a-z, 27-36 0-9 (marked or not), 37 any
   other byte (never in a view; it leads back to the start, as it would in any
   automaton of these patterns). */
#define SYMBOLS 38
#define OTHER 37
#define WORD_START 0x80 /* a view's mark on the first letter or digit of a word */
/* A transition is the next state's row offset (state * SYMBOLS), flagged. */
#define MATCH 0x80000000u   /* the next state ends a pattern */
#define NEXT_TEXT 0x40000000u /* a NUL: the next text begins */
#define AT_START 0x20000000u /* it ends only patterns that must begin a word */
#define OFFSET 0x1fffffffu
#define LANES 4

static uint8_t symbol[256];

/* For the states that end patterns which must begin a word (in table order):
   the longest such pattern ending there (``starting[state]``: that state, or the
   next one down its failure links, 0 for none), each state's failure state and
   its depth (the length of what leads to it). */
typedef struct {
    uint32_t *starting, *fail, *depth;
} Starts;

typedef struct {
    uint32_t *rows;
    Py_ssize_t states;
    Starts starts; /* all NULL when no pattern must begin a word */
} Automaton;

static const char *CAPSULE = "dsr_app._scan.automaton";

static void automaton_free_struct(Automaton *a) {
    PyMem_RawFree(a->rows);
    PyMem_RawFree(a->starts.starting);
    PyMem_RawFree(a->starts.fail);
    PyMem_RawFree(a->starts.depth);
    PyMem_RawFree(a);
}

static void automaton_free(PyObject *capsule) {
    Automaton *a = PyCapsule_GetPointer(capsule, CAPSULE);
    if (a != NULL)
        automaton_free_struct(a);
}

/* The trie of the patterns in rows[state * SYMBOLS + symbol] (0: no child; the
   start state 0 is nobody's child), ends[state] set where a pattern ends: ANYWHERE
   for one that counts wherever it is, AT_WORD for one that must begin a word.
   Returns the number of states, -1 with an exception set. */
#define ANYWHERE 1
#define AT_WORD 2
static Py_ssize_t trie(PyObject *patterns, const char *starts, uint32_t *rows,
                       uint8_t *ends) {
    Py_ssize_t states = 1, count = PySequence_Fast_GET_SIZE(patterns);
    PyObject **items = PySequence_Fast_ITEMS(patterns);
    for (Py_ssize_t i = 0; i < count; i++) {
        const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(items[i]);
        Py_ssize_t n = PyBytes_GET_SIZE(items[i]);
        if (n == 0) {
            PyErr_Format(PyExc_ValueError, "pattern %zd is empty", i);
            return -1;
        }
        uint32_t state = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            uint8_t s = symbol[p[j]];
            if (s == 0 || s == OTHER) {
                PyErr_Format(PyExc_ValueError,
                             "pattern %zd holds byte %d: only a-z and 0-9", i, p[j]);
                return -1;
            }
            uint32_t *next = &rows[(Py_ssize_t)state * SYMBOLS + s];
            if (*next == 0)
                *next = (uint32_t)states++;
            state = *next;
        }
        ends[state] |= starts != NULL && starts[i] ? AT_WORD : ANYWHERE;
    }
    return states;
}

/* The trie made a full automaton: every missing child becomes the transition of
   the longest proper suffix's state (its failure state), breadth first, so that
   the failure state's row is complete when it is read. The table is written in
   that order, with flagged offsets (the scan's form): the states near the start,
   which most bytes lead to, lie together at the table's start (a scan spent a
   sixth less time so than with the trie's order, the caches being cold). A state
   that ends a pattern that counts anywhere is entered with MATCH; one that ends
   only patterns that must begin a word, with AT_START, and ``starts`` (when there
   are such patterns) tells which of them and how long they are. */
static uint32_t *complete(uint32_t *rows, uint8_t *ends, Py_ssize_t states,
                          Starts *starts) {
    uint32_t *fail = PyMem_RawMalloc(states * sizeof(uint32_t));
    uint32_t *queue = PyMem_RawMalloc(states * sizeof(uint32_t));
    uint32_t *depth = PyMem_RawMalloc(states * sizeof(uint32_t));
    uint32_t *table = NULL;
    int any_start = 0;
    if (fail == NULL || queue == NULL || depth == NULL)
        goto done;
    Py_ssize_t head = 0, tail = 0;
    fail[0] = depth[0] = 0;
    queue[tail++] = 0;
    while (head < tail) {
        uint32_t state = queue[head++];
        uint32_t *row = &rows[(Py_ssize_t)state * SYMBOLS];
        const uint32_t *back = &rows[(Py_ssize_t)fail[state] * SYMBOLS];
        for (int s = 1; s < OTHER; s++) {
            if (row[s]) {
                uint32_t child = row[s];
                fail[child] = state ? back[s] : 0;
                depth[child] = depth[state] + 1;
                any_start |= ends[child] & AT_WORD;
                /* (AT_WORD is kept for the state's own pattern only: the others
                   down its failure links are found through ``starting``) */
                ends[child] |= ends[fail[child]] & ANYWHERE;
                queue[tail++] = child;
            } else if (state) {
                row[s] = back[s];
            }
        }
    }
    table = PyMem_RawMalloc((size_t)states * SYMBOLS * sizeof(uint32_t));
    if (table == NULL)
        goto done;
    if (any_start) {
        starts->starting = PyMem_RawCalloc(states, sizeof(uint32_t));
        starts->fail = PyMem_RawMalloc(states * sizeof(uint32_t));
        starts->depth = PyMem_RawMalloc(states * sizeof(uint32_t));
        if (starts->starting == NULL || starts->fail == NULL || starts->depth == NULL)
            goto done;
    }
    uint32_t *order = PyMem_RawMalloc(states * sizeof(uint32_t));
    if (order == NULL)
        goto done;
    for (Py_ssize_t n = 0; n < states; n++)
        order[queue[n]] = (uint32_t)n;
    if (any_start) {
        /* in table order; breadth first, a state's failure state comes before it */
        for (Py_ssize_t n = 1; n < states; n++) {
            uint32_t state = queue[n], down = order[fail[state]];
            starts->fail[n] = down;
            starts->depth[n] = depth[state];
            starts->starting[n] =
                ends[state] & AT_WORD ? (uint32_t)n : starts->starting[down];
        }
        starts->fail[0] = starts->depth[0] = starts->starting[0] = 0;
    }
    for (Py_ssize_t n = 0; n < states; n++) {
        const uint32_t *row = &rows[(Py_ssize_t)queue[n] * SYMBOLS];
        uint32_t *out = &table[n * SYMBOLS];
        for (int s = 1; s < OTHER; s++) {
            uint32_t next = order[row[s]];
            uint32_t flag = ends[row[s]] & ANYWHERE ? MATCH
                            : any_start && starts->starting[next] ? AT_START
                                                                  : 0;
            out[s] = next * SYMBOLS | flag;
        }
        out[0] = NEXT_TEXT;
        out[OTHER] = 0;
    }
    PyMem_RawFree(order);
    PyMem_RawFree(depth);
    depth = NULL;
    PyMem_RawFree(fail);
    PyMem_RawFree(queue);
    return table;
done:
    PyMem_RawFree(fail);
    PyMem_RawFree(queue);
    PyMem_RawFree(depth);
    PyMem_RawFree(table);
    PyMem_RawFree(starts->starting);
    PyMem_RawFree(starts->fail);
    PyMem_RawFree(starts->depth);
    *starts = (Starts){NULL, NULL, NULL};
    PyErr_NoMemory();
    return NULL;
}

static PyObject *automaton(PyObject *module, PyObject *args) {
    PyObject *given;
    Py_buffer starts = {0};
    if (!PyArg_ParseTuple(args, "O|y*:automaton", &given, &starts))
        return NULL;
    PyObject *patterns = PySequence_Fast(given, "patterns must be a sequence");
    if (patterns == NULL) {
        PyBuffer_Release(&starts);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(patterns), bytes = 0;
    if (starts.buf != NULL && starts.len != count) {
        Py_DECREF(patterns);
        PyBuffer_Release(&starts);
        return PyErr_Format(PyExc_ValueError,
                            "%zd patterns but %zd starts", count, starts.len);
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(patterns, i);
        if (!PyBytes_Check(item)) {
            Py_DECREF(patterns);
            PyBuffer_Release(&starts);
            return PyErr_Format(PyExc_TypeError, "pattern %zd is not bytes", i);
        }
        bytes += PyBytes_GET_SIZE(item);
        if (bytes >= (Py_ssize_t)(OFFSET / SYMBOLS)) { /* states: one per byte */
            Py_DECREF(patterns);
            PyBuffer_Release(&starts);
            return PyErr_Format(PyExc_ValueError, "%zd pattern bytes: too many", bytes);
        }
    }
    Py_ssize_t most = bytes + 1; /* states: at most one per pattern byte */
    Automaton *a = PyMem_RawCalloc(1, sizeof(Automaton));
    uint8_t *ends = PyMem_RawCalloc(most, 1);
    uint32_t *rows = PyMem_RawCalloc(most * SYMBOLS, sizeof(uint32_t));
    Py_ssize_t states = -1;
    if (a == NULL || ends == NULL || rows == NULL)
        PyErr_NoMemory();
    else
        states = trie(patterns, starts.buf, rows, ends);
    Py_DECREF(patterns);
    PyBuffer_Release(&starts);
    uint32_t *table = states < 0 ? NULL : complete(rows, ends, states, &a->starts);
    PyMem_RawFree(ends);
    PyMem_RawFree(rows);
    if (table == NULL) {
        PyMem_RawFree(a);
        return NULL;
    }
    a->rows = table;
    a->states = states;
    PyObject *capsule = PyCapsule_New(a, CAPSULE, automaton_free);
    if (capsule == NULL)
        automaton_free_struct(a);
    return capsule;
}

typedef struct {
    const uint8_t *at, *end;
    Py_ssize_t text;
    uint32_t state;
} Lane;

typedef struct {
    Py_ssize_t *items;
    Py_ssize_t length, size;
} Found;

static int found_add(Found *found, Py_ssize_t text) {
    if (found->length == found->size) {
        Py_ssize_t size = found->size ? found->size * 2 : 64;
        Py_ssize_t *items = PyMem_RawRealloc(found->items, size * sizeof(Py_ssize_t));
        if (items == NULL)
            return -1;
        found->items = items;
        found->size = size;
    }
    found->items[found->length++] = text;
    return 0;
}

/* Whether a pattern that must begin a word ends at ``last`` (the byte just read)
   in ``state`` (a row offset) and begins there on a marked byte. */
static int begins_a_word(const Starts *starts, uint32_t state, const uint8_t *last) {
    uint32_t n = starts->starting[state / SYMBOLS];
    while (n) {
        if (last[1 - (Py_ssize_t)starts->depth[n]] & WORD_START)
            return 1;
        n = starts->starting[starts->fail[n]];
    }
    return 0;
}

/* One byte of a lane. A match: the text is noted and the rest of it skipped (its
   NUL is read next). Returns -1 when memory ran out. */
static inline int step(const uint32_t *rows, const Starts *starts, Lane *lane,
                       Found *found) {
    uint32_t next = rows[lane->state + symbol[*lane->at++]];
    if (next & (MATCH | NEXT_TEXT | AT_START)) {
        if (next & NEXT_TEXT) {
            lane->text++;
        } else if (next & MATCH ||
                   begins_a_word(starts, next & OFFSET, lane->at - 1)) {
            if (found_add(found, lane->text) < 0)
                return -1;
            const uint8_t *nul = memchr(lane->at, 0, lane->end - lane->at);
            lane->at = nul ? nul : lane->end;
            next = 0;
        }
    }
    lane->state = next & OFFSET;
    return 0;
}

static inline int all_open(const Lane *lanes) {
    int open = 1;
    for (int k = 0; k < LANES; k++)
        open &= lanes[k].at < lanes[k].end;
    return open;
}

static PyObject *texts_with(PyObject *module, PyObject *args) {
    PyObject *capsule;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Oy*", &capsule, &view))
        return NULL;
    Automaton *a = PyCapsule_GetPointer(capsule, CAPSULE);
    if (a == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    const uint8_t *data = view.buf, *end = data + view.len;
    /* Lanes of about equal length, each beginning after a NUL, with the index of
       the text it begins with. */
    Lane lanes[LANES];
    Found found[LANES] = {{0}};
    const uint8_t *at = data;
    Py_ssize_t text = 0;
    for (int k = 0; k < LANES; k++) {
        lanes[k] = (Lane){at, end, text, 0};
        if (k > 0)
            lanes[k - 1].end = at;
        const uint8_t *goal = data + view.len * (k + 1) / LANES;
        while (at < goal) {
            const uint8_t *nul = memchr(at, 0, end - at);
            if (nul == NULL) {
                at = end;
                break;
            }
            at = nul + 1;
            text++;
        }
    }
    int failed = 0;
    const uint32_t *rows = a->rows;
    const Starts starts = a->starts;
    Py_BEGIN_ALLOW_THREADS
    while (!failed && all_open(lanes)) {
        for (int k = 0; k < LANES; k++)
            failed |= step(rows, &starts, &lanes[k], &found[k]);
    }
    for (int k = 0; k < LANES; k++)
        while (!failed && lanes[k].at < lanes[k].end)
            failed |= step(rows, &starts, &lanes[k], &found[k]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyObject *result = failed ? PyErr_NoMemory() : PyList_New(0);
    for (int k = 0; k < LANES; k++) {
        for (Py_ssize_t i = 0; result != NULL && i < found[k].length; i++) {
            PyObject *index = PyLong_FromSsize_t(found[k].items[i]);
            if (index == NULL || PyList_Append(result, index) < 0)
                Py_CLEAR(result);
            Py_XDECREF(index);
        }
        PyMem_RawFree(found[k].items);
    }
    return result;
}

/* The lines of a block of JSON lines, -1 if a "}" is followed on its line by
   nothing but spaces and a "{": two values side by side (or what looks so inside
   a string). sweep_input.block_rows: one pass instead of a count and a regex. */
static PyObject *lines(PyObject *module, PyObject *arg) {
    Py_buffer block;
    if (PyObject_GetBuffer(arg, &block, PyBUF_SIMPLE) < 0)
        return NULL;
    const uint8_t *at = block.buf, *end = at + block.len;
    Py_ssize_t count = block.len && end[-1] != '\n';
    Py_BEGIN_ALLOW_THREADS
    const uint8_t *brace = memchr(at, '}', end - at);
    const uint8_t *nl = memchr(at, '\n', end - at);
    while (nl != NULL || brace != NULL) {
        if (brace == NULL || (nl != NULL && nl < brace)) {
            count++;
            nl = memchr(nl + 1, '\n', end - nl - 1);
            continue;
        }
        const uint8_t *next = brace + 1;
        while (next < end && (*next == ' ' || *next == '\t' || *next == '\r'))
            next++;
        if (next < end && *next == '{') {
            count = -1;
            break;
        }
        brace = memchr(next, '}', end - next);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&block);
    return PyLong_FromSsize_t(count);
}

static PyMethodDef methods[] = {
    {"automaton", automaton, METH_VARARGS,
     "automaton(patterns, starts=b'') -> an automaton of the patterns (bytes of "
     "a-z, 0-9); starts: a byte per pattern, non-zero where it must begin a word."},
    {"texts_with", texts_with, METH_VARARGS,
     "texts_with(automaton, view) -> indexes of the NUL-separated texts of view "
     "that hold a pattern, in order."},
    {"lines", lines, METH_O,
     "lines(block) -> the lines of a block of JSON lines; -1 if one may hold two "
     "values side by side."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    for (int c = 0; c < 256; c++)
        symbol[c] = OTHER;
    symbol[0] = 0;
    for (int c = 'a'; c <= 'z'; c++)
        symbol[c] = symbol[c | WORD_START] = (uint8_t)(1 + c - 'a');
    for (int c = '0'; c <= '9'; c++)
        symbol[c] = symbol[c | WORD_START] = (uint8_t)(27 + c - '0');
    return PyModule_Create(&module);
}
