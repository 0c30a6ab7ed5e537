/* stream.c - `viral stream`'s engine (viral/stream.h): per-video sightings in
 * event time, scores at the window, learning at the horizon, a journal and
 * checkpoints. Records are built by the assemble library from each video's own
 * sighting lines, so the stream and `viral assemble` share one interpolation. */
#include "viral/stream.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/video_table.h"
#include "io/json_number.h"
#include "model/document.h"
#include "viral/metrics.h"
#include "viral/reader.h"
#include "viral/writer.h"

#define CHECKPOINT_FORMAT "viral-stream-checkpoint"
#define CHECKPOINT_VERSION 1
#define MAX_REASONS 16

typedef struct video {
  viral_vt_node node;      /* first: deadline = posted + horizon + grace */
  char *id;
  double posted;
  int scored;
  double p;                /* the score, when scored */
  char *buf;               /* the sightings' lines, each ending in '\n' */
  size_t len, cap;
} video;

struct viral_stream {
  viral_stream_options o;
  viral_model *model;
  viral_field_map *default_counters, *default_attrs;
  double *default_ages;
  viral_vt videos; /* in flight, by id and by (deadline, id) */
  /* position */
  double last_seq;     /* NAN: none seen */
  double last_t;       /* NAN: none */
  char **last_ids;     /* observe ids applied at last_t */
  size_t last_n, last_cap;
  uint64_t seq_out;    /* seq of the event being applied */
  /* metrics: ring of the last metrics_window (p, y) */
  double *ring_p, *ring_y;
  size_t ring_head, ring_n;
  /* journal */
  FILE *journal;
  uint64_t ckpt_no, since_ckpt, since_sync;
  double ckpt_clock;   /* the clock at the last checkpoint (NAN: none yet) */
  int replaying;
  int lock_fd;
  viral_stream_stats st;
};

/* ---- small helpers ---- */

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

static char *path_in(const viral_stream *s, const char *name, uint64_t k) {
  size_t n = strlen(s->o.state_dir) + strlen(name) + 32;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s%llu.%s", s->o.state_dir, name, (unsigned long long)k,
                  strcmp(name, "journal-") == 0 ? "jsonl" : "json");
  return p;
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

static video *video_add(viral_stream *s, const char *id, double posted, viral_error *err) {
  video *v = calloc(1, sizeof *v);
  if (!v || !(v->id = dup_n(id, strlen(id)))) {
    free(v);
    return nomem(err), NULL;
  }
  v->posted = posted;
  v->node.id = v->id;
  v->node.deadline = posted + (s->o.horizon_h + s->o.grace_h) * 3600;
  v->p = NAN;
  if (viral_vt_add(&s->videos, &v->node) != VIRAL_OK) {
    video_free(v);
    return nomem(err), NULL;
  }
  return v;
}

/* ---- records through the assemble library ---- */

/* What a built record needs kept alive. */
typedef struct built {
  viral_reader *reader;
  char *text;
  const viral_record *rec;
} built;

static void built_release(built *b) {
  viral_reader_free(b->reader);
  free(b->text);
  memset(b, 0, sizeof *b);
}

/* Assemble v's sightings into one record with the given horizon (0: outcome
 * at the last sighting) and label rule. */
static int build_record(viral_stream *s, const video *v, double horizon_h, const char *label,
                        built *out, viral_error *err) {
  memset(out, 0, sizeof *out);
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
  ao.horizon_h = horizon_h;
  ao.keep_unlabeled = 1;
  ao.label = label;
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.format = VIRAL_FORMAT_JSONL;
  viral_assembler *a = viral_assembler_create(&ao, err);
  if (!a) return err->code;
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
  if (rc == VIRAL_OK) {
    size_t n = 0;
    FILE *f = open_memstream(&out->text, &n);
    if (!f) rc = nomem(err);
    else {
      viral_assembler_write_row(a, row, f, 1);
      if (fclose(f) != 0) rc = nomem(err);
    }
    if (rc == VIRAL_OK) {
      out->reader = viral_reader_open_memory(v->id, out->text, n, &ro, err);
      if (!out->reader) rc = err->code;
      else if ((rc = viral_reader_next(out->reader, &out->rec, err)) == 1) rc = VIRAL_OK;
      else if (rc == 0) rc = viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "video '%s': empty record", v->id);
    }
  }
  viral_assembler_free(a);
  if (rc != VIRAL_OK) built_release(out);
  return rc;
}

/* ---- output ---- */

