/* stream.c - `viral stream`'s engine (viral/stream.h): per-video sightings in
 * event time, scores at the window, learning at the horizon, a journal and
 * checkpoints. Records are built by the assemble library from each video's own
 * sighting lines, so the stream and `viral assemble` share one interpolation;
 * an event is checked through the same assembler and the model's pipeline
 * before it is journaled. */
#include "viral/stream.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/assemble_internal.h"
#include "data/video_table.h"
#include "io/record_internal.h"
#include "io/json_number.h"
#include "model/document.h"
#include "viral/metrics.h"
#include "viral/reader.h"
#include "viral/vector.h"
#include "viral/writer.h"

#define CHECKPOINT_FORMAT "viral-stream-checkpoint"
#define CHECKPOINT_VERSION 1
#define CHECKPOINT_NAME "checkpoint.json"
#define LOCK_NAME "lock"
#define MAX_REASONS 16
/* The name an event's own record is read under; errors are then given the
 * input's name and line instead (reattribute). */
#define EVENT_NAME "event"

typedef struct video {
  viral_vt_node node;      /* first: deadline = posted + horizon + grace */
  char *id;
  double posted;
  double first_t;          /* observed_at of the earliest sighting (it gives the attributes) */
  int scored;
  int dropped;             /* its record was refused: its sightings are ignored until its deadline */
  double p;                /* the score, when scored */
  double age_done;         /* the largest trajectory age scored (-INFINITY: none) */
  char *buf;               /* the sightings' lines, each ending in '\n' */
  size_t len, cap;
} video;

/* What checking an observe event needs (check_featurize). */
typedef struct checker {
  viral_pipeline *pipe; /* a copy of the model's pipeline: checks never name features */
  size_t *cols;         /* [ages * counters] counter c at age k, [ages] covered_<A>h,
                           [counters] <counter>_final: columns of an assembled row */
  viral_sparse vec;
} checker;

struct viral_stream {
  viral_stream_options o;
  viral_model *model;
  viral_model_scratch *scratch; /* scoring */
  viral_field_map *default_counters, *default_attrs;
  double *default_ages;
  viral_vt videos; /* in flight, by id and by (deadline, id) */
  viral_assembler *names; /* the unshifted columns: a trajectory record's field names */
  double model_window_h;  /* the model's window: a trajectory age A moves counters by A - this */
  checker check;
  /* position */
  double last_seq;     /* NAN: none seen */
  double last_t;       /* NAN: none */
  char **last_ids;     /* observe ids applied at last_t */
  size_t last_n, last_cap;
  uint64_t seq_out;    /* seq of the event being applied */
  int input_applied;   /* an input event was applied since open */
  /* metrics: ring of the last metrics_window (p, y) */
  double *ring_p, *ring_y;
  size_t ring_head, ring_n;
  /* state directory and journal */
  int dir_fd, lock_fd;
  FILE *journal;
  uint64_t ckpt_no, since_ckpt, since_sync;
  double ckpt_clock;   /* the clock at the last checkpoint (NAN: none yet) */
  int replaying;
  int failed;          /* an event failed half-applied: no more events, no checkpoint */
  viral_stream_stats st;
};

/* ---- small helpers ---- */

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

static const char *source_name(const viral_stream *s) { return s->o.source ? s->o.source : "stdin"; }

static size_t max_event_bytes(const viral_stream *s) {
  return s->o.max_event_bytes ? s->o.max_event_bytes : VIRAL_STREAM_DEFAULT_MAX_EVENT_BYTES;
}

/* Tell the caller about a problem the stream goes past. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void warn(const viral_stream *s, const char *fmt, ...) {
  if (!s->o.warn) return;
  char msg[2 * VIRAL_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  s->o.warn(s->o.warn_ctx, msg);
}

/* "name" + k + ".json" / ".jsonl" (journals), the name of a state file. */
static void state_name(char buf[64], const char *name, uint64_t k) {
  snprintf(buf, 64, "%s%llu.%s", name, (unsigned long long)k, strcmp(name, "journal-") == 0 ? "jsonl" : "json");
}

/* state_dir/name, or NULL without memory. */
static char *path_of(const viral_stream *s, const char *name) {
  size_t n = strlen(s->o.state_dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", s->o.state_dir, name);
  return p;
}

static char *path_in(const viral_stream *s, const char *name, uint64_t k) {
  char base[64];
  state_name(base, name, k);
  return path_of(s, base);
}

/* ---- the state directory ---- */

/* Open (make) the state directory; refuse one another user owns or others
 * may write to: whoever can write there can plant a file the stream reads. */
static int open_state_dir(viral_stream *s, viral_error *err) {
  const char *dir = s->o.state_dir;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return viral_error_set(err, VIRAL_ERR_IO, dir, 0, "cannot make the state directory: %s", strerror(errno));
  s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dir_fd < 0)
    return viral_error_set(err, VIRAL_ERR_IO, dir, 0, "cannot open the state directory: %s", strerror(errno));
  struct stat st;
  if (fstat(s->dir_fd, &st) != 0)
    return viral_error_set(err, VIRAL_ERR_IO, dir, 0, "cannot stat the state directory: %s", strerror(errno));
  if (st.st_uid != geteuid())
    return viral_error_set(err, VIRAL_ERR_IO, dir, 0, "the state directory belongs to another user (uid %lu): refused",
                           (unsigned long)st.st_uid);
  if (st.st_mode & S_IWOTH)
    return viral_error_set(err, VIRAL_ERR_IO, dir, 0, "the state directory is writable by others: refused (chmod o-w)");
  return VIRAL_OK;
}

/* Open a state file by name, never through a symbolic link, and only a
 * regular file (a FIFO planted there would block). Returns the descriptor or
 * -1 with err set. */
static int open_state_file(const viral_stream *s, const char *name, int flags, viral_error *err) {
  int fd = openat(s->dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) {
    if (errno == ELOOP) viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "%s is a symbolic link: refused", name);
    else if (errno == ENXIO) /* a FIFO nobody reads */
      viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "%s is not a regular file: refused", name);
    else viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "cannot open %s: %s", name, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "%s is not a regular file: refused", name);
    close(fd);
    return -1;
  }
  return fd;
}

/* VIRAL_OK when name is absent (*exists 0) or a regular file (*exists 1),
 * so a file read by path (checkpoint, model) is never read through a link. */
static int check_state_file(const viral_stream *s, const char *name, int *exists, viral_error *err) {
  struct stat st;
  *exists = 0;
  if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return VIRAL_OK;
    return viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "cannot stat %s: %s", name, strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) return viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "%s is a symbolic link: refused", name);
  if (!S_ISREG(st.st_mode)) return viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "%s is not a regular file: refused", name);
  *exists = 1;
  return VIRAL_OK;
}

/* One stream per state directory: a second one would interleave journals. */
static int lock_state(viral_stream *s, viral_error *err) {
  s->lock_fd = open_state_file(s, LOCK_NAME, O_RDWR | O_CREAT, err);
  if (s->lock_fd < 0) return err->code;
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "another stream is running on this state directory");
  return VIRAL_OK;
}

/* name is prefix, a number written as path_in writes it (no sign, no
 * leading zero), then rest: *k gets the number. */
static int numbered(const char *name, const char *prefix, uint64_t *k, const char **rest) {
  size_t n = strlen(prefix);
  if (strncmp(name, prefix, n) != 0) return 0;
  const char *d = name + n, *e = d;
  while (*e >= '0' && *e <= '9') e++;
  if (e == d || (*d == '0' && e - d > 1) || e - d > 19) return 0;
  *k = strtoull(d, NULL, 10);
  *rest = e;
  return 1;
}

/* A file of the stream's own naming that checkpoint k does not name: a
 * journal or model of another number, a temporary file of an interrupted
 * atomic write (viral/writer.h: TARGET.tmp.XXXXXX). */
static int stale_state_file(const char *name, uint64_t k) {
  uint64_t n;
  const char *rest;
  if (numbered(name, "journal-", &n, &rest)) return strcmp(rest, ".jsonl") == 0 && n != k;
  if (numbered(name, "model-", &n, &rest))
    return (strcmp(rest, ".json") == 0 && n != k) || strncmp(rest, ".json.tmp.", 10) == 0;
  return strncmp(name, CHECKPOINT_NAME ".tmp.", sizeof CHECKPOINT_NAME ".tmp." - 1) == 0;
}

/* Remove what the current checkpoint does not name (a kill between a
 * checkpoint and the removal of its predecessor, or during a write, leaves
 * them); files of other names are the user's and stay. */
