/* json_reader.c - JSON Lines and JSON documents holding an array of records,
 * both read with yajl's event parser and both streamed: JSON Lines a line at
 * a time, a document a record at a time, so memory stays flat in the number
 * of records. (cJSON, which reads specs and models, holds a whole document
 * and reads every number as a double.)
 *
 * Each record object is built as a json_tree, then flattened into the
 * reader's schema: nested objects give dotted names (authorMeta.verified),
 * arrays of strings or numbers and arrays of objects with a "name" become
 * lists, an array "snapshots" of objects with "h" becomes flat fields
 * <key>_<h>h, and any other array is kept as its JSON text. A number keeps
 * the text it had in the input (a 19-digit id stays exact) beside its
 * double. Strings and numbers point into the tree, which lives until the next
 * record; the texts made here live in an arena reused from record to record.
 *
 * A document is handed to yajl a piece at a time, each piece ending at the
 * latest where a record ends (json_scan finds the brackets), so at most one
 * record is complete when yajl returns. */
#include <yajl/yajl_parse.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_path.h"
#include "io/json_scan.h"
#include "io/json_tree.h"
#include "io/number_format.h"
#include "io/reader_internal.h"
#include "io/value_internal.h"
#include "viral/writer.h"

#define NO_OFFSET SIZE_MAX
/* Containers open at once, cJSON's limit: deeper is an error, which also
 * keeps yajl's own stack (a byte per level) small. */
#define JSON_NESTING_LIMIT 1000
/* The most of a document handed to yajl at once: the record size limit is
 * checked between pieces. */
#define FEED_MAX ((size_t)64 << 10)

typedef enum element_status { ELEMENT_OK, ELEMENT_NOT_OBJECT, ELEMENT_TOO_DEEP } element_status;

/* Why a callback stopped yajl. */
typedef enum stop_reason {
  STOP_NONE,
  STOP_FAILED,    /* stop_err holds the error */
  STOP_TOO_DEEP,  /* JSON Lines: nested beyond JSON_NESTING_LIMIT */
  STOP_TEXT_AFTER /* JSON Lines: a second value on the line */
} stop_reason;

