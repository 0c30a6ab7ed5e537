/* json_reader.c - JSON Lines (streamed line by line) and JSON documents
 * holding an array of objects (parsed whole), both through cJSON.
 *
 * Each object is flattened into the reader's schema: nested objects give
 * dotted names (authorMeta.verified), arrays of strings or numbers and
 * arrays of objects with a "name" become lists, an array "snapshots" of
 * objects with "h" becomes flat fields <key>_<h>h, and any other array is
 * kept as its JSON text. Strings point into the cJSON tree, which lives until
 * the next record; everything else the record shows is built in an arena
 * reused from record to record. */
#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"
#include "io/value_internal.h"
#include "viral/writer.h"

#define NO_OFFSET SIZE_MAX

typedef struct json_state {
  cJSON *tree;      /* JSONL: the current line; document: the whole document */
  cJSON *next_item; /* document: the next element of the array */
  size_t index;     /* document: index of the next element */
  int single;       /* document: the top object is the one record */
  char *doc_text;   /* document: its bytes (with a NUL) */
  char *element_source; /* document: "FILE:path[i]" of the current record */
  size_t element_source_cap;

  char *line;       /* JSONL: a line that spans chunks */
  size_t line_cap;
  long line_no;     /* JSONL: lines read so far */

  char *arena;      /* texts built for the current record */
  size_t arena_len, arena_cap;
  size_t *text_off; /* [record capacity]: arena offset of a value's text, or NO_OFFSET */
  size_t text_off_cap;
  char *key;        /* the flattened name being built */
  size_t key_cap;
  int nomem;
  int too_many_fields;
} json_state;

/* ---- small buffers ---- */

static int grow(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 1;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  char *g = realloc(*buf, c);
  if (!g) return 0;
  *buf = g;
  *cap = c;
  return 1;
}

/* Append bytes (and a NUL) to the arena; returns their offset. */
static size_t arena_add(json_state *s, const char *p, size_t n) {
  if (!grow(&s->arena, &s->arena_cap, s->arena_len + n + 1)) {
    s->nomem = 1;
    return NO_OFFSET;
  }
  size_t off = s->arena_len;
  if (n) memcpy(s->arena + off, p, n);
  s->arena[off + n] = '\0';
  s->arena_len += n + 1;
  return off;
}

/* Set key[at..] to text; returns the new key length. */
static size_t key_put(json_state *s, size_t at, const char *text, size_t n) {
  if (!grow(&s->key, &s->key_cap, at + n + 1)) {
    s->nomem = 1;
    return at;
  }
  memcpy(s->key + at, text, n);
  s->key[at + n] = '\0';
  return at + n;
}

/* A JSON number as text: integers in full ("%.0f" writes the double's exact
 * decimal value, so an id beyond 2^53 shows the digits it was rounded to),
 * anything else in the shortest form that reads back exactly. */
static void number_text(char buf[32], double x) {
  if (x == floor(x) && fabs(x) < 9.2e18) snprintf(buf, 32, "%.0f", x);
  else viral_format_double(buf, x);
}

/* ---- flattening ---- */

/* The value slot for the name in s->key[0..len), added to the schema if new. */
static viral_value *slot(viral_reader *r, json_state *s, size_t len, size_t *index) {
  if (s->nomem) return NULL;
  long k = viral_schema_find(&r->schema, s->key, len);
  if (k < 0) {
    if (r->schema.count >= r->opts.max_fields) {
      s->too_many_fields = 1;
      return NULL;
    }
    int added;
    k = viral_schema_add(&r->schema, s->key, len, &added);
    if (k < 0 || viral_record_reserve(&r->record) != VIRAL_OK) {
      s->nomem = 1;
      return NULL;
    }
    if (r->record.capacity > s->text_off_cap) {
      size_t *g = realloc(s->text_off, r->record.capacity * sizeof *g);
      if (!g) {
        s->nomem = 1;
        return NULL;
      }
      for (size_t i = s->text_off_cap; i < r->record.capacity; i++) g[i] = NO_OFFSET;
      s->text_off = g;
      s->text_off_cap = r->record.capacity;
    }
  }
  *index = (size_t)k;
  s->text_off[k] = NO_OFFSET;
  return &r->record.values[k];
}

static void set_arena_text(json_state *s, viral_value *v, size_t index, viral_value_kind kind,
                           const char *p, size_t n) {
  v->kind = kind;
  v->len = n;
  v->text = NULL;
  s->text_off[index] = arena_add(s, p, n);
}

