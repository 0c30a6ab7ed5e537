/* reader_internal.h - what reader.c (opening, input, format detection) shares
 * with the format readers csv_reader.c and json_reader.c. */
#ifndef VIRAL_IO_READER_INTERNAL_H
#define VIRAL_IO_READER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "io/reader_options.h"
#include "io/record_internal.h"
#include "viral/reader.h"

#define VIRAL_READ_CHUNK (64u * 1024u)

struct viral_reader {
  viral_format format;
  viral_reader_options opts; /* limits resolved; json_path, field_paths point into given */
  reader_options_copy given; /* the caller's options, strings copied */
  char *name; /* for messages: the path, or "stdin" */

  /* input: a file descriptor read in chunks, or one caller-owned buffer */
  int fd, own_fd;
  const char *memory;
  size_t memory_len;
  char *buffer; /* the chunk buffer (file input) */
  size_t buffer_cap;
  const char *data; /* current bytes: data[pos..len) not yet consumed */
  size_t len, pos;
  int eof;
  /* byte ranges (io/reader_range.h): where the bytes are in the input */
  uint64_t read_end;   /* offset in the input of data[len] */
  uint64_t body_start; /* offset of the first record's line (after a CSV header) */
  uint64_t range_end;  /* records start before this offset (UINT64_MAX: all) */
  int cut_inside;      /* a record read spans range_end: the cut is not a record boundary */

  size_t rows, skipped;
  int failed; /* a fatal error happened: every later call fails the same way */
  viral_error failure;

  record_schema schema;
  viral_record record;

  void *impl;
  int (*next)(viral_reader *r, viral_error *err); /* 1 record, 0 end, < 0 error */
  const char *(*path_miss)(const viral_reader *r, const char *path); /* NULL: follows none */
  void (*free_impl)(viral_reader *r);
  void (*at_line)(viral_reader *r, long line); /* data[pos] is on line `line` now (a seek) */
};

/* The offset in the input of data[pos], the next byte to read. */
static inline uint64_t reader_offset(const viral_reader *r) { return r->read_end - (r->len - r->pos); }

/* 1 when a record starting at data[pos] is past the reader's range: the
 * input then reads as ended. */
int reader_past_range(viral_reader *r);

/* After a record that started at offset start and ends at data[pos]: when
 * it spans the end of the reader's range, the range was not cut at a record
 * boundary: VIRAL_ERR_PARSE with err saying so, else VIRAL_OK. */
int reader_check_cut(viral_reader *r, uint64_t start, long line, viral_error *err);

/* Read more input. When data[pos..len) is empty it is replaced by the next
 * chunk; otherwise (keep = 1) the new bytes are appended to it. Returns 1 when
 * bytes arrived, 0 at the end of input, or VIRAL_ERR_IO with err set. */
int reader_source_read(viral_reader *r, int keep, viral_error *err);

/* Format readers: set up r->impl, r->next and r->free_impl. */
int csv_reader_init(viral_reader *r, viral_error *err);
int json_reader_init(viral_reader *r, viral_error *err);

/* 1 (the default): the CSV reader splits a line without quotes at its
 * commas itself; 0: every byte goes through libcsv, the reference the tests
 * compare the fast path with. Not for threads: tests flip it between reads. */
extern int csv_fast_path;

/* 1 when s[0..len) is valid UTF-8. */
int utf8_valid(const char *s, size_t len);
/* Length of the longest prefix of s[0..len) made of whole valid UTF-8
 * characters. When it is shorter than len, *cut is 1 when the rest is the
 * start of a valid character cut short by the end of the text, else 0. */
size_t utf8_prefix(const char *s, size_t len, int *cut);

#endif