static void put_json_string(FILE *f, const char *t) {
  fputc('"', f);
  for (; *t; t++) {
    unsigned char c = (unsigned char)*t;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* Score rec and emit its line; *p gets the probability. */
static int score_and_emit(viral_stream *s, const char *id, const viral_record *rec, int with_seq,
                          double *p, viral_error *err) {
  viral_prediction pred;
  viral_reason reasons[MAX_REASONS];
  size_t nr = 0, want = s->o.reasons < MAX_REASONS ? s->o.reasons : MAX_REASONS;
  int rc = viral_model_predict(s->model, rec, &pred, reasons, want, &nr, err);
  if (rc != VIRAL_OK) return rc;
  if (p) *p = pred.probability;
  char *text = NULL, num[32];
  size_t n = 0;
  FILE *f = open_memstream(&text, &n);
  if (!f) return nomem(err);
  if (with_seq) fprintf(f, "{\"seq\":%llu,\"video_id\":", (unsigned long long)s->seq_out);
  else fputs("{\"seq\":null,\"video_id\":", f);
  put_json_string(f, id);
  fprintf(f, ",\"probability\":%s,\"viral\":%d,\"reasons\":[", viral_format_double(num, pred.probability),
          pred.label);
  for (size_t i = 0; i < nr; i++) {
    fputs(i ? ",{\"feature\":" : "{\"feature\":", f);
    put_json_string(f, reasons[i].name);
    fprintf(f, ",\"contribution\":%s}", viral_format_double(num, reasons[i].contribution));
  }
  fputs("]}", f);
  if (fclose(f) != 0) {
    free(text);
    return nomem(err);
  }
  if (s->o.emit) s->o.emit(s->o.emit_ctx, text);
  free(text);
  return VIRAL_OK;
}

static int score_video(viral_stream *s, video *v, viral_error *err) {
  built b;
  int rc = build_record(s, v, 0, NULL, &b, err);
  if (rc != VIRAL_OK) return rc;
  rc = score_and_emit(s, v->id, b.rec, 1, &v->p, err);
  built_release(&b);
  if (rc != VIRAL_OK) return rc;
  v->scored = 1;
  s->st.scored++;
  return VIRAL_OK;
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
  rc = build_record(s, v, by_time ? 0 : s->o.horizon_h, s->o.label, &b, err);
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

/* Close every video whose deadline the clock reached. */
static int close_by_time(viral_stream *s, viral_error *err) {
  viral_vt_node *n;
  while ((n = viral_vt_due(&s->videos, s->st.clock))) {
    video *v = (video *)n;
    s->st.evicted++;
    int rc = learn_video(s, v, NAN, 1, err); /* forgets v when it succeeds */
    if (rc != VIRAL_OK) {
      forget(s, v); /* failed: drop it, or every event would fail on it again */
      return rc;
    }
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
  double y;         /* label */
} event;

static int bad(viral_error *err, const char *src, long line_no, const char *what, const char *detail) {
  return viral_error_set(err, VIRAL_ERR_PARSE, src, line_no, "%s%s", what, detail ? detail : "");
}

static int read_time(const cJSON *o, const char *key, double *out) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsNumber(x)) {
    *out = x->valuedouble;
    return isfinite(*out) ? VIRAL_OK : VIRAL_ERR_PARSE;
  }
  if (cJSON_IsString(x)) return viral_parse_timestamp(x->valuestring, strlen(x->valuestring), 0, out);
  return VIRAL_ERR_PARSE;
}

/* Parse the fields the stream itself needs (the rest is read by the record
 * reader when a record is built). ev points into doc. */
static int parse_event(const cJSON *doc, const char *src, long line_no, event *ev, viral_error *err) {
  memset(ev, 0, sizeof *ev);
  ev->seq = NAN;
  ev->y = NAN;
  if (!cJSON_IsObject(doc)) return bad(err, src, line_no, "not a JSON object", NULL);
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "event");
  if (!cJSON_IsString(kind)) return bad(err, src, line_no, "no \"event\" string", NULL);
  if (strcmp(kind->valuestring, "observe") == 0) ev->kind = EV_OBSERVE;
  else if (strcmp(kind->valuestring, "label") == 0) ev->kind = EV_LABEL;
  else if (strcmp(kind->valuestring, "score") == 0) ev->kind = EV_SCORE;
  else return bad(err, src, line_no, "unknown event: ", kind->valuestring);
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(doc, "seq");
  if (seq && !cJSON_IsNull(seq)) {
    if (!cJSON_IsNumber(seq) || !isfinite(seq->valuedouble)) return bad(err, src, line_no, "\"seq\" is not a number", NULL);
    ev->seq = seq->valuedouble;
  }
  if (ev->kind == EV_SCORE) return VIRAL_OK;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "video_id");
  if (cJSON_IsString(id)) ev->id = id->valuestring;
  else return bad(err, src, line_no, "no \"video_id\" string", NULL);
  if (ev->kind == EV_LABEL) {
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(doc, "viral");
    if (cJSON_IsNumber(y) && (y->valuedouble == 0 || y->valuedouble == 1)) ev->y = y->valuedouble;
    else if (cJSON_IsBool(y)) ev->y = cJSON_IsTrue(y);
    else return bad(err, src, line_no, "label: \"viral\" must be 0 or 1", NULL);
    return VIRAL_OK;
  }
  if (read_time(doc, "observed_at", &ev->t) != VIRAL_OK) return bad(err, src, line_no, "observe: bad or missing observed_at", NULL);
  if (read_time(doc, "posted_at", &ev->posted) != VIRAL_OK) return bad(err, src, line_no, "observe: bad or missing posted_at", NULL);
  return VIRAL_OK;
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
  if (!(s->last_ids[s->last_n] = dup_n(ev->id, strlen(ev->id)))) return VIRAL_ERR_NOMEM;
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
  double age = (ev->t - ev->posted) / 3600;
  video *v = (video *)viral_vt_find(&s->videos, ev->id);
  if (!v) {
    if (age >= s->o.horizon_h) {
      s->st.late++;
      return VIRAL_OK;
    }
    if (!(v = video_add(s, ev->id, ev->posted, err))) return err->code;
  } else {
    age = (ev->t - v->posted) / 3600; /* the first sighting's posted_at, as assemble */
  }
  if (append_line(v, line, len) != VIRAL_OK) return nomem(err);
  if (!v->scored && age >= s->o.window_h && (rc = score_video(s, v, err)) != VIRAL_OK) return rc;
  if (age >= s->o.horizon_h) return learn_video(s, v, NAN, 0, err);
  return VIRAL_OK;
}

