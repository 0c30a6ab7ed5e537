/* json_tree.c - see json_tree.h. */
#include "io/json_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "io/value_internal.h"
#include "io/array.h"

void json_tree_init(json_tree *t) {
  memset(t, 0, sizeof *t);
  t->key = JSON_NO_KEY;
}

void json_tree_release(json_tree *t) {
  free(t->nodes);
  free(t->bytes);
  free(t->open);
  json_tree_init(t);
}

void json_tree_reset(json_tree *t) {
  t->count = 1;
  t->len = 0;
  t->depth = 0;
  t->key = JSON_NO_KEY;
}

/* Copy p[0..n) and a NUL into the bytes; its offset, or SIZE_MAX. */
static size_t add_bytes(json_tree *t, const char *p, size_t n) {
  if (array_grow((void **)&t->bytes, &t->cap, t->len + n + 1, 1, 64) < 0) return SIZE_MAX;
  size_t off = t->len;
  if (n) memcpy(t->bytes + off, p, n);
  t->bytes[off + n] = '\0';
  t->len += n + 1;
  return off;
}

int json_tree_key(json_tree *t, const char *key, size_t len) {
  t->key = add_bytes(t, key, len);
  t->key_len = len;
  return t->key == SIZE_MAX ? -1 : 0;
}

int json_tree_add(json_tree *t, json_type type, const char *text, size_t len) {
  if (t->count == 0) t->count = 1;
  if (t->count >= UINT32_MAX ||
      array_grow((void **)&t->nodes, &t->capacity, t->count + 1, sizeof *t->nodes, 64) < 0)
    return -1;
  uint32_t i = (uint32_t)t->count;
  json_node *n = &t->nodes[i];
  memset(n, 0, sizeof *n);
  n->type = type;
  n->key = t->key;
  n->key_len = t->key_len;
  t->key = JSON_NO_KEY;
  if (type == JSON_NUMBER || type == JSON_STRING) {
    if ((n->text = add_bytes(t, text, len)) == SIZE_MAX) return -1;
    n->len = len;
    if (type == JSON_NUMBER) n->number = json_number_value(t->bytes + n->text, len);
  }
  t->count++;
  if (t->depth > 0) {
    json_node *parent = &t->nodes[t->open[t->depth - 1]];
    if (parent->last) t->nodes[parent->last].next = i;
    else parent->child = i;
    parent->last = i;
  }
  if (type == JSON_ARRAY || type == JSON_OBJECT) {
    if (array_grow((void **)&t->open, &t->open_cap, t->depth + 1, sizeof *t->open, 64) < 0) return -1;
    t->open[t->depth++] = i;
  }
  return 0;
}

void json_tree_close(json_tree *t) {
  if (t->depth > 0) t->depth--;
  t->key = JSON_NO_KEY;
}

const json_node *json_tree_member(const json_tree *t, const json_node *object, const char *name) {
  size_t n = strlen(name);
  for (uint32_t i = object->child; i; i = t->nodes[i].next) {
    const json_node *m = &t->nodes[i];
    if (m->key_len == n && memcmp(t->bytes + m->key, name, n) == 0) return m;
  }
  return NULL;
}

double json_number_value(const char *text, size_t len) {
  double x;
  if (value_parse_plain(text, len, 1, &x)) return x;
  return strtod(text, NULL);
}

/* ---- printing ---- */

int json_tree_print(const json_tree *t, const json_node *node, viral_text_emit emit, void *ctx) {
  switch (node->type) {
  case JSON_NULL: return emit(ctx, "null", 4);
  case JSON_FALSE: return emit(ctx, "false", 5);
  case JSON_TRUE: return emit(ctx, "true", 4);
  case JSON_NUMBER: return emit(ctx, t->bytes + node->text, node->len);
  case JSON_STRING: return json_string_emit(t->bytes + node->text, node->len, emit, ctx);
  case JSON_ARRAY:
  case JSON_OBJECT: break;
  }
  int object = node->type == JSON_OBJECT;
  int rc = emit(ctx, object ? "{" : "[", 1);
  for (uint32_t i = node->child; i && rc == 0; i = t->nodes[i].next) {
    const json_node *c = &t->nodes[i];
    if (i != node->child) rc = emit(ctx, ",", 1);
    if (rc == 0 && object) rc = json_string_emit(t->bytes + c->key, c->key_len, emit, ctx);
    if (rc == 0 && object) rc = emit(ctx, ":", 1);
    if (rc == 0) rc = json_tree_print(t, c, emit, ctx);
  }
  return rc ? rc : emit(ctx, object ? "}" : "]", 1);
}

/* ---- a whole document, through yajl ---- */

typedef struct parse_state {
  json_tree *t;
  int depth, max_depth;
  int nomem;
} parse_state;

static int parse_add(parse_state *s, json_type type, const char *text, size_t len) {
  int container = type == JSON_ARRAY || type == JSON_OBJECT;
  if (container && ++s->depth > s->max_depth) return 0;
  if (json_tree_add(s->t, type, text, len) < 0) {
    s->nomem = 1;
    return 0;
  }
  return 1;
}

static int parse_null(void *ctx) { return parse_add(ctx, JSON_NULL, NULL, 0); }
static int parse_boolean(void *ctx, int b) { return parse_add(ctx, b ? JSON_TRUE : JSON_FALSE, NULL, 0); }
static int parse_number(void *ctx, const char *p, size_t n) { return parse_add(ctx, JSON_NUMBER, p, n); }
static int parse_string(void *ctx, const unsigned char *p, size_t n) {
  return parse_add(ctx, JSON_STRING, (const char *)p, n);
}
static int parse_start_map(void *ctx) { return parse_add(ctx, JSON_OBJECT, NULL, 0); }
static int parse_start_array(void *ctx) { return parse_add(ctx, JSON_ARRAY, NULL, 0); }
static int parse_end(void *ctx) {
  parse_state *s = ctx;
  s->depth--;
  json_tree_close(s->t);
  return 1;
}
static int parse_key(void *ctx, const unsigned char *key, size_t len) {
  parse_state *s = ctx;
  if (json_tree_key(s->t, (const char *)key, len) < 0) {
    s->nomem = 1;
    return 0;
  }
  return 1;
}

/* yajl_number gets every number as the text it was written with. */
static const yajl_callbacks parse_callbacks = {parse_null,      parse_boolean, NULL,      NULL,
                                               parse_number,    parse_string,  parse_start_map,
                                               parse_key,       parse_end,     parse_start_array,
                                               parse_end};

int json_tree_parse(json_tree *t, const char *text, size_t len, int max_depth) {
  parse_state s = {t, 0, max_depth, 0};
  json_tree_reset(t);
  yajl_handle h = yajl_alloc(&parse_callbacks, NULL, &s);
  if (!h) return -2;
  yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
  if (st == yajl_status_ok) st = yajl_complete_parse(h);
  yajl_free(h);
  if (s.nomem) return -2;
  return st == yajl_status_ok && t->count > 1 ? 0 : -1;
}
