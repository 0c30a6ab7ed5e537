/* viral/rows.h - the row source: one iterator over the rows every command
 * learns from, scores or writes. A row is a vector, its label and weight,
 * and where it came from (record number, posted_at, video_id, numeric
 * columns asked for by name). Two kinds of source give the same rows:
 *  - the records of an input (a file, standard input, or bytes in memory)
 *    read by a viral_reader and turned into vectors by a pipeline;
 *  - the rows of a viral_dataset already in memory.
 * Training from a file and from memory, evaluation, conversion and scoring
 * all read their rows here, so they all treat a row the same way.
 *
 * Bad rows: the one policy (a source over records; a dataset's rows were
 * checked when they were made and have none).
 *  - Errors that stop the pass, always: the input cannot be opened or read;
 *    it lacks a field the pipeline reads (viral_pipeline_tally_check: at
 *    the end of the pass, at a CSV header, after check_after records, or
 *    as soon as a row fails for that likelier reason); out of memory.
 *  - Bad rows: a record the reader cannot parse; a record whose features or
 *    label cannot be computed ("data.csv:12: field 'views_1h': negative
 *    count -5"); a row without a label where labels are required; a row
 *    without a video_id where ids are required; a row its consumer refuses
 *    (viral_rows_reject). A bad row is an error that stops the pass unless
 *    the reader options say skip_bad_rows: then it is counted (bad_rows),
 *    told to the skipped callback (a record the reader skipped is counted
 *    only) and skipped.
 *  - Counted and skipped: rows without a label where only labelled rows are
 *    wanted (unlabeled).
 *
 * A source borrows its pipeline and uses it: it tallies the input's fields
 * in it (viral_pipeline_tally_*, so its warning is the pipeline's), fits it
 * (viral_rows_fit) and transforms with it. One pass at a time; a second
 * pass (viral_rows_rewind) needs an input that can be read again: a file or
 * memory, not standard input. */
#ifndef VIRAL_ROWS_H
#define VIRAL_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/features.h"
#include "viral/reader.h"
#include "viral/record.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One row, owned by its source and valid until the next call on it. */
typedef struct viral_row {
  const viral_sparse *x;    /* the vector; NULL when the source names coordinates (sink) */
  double label;             /* 0 or 1; NAN when the row has none (VIRAL_ROWS_ANY_LABEL,
                               VIRAL_ROWS_NO_LABEL) */
  double weight;            /* the row's importance: 1 (no input carries one yet) */
  uint64_t record;          /* 0-based number of its record among those the reader gave
                               (a dataset: its row) */
  double posted_at;         /* unix seconds, NAN when unknown or not asked for (times) */
  const char *id;           /* video_id, id_len bytes, not NUL-terminated; NULL when absent
                               or not asked for */
  size_t id_len;
  const double *columns;    /* [column_count] the columns asked for, NAN when absent */
  const viral_record *rec;  /* the record it came from; NULL from a dataset */
} viral_row;

/* What a source does with labels. */
typedef enum viral_rows_labels {
  VIRAL_ROWS_LABELLED = 0,   /* rows without a label are counted (unlabeled) and skipped */
  VIRAL_ROWS_LABEL_REQUIRED, /* a row without a label is a bad row ("no label (rule 'viral')") */
  VIRAL_ROWS_ANY_LABEL,      /* rows come with their label, NAN when none */
  VIRAL_ROWS_NO_LABEL        /* the label is not computed (its fields are not read) */
} viral_rows_labels;

/* What a source does with video_id. */
typedef enum viral_rows_ids {
  VIRAL_ROWS_NO_ID = 0,      /* not read */
  VIRAL_ROWS_ID,             /* read when the row has one */
  VIRAL_ROWS_ID_REQUIRED     /* a row without one is a bad row (score's rule: every
                                scored row needs one); the input tally checks it */
} viral_rows_ids;

