/* viral/score.h - scoring new videos: the rows `viral score` writes, and a
 * scorer that scores records held in memory from many threads at once with
 * one model, and takes a new model while it serves (`viral serve`).
 *
 * The scorer reads a request's records with the model's pipeline through
 * the row source (viral/rows.h), under the rules of `viral score`: every row
 * needs a video_id, the input must have the fields the model reads (unless
 * allow_missing), a row that cannot be scored stops the request. Each
 * request's output is what `viral score` writes for the same records, byte
 * for byte: CSV, JSON Lines, or those JSON objects as one JSON value.
 *
 * Models and threads: the scorer holds the current model in a generation;
 * scoring leases the current generation (viral_scorer_acquire), so a reload
 * that replaces the model while a request is scored leaves that request on
 * the model it started with, and the old model is freed when its last lease
 * is released. A lease is used by one thread at a time; the scorer's calls
 * may come from any thread. */
#ifndef VIRAL_SCORE_H
#define VIRAL_SCORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "viral/error.h"
#include "viral/model.h"
#include "viral/reader.h"
#include "viral/record.h"
#include "viral/rows.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most reasons a scored row may carry (`--explain K`, `?explain=K`). */
#define VIRAL_SCORE_MAX_EXPLAIN 100

/* ---- the rows of `viral score` ---- */

/* One scored row: its video_id, its prediction and its n reasons (the
 * reasons column is written when explain is not 0, even when n is 0), and
 * the number of its record in the input (viral_row.record). */
typedef struct viral_scored_row {
  viral_strview id;
  const viral_prediction *prediction;
  const viral_reason *reasons;
  size_t n;
  size_t explain;
  uint64_t record;
} viral_scored_row;

/* The CSV header line: "video_id,probability,viral" and ",reasons" when
 * explain is not 0. */
void viral_score_write_csv_header(FILE *out, size_t explain);
/* One CSV line: the id (quoted when it needs to be), the probability
 * exactly (viral_format_double), the 0/1 verdict and, with explain, the
 * reasons in one cell ("name (+0.532); name (-0.21)"). */
void viral_score_write_csv_row(FILE *out, const viral_scored_row *row);
/* One JSON object, without a newline: {"video_id":..,"probability":..,
 * "viral":0|1} and, with explain, "reasons":[{"feature","value",
 * "contribution"}...]. A JSON Lines output is these, one per line. */
void viral_score_write_json_row(FILE *out, const viral_scored_row *row);

/* The next row of rows (a source over records through m's pipeline, with
 * ids) scored by m, working in scratch: 1 with *out set (its prediction in
 * *pred, its reasons, at most explain of them, in reasons[]), 0 at the end
 * of the pass, or a negative status with err set. A row m cannot score is
 * a bad row of rows (viral_rows_reject): skipped under its policy, or the
 * error. */
int viral_score_next_row(const viral_model *m, viral_model_scratch *scratch, viral_rows *rows,
                         size_t explain, viral_prediction *pred, viral_reason *reasons,
                         viral_scored_row *out, viral_error *err);

/* ---- a scorer shared by threads ---- */

typedef struct viral_scorer_options {
  double threshold;     /* probability at which a video counts as viral; < 0: the
                           model's (default) */
  int allow_missing;    /* read an input that lacks fields the model reads (default 0) */
  uint64_t check_after; /* check the input's fields after this many records at the
                           latest (viral_rows_options.check_after; `viral score`'s
                           value gives its answers; default 0: at the end) */
  size_t inspect_top;   /* weights of each sign in viral_scorer_model_json (default 10,
                           as `viral inspect`) */
} viral_scorer_options;

/* The defaults above. */
void viral_scorer_options_init(viral_scorer_options *o);

typedef struct viral_scorer viral_scorer;

/* A scorer of the model at path (loaded and checked now, generation 1).
 * The path is kept for viral_scorer_reload. o may be NULL (defaults). NULL
 * with err set ("PATH: problem"). Free with viral_scorer_free(). */
viral_scorer *viral_scorer_create(const char *path, const viral_scorer_options *o, viral_error *err);

/* Load the model file again and, when it loads and checks in full, make it
 * the current model (the next generation): requests already under way
 * finish on the model they leased. On failure the current model stays and
 * err says why ("PATH: checksum mismatch ..."). Not for several threads at
 * once (one thread watches the file). */
int viral_scorer_reload(viral_scorer *s, viral_error *err);

/* The current generation (1 for the first model, one more per reload). */
uint64_t viral_scorer_generation(viral_scorer *s);

/* What `viral inspect --json PATH` prints for the current model, and its
 * generation (may be NULL). Caller frees; NULL when out of memory. */
char *viral_scorer_model_json(viral_scorer *s, uint64_t *generation);

/* NULL-safe. Every lease must have been released. */
void viral_scorer_free(viral_scorer *s);

/* ---- scoring ---- */

/* The records of one request, held by the caller. */
typedef struct viral_score_request {
  const char *name;    /* the input's name in messages ("body") */
  const char *data;    /* len bytes */
  size_t len;
  viral_format format; /* CSV, JSONL, or JSON: one object (one output object and a
                          newline), several one after another (JSON Lines out), or
                          an array (an output array); the model's spec may give a
                          JSON path to the array */
  size_t explain;      /* reasons per row, 0 to VIRAL_SCORE_MAX_EXPLAIN */
} viral_score_request;

/* What a request gave. */
typedef struct viral_score_result {
  char *text;          /* the output (caller frees; viral_score_result_release) */
  size_t len;
  viral_format format; /* of the output: CSV, JSONL, or JSON (JSONL for JSON
                          objects one after another) */
  uint64_t rows;       /* rows scored */
  uint64_t generation; /* of the model that scored them */
  int unreadable;      /* on failure: 1 when the bytes are not valid in their format
                          (a request to refuse as malformed), 0 when records could
                          not be scored (missing fields, bad values, no video_id) */
  char warning[VIRAL_ERROR_MAX]; /* the input check's warning ("body: fields missing
                                    in more than half of the 40 rows: ..."), or "" */
} viral_score_result;

/* Free res's text and clear it. NULL-safe. */
void viral_score_result_release(viral_score_result *res);

/* A lease of the current model: scoring with it uses that model however
 * many reloads happen meanwhile. NULL when out of memory. Release with
 * viral_scorer_release(). */
typedef struct viral_scorer_lease viral_scorer_lease;
viral_scorer_lease *viral_scorer_acquire(viral_scorer *s, viral_error *err);
/* Give the lease back (NULL-safe); the last lease of a replaced model frees it. */
void viral_scorer_release(viral_scorer_lease *l);

/* Score req's records with l's model into res (cleared first). VIRAL_OK, or
 * the first error (a bad row stops the request) with err set and res's
 * unreadable saying which kind; res's text is then NULL. */
int viral_scorer_lease_score(viral_scorer_lease *l, const viral_score_request *req,
                             viral_score_result *res, viral_error *err);

/* viral_scorer_lease_score on a lease of the current model, taken for the
 * call. */
int viral_scorer_score(viral_scorer *s, const viral_score_request *req, viral_score_result *res,
                       viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