static int clean_state_dir(viral_stream *s, viral_error *err) {
  int fd = dup(s->dir_fd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    return viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "cannot list the state directory: %s", strerror(errno));
  }
  rewinddir(d);
  const struct dirent *e;
  while ((e = readdir(d)))
    if (stale_state_file(e->d_name, s->ckpt_no) && unlinkat(s->dir_fd, e->d_name, 0) != 0 && errno != ENOENT)
      warn(s, "%s/%s: cannot remove: %s", s->o.state_dir, e->d_name, strerror(errno));
  closedir(d);
  return VIRAL_OK;
}

/* ---- videos ---- */

static void video_free(video *v) {
  if (!v) return;
  free(v->id);
  free(v->buf);
  free(v);
}

/* Take v out of the table and free it. */
static void forget(viral_stream *s, video *v) {
  viral_vt_remove(&s->videos, &v->node);
  video_free(v);
}

static int append_line(video *v, const char *line, size_t len) {
  if (v->len + len + 1 > v->cap) {
    size_t cap = v->cap ? v->cap : 256;
    while (cap < v->len + len + 1) cap *= 2;
    char *b = realloc(v->buf, cap);
    if (!b) return VIRAL_ERR_NOMEM;
    v->buf = b;
    v->cap = cap;
  }
  memcpy(v->buf + v->len, line, len);
  v->len += len;
  v->buf[v->len++] = '\n';
  return VIRAL_OK;
}

static video *video_add(viral_stream *s, const char *id, double posted, double first_t, viral_error *err) {
  video *v = calloc(1, sizeof *v);
  if (!v || !(v->id = text_dup(id))) {
    free(v);
    return nomem(err), NULL;
  }
  v->posted = posted;
  v->first_t = first_t;
  v->node.id = v->id;
  v->node.deadline = posted + (s->o.horizon_h + s->o.grace_h) * 3600;
  v->p = NAN;
  v->age_done = -INFINITY;
  if (viral_vt_add(&s->videos, &v->node) != VIRAL_OK) {
    video_free(v);
    return nomem(err), NULL;
  }
  return v;
}

/* ---- records through the assemble library ---- */

/* A record built from an assembled row. */
typedef struct built {
  viral_record *rec;
} built;

static void built_release(built *b) {
  viral_record_free_made_(b->rec);
  memset(b, 0, sizeof *b);
}

/* JSONL reader options, the line limit raised to the event limit. */
static void event_reader_options(const viral_stream *s, viral_reader_options *ro) {
  viral_reader_options_init(ro);
  ro->format = VIRAL_FORMAT_JSONL;
  if (max_event_bytes(s) > VIRAL_DEFAULT_MAX_RECORD_BYTES) ro->max_record_bytes = max_event_bytes(s);
}

/* An assembler of one video's sightings with the given horizon (0: outcome
 * at the last sighting) and label rule, its counters at the stream's ages
 * moved by shift_h (0, or a trajectory's; ages_buf: [age_count], outliving
 * the assembler). */
static viral_assembler *video_assembler(const viral_stream *s, double horizon_h, const char *label, double shift_h,
                                        double *ages_buf, viral_error *err) {
  viral_assemble_options ao;
  viral_assemble_options_init(&ao);
  ao.id_field = "video_id";
  ao.observed_at_field = "observed_at";
  ao.posted_at_field = "posted_at";
  ao.counters = s->o.counters;
  ao.counter_count = s->o.counter_count;
  ao.attrs = s->o.attrs;
  ao.attr_count = s->o.attr_count;
  ao.ages_h = s->o.ages_h;
  ao.age_count = s->o.age_count;
  if (shift_h != 0) {
    for (size_t k = 0; k < s->o.age_count; k++) ages_buf[k] = s->o.ages_h[k] + shift_h;
    ao.ages_h = ages_buf;
  }
  ao.horizon_h = horizon_h;
  ao.keep_unlabeled = 1;
  ao.label = label;
  return viral_assembler_create(&ao, err);
}

/* Row (cells of a's columns) as the record the model reads, under name:
 * the values a reader gives for the row's JSON line (`viral assemble
 * --format jsonl` writes it), made without the text. The columns are named
 * as names's (NULL: a's), an assembler of the same columns at other ages. */
static int read_row(const viral_assembler *a, const viral_assembler *names_of, const viral_assembled_value *row,
                    const char *name, built *out, viral_error *err) {
  memset(out, 0, sizeof *out);
  size_t n = viral_assembler_column_count(a);
  viral_value *values = malloc((n ? n : 1) * sizeof *values);
  const char **names = malloc((n ? n : 1) * sizeof *names);
  char (*digits)[32] = malloc((n ? n : 1) * sizeof *digits);
  if (values && names && digits) {
    for (size_t i = 0; i < n; i++) {
      names[i] = viral_assembler_column_name(names_of ? names_of : a, i);
      viral_assembler_cell_value(a, row, i, digits[i], &values[i]);
    }
    out->rec = viral_record_make_(name, names, values, n);
  }
  free(values);
  free(names);
  free(digits);
  return out->rec ? VIRAL_OK : nomem(err);
}

/* Assemble v's sightings into one record with the given horizon (0: outcome
 * at the last sighting) and label rule; with shift_h > 0 (a trajectory age
 * past the window), the counters of each age A of the stream are those at A +
 * shift_h, named as those at A. */
static int build_record(viral_stream *s, const video *v, double horizon_h, const char *label, double shift_h,
                        built *out, viral_error *err) {
  memset(out, 0, sizeof *out);
  viral_reader_options ro;
  event_reader_options(s, &ro);
  double *ages = shift_h != 0 ? malloc((s->o.age_count ? s->o.age_count : 1) * sizeof *ages) : NULL;
  if (shift_h != 0 && !ages) return nomem(err);
  viral_assembler *a = video_assembler(s, horizon_h, label, shift_h, ages, err);
  if (!a) {
    free(ages);
    return err->code;
  }
  viral_reader *r = viral_reader_open_memory(v->id, v->buf, v->len, &ro, err);
  int rc = r ? VIRAL_OK : err->code;
  const viral_record *rec;
  while (rc == VIRAL_OK && (rc = viral_reader_next(r, &rec, err)) == 1)
    rc = viral_assembler_add(a, rec, err);
  viral_reader_free(r);
  if (rc == VIRAL_OK) rc = viral_assembler_finish(a, err);
  const viral_assembled_value *row = NULL;
  if (rc == VIRAL_OK && viral_assembler_next(a, &row) != 1)
    rc = viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "video '%s': no record assembled", v->id);
  if (rc == VIRAL_OK) rc = read_row(a, shift_h != 0 ? s->names : NULL, row, v->id, out, err);
  viral_assembler_free(a);
  free(ages);
  return rc;
}

/* ---- checking an event before it is journaled ---- */

/* The column named name, or (size_t)-1. */
static size_t column_of(const viral_assembler *a, const char *name) {
  for (size_t i = 0; i < viral_assembler_column_count(a); i++)
    if (strcmp(viral_assembler_column_name(a, i), name) == 0) return i;
  return (size_t)-1;
}

/* Find the columns check_featurize fills (names as viral/assemble.h gives
 * them: <counter>_<A>h, covered_<A>h, <counter>_final) and copy the model's
 * pipeline. */
static int checker_init(viral_stream *s, viral_error *err) {
  checker *c = &s->check;
  size_t nc = s->o.counter_count, na = s->o.age_count;
  if (!(c->pipe = viral_pipeline_copy(viral_model_pipeline(s->model), err))) return err->code;
  if (viral_pipeline_collect_names(c->pipe, 0, err) != VIRAL_OK) return err->code;
  if (!(c->cols = malloc((na * nc + na + nc + 1) * sizeof *c->cols))) return nomem(err);
  viral_assembler *a = video_assembler(s, 0, NULL, 0, NULL, err);
  if (!a) return err->code;
  char name[600];
  size_t *col = c->cols;
  for (size_t k = 0; k < na; k++)
    for (size_t i = 0; i < nc; i++) {
      snprintf(name, sizeof name, "%s_%gh", s->o.counters[i].name, s->o.ages_h[k]);
      *col++ = column_of(a, name);
    }
  for (size_t k = 0; k < na; k++) {
    snprintf(name, sizeof name, "covered_%gh", s->o.ages_h[k]);
    *col++ = column_of(a, name);
  }
  for (size_t i = 0; i < nc; i++) {
    snprintf(name, sizeof name, "%s_final", s->o.counters[i].name);
    *col++ = column_of(a, name);
  }
  int rc = VIRAL_OK;
  for (size_t i = 0; i < na * nc + na + nc; i++)
    if (c->cols[i] == (size_t)-1) rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "assembled columns not as expected");
  viral_assembler_free(a);
  return rc;
}