typedef struct json_state {
  viral_reader *r;
  yajl_handle parser;
  int jsonl;
  json_tree tree;

  /* where the parser is */
  int depth;             /* containers open */
  int record_depth;      /* depth where records begin: 0 in JSON Lines and for one top object,
                            else the path's steps + 1 (inside the array) */
  int in_element;        /* inside an array or object that began at record_depth */
  int building;          /* ... an object whose values go to the tree */
  element_status status; /* of the element being read, or the last one */
  int element_done;      /* JSON Lines: the line's value ended */
  stop_reason stop;
  viral_error stop_err;

  /* JSON Lines */
  char *line; /* a line that spans chunks */
  size_t line_cap;
  long line_no;    /* lines read so far */
  size_t value_end; /* offset just after the line's value */
  int finishing;    /* in yajl_complete_parse: the value ends with the line */

  /* documents: one, or several back to back, each followed along the path */
  json_path path;
  size_t path_open;  /* containers on the path that are open */
  int *found;        /* [path.count]: that step was taken (a member: the first match counts) */
  size_t *items;     /* [path.count]: items seen of the array an array step looks into */
  size_t *current;   /* [path.count]: the item an array step follows now */
  int key_on_path;   /* the last key names the next step */
  int in_records;    /* an array of records is open (JSON Lines: always) */
  size_t docs;       /* top values begun */
  long doc_line;     /* the line where the last one began */
  int finished;      /* the input ended after whole top values */
  int record_ready;  /* a record is in the tree, not handed out yet */
  size_t index;      /* items of the array of records seen */
  char *element_source; /* "FILE:path[i]" of the current record */
  size_t element_source_cap, element_source_prefix; /* bytes before i, 0 until written */
  long element_line; /* its line in messages: 0, or where its document began (after the first) */

  /* field paths with array steps (opts.field_paths), followed in each record */
  json_path *fpaths;
  size_t nfpaths;
  size_t *fpath_steps; /* [nfpaths]: the most steps a record took (all: the path is seen) */
  json_path_match match;
  char *miss; /* viral_reader_path_miss's answer */
  size_t miss_cap;
  json_scan scan;    /* over the bytes handed to yajl */
  json_scan at_piece; /* ... as it was at the start of the current piece */
  const char *piece; /* the bytes handed to yajl last */
  size_t piece_len;
  uint64_t record_start; /* offset of the current record's '{' */

  /* flattening */
  char *arena; /* texts built for the current record */
  size_t arena_len, arena_cap;
  size_t *text_off; /* [record capacity]: arena offset of a value's text, or NO_OFFSET */
  size_t text_off_cap;
  char *key; /* the flattened name being built */
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

/* viral_text_emit appending to the arena (no NUL). */
static int arena_emit(void *ctx, const char *p, size_t n) {
  json_state *s = ctx;
  if (!grow(&s->arena, &s->arena_cap, s->arena_len + n + 1)) {
    s->nomem = 1;
    return -1;
  }
  if (n) memcpy(s->arena + s->arena_len, p, n);
  s->arena_len += n;
  return 0;
}

/* Append bytes (and a NUL) to the arena; returns their offset. */
static size_t arena_add(json_state *s, const char *p, size_t n) {
  size_t off = s->arena_len;
  if (arena_emit(s, p, n) < 0 || arena_emit(s, "", 1) < 0) return NO_OFFSET;
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

/* The hours of a snapshot as a name part: integers in full, anything else
 * in the shortest form that reads back exactly (0.5 gives views_0.5h). */
static void hours_text(char buf[32], double x) {
  if (x == floor(x) && fabs(x) < 9.2e18) snprintf(buf, 32, "%.0f", x);
  else viral_format_double(buf, x);
}

/* ---- flattening ---- */

static const json_node *node_at(const json_state *s, uint32_t i) { return &s->tree.nodes[i]; }
static const char *bytes_at(const json_state *s, size_t off) {
  return json_tree_bytes(&s->tree, off);
}

/* The value slot for the name in s->key[0..len), added to the schema if new. */
static viral_value *slot(viral_reader *r, json_state *s, size_t len, size_t *index) {
  if (s->nomem) return NULL;
  long k = record_schema_find(&r->schema, s->key, len);
  if (k < 0) {
    if (r->schema.count >= r->opts.max_fields) {
      s->too_many_fields = 1;
      return NULL;
    }
    int added;
    k = record_schema_add(&r->schema, s->key, len, &added);
    if (k < 0 || record_reserve(&r->record) != VIRAL_OK) {
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

static int is_scalar_list(const json_state *s, const json_node *array) {
  for (uint32_t i = array->child; i; i = node_at(s, i)->next)
    if (node_at(s, i)->type != JSON_STRING && node_at(s, i)->type != JSON_NUMBER) return 0;
  return 1;
}

/* Non-empty, and every item an object whose member called name has type. */
static int all_have_member(const json_state *s, const json_node *array, const char *name,
                           json_type type) {
  if (!array->child) return 0;
  for (uint32_t i = array->child; i; i = node_at(s, i)->next) {
    const json_node *e = node_at(s, i);
    const json_node *m = e->type == JSON_OBJECT ? json_tree_member(&s->tree, e, name) : NULL;
    if (!m || m->type != type) return 0;
  }
  return 1;
}

/* Lists are their items joined by 0x1f in the arena: before the next item
 * (count of them so far) goes in, the NUL after the last becomes 0x1f. */
static void list_separate(json_state *s, size_t count) {
  if (count > 0 && !s->nomem) s->arena[s->arena_len - 1] = '\x1f';
}

/* The list begun at arena offset start, count items, is the value v (slot index). */
static void list_finish(json_state *s, viral_value *v, size_t index, size_t start, size_t count) {
  if (count == 0) arena_add(s, "", 0);
  v->kind = VIRAL_VALUE_LIST;
  v->count = count;
  v->text = NULL;
  v->len = s->arena_len - start - 1;
  s->text_off[index] = start;
}

/* A list value: items joined by 0x1f in the arena. */
static void set_list(viral_reader *r, json_state *s, size_t len, const json_node *array,
                     int named) {
  size_t index;
  viral_value *v = slot(r, s, len, &index);
  if (!v) return;
  size_t start = s->arena_len, count = 0;
  for (uint32_t i = array->child; i; i = node_at(s, i)->next) {
    const json_node *item = named ? json_tree_member(&s->tree, node_at(s, i), "name") : node_at(s, i);
    list_separate(s, count++);
    arena_add(s, bytes_at(s, item->text), item->len);
  }
  list_finish(s, v, index, start, count);
}

/* One value a field path found, as a list item: a string or number as
 * written, true or false, an object or array as its JSON text; null adds
 * nothing. */
static void list_add_node(json_state *s, const json_node *n, size_t *count) {
  if (n->type == JSON_NULL) return;
  list_separate(s, (*count)++);
  switch (n->type) {
  case JSON_STRING:
  case JSON_NUMBER: arena_add(s, bytes_at(s, n->text), n->len); break;
  case JSON_TRUE: arena_add(s, "true", 4); break;
  case JSON_FALSE: arena_add(s, "false", 5); break;
  default:
    if (json_tree_print(&s->tree, n, arena_emit, s) == 0) arena_emit(s, "", 1);
    break;
  }
}

/* What a field path with a [] step found (s->match), as a list. */
static void set_found_list(viral_reader *r, json_state *s, size_t len) {
  size_t index;
  viral_value *v = slot(r, s, len, &index);
  if (!v) return;
  size_t start = s->arena_len, count = 0;
  for (size_t k = 0; k < s->match.count; k++) list_add_node(s, node_at(s, s->match.nodes[k]), &count);
  list_finish(s, v, index, start, count);
}

/* Any other array: its JSON text. */
static void set_json_text(viral_reader *r, json_state *s, size_t len, const json_node *array) {
  size_t index;
  viral_value *v = slot(r, s, len, &index);
  if (!v) return;
  size_t start = s->arena_len;
  if (json_tree_print(&s->tree, array, arena_emit, s) < 0 || arena_emit(s, "", 1) < 0) return;
  v->kind = VIRAL_VALUE_TEXT;
  v->text = NULL;
  v->len = s->arena_len - start - 1;
  s->text_off[index] = start;
}

static void flatten_value(viral_reader *r, json_state *s, size_t len, const json_node *item);

/* Members of object, named prefix.member (or member at the top). */
static void flatten_object(viral_reader *r, json_state *s, size_t prefix, const json_node *object) {
  for (uint32_t i = object->child; i && !s->nomem && !s->too_many_fields; i = node_at(s, i)->next) {
    const json_node *m = node_at(s, i);
    size_t at = prefix ? key_put(s, prefix, ".", 1) : 0;
    size_t len = key_put(s, at, bytes_at(s, m->key), m->key_len);
    flatten_value(r, s, len, m);
  }
}

/* "snapshots": [{"h":1,"views":3120}, ...] gives views_1h = 3120, ... */
static void flatten_snapshots(viral_reader *r, json_state *s, size_t prefix,
                              const json_node *array) {
  for (uint32_t i = array->child; i && !s->nomem; i = node_at(s, i)->next) {
    const json_node *e = node_at(s, i);
    char h[32];
    hours_text(h, json_tree_member(&s->tree, e, "h")->number);
    for (uint32_t k = e->child; k && !s->nomem && !s->too_many_fields; k = node_at(s, k)->next) {
      const json_node *m = node_at(s, k);
      if (m->key_len == 1 && *bytes_at(s, m->key) == 'h') continue;
      size_t len = prefix ? key_put(s, prefix, ".", 1) : 0;
      len = key_put(s, len, bytes_at(s, m->key), m->key_len);
      len = key_put(s, len, "_", 1);
      len = key_put(s, len, h, strlen(h));
      len = key_put(s, len, "h", 1);
      flatten_value(r, s, len, m);
    }
  }
}

static int is_snapshots_key(const json_state *s, const json_node *n) {
  return n->key != JSON_NO_KEY && n->key_len == 9 && memcmp(bytes_at(s, n->key), "snapshots", 9) == 0;
}

/* The value item under the name s->key[0..len). */
static void flatten_value(viral_reader *r, json_state *s, size_t len, const json_node *item) {
  if (item->type == JSON_OBJECT) {
    flatten_object(r, s, len, item);
    return;
  }
  if (item->type == JSON_ARRAY) {
    if (is_snapshots_key(s, item) && all_have_member(s, item, "h", JSON_NUMBER)) {
      /* the snapshot fields sit beside "snapshots", not under it */
      size_t prefix = len - item->key_len;
      flatten_snapshots(r, s, prefix ? prefix - 1 : 0, item);
    } else if (is_scalar_list(s, item)) {
      set_list(r, s, len, item, 0);
    } else if (all_have_member(s, item, "name", JSON_STRING)) {
      set_list(r, s, len, item, 1);
    } else {
      set_json_text(r, s, len, item);
    }
    return;
  }
  size_t index;
  viral_value *v = slot(r, s, len, &index);
  if (!v) return;
  memset(v, 0, sizeof *v);
  v->text = "";
  switch (item->type) {
  case JSON_STRING:
    v->len = item->len;
    v->kind = v->len ? VIRAL_VALUE_TEXT : VIRAL_VALUE_MISSING; /* "" is missing, as in CSV */
    v->text = bytes_at(s, item->text);
    break;
  case JSON_NUMBER: /* the digits as written: an id beyond 2^53 stays exact */
    v->kind = VIRAL_VALUE_NUMBER;
    v->text = bytes_at(s, item->text);
    v->len = item->len;
    v->number = item->number;
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    v->kind = VIRAL_VALUE_BOOL;
    v->number = item->type == JSON_TRUE;
    v->text = item->type == JSON_TRUE ? "true" : "false";
    v->len = strlen(v->text);
    break;
  default: /* null: missing */
    break;
  }
}

/* ---- field paths ---- */

/* Follow each field path in the record (the tree), and set the field named
 * after the path when it matched: a list when it has a [] step, else the
 * one value found, flattened as any value is. */
static void read_field_paths(viral_reader *r, json_state *s) {
  for (size_t i = 0; i < s->nfpaths && !s->nomem && !s->too_many_fields; i++) {
    const json_path *path = &s->fpaths[i];
    if (json_path_follow(path, &s->tree, 1, &s->match) < 0) {
      s->nomem = 1;
      return;
    }
    if (s->match.steps > s->fpath_steps[i]) s->fpath_steps[i] = s->match.steps;
    if (!s->match.matched) continue;
    size_t len = key_put(s, 0, path->text, strlen(path->text));
    if (json_path_has_each(path)) set_found_list(r, s, len);
    else flatten_value(r, s, len, node_at(s, s->match.nodes[0]));
  }
}

/* viral_reader_path_miss: the step of path that no record had, from the
 * most steps any record took. */
static const char *json_path_miss(const viral_reader *r, const char *text) {
  json_state *s = r->impl;
  size_t i = 0;
  while (i < s->nfpaths && strcmp(s->fpaths[i].text, text) != 0) i++;
  if (i == s->nfpaths || s->fpath_steps[i] == s->fpaths[i].count) return NULL;
  const json_path *path = &s->fpaths[i];
  size_t k = s->fpath_steps[i];
  const json_step *step = &path->steps[k];
  char at[256], in[300] = "";
  json_path_format(path, k, NULL, at, sizeof at);
  if (k) snprintf(in, sizeof in, " in '%s'", at);
  size_t need = strlen(text) + sizeof at + 128;
  if (!grow(&s->miss, &s->miss_cap, need)) return "out of memory";
  if (step->kind == JSON_STEP_MEMBER)
    snprintf(s->miss, need, "no record has '%.*s'%s", (int)step->len, step->name, in);
  else if (k == 0)
    snprintf(s->miss, need, "'%s' starts with an array step, and a record is an object", text);
  else if (step->kind == JSON_STEP_EACH)
    snprintf(s->miss, need, "no record has an array at '%s'", at);
  else
    snprintf(s->miss, need, "no record has item [%zu] in '%s'", step->index, at);
  return s->miss;
}

/* Take the options' field paths that have an array step (the others are
 * names flattening gives). */
static int field_paths_init(viral_reader *r, json_state *s, viral_error *err) {
  size_t n = r->opts.field_path_count;
  if (!n) return VIRAL_OK;
  if (!(s->fpaths = calloc(n, sizeof *s->fpaths)) || !(s->fpath_steps = calloc(n, sizeof *s->fpath_steps)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *text = r->opts.field_paths[i];
    if (!json_path_has_array_step(text)) continue;
    char why[128];
    int rc = json_path_parse(&s->fpaths[s->nfpaths], text, why, sizeof why);
    if (rc == -2)
      return viral_error_set(err, VIRAL_ERR_INVALID, r->name, 0, "field path '%s': %s", text, why);
    if (rc < 0) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
    s->nfpaths++;
  }
  r->path_miss = json_path_miss;
  return VIRAL_OK;
}

/* Turn the tree (a record object) into the reader's record. Returns
 * VIRAL_OK or a fatal status; err names source:line. */
static int load_record(viral_reader *r, json_state *s, const char *source, long line,
                       viral_error *err) {
  record_clear(&r->record);
  s->arena_len = 0;
  flatten_object(r, s, 0, node_at(s, 1));
  read_field_paths(r, s);
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

/* Why the element just read is not a record (a skippable error). */
static int element_error(const json_state *s, const char *source, long line, viral_error *err) {
  if (s->status == ELEMENT_NOT_OBJECT)
    return viral_error_set(err, VIRAL_ERR_PARSE, source, line, "expected a JSON object");
  return viral_error_set(err, VIRAL_ERR_PARSE, source, line, "JSON nested deeper than %d levels",
                         s->r->opts.max_depth);
}

/* ---- positions ---- */

/* Where a parse error is: yajl stopped at offset `stopped` of text[0..len),
 * just past the token it could not take, or (for some errors) at its start
 * after blanks. Returns an offset that a json_scan run to puts the token in
 * token_line/token_column. */
static size_t error_token_end(const char *text, size_t len, size_t stopped) {
  if (stopped > len) stopped = len;
  if (stopped > 0 && !value_is_blank(text + stopped - 1, 1)) return stopped;
  while (stopped < len && value_is_blank(text + stopped, 1)) stopped++;
  return stopped < len ? stopped + 1 : stopped;
}

/* The scan at offset `at` of the current piece. */
static json_scan scan_to(const json_state *s, size_t at) {
  json_scan there = s->at_piece;
  json_scan_run(&there, s->piece, at, -1);
  return there;
}

/* "FILE:LINE: invalid JSON at column N" for the token yajl stopped on at
 * offset `at` of the current piece. */
static int invalid_at(const json_state *s, size_t at, viral_error *err) {
  json_scan there = scan_to(s, error_token_end(s->piece, s->piece_len, at));
  return viral_error_set(err, VIRAL_ERR_PARSE, s->r->name, there.token_line,
                         "invalid JSON at column %llu", (unsigned long long)there.token_column);
}

/* ---- parser events ---- */

static int is_container(json_type t) { return t == JSON_ARRAY || t == JSON_OBJECT; }

static const char *json_type_name(json_type t) {
  switch (t) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_NUMBER: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  case JSON_NULL: break;
  }
  return "null";
}

/* Stop the parser with err set by the caller. */
static int fail(json_state *s) {
  s->stop = STOP_FAILED;
  return 0;
}

static int nomem(json_state *s) {
  viral_error_set(&s->stop_err, VIRAL_ERR_NOMEM, s->r->name, s->jsonl ? s->line_no : 0,
                  "out of memory");
  return fail(s);
}

/* The line to name in a message about the current document: 0 for the
 * first (as ever), else the line where it began. */
static long doc_line(const json_state *s) { return s->docs > 1 ? s->doc_line : 0; }

/* The path's first k steps as the place they stand at now: "[3].data" for
 * "[].data" at item 3. */
static void path_where(const json_state *s, size_t k, char *buf, size_t size) {
  json_path_format(&s->path, k, s->current, buf, size);
}

/* 1 when one of the first k steps is "[]" (the place names the item). */
static int each_before(const json_state *s, size_t k) {
  for (size_t i = 0; i < k && i < s->path.count; i++)
    if (s->path.steps[i].kind == JSON_STEP_EACH) return 1;
  return 0;
}

/* "FILE:path[i]" for the next element (FILE for an object at the top): the
 * prefix is written once per array of records, the index for each element.
 * Documents after the first add the line they begin on: "FILE:7:path[i]". */
static int set_element_source(json_state *s) {
  viral_reader *r = s->r;
  if (!s->element_source_prefix) {
    char where[512];
    path_where(s, s->path.count, where, sizeof where);
    size_t need = strlen(r->name) + strlen(where) + 64;
    if (!grow(&s->element_source, &s->element_source_cap, need)) return -1;
    char line[32] = "";
    if (doc_line(s) && s->record_depth) snprintf(line, sizeof line, ":%ld", doc_line(s));
    int n = s->record_depth == 0 ? snprintf(s->element_source, need, "%s", r->name)
                                 : snprintf(s->element_source, need, "%s%s:%s[", r->name, line, where);
    s->element_source_prefix = (size_t)n;
    s->element_line = s->record_depth == 0 ? doc_line(s) : 0;
  }
  if (s->record_depth == 0) return 0;
  char *at = s->element_source + s->element_source_prefix;
  at += format_index(at, s->index++);
  memcpy(at, "]", 2);
  return 0;
}

/* An element of an array of records (a JSON Lines line's value, an object
 * at the top of a document) ended. */
static int element_end(json_state *s) {
  s->in_element = 0;
  s->building = 0;
  if (s->jsonl) {
    s->element_done = 1;
    s->value_end = s->finishing ? SIZE_MAX : yajl_get_bytes_consumed(s->parser);
    return 1;
  }
  if (s->record_depth == 0) { /* the document was this one record: the next one may be an array */
    s->in_records = 0;
    s->record_depth = (int)s->path.count + 1; /* where the next piece is cut */
  }
  if (s->status == ELEMENT_OK) s->record_ready = 1;
  else if (s->r->opts.skip_bad_rows) s->r->skipped++;
  else {
    element_error(s, s->element_source, s->element_line, &s->stop_err);
    return fail(s);
  }
  return 1;
}

static int element_start(json_state *s, json_type type) {
  if (s->jsonl && s->element_done) {
    s->stop = STOP_TEXT_AFTER;
    return 0;
  }
  if (!s->jsonl && set_element_source(s) < 0) return nomem(s);
  s->status = type == JSON_OBJECT ? ELEMENT_OK : ELEMENT_NOT_OBJECT;
  if (type == JSON_OBJECT) {
    json_tree_reset(&s->tree);
    if (json_tree_add(&s->tree, JSON_OBJECT, NULL, 0) < 0) return nomem(s);
    s->building = 1;
    if (!s->jsonl) s->record_start = s->at_piece.offset + yajl_get_bytes_consumed(s->parser) - 1;
  }
  if (is_container(type)) {
    s->in_element = 1;
    return 1;
  }
  return element_end(s);
}

/* A value inside an element, at depth d. */
static int element_value(json_state *s, json_type type, const char *text, size_t len, int d) {
  if (!s->building) return 1;
  if (is_container(type) && d - s->record_depth + 1 > s->r->opts.max_depth) {
    s->status = ELEMENT_TOO_DEEP; /* the record is bad: build no more of it */
    s->building = 0;
    return 1;
  }
  return json_tree_add(&s->tree, type, text, len) < 0 ? nomem(s) : 1;
}

/* Step d of the path found nothing where it looked: "json path 'P': no
 * member 'S'" (" in '[3].data'" after a [] step, then hint), or "no item N
 * in 'P'". */
static int step_missed(json_state *s, size_t d, const char *hint, viral_error *err) {
  const json_step *step = &s->path.steps[d];
  char where[512], in[600] = "";
  path_where(s, d, where, sizeof where);
  if (step->kind == JSON_STEP_MEMBER) {
    if (each_before(s, d)) snprintf(in, sizeof in, " in '%s'", where);
    return viral_error_set(err, VIRAL_ERR_INVALID, s->r->name, doc_line(s),
                           "json path '%s': no member '%.*s'%s%s", s->path.text, (int)step->len,
                           step->name, in, hint);
  }
  snprintf(in, sizeof in, d ? "'%s'" : "the top array", where);
  return viral_error_set(err, VIRAL_ERR_INVALID, s->r->name, doc_line(s),
                         "json path '%s': no item %zu in %s (it has %zu)", s->path.text, step->index,
                         in, s->items[d]);
}

/* Step d looks into a container of the other kind, or a scalar: type. */
static int step_wrong_type(json_state *s, size_t d, json_type type, viral_error *err) {
  const json_step *step = &s->path.steps[d];
  if (step->kind == JSON_STEP_MEMBER) /* a spec's path on a top-level array: say how to read it */
    return step_missed(s, d, d == 0 && type == JSON_ARRAY
                                 ? " (the document is an array: an empty json path reads its items)"
                                 : "", err);
  char where[512];
  path_where(s, d, where, sizeof where);
  return viral_error_set(err, VIRAL_ERR_INVALID, s->r->name, doc_line(s),
                         "json path '%s': %s%s%s is %s, not an array", s->path.text,
                         d ? "'" : "the top", d ? where : "", d ? "'" : "", json_type_name(type));
}

/* A value on the path: the one step d - 1 named (the top when d is 0). */
static int enter(json_state *s, json_type type, size_t d) {
  if (d < s->path.count) { /* a step to take inside this value */
    const json_step *step = &s->path.steps[d];
    if (type != json_path_step_container(step)) {
      step_wrong_type(s, d, type, &s->stop_err);
      return fail(s);
    }
    s->found[d] = step->kind == JSON_STEP_EACH; /* [] takes what there is, even nothing */
    s->items[d] = 0;
    s->path_open = d + 1;
  } else if (type == JSON_ARRAY) { /* an array of records */
    s->in_records = 1;
    s->path_open = d + 1;
    s->index = 0;
    s->element_source_prefix = 0; /* named after this array's place */
  } else if (s->path.count == 0 && type == JSON_OBJECT) { /* one object at the top: one record */
    s->record_depth = 0;
    s->in_records = 1;
    s->element_source_prefix = 0;
    return element_start(s, type);
  } else if (s->path.count == 0) {
    viral_error_set(&s->stop_err, VIRAL_ERR_PARSE, s->r->name, doc_line(s),
                    "expected an array of objects or an object at the top, found %s",
                    json_type_name(type));
    return fail(s);
  } else {
    char where[512], at[600] = "";
    path_where(s, d, where, sizeof where);
    if (each_before(s, d)) snprintf(at, sizeof at, " at '%s'", where);
    viral_error_set(&s->stop_err, VIRAL_ERR_INVALID, s->r->name, doc_line(s),
                    "json path '%s'%s is %s, not an array", s->path.text, at, json_type_name(type));
    return fail(s);
  }
  return 1;
}

/* A value at the top: a document begins (several may follow each other). */
static int document_begin(json_state *s, json_type type) {
  s->docs++;
  s->doc_line = scan_to(s, yajl_get_bytes_consumed(s->parser)).token_line;
  s->record_depth = (int)s->path.count + 1;
  s->in_records = 0;
  s->path_open = 0;
  s->key_on_path = 0;
  return enter(s, type, 0);
}

/* A value outside the records, at depth d: follow the path. */
static int navigate(json_state *s, json_type type, int d) {
  if (d == 0) return document_begin(s, type);
  size_t at = (size_t)d;
  int on_path = 0;
  if (at == s->path_open) { /* in a container on the path: does its step name this value? */
    const json_step *step = &s->path.steps[at - 1];
    if (step->kind == JSON_STEP_MEMBER) {
      on_path = s->key_on_path;
    } else {
      size_t i = s->items[at - 1]++;
      on_path = json_path_step_matches(step, NULL, 0, i);
      if (on_path) {
        s->found[at - 1] = 1;
        s->current[at - 1] = i;
      }
    }
  }
  s->key_on_path = 0;
  return on_path ? enter(s, type, at) : 1;
}

/* A key outside the records: does it name the next step of the path? */
static void navigate_key(json_state *s, const char *key, size_t len) {
  size_t d = (size_t)s->depth; /* the object began at d - 1 */
  s->key_on_path = d >= 1 && d == s->path_open && d - 1 < s->path.count && !s->found[d - 1] &&
                   json_path_step_matches(&s->path.steps[d - 1], key, len, 0);
  if (s->key_on_path) s->found[d - 1] = 1;
}

/* A container outside the records that began at depth d ended. */
static int navigate_end(json_state *s, int d) {
  if ((size_t)d + 1 == s->path_open) {
    s->path_open = (size_t)d;
    if (s->in_records && (size_t)d == s->path.count) s->in_records = 0;
    else if ((size_t)d < s->path.count && !s->found[d]) {
      step_missed(s, (size_t)d, "", &s->stop_err);
      return fail(s);
    }
  }
  return 1;
}

static int on_value(json_state *s, json_type type, const char *text, size_t len) {
  int d = s->depth, ok;
  if (is_container(type) && d + 1 > JSON_NESTING_LIMIT) {
    if (s->jsonl) {
      s->stop = STOP_TOO_DEEP;
      return 0;
    }
    json_scan there = scan_to(s, yajl_get_bytes_consumed(s->parser));
    viral_error_set(&s->stop_err, VIRAL_ERR_PARSE, s->r->name, there.token_line,
                    "JSON nested deeper than %d levels", JSON_NESTING_LIMIT);
    return fail(s);
  }
  if (s->in_element) ok = element_value(s, type, text, len, d);
  else if (s->in_records && d == s->record_depth) ok = element_start(s, type);
  else ok = navigate(s, type, d);
  if (is_container(type)) s->depth++;
  return ok;
}

static int on_end(json_state *s) {
  int d = --s->depth;
  if (s->in_element) {
    if (d == s->record_depth) return element_end(s);
    if (s->building) json_tree_close(&s->tree);
    return 1;
  }
  return navigate_end(s, d);
}

static int cb_null(void *ctx) { return on_value(ctx, JSON_NULL, NULL, 0); }
static int cb_boolean(void *ctx, int b) { return on_value(ctx, b ? JSON_TRUE : JSON_FALSE, NULL, 0); }
static int cb_number(void *ctx, const char *p, size_t n) { return on_value(ctx, JSON_NUMBER, p, n); }
static int cb_string(void *ctx, const unsigned char *p, size_t n) {
  return on_value(ctx, JSON_STRING, (const char *)p, n);
}
static int cb_start_map(void *ctx) { return on_value(ctx, JSON_OBJECT, NULL, 0); }
static int cb_start_array(void *ctx) { return on_value(ctx, JSON_ARRAY, NULL, 0); }
static int cb_end(void *ctx) { return on_end(ctx); }

static int cb_map_key(void *ctx, const unsigned char *key, size_t len) {
  json_state *s = ctx;
  if (!s->in_element) navigate_key(s, (const char *)key, len);
  else if (s->building && json_tree_key(&s->tree, (const char *)key, len) < 0) return nomem(s);
  return 1;
}

/* yajl_number gets every number as the text it was written with. */
static const yajl_callbacks callbacks = {cb_null,      cb_boolean, NULL,   NULL,
                                         cb_number,    cb_string,  cb_start_map,
                                         cb_map_key,   cb_end,     cb_start_array,
                                         cb_end};

static int new_parser(json_state *s) {
  s->parser = yajl_alloc(&callbacks, NULL, s);
  if (!s->parser) return -1;
  /* the reader checks UTF-8 itself, with line numbers */
  yajl_config(s->parser, yajl_dont_validate_strings, 1);
  /* JSON Lines: checked to be one value a line; documents: any number back to back */
  yajl_config(s->parser, yajl_allow_multiple_values, 1);
  return 0;
}

static void drop_parser(json_state *s) {
  if (s->parser) yajl_free(s->parser);
  s->parser = NULL;
}

/* ---- JSON Lines ---- */

/* Why a line failed to parse, yajl having stopped at offset `stopped`:
 * nesting beyond our limit, an end inside a value, or else an invalid token. */
static int parse_failure(viral_reader *r, const char *text, size_t len, size_t stopped,
                         long line, viral_error *err) {
  json_scan all, at;
  json_scan_init(&all, line);
  json_scan_run(&all, text, len, -1);
  json_scan_init(&at, line);
  json_scan_run(&at, text, error_token_end(text, len, stopped), -1);
  if (all.max_depth > r->opts.max_depth)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, line, "JSON nested deeper than %d levels",
                           r->opts.max_depth);
  if (all.in_string || all.depth > 0)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, line,
                           "truncated JSON (it ends inside %s)",
                           all.in_string ? "a string" : "an object or array");
  return viral_error_set(err, VIRAL_ERR_PARSE, r->name, line, "invalid JSON at column %llu",
                         (unsigned long long)at.token_column);
}

/* The next line (without its LF or CRLF); 1, 0 at the end, or < 0. */
static int next_line(viral_reader *r, json_state *s, const char **line, size_t *len,
                     viral_error *err) {
  size_t have = 0;
  int spans = 0;
  if (reader_past_range(r)) return 0;
  for (;;) {
    if (r->pos == r->len) {
      int rc = reader_source_read(r, 0, err);
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

/* Parse one line into the record: VIRAL_OK, VIRAL_ERR_PARSE (a bad line:
 * skippable) or a fatal status. The parser is kept from line to line, and
 * dropped after a line it failed on (it may hold part of a token). */
static int parse_line(viral_reader *r, json_state *s, const char *line, size_t len,
                      viral_error *err) {
  size_t whole, bad = memchr(line, '\\', len) ? json_check_escapes(line, len, &whole) : len;
  if (bad < len) return parse_failure(r, line, len, bad + 1, s->line_no, err);
  if (!s->parser && new_parser(s) < 0)
    return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, s->line_no, "out of memory");
  s->depth = 0;
  s->in_element = s->building = s->element_done = 0;
  s->stop = STOP_NONE;
  yajl_status st = yajl_parse(s->parser, (const unsigned char *)line, len);
  size_t stopped = yajl_get_bytes_consumed(s->parser);
  if (st == yajl_status_ok && !s->element_done) { /* a value that ends with the line, or none */
    s->finishing = 1;
    st = yajl_complete_parse(s->parser);
    s->finishing = 0;
    stopped = len;
  }
  if (s->value_end > len) s->value_end = len;
  int text_after = s->element_done && !value_is_blank(line + s->value_end, len - s->value_end);
  if (st != yajl_status_ok || text_after) drop_parser(s);
  if (s->stop == STOP_FAILED) {
    *err = s->stop_err;
    return err->code;
  }
  if (text_after) {
    size_t at = s->value_end;
    while (at < len && (line[at] == ' ' || line[at] == '\t')) at++;
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->line_no,
                           "text after the JSON value at column %zu", at + 1);
  }
  if (st != yajl_status_ok) return parse_failure(r, line, len, stopped, s->line_no, err);
  if (s->status != ELEMENT_OK) return element_error(s, r->name, s->line_no, err);
  return load_record(r, s, r->name, s->line_no, err);
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
    if (!utf8_valid(line, len))
      rc = viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->line_no, "invalid UTF-8");
    else if ((rc = parse_line(r, s, line, len, err)) == VIRAL_OK)
      return 1;
    if (rc != VIRAL_ERR_PARSE || !r->opts.skip_bad_rows) return rc;
    r->skipped++;
  }
}

/* ---- JSON documents ---- */

/* The longest prefix of p[0..n) that does not end inside a UTF-8 character
 * or an escape (bad bytes count as whole: they are reported, not waited on). */
static size_t whole_prefix(const char *p, size_t n) {
  int cut;
  size_t valid = utf8_prefix(p, n, &cut), whole;
  if (cut) n = valid;
  size_t bad = json_check_escapes(p, n, &whole);
  return bad < n ? n : whole;
}

/* The next piece of the document for yajl, scanned: up to the end of the
 * next record, at most FEED_MAX bytes, and not ending inside a UTF-8
 * character or an escape unless the input does. Sets s->piece, piece_len,
 * at_piece and scan. Returns 1, 0 at the end of input, or < 0. */
static int next_piece(viral_reader *r, json_state *s, viral_error *err) {
  int at_end = 0;
  for (;;) {
    if (r->pos == r->len) {
      int rc = reader_source_read(r, 0, err);
      if (rc <= 0) return rc;
    }
    const char *p = r->data + r->pos;
    size_t avail = r->len - r->pos, take = avail < FEED_MAX ? avail : FEED_MAX;
    json_scan scan = s->scan;
    size_t n = json_scan_run(&scan, p, take, s->record_depth);
    if (n == take && !(at_end && take == avail)) { /* not cut where a record ends */
      size_t whole = whole_prefix(p, take);
      if (whole == 0) { /* the bytes at hand start one character or escape: read on */
        int rc = reader_source_read(r, 1, err);
        if (rc < 0) return rc;
        at_end = rc == 0;
        continue;
      }
      if (whole < take) {
        scan = s->scan;
        n = json_scan_run(&scan, p, whole, s->record_depth);
      }
    }
    s->at_piece = s->scan;
    s->scan = scan;
    s->piece = p;
    s->piece_len = n;
    return 1;
  }
}

/* After yajl stopped at offset `used` of the piece: the error to report. */
static int document_stopped(json_state *s, size_t used, viral_error *err) {
  if (s->stop == STOP_FAILED) {
    *err = s->stop_err;
    return err->code;
  }
  return invalid_at(s, used, err);
}

/* The record being read passed the size limit. */
static int record_too_long(const json_state *s) {
  return (s->building || s->record_ready) &&
         s->scan.offset - s->record_start > s->r->opts.max_record_bytes;
}

/* Hand yajl the next piece. Returns 1, 0 at the end of input, or < 0. */
static int document_step(viral_reader *r, json_state *s, viral_error *err) {
  int rc = next_piece(r, s, err);
  if (rc <= 0) return rc;
  const char *p = s->piece;
  size_t n = s->piece_len, whole;
  int cut;
  size_t valid = utf8_prefix(p, n, &cut);
  if (valid < n)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, scan_to(s, valid).line, "invalid UTF-8");
  size_t bad = json_check_escapes(p, n, &whole);
  if (bad < n) {
    json_scan there = scan_to(s, bad);
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, there.line, "invalid JSON at column %llu",
                           (unsigned long long)(there.offset - there.line_start + 1));
  }
  yajl_status st = yajl_parse(s->parser, (const unsigned char *)p, n);
  if (st != yajl_status_ok) return document_stopped(s, yajl_get_bytes_consumed(s->parser), err);
  r->pos += n;
  if (record_too_long(s))
    return viral_error_set(err, VIRAL_ERR_LIMIT, s->element_source, s->element_line,
                           "record longer than %zu bytes", r->opts.max_record_bytes);
  return 1;
}

/* The input ended: after whole top values (1), or not (< 0: empty,
 * truncated, a bare scalar whose end only the end of input shows). */
static int document_end(viral_reader *r, json_state *s, viral_error *err) {
  s->piece = "";
  s->piece_len = 0;
  s->at_piece = s->scan;
  yajl_status st = yajl_complete_parse(s->parser);
  if (s->scan.last_line == 0)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, 0, "empty file, no JSON");
  /* the end inside a value comes before what the last bytes were */
  if (s->scan.in_string || s->scan.depth > 0)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->scan.last_line,
                           "truncated JSON (it ends inside %s)",
                           s->scan.in_string ? "a string" : "an object or array");
  if (st != yajl_status_ok) return document_stopped(s, 0, err);
  s->finished = 1;
  return 1;
}

