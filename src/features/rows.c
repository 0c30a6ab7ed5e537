/* rows.c - the row source (viral/rows.h): records through a pipeline, or
 * the rows of a backend whose rows are vectors already (a dataset's), with
 * one bad-row policy. */
#include "features/rows_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_internal.h"
#include "io/reader_options.h"
#include "io/reader_range.h"
#include "viral/dist.h"

struct viral_rows {
  viral_rows_options o;
  viral_rows_counts counts;
  /* a source over records */
  viral_pipeline *p;
  char *path;                /* the file (NULL: stdin), or the memory's name */
  const char *data;          /* memory input, or NULL */
  size_t len;
  reader_options_copy ro;    /* the caller's, strings owned (a pass opens the input again) */
  viral_reader *r;           /* the current pass's reader */
  int used;                  /* r was read from: a new pass opens the input again */
  int in_pass;               /* 0: the next call starts a pass */
  size_t selected;           /* o.records: the next one to look for */
  uint64_t rejected;         /* bad rows this pass skipped itself */
  uint64_t base;             /* the number of the pass's first record */
  /* a byte range of the input (o.share_bytes) */
  int bytes;                 /* this source reads its range only */
  int job;                   /* ... and the shares are the job's processes */
  reader_range range;
  uint64_t first_record;     /* the number of the range's first record */
  int whole;                 /* this pass reads every record (a fit without the job) */
  int summed;                /* job_counts hold the job's counts (viral_rows_sum_shares) */
  viral_rows_counts job_counts;
  viral_sparse x;
  /* a source over a backend of vectors */
  const viral_rows_backend *backend;
  void *backend_ctx;
  /* the row handed out */
  viral_row row;
  double *columns;           /* [o.column_count] */
};

void viral_rows_options_init(viral_rows_options *o) { memset(o, 0, sizeof *o); }

static int is_stdin(const char *path) { return !path || strcmp(path, "-") == 0; }

void viral_rows_free(viral_rows *s) {
  if (!s) return;
  if (s->backend && s->backend->free) s->backend->free(s->backend_ctx);
  viral_reader_free(s->r);
  viral_sparse_release(&s->x);
  free(s->columns);
  free(s->path);
  reader_options_copy_release(&s->ro);
  free(s);
}

static viral_rows *create(const viral_rows_options *o, viral_error *err) {
  viral_rows *s = calloc(1, sizeof *s);
  if (s && o) s->o = *o;
  if (s && s->o.column_count && !(s->columns = malloc(s->o.column_count * sizeof *s->columns))) {
    free(s);
    s = NULL;
  }
  if (!s) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  viral_sparse_init(&s->x);
  s->row.columns = s->columns;
  return s;
}

/* The reader of a pass: the file (or memory) from its start. */
static int open_reader(viral_rows *s, viral_error *err) {
  viral_reader_free(s->r);
  s->r = s->data ? viral_reader_open_memory(s->path, s->data, s->len, &s->ro.opts, err)
                 : viral_reader_open(s->path, &s->ro.opts, err);
  if (!s->r) return err && err->code ? err->code : VIRAL_ERR_IO;
  s->used = 0;
  return s->bytes && !s->whole ? reader_set_range(s->r, &s->range, err) : VIRAL_OK;
}

/* ---- byte ranges ---- */

/* The records of range k of the input, read by a reader of their own, into
 * *records: VIRAL_OK, or an error that stops the job (the input cannot be
 * opened or read, a record spans the range's end). A record the reader
 * fails on otherwise ends the count: the pass fails there too. */