static void checker_release(checker *c) {
  viral_pipeline_free(c->pipe);
  free(c->cols);
  viral_sparse_release(&c->vec);
}

/* "a, b, c" of the maps' names into buf at used; the new used. */
static size_t list_names(char *buf, size_t size, size_t used, const viral_field_map *m, size_t n) {
  for (size_t i = 0; i < n && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", m[i].name);
  return used < size ? used : size;
}

/* What the stream's records have, in the options' terms, for messages. */
static void describe_records(const viral_stream *s, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "video_id, posted_at, the counters ");
  used = list_names(buf, size, used, s->o.counters, s->o.counter_count);
  for (size_t k = 0; k < s->o.age_count && used < size; k++)
    used += (size_t)snprintf(buf + used, size - used, "%s%gh", k ? ", " : " at ", s->o.ages_h[k]);
  if (used < size) used += (size_t)snprintf(buf + used, size - used, " and their outcomes, the attributes ");
  used = list_names(buf, size, used < size ? used : size, s->o.attrs, s->o.attr_count);
  if (s->o.label && used < size) snprintf(buf + used, size - used, ", viral");
}

/* Every field the model's features read is one the stream's records have
 * (a record of no sightings, as the assembler writes it, holds every
 * column): refused at open, before any event, unless allow_missing (then
 * they read as missing, by the spec's missing-value policy), as score, eval
 * and update refuse an input without them. A label rule reading a field the
 * records lack (a rule on "viral" without a label rule of the stream's) is
 * said: the videos then learn from label events only. */
static int check_model_fields(viral_stream *s, viral_error *err) {
  viral_pipeline *p = s->check.pipe;
  viral_assembler *a = video_assembler(s, 0, s->o.label, 0, NULL, err);
  if (!a) return err->code;
  size_t ncol = viral_assembler_column_count(a), n_read = 0, n_label = 0;
  viral_assembled_value *none = calloc(ncol, sizeof *none);
  int rc = none ? VIRAL_OK : nomem(err);
  for (size_t i = 0; none && i < ncol; i++) none[i].number = NAN;
  built b = {0};
  char absent[300], have[300];
  if (rc == VIRAL_OK) rc = read_row(a, NULL, none, "records", &b, err);
  for (int reads = 0; rc == VIRAL_OK && reads <= VIRAL_READS_LABEL; reads += VIRAL_READS_LABEL) {
    if ((rc = viral_pipeline_tally_begin(p, reads, err)) == VIRAL_OK &&
        (rc = viral_pipeline_tally_record(p, NULL, b.rec, err)) == VIRAL_OK)
      *(reads ? &n_label : &n_read) = viral_pipeline_tally_absent(p, absent, sizeof absent);
    if (rc == VIRAL_OK && !reads && n_read && !s->o.allow_missing) {
      describe_records(s, have, sizeof have);
      rc = viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0,
                           "the model reads fields the stream's records lack: %s; give them with --counters, "
                           "--at or --attrs, or --allow-missing reads them as missing (the records have %s)",
                           absent, have);
    } else if (rc == VIRAL_OK && !reads && n_read) {
      warn(s, "the stream's records lack fields the model reads, read as missing (--allow-missing): %s", absent);
    }
  }
  if (rc == VIRAL_OK && n_label > n_read && !s->o.no_learning)
    warn(s, "the model's label rule '%s' reads a field the stream's records lack: videos learn from label "
            "events only (--label RULE labels them by their outcomes)",
         viral_pipeline_label_rule(p));
  built_release(&b);
  free(none);
  viral_assembler_free(a);
  return rc;
}

/* Every counter and attribute source is in rec (null for an unknown value;
 * a key left out is a broken producer, and the assembler refuses a video
 * none of whose sightings has it) and reads by its rule as the assembler
 * reads it; a number must be finite and a count not negative, as the
 * pipeline reads them. */
static int check_fields(const viral_stream *s, const viral_record *rec, viral_error *err) {
  size_t nc = s->o.counter_count;
  for (size_t i = 0; i < nc + s->o.attr_count; i++) {
    const viral_field_map *m = i < nc ? &s->o.counters[i] : &s->o.attrs[i - nc];
    long f = viral_record_find(rec, m->source);
    if (f < 0)
      return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "observe: no field '%s' (%s '%s'; null when unknown)",
                             m->source, i < nc ? "counter" : "attribute", m->name);
    if (m->parse == VIRAL_PARSE_TEXT) continue; /* any value reads as text */
    double x = NAN;
    char shown[32];
    int rc = viral_assemble_read_field(rec, f, m->parse, 0, &x, NULL, err);
    if (rc < 0) return rc;
    if (rc == VIRAL_OK && !isfinite(x))
      return viral_error_set(err, VIRAL_ERR_PARSE, NULL, 0, "field '%s': value %s out of range", m->source,
                             viral_format_double(shown, x));
    if (rc == VIRAL_OK && m->parse == VIRAL_PARSE_COUNT && x < 0)
      return viral_error_set(err, VIRAL_ERR_PARSE, NULL, 0, "field '%s': negative count %s", m->source,
                             viral_format_double(shown, x));
  }
  return VIRAL_OK;
}

/* The record of the event alone as the model reads it, the event's counters
 * standing at every age (a lone sighting covers none; a video's sightings
 * interpolate between such values), through the model's pipeline: what
 * scoring and learning will check of the attributes, which a video takes
 * from its earliest sighting, and of the counters. A missing value without a
 * policy is not the event's fault (other sightings may cover it). Later
 * sightings give only counters, which check_fields checks as the pipeline
 * reads them: this costs an assembly and a record per video, not per event. */
static int check_featurize(viral_stream *s, const viral_record *rec, viral_error *err) {
  checker *c = &s->check;
  size_t nc = s->o.counter_count, na = s->o.age_count;
  viral_assembler *a = video_assembler(s, 0, NULL, 0, NULL, err);
  if (!a) return err->code;
  int rc = viral_assembler_add(a, rec, err);
  if (rc == VIRAL_OK) rc = viral_assembler_finish(a, err);
  const viral_assembled_value *row = NULL;
  if (rc == VIRAL_OK && viral_assembler_next(a, &row) != 1)
    rc = viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "no record assembled");
  viral_assembled_value *filled = NULL;
  size_t ncol = viral_assembler_column_count(a);
  if (rc == VIRAL_OK && !(filled = malloc(ncol * sizeof *filled))) rc = nomem(err);
  built b = {0};
  if (rc == VIRAL_OK) {
    memcpy(filled, row, ncol * sizeof *filled);
    const size_t *covered = c->cols + na * nc, *final = covered + na;
    for (size_t k = 0; k < na; k++) {
      for (size_t i = 0; i < nc; i++) filled[c->cols[k * nc + i]].number = row[final[i]].number;
      filled[covered[k]].number = 1;
    }
    rc = read_row(a, NULL, filled, EVENT_NAME, &b, err);
  }
  if (rc == VIRAL_OK) {
    rc = viral_pipeline_transform(c->pipe, b.rec, &c->vec, NULL, err);
    if (rc == VIRAL_ERR_MISSING) rc = VIRAL_OK;
  }
  built_release(&b);
  free(filled);
  viral_assembler_free(a);
  return rc;
}

/* err's message, said of the input line (src:line_no) instead of the
 * event's own record (EVENT_NAME:1), or of no place at all. */
static int reattribute(viral_error *err, const char *src, long line_no) {
  if (err->code == VIRAL_ERR_NOMEM) return err->code;
  char msg[VIRAL_ERROR_MAX];
  const char *m = err->message, *own = EVENT_NAME ":1: ";
  if (strncmp(m, own, strlen(own)) == 0) m += strlen(own);
  snprintf(msg, sizeof msg, "%s", m);
  return viral_error_set(err, err->code, src, line_no, "%s", msg);
}

/* ---- output ---- */

