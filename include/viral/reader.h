/* viral/reader.h - streaming readers for CSV (libcsv) and JSON (yajl): JSON
 * Lines and JSON documents holding an array of records.
 *
 * One interface for all formats: open, then pull records one at a time.
 * Memory does not grow with the number of rows, in a JSON document too.
 * Limits are explicit: a record longer than max_record_bytes, a JSON record
 * nested deeper than max_depth or a row with more than max_fields fields is
 * an error, never a truncation. datasets/FORMATS.md has every rule. */
#ifndef VIRAL_READER_H
#define VIRAL_READER_H

#include <stddef.h>

#include "viral/error.h"
#include "viral/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIRAL_DEFAULT_MAX_RECORD_BYTES (1u << 20) /* 1 MiB per record/line */
#define VIRAL_DEFAULT_MAX_FIELDS 4096
#define VIRAL_DEFAULT_MAX_DEPTH 32

typedef enum viral_format {
  VIRAL_FORMAT_AUTO = 0, /* by extension (.csv .jsonl .ndjson .json), else by content */
  VIRAL_FORMAT_CSV,
  VIRAL_FORMAT_JSONL,    /* one JSON object per line */
  VIRAL_FORMAT_JSON      /* one document holding an array of objects */
} viral_format;

typedef struct viral_reader_options {
  viral_format format;
  const char *json_path;   /* JSON path to the arrays of records in a JSON document
                              ("collector", "data.videos", "[].data.videos") */
  const char *const *field_paths; /* [field_path_count]: JSON paths with an array step
                              ("hashtags[].name", "challenges[0].title") followed in each
                              JSON record and read as the field of that name; names
                              without one, and CSV, are left as they are. Copied. */
  size_t field_path_count;
  int skip_bad_rows;       /* count and skip malformed rows instead of failing */
  size_t max_record_bytes; /* 0: VIRAL_DEFAULT_MAX_RECORD_BYTES */
  size_t max_fields;       /* 0: VIRAL_DEFAULT_MAX_FIELDS */
  int max_depth;           /* 0: VIRAL_DEFAULT_MAX_DEPTH */
} viral_reader_options;

typedef struct viral_reader viral_reader;

/* Defaults: auto format, no json path, strict, default limits. */
void viral_reader_options_init(viral_reader_options *opts);

/* Open path ("-" or NULL is stdin). opts may be NULL. Returns NULL with err
 * set on failure. Free with viral_reader_free(). */
viral_reader *viral_reader_open(const char *path, const viral_reader_options *opts,
                                viral_error *err);

/* Read from a caller-owned buffer (must outlive the reader); name is used in
 * messages. */
viral_reader *viral_reader_open_memory(const char *name, const char *data, size_t len,
                                       const viral_reader_options *opts, viral_error *err);

/* Next record: returns 1 and sets *rec (owned by the reader, valid until the
 * next call), 0 at the end, or a negative status with err set. With
 * skip_bad_rows a malformed row is counted and skipped instead. */
int viral_reader_next(viral_reader *reader, const viral_record **rec, viral_error *err);

/* Records returned so far, and rows skipped as malformed. */
size_t viral_reader_rows(const viral_reader *reader);
size_t viral_reader_skipped(const viral_reader *reader);

/* The input's name for messages: the path, or "stdin". Owned by the reader. */
const char *viral_reader_name(const viral_reader *reader);

/* Why field path `path` (one of the options' field_paths) found nothing in
 * the records read so far, naming the step that did not match: "no record
 * has 'title' in 'challenges[]'". NULL when some record had the whole path,
 * or when the reader does not follow that path (CSV, a name without an
 * array step). An empty array at a [] step reads as an empty list but shows
 * nothing of the steps after it. The text is the reader's, valid until the
 * next call. */
const char *viral_reader_path_miss(const viral_reader *reader, const char *path);

/* The format actually used (after auto-detection). */
viral_format viral_reader_format(const viral_reader *reader);

/* A format's name: "csv", "jsonl", "json", or "auto" (static). */
const char *viral_format_name(viral_format format);
/* The format called name ("csv", "jsonl" or "json") into *out: VIRAL_OK,
 * or VIRAL_ERR_INVALID for any other name (*out untouched). */
int viral_format_parse(const char *name, viral_format *out);

/* NULL-safe. */
void viral_reader_free(viral_reader *reader);

#ifdef __cplusplus
}
#endif
#endif
