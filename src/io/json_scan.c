/* json_scan.c - see json_scan.h. */
#include "io/json_scan.h"

#include <string.h>

void json_scan_init(json_scan *s, long first_line) {
  memset(s, 0, sizeof *s);
  s->line = first_line;
  s->token_line = first_line;
  s->token_column = 1;
}

static inline void token_at(json_scan *s, uint64_t at) {
  s->token_line = s->line;
  s->token_column = at - s->line_start + 1;
}

/* Byte classes outside strings. */
enum { WORD, BLANK, NEWLINE, QUOTE, OPEN, CLOSE, PUNCT };

static unsigned char byte_class(unsigned char c) {
  switch (c) {
  case ' ':
  case '\t':
  case '\r': return BLANK;
  case '\n': return NEWLINE;
  case '"': return QUOTE;
  case '{':
  case '[': return OPEN;
  case '}':
  case ']': return CLOSE;
  case ':':
  case ',': return PUNCT;
  default: return WORD; /* numbers, true, and whatever is not JSON */
  }
}

static unsigned char classes[256];
/* Bytes that end a run inside a string: '"', '\\' and LF. */
static unsigned char string_stops[256];

static void init_tables(void) {
  if (classes['"'] == QUOTE) return; /* done (the tables never change after) */
  for (int c = 0; c < 256; c++) {
    string_stops[c] = c == '"' || c == '\\' || c == '\n';
    classes[c] = byte_class((unsigned char)c);
  }
}

/* Inside a string from p[i]: up to and including its closing quote, or to
 * the end of p. Returns where it stopped. */
static inline size_t scan_string(json_scan *s, const unsigned char *p, size_t i, size_t n) {
  if (i < n) s->last_line = s->line;
  while (i < n) {
    if (s->escape) {
      s->escape = 0;
      i++;
      continue;
    }
    while (i < n && !string_stops[p[i]]) i++;
    if (i == n) break;
    unsigned char c = p[i++];
    if (c == '"') {
      s->in_string = 0;
      break;
    }
    if (c == '\\') {
      s->escape = 1;
    } else { /* a raw LF: not JSON, but its line is still counted */
      s->line++;
      s->line_start = s->offset + i;
    }
  }
  return i;
}

size_t json_scan_run(json_scan *scan, const char *text, size_t n, int stop_depth) {
  const unsigned char *p = (const unsigned char *)text;
  /* a local copy the compiler can keep in registers: p may alias *scan */
  json_scan state = *scan, *s = &state;
  size_t i = 0;
  init_tables();
  while (i < n) {
    if (s->in_string) {
      i = scan_string(s, p, i, n);
      continue;
    }
    uint64_t at = s->offset + i;
    unsigned char cls = classes[p[i++]];
    if (cls == BLANK) {
      s->in_word = 0;
      continue;
    }
    if (cls == NEWLINE) {
      s->line++;
      s->line_start = at + 1;
      s->in_word = 0;
      continue;
    }
    s->last_line = s->line;
    if (cls == WORD) { /* a word is one token, however long */
      if (!s->in_word) token_at(s, at);
      s->in_word = 1;
      while (i < n && classes[p[i]] == WORD) i++;
      continue;
    }
    token_at(s, at); /* a string, a bracket, ':' or ',' is a token by itself */
    s->in_word = 0;
    if (cls == QUOTE) {
      s->in_string = 1;
    } else if (cls == OPEN) {
      if (++s->depth > s->max_depth) s->max_depth = s->depth;
    } else if (cls == CLOSE) {
      if (--s->depth <= stop_depth && stop_depth >= 0) break;
    }
  }
  s->offset += i;
  *scan = state;
  return i;
}

/* ---- \u escapes ---- */

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    char c = p[k];
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 16u;
    if (d == 16) return 0;
    v = v << 4 | d;
  }
  *out = v;
  return 1;
}

/* The escape at p[i] ('\\'): its length, 0 when the text ends inside it, or
 * -1 when it is not valid in a JSON string. Only \u is checked here: yajl
 * rejects the other bad ones itself, but it turns a bad surrogate into '?'
 * or into bytes that are not UTF-8 instead of failing. */
static long escape_length(const char *p, size_t i, size_t n) {
  if (i + 1 >= n) return 0;
  if (p[i + 1] != 'u') return 2;
  unsigned u, low;
  if (i + 6 > n) return 0;
  if (!hex4(p + i + 2, &u)) return -1;
  if (u >= 0xDC00 && u <= 0xDFFF) return -1; /* a low surrogate first */
  if (u < 0xD800 || u > 0xDBFF) return 6;
  /* a high surrogate: "\\u" and a low one must follow */
  if (i + 6 < n && p[i + 6] != '\\') return -1;
  if (i + 7 < n && p[i + 7] != 'u') return -1;
  if (i + 12 > n) return 0;
  if (!hex4(p + i + 8, &low)) return -1;
  return low >= 0xDC00 && low <= 0xDFFF ? 12 : -1;
}

size_t json_check_escapes(const char *p, size_t n, size_t *whole) {
  size_t i = 0;
  *whole = n;
  for (;;) {
    const char *b = i < n ? memchr(p + i, '\\', n - i) : NULL;
    if (!b) return n;
    i = (size_t)(b - p);
    long len = escape_length(p, i, n);
    if (len < 0) {
      *whole = i;
      return i;
    }
    if (len == 0) {
      *whole = i;
      return n;
    }
    i += (size_t)len;
  }
}