/* sc as the stream's JSON line, into *text (the caller frees it). */
static int format_score(const viral_stream_score *sc, char **text, viral_error *err) {
  char num[32];
  size_t n = 0;
  FILE *f = open_memstream(text, &n);
  if (!f) return nomem(err);
  if (!isnan(sc->seq)) fprintf(f, "{\"seq\":%llu,\"video_id\":", (unsigned long long)sc->seq);
  else fputs("{\"seq\":null,\"video_id\":", f);
  json_string_write(f, sc->video_id);
  if (!isnan(sc->age_h)) fprintf(f, ",\"age_h\":%s", viral_format_double(num, sc->age_h));
  fprintf(f, ",\"probability\":%s,\"viral\":%d,\"reasons\":", viral_format_double(num, sc->prediction.probability),
          sc->prediction.label);
  viral_reasons_write_json(f, sc->reasons, sc->reason_count);
  fputc('}', f);
  if (fclose(f) != 0) {
    free(*text);
    *text = NULL;
    return nomem(err);
  }
  return VIRAL_OK;
}

/* Hand sc to on_score, or its line to emit. VIRAL_ERR_IO when it could not
 * be delivered: the caller must not count it done. */
static int deliver(viral_stream *s, const viral_stream_score *sc, viral_error *err) {
  char *text = NULL;
  int rc = s->o.on_score ? VIRAL_OK : format_score(sc, &text, err), failed = 0;
  if (rc != VIRAL_OK) return rc;
  errno = 0;
  if (s->o.on_score) failed = s->o.on_score(s->o.on_score_ctx, sc) != 0;
  else if (s->o.emit) failed = s->o.emit(s->o.emit_ctx, text) != 0;
  free(text);
  if (failed)
    rc = viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write the score of video '%s': %s", sc->video_id,
                         errno ? strerror(errno) : "write failed");
  return rc;
}

/* Score rec (at age_h, NAN: the plain window score) and deliver it; *p
 * gets the probability. */
static int score_and_emit(viral_stream *s, const char *id, const viral_record *rec, int with_seq, double age_h,
                          double *p, viral_error *err) {
  viral_reason reasons[MAX_REASONS];
  size_t nr = 0, want = s->o.reasons < MAX_REASONS ? s->o.reasons : MAX_REASONS;
  viral_stream_score sc = {.seq = with_seq ? (double)s->seq_out : NAN, .video_id = id, .age_h = age_h,
                           .reasons = reasons};
  int rc = viral_model_predict(s->model, s->scratch, rec, &sc.prediction, reasons, want, &nr, err);
  if (rc != VIRAL_OK) return rc;
  sc.reason_count = nr;
  if (p) *p = sc.prediction.probability;
  return deliver(s, &sc, err);
}

/* 1 when the stream scores trajectories (ages or looks). */
static int trajectories(const viral_stream *s) { return s->o.score_age_count || s->o.score_looks; }

static int score_video(viral_stream *s, video *v, viral_error *err) {
  built b;
  int rc = build_record(s, v, 0, NULL, 0, &b, err);
  if (rc != VIRAL_OK) return rc;
  rc = score_and_emit(s, v->id, b.rec, 1, trajectories(s) ? s->o.window_h : NAN, &v->p, err);
  built_release(&b);
  if (rc != VIRAL_OK) return rc;
  v->scored = 1; /* delivered */
  s->st.scored++;
  return VIRAL_OK;
}

/* Score v at trajectory age age_h (>= the model's window), from its
 * sightings so far (they reach age_h: later ones would not change it). */
static int score_at_age(viral_stream *s, video *v, double age_h, viral_error *err) {
  built b;
  int rc = build_record(s, v, 0, NULL, age_h - s->model_window_h, &b, err);
  if (rc != VIRAL_OK) return rc;
  rc = score_and_emit(s, v->id, b.rec, 1, age_h, NULL, err);
  built_release(&b);
  return rc;
}

/* The scores v owes now that a sighting at age (hours) joined it, in age
 * order: the trajectory ages reached (each once: age_done), the window's
 * (learning streams), the look itself (score_looks). */
static int score_reached(viral_stream *s, video *v, double age, viral_error *err) {
  int rc = VIRAL_OK, learning = !s->o.no_learning;
  for (size_t k = 0; rc == VIRAL_OK && k < s->o.score_age_count; k++) {
    double a = s->o.score_ages_h[k];
    if (a > age) break;
    if (a <= v->age_done) continue;
    if (learning && !v->scored && a >= s->o.window_h && (rc = score_video(s, v, err)) != VIRAL_OK) break;
    if (!(learning && a == s->o.window_h) && (rc = score_at_age(s, v, a, err)) != VIRAL_OK) break;
    v->age_done = a; /* delivered */
  }
  if (rc == VIRAL_OK && learning && !v->scored && age >= s->o.window_h) rc = score_video(s, v, err);
  if (rc == VIRAL_OK && s->o.score_looks && age >= s->model_window_h && age > v->age_done &&
      (rc = score_at_age(s, v, age, err)) == VIRAL_OK)
    v->age_done = age;
  return rc;
}

static void note_outcome(viral_stream *s, double p, double y) {
  size_t cap = s->o.metrics_window;
  if (cap == 0 || isnan(p)) return;
  size_t i = (s->ring_head + s->ring_n) % cap;
  if (s->ring_n < cap) s->ring_n++;
  else s->ring_head = (s->ring_head + 1) % cap;
  s->ring_p[i] = p;
  s->ring_y[i] = y;
}

/* Learn from v with label y (0/1) or, when y is NAN, the label rule; then
 * forget v. by_time: closed by the clock, outcome at the last sighting. */
static int learn_video(viral_stream *s, video *v, double y, int by_time, viral_error *err) {
  int rc = VIRAL_OK;
  if (!v->scored && (rc = score_video(s, v, err)) != VIRAL_OK) return rc;
  built b;
  rc = build_record(s, v, by_time ? 0 : s->o.horizon_h, s->o.label, 0, &b, err);
  if (rc != VIRAL_OK) return rc;
  uint64_t pos_before = viral_model_positives(s->model);
  rc = viral_model_learn(s->model, b.rec, y, NULL, err);
  if (rc == VIRAL_OK) {
    note_outcome(s, v->p, (double)(viral_model_positives(s->model) - pos_before));
    s->st.learned++;
  } else if (rc == VIRAL_MISSING) {
    s->st.unlabeled++;
    rc = VIRAL_OK;
  }
  built_release(&b);
  if (rc != VIRAL_OK) return rc;
  forget(s, v);
  return VIRAL_OK;
}

/* After v failed to be scored or learned from with status rc: a video whose
 * record the model refuses (something the event checks cannot see, such as a
 * feature without a missing-value policy on ages no sighting covers) is
 * dropped, said and counted, so that one video never stops the event being
 * applied nor every later one; the same happens on a replay. It stays in
 * flight without its sightings until its deadline, so that later ones do not
 * start it again. A failure to write or allocate is the stream's own:
 * returned. */
static int drop_video(viral_stream *s, video *v, int rc, viral_error *err) {
  if (rc == VIRAL_ERR_IO || rc == VIRAL_ERR_NOMEM) return rc;
  s->st.dropped++;
  warn(s, "video '%s' dropped: %s", v->id, err->message);
  v->dropped = 1;
  free(v->buf);
  v->buf = NULL;
  v->len = v->cap = 0;
  viral_error_clear(err);
  return VIRAL_OK;
}

/* Close every video whose deadline the clock reached. */
static int close_by_time(viral_stream *s, viral_error *err) {
  viral_vt_node *n;
  while ((n = viral_vt_due(&s->videos, s->st.clock))) {
    video *v = (video *)n;
    if (v->dropped) {
      forget(s, v);
      continue;
    }
    s->st.evicted++;
    if (s->o.no_learning) {
      forget(s, v);
      continue;
    }
    int rc = learn_video(s, v, NAN, 1, err); /* forgets v when it succeeds */
    if (rc != VIRAL_OK && (rc = drop_video(s, v, rc, err)) != VIRAL_OK) return rc;
  }
  return VIRAL_OK;
}

/* ---- events ---- */

typedef enum { EV_OBSERVE, EV_LABEL, EV_SCORE } event_kind;

typedef struct event {
  event_kind kind;
  double seq;       /* NAN when absent */
  const char *id;   /* observe, label */
  double t, posted; /* observe */
  double age_h;     /* observe: (t - posted) in hours, viral_record_age_hours */
  double y;         /* label */
} event;

static int bad(viral_error *err, const char *src, long line_no, const char *what, const char *detail) {
  return viral_error_set(err, VIRAL_ERR_PARSE, src, line_no, "%s%s", what, detail ? detail : "");
}

/* Field name of rec: its index, or -1; *v its value. */
static long field(const viral_record *rec, const char *name, const viral_value **v) {
  long f = viral_record_find(rec, name);
  *v = f >= 0 ? viral_record_value(rec, (size_t)f) : NULL;
  return f;
}