static int is_scalar_list(const cJSON *array) {
  for (const cJSON *e = array->child; e; e = e->next)
    if (!cJSON_IsString(e) && !cJSON_IsNumber(e)) return 0;
  return 1;
}

static int is_named_list(const cJSON *array) {
  if (!array->child) return 0;
  for (const cJSON *e = array->child; e; e = e->next)
    if (!cJSON_IsObject(e) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "name")))
      return 0;
  return 1;
}

static int is_snapshot_list(const cJSON *array) {
  if (!array->child) return 0;
  for (const cJSON *e = array->child; e; e = e->next)
    if (!cJSON_IsObject(e) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "h")))
      return 0;
  return 1;
}

/* A list value: items joined by 0x1f in the arena. */
static void set_list(viral_reader *r, json_state *s, size_t len, const cJSON *array, int named) {
  size_t index;
  viral_value *v = slot(r, s, len, &index);
  if (!v) return;
  size_t start = s->arena_len, count = 0;
  for (const cJSON *e = array->child; e; e = e->next) {
    const cJSON *item = named ? cJSON_GetObjectItemCaseSensitive(e, "name") : e;
    char num[32];
    const char *text = item->valuestring;
    if (cJSON_IsNumber(item)) number_text(num, item->valuedouble), text = num;
    if (count > 0 && !s->nomem) s->arena[s->arena_len - 1] = '\x1f'; /* was the NUL */
    arena_add(s, text, strlen(text));
    count++;
  }
  if (count == 0) arena_add(s, "", 0);
  v->kind = VIRAL_VALUE_LIST;
  v->count = count;
  v->text = NULL;
  v->len = s->arena_len - start - 1;
  s->text_off[index] = start;
}

static void flatten_value(viral_reader *r, json_state *s, size_t len, const cJSON *item);

/* Members of object, named prefix.member (or member at the top). */
static void flatten_object(viral_reader *r, json_state *s, size_t prefix, const cJSON *object) {
  for (const cJSON *m = object->child; m && !s->nomem && !s->too_many_fields; m = m->next) {
    size_t at = prefix ? key_put(s, prefix, ".", 1) : 0;
    size_t len = key_put(s, at, m->string, strlen(m->string));
    flatten_value(r, s, len, m);
  }
}

/* "snapshots": [{"h":1,"views":3120}, ...] gives views_1h = 3120, ... */
static void flatten_snapshots(viral_reader *r, json_state *s, size_t prefix, const cJSON *array) {
  for (const cJSON *e = array->child; e && !s->nomem; e = e->next) {
    char h[32];
    number_text(h, cJSON_GetObjectItemCaseSensitive(e, "h")->valuedouble);
    for (const cJSON *m = e->child; m && !s->nomem && !s->too_many_fields; m = m->next) {
      if (strcmp(m->string, "h") == 0) continue;
      size_t len = prefix ? key_put(s, prefix, ".", 1) : 0;
      len = key_put(s, len, m->string, strlen(m->string));
      len = key_put(s, len, "_", 1);
      len = key_put(s, len, h, strlen(h));
      len = key_put(s, len, "h", 1);
      flatten_value(r, s, len, m);
    }
  }
}

/* The value item under the name s->key[0..len). */
static void flatten_value(viral_reader *r, json_state *s, size_t len, const cJSON *item) {
  if (cJSON_IsObject(item)) {
    flatten_object(r, s, len, item);
    return;
  }
  if (cJSON_IsArray(item)) {
    if (item->string && strcmp(item->string, "snapshots") == 0 && is_snapshot_list(item)) {
      /* the snapshot fields sit beside "snapshots", not under it */
      size_t prefix = len - strlen(item->string);
      flatten_snapshots(r, s, prefix ? prefix - 1 : 0, item);
    } else if (is_scalar_list(item)) {
      set_list(r, s, len, item, 0);
    } else if (is_named_list(item)) {
      set_list(r, s, len, item, 1);
    } else {
      size_t index;
      viral_value *v = slot(r, s, len, &index);
      char *text = v ? cJSON_PrintUnformatted(item) : NULL;
      if (v && !text) s->nomem = 1;
      if (text) set_arena_text(s, v, index, VIRAL_VALUE_TEXT, text, strlen(text));
      free(text);
    }
    return;
  }
  size_t index;
  viral_value *v = slot(r, s, len, &index);
  if (!v) return;
  memset(v, 0, sizeof *v);
  v->text = "";
  if (cJSON_IsString(item)) {
    v->len = strlen(item->valuestring);
    v->kind = v->len ? VIRAL_VALUE_TEXT : VIRAL_VALUE_MISSING; /* "" is missing, as in CSV */
    v->text = item->valuestring;
  } else if (cJSON_IsNumber(item)) {
    char num[32];
    number_text(num, item->valuedouble);
    set_arena_text(s, v, index, VIRAL_VALUE_NUMBER, num, strlen(num));
    v->number = item->valuedouble;
  } else if (cJSON_IsBool(item)) {
    v->kind = VIRAL_VALUE_BOOL;
    v->number = cJSON_IsTrue(item) ? 1 : 0;
    v->text = cJSON_IsTrue(item) ? "true" : "false";
    v->len = strlen(v->text);
  } /* null: missing */
}