typedef struct viral_rows_options {
  viral_rows_labels labels;
  viral_rows_ids ids;
  int times;                     /* 1: read posted_at through the pipeline's field mapping */
  const char *const *columns;    /* [column_count] numeric columns read as they are, by
                                    literal name (views_2h, oracle_p) */
  size_t column_count;
  const uint64_t *records;       /* only these records (0-based, ascending; NULL: all) */
  size_t record_count;
  /* One process's share of the records, when several read the same input
   * (viral/dist.h): the records of the blocks of share_block records
   * (numbered from 0) whose number is share modulo shares. Every record is
   * still read and tallied, so the checks and warnings are the whole
   * input's, and records counts them all; the other shares' are neither
   * transformed nor returned, and the records the reader skipped count as
   * bad rows in share 0 only. shares 0 or 1: every record. */
  unsigned shares, share;
  uint64_t share_block;
  /* 1: share reads only its byte range of the input instead (with shares
   * > 1): the bytes of the file after its CSV header split into shares
   * nearly equal ranges, each start moved forward to the next line's start;
   * a share reads the records whose first byte lies in its range, so each
   * record is read by one share, and the shares in order read the file in
   * order. Every share reads the CSV header (the columns). Line numbers in
   * messages and records are the whole input's. Each share tallies its own
   * records (check_after counts the share's records): the end-of-pass
   * check of the input's fields waits for viral_rows_sum_shares. A CSV quoted field holding a line end across a
   * cut is an error ("cannot cut FILE at byte N for the processes: a quoted
   * field spans a line end there; ..."), never wrong rows.
   *   When the shares are the processes of the MPI job (viral/dist.h: its
   * size is shares and its rank share), viral_rows_open is collective (the
   * shares agree on the mode and on an error, and exchange the records of
   * their ranges, read once at open); so are viral_rows_fit and
   * viral_rows_sum_shares. Shares set by hand in a process alone (tests)
   * read the ranges before their own at open to number their records, and
   * viral_rows_fit reads every record.
   *   Input that cannot be cut (standard input, memory, a JSON document,
   * JSON Lines under a json_path) falls back to dealing blocks of
   * share_block records (1 when 0): viral_rows_get_sharing says which. */
  int share_bytes;
  int checked;                   /* 1: a second read of an input read well before: no
                                    tally, and a record that fails now is an error (the
                                    reader still skips what it skipped the first time) */
  uint64_t check_after;          /* check the input's fields after this many records at
                                    the latest, so that output held back until then can
                                    go (0: at the end of the pass) */
  /* Name coordinates instead of building vectors: sink receives every
   * coordinate of each row (viral_pipeline_transform_named), after
   * sink_begin(sink_ctx) (may be NULL) starts the row. */
  viral_feature_sink sink;
  void (*sink_begin)(void *ctx);
  void *sink_ctx;
  /* Told of each bad row skipped (may be NULL). */
  void (*skipped)(void *ctx, const viral_error *why);
  void *skipped_ctx;
} viral_rows_options;

/* Labelled rows only, no id, no times, no columns, every record, checked
 * at the end of the pass. */
void viral_rows_options_init(viral_rows_options *o);

typedef struct viral_rows viral_rows;

/* The records of path ("-" or NULL: stdin) through p (borrowed, used and
 * changed as the top of this file says; it must outlive the source). ro
 * and o may be NULL (defaults); o's columns and records are borrowed.
 * NULL with err set. Free with viral_rows_free(). */
viral_rows *viral_rows_open(viral_pipeline *p, const char *path, const viral_reader_options *ro,
                            const viral_rows_options *o, viral_error *err);
/* The same over len bytes at data (borrowed; they must outlive the
 * source), called name in messages. */
viral_rows *viral_rows_open_memory(viral_pipeline *p, const char *name, const char *data, size_t len,
                                   const viral_reader_options *ro, const viral_rows_options *o,
                                   viral_error *err);
/* The rows of ds (borrowed), in order: their vectors and labels, record =
 * row number. */
viral_rows *viral_rows_open_dataset(const viral_dataset *ds, const viral_rows_options *o,
                                    viral_error *err);
/* The rows rows[0 .. n) of ds (borrowed), in that order (NULL rows: every
 * row, as viral_rows_open_dataset), row r posted at posted_at[r]
 * ([ds->rows], borrowed; NULL: none has a time). */
viral_rows *viral_rows_open_dataset_rows(const viral_dataset *ds, const size_t *rows, size_t n,
                                         const double *posted_at, const viral_rows_options *o, viral_error *err);