/* A time field (ISO-8601 or unix seconds): VIRAL_OK or not. */
static int read_time(const viral_record *rec, const char *name, double *out) {
  const viral_value *v;
  long f = field(rec, name, &v);
  viral_error ignored;
  return f >= 0 && viral_record_timestamp(rec, (size_t)f, 0, out, &ignored) == VIRAL_OK && isfinite(*out)
             ? VIRAL_OK
             : VIRAL_ERR_PARSE;
}

/* The fields the stream itself needs, from rec (ev points into it). */
static int parse_event(const viral_record *rec, const char *src, long line_no, event *ev, viral_error *err) {
  memset(ev, 0, sizeof *ev);
  ev->seq = NAN;
  ev->y = NAN;
  const viral_value *v;
  field(rec, "event", &v);
  if (!v || v->kind != VIRAL_VALUE_TEXT) return bad(err, src, line_no, "no \"event\" string", NULL);
  if (strcmp(v->text, "observe") == 0) ev->kind = EV_OBSERVE;
  else if (strcmp(v->text, "label") == 0) ev->kind = EV_LABEL;
  else if (strcmp(v->text, "score") == 0) ev->kind = EV_SCORE;
  else return bad(err, src, line_no, "unknown event: ", v->text);
  field(rec, "seq", &v);
  if (v && v->kind != VIRAL_VALUE_MISSING) {
    if (v->kind != VIRAL_VALUE_NUMBER || !isfinite(v->number)) return bad(err, src, line_no, "\"seq\" is not a number", NULL);
    ev->seq = v->number;
  }
  if (ev->kind == EV_SCORE) return VIRAL_OK;
  field(rec, "video_id", &v);
  if (!v || v->kind != VIRAL_VALUE_TEXT) return bad(err, src, line_no, "no \"video_id\" string", NULL);
  ev->id = v->text;
  if (ev->kind == EV_LABEL) {
    field(rec, "viral", &v);
    if (v && (v->kind == VIRAL_VALUE_NUMBER || v->kind == VIRAL_VALUE_BOOL) && (v->number == 0 || v->number == 1))
      ev->y = v->number;
    else return bad(err, src, line_no, "label: \"viral\" must be 0 or 1", NULL);
    return VIRAL_OK;
  }
  if (read_time(rec, "observed_at", &ev->t) != VIRAL_OK) return bad(err, src, line_no, "observe: bad or missing observed_at", NULL);
  if (read_time(rec, "posted_at", &ev->posted) != VIRAL_OK) return bad(err, src, line_no, "observe: bad or missing posted_at", NULL);
  /* the assembler's rule: a sighting a little before posting is an hourly
   * snapshot's rounding, one earlier cannot be */
  if (viral_record_age_hours(rec, ev->posted, ev->t, &ev->age_h, err) != VIRAL_OK)
    return reattribute(err, src, line_no);
  return VIRAL_OK;
}

/* 1 when observe ev will be its video's earliest sighting, the one its
 * record takes the attributes from: the first of a video not in flight
 * (unless it is late: apply_observe ignores it), or one before the first. */
static int gives_attributes(const viral_stream *s, const event *ev) {
  const video *v = (const video *)viral_vt_find(&s->videos, ev->id);
  return v ? ev->t < v->first_t : ev->age_h < s->o.horizon_h;
}

/* An input or journal line read as an event: as long as the limit, one
 * JSON object the record reader reads as scoring and learning will (valid
 * UTF-8, nothing after it, within its depth and field limits), then the
 * stream's own fields. *r (free it) holds the record ev points into. */
static int read_event(const viral_stream *s, const char *line, size_t len, const char *src, long line_no,
                      viral_reader **r, const viral_record **rec, event *ev, viral_error *err) {
  *r = NULL;
  if (len > max_event_bytes(s)) /* before anything reads it */
    return viral_error_set(err, VIRAL_ERR_LIMIT, src, line_no, "event longer than the limit of %zu bytes",
                           max_event_bytes(s));
  viral_reader_options ro;
  event_reader_options(s, &ro);
  if (!(*r = viral_reader_open_memory(EVENT_NAME, line, len, &ro, err))) return reattribute(err, src, line_no);
  int rc = viral_reader_next(*r, rec, err);
  if (rc < 0) return reattribute(err, src, line_no);
  if (rc == 0) return bad(err, src, line_no, "no event", NULL);
  return parse_event(*rec, src, line_no, ev, err);
}

/* Check a state event in full before it is journaled (viral/stream.h, "Bad
 * events"): an observe's fields as the assembler reads them, and the record
 * the video takes its attributes from through the model's pipeline. */
static int check_event(viral_stream *s, const event *ev, const viral_record *rec, const char *src, long line_no,
                       viral_error *err) {
  if (ev->kind == EV_SCORE) return bad(err, src, line_no, "a score event in the journal", NULL);
  if (ev->kind != EV_OBSERVE) return VIRAL_OK;
  int rc = check_fields(s, rec, err);
  if (rc == VIRAL_OK && gives_attributes(s, ev)) rc = check_featurize(s, rec, err);
  return rc == VIRAL_OK ? rc : reattribute(err, src, line_no);
}

/* Was ev applied already (a replayed input)? */
static int already_applied(const viral_stream *s, const event *ev) {
  if (!isnan(ev->seq)) return !isnan(s->last_seq) && ev->seq <= s->last_seq;
  if (ev->kind != EV_OBSERVE || isnan(s->last_t)) return 0;
  if (ev->t < s->last_t) return 1;
  if (ev->t > s->last_t) return 0;
  for (size_t i = 0; i < s->last_n; i++)
    if (strcmp(s->last_ids[i], ev->id) == 0) return 1;
  return 0;
}

/* Why ev is out of order, into msg (without its place). */
static void out_of_order_reason(const viral_stream *s, const event *ev, char *msg, size_t size) {
  char at[32], pos[32];
  if (!isnan(ev->seq))
    snprintf(msg, size, "seq %s is not after the last applied seq %s", viral_format_double(at, ev->seq),
             viral_format_double(pos, s->last_seq));
  else
    snprintf(msg, size, "observe of video '%s' at %s is before the last applied one at %s", ev->id,
             viral_assemble_format_time(at, ev->t), viral_assemble_format_time(pos, s->last_t));
}

/* An event already applied: the input replayed from its start (nothing
 * applied since open yet) or out of order: dropped (said once, counted),
 * or with refuse_out_of_order a bad event (VIRAL_ERR_PARSE). */
static int note_not_applied(viral_stream *s, const event *ev, const char *src, long line_no, viral_error *err) {
  char why[VIRAL_ERROR_MAX];
  if (!s->input_applied && !s->o.refuse_out_of_order) {
    s->st.skipped++;
    return VIRAL_OK;
  }
  if (s->o.refuse_out_of_order || !s->st.out_of_order) out_of_order_reason(s, ev, why, sizeof why);
  if (s->o.refuse_out_of_order)
    return viral_error_set(err, VIRAL_ERR_PARSE, src, line_no, "%s: the log goes back in time (sort it by observed_at)",
                           why);
  if (!s->st.out_of_order++)
    warn(s, "%s:%ld: %s: out of order, dropped%s", src, line_no, why, isnan(ev->seq) ? " (sort the input by observed_at)" : "");
  return VIRAL_OK;
}

static void clear_last_ids(viral_stream *s) {
  for (size_t i = 0; i < s->last_n; i++) free(s->last_ids[i]);
  s->last_n = 0;
}

static int note_position(viral_stream *s, const event *ev) {
  if (!isnan(ev->seq)) s->last_seq = ev->seq;
  if (ev->kind != EV_OBSERVE) return VIRAL_OK;
  if (isnan(s->last_t) || ev->t > s->last_t) {
    clear_last_ids(s);
    s->last_t = ev->t;
  }
  if (s->last_n == s->last_cap) {
    size_t cap = s->last_cap ? s->last_cap * 2 : 8;
    char **ids = realloc(s->last_ids, cap * sizeof *ids);
    if (!ids) return VIRAL_ERR_NOMEM;
    s->last_ids = ids;
    s->last_cap = cap;
  }
  if (!(s->last_ids[s->last_n] = text_dup(ev->id))) return VIRAL_ERR_NOMEM;
  s->last_n++;
  return VIRAL_OK;
}