/* 1 when item nests deeper than limit (item itself at depth 1). */
static int too_deep(const cJSON *item, int limit) {
  if (limit <= 0) return 1;
  for (const cJSON *c = item->child; c; c = c->next)
    if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && too_deep(c, limit - 1)) return 1;
  return 0;
}

/* Turn object into the reader's record. Returns VIRAL_OK, VIRAL_ERR_PARSE
 * (a bad record: skippable) or a fatal status; err names source:line. */
static int load_object(viral_reader *r, json_state *s, const cJSON *object, const char *source,
                       long line, viral_error *err) {
  if (!cJSON_IsObject(object))
    return viral_error_set(err, VIRAL_ERR_PARSE, source, line, "expected a JSON object");
  if (too_deep(object, r->opts.max_depth))
    return viral_error_set(err, VIRAL_ERR_PARSE, source, line, "JSON nested deeper than %d levels",
                           r->opts.max_depth);
  viral_record_clear(&r->record);
  s->arena_len = 0;
  flatten_object(r, s, 0, object);
  if (s->nomem) return viral_error_set(err, VIRAL_ERR_NOMEM, source, line, "out of memory");
  if (s->too_many_fields)
    return viral_error_set(err, VIRAL_ERR_LIMIT, source, line, "more than %zu fields",
                           r->opts.max_fields);
  for (size_t i = 0; i < r->schema.count; i++) {
    if (s->text_off[i] == NO_OFFSET) continue;
    r->record.values[i].text = s->arena + s->text_off[i];
    s->text_off[i] = NO_OFFSET;
  }
  r->record.source = source;
  r->record.line = line;
  return VIRAL_OK;
}

/* ---- errors from cJSON ---- */

/* Why text failed to parse: nesting beyond cJSON's own limit or ours, an
 * end inside a value, or something else at error_at. */
static int parse_failure(viral_reader *r, const char *text, size_t len, const char *error_at,
                         long first_line, viral_error *err) {
  int depth = 0, max_depth = 0, in_string = 0;
  long line = first_line, error_line = first_line, last_line = first_line;
  size_t column = 1, error_column = 1;
  size_t at = error_at && error_at >= text && error_at <= text + len ? (size_t)(error_at - text)
                                                                    : len;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (i == at) error_line = line, error_column = column;
    column++;
    if (c == '\n') line++, column = 1;
    else if (c != ' ' && c != '\t' && c != '\r') last_line = line;
    if (in_string) {
      if (c == '\\' && i + 1 < len) i++, column++;
      else if (c == '"') in_string = 0;
    } else if (c == '"') in_string = 1;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth) max_depth = depth;
    } else if (c == '}' || c == ']') depth--;
  }
  if (max_depth > r->opts.max_depth)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, first_line,
                           "JSON nested deeper than %d levels", r->opts.max_depth);
  if (in_string || depth > 0)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, last_line,
                           "truncated JSON (it ends inside %s)",
                           in_string ? "a string" : "an object or array");
  return viral_error_set(err, VIRAL_ERR_PARSE, r->name, error_line, "invalid JSON at column %zu",
                         error_column);
}

/* ---- JSON Lines ---- */

