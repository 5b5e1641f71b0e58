/* Which texts of a prefilter view hold a pattern: a dense Aho-Corasick automaton
   over the view's alphabet, scanned along several texts at once (prefilter.py).

   automaton(patterns) -> an opaque automaton (a capsule) for the patterns, bytes
   of lower-case letters and digits (what a view holds between its NUL bytes), a
   letter marked with the high bit (0x80) where a word begins there: a marked
   letter is another symbol than the same letter unmarked, so that a name's words
   are found only where the text's words begin.
   texts_with(automaton, view) -> the indexes, in order, of the NUL-separated texts
   of ``view`` in which some pattern occurs.

   Why not a general library: with 10,000 requesters the automaton has 309,000
   states (75 MiB), and a scan is one dependent memory load per byte, most of them
   missing the processor's caches. Rust's aho-corasick (through
   ahocorasick_rs) spent 5 ns a byte so. Here four stretches of the view are
   scanned in one loop, so that four such loads are in flight at once, and a text
   is left as soon as a pattern is found in it: only whether it holds one matters.
   tests/test_scan.py checks the answers against Python's.

   lines(block) -> the number of lines of a block of JSON lines, or -1 where one
   may hold two values (sweep_input.block_rows).
   lines_at(block, wanted) -> {n: line n} for the line numbers ``wanted`` (from 0,
   ascending), without their line breaks (sweep_input.lines_at: the lines of the
   records the prefilter points at, found by memchr instead of a Python call per
   line before them). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Symbols: 0 the NUL between texts, 1-26 a-z, 27-36 0-9, 37-62 a-z marked, 63
   any other byte (never in a view; it leads back to the start, as it would in any
   automaton of these patterns). */
#define SYMBOLS 64
#define OTHER 63
#define MARK 0x80
/* A transition is the next state's row offset (state * SYMBOLS), flagged. */
#define MATCH 0x80000000u   /* the next state ends a pattern */
#define NEXT_TEXT 0x40000000u /* a NUL: the next text begins */
#define OFFSET 0x3fffffffu
#define LANES 4

static uint8_t symbol[256];

typedef struct {
    uint32_t *rows;
    Py_ssize_t states;
} Automaton;

static const char *CAPSULE = "dsr_app._scan.automaton";

static void automaton_free(PyObject *capsule) {
    Automaton *a = PyCapsule_GetPointer(capsule, CAPSULE);
    if (a != NULL) {
        PyMem_RawFree(a->rows);
        PyMem_RawFree(a);
    }
}

/* The trie of the patterns: each node's first child, next sibling, symbol, and
   whether a pattern ends there (node 0 the start, nobody's child or sibling). */
typedef struct {
    uint32_t *child, *sibling;
    uint8_t *symbol, *ends;
} Trie;

/* Adds the patterns to ``trie``; returns its number of nodes, -1 with an exception
   set. */
static Py_ssize_t trie_of(PyObject *patterns, Trie *trie) {
    Py_ssize_t nodes = 1, count = PySequence_Fast_GET_SIZE(patterns);
    PyObject **items = PySequence_Fast_ITEMS(patterns);
    for (Py_ssize_t i = 0; i < count; i++) {
        const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(items[i]);
        Py_ssize_t n = PyBytes_GET_SIZE(items[i]);
        if (n == 0) {
            PyErr_Format(PyExc_ValueError, "pattern %zd is empty", i);
            return -1;
        }
        uint32_t node = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            uint8_t s = symbol[p[j]];
            if (s == 0 || s == OTHER) {
                PyErr_Format(PyExc_ValueError,
                             "pattern %zd holds byte %d: only a-z (marked or not) "
                             "and 0-9", i, p[j]);
                return -1;
            }
            uint32_t next = trie->child[node];
            while (next && trie->symbol[next] != s)
                next = trie->sibling[next];
            if (next == 0) {
                next = (uint32_t)nodes++;
                trie->symbol[next] = s;
                trie->sibling[next] = trie->child[node];
                trie->child[node] = next;
            }
            node = next;
        }
        trie->ends[node] = 1;
    }
    return nodes;
}