/* Read on until a record is ready, the array of records is open, or the
 * document ended. Returns VIRAL_OK or < 0. */
static int document_advance(viral_reader *r, json_state *s, int until_open, viral_error *err) {
  while (!s->record_ready && !s->finished && !(until_open && (s->in_records || s->in_element))) {
    int rc = document_step(r, s, err);
    if (rc == 0) rc = document_end(r, s, err);
    if (rc < 0) return rc;
  }
  return VIRAL_OK;
}

static int document_next(viral_reader *r, viral_error *err) {
  json_state *s = r->impl;
  int rc = document_advance(r, s, 0, err);
  if (rc < 0) return rc;
  if (!s->record_ready) return 0;
  s->record_ready = 0;
  rc = load_record(r, s, s->element_source, s->element_line, err);
  return rc < 0 ? rc : 1;
}

/* Follow the path to the array of records (the errors about the path and
 * the top value come from here), without reading past its first record. */
static int document_open(viral_reader *r, json_state *s, viral_error *err) {
  char why[128];
  int rc = json_path_parse(&s->path, r->opts.json_path, why, sizeof why);
  if (rc == -2)
    return viral_error_set(err, VIRAL_ERR_INVALID, r->name, 0, "json path '%s': %s",
                           r->opts.json_path, why);
  /* "items[]" is "items": the records are the items of the array either way */
  if (s->path.count && s->path.steps[s->path.count - 1].kind == JSON_STEP_EACH) s->path.count--;
  size_t n = s->path.count + 1;
  if (rc < 0 || !(s->found = calloc(n, sizeof *s->found)) ||
      !(s->items = calloc(n, sizeof *s->items)) || !(s->current = calloc(n, sizeof *s->current)) ||
      new_parser(s) < 0)
    return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  s->record_depth = (int)s->path.count + 1;
  json_scan_init(&s->scan, 1);
  return document_advance(r, s, 1, err);
}