static int journal_append(viral_stream *s, const char *line, size_t len, viral_error *err) {
  if (!s->journal || s->replaying) return VIRAL_OK;
  if (fwrite(line, 1, len, s->journal) != len || fputc('\n', s->journal) == EOF ||
      fflush(s->journal) != 0)
    return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "journal: %s", strerror(errno));
  if (s->o.fsync_every && ++s->since_sync >= s->o.fsync_every) {
    s->since_sync = 0;
    if (fsync(fileno(s->journal)) != 0)
      return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "journal fsync: %s", strerror(errno));
  }
  return VIRAL_OK;
}

static int apply_observe(viral_stream *s, const event *ev, const char *line, size_t len,
                         viral_error *err) {
  int rc;
  if (isnan(s->st.clock) || ev->t > s->st.clock) {
    s->st.clock = ev->t;
    if ((rc = close_by_time(s, err)) != VIRAL_OK) return rc;
  }
  double age = ev->age_h;
  video *v = (video *)viral_vt_find(&s->videos, ev->id);
  if (!v) {
    if (age >= s->o.horizon_h) {
      s->st.late++;
      return VIRAL_OK;
    }
    if (!(v = video_add(s, ev->id, ev->posted, ev->t, err))) return err->code;
  } else {
    if (v->dropped) return VIRAL_OK;
    age = (ev->t - v->posted) / 3600; /* the first sighting's posted_at, as assemble */
    if (ev->t < v->first_t) v->first_t = ev->t;
  }
  if (append_line(v, line, len) != VIRAL_OK) return nomem(err);
  if ((rc = score_reached(s, v, age, err)) != VIRAL_OK) return drop_video(s, v, rc, err);
  if (age >= s->o.horizon_h && s->o.no_learning) forget(s, v);
  else if (age >= s->o.horizon_h && (rc = learn_video(s, v, NAN, 0, err)) != VIRAL_OK)
    return drop_video(s, v, rc, err);
  return VIRAL_OK;
}

/* Apply one state event (observe or label), journalled first. A failure here
 * (writing, memory) leaves it half-applied: the stream is failed. */
static int apply(viral_stream *s, const event *ev, const char *line, size_t len, viral_error *err) {
  int rc = journal_append(s, line, len, err);
  if (rc == VIRAL_OK) {
    s->seq_out = ++s->st.applied;
    if (note_position(s, ev) != VIRAL_OK) rc = nomem(err);
  }
  if (rc == VIRAL_OK && ev->kind == EV_OBSERVE) {
    rc = apply_observe(s, ev, line, len, err);
  } else if (rc == VIRAL_OK) {
    video *v = (video *)viral_vt_find(&s->videos, ev->id);
    if (!v) s->st.labels_unknown++;
    else if (s->o.no_learning) ; /* a scoring run learns nothing */
    else if (!v->dropped && (rc = learn_video(s, v, ev->y, 0, err)) != VIRAL_OK) rc = drop_video(s, v, rc, err);
  }
  if (rc != VIRAL_OK) s->failed = 1;
  else if (!s->replaying) s->since_ckpt++;
  return rc;
}

/* Answer a score event: rec as it is (a full record), not journaled. */
static int score_event(viral_stream *s, const viral_record *rec, const char *src, long line_no, viral_error *err) {
  const viral_value *v;
  field(rec, "video_id", &v);
  int rc = score_and_emit(s, v && v->kind == VIRAL_VALUE_TEXT ? v->text : "", rec, 0, NAN, NULL, err);
  return rc == VIRAL_OK || rc == VIRAL_ERR_IO ? rc : reattribute(err, src, line_no);
}

static int feed(viral_stream *s, const char *line, size_t len, long line_no, viral_error *err) {
  const char *src = source_name(s);
  viral_reader *r;
  const viral_record *rec;
  event ev;
  int rc = read_event(s, line, len, src, line_no, &r, &rec, &ev, err);
  if (rc == VIRAL_OK) {
    if (ev.kind == EV_SCORE) rc = score_event(s, rec, src, line_no, err);
    else if (already_applied(s, &ev)) rc = note_not_applied(s, &ev, src, line_no, err);
    else if ((rc = check_event(s, &ev, rec, src, line_no, err)) == VIRAL_OK &&
             (rc = apply(s, &ev, line, len, err)) == VIRAL_OK)
      s->input_applied = 1;
  }
  viral_reader_free(r);
  return rc;
}

int viral_stream_feed(viral_stream *s, const char *line, size_t len, long line_no, viral_error *err) {
  if (s->failed)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the stream failed earlier: reopen it from its state directory");
  s->st.lines++;
  int rc = feed(s, line, len, line_no, err);
  if (rc != VIRAL_OK) {
    if (!s->failed && rc != VIRAL_ERR_IO && rc != VIRAL_ERR_NOMEM) s->st.bad++;
    return rc;
  }
  /* by event time: the first checkpoint period starts at the first clock */
  if (isnan(s->ckpt_clock)) s->ckpt_clock = s->st.clock;
  int by_count = s->o.checkpoint_every && s->since_ckpt >= s->o.checkpoint_every;
  int by_time = s->o.checkpoint_every_h > 0 && s->st.clock - s->ckpt_clock >= s->o.checkpoint_every_h * 3600;
  if ((by_count || by_time) && s->o.state_dir) rc = viral_stream_checkpoint(s, err);
  return rc;
}

int viral_stream_failed(const viral_stream *s) { return s->failed; }

/* ---- checkpoints ---- */

static int add_num(cJSON *o, const char *key, double x) {
  return isnan(x) ? (cJSON_AddNullToObject(o, key) ? 0 : -1) : viral_json_add_number(o, key, x);
}

static cJSON *state_document(viral_stream *s, const char *model_name) {
  cJSON *d = viral_document_create(CHECKPOINT_FORMAT, CHECKPOINT_VERSION);
  cJSON *ids = cJSON_CreateArray(), *videos = cJSON_CreateArray(), *rp = cJSON_CreateArray(),
        *ry = cJSON_CreateArray();
  int bad_ = !d || !ids || !videos || !rp || !ry;
  if (!bad_) {
    cJSON_AddItemToObject(d, "last_ids", ids);
    cJSON_AddItemToObject(d, "videos", videos);
    cJSON_AddItemToObject(d, "metrics_p", rp);
    cJSON_AddItemToObject(d, "metrics_y", ry);
    ids = videos = rp = ry = NULL;
  }
  bad_ = bad_ || !cJSON_AddStringToObject(d, "model", model_name) ||
         add_num(d, "checkpoint", (double)s->ckpt_no) || add_num(d, "applied", (double)s->st.applied) ||
         add_num(d, "last_seq", s->last_seq) || add_num(d, "last_t", s->last_t) ||
         add_num(d, "clock", s->st.clock) || add_num(d, "scored", (double)s->st.scored) ||
         add_num(d, "learned", (double)s->st.learned) || add_num(d, "unlabeled", (double)s->st.unlabeled) ||
         add_num(d, "late", (double)s->st.late) || add_num(d, "evicted", (double)s->st.evicted) ||
         add_num(d, "labels_unknown", (double)s->st.labels_unknown) ||
         add_num(d, "dropped", (double)s->st.dropped);
  if (!bad_) {
    viral_stream_stats m;
    viral_stream_stats_get(s, 1, &m);
    bad_ = add_num(d, "auc", m.auc) || add_num(d, "log_loss", m.log_loss) ||
           add_num(d, "calibration", m.calibration);
  }
  for (size_t i = 0; !bad_ && i < s->last_n; i++)
    bad_ = !cJSON_AddItemToArray(cJSON_GetObjectItem(d, "last_ids"), cJSON_CreateString(s->last_ids[i]));
  for (size_t i = 0; !bad_ && i < s->ring_n; i++) {
    size_t k = (s->ring_head + i) % s->o.metrics_window;
    bad_ = viral_json_append_number(cJSON_GetObjectItem(d, "metrics_p"), s->ring_p[k]) ||
           viral_json_append_number(cJSON_GetObjectItem(d, "metrics_y"), s->ring_y[k]);
  }
  /* any order of the videos restores the same state */
  for (size_t i = 0; !bad_ && i < s->videos.count; i++) {
    const video *v = (const video *)viral_vt_at(&s->videos, i);
    cJSON *o = cJSON_CreateObject();
    char *lines = text_dup_len(v->buf, v->len);
    bad_ = !o || !lines || !cJSON_AddItemToArray(cJSON_GetObjectItem(d, "videos"), o) ||
           !cJSON_AddStringToObject(o, "id", v->id) || add_num(o, "posted_at", v->posted) ||
           add_num(o, "first_at", v->first_t) ||
           add_num(o, "p", v->p) || !cJSON_AddBoolToObject(o, "scored", v->scored) ||
           (isfinite(v->age_done) && add_num(o, "age_done", v->age_done)) ||
           !cJSON_AddBoolToObject(o, "dropped", v->dropped) ||
           !cJSON_AddStringToObject(o, "lines", lines);
    free(lines);
  }
  cJSON_Delete(ids);
  cJSON_Delete(videos);
  cJSON_Delete(rp);
  cJSON_Delete(ry);
  if (bad_) {
    cJSON_Delete(d);
    return NULL;
  }
  return d;
}

