/* rows_internal.h - row sources whose rows are vectors already (viral/rows.h):
 * a dataset in memory (rows.c) and the binary vector cache (cache.c).
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
   * a rewind): x, label, weight, posted_at, id, and columns when the backend
   * has them (else they stay NAN); 1, 0 past the last row, 2 for a bad row
   * skipped when the rows were made (err: why; the row source counts it and
   * tells the skipped callback), or a negative status with err set. */
  int (*row)(void *ctx, uint64_t index, viral_row *row, viral_error *err);
  void (*free)(void *ctx); /* may be NULL */
  /* Records the reader skipped when the rows were made (bad rows without a
   * message); may be NULL. */
  uint64_t (*reader_skipped)(void *ctx);
  /* The rows' name for messages (a file); may be NULL: name. */
  const char *(*source_name)(void *ctx);
} viral_rows_backend;

/* A row source over backend b (static) and its ctx (freed with it by
 * b->free). NULL with err set (ctx then freed too). */
viral_rows *viral_rows_open_backend_(const viral_rows_backend *b, void *ctx, const viral_rows_options *o,
                                     viral_error *err);

#endif
