/* json_path.h - the --json-path that leads to the array of records in a JSON
 * document (internal), matched against the parser's events as they go by.
 *
 * A path is a list of steps, each one level deeper than the last; the value
 * after the last step is the array of records. Today every step is an object
 * member (`collector`, `data.items`). A step on arrays (`items[]` for every
 * item, `[0]` for one) would be a new json_step_kind that
 * json_path_step_matches() tests against an item's index and for which
 * json_path_step_container() answers JSON_ARRAY: the reader asks only
 * those two questions. */
#ifndef VIRAL_IO_JSON_PATH_H
#define VIRAL_IO_JSON_PATH_H

#include <stddef.h>

#include "io/json_tree.h" /* json_type */

typedef enum json_step_kind {
  JSON_STEP_MEMBER /* the member called name of an object */
} json_step_kind;

typedef struct json_step {
  json_step_kind kind;
  const char *name; /* MEMBER: points into the path text */
  size_t len;
} json_step;

typedef struct json_path {
  const char *text; /* as given (borrowed), for messages */
  json_step *steps; /* [count] */
  size_t count;
} json_path;

/* Split text (borrowed; NULL or "" is the empty path: the top value) into
 * steps at each '.'. Returns 0, or -1 when out of memory. */
int json_path_parse(json_path *path, const char *text);
void json_path_release(json_path *path);

/* The kind of container a step looks into. */
json_type json_path_step_container(const json_step *step);

/* 1 when a value is the one step names: the member key[0..len) of an
 * object, or item index of an array. */
int json_path_step_matches(const json_step *step, const char *key, size_t len, size_t index);

#endif