static int count_range(const viral_rows *s, unsigned k, uint64_t *records, viral_error *err) {
  viral_reader *r = viral_reader_open(s->path, &s->ro.opts, err);
  if (!r) return err && err->code ? err->code : VIRAL_ERR_IO;
  reader_range range;
  int rc = reader_share_range(r, s->o.shares, k, &range, err);
  if (rc == VIRAL_OK) rc = reader_set_range(r, &range, err);
  viral_error why;
  viral_error_clear(&why);
  const viral_record *rec;
  *records = 0;
  if (rc == VIRAL_OK) {
    while ((rc = viral_reader_next(r, &rec, &why)) == 1) ++*records;
    if (rc < 0 && (reader_cut_inside(r) || rc == VIRAL_ERR_IO || rc == VIRAL_ERR_NOMEM)) {
      if (err) *err = why;
    } else {
      rc = VIRAL_OK;
    }
  }
  viral_reader_free(r);
  return rc;
}

/* The number of this share's first record, the shares being the job's
 * processes: each counts its range's records, and they exchange counts. */
static int first_record_of_job(viral_rows *s, viral_error *err) {
  uint64_t mine = 0;
  int rc = count_range(s, s->o.share, &mine, err);
  /* the first cut that fails, by its share */
  if ((rc = viral_dist_agree(rc, (int64_t)s->o.share, err)) != VIRAL_OK) return rc;
  char *all = NULL;
  size_t total = 0;
  if ((rc = viral_dist_allgather(&mine, sizeof mine, &all, &total, err)) != VIRAL_OK) return rc;
  for (unsigned k = 0; k < s->o.share; k++) {
    uint64_t theirs;
    memcpy(&theirs, all + k * sizeof theirs, sizeof theirs);
    s->first_record += theirs;
  }
  free(all);
  return VIRAL_OK;
}

/* The same for a share alone: it counts the ranges before its own, and
 * reads its own to its end to see that the cut there is a boundary. */
static int first_record_alone(viral_rows *s, viral_error *err) {
  uint64_t records;
  for (unsigned k = 0; k <= s->o.share; k++) {
    int rc = count_range(s, k, &records, err);
    if (rc != VIRAL_OK) return rc;
    if (k < s->o.share) s->first_record += records;
  }
  return VIRAL_OK;
}

/* Share the input by byte ranges, or fall back to dealing records when it
 * cannot be cut: the same choice on every process of the job (collective
 * there). s->r is open, or failed to (rc). */
static int share_bytes(viral_rows *s, int rc, viral_error *err) {
  s->job = viral_dist_size() == (int)s->o.shares && viral_dist_rank() == (int)s->o.share;
  if (s->job && (rc = viral_dist_agree(rc, 0, err)) != VIRAL_OK) return rc;
  if (rc != VIRAL_OK) return rc;
  uint64_t can_cut = (uint64_t)reader_can_cut(s->r);
  if (s->job && (rc = viral_dist_sum(&can_cut, 1, err)) != VIRAL_OK) return rc;
  if (can_cut != (s->job ? s->o.shares : 1)) {
    if (!s->o.share_block) s->o.share_block = 1;
    return VIRAL_OK;
  }
  if ((rc = reader_share_range(s->r, s->o.shares, s->o.share, &s->range, err)) != VIRAL_OK) return rc;
  rc = s->job ? first_record_of_job(s, err) : first_record_alone(s, err);
  if (rc != VIRAL_OK) return rc;
  s->bytes = 1;
  return reader_set_range(s->r, &s->range, err);
}

