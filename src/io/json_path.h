/* json_path.h - paths into JSON values (internal): the --json-path that
 * leads to the arrays of records in a document, matched against the
 * parser's events as they go by, and the field paths a spec's `from` or an
 * assemble mapping gives (`hashtags[].name`), followed in each record's tree.
 *
 * A path is a list of steps, each one level deeper than the last:
 *
 *   name    the member called name of an object ("data.videos": two steps)
 *   [N]     item N (from 0) of an array
 *   []      every item of an array
 *
 * Steps are written one after the other, a member after another step
 * following a '.' ("data.videos", "items[]", "hashtags[].name", "[0].data",
 * "a[2][0]"); a leading '.' is allowed as jq writes it (".data.videos").
 * A member name holds any bytes but '.' and '['. datasets/FORMATS.md
 * documents the syntax and what each reader does with it. */
#ifndef VIRAL_IO_JSON_PATH_H
#define VIRAL_IO_JSON_PATH_H

#include <stddef.h>

#include "io/json_tree.h" /* json_type */

typedef enum json_step_kind {
  JSON_STEP_MEMBER, /* the member called name of an object */
  JSON_STEP_ITEM,   /* item index of an array: "[3]" */
  JSON_STEP_EACH    /* every item of an array: "[]" */
} json_step_kind;

typedef struct json_step {
  json_step_kind kind;
  const char *name; /* MEMBER: points into the path text */
  size_t len;
  size_t index;     /* ITEM */
} json_step;

typedef struct json_path {
  const char *text; /* as given (borrowed), for messages */
  json_step *steps; /* [count] */
  size_t count;
} json_path;

/* The largest N of a "[N]" step. */
#define JSON_PATH_MAX_INDEX 1000000000u

/* Split text (borrowed; NULL or "" is the empty path: the top value) into
 * steps. Returns 0; -1 when out of memory; -2 when the text is not a path,
 * with why (why_size bytes) saying what is wrong ("'[' without ']'"). */
int json_path_parse(json_path *path, const char *text, char *why, size_t why_size);
void json_path_release(json_path *path);

/* 1 when text has an array step ('[' outside a member name is one), so it
 * is followed as a path rather than looked up as a flattened name. */
int json_path_has_array_step(const char *text);

/* The kind of container a step looks into. */
json_type json_path_step_container(const json_step *step);

/* 1 when a value is the one step names: the member key[0..len) of an
 * object, or item index of an array. */
int json_path_step_matches(const json_step *step, const char *key, size_t len, size_t index);

/* Write the first k steps into buf (size bytes, NUL-terminated, cut when
 * too long) as path text; indices[i], when indices is not NULL, is the item
 * a "[]" step i stands at ("[3].data" for "[].data" at item 3). Returns
 * the length written. */
size_t json_path_format(const json_path *path, size_t k, const size_t *indices, char *buf,
                        size_t size);

/* ---- following a field path in one record's tree ---- */

/* What json_path_follow found: the values at the end of the path (node
 * indices into the tree), whether the path matched, and how many steps the
 * deepest branch took. Reused from record to record; start from all zero. */
typedef struct json_path_match {
  int matched;     /* a value to read: every step taken, or an empty array at a [] step
                      (an empty list, whatever the steps after it would find) */
  size_t steps;    /* steps taken on the deepest branch (count: the whole path was seen) */
  uint32_t *nodes; /* [count]: the values found, in document order */
  size_t count, cap;
} json_path_match;

/* Follow path in the tree from node root. Returns 0, or -1 when out of
 * memory. */
int json_path_follow(const json_path *path, const json_tree *tree, uint32_t root,
                     json_path_match *m);
void json_path_match_release(json_path_match *m);

/* 1 when the path has a "[]" step: what it finds is a list. */
int json_path_has_each(const json_path *path);

#endif