/* Apply one state event (observe or label), journalled first. */
static int apply(viral_stream *s, const event *ev, const char *line, size_t len, viral_error *err) {
  int rc = journal_append(s, line, len, err);
  if (rc != VIRAL_OK) return rc;
  s->seq_out = ++s->st.applied;
  if (note_position(s, ev) != VIRAL_OK) return nomem(err);
  if (ev->kind == EV_OBSERVE) {
    rc = apply_observe(s, ev, line, len, err);
  } else {
    video *v = (video *)viral_vt_find(&s->videos, ev->id);
    if (!v) s->st.labels_unknown++;
    else rc = learn_video(s, v, ev->y, 0, err);
  }
  if (rc == VIRAL_OK && !s->replaying) s->since_ckpt++;
  return rc;
}

static int score_event(viral_stream *s, const char *line, size_t len, long line_no, viral_error *err) {
  const char *src = s->o.source ? s->o.source : "stdin";
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.format = VIRAL_FORMAT_JSONL;
  viral_reader *r = viral_reader_open_memory(src, line, len, &ro, err);
  if (!r) return err->code;
  const viral_record *rec;
  int rc = viral_reader_next(r, &rec, err);
  if (rc == 1) {
    viral_strview id = {"", 0};
    long f = viral_record_find(rec, "video_id");
    char *idtext = NULL;
    if (f >= 0 && viral_record_text(rec, (size_t)f, &id, NULL) == VIRAL_OK) idtext = dup_n(id.ptr, id.len);
    rc = score_and_emit(s, idtext ? idtext : "", rec, 0, NULL, err);
    free(idtext);
  } else if (rc == 0) {
    rc = bad(err, src, line_no, "score: empty record", NULL);
  }
  viral_reader_free(r);
  return rc;
}

static int feed(viral_stream *s, const char *line, size_t len, long line_no, viral_error *err) {
  const char *src = s->o.source ? s->o.source : "stdin";
  cJSON *doc = cJSON_ParseWithLength(line, len);
  if (!doc) return bad(err, src, line_no, "malformed JSON", NULL);
  event ev;
  int rc = parse_event(doc, src, line_no, &ev, err);
  if (rc == VIRAL_OK) {
    if (ev.kind == EV_SCORE) rc = score_event(s, line, len, line_no, err);
    else if (already_applied(s, &ev)) s->st.skipped++;
    else rc = apply(s, &ev, line, len, err);
  }
  cJSON_Delete(doc);
  return rc;
}