/* The next line (without its LF or CRLF); 1, 0 at the end, or < 0. */
static int next_line(viral_reader *r, json_state *s, const char **line, size_t *len,
                     viral_error *err) {
  size_t have = 0;
  int spans = 0;
  for (;;) {
    if (r->pos == r->len) {
      int rc = viral_source_read(r, 0, err);
      if (rc < 0) return rc;
      if (rc == 0) {
        if (!spans) return 0;
        break; /* a last line without LF */
      }
    }
    const char *p = r->data + r->pos;
    size_t avail = r->len - r->pos;
    const char *nl = memchr(p, '\n', avail);
    size_t n = nl ? (size_t)(nl - p) : avail;
    if (have + n > r->opts.max_record_bytes + 1) /* + 1: a CR before the LF */
      return viral_error_set(err, VIRAL_ERR_LIMIT, r->name, s->line_no + 1,
                             "record longer than %zu bytes", r->opts.max_record_bytes);
    r->pos += nl ? n + 1 : n;
    if (nl && !spans) { /* the whole line is in the buffer: no copy */
      *line = p;
      have = n;
      break;
    }
    if (!grow(&s->line, &s->line_cap, have + n + 1))
      return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
    memcpy(s->line + have, p, n);
    have += n;
    spans = 1;
    *line = s->line;
    if (nl) break;
  }
  s->line_no++;
  if (have > 0 && (*line)[have - 1] == '\r') have--;
  if (have > r->opts.max_record_bytes)
    return viral_error_set(err, VIRAL_ERR_LIMIT, r->name, s->line_no,
                           "record longer than %zu bytes", r->opts.max_record_bytes);
  *len = have;
  return 1;
}

static int jsonl_next(viral_reader *r, viral_error *err) {
  json_state *s = r->impl;
  for (;;) {
    const char *line = NULL;
    size_t len = 0;
    int rc = next_line(r, s, &line, &len, err);
    if (rc <= 0) return rc;
    size_t k = 0;
    while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
    if (k == len) continue; /* blank line */
    cJSON_Delete(s->tree);
    const char *end = NULL;
    s->tree = NULL;
    if (!viral_utf8_valid(line, len)) {
      rc = viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->line_no, "invalid UTF-8");
    } else if (!(s->tree = cJSON_ParseWithLengthOpts(line, len, &end, 0))) {
      rc = parse_failure(r, line, len, end, s->line_no, err);
    } else if (end && end < line + len && !viral_is_blank_text(end, (size_t)(line + len - end))) {
      while (*end == ' ' || *end == '\t') end++;
      rc = viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->line_no,
                           "text after the JSON value at column %zu", (size_t)(end - line) + 1);
    } else {
      rc = load_object(r, s, s->tree, r->name, s->line_no, err);
      if (rc == VIRAL_OK) return 1;
    }
    if (rc != VIRAL_ERR_PARSE || !r->opts.skip_bad_rows) return rc;
    r->skipped++;
  }
}

/* ---- JSON documents ---- */

/* Line of the first invalid UTF-8 byte in text, or 0 when it is valid. */
static long invalid_utf8_line(const char *text, size_t len) {
  if (viral_utf8_valid(text, len)) return 0;
  long line = 1;
  for (const char *p = text, *end = text + len; p < end; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (!viral_utf8_valid(p, n)) return line;
    p += n + 1;
  }
  return line;
}

/* Read the rest of the input into s->doc_text (NUL-terminated). */
static int read_document(viral_reader *r, json_state *s, size_t *len, viral_error *err) {
  size_t n = 0, cap = 0;
  for (;;) {
    size_t avail = r->len - r->pos;
    if (n + avail > VIRAL_MAX_JSON_DOCUMENT)
      return viral_error_set(err, VIRAL_ERR_LIMIT, r->name, 0,
                             "JSON document larger than %zu bytes (write it as JSON Lines to "
                             "stream it)",
                             VIRAL_MAX_JSON_DOCUMENT);
    if (!grow(&s->doc_text, &cap, n + avail + 1))
      return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
    if (avail) memcpy(s->doc_text + n, r->data + r->pos, avail);
    n += avail;
    r->pos = r->len;
    int rc = viral_source_read(r, 0, err);
    if (rc < 0) return rc;
    if (rc == 0) break;
  }
  if (!s->doc_text && !grow(&s->doc_text, &cap, 1))
    return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  s->doc_text[n] = '\0';
  *len = n;
  return VIRAL_OK;
}

static const char *json_type_name(const cJSON *item) {
  if (cJSON_IsObject(item)) return "an object";
  if (cJSON_IsArray(item)) return "an array";
  if (cJSON_IsString(item)) return "a string";
  if (cJSON_IsNumber(item)) return "a number";
  if (cJSON_IsBool(item)) return "a boolean";
  return "null";
}

