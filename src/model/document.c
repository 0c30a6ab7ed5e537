/* document.c - checked, atomically written JSON documents (document.h). */
#include "model/document.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "io/read_file.h"
#include "viral/writer.h"

#define CHECKSUM_KEY "checksum"
#define CHECKSUM_PREFIX "fnv1a64:"

#define FNV_OFFSET 14695981039346656037ull

static unsigned long long fnv_update(unsigned long long h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

unsigned long long viral_fnv1a64(const void *data, size_t len) { return fnv_update(FNV_OFFSET, data, len); }

cJSON *viral_document_create(const char *format, int version) {
  cJSON *doc = cJSON_CreateObject();
  if (!doc) return NULL;
  if (!cJSON_AddStringToObject(doc, "format", format) ||
      !cJSON_AddNumberToObject(doc, "version", version)) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

#define CHECKSUM_MEMBER ",\n\t\"" CHECKSUM_KEY "\":\t\"" CHECKSUM_PREFIX
#define CHECKSUM_HEX 16

#define PLACEHOLDER_MARK '\001'

cJSON *viral_document_placeholder(unsigned index) {
  VIRAL_ASSERT(index < VIRAL_DOCUMENT_MAX_PARTS);
  char text[4] = {PLACEHOLDER_MARK, (char)('0' + index), PLACEHOLDER_MARK, '\0'};
  return cJSON_CreateRaw(text);
}

/* The printed document without its closing brace (and the white space
 * before it): what follows is the checksum member. Sets *body. */
static char *print_body(cJSON *doc, size_t *body) {
  VIRAL_ASSERT(!cJSON_GetObjectItemCaseSensitive(doc, CHECKSUM_KEY));
  char *text = cJSON_Print(doc);
  if (!text) return NULL;
  /* cJSON_Print ends an object with "\n}": the body is what comes before. */
  size_t len = strlen(text);
  VIRAL_ASSERT(len >= 2 && text[len - 1] == '}');
  size_t end = len - 1;
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\t')) end--;
  *body = end;
  return text;
}

/* Emit text[0, len), with every placeholder replaced by its part's text. */
static int emit_expanded(const char *text, size_t len, const viral_document_part *parts,
                         size_t count, viral_text_emit emit, void *ctx) {
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *mark = memchr(p, PLACEHOLDER_MARK, (size_t)(end - p));
    if (!mark) return emit(ctx, p, (size_t)(end - p));
    if (emit(ctx, p, (size_t)(mark - p))) return -1;
    unsigned index = (unsigned)(mark[1] - '0');
    VIRAL_ASSERT(mark + 2 < end && mark[2] == PLACEHOLDER_MARK && index < count);
    if (parts[index].write(parts[index].ctx, emit, ctx)) return -1;
    p = mark + 3;
  }
  return 0;
}

typedef struct file_emit {
  FILE *out;
  unsigned long long hash;
} file_emit;

static int to_file(void *ctx, const char *text, size_t len) {
  file_emit *f = ctx;
  f->hash = fnv_update(f->hash, text, len);
  return fwrite(text, 1, len, f->out) == len ? 0 : -1;
}

int viral_document_write_parts(cJSON *doc, const viral_document_part *parts, size_t count, FILE *out,
                               viral_error *err) {
  size_t body = 0;
  char *text = print_body(doc, &body);
  if (!text) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  file_emit fe = {out, FNV_OFFSET};
  int failed = emit_expanded(text, body, parts, count, to_file, &fe);
  free(text);
  if (failed) return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "write error: %s", strerror(errno));
  fprintf(fe.out, CHECKSUM_MEMBER "%016llx\"\n}\n", fe.hash);
  return VIRAL_OK;
}

int viral_document_save_parts(cJSON *doc, const viral_document_part *parts, size_t count,
                              const char *path, viral_error *err) {
  viral_atomic_file *f = viral_atomic_open(path, err);
  if (!f) return err ? err->code : VIRAL_ERR_IO;
  int rc = viral_document_write_parts(doc, parts, count, viral_atomic_stream(f), err);
  if (rc != VIRAL_OK) { /* nothing half-written replaces the old file */
    viral_atomic_abort(f);
    return viral_error_wrap(err, path, 0);
  }
  return viral_atomic_commit(f, err);
}

int viral_document_save(cJSON *doc, const char *path, viral_error *err) {
  return viral_document_save_parts(doc, NULL, 0, path, err);
}

