/* The prefilter's view of a batch of texts, in one pass (prefilter.py).

   squash(texts, fold_char) -> bytes: each text as prefilter.view gives it (folded,
   letters and digits only, a letter that begins a word marked with the high bit
   0x80), the texts joined by NUL bytes. fold is a function of each character alone
   (identifiers.fold: unidecode and lower-casing work one character at a time, and
   the one lower-casing that reads its neighbours, the final sigma, folds to "s"
   either way), so a character's fold is worked out once, by calling
   fold_char(code point) -> bytes (its fold with every byte but letters and digits a
   space: identifiers.spaced_char), and kept for the life of the process. A letter
   begins a word when the byte before it in fold's output is neither a letter nor
   a digit (or the text begins there): a character whose fold is empty (a combining
   accent) is no break. tests/test_prefilter.py checks the result against the
   Python view for every code point.

   spaced(text, fold_char) -> str: fold(text) with every character but letters and
   digits a space, for the full-text index (identifiers.index_text), from the same
   folds; tests/test_identifiers.py checks it likewise. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define BLOCKS (0x110000 >> 8)

/* A view of texts, character by character: what each ASCII character becomes (0:
   dropped), and the fold of every other code point seen so far (letters and
   digits, spaces for all else), asked of Python once and kept, by blocks of 256. */
typedef struct {
    unsigned char ascii[128];
    PyObject ***blocks; /* the folds, shared by both tables */
} Table;

/* The folds of the code points seen so far (fold_char's answers). */
static PyObject **folds[BLOCKS];

/* squashed: the prefilter's, lower-cased letters and digits kept, all else
   dropped (a break before the next letter or digit). spaced: the full-text
   index's (spaced()), lower-cased letters and digits kept, all else a space, which
   leaves fold's words as they are. */
static Table squashed = {{0}, folds}, spaced_table = {{0}, folds};

#define WORD_START 0x80 /* on a letter that begins a word, in a view */

/* A kept byte (0: dropped) as written after a break (``brk``: WORD_START) or not:
   a letter (a-z: 0x61-0x7a, the only bytes that gain 0x80 from adding 0x1f) takes
   the mark. And the break after it: WORD_START for a dropped byte, else 0. Both
   without a branch or a second table (the view is written a byte at a time). */
static inline unsigned char put(unsigned char k, unsigned brk) {
    return (unsigned char)(k | (brk & (k + 0x1fu)));
}
static inline unsigned after(unsigned char k, unsigned mark) {
    return (unsigned)(((int)k - 1) >> 1) & mark;
}

typedef struct {
    char *data;
    Py_ssize_t length, size;
    PyObject *bytes;
} Out;

static int grow(Out *out, Py_ssize_t more) {
    Py_ssize_t size = out->size;
    while (out->length + more > size)
        size *= 2;
    if (size != out->size) {
        if (_PyBytes_Resize(&out->bytes, size) < 0)
            return -1;
        out->size = size;
        out->data = PyBytes_AS_STRING(out->bytes);
    }
    return 0;
}

static PyObject *fold_of(Table *table, Py_UCS4 c, PyObject *fold_char) {
    PyObject **block = table->blocks[c >> 8];
    if (block == NULL) {
        block = PyMem_Calloc(256, sizeof(PyObject *));
        if (block == NULL)
            return PyErr_NoMemory();
        table->blocks[c >> 8] = block;
    }
    PyObject *found = block[c & 0xff];
    if (found == NULL) {
        found = PyObject_CallFunction(fold_char, "I", (unsigned int)c);
        if (found == NULL)
            return NULL;
        if (!PyBytes_Check(found)) {
            Py_DECREF(found);
            PyErr_SetString(PyExc_TypeError, "fold_char must return bytes");
            return NULL;
        }
        block[c & 0xff] = found; /* kept for good: at most one per code point */
    }
    return found;
}

/* One character's fold (letters, digits and spaces) written as the table writes
   ASCII: spaces dropped where the table drops them, the break carried in *brk. */
static inline char *put_fold(char *o, const char *f, Py_ssize_t m,
                             const Table *table, unsigned *brk, unsigned mark) {
    for (Py_ssize_t j = 0; j < m; j++) {
        unsigned char k = table->ascii[(unsigned char)f[j] & 0x7f];
        *o = (char)put(k, *brk);
        o += (k != 0);
        *brk = after(k, mark);
    }
    return o;
}

/* The characters of one kind of str (1, 2 or 4 bytes a character); room for one
   byte a character is kept ahead, so that an ASCII character is one table look-up
   and one store. ``mark``: WORD_START on a letter after anything but a letter or
   digit (the squashed view), 0 for spaced's; ``brk`` carries the break from one
   character to the next (WORD_START at a text's start). */