static viral_rows *open_records(viral_pipeline *p, const char *path, const char *data, size_t len,
                                const viral_reader_options *ro, const viral_rows_options *o,
                                viral_error *err) {
  viral_rows *s = create(o, err);
  if (!s) return NULL;
  s->p = p;
  s->data = data;
  s->len = len;
  int nomem = (path && !(s->path = text_dup(path))) ||
              reader_options_copy_init(&s->ro, ro) != VIRAL_OK;
  if (nomem) {
    viral_rows_free(s);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  int rc = open_reader(s, err);
  if (s->o.share_bytes && s->o.shares > 1 && !data) rc = share_bytes(s, rc, err);
  else if (s->o.share_bytes && s->o.shares > 1 && !s->o.share_block) s->o.share_block = 1;
  if (rc != VIRAL_OK) {
    viral_rows_free(s);
    return NULL;
  }
  return s;
}

viral_rows *viral_rows_open(viral_pipeline *p, const char *path, const viral_reader_options *ro,
                            const viral_rows_options *o, viral_error *err) {
  return open_records(p, is_stdin(path) ? NULL : path, NULL, 0, ro, o, err);
}

viral_rows *viral_rows_open_memory(viral_pipeline *p, const char *name, const char *data, size_t len,
                                   const viral_reader_options *ro, const viral_rows_options *o,
                                   viral_error *err) {
  return open_records(p, name ? name : "memory", data, len, ro, o, err);
}

viral_rows *viral_rows_open_backend_(const viral_rows_backend *b, void *ctx, const viral_rows_options *o,
                                     viral_error *err) {
  viral_rows *s = create(o, err);
  if (!s) {
    if (b->free) b->free(ctx);
    return NULL;
  }
  s->backend = b;
  s->backend_ctx = ctx;
  return s;
}

/* ---- the rows of a dataset ---- */

typedef struct dataset_rows {
  const viral_dataset *ds;
  const size_t *rows; /* [n] the rows given, in order; NULL: all */
  size_t n;
  const double *posted_at; /* [ds->rows] or NULL */
  viral_sparse row;
} dataset_rows;

static int dataset_row(void *ctx, uint64_t index, viral_row *row, viral_error *err) {
  (void)err;
  dataset_rows *d = ctx;
  if (index >= d->n) return 0;
  size_t r = d->rows ? d->rows[index] : (size_t)index;
  d->row = viral_dataset_row(d->ds, r);
  row->x = &d->row;
  row->label = d->ds->labels[r];
  row->weight = 1;
  row->posted_at = d->posted_at ? d->posted_at[r] : NAN;
  row->id = NULL;
  row->id_len = 0;
  return 1;
}

static const viral_rows_backend dataset_backend = {"rows", dataset_row, free, NULL, NULL};

viral_rows *viral_rows_open_dataset_rows(const viral_dataset *ds, const size_t *rows, size_t n,
                                         const double *posted_at, const viral_rows_options *o, viral_error *err) {
  dataset_rows *d = calloc(1, sizeof *d);
  if (!d) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  d->ds = ds;
  d->rows = rows;
  d->n = rows ? n : ds->rows;
  d->posted_at = posted_at;
  return viral_rows_open_backend_(&dataset_backend, d, o, err);
}

viral_rows *viral_rows_open_dataset(const viral_dataset *ds, const viral_rows_options *o,
                                    viral_error *err) {
  return viral_rows_open_dataset_rows(ds, NULL, 0, NULL, o, err);
}

const char *viral_rows_name(const viral_rows *s) {
  if (s->r) return viral_reader_name(s->r);
  if (s->backend && s->backend->source_name) return s->backend->source_name(s->backend_ctx);
  return s->path ? s->path : s->backend ? s->backend->name : "stdin";
}

int viral_rows_input_checked(const viral_rows *s) {
  return !s->p || s->o.checked || viral_pipeline_tally_checked(s->p);
}

/* 1 when the source is one of several shares of its input's records
 * (every record read, the share's blocks returned). */
static int shared(const viral_rows *s) { return !s->bytes && s->o.shares > 1 && s->o.share_block > 0; }

viral_rows_sharing viral_rows_get_sharing(const viral_rows *s) {
  return s->bytes ? VIRAL_ROWS_BYTE_RANGE : shared(s) ? VIRAL_ROWS_DEALT : VIRAL_ROWS_UNSHARED;
}

void viral_rows_get_counts(const viral_rows *s, viral_rows_counts *out) {
  if (s->summed) {
    *out = s->job_counts;
    return;
  }
  *out = s->counts;
  int counts_reader = !shared(s) || s->o.share == 0; /* every share saw the reader's skips */
  out->bad_rows = s->rejected + (s->r && counts_reader ? viral_reader_skipped(s->r) : 0);
  if (s->backend && s->backend->reader_skipped) out->bad_rows += s->backend->reader_skipped(s->backend_ctx);
}

int viral_rows_no_labels(const viral_rows *s, viral_error *err) {
  if (!s->p) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "no labelled rows to learn from");
  char label[VIRAL_ERROR_MAX - 64];
  viral_pipeline_tally_label(s->p, label, sizeof label);
  return viral_error_set(err, VIRAL_ERR_INVALID, s->path ? s->path : "stdin", 0,
                         "no labelled rows to learn from: %s", label);
}