char *viral_document_print_parts(cJSON *doc, const viral_document_part *parts, size_t count,
                                 viral_error *err) {
  size_t body = 0;
  char *text = print_body(doc, &body);
  viral_text_buf b = {NULL, 0, 0};
  if (!text || emit_expanded(text, body, parts, count, viral_text_buf_emit, &b) ||
      viral_text_buf_emit(&b, "\n}", 2)) {
    free(text);
    free(b.text);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  free(text);
  return b.text;
}

/* Find the checksum member at the end of text; set *body to the length of
 * the hashed part and *sum to the hash written. 0 when found, -1 if not. */
static int find_checksum(const char *text, size_t len, size_t *body, unsigned long long *sum) {
  const size_t member = sizeof CHECKSUM_MEMBER - 1;
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\t' ||
                     text[len - 1] == '\r'))
    len--;
  /* ...CHECKSUM_MEMBER <16 hex> "\n} */
  size_t tail = member + CHECKSUM_HEX + 3;
  if (len < tail) return -1;
  const char *m = text + len - tail;
  if (memcmp(m, CHECKSUM_MEMBER, member) != 0 || memcmp(m + member + CHECKSUM_HEX, "\"\n}", 3) != 0)
    return -1;
  unsigned long long h = 0;
  for (size_t i = 0; i < CHECKSUM_HEX; i++) {
    char c = m[member + i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    h = h * 16 + (unsigned)d;
  }
  *body = len - tail;
  *sum = h;
  return 0;
}

/* 1 when text ends inside a string or with brackets still open: the usual
 * shape of a file cut short by a crash or a full disk. */
static int looks_truncated(const char *text, size_t len) {
  long depth = 0;
  int in_string = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = 0;
    } else if (c == '"') {
      in_string = 1;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return in_string || depth > 0;
}

/* Parse text (len bytes) and check it; the checksum is checked on sum_text
 * (sum_len bytes): the same text, or the file text when text is a copy with
 * a member cut out. */
static cJSON *parse_versions(const char *name, const char *text, size_t len, const char *sum_text,
                             size_t sum_len, const char *format, int oldest, int newest,
                             viral_error *err) {
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!doc) {
    if (looks_truncated(text, len))
      viral_error_set(err, VIRAL_ERR_PARSE, name, 0, "not valid JSON: truncated");
    else
      viral_error_set(err, VIRAL_ERR_PARSE, name, 0, "not valid JSON near byte %ld",
                      end ? (long)(end - text) : 0L);
    return NULL;
  }
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");
  size_t body = 0;
  unsigned long long sum = 0;
  if (!cJSON_IsObject(doc) || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, format) != 0) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "not a %s file (no \"format\": \"%s\")", format, format);
  } else if (!cJSON_IsNumber(ver) || !(ver->valuedouble >= oldest && ver->valuedouble <= newest) ||
             ver->valuedouble != (int)ver->valuedouble) {
    if (oldest == newest)
      viral_error_set(err, VIRAL_ERR_INVALID, name, 0,
                      "unsupported %s version (this viral reads version %d)", format, newest);
    else
      viral_error_set(err, VIRAL_ERR_INVALID, name, 0,
                      "unsupported %s version (this viral reads versions %d to %d)", format, oldest,
                      newest);
  } else if (find_checksum(sum_text, sum_len, &body, &sum) != 0) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "no checksum at the end of the file");
  } else if (viral_fnv1a64(sum_text, body) != sum) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "checksum mismatch: the file was changed or damaged");
  } else {
    cJSON_DeleteItemFromObjectCaseSensitive(doc, CHECKSUM_KEY);
    return doc;
  }
  cJSON_Delete(doc);
  return NULL;
}

cJSON *viral_document_parse(const char *name, const char *text, size_t len, const char *format,
                            int version, viral_error *err) {
  return parse_versions(name, text, len, text, len, format, version, version, err);
}

cJSON *viral_document_load(const char *path, const char *format, int version, viral_error *err) {
  return viral_document_load_versions(path, format, version, version, err);
}

/* The whole file at path into *text (caller frees; NUL-terminated) and *len. */
static int read_whole(const char *path, char **text, size_t *len, viral_error *err) {
  int rc = viral_read_file(path, VIRAL_DOCUMENT_MAX_BYTES, text, len, err);
  if (rc == VIRAL_OK && *len == 0) {
    free(*text);
    *text = NULL;
    return viral_error_set(err, VIRAL_ERR_PARSE, path, 0, "empty file");
  }
  return rc;
}