#define SQUASH_KIND(NAME, TYPE)                                                 \
    static int NAME(Out *out, const TYPE *s, Py_ssize_t n, Table *table,       \
                    PyObject *fold_char, unsigned mark) {                       \
        char *o = out->data + out->length;                                      \
        unsigned brk = mark;                                                    \
        for (Py_ssize_t i = 0; i < n; i++) {                                    \
            Py_UCS4 c = s[i];                                                   \
            if (c < 128) {                                                      \
                unsigned char k = table->ascii[c];                              \
                *o = (char)put(k, brk);                                         \
                o += (k != 0);                                                  \
                brk = after(k, mark);                                           \
                continue;                                                       \
            }                                                                   \
            out->length = o - out->data;                                        \
            PyObject *f = fold_of(table, c, fold_char);                         \
            if (f == NULL)                                                      \
                return -1;                                                      \
            Py_ssize_t m = PyBytes_GET_SIZE(f);                                 \
            if (grow(out, m + n - i) < 0)                                       \
                return -1;                                                      \
            o = out->data + out->length;                                        \
            o = put_fold(o, PyBytes_AS_STRING(f), m, table, &brk, mark);        \
        }                                                                       \
        out->length = o - out->data;                                            \
        return 0;                                                               \
    }

SQUASH_KIND(squash_ucs1, Py_UCS1)
SQUASH_KIND(squash_ucs2, Py_UCS2)
SQUASH_KIND(squash_ucs4, Py_UCS4)

static int squash_text(Out *out, PyObject *text, Table *table,
                       PyObject *fold_char) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const void *data = PyUnicode_DATA(text);
    unsigned mark = table == &squashed ? WORD_START : 0;
    if (grow(out, n) < 0)
        return -1;
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        return squash_ucs1(out, data, n, table, fold_char, mark);
    case PyUnicode_2BYTE_KIND:
        return squash_ucs2(out, data, n, table, fold_char, mark);
    default:
        return squash_ucs4(out, data, n, table, fold_char, mark);
    }
}

static PyObject *squash(PyObject *module, PyObject *args) {
    PyObject *texts, *fold_char;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!O:squash", &PyList_Type, &texts, &fold_char))
        return NULL;
    Out out = {NULL, 0, 1024, NULL};
    out.bytes = PyBytes_FromStringAndSize(NULL, out.size);
    if (out.bytes == NULL)
        return NULL;
    out.data = PyBytes_AS_STRING(out.bytes);
    for (Py_ssize_t t = 0; t < PyList_GET_SIZE(texts); t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto error;
        }
        if (t) {
            if (grow(&out, 1) < 0)
                goto error;
            out.data[out.length++] = '\0';
        }
        Py_INCREF(text); /* fold_char may run any code */
        int failed = squash_text(&out, text, &squashed, fold_char);
        Py_DECREF(text);
        if (failed)
            goto error;
    }
    if (_PyBytes_Resize(&out.bytes, out.length) < 0)
        return NULL;
    return out.bytes;
error:
    Py_XDECREF(out.bytes);
    return NULL;
}

/* One JSON string as written ("...", escapes, UTF-8): its characters as
   squash_text takes them. 1: squashed; 0: not a string msgspec would decode
   (a value of another type, a bad escape or surrogate, bytes that are not
   UTF-8 as Python's strict decoder reads it); -1: error. */
static int hex4(const unsigned char *s, Py_UCS4 *value) {
    Py_UCS4 v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return 0;
    }
    *value = v;
    return 1;
}

static int squash_json_string(Out *out, const unsigned char *s, Py_ssize_t n,
                              PyObject *fold_char) {
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    Py_ssize_t i = 1, end = n - 1;
    if (grow(out, end - i) < 0)
        return -1;
    char *o = out->data + out->length;
    unsigned brk = WORD_START;
    while (i < end) {
        Py_UCS4 c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '\\' && c != '"') {
            unsigned char k = squashed.ascii[c];
            *o = (char)put(k, brk);
            o += (k != 0);
            brk = after(k, WORD_START);
            i++;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= end)
                return 0;
            unsigned char e = s[i + 1];
            if (e == 'u') {
                if (i + 6 > end || !hex4(s + i + 2, &c))
                    return 0;
                i += 6;
                if (c >= 0xDC00 && c <= 0xDFFF)
                    return 0; /* a low surrogate alone */
                if (c >= 0xD800 && c <= 0xDBFF) {
                    Py_UCS4 low;
                    if (i + 6 > end || s[i] != '\\' || s[i + 1] != 'u' ||
                        !hex4(s + i + 2, &low) || low < 0xDC00 || low > 0xDFFF)
                        return 0;
                    c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                }
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' ||
                       e == 'n' || e == 'r' || e == 't') {
                i += 2; /* none of them a letter or digit: a break */
                brk = WORD_START;
                continue;
            } else {
                return 0;
            }
        } else if (c < 0x80) {
            return 0; /* a control character or a bare quote */
        } else {
            /* UTF-8, the well-formed sequences of Unicode's table 3-7 only */
            unsigned char lo = 0x80, hi = 0xBF;
            int more;
            if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
                c &= 0x1F;
            } else if (c >= 0xE0 && c <= 0xEF) {
                more = 2;
                if (c == 0xE0)
                    lo = 0xA0;
                else if (c == 0xED)
                    hi = 0x9F;
                c &= 0x0F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                more = 3;
                if (c == 0xF0)
                    lo = 0x90;
                else if (c == 0xF4)
                    hi = 0x8F;
                c &= 0x07;
            } else {
                return 0;
            }
            for (int k = 1; k <= more; k++) {
                if (i + k >= end)
                    return 0;
                unsigned char b = s[i + k];
                if (b < lo || b > hi)
                    return 0;
                lo = 0x80, hi = 0xBF;
                c = (c << 6) | (b & 0x3F);
            }
            i += more + 1;
        }
        if (c < 0x80) { /* from an escape */
            unsigned char k = squashed.ascii[c];
            *o = (char)put(k, brk);
            o += (k != 0);
            brk = after(k, WORD_START);
            continue;
        }
        out->length = o - out->data;
        PyObject *f = fold_of(&squashed, c, fold_char);
        if (f == NULL)
            return -1;
        Py_ssize_t m = PyBytes_GET_SIZE(f);
        if (grow(out, m + end - i) < 0)
            return -1;
        o = out->data + out->length;
        o = put_fold(o, PyBytes_AS_STRING(f), m, &squashed, &brk, WORD_START);
    }
    out->length = o - out->data;
    return 1;
}

