/* json_tree.h - one record's JSON value, built from the parser's events and
 * held until the record is flattened (internal). Arrays need all their items
 * before the reader can tell a list from snapshots from other JSON, so a
 * record is held whole; the records before it are not.
 *
 * Nodes and bytes live in two buffers reused from record to record. Nodes
 * refer to each other by index and to their bytes by offset, so growing a
 * buffer invalidates nothing. Every string, key and number text is
 * NUL-terminated in the bytes buffer; numbers keep the text they had in the
 * input. */
#ifndef VIRAL_IO_JSON_TREE_H
#define VIRAL_IO_JSON_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "io/text.h" /* viral_text_emit */

typedef enum json_type {
  JSON_NULL,
  JSON_FALSE,
  JSON_TRUE,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

#define JSON_NO_KEY SIZE_MAX

typedef struct json_node {
  json_type type;
  uint32_t next;        /* the next sibling, 0 for none */
  uint32_t child, last; /* containers: first and last child, 0 for none */
  size_t key, key_len;  /* member name in the bytes, or JSON_NO_KEY for an array item or the root */
  size_t text, len;     /* NUMBER: its text as written; STRING: its value (may hold NULs) */
  double number;        /* NUMBER: the text read as a double */
} json_node;

typedef struct json_tree {
  json_node *nodes; /* [count]; nodes[0] is unused, so index 0 means none; nodes[1] is the root */
  size_t count, capacity;
  char *bytes;
  size_t len, cap;
  uint32_t *open; /* [depth]: the containers not closed yet, innermost last */
  size_t depth, open_cap;
  size_t key, key_len; /* the name for the next member, JSON_NO_KEY when none */
} json_tree;

void json_tree_init(json_tree *t);
void json_tree_release(json_tree *t);
/* Forget the last record (memory is kept). */
void json_tree_reset(json_tree *t);
/* The name of the next member of the innermost open object. Returns 0, or
 * -1 when out of memory. */
int json_tree_key(json_tree *t, const char *key, size_t len);
/* Add a value to the innermost open container (or as the root); text is a
 * number's text or a string's bytes. Arrays and objects stay open until
 * json_tree_close(). Returns 0, or -1 when out of memory. */
int json_tree_add(json_tree *t, json_type type, const char *text, size_t len);
/* Close the innermost open container. */
void json_tree_close(json_tree *t);

/* A whole JSON document text[0..len) into t (reset first; numbers keep
 * their text): 0, -1 when the text is not one JSON value (nested at most
 * max_depth deep), -2 when out of memory. */
int json_tree_parse(json_tree *t, const char *text, size_t len, int max_depth);

static inline const json_node *json_tree_node(const json_tree *t, uint32_t i) {
  return i ? &t->nodes[i] : NULL;
}
static inline const char *json_tree_bytes(const json_tree *t, size_t offset) {
  return t->bytes + offset;
}
/* The first member of object called name, or NULL. */
const json_node *json_tree_member(const json_tree *t, const json_node *object, const char *name);
/* Write node as compact JSON text, as cJSON_PrintUnformatted does except that
 * numbers keep their text as written. Returns 0, or what emit returned. */
int json_tree_print(const json_tree *t, const json_node *node, viral_text_emit emit, void *ctx);

/* The double a JSON number's text (NUL-terminated) reads as, as strtod
 * gives it. */
double json_number_value(const char *text, size_t len);

#endif
