/* viral/describe.h - what a dataset holds: per field, the inferred type,
 * missing and distinct counts, and the range of numeric values.
 *
 * Feed records one at a time (from any viral_reader), then finish and read
 * the summaries. Field order is the reader's schema order (the file's order).
 *
 * Type inference looks at every non-missing value of a field and picks the
 * first kind that all of them parse as, in this order:
 *   bool       JSON true/false or words the bool parser accepts ("True",
 *              "false"); plain 0/1 only when both 0 and 1 occur (a column of
 *              zeros is a number)
 *   number     plain numbers (JSON numbers, "21.5", "-3e2")
 *   count      numbers, some with a K/M/B suffix ("1.4M", "63.6K videos")
 *   duration   numbers (seconds), some as "mm:ss" or "hh:mm:ss"
 *   timestamp  unix seconds, some as ISO-8601 (naive times taken as UTC)
 *   list       JSON arrays, or text split on ',' or '|' into items of at
 *              most three words (tags), at least one value in ten having two
 *              or more items (a URL column with the odd comma is text); one
 *              value in a hundred may have a longer item (real tag columns
 *              hold the odd long tag, free text many)
 *   text       anything else
 * A field with no value at all is "empty".
 *
 * Memory: the numeric values of each field that may still be numeric are held
 * (8 bytes per value) so that the median is exact; distinct values are
 * counted exactly (a set of 64-bit hashes, so up to collisions of 64-bit
 * hashes) up to VIRAL_DESCRIBE_EXACT_DISTINCT per field, then estimated with
 * a HyperLogLog sketch (2^14 registers, about 0.8% standard error). */
#ifndef VIRAL_DESCRIBE_H
#define VIRAL_DESCRIBE_H

#include <stddef.h>
#include <stdio.h>

#include "viral/error.h"
#include "viral/reader.h"
#include "viral/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Distinct values counted exactly per field; beyond that, estimated. */
#define VIRAL_DESCRIBE_EXACT_DISTINCT 65536

typedef enum viral_field_type {
  VIRAL_FIELD_EMPTY = 0,
  VIRAL_FIELD_BOOL,
  VIRAL_FIELD_NUMBER,
  VIRAL_FIELD_COUNT,
  VIRAL_FIELD_DURATION,
  VIRAL_FIELD_TIMESTAMP,
  VIRAL_FIELD_LIST,
  VIRAL_FIELD_TEXT
} viral_field_type;

/* "empty", "bool", "number", "count", "duration", "timestamp", "list", "text". */
const char *viral_field_type_name(viral_field_type type);

/* The summary of one field, valid after viral_describe_finish(). */
typedef struct viral_field_summary {
  const char *name;       /* owned by the describe object */
  viral_field_type type;
  size_t present;         /* rows with a value */
  size_t missing;         /* rows without one (absent, empty cell, null) */
  size_t distinct;        /* distinct values among the present ones */
  int distinct_exact;     /* 1: exact; 0: a HyperLogLog estimate */
  int has_range;          /* 1 for number, count, duration and timestamp fields */
  double min, median, max; /* when has_range; timestamps in unix seconds (UTC);
                              median of an even count is the mean of the two middle values */
  /* The same three exactly, as decimal text, when every value was a whole
   * number that fits 64 bits (ids, counts beyond 2^53, which the doubles
   * round); a median may end in ".5". Empty strings otherwise. */
  char min_text[24], median_text[24], max_text[24];
} viral_field_summary;

typedef struct viral_describe viral_describe;

/* A new, empty description. NULL when out of memory. Free with
 * viral_describe_free(). */
viral_describe *viral_describe_create(void);

/* Account for one record. Returns VIRAL_OK, or VIRAL_ERR_NOMEM with err set
 * (the record's source and line in the message). */
int viral_describe_add(viral_describe *d, const viral_record *rec, viral_error *err);

/* Compute the summaries; call once, after the last record (no add after it).
 * Returns VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_describe_finish(viral_describe *d, viral_error *err);

/* Records added. */
size_t viral_describe_rows(const viral_describe *d);
/* Fields seen, in schema order. */
size_t viral_describe_field_count(const viral_describe *d);
/* Summary of field i (i < field_count), owned by d; valid after finish. */
const viral_field_summary *viral_describe_field(const viral_describe *d, size_t i);

/* NULL-safe. */
void viral_describe_free(viral_describe *d);

/* ---- writing it (after finish) ----
 * name is the input as messages name it (a path, or "stdin") and format
 * what the reader read it as (viral_reader_format). Both return VIRAL_OK or
 * VIRAL_ERR_NOMEM; a write error is left in ferror(out). */

/* "NAME: N rows, M fields (FORMAT)", a blank line, then one line per field:
 * field, type, missing, distinct ("~" before an estimate), min, median, max
 * (times as ISO-8601 UTC; whole numbers in full, others to 6 significant
 * digits), in columns two blanks apart. */
int viral_describe_write_text(const viral_describe *d, const char *name, viral_format format, FILE *out,
                              viral_error *err);
/* One JSON document: file, format, rows, skipped (rows skipped as
 * malformed) and per field name, type, present, missing, distinct,
 * distinct_exact and, with a range, min, median and max (exact digits for
 * whole numbers beyond 2^53) and, for times, earliest and latest. */
int viral_describe_write_json(const viral_describe *d, const char *name, viral_format format,
                              size_t skipped, FILE *out, viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