int viral_stream_feed(viral_stream *s, const char *line, size_t len, long line_no, viral_error *err) {
  s->st.lines++;
  int rc = feed(s, line, len, line_no, err);
  if (rc != VIRAL_OK) return rc;
  /* by event time: the first checkpoint period starts at the first clock */
  if (isnan(s->ckpt_clock)) s->ckpt_clock = s->st.clock;
  int by_count = s->o.checkpoint_every && s->since_ckpt >= s->o.checkpoint_every;
  int by_time = s->o.checkpoint_every_h > 0 && s->st.clock - s->ckpt_clock >= s->o.checkpoint_every_h * 3600;
  if ((by_count || by_time) && s->o.state_dir) rc = viral_stream_checkpoint(s, err);
  return rc;
}

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
         add_num(d, "labels_unknown", (double)s->st.labels_unknown);
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
    char *lines = dup_n(v->buf, v->len);
    bad_ = !o || !lines || !cJSON_AddItemToArray(cJSON_GetObjectItem(d, "videos"), o) ||
           !cJSON_AddStringToObject(o, "id", v->id) || add_num(o, "posted_at", v->posted) ||
           add_num(o, "p", v->p) || !cJSON_AddBoolToObject(o, "scored", v->scored) ||
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

static int open_journal(viral_stream *s, viral_error *err) {
  char *p = path_in(s, "journal-", s->ckpt_no);
  if (!p) return nomem(err);
  if (s->journal) fclose(s->journal);
  s->journal = fopen(p, "a");
  int rc = s->journal ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_IO, p, 0, "cannot open the journal: %s", strerror(errno));
  free(p);
  return rc;
}

int viral_stream_checkpoint(viral_stream *s, viral_error *err) {
  if (!s->o.state_dir) return VIRAL_OK;
  uint64_t next = s->ckpt_no + 1;
  char *model_path = path_in(s, "model-", next), *ckpt = NULL;
  if (!model_path) return nomem(err);
  int rc = viral_model_save(s->model, model_path, err);
  const char *base = strrchr(model_path, '/') + 1;
  uint64_t prev = s->ckpt_no;
  s->ckpt_no = next;
  cJSON *doc = rc == VIRAL_OK ? state_document(s, base) : NULL;
  if (rc == VIRAL_OK && !doc) rc = nomem(err);
  size_t n = strlen(s->o.state_dir) + 32;
  if (rc == VIRAL_OK && !(ckpt = malloc(n))) rc = nomem(err);
  if (rc == VIRAL_OK) {
    snprintf(ckpt, n, "%s/checkpoint.json", s->o.state_dir);
    rc = viral_document_save(doc, ckpt, err);
  }
  cJSON_Delete(doc);
  free(ckpt);
  free(model_path);
  if (rc != VIRAL_OK) {
    s->ckpt_no = prev;
    return rc;
  }
  /* the checkpoint is durable: the old journal and model are history */
  if ((rc = open_journal(s, err)) != VIRAL_OK) return rc;
  char *old_j = path_in(s, "journal-", prev), *old_m = path_in(s, "model-", prev);
  if (old_j) unlink(old_j);
  if (old_m) unlink(old_m);
  free(old_j);
  free(old_m);
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

/* Restore from checkpoint.json when there is one: 1 loaded, 0 none. */
static int load_checkpoint(viral_stream *s, viral_error *err) {
  size_t n = strlen(s->o.state_dir) + 32;
  char *ckpt = malloc(n);
  if (!ckpt) return nomem(err);
  snprintf(ckpt, n, "%s/checkpoint.json", s->o.state_dir);
  if (access(ckpt, F_OK) != 0) {
    free(ckpt);
    return 0;
  }
  cJSON *d = viral_document_load(ckpt, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, err);
  free(ckpt);
  if (!d) return err->code;
  int rc = VIRAL_OK;
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(d, "model");
  s->ckpt_no = count_of(d, "checkpoint");
  char *mp = path_in(s, "model-", s->ckpt_no);
  if (!mp || !cJSON_IsString(model)) rc = viral_error_set(err, VIRAL_ERR_INVALID, "checkpoint.json", 0, "no model");
  if (rc == VIRAL_OK) {
    viral_model *m = viral_model_load(mp, err);
    if (!m) rc = err->code;
    else {
      viral_model_free(s->model);
      s->model = m;
    }
  }
  free(mp);
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
      rc = viral_error_set(err, VIRAL_ERR_INVALID, "checkpoint.json", 0, "a video without id or lines");
      break;
    }
    video *v = video_add(s, id->valuestring, num_or_nan(x, "posted_at"), err);
    if (!v) {
      rc = err->code;
      break;
    }
    v->p = num_or_nan(x, "p");
    v->scored = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "scored"));
    size_t len = strlen(lines->valuestring);
    if (len && append_line(v, lines->valuestring, len - 1) != VIRAL_OK) rc = nomem(err);
  }
  cJSON_Delete(d);
  return rc == VIRAL_OK ? 1 : rc;
}