/* ---- passes ---- */

static int read_twice(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_INVALID, "stdin", 0,
                         "standard input cannot be read twice: give a file");
}

/* Start a pass: the input from its start (again, when it was read), the
 * counts from zero, the input tally from nothing. */
static int begin_pass(viral_rows *s, viral_error *err) {
  memset(&s->counts, 0, sizeof s->counts);
  s->rejected = 0;
  s->selected = 0;
  s->summed = 0;
  s->base = s->bytes && !s->whole ? s->first_record : 0;
  s->in_pass = 1;
  if (s->backend) return VIRAL_OK;
  if (s->used || s->whole) {
    int rc = s->path ? open_reader(s, err) : read_twice(err);
    if (rc != VIRAL_OK) return rc;
  }
  s->used = 1;
  if (s->o.checked) return VIRAL_OK;
  int reads = (s->o.labels != VIRAL_ROWS_NO_LABEL ? VIRAL_READS_LABEL : 0) |
              (s->o.ids == VIRAL_ROWS_ID_REQUIRED ? VIRAL_READS_ID : 0);
  return viral_pipeline_tally_begin(s->p, reads, err);
}

int viral_rows_rewind(viral_rows *s, viral_error *err) {
  if (!s->backend && !s->path && s->used) return read_twice(err);
  s->in_pass = 0;
  return VIRAL_OK;
}

/* A bad row, with err its reason: skipped (VIRAL_OK) or the pass's error.
 * The input tally's reason wins when fields the pipeline reads are absent. */
static int bad_row(viral_rows *s, int rc, viral_error *err) {
  viral_error local;
  if (!err) {
    viral_error_clear(&local);
    viral_error_set(&local, rc, NULL, 0, "%s", viral_status_name(rc));
    err = &local;
  }
  if (!s->o.checked && viral_pipeline_tally_explain(s->p, err)) return err->code;
  /* a second read of rows read well before: a failure is not the row's */
  if (!s->ro.opts.skip_bad_rows || s->o.checked || rc == VIRAL_ERR_NOMEM) return rc;
  s->rejected++;
  if (s->o.skipped) s->o.skipped(s->o.skipped_ctx, err);
  viral_error_clear(err);
  return VIRAL_OK;
}

int viral_rows_reject(viral_rows *s, viral_error *err) {
  if (s->backend) return err ? err->code : VIRAL_ERR_INVALID;
  s->counts.rows--;
  return bad_row(s, err ? err->code : VIRAL_ERR_INVALID, err);
}

/* The next record of the pass that is selected: 1, 0 at the end, or an
 * error; the input tally sees every record (checked after check_after). */
static int next_record(viral_rows *s, const viral_record **rec, viral_error *err) {
  for (;;) {
    int rc = viral_reader_next(s->r, rec, err);
    if (rc != 1) return rc;
    uint64_t here = s->base + s->counts.records++;
    if (s->o.records) {
      while (s->selected < s->o.record_count && s->o.records[s->selected] < here) s->selected++;
      if (s->selected >= s->o.record_count) return 0;
      if (s->o.records[s->selected] != here) continue;
      s->selected++;
    }
    s->row.record = here;
    int mine = !shared(s) || (here / s->o.share_block) % s->o.shares == s->o.share;
    if (s->o.checked) {
      if (mine) return 1;
      continue;
    }
    if ((rc = viral_pipeline_tally_record(s->p, s->r, *rec, err)) != VIRAL_OK) return rc;
    if (s->o.check_after && !viral_pipeline_tally_checked(s->p) &&
        viral_reader_rows(s->r) >= s->o.check_after &&
        (rc = viral_pipeline_tally_check(s->p, err)) != VIRAL_OK)
      return rc;
    if (mine) return 1;
  }
}