static PyObject *squash_json(PyObject *module, PyObject *args) {
    PyObject *values, *fold_char;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!O:squash_json", &PyList_Type, &values,
                          &fold_char))
        return NULL;
    Out out = {NULL, 0, 1024, NULL};
    out.bytes = PyBytes_FromStringAndSize(NULL, out.size);
    if (out.bytes == NULL)
        return NULL;
    out.data = PyBytes_AS_STRING(out.bytes);
    for (Py_ssize_t t = 0; t < PyList_GET_SIZE(values); t++) {
        PyObject *value = PyList_GET_ITEM(values, t);
        Py_buffer view;
        if (t) {
            if (grow(&out, 1) < 0)
                goto error;
            out.data[out.length++] = '\0';
        }
        Py_INCREF(value); /* fold_char may run any code */
        if (PyObject_GetBuffer(value, &view, PyBUF_SIMPLE) < 0) {
            Py_DECREF(value);
            goto error;
        }
        int done = squash_json_string(&out, view.buf, view.len, fold_char);
        PyBuffer_Release(&view);
        Py_DECREF(value);
        if (done < 0)
            goto error;
        if (done == 0) {
            Py_DECREF(out.bytes);
            Py_RETURN_NONE;
        }
    }
    if (_PyBytes_Resize(&out.bytes, out.length) < 0)
        return NULL;
    return out.bytes;
error:
    Py_XDECREF(out.bytes);
    return NULL;
}

/* spaced(text, fold_char) -> str: fold(text) with every character but letters and
   digits a space, for the full-text index (identifiers.index_text); fold_char(code
   point) -> bytes gives a character's view. */
static PyObject *spaced(PyObject *module, PyObject *args) {
    PyObject *text, *fold_char;
    (void)module;
    if (!PyArg_ParseTuple(args, "UO:spaced", &text, &fold_char))
        return NULL;
    Out out = {NULL, 0, 1024, NULL};
    out.bytes = PyBytes_FromStringAndSize(NULL, out.size);
    if (out.bytes == NULL)
        return NULL;
    out.data = PyBytes_AS_STRING(out.bytes);
    Py_INCREF(text); /* fold_char may run any code */
    int failed = squash_text(&out, text, &spaced_table, fold_char);
    Py_DECREF(text);
    PyObject *result =
        failed ? NULL : PyUnicode_DecodeASCII(out.data, out.length, "strict");
    Py_DECREF(out.bytes);
    return result;
}

static PyMethodDef methods[] = {
    {"squash", squash, METH_VARARGS,
     "squash(texts, fold_char) -> the texts squashed, letters that begin a word "
     "marked (0x80), joined by NUL bytes."},
    {"squash_json", squash_json, METH_VARARGS,
     "squash_json(values, fold_char) -> the JSON strings (buffers, as written) "
     "squashed as squash does; None if one is not a string msgspec reads."},
    {"spaced", spaced, METH_VARARGS,
     "spaced(text, fold_char) -> fold(text), all but letters and digits spaces."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_squash", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__squash(void) {
    for (int c = 0; c < 128; c++) {
        char kept = 0;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            kept = (char)c;
        else if (c >= 'A' && c <= 'Z')
            kept = (char)(c - 'A' + 'a');
        squashed.ascii[c] = (unsigned char)kept;
        spaced_table.ascii[c] = (unsigned char)(kept ? kept : ' ');
    }
    return PyModule_Create(&module);
}