/* Find the array of records: at opts.json_path, or the top value. */
static int locate_records(viral_reader *r, json_state *s, viral_error *err) {
  const char *path = r->opts.json_path;
  cJSON *at = s->tree;
  if (!path || !*path) {
    if (cJSON_IsObject(at)) {
      s->single = 1;
      s->next_item = at;
      return VIRAL_OK;
    }
    if (!cJSON_IsArray(at))
      return viral_error_set(err, VIRAL_ERR_PARSE, r->name, 0,
                             "expected an array of objects or an object at the top, found %s",
                             json_type_name(at));
    s->next_item = at->child;
    return VIRAL_OK;
  }
  for (const char *p = path; *p;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    cJSON *found = NULL;
    if (cJSON_IsObject(at))
      for (cJSON *m = at->child; m && !found; m = m->next)
        if (strlen(m->string) == n && memcmp(m->string, p, n) == 0) found = m;
    if (!found)
      return viral_error_set(err, VIRAL_ERR_INVALID, r->name, 0,
                             "json path '%s': no member '%.*s'", path, (int)n, p);
    at = found;
    p += n;
    if (*p == '.') p++;
  }
  if (!cJSON_IsArray(at))
    return viral_error_set(err, VIRAL_ERR_INVALID, r->name, 0,
                           "json path '%s' is %s, not an array", path, json_type_name(at));
  s->next_item = at->child;
  return VIRAL_OK;
}

static int document_open(viral_reader *r, json_state *s, viral_error *err) {
  size_t len = 0;
  int rc = read_document(r, s, &len, err);
  if (rc < 0) return rc;
  if (viral_is_blank_text(s->doc_text, len))
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, 0, "empty file, no JSON");
  long bad = invalid_utf8_line(s->doc_text, len);
  if (bad) return viral_error_set(err, VIRAL_ERR_PARSE, r->name, bad, "invalid UTF-8");
  const char *end = NULL;
  s->tree = cJSON_ParseWithLengthOpts(s->doc_text, len, &end, 0);
  if (!s->tree) {
    /* our depth limit counts from each record; the document as a whole may
     * nest deeper, so only cJSON's own limit can apply here */
    int saved = r->opts.max_depth;
    r->opts.max_depth = CJSON_NESTING_LIMIT;
    rc = parse_failure(r, s->doc_text, len, end, 1, err);
    r->opts.max_depth = saved;
    return rc;
  }
  if (end && !viral_is_blank_text(end, (size_t)(s->doc_text + len - end))) {
    long line = 1;
    for (const char *p = s->doc_text; p < end; p++) line += *p == '\n';
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, line,
                           "text after the JSON document");
  }
  free(s->doc_text); /* cJSON holds its own copies */
  s->doc_text = NULL;
  return locate_records(r, s, err);
}

static int document_next(viral_reader *r, viral_error *err) {
  json_state *s = r->impl;
  while (s->next_item) {
    cJSON *item = s->next_item;
    s->next_item = s->single ? NULL : item->next;
    size_t i = s->index++;
    const char *path = r->opts.json_path ? r->opts.json_path : "";
    size_t need = strlen(r->name) + strlen(path) + 32;
    if (!grow(&s->element_source, &s->element_source_cap, need))
      return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
    if (s->single) snprintf(s->element_source, need, "%s", r->name);
    else snprintf(s->element_source, need, "%s:%s[%zu]", r->name, path, i);
    int rc = load_object(r, s, item, s->element_source, 0, err);
    if (rc == VIRAL_OK) return 1;
    if (rc != VIRAL_ERR_PARSE || !r->opts.skip_bad_rows) return rc;
    r->skipped++;
  }
  return 0;
}

/* ---- setup ---- */

static void json_free_impl(viral_reader *r) {
  json_state *s = r->impl;
  if (!s) return;
  cJSON_Delete(s->tree);
  free(s->doc_text);
  free(s->element_source);
  free(s->line);
  free(s->arena);
  free(s->text_off);
  free(s->key);
  free(s);
  r->impl = NULL;
}

int viral_json_reader_init(viral_reader *r, viral_error *err) {
  json_state *s = calloc(1, sizeof *s);
  if (!s) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  r->impl = s;
  r->free_impl = json_free_impl;
  if (r->format == VIRAL_FORMAT_JSONL) {
    r->next = jsonl_next;
    return VIRAL_OK;
  }
  r->next = document_next;
  return document_open(r, s, err);
}