/* The end of a pass: the input has the fields the pipeline reads (a byte
 * range's pass: once the shares' tallies are summed). */
static int end_pass(viral_rows *s, viral_error *err) {
  if (s->bytes && !s->whole) return VIRAL_OK;
  return s->o.checked ? VIRAL_OK : viral_pipeline_tally_check(s->p, err);
}

/* The counts of this pass, the reader's skips in bad_rows, then the
 * tally's numbers: what viral_rows_sum_shares sums. */
static int sum_over_job(viral_rows *s, viral_error *err) {
  size_t tally = s->o.checked ? 0 : pipeline_tally_size(s->p), n = 4 + tally;
  uint64_t *v = malloc(n * sizeof *v);
  if (!v) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  viral_rows_counts mine;
  viral_rows_get_counts(s, &mine);
  v[0] = mine.records, v[1] = mine.rows, v[2] = mine.unlabeled, v[3] = mine.bad_rows;
  if (tally) pipeline_tally_save(s->p, v + 4);
  int rc = viral_dist_sum(v, n, err);
  if (rc == VIRAL_OK) {
    viral_rows_counts job = {v[0], v[1], v[2], v[3]};
    s->job_counts = job;
    s->summed = 1;
    if (tally) pipeline_tally_load(s->p, v + 4);
  }
  free(v);
  return rc;
}

int viral_rows_sum_shares(viral_rows *s, viral_error *err) {
  if (!s->bytes) return VIRAL_OK;
  int rc = s->job ? sum_over_job(s, err) : VIRAL_OK;
  if (rc == VIRAL_OK && !s->o.checked) rc = viral_pipeline_tally_check(s->p, err);
  return rc;
}

/* A numeric column by its literal name, NAN when absent or unreadable. */
static double column_number(const viral_record *rec, const char *name) {
  long i = viral_record_find(rec, name);
  double x = NAN;
  if (i < 0 || viral_record_number(rec, (size_t)i, &x, NULL) != VIRAL_OK) return NAN;
  return x;
}

/* Where the row came from, for the consumer: VIRAL_OK, or a bad row's
 * status (no video_id where one is required). */
static int row_metadata(viral_rows *s, const viral_record *rec, viral_error *err) {
  viral_row *row = &s->row;
  row->posted_at = NAN;
  if (s->o.times && viral_pipeline_field_timestamp(s->p, rec, "posted_at", &row->posted_at, NULL) != VIRAL_OK)
    row->posted_at = NAN;
  for (size_t k = 0; k < s->o.column_count; k++) s->columns[k] = column_number(rec, s->o.columns[k]);
  row->id = NULL;
  row->id_len = 0;
  if (s->o.ids == VIRAL_ROWS_NO_ID) return VIRAL_OK;
  viral_strview id;
  int rc = viral_pipeline_field_text(s->p, rec, "video_id", &id, s->o.ids == VIRAL_ROWS_ID ? NULL : err);
  if (rc == VIRAL_OK) {
    row->id = id.ptr;
    row->id_len = id.len;
    return VIRAL_OK;
  }
  if (s->o.ids == VIRAL_ROWS_ID) return VIRAL_OK;
  if (rc == VIRAL_MISSING)
    rc = viral_error_set(err, VIRAL_ERR_MISSING, viral_record_source(rec), viral_record_line(rec),
                         "no video_id (every scored row needs one)");
  return rc;
}

/* Transform rec into s->row: VIRAL_OK, 1 when the row is to be skipped
 * without a word (no label), or a bad row's status. */
