/* eval_internal.h - what eval.c keeps of the input, shared with run.c. */
#ifndef VIRAL_EVAL_INTERNAL_H
#define VIRAL_EVAL_INTERNAL_H

#include <stddef.h>

#include "io/reader_options.h"

/* The input of viral_eval_load: its name always, its bytes when folds refit
 * the pipeline. */
struct viral_eval_source {
  char *name;                /* the path ("stdin" for standard input), for messages and format detection */
  char *bytes;               /* the whole input (NULL when folds share the vectors) */
  size_t len;
  reader_options_copy ropts; /* the load's (skip_bad_rows too, so a second read skips the same
                                records), strings owned: the caller's may be gone by then */
};

#endif