/* The trie made a full automaton, its states numbered breadth first: a state's
   row is its failure state's (the longest proper suffix's, numbered before it)
   with its own children written over it. A transition is a flagged row offset
   (the scan's form), MATCH where the next state ends a pattern or its failure
   state does. In that order the states near the start, which most bytes lead to,
   lie together at the table's start (a scan spent a sixth less time so than with
   the trie's order, the caches being cold). */
static uint32_t *complete(const Trie *trie, Py_ssize_t states) {
    uint32_t *node_of = PyMem_RawMalloc(states * sizeof(uint32_t));
    uint32_t *fail = PyMem_RawMalloc(states * sizeof(uint32_t));
    uint8_t *ends = PyMem_RawMalloc(states);
    uint32_t *table = PyMem_RawMalloc((size_t)states * SYMBOLS * sizeof(uint32_t));
    if (node_of == NULL || fail == NULL || ends == NULL || table == NULL) {
        PyMem_RawFree(table);
        table = NULL;
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t tail = 1;
    node_of[0] = fail[0] = ends[0] = 0;
    for (Py_ssize_t n = 0; n < states; n++) {
        uint32_t *row = &table[n * SYMBOLS];
        const uint32_t *back = &table[(Py_ssize_t)fail[n] * SYMBOLS];
        if (n == 0) {
            memset(row, 0, SYMBOLS * sizeof(uint32_t));
            row[0] = NEXT_TEXT;
        } else {
            memcpy(row, back, SYMBOLS * sizeof(uint32_t));
        }
        for (uint32_t c = trie->child[node_of[n]]; c; c = trie->sibling[c]) {
            uint8_t s = trie->symbol[c];
            Py_ssize_t next = tail++;
            node_of[next] = c;
            fail[next] = n ? (back[s] & OFFSET) / SYMBOLS : 0;
            ends[next] = trie->ends[c] | ends[fail[next]];
            row[s] = (uint32_t)(next * SYMBOLS) | (ends[next] ? MATCH : 0);
        }
    }
done:
    PyMem_RawFree(node_of);
    PyMem_RawFree(fail);
    PyMem_RawFree(ends);
    return table;
}

static PyObject *automaton(PyObject *module, PyObject *arg) {
    PyObject *patterns = PySequence_Fast(arg, "patterns must be a sequence");
    if (patterns == NULL)
        return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(patterns), bytes = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(patterns, i);
        if (!PyBytes_Check(item)) {
            Py_DECREF(patterns);
            return PyErr_Format(PyExc_TypeError, "pattern %zd is not bytes", i);
        }
        bytes += PyBytes_GET_SIZE(item);
        if (bytes >= (Py_ssize_t)(OFFSET / SYMBOLS)) { /* states: one per byte */
            Py_DECREF(patterns);
            return PyErr_Format(PyExc_ValueError, "%zd pattern bytes: too many", bytes);
        }
    }
    Py_ssize_t most = bytes + 1; /* states: at most one per pattern byte */
    Automaton *a = PyMem_RawCalloc(1, sizeof(Automaton));
    Trie trie = {
        PyMem_RawCalloc(most, sizeof(uint32_t)),
        PyMem_RawMalloc(most * sizeof(uint32_t)),
        PyMem_RawMalloc(most),
        PyMem_RawCalloc(most, 1),
    };
    Py_ssize_t states = -1;
    if (a == NULL || !trie.child || !trie.sibling || !trie.symbol || !trie.ends)
        PyErr_NoMemory();
    else
        states = trie_of(patterns, &trie);
    Py_DECREF(patterns);
    uint32_t *table = states < 0 ? NULL : complete(&trie, states);
    PyMem_RawFree(trie.child);
    PyMem_RawFree(trie.sibling);
    PyMem_RawFree(trie.symbol);
    PyMem_RawFree(trie.ends);
    if (table == NULL) {
        PyMem_RawFree(a);
        return NULL;
    }
    a->rows = table;
    a->states = states;
    PyObject *capsule = PyCapsule_New(a, CAPSULE, automaton_free);
    if (capsule == NULL) {
        PyMem_RawFree(table);
        PyMem_RawFree(a);
    }
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

/* One byte of a lane. A match: the text is noted and the rest of it skipped (its
   NUL is read next). Returns -1 when memory ran out. */
static inline int step(const uint32_t *rows, Lane *lane, Found *found) {
    uint32_t next = rows[lane->state + symbol[*lane->at++]];
    if (next & (MATCH | NEXT_TEXT)) {
        if (next & NEXT_TEXT) {
            lane->text++;
        } else {
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
    Py_BEGIN_ALLOW_THREADS
    while (!failed && all_open(lanes)) {
        for (int k = 0; k < LANES; k++)
            failed |= step(rows, &lanes[k], &found[k]);
    }
    for (int k = 0; k < LANES; k++)
        while (!failed && lanes[k].at < lanes[k].end)
            failed |= step(rows, &lanes[k], &found[k]);
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

static PyObject *lines_at(PyObject *module, PyObject *args) {
    Py_buffer block;
    PyObject *wanted;
    if (!PyArg_ParseTuple(args, "y*O:lines_at", &block, &wanted))
        return NULL;
    PyObject *numbers = PySequence_Fast(wanted, "wanted must be a sequence");
    PyObject *found = numbers ? PyDict_New() : NULL;
    const char *at = block.buf, *end = at + block.len;
    Py_ssize_t number = 0;
    for (Py_ssize_t i = 0; found && i < PySequence_Fast_GET_SIZE(numbers); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(numbers, i);
        Py_ssize_t n = PyNumber_AsSsize_t(item, PyExc_OverflowError);
        if (n == -1 && PyErr_Occurred()) {
            Py_CLEAR(found);
            break;
        }
        if (n < number) {
            PyErr_SetString(PyExc_ValueError, "line numbers must ascend");
            Py_CLEAR(found);
            break;
        }
        for (; number < n; number++) {
            const char *nl = memchr(at, '\n', end - at);
            if (nl == NULL)
                break;
            at = nl + 1;
        }
        if (number < n) {
            PyErr_Format(PyExc_ValueError, "no line %zd", n);
            Py_CLEAR(found);
            break;
        }
        const char *nl = memchr(at, '\n', end - at);
        PyObject *line = PyBytes_FromStringAndSize(at, (nl ? nl : end) - at);
        if (line == NULL || PyDict_SetItem(found, item, line) < 0)
            Py_CLEAR(found);
        Py_XDECREF(line);
    }
    Py_XDECREF(numbers);
    PyBuffer_Release(&block);
    return found;
}

static PyMethodDef methods[] = {
    {"automaton", automaton, METH_O,
     "automaton(patterns) -> an automaton of the patterns (bytes of a-z, 0-9; a-z "
     "marked with 0x80 where a word begins)."},
    {"texts_with", texts_with, METH_VARARGS,
     "texts_with(automaton, view) -> indexes of the NUL-separated texts of view "
     "that hold a pattern, in order."},
    {"lines", lines, METH_O,
     "lines(block) -> the lines of a block of JSON lines; -1 if one may hold two "
     "values side by side."},
    {"lines_at", lines_at, METH_VARARGS,
     "lines_at(block, wanted) -> {n: line n} for the ascending line numbers "
     "wanted, without their line breaks."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    for (int c = 0; c < 256; c++)
        symbol[c] = OTHER;
    symbol[0] = 0;
    for (int c = 'a'; c <= 'z'; c++) {
        symbol[c] = (uint8_t)(1 + c - 'a');
        symbol[c | MARK] = (uint8_t)(37 + c - 'a');
    }
    for (int c = '0'; c <= '9'; c++)
        symbol[c] = (uint8_t)(27 + c - '0');
    return PyModule_Create(&module);
}
