/* rows_internal.h - row sources whose rows are vectors already (viral/rows.h):
 * a dataset in memory (rows.c), and the next ones (a binary vector cache).
 * Such a source is a backend: it fills rows by position, and the row
 * source around it applies the options (labels, columns) the same way for
 * all. Internal. */
#ifndef VIRAL_FEATURES_ROWS_INTERNAL_H
#define VIRAL_FEATURES_ROWS_INTERNAL_H

#include <stdint.h>

#include "viral/rows.h"

typedef struct viral_rows_backend {
  const char *name; /* for messages */
  /* Fill the row at position index (0-based, in order; the first again after
   * a rewind): x, label, weight, posted_at, id; 1, 0 past the last row, or
   * a negative status with err set. */
  int (*row)(void *ctx, uint64_t index, viral_row *row, viral_error *err);
  void (*free)(void *ctx); /* may be NULL */
} viral_rows_backend;

/* A row source over backend b (static) and its ctx (freed with it by
 * b->free). NULL with err set (ctx then freed too). */
viral_rows *viral_rows_open_backend_(const viral_rows_backend *b, void *ctx, const viral_rows_options *o,
                                     viral_error *err);

#endif