/* Open journal K = ckpt_no for appending; fresh: it must not exist yet. */
static int open_journal(viral_stream *s, int fresh, viral_error *err) {
  char name[64];
  state_name(name, "journal-", s->ckpt_no);
  if (s->journal) fclose(s->journal);
  s->journal = NULL;
  int fd = open_state_file(s, name, O_WRONLY | O_APPEND | O_CREAT | (fresh ? O_EXCL : 0), err);
  if (fd < 0) return err->code;
  if (!(s->journal = fdopen(fd, "a"))) {
    close(fd);
    return nomem(err);
  }
  return VIRAL_OK;
}

int viral_stream_checkpoint(viral_stream *s, viral_error *err) {
  if (!s->o.state_dir) return VIRAL_OK;
  if (s->failed) /* its state may hold an event half-applied, or a score never delivered */
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the stream failed earlier: no checkpoint");
  uint64_t next = s->ckpt_no + 1;
  char *model_path = path_in(s, "model-", next), *ckpt = path_of(s, CHECKPOINT_NAME);
  int rc = model_path && ckpt ? viral_model_save(s->model, model_path, err) : nomem(err);
  uint64_t prev = s->ckpt_no;
  s->ckpt_no = next;
  cJSON *doc = rc == VIRAL_OK ? state_document(s, strrchr(model_path, '/') + 1) : NULL;
  if (rc == VIRAL_OK && !doc) rc = nomem(err);
  if (rc == VIRAL_OK) rc = viral_document_save(doc, ckpt, err);
  cJSON_Delete(doc);
  free(ckpt);
  free(model_path);
  if (rc != VIRAL_OK) {
    s->ckpt_no = prev;
    return rc;
  }
  /* the checkpoint is durable: the old journal and model are history */
  if ((rc = open_journal(s, 1, err)) != VIRAL_OK || (rc = clean_state_dir(s, err)) != VIRAL_OK) {
    s->failed = 1; /* on disk all is well: a restart goes on from the new checkpoint */
    return rc;
  }
  s->since_ckpt = 0;
  s->ckpt_clock = s->st.clock;
  return VIRAL_OK;
}

static double num_or_nan(const cJSON *d, const char *key) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(d, key);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static uint64_t count_of(const cJSON *d, const char *key) {
  double x = num_or_nan(d, key);
  return x >= 0 ? (uint64_t)x : 0;
}

/* The model of checkpoint ckpt_no, in place of s->model. */
static int load_checkpoint_model(viral_stream *s, viral_error *err) {
  char name[64];
  int exists;
  state_name(name, "model-", s->ckpt_no);
  int rc = check_state_file(s, name, &exists, err);
  if (rc == VIRAL_OK && !exists)
    rc = viral_error_set(err, VIRAL_ERR_MISSING, s->o.state_dir, 0, "%s: the checkpoint's model is missing", name);
  char *mp = rc == VIRAL_OK ? path_of(s, name) : NULL;
  if (rc == VIRAL_OK && !mp) rc = nomem(err);
  viral_model *m = rc == VIRAL_OK ? viral_model_load(mp, err) : NULL;
  if (rc == VIRAL_OK && !m) rc = err->code;
  if (m) {
    viral_model_free(s->model);
    s->model = m;
  }
  free(mp);
  return rc;
}

/* Restore from checkpoint.json when there is one: 1 loaded, 0 none. */
static int load_checkpoint(viral_stream *s, viral_error *err) {
  int exists;
  if (check_state_file(s, CHECKPOINT_NAME, &exists, err) != VIRAL_OK) return err->code;
  if (!exists) return 0;
  char *ckpt = path_of(s, CHECKPOINT_NAME);
  if (!ckpt) return nomem(err);
  cJSON *d = viral_document_load(ckpt, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, err);
  free(ckpt);
  if (!d) return err->code;
  s->ckpt_no = count_of(d, "checkpoint");
  int rc = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(d, "model"))
               ? load_checkpoint_model(s, err)
               : viral_error_set(err, VIRAL_ERR_INVALID, CHECKPOINT_NAME, 0, "no model");
  s->st.applied = count_of(d, "applied");
  s->last_seq = num_or_nan(d, "last_seq");
  s->last_t = num_or_nan(d, "last_t");
  s->st.clock = num_or_nan(d, "clock");
  s->ckpt_clock = s->st.clock;
  s->st.scored = count_of(d, "scored");
  s->st.learned = count_of(d, "learned");
  s->st.unlabeled = count_of(d, "unlabeled");
  s->st.late = count_of(d, "late");
  s->st.evicted = count_of(d, "evicted");
  s->st.labels_unknown = count_of(d, "labels_unknown");
  s->st.dropped = count_of(d, "dropped");
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "last_ids")) {
    event ev = {.kind = EV_OBSERVE, .seq = NAN, .t = s->last_t};
    ev.id = cJSON_IsString(x) ? x->valuestring : "";
    if (rc == VIRAL_OK && note_position(s, &ev) != VIRAL_OK) rc = nomem(err);
  }
  const cJSON *yp = cJSON_GetObjectItemCaseSensitive(d, "metrics_y");
  int i = 0;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "metrics_p")) {
    const cJSON *y = cJSON_GetArrayItem(yp, i++);
    if (cJSON_IsNumber(x) && cJSON_IsNumber(y)) note_outcome(s, x->valuedouble, y->valuedouble);
  }
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "videos")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id"), *lines = cJSON_GetObjectItemCaseSensitive(x, "lines");
    if (rc != VIRAL_OK) break;
    if (!cJSON_IsString(id) || !cJSON_IsString(lines)) {
      rc = viral_error_set(err, VIRAL_ERR_INVALID, CHECKPOINT_NAME, 0, "a video without id or lines");
      break;
    }
    double first_t = num_or_nan(x, "first_at"); /* NAN in older checkpoints: no earlier sighting checks */
    video *v = video_add(s, id->valuestring, num_or_nan(x, "posted_at"), isnan(first_t) ? -INFINITY : first_t, err);
    if (!v) {
      rc = err->code;
      break;
    }
    v->p = num_or_nan(x, "p");
    double age_done = num_or_nan(x, "age_done"); /* absent: no trajectory age scored */
    if (!isnan(age_done)) v->age_done = age_done;
    v->scored = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "scored"));
    v->dropped = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "dropped"));
    size_t len = strlen(lines->valuestring);
    if (len && append_line(v, lines->valuestring, len - 1) != VIRAL_OK) rc = nomem(err);
  }
  cJSON_Delete(d);
  return rc == VIRAL_OK ? 1 : rc;
}

/* One journal line at replay: read and checked as a fed event is (a
 * journal written before the checks may hold a bad one: said, counted,
 * skipped), then applied. */
static int replay_line(viral_stream *s, const char *path, const char *line, size_t len, long no, viral_error *err) {
  viral_reader *r;
  const viral_record *rec;
  event ev;
  int rc = read_event(s, line, len, path, no, &r, &rec, &ev, err);
  if (rc == VIRAL_OK) rc = check_event(s, &ev, rec, path, no, err);
  if (rc == VIRAL_OK) {
    rc = apply(s, &ev, line, len, err);
  } else if (rc != VIRAL_ERR_NOMEM) {
    s->st.bad++;
    warn(s, "%s (a bad event in the journal: skipped)", err->message);
    rc = VIRAL_OK;
  }
  viral_reader_free(r);
  return rc;
}

/* Re-apply the journal after the checkpoint (s->journal is open on it); a
 * torn last line (no newline) was never applied and is cut off. */
