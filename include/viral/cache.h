/* viral/cache.h - the binary vector cache: the rows of one pass over an
 * input (vectors, labels, posted_at, video_id, named columns, the bad rows
 * skipped) with the pipeline as that pass left it, in one checked file that
 * is mapped and read at memory speed (datasets/FORMATS.md, "Vector cache").
 *
 * A cache is made for one use (viral_cache_mode) of one pipeline over one
 * input with one set of reader options: its key, a hash of all of them, is
 * stored in it with the input's size and modification time, and a cache is
 * read in place of its input only when both still match. Reading it gives
 * the rows, the counts and the warning the pass over the input gave, so a
 * command gives the same output from either. */
#ifndef VIRAL_CACHE_H
#define VIRAL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/features.h"
#include "viral/reader.h"
#include "viral/rows.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the file format this library reads and writes. */
#define VIRAL_CACHE_VERSION 1

/* What the pass that makes a cache does (and so which commands read it). */
typedef enum viral_cache_mode {
  /* train, eval, tune: the pipeline fitted first when it needs it, then
   * profiled by the pass; labels (none: NAN), video_id when present,
   * posted_at, the columns asked for */
  VIRAL_CACHE_TRAIN = 1,
  /* update: labels, posted_at; the names of the hashed features met are
   * collected into the (model's) pipeline */
  VIRAL_CACHE_UPDATE,
  /* score: no label; a row without a video_id is a bad row */
  VIRAL_CACHE_SCORE
} viral_cache_mode;

typedef struct viral_cache_options {
  viral_cache_mode mode;
  const char *const *columns; /* [column_count] numeric columns kept by literal name (train) */
  size_t column_count;
} viral_cache_options;

/* The key of a cache of p (as given, before the pass) over an input read
 * with ro (NULL: defaults), made for co: a hash of p's document, ro and co,
 * into *key. VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_cache_key(const viral_pipeline *p, const viral_reader_options *ro, const viral_cache_options *co,
                    uint64_t *key, viral_error *err);

/* One pass over input (a file; not standard input) with a copy of p, as
 * co's mode says, written atomically to path. VIRAL_OK or an error (the
 * input's, as reading it directly would give; no file is left). */
int viral_cache_build(const viral_pipeline *p, const char *input, const viral_reader_options *ro,
                      const viral_cache_options *co, const char *path, viral_error *err);

/* 1 when path is a file that starts with the cache's magic, else 0. */
int viral_cache_is(const char *path);

/* Whether the cache at path is the one to read for input under key: 1 when
 * it is; 0 when it is to be made again, with why ("missing", "input
 * changed", "spec changed", "made by another format version") in why; or a
 * negative status with err set when path exists but is no cache to replace
 * (not a cache, unreadable). */
int viral_cache_fresh(const char *path, const char *input, uint64_t key, char *why, size_t why_size,
                      viral_error *err);

typedef struct viral_cache viral_cache;

/* Map the cache at path and check it whole (magic, version, size,
 * checksum, its description). NULL with err set ("c.vc: truncated: ..."). */
viral_cache *viral_cache_open(const char *path, viral_error *err);
/* VIRAL_OK when c was made under key, else an error naming the file. */
int viral_cache_check_key(const viral_cache *c, uint64_t key, viral_error *err);
/* The pipeline as the pass left it (fitted, profiled or named as the mode
 * says): a new one the caller frees, or NULL with err set. */
viral_pipeline *viral_cache_pipeline(const viral_cache *c, viral_error *err);
/* The input tally's warning of the pass ("" when none); owned by c. */
const char *viral_cache_warning(const viral_cache *c);
/* Rows stored, bad rows among them included. */
uint64_t viral_cache_rows(const viral_cache *c);
/* NULL-safe. The rows sources opened on c must be freed first. */
void viral_cache_free(viral_cache *c);

/* The rows of c (borrowed: it must outlive the source) through the row
 * source, under o (labels, columns by name: each must be one c keeps; not
 * records, shares or a sink). NULL with err set. */
viral_rows *viral_rows_open_cache(const viral_cache *c, const viral_rows_options *o, viral_error *err);

/* What a command does with --cache: the cache to read for input under
 * key, made first (with p, ro, co) when it is missing or stale; *note then
 * says why ("made: input changed"), else it is "". When input itself is a
 * cache it is opened and checked against key instead. NULL with err set. */
viral_cache *viral_cache_prepare(const char *path, const char *input, const viral_pipeline *p,
                                 const viral_reader_options *ro, const viral_cache_options *co,
                                 char *note, size_t note_size, viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