cJSON *viral_document_load_versions(const char *path, const char *format, int oldest, int newest,
                                    viral_error *err) {
  char *text = NULL;
  size_t len = 0;
  if (read_whole(path, &text, &len, err) != VIRAL_OK) return NULL;
  cJSON *doc = parse_versions(path, text, len, text, len, format, oldest, newest, err);
  free(text);
  return doc;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* End of the JSON string whose opening quote is at t[i]: the index after
 * its closing quote, or len. */
static size_t string_end(const char *t, size_t len, size_t i) {
  for (i++; i < len && t[i] != '"'; i++)
    if (t[i] == '\\') i++;
  return i < len ? i + 1 : len;
}

/* ---- loading only the known members ---- */

/* The text to parse: the file's, with unknown members' values replaced by
 * null and the cut member's by [] (the bytes not yet copied start at
 * copied). */
typedef struct pruner {
  const char *t;
  size_t len, copied;
  viral_text_buf out;
  size_t cut_start, cut_len;
  int nomem;
} pruner;

#define BAD ((size_t)-1)

static size_t skip_space(const pruner *p, size_t i) {
  while (i < p->len && is_space(p->t[i])) i++;
  return i;
}

/* The end of the value at t[i] (after its closing quote or bracket, or its
 * last character), or BAD when the text ends first. Containers are skipped
 * by counting brackets outside strings: cJSON checks what is kept. */
static size_t skip_value(const pruner *p, size_t i) {
  const char *t = p->t;
  if (i >= p->len) return BAD;
  if (t[i] == '"') {
    size_t end = string_end(t, p->len, i);
    return end > i + 1 && t[end - 1] == '"' ? end : BAD;
  }
  if (t[i] == '{' || t[i] == '[') {
    size_t depth = 0;
    for (; i < p->len; i++) {
      if (t[i] == '"') {
        i = string_end(t, p->len, i);
        if (t[i - 1] != '"') return BAD;
        i--;
      } else if (t[i] == '{' || t[i] == '[') {
        depth++;
      } else if ((t[i] == '}' || t[i] == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return BAD;
  }
  size_t start = i;
  while (i < p->len && !is_space(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']') i++;
  return i > start ? i : BAD;
}

/* Put with in place of t[from, to). */
static void replace(pruner *p, size_t from, size_t to, const char *with) {
  if (viral_text_buf_emit(&p->out, p->t + p->copied, from - p->copied) ||
      viral_text_buf_emit(&p->out, with, strlen(with)))
    p->nomem = 1;
  p->copied = to;
}

static const viral_document_key *find_key(const viral_document_key *keys, const char *name,
                                          size_t len) {
  for (; keys->name; keys++)
    if (strlen(keys->name) == len && memcmp(keys->name, name, len) == 0) return keys;
  return NULL;
}

/* The object at t[i] whose known members are keys: returns its end, or BAD.
 * A key is compared as written (an escaped spelling of a known key is an
 * unknown key). */
static size_t prune_object(pruner *p, const viral_document_key *keys, size_t i) {
  if (i >= p->len || p->t[i] != '{') return BAD;
  i = skip_space(p, i + 1);
  if (i < p->len && p->t[i] == '}') return i + 1;
  for (;;) {
    if (i >= p->len || p->t[i] != '"') return BAD;
    size_t key_end = skip_value(p, i);
    if (key_end == BAD) return BAD;
    const viral_document_key *k = find_key(keys, p->t + i + 1, key_end - i - 2);
    size_t v = skip_space(p, key_end);
    if (v >= p->len || p->t[v] != ':') return BAD;
    v = skip_space(p, v + 1);
    size_t end = k && k->members && v < p->len && p->t[v] == '{' ? prune_object(p, k->members, v)
                                                                  : skip_value(p, v);
    if (end == BAD) return BAD;
    if (!k) {
      replace(p, v, end, "null");
    } else if (k->cut && p->t[v] == '[') {
      replace(p, v, end, "[]");
      p->cut_start = v;
      p->cut_len = end - v;
    }
    i = skip_space(p, end);
    if (i < p->len && p->t[i] == ',') {
      i = skip_space(p, i + 1);
      continue;
    }
    return i < p->len && p->t[i] == '}' ? i + 1 : BAD;
  }
}

cJSON *viral_document_load_known(const char *path, const char *format, int oldest, int newest,
                                 const viral_document_key *known, char **text, size_t *start,
                                 size_t *len, viral_error *err) {
  size_t size = 0;
  *text = NULL;
  *start = *len = 0;
  if (read_whole(path, text, &size, err) != VIRAL_OK) return NULL;
  pruner p = {*text, size, 0, {NULL, 0, 0}, 0, 0, 0};
  size_t end = prune_object(&p, known, skip_space(&p, 0));
  if (end != BAD) replace(&p, size, size, "");
  cJSON *doc = NULL;
  if (p.nomem) {
    viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
  } else if (end == BAD || !p.out.text) {
    /* not an object, or cut short: cJSON says what is wrong */
    doc = parse_versions(path, *text, size, *text, size, format, oldest, newest, err);
  } else {
    /* the checksum is still that of the whole file */
    doc = parse_versions(path, p.out.text, p.out.len, *text, size, format, oldest, newest, err);
    *start = p.cut_start;
    *len = p.cut_len;
  }
  free(p.out.text);
  if (!doc) {
    free(*text);
    *text = NULL;
    *start = *len = 0;
  }
  return doc;
}

/* ---- reading members ---- */

int viral_document_bad(viral_error *err, const char *path, const char *key, const char *what) {
  return viral_error_set(err, VIRAL_ERR_INVALID, path, 0, "\"%s\" %s", key, what);
}

int viral_document_number(const cJSON *o, const char *key, double lo, double hi, int integral,
                          double *out, const char *path, viral_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) return viral_document_bad(err, path, key, "is missing or not a number");
  double x = v->valuedouble;
  if (!isfinite(x) || x < lo || x > hi || (integral && x != floor(x))) {
    char range[96];
    snprintf(range, sizeof range, "must be %s from %g to %g", integral ? "a whole number" : "a number",
             lo, hi);
    return viral_document_bad(err, path, key, range);
  }
  *out = x;
  return VIRAL_OK;
}