/* Next row: 1 and *row set, 0 at the end of the pass (the input then
 * checked), or a negative status with err set. */
int viral_rows_next(viral_rows *s, const viral_row **row, viral_error *err);

/* The consumer cannot use the row just returned: a bad row (see the top of
 * this file). VIRAL_OK when it is skipped, else err's status (err holds the
 * consumer's reason, which becomes the input tally's when that explains it
 * better). */
int viral_rows_reject(viral_rows *s, viral_error *err);

/* Start the input again: the next row is the first. VIRAL_OK, or an error
 * for standard input, which cannot be read twice. */
int viral_rows_rewind(viral_rows *s, viral_error *err);

/* One whole pass fitting the source's pipeline on its records
 * (viral_pipeline_fit_begin, fit_record, fit_end), under the same policy;
 * the next viral_rows_next starts the input again. VIRAL_OK or an error.
 * Byte ranges of the job's processes: collective; each process reads its
 * range, the processes agree on the pass (viral_dist_agree), sum their
 * tallies (viral_rows_sum_shares) and pool what they fitted: the label
 * values of a quantile rule (every process then has them all, and the
 * same threshold as one process), the scaling statistics (combined in
 * rank order: the same on every process, one process's up to rounding),
 * the names of hashed features (noted again in rank order: one process's,
 * unless names_max filled a process's own table before it met an index
 * another process named with another name). */
int viral_rows_fit(viral_rows *s, viral_error *err);

/* How a source shares its input with other processes. */
typedef enum viral_rows_sharing {
  VIRAL_ROWS_UNSHARED = 0,  /* every record read and returned */
  VIRAL_ROWS_DEALT,         /* every record read and tallied, the share's blocks returned
                               (shares, share, share_block): counts and tally are the input's */
  VIRAL_ROWS_BYTE_RANGE     /* only the records of the share's byte range read (share_bytes):
                               counts and tally are the share's until viral_rows_sum_shares */
} viral_rows_sharing;
/* The sharing in effect (share_bytes falls back to VIRAL_ROWS_DEALT for an
 * input that cannot be cut). */
viral_rows_sharing viral_rows_get_sharing(const viral_rows *s);

/* After a pass of viral_rows_next that ended (returned 0), for a source
 * reading a byte range: sums the counts (viral_rows_get_counts) and the
 * input tally (viral_pipeline_tally_*: the check, the warning, "no labelled
 * rows") over the processes of the job, so that they are what one process
 * reading the whole input gets, and checks the input's fields (the check
 * the pass left). Collective when the shares are the job's processes
 * (every process calls it, in the same order as the other collective calls,
 * after agreeing on the pass: viral_dist_agree); a share alone only checks
 * its own tally. Any other source: VIRAL_OK at once. VIRAL_OK or the
 * check's error (the same on every process). */
int viral_rows_sum_shares(viral_rows *s, viral_error *err);

/* What the current (or last) pass saw. */
typedef struct viral_rows_counts {
  uint64_t records;   /* records the reader gave (a dataset: rows) */
  uint64_t rows;      /* rows returned */
  uint64_t unlabeled; /* rows skipped for want of a label */
  uint64_t bad_rows;  /* bad rows skipped, those the reader skipped included */
} viral_rows_counts;
void viral_rows_get_counts(const viral_rows *s, viral_rows_counts *out);

/* 1 once the input is known to have the fields the pipeline reads (a CSV
 * header, check_after records, or the end of a pass): output held back
 * until then may go. 1 for a dataset. */
int viral_rows_input_checked(const viral_rows *s);

/* The input's name for messages ("stdin" for standard input). */
const char *viral_rows_name(const viral_rows *s);

/* The "no labelled rows" error of the source, with what the input tally
 * saw of the label rule's fields: "data.csv: no labelled rows to learn
 * from: the label rule 'viral' reads 'viral', missing in 10 of 10 rows"
 * (a dataset: "no labelled rows to learn from"). Returns the status set. */
int viral_rows_no_labels(const viral_rows *s, viral_error *err);

/* NULL-safe. */
void viral_rows_free(viral_rows *s);

#ifdef __cplusplus
}
#endif
#endif