/* ---- setup ---- */

static void json_free_impl(viral_reader *r) {
  json_state *s = r->impl;
  if (!s) return;
  drop_parser(s);
  json_tree_release(&s->tree);
  json_path_release(&s->path);
  for (size_t i = 0; i < s->nfpaths; i++) json_path_release(&s->fpaths[i]);
  free(s->fpaths);
  free(s->fpath_steps);
  json_path_match_release(&s->match);
  free(s->miss);
  free(s->found);
  free(s->items);
  free(s->current);
  free(s->element_source);
  free(s->line);
  free(s->arena);
  free(s->text_off);
  free(s->key);
  free(s);
  r->impl = NULL;
}

static void jsonl_at_line(viral_reader *r, long line) { ((json_state *)r->impl)->line_no = line - 1; }

int json_reader_init(viral_reader *r, viral_error *err) {
  json_state *s = calloc(1, sizeof *s);
  if (!s) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  s->r = r;
  json_tree_init(&s->tree);
  r->impl = s;
  r->free_impl = json_free_impl;
  int rc = field_paths_init(r, s, err);
  if (rc) return rc;
  /* JSON Lines with a path are documents one after the other (pages a line each) */
  if (r->format == VIRAL_FORMAT_JSONL && !(r->opts.json_path && *r->opts.json_path)) {
    s->jsonl = 1;
    s->in_records = 1; /* every line's value is a record */
    r->next = jsonl_next;
    r->at_line = jsonl_at_line;
    return VIRAL_OK;
  }
  r->next = document_next;
  return document_open(r, s, err);
}
