/* score_log.h - `viral score --log`: a snapshot log in, each video's
 * probability at each look (or at --score-at ages) out. */
#ifndef VIRAL_CLI_SCORE_LOG_H
#define VIRAL_CLI_SCORE_LOG_H

#include <stddef.h>
#include <stdio.h>

#include "viral/model.h"

typedef struct score_log_options {
  const double *ages_h; /* NULL: at each look from the model's window on */
  size_t age_count;
  int jsonl;            /* rows as JSON lines, else CSV */
  int allow_missing;
  int skip_bad_rows;    /* a bad line is said and skipped, else it stops the run */
  int quiet;
  const char *html;     /* NULL, or the trajectories page to write here */
  int csv;              /* the log is CSV (viral gen --log): each row read as an observe event */
} score_log_options;

/* Score the snapshot log at path (JSON Lines observe events, as `viral gen
 * --log --to jsonl` writes and `viral stream` reads) into out through the
 * stream's engine, scoring only. Takes *m over (sets it to NULL). Returns
 * an exit code, having said what went wrong. */
int score_log(viral_model **m, const char *path, const score_log_options *o, FILE *out);

#endif