static int replay_journal(viral_stream *s, viral_error *err) {
  char name[64];
  state_name(name, "journal-", s->ckpt_no);
  char *p = path_of(s, name);
  if (!p) return nomem(err);
  int fd = open_state_file(s, name, O_RDONLY, err);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (!f) {
    int rc = fd >= 0 ? nomem(err) : err->code;
    if (fd >= 0) close(fd);
    free(p);
    return rc;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long no = 0;
  off_t good = 0;
  int rc = VIRAL_OK;
  s->replaying = 1;
  while (rc == VIRAL_OK && (n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] != '\n') break;
    rc = replay_line(s, p, line, (size_t)n - 1, ++no, err);
    good += n;
  }
  s->replaying = 0;
  free(line);
  struct stat st;
  if (rc == VIRAL_OK && fstat(fd, &st) == 0 && st.st_size > good && ftruncate(fileno(s->journal), good) != 0)
    rc = viral_error_set(err, VIRAL_ERR_IO, p, 0, "cannot cut the journal's torn line: %s", strerror(errno));
  fclose(f);
  s->since_ckpt = (uint64_t)no;
  free(p);
  return rc;
}

/* ---- life cycle ---- */

void viral_stream_options_init(viral_stream_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->window_h = 2;
  opts->horizon_h = 168;
  opts->grace_h = 1;
  opts->fsync_every = 1;
  opts->reasons = 3;
  opts->metrics_window = 10000;
}

static int default_fields(viral_stream *s, viral_error *err) {
  viral_stream_options *o = &s->o;
  if (!o->counters) {
    if (viral_field_maps_parse("views,likes,shares,comments,saves,watch_ratio:number", VIRAL_PARSE_COUNT,
                               &s->default_counters, &o->counter_count, err) != VIRAL_OK)
      return err->code;
    o->counters = s->default_counters;
  }
  if (!o->attrs) {
    if (viral_field_maps_parse("author_id,author_followers:number,author_verified:bool,duration_s:number,"
                               "music_id,music_original:bool,hashtags,caption",
                               VIRAL_PARSE_TEXT, &s->default_attrs, &o->attr_count, err) != VIRAL_OK)
      return err->code;
    o->attrs = s->default_attrs;
  }
  if (!o->ages_h) {
    static const double ages[] = {1, 2, 3, 6};
    size_t n = 0;
    while (n < 4 && ages[n] <= o->window_h) n++;
    if (!(s->default_ages = malloc(4 * sizeof *s->default_ages))) return nomem(err);
    memcpy(s->default_ages, ages, sizeof ages);
    o->ages_h = s->default_ages;
    o->age_count = n;
  }
  return VIRAL_OK;
}

/* The trajectory options against the model (datasets/STREAM.md, "Scores
 * at several ages"): an age before the model's window would need counters
 * not observed yet, one at or past the horizon a video already forgotten. */
static int check_trajectories(viral_stream *s, viral_error *err) {
  char a[32], w[32], h[32];
  s->model_window_h = viral_pipeline_window_hours(viral_model_pipeline(s->model));
  viral_format_double(w, s->model_window_h);
  if (!trajectories(s)) return VIRAL_OK;
  if (s->o.score_looks && !s->o.no_learning)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "scores at each sighting are for scoring runs only");
  if (!s->o.no_learning && s->o.window_h != s->model_window_h)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "scores at several ages move the model's fields from its %sh window: the stream's "
                           "window must be the model's (--window %sh, not %sh)",
                           w, w, viral_format_double(a, s->o.window_h));
  for (size_t k = 0; k < s->o.score_age_count; k++) {
    double age = s->o.score_ages_h[k];
    viral_format_double(a, age);
    if (!(age >= s->model_window_h))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "score age %sh is before the model's %sh window: the fields it reads are not all "
                             "observed yet at %sh (ages from %sh on)", a, w, a, w);
    if (!(age < s->o.horizon_h))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "score age %sh is not before the %sh horizon, when a video is forgotten", a,
                             viral_format_double(h, s->o.horizon_h));
    if (k && !(age > s->o.score_ages_h[k - 1]))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "score ages must be ascending, without repeats");
  }
  return (s->names = video_assembler(s, 0, NULL, 0, NULL, err)) ? VIRAL_OK : err->code;
}

/* The state directory: lock, last checkpoint, cleanup, journal replay. */
static int open_state(viral_stream *s, viral_error *err) {
  int rc = open_state_dir(s, err);
  if (rc == VIRAL_OK) rc = lock_state(s, err);
  if (rc == VIRAL_OK && (rc = load_checkpoint(s, err)) > 0) rc = VIRAL_OK;
  if (rc == VIRAL_OK) rc = clean_state_dir(s, err);
  return rc;
}

viral_stream *viral_stream_open(viral_model *model, const viral_stream_options *opts, viral_error *err) {
  viral_stream *s = calloc(1, sizeof *s);
  if (!s) {
    viral_model_free(model);
    return nomem(err), NULL;
  }
  s->o = *opts;
  s->model = model;
  s->last_seq = s->last_t = s->st.clock = s->ckpt_clock = NAN;
  s->lock_fd = s->dir_fd = -1;
  viral_sparse_init(&s->check.vec);
  int rc = VIRAL_OK;
  if (viral_vt_init(&s->videos) != VIRAL_OK || !(s->scratch = viral_model_scratch_create())) rc = nomem(err);
  if (rc == VIRAL_OK && s->o.metrics_window &&
      (!(s->ring_p = malloc(s->o.metrics_window * sizeof *s->ring_p)) ||
       !(s->ring_y = malloc(s->o.metrics_window * sizeof *s->ring_y))))
    rc = nomem(err);
  if (rc == VIRAL_OK && !(opts->window_h >= 0 && opts->horizon_h > opts->window_h && opts->grace_h >= 0))
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "need 0 <= window < horizon and grace >= 0");
  if (rc == VIRAL_OK) rc = default_fields(s, err);
  if (rc == VIRAL_OK && s->o.state_dir) rc = open_state(s, err);
  if (rc == VIRAL_OK && !s->model) rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "no model and no checkpoint");
  if (rc == VIRAL_OK && !s->o.no_learning && !viral_learner_online(viral_model_learner(s->model))) {
    char online[256];
    viral_learner_list(online, sizeof online, 0, 1);
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the stream learns online: it needs a %s model", online);
  }
  if (rc == VIRAL_OK) rc = check_trajectories(s, err);
  if (rc == VIRAL_OK) rc = checker_init(s, err);
  if (rc == VIRAL_OK) rc = check_model_fields(s, err);
  if (rc == VIRAL_OK && s->o.state_dir) {
    rc = open_journal(s, 0, err);
    if (rc == VIRAL_OK) rc = replay_journal(s, err);
  }
  if (rc != VIRAL_OK) {
    viral_stream_free(s);
    return NULL;
  }
  return s;
}

void viral_stream_stats_get(viral_stream *s, int with_metrics, viral_stream_stats *out) {
  *out = s->st;
  out->in_flight = s->videos.count;
  out->checkpoints = s->ckpt_no;
  out->window_n = s->ring_n;
  out->auc = out->log_loss = out->calibration = NAN;
  if (s->ring_n == 0 || !with_metrics) return;
  size_t n = s->ring_n, cap = s->o.metrics_window;
  double *p = malloc(n * sizeof *p), *y = malloc(n * sizeof *y);
  if (p && y) {
    double sp = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
      p[i] = s->ring_p[(s->ring_head + i) % cap];
      y[i] = s->ring_y[(s->ring_head + i) % cap];
      sp += p[i];
      sy += y[i];
    }
    viral_error e;
    if (viral_metrics_roc_auc(y, p, n, &out->auc, &e) != VIRAL_OK) out->auc = NAN;
    if (viral_metrics_log_loss(y, p, n, &out->log_loss, &e) != VIRAL_OK) out->log_loss = NAN;
    out->calibration = (sp - sy) / (double)n;
  }
  free(p);
  free(y);
}

const viral_model *viral_stream_model(const viral_stream *s) { return s->model; }

void viral_stream_free(viral_stream *s) {
  if (!s) return;
  for (size_t i = 0; s->videos.heap && i < s->videos.count; i++) video_free((video *)viral_vt_at(&s->videos, i));
  viral_vt_release(&s->videos);
  viral_assembler_free(s->names);
  checker_release(&s->check);
  clear_last_ids(s);
  free(s->last_ids);
  free(s->ring_p);
  free(s->ring_y);
  if (s->journal) fclose(s->journal);
  if (s->lock_fd >= 0) close(s->lock_fd);
  if (s->dir_fd >= 0) close(s->dir_fd);
  viral_field_maps_free(s->default_counters, s->o.counter_count);
  viral_field_maps_free(s->default_attrs, s->o.attr_count);
  free(s->default_ages);
  viral_model_free(s->model);
  viral_model_scratch_free(s->scratch);
  free(s);
}