/* Re-apply the journal after the checkpoint; a torn last line (no newline)
 * was never applied and is cut off. */
static int replay_journal(viral_stream *s, viral_error *err) {
  char *p = path_in(s, "journal-", s->ckpt_no);
  if (!p) return nomem(err);
  FILE *f = fopen(p, "r");
  if (!f) {
    free(p);
    return VIRAL_OK;
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
    no++;
    cJSON *doc = cJSON_ParseWithLength(line, (size_t)n - 1);
    event ev;
    rc = doc ? parse_event(doc, p, no, &ev, err) : bad(err, p, no, "malformed JSON", NULL);
    if (rc == VIRAL_OK) rc = apply(s, &ev, line, (size_t)n - 1, err);
    cJSON_Delete(doc);
    good += n;
  }
  s->replaying = 0;
  free(line);
  fclose(f);
  if (rc == VIRAL_OK && truncate(p, good) != 0)
    rc = viral_error_set(err, VIRAL_ERR_IO, p, 0, "cannot cut the journal's torn line: %s", strerror(errno));
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

/* One stream per state directory: a second one would interleave journals. */
static int lock_state(viral_stream *s, viral_error *err) {
  size_t n = strlen(s->o.state_dir) + 16;
  char *p = malloc(n);
  if (!p) return nomem(err);
  snprintf(p, n, "%s/lock", s->o.state_dir);
  s->lock_fd = open(p, O_RDWR | O_CREAT, 0666);
  int rc = VIRAL_OK;
  if (s->lock_fd < 0)
    rc = viral_error_set(err, VIRAL_ERR_IO, p, 0, "cannot open: %s", strerror(errno));
  else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0)
    rc = viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "another stream is running on this state directory");
  free(p);
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
  s->lock_fd = -1;
  int rc = VIRAL_OK;
  if (viral_vt_init(&s->videos) != VIRAL_OK) rc = nomem(err);
  if (rc == VIRAL_OK && s->o.metrics_window &&
      (!(s->ring_p = malloc(s->o.metrics_window * sizeof *s->ring_p)) ||
       !(s->ring_y = malloc(s->o.metrics_window * sizeof *s->ring_y))))
    rc = nomem(err);
  if (rc == VIRAL_OK && !(opts->window_h >= 0 && opts->horizon_h > opts->window_h && opts->grace_h >= 0))
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "need 0 <= window < horizon and grace >= 0");
  if (rc == VIRAL_OK) rc = default_fields(s, err);
  if (rc == VIRAL_OK && s->o.state_dir && mkdir(s->o.state_dir, 0777) != 0 && errno != EEXIST)
    rc = viral_error_set(err, VIRAL_ERR_IO, s->o.state_dir, 0, "cannot make the state directory: %s",
                         strerror(errno));
  if (rc == VIRAL_OK && s->o.state_dir) rc = lock_state(s, err);
  if (rc == VIRAL_OK && s->o.state_dir) {
    rc = load_checkpoint(s, err);
    if (rc >= 0) rc = VIRAL_OK;
  }
  if (rc == VIRAL_OK && !s->model) rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "no model and no checkpoint");
  if (rc == VIRAL_OK && viral_model_learner(s->model) != VIRAL_LEARNER_LOGISTIC)
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the stream learns online: it needs a logistic model");
  if (rc == VIRAL_OK && s->o.state_dir) {
    rc = replay_journal(s, err);
    if (rc == VIRAL_OK) rc = open_journal(s, err);
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
  clear_last_ids(s);
  free(s->last_ids);
  free(s->ring_p);
  free(s->ring_y);
  if (s->journal) fclose(s->journal);
  if (s->lock_fd >= 0) close(s->lock_fd);
  viral_field_maps_free(s->default_counters, s->o.counter_count);
  viral_field_maps_free(s->default_attrs, s->o.attr_count);
  free(s->default_ages);
  viral_model_free(s->model);
  free(s);
}