static int make_row(viral_rows *s, const viral_record *rec, viral_error *err) {
  viral_row *row = &s->row;
  double *label = s->o.labels == VIRAL_ROWS_NO_LABEL ? NULL : &row->label;
  int rc;
  row->label = NAN;
  if (s->o.sink) {
    if (s->o.sink_begin) s->o.sink_begin(s->o.sink_ctx);
    rc = viral_pipeline_transform_named(s->p, rec, s->o.sink, s->o.sink_ctx, label, err);
    row->x = NULL;
  } else {
    rc = viral_pipeline_transform(s->p, rec, &s->x, label, err);
    row->x = &s->x;
  }
  if (rc != VIRAL_OK) return rc < 0 ? rc : VIRAL_ERR_INVALID;
  if (isnan(row->label) && s->o.labels == VIRAL_ROWS_LABELLED) {
    s->counts.unlabeled++;
    return 1;
  }
  if (isnan(row->label) && s->o.labels == VIRAL_ROWS_LABEL_REQUIRED)
    return viral_error_set(err, VIRAL_ERR_MISSING, viral_record_source(rec), viral_record_line(rec),
                           "no label (rule '%s')", viral_pipeline_label_rule(s->p));
  row->weight = 1;
  row->rec = rec;
  return row_metadata(s, rec, err);
}

/* The next row of the backend that the options want. */
static int next_backend_row(viral_rows *s, const viral_row **out, viral_error *err) {
  int rc;
  viral_row *row = &s->row;
  for (;;) {
    for (size_t k = 0; k < s->o.column_count; k++) s->columns[k] = NAN;
    row->columns = s->columns;
    if ((rc = s->backend->row(s->backend_ctx, s->counts.records, row, err)) != 1 && rc != 2) break;
    row->record = s->counts.records++;
    row->rec = NULL;
    if (rc == 2) { /* skipped when the rows were made: skipped again, as then */
      s->rejected++;
      if (s->o.skipped && err) s->o.skipped(s->o.skipped_ctx, err);
      viral_error_clear(err);
      continue;
    }
    if (isnan(row->label) && s->o.labels == VIRAL_ROWS_LABELLED) {
      s->counts.unlabeled++;
      continue;
    }
    s->counts.rows++;
    *out = row;
    return 1;
  }
  return rc;
}

int viral_rows_next(viral_rows *s, const viral_row **row, viral_error *err) {
  int rc;
  if (!s->in_pass && (rc = begin_pass(s, err)) != VIRAL_OK) return rc;
  if (s->backend) return next_backend_row(s, row, err);
  const viral_record *rec;
  while ((rc = next_record(s, &rec, err)) == 1) {
    rc = make_row(s, rec, err);
    if (rc == 1) continue;
    if (rc != VIRAL_OK && (rc = bad_row(s, rc, err)) == VIRAL_OK) continue;
    if (rc != VIRAL_OK) return rc;
    s->counts.rows++;
    *row = &s->row;
    return 1;
  }
  if (rc < 0) return rc;
  return end_pass(s, err);
}

int viral_rows_fit(viral_rows *s, viral_error *err) {
  if (s->backend) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "rows in memory have no pipeline to fit");
  s->whole = s->bytes && !s->job; /* a share alone fits on every record */
  int rc = begin_pass(s, err);
  if (rc == VIRAL_OK) rc = viral_pipeline_fit_begin(s->p, err);
  const viral_record *rec;
  while (rc == VIRAL_OK && (rc = next_record(s, &rec, err)) == 1) {
    rc = viral_pipeline_fit_record(s->p, rec, err);
    if (rc != VIRAL_OK) rc = bad_row(s, rc, err);
  }
  if (rc == 0) rc = end_pass(s, err);
  if (s->bytes && s->job) { /* every process comes here: pool what they fitted */
    rc = viral_dist_agree(rc, (int64_t)(s->base + s->counts.records), err);
    if (rc == VIRAL_OK) rc = viral_rows_sum_shares(s, err);
    if (rc == VIRAL_OK) rc = pipeline_fit_pool(s->p, err);
  }
  if (rc == VIRAL_OK) rc = viral_pipeline_fit_end(s->p, err);
  s->whole = 0;
  s->in_pass = 0; /* the next pass starts the input again */
  return rc;
}
