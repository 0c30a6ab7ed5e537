/* eval_internal.h - what eval.c keeps of the input, shared with run.c. */
#ifndef VIRAL_EVAL_INTERNAL_H
#define VIRAL_EVAL_INTERNAL_H

#include <stddef.h>

#include "viral/reader.h"

/* The input of viral_eval_load: its name always, its bytes when folds refit
 * the pipeline. */
struct viral_eval_source {
  char *name;                /* the path ("stdin" for standard input), for messages and format detection */
  char *bytes;               /* the whole input (NULL when folds share the vectors) */
  size_t len;
  viral_reader_options ropts; /* skip_bad_rows: the load's, so a second read skips the same records */
  char *json_path;           /* ropts.json_path, owned */
};

#endif
