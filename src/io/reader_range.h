/* reader_range.h - one process's byte range of an input (internal): the
 * bytes of a file after its CSV header split into nearly equal ranges, each
 * start moved forward to the next line's start, and a reader that reads
 * only the records starting in its range (viral_rows_options.share_bytes). */
#ifndef VIRAL_IO_READER_RANGE_H
#define VIRAL_IO_READER_RANGE_H

#include <stdint.h>

#include "viral/reader.h"

typedef struct reader_range {
  uint64_t start; /* offset of the range's first byte: a line's start */
  uint64_t end;   /* its records start before this offset (UINT64_MAX: to the end) */
  long line;      /* the line of the byte at start (1-based) */
} reader_range;

/* 1 when r's input can be cut: a regular file read as CSV or JSON Lines
 * (not standard input, memory, or a JSON document). */
int reader_can_cut(const viral_reader *r);

/* Range k (0-based) of shares of r's input into *out: VIRAL_OK or an I/O
 * error. Range 0 starts at the first record's line, the last ends at the
 * end of the input; each start is the end of the range before. Counts the
 * lines before its start (memchr over them). */
int reader_share_range(const viral_reader *r, unsigned shares, unsigned k, reader_range *out,
                       viral_error *err);

/* From now on r reads only the records that start in range (seeking to its
 * start, unless r is there). A CSV record that starts in the range and
 * ends past its end (a quoted field holding a line end across the cut) is
 * an error: "cannot cut FILE at byte N for the processes: ...". VIRAL_OK
 * or an I/O error. */
int reader_set_range(viral_reader *r, const reader_range *range, viral_error *err);

/* 1 when r failed on a record spanning its range's end. */
int reader_cut_inside(const viral_reader *r);

#endif
