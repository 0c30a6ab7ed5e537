/* transform.c - the per-row work of the pipeline: reading fields once per
 * row, the transforms, hashing, scaling, the label, and fitting
 * (viral/features.h). One function (run_row) computes every coordinate; the
 * vector, fitting and named paths differ only in where the coordinates go,
 * so they cannot disagree. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features/pipeline_internal.h"
#include "io/array.h"
#include "io/value_internal.h"

#define PI 3.14159265358979323846

/* ---- reading fields ---- */

/* Room in s for n fields (new ones empty). VIRAL_OK or VIRAL_ERR_NOMEM. */
static int scratch_grow(viral_pipeline_scratch *s, size_t n) {
  long *cols = realloc(s->cols, n * sizeof *cols);
  if (!cols) return VIRAL_ERR_NOMEM;
  s->cols = cols;
  field_value *values = realloc(s->values, n * sizeof *values);
  if (!values) return VIRAL_ERR_NOMEM;
  memset(values + s->cap, 0, (n - s->cap) * sizeof *values);
  s->values = values;
  s->cap = n;
  return VIRAL_OK;
}

int pipeline_bind(const viral_pipeline *p, viral_pipeline_scratch *s, const viral_record *rec) {
  uint64_t id = viral_record_schema_id(rec);
  if (s->bound && id == s->schema_id && s->pipeline_id == p->id) return VIRAL_OK;
  s->bound = 0;
  if (p->nfields > s->cap && scratch_grow(s, p->nfields) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  for (size_t i = 0; i < p->nfields; i++) s->cols[i] = viral_record_find(rec, p->fields[i].source);
  s->pipeline_id = p->id;
  s->schema_id = id;
  s->bound = 1;
  return VIRAL_OK;
}

void pipeline_scratch_release(viral_pipeline_scratch *s) {
  for (size_t i = 0; i < s->cap; i++) {
    free(s->values[i].items);
    free(s->values[i].buf);
  }
  free(s->values);
  free(s->cols);
  free(s->namebuf);
  memset(s, 0, sizeof *s);
}

viral_pipeline_scratch *viral_pipeline_scratch_create(void) {
  return calloc(1, sizeof(viral_pipeline_scratch));
}

void viral_pipeline_scratch_free(viral_pipeline_scratch *s) {
  if (!s) return;
  pipeline_scratch_release(s);
  free(s);
}

static int row_error(viral_error *err, int code, const viral_record *rec, const char *fmt,
                     const char *a, const char *b)
{
  char msg[VIRAL_ERROR_MAX];
  snprintf(msg, sizeof msg, fmt, a, b);
  return viral_error_set(err, code, viral_record_source(rec), viral_record_line(rec), "%s", msg);
}

static int copy_to_buf(field_value *v, const char *s, size_t len) {
  if (len + 1 > v->buf_cap) {
    char *b = realloc(v->buf, len + 1);
    if (!b) return VIRAL_ERR_NOMEM;
    v->buf = b;
    v->buf_cap = len + 1;
  }
  memcpy(v->buf, s, len);
  v->buf[len] = '\0';
  return VIRAL_OK;
}

/* A timestamp in the spec's strptime format, through the one validated
 * calendar (a day past the month's end is an error, not the next month). */
static int read_timestamp_format(const field_def *f, field_value *v, viral_strview t,
                                 double *out) {
  if (copy_to_buf(v, t.ptr, t.len)) return VIRAL_ERR_NOMEM;
  const char *end = value_parse_time_format(v->buf, f->format, f->tz_minutes, out);
  if (!end) return VIRAL_ERR_PARSE;
  while (*end == ' ') end++;
  return *end ? VIRAL_ERR_PARSE : VIRAL_OK;
}

/* A timestamp given as a number in the field's unit (ms, us): seconds in
 * the valid range, or an error naming the value. Text that is not a
 * number is read as a date. */
static int read_timestamp_unit(const viral_record *rec, const field_def *f, size_t col,
                               double *out, viral_error *err) {
  double x;
  int rc = viral_record_number(rec, col, &x, NULL);
  if (rc == VIRAL_MISSING) return rc;
  if (rc != VIRAL_OK) return viral_record_timestamp(rec, col, f->tz_minutes, out, err);
  x *= f->unit;
  if (!(x >= VIRAL_TIME_MIN && x < VIRAL_TIME_MAX)) {
    char shown[64];
    snprintf(shown, sizeof shown, "%.17g", x / f->unit);
    return row_error(err, VIRAL_ERR_PARSE, rec, "field '%s': timestamp %s is out of range in "
                                                "the field's unit", f->source, shown);
  }
  *out = x;
  return VIRAL_OK;
}

/* Parse field i of rec into its row cache in s (read_field's miss). */
static int parse_field(const viral_pipeline *p, viral_pipeline_scratch *s, const viral_record *rec,
                       int i, viral_error *err) {
  field_value *v = &s->values[i];
  const field_def *f = &p->fields[i];
  v->state = 2;
  v->has_lg = 0;
  if (s->cols[i] < 0) return 0;
  size_t col = (size_t)s->cols[i];
  int rc = VIRAL_MISSING, b = 0;
  switch (f->rule) {
  case PARSE_NUMBER: rc = viral_record_number(rec, col, &v->num, err); break;
  case PARSE_COUNT: rc = viral_record_count(rec, col, &v->num, err); break;
  case PARSE_DURATION: rc = viral_record_duration(rec, col, &v->num, err); break;
  case PARSE_BOOL:
    rc = viral_record_bool(rec, col, &b, err);
    v->num = b;
    break;
  case PARSE_TIMESTAMP:
    if (!f->format && f->unit != 1) {
      rc = read_timestamp_unit(rec, f, col, &v->num, err);
      break;
    }
    if (!f->format) {
      rc = viral_record_timestamp(rec, col, f->tz_minutes, &v->num, err);
      break;
    }
    rc = viral_record_text(rec, col, &v->text, err);
    if (rc == VIRAL_OK && (rc = read_timestamp_format(f, v, v->text, &v->num)) == VIRAL_ERR_PARSE) {
      char shown[VALUE_QUOTE_SIZE(40)];
      value_quote(shown, sizeof shown, v->text.ptr, v->text.len, 40);
      return row_error(err, VIRAL_ERR_PARSE, rec, "field '%s': bad timestamp '%s'", f->source,
                       shown);
    }
    break;
  case PARSE_TEXT: rc = viral_record_text(rec, col, &v->text, err); break;
  case PARSE_LIST:
    for (;;) {
      rc = viral_record_list(rec, col, f->separators, v->items, v->cap, &v->count, err);
      if (rc != VIRAL_OK || v->count <= v->cap) break;
      viral_strview *grown = realloc(v->items, v->count * sizeof *grown);
      if (!grown) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      v->items = grown;
      v->cap = v->count;
    }
    break;
  case PARSE_REGEX: {
    viral_strview t;
    rc = viral_record_text(rec, col, &t, err);
    if (rc != VIRAL_OK) break;
    /* a match can take time quadratic in the text: bound it (spec_regex.c) */
    if (t.len > VIRAL_REGEX_MAX_SUBJECT)
      return viral_error_set(err, VIRAL_ERR_LIMIT, viral_record_source(rec), viral_record_line(rec),
                             "field '%s': %zu bytes, more than the %d a regex reads", f->source,
                             t.len, VIRAL_REGEX_MAX_SUBJECT);
    if (copy_to_buf(v, t.ptr, t.len)) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    regmatch_t m[2];
    /* No match counts as missing: a URL of another shape has no id. */
    if (regexec(&f->re, v->buf, 2, m, 0) != 0 || m[1].rm_so < 0) return 0;
    v->text.ptr = v->buf + m[1].rm_so;
    v->text.len = (size_t)(m[1].rm_eo - m[1].rm_so);
    break;
  }
  }
  if (rc < 0) return rc;
  if (rc == VIRAL_MISSING) return 0;
  if (rule_is_numeric_(f->rule)) {
    char shown[32];
    if (!isfinite(v->num)) {
      snprintf(shown, sizeof shown, "%g", v->num);
      return row_error(err, VIRAL_ERR_PARSE, rec, "field '%s': value %s out of range", f->source,
                       shown);
    }
    if (f->rule == PARSE_COUNT && v->num < 0) {
      snprintf(shown, sizeof shown, "%.17g", v->num);
      return row_error(err, VIRAL_ERR_PARSE, rec, "field '%s': negative count %s", f->source,
                       shown);
    }
  }
  v->state = 1;
  return 1;
}

/* Field i of rec, parsed once per row: most features share fields, so the
 * cached answer is the common case and costs no call. Returns 1 present, 0
 * missing, or a negative status with err set. */
static inline int read_field(const viral_pipeline *p, viral_pipeline_scratch *s,
                             const viral_record *rec, int i, viral_error *err) {
  int state = s->values[i].state;
  return state ? state == 1 : parse_field(p, s, rec, i, err);
}

/* ---- where coordinates go ---- */

enum { EMIT_VECTOR, EMIT_FIT, EMIT_NAMED, EMIT_DESCRIBE };

typedef struct emitter {
  int mode;
  viral_sparse *out;        /* EMIT_VECTOR */
  viral_feature_sink sink;  /* EMIT_NAMED */
  void *ctx;
  viral_pipeline_scratch *s; /* the row's fields */
  viral_pipeline *mp;       /* the pipeline when it may change: EMIT_FIT, naming */
  int collect;              /* EMIT_VECTOR: note the names of hashed features in mp */
  const uint32_t *want;     /* EMIT_DESCRIBE: the indices to describe into outs */
  size_t nwant;
  viral_feature_input *outs;
} emitter;

/* EMIT_DESCRIBE: where index is described, or NULL when it is not wanted
 * (or already was: the first coordinate of an index is its description). */
static viral_feature_input *wanted(const emitter *e, uint32_t index) {
  for (size_t i = 0; i < e->nwant; i++)
    if (e->want[i] == index && !e->outs[i].name[0]) return &e->outs[i];
  return NULL;
}

/* viral_sparse_push, without the call while there is room (every row but
 * the first few: the vector keeps its memory between rows). */
static inline int push(viral_sparse *v, uint32_t index, double x) {
  if (v->count == v->capacity) return viral_sparse_push(v, index, x);
  v->items[v->count].index = index;
  v->items[v->count].value = x;
  v->count++;
  return VIRAL_OK;
}

static inline int emit_dense(const viral_pipeline *p, emitter *e, uint32_t col, double x) {
  if (e->mode == EMIT_FIT) {
    dense_col *c = &e->mp->cols[col];
    /* Welford: one pass, no catastrophic cancellation on large counts */
    c->n += 1;
    double d = x - c->mean;
    c->mean += d / c->n;
    c->m2 += d * (x - c->mean);
    if (c->n == 1 || x < c->min) c->min = x;
    if (c->n == 1 || x > c->max) c->max = x;
    return VIRAL_OK;
  }
  const dense_col *c = &p->cols[col];
  if (c->scaled) x = (x - c->a) / c->b;
  if (e->mode == EMIT_VECTOR && e->mp && e->mp->profiling) e->mp->row_x[col] = x;
  /* finish would drop it anyway: zeros (indicators off, most rows) cost nothing */
  if (e->mode == EMIT_VECTOR) return x == 0.0 ? VIRAL_OK : push(e->out, col, x);
  if (e->mode == EMIT_DESCRIBE) return VIRAL_OK; /* run_dense described it */
  return e->sink(e->ctx, col, x, c->group, c->name);
}

const char *pipeline_hashed_name(viral_pipeline_scratch *s, const feature_def *f, viral_strview a,
                               const viral_strview *b) {
  size_t need = strlen(f->name) + a.len + (b ? b->len + 1 : 0) + 2;
  if (need > s->namebuf_cap) {
    char *nb = realloc(s->namebuf, need * 2);
    if (!nb) return NULL;
    s->namebuf = nb;
    s->namebuf_cap = need * 2;
  }
  if (b)
    snprintf(s->namebuf, s->namebuf_cap, "%s=%.*s^%.*s", f->name, (int)a.len, a.ptr, (int)b->len,
             b->ptr);
  else
    snprintf(s->namebuf, s->namebuf_cap, "%s=%.*s", f->name, (int)a.len, a.ptr);
  return s->namebuf;
}

void pipeline_drop_name_slots(viral_pipeline *p) {
  free(p->name_slots);
  free(p->names_done);
  p->name_slots = NULL;
  p->names_done = NULL;
  p->slots_cap = 0;
}

void pipeline_forget_names(viral_pipeline *p) {
  for (size_t i = 0; i < p->nnames; i++) {
    free(p->names[i].name);
    free(p->names[i].group);
  }
  p->nnames = 0;
  pipeline_drop_name_slots(p);
}

/* The entry naming index, or NULL with *slot set to the empty slot where
 * it would go (open addressing over names[], made on first use, with
 * names_done; without memory name_slots stays NULL). */
static name_entry *find_name(viral_pipeline *p, uint32_t index, size_t *slot) {
  if (!p->name_slots) {
    size_t cap = 16;
    while (cap < 2 * p->names_max) cap *= 2;
    size_t words = (((size_t)1 << p->hash_bits) + 63) / 64;
    p->name_slots = calloc(cap, sizeof *p->name_slots);
    p->names_done = calloc(words, sizeof *p->names_done);
    if (!p->name_slots || !p->names_done) {
      pipeline_drop_name_slots(p);
      return NULL;
    }
    p->slots_cap = cap;
  }
  size_t mask = p->slots_cap - 1, s = (index * 2654435761u) & mask;
  for (; p->name_slots[s]; s = (s + 1) & mask)
    if (p->names[p->name_slots[s] - 1].index == index) return &p->names[p->name_slots[s] - 1];
  *slot = s;
  return NULL;
}

/* Remember the name of a hashed index seen in training (bounded by
 * names_max); a second, different name at the same index marks a collision. */
static int note_name(viral_pipeline *p, uint32_t index, const char *group, const char *name) {
  if (p->names_max == 0) return VIRAL_OK;
  size_t s = 0;
  name_entry *e = find_name(p, index, &s);
  if (e) {
    if (!e->collided && strcmp(e->name, name) != 0) e->collided = 1;
    return VIRAL_OK;
  }
  if (!p->name_slots) return VIRAL_ERR_NOMEM;
  if (p->nnames >= p->names_max) return VIRAL_OK;
  if (array_grow((void **)&p->names, &p->names_cap, p->nnames + 1, sizeof *p->names, 64) < 0) return VIRAL_ERR_NOMEM;
  e = &p->names[p->nnames];
  e->index = index;
  e->collided = 0;
  e->count = 0;
  e->votes = 0;
  e->group = text_dup(group);
  e->name = text_dup(name);
  if (!e->group || !e->name) {
    free(e->group);
    free(e->name);
    return VIRAL_ERR_NOMEM;
  }
  p->name_slots[s] = (uint32_t)++p->nnames;
  return VIRAL_OK;
}

int pipeline_pool_name(viral_pipeline *p, uint32_t index, const char *group, const char *name,
                       int collided) {
  int rc = note_name(p, index, group, name);
  size_t slot;
  name_entry *e = rc == VIRAL_OK && collided ? find_name(p, index, &slot) : NULL;
  if (e) e->collided = 1;
  return rc;
}

/* name past the text t[0..len) up to t's first NUL, or NULL when name does
 * not start with it. A byte loop: the texts are a few bytes, and it runs
 * for every hashed coordinate of every training row. */
static const char *skip_text(const char *name, const char *t, size_t len) {
  for (size_t i = 0; i < len && t[i]; i++, name++)
    if (*name != t[i]) return NULL; /* name's NUL stops here too */
  return name;
}

/* 1 when name is what pipeline_hashed_name would write for (f, a, b): "%.*s" stops
 * at a NUL, so the values count up to their first one. */
int pipeline_name_is(const char *name, const feature_def *f, viral_strview a,
                   const viral_strview *b) {
  name = skip_text(name, f->name, SIZE_MAX);
  if (!name || *name++ != '=' || !(name = skip_text(name, a.ptr, a.len))) return 0;
  if (b && (*name++ != '^' || !(name = skip_text(name, b->ptr, b->len)))) return 0;
  return *name == '\0';
}

/* note_name for a hashed coordinate, building its name only when it may be
 * kept: an index already named (every row after its first) is checked
 * against the name in place, and one past names_max is not named at all. */
static int note_hashed(viral_pipeline *p, viral_pipeline_scratch *s, uint32_t index,
                       const feature_def *f, viral_strview a, const viral_strview *b) {
  if (p->names_max == 0) return VIRAL_OK;
  const uint64_t bit = (uint64_t)1 << (index % 64);
  if (p->names_done && (p->names_done[index / 64] & bit)) return VIRAL_OK;
  size_t slot = 0;
  name_entry *e = find_name(p, index, &slot);
  if (e) {
    if (!e->collided && !pipeline_name_is(e->name, f, a, b)) e->collided = 1;
    if (e->collided) p->names_done[index / 64] |= bit;
    return VIRAL_OK;
  }
  if (!p->name_slots) return VIRAL_ERR_NOMEM;
  if (p->nnames >= p->names_max) { /* never named now: names[] only grows */
    p->names_done[index / 64] |= bit;
    return VIRAL_OK;
  }
  const char *name = pipeline_hashed_name(s, f, a, b);
  return name ? note_name(p, index, f->group, name) : VIRAL_ERR_NOMEM;
}

static int emit_hashed(const viral_pipeline *p, emitter *e, const feature_def *f, viral_strview a,
                       const viral_strview *b) {
  uint32_t h = viral_murmur3_32(a.ptr, a.len, f->seed);
  if (b) h = viral_murmur3_32(b->ptr, b->len, h);
  uint32_t span = ((uint32_t)1 << p->hash_bits) - p->ncols;
  uint32_t index = p->ncols + h % span;
  double x = p->signed_hash && (h >> 31) ? -1.0 : 1.0;
  if (e->mode == EMIT_VECTOR && !e->collect) return push(e->out, index, x);
  if (e->mode == EMIT_VECTOR) {
    int rc = e->mp->profiling ? profile_queue_hashed(e->mp, index, f, a, b)
                              : note_hashed(e->mp, e->s, index, f, a, b);
    return rc ? rc : push(e->out, index, x);
  }
  if (e->mode == EMIT_FIT) return note_hashed(e->mp, e->s, index, f, a, b);
  viral_feature_input *in = e->mode == EMIT_DESCRIBE ? wanted(e, index) : NULL;
  if (e->mode == EMIT_DESCRIBE && !in) return VIRAL_OK;
  const char *name = pipeline_hashed_name(e->s, f, a, b);
  if (!name) return VIRAL_ERR_NOMEM;
  if (in) return profile_describe_hashed(p, f, index, name, a, b, in), VIRAL_OK;
  return e->sink(e->ctx, index, x, f->group, name);
}

/* ---- transforms ---- */

static double fnum(const viral_pipeline_scratch *s, const feature_def *f, int k) {
  return s->values[f->field[k]].num;
}

/* log1p(x), from a table for the small whole numbers most counts are
 * (likes, shares, comments of a young video): the table holds log1p's own
 * results, so the value is the same double, only found without the call
 * (-0, whose log1p is -0, is left to log1p).
 * The table is filled when the pipeline is built; without memory every
 * value is computed. */
static double small_log1p(const viral_pipeline *p, double x) {
  if (!(x >= 0 && x < LOG1P_TABLE) || signbit(x) || x != (double)(uint32_t)x || !p->log1p_table)
    return log1p(x);
  return p->log1p_table[(uint32_t)x];
}

/* log1p of a present numeric field, computed once per row: log views feed
 * several features (log1p, Szabo-Huberman, growth). */
static inline double flog1p(const viral_pipeline *p, viral_pipeline_scratch *s, const feature_def *f,
                            int k) {
  field_value *v = &s->values[f->field[k]];
  if (!v->has_lg) {
    v->lg = small_log1p(p, v->num);
    v->has_lg = 1;
  }
  return v->lg;
}

static double fhours(const viral_pipeline *p, const feature_def *f, int k) {
  return p->fields[f->field[k]].observed;
}

static size_t utf8_length(viral_strview s) {
  size_t n = 0;
  for (size_t i = 0; i < s.len; i++) n += ((unsigned char)s.ptr[i] & 0xC0) != 0x80;
  return n;
}

/* '@' followed by a name character: "@alice" counts, an e-mail's "a@b" too
 * (rare in captions), a lone "@" does not. */
static size_t mention_count(viral_strview s) {
  size_t n = 0;
  for (size_t i = 0; i + 1 < s.len; i++)
    if (s.ptr[i] == '@' && s.ptr[i + 1] != ' ' && s.ptr[i + 1] != '@' && s.ptr[i + 1] != '\t')
      n++;
  return n;
}

/* The point of a day of the week (0 = Monday) on the unit circle. */
static void day_circle(double wd, double out[2]) {
  double angle = 2 * PI * wd / 7.0;
  out[0] = sin(angle);
  out[1] = cos(angle);
}

void pipeline_tables(viral_pipeline *p) {
  for (int d = 0; d < 7; d++) day_circle(d, p->weekday_table[d]);
  if ((p->log1p_table = malloc(LOG1P_TABLE * sizeof(double))))
    for (uint32_t i = 0; i < LOG1P_TABLE; i++) p->log1p_table[i] = log1p((double)i);
}

/* day_circle for wd in 0..6 (a whole number, as the weekday transform
 * makes it), from a table of day_circle's own results: the same doubles. */
static void weekday_circle(const viral_pipeline *p, double wd, double out[2]) {
  if (wd >= 0 && wd < 7 && !signbit(wd) && wd == (double)(int)wd) { /* -0 has its own sine */
    out[0] = p->weekday_table[(int)wd][0];
    out[1] = p->weekday_table[(int)wd][1];
  } else {
    day_circle(wd, out);
  }
}

/* Value(s) of a dense feature whose fields are all present. */
static void dense_values(const viral_pipeline *p, viral_pipeline_scratch *s, const feature_def *f,
                         double out[2]) {
  double a = f->nfields > 0 ? fnum(s, f, 0) : 0, b = f->nfields > 1 ? fnum(s, f, 1) : 0;
  const field_value *v0 = &s->values[f->field[0]];
  switch (f->kind) {
  case T_IDENTITY: out[0] = a; break;
  case T_LOG1P: case T_LOG_VIEWS: out[0] = flog1p(p, s, f, 0); break;
  case T_CLIP: out[0] = a < f->lo ? f->lo : a > f->hi ? f->hi : a; break;
  /* a proportion on the log-odds scale, where the generative model (and a
   * platform's ranking) adds its effects: see datasets/README.md */
  case T_LOGIT: {
    double x = a < f->lo ? f->lo : a > f->hi ? f->hi : a;
    out[0] = log(x / (1 - x));
    break;
  }
  case T_BOOL: out[0] = a != 0; break;
  case T_MISSING: out[0] = 0; break;
  case T_RATIO: out[0] = b == 0 ? f->on_zero : a / b; break;
  /* log growth: defined at zero views and symmetric in scale */
  case T_GROWTH: out[0] = flog1p(p, s, f, 1) - flog1p(p, s, f, 0); break;
  /* a rate on the log scale: engagement effects multiply, and a raw rate
   * such as shares/views (~0.004) is badly scaled next to counts */
  case T_LOG_RATIO: out[0] = flog1p(p, s, f, 0) - flog1p(p, s, f, 1); break;
  /* a rate weighted by the log of the views it was measured on: its
   * evidence grows with them, which a linear model cannot see otherwise */
  case T_TIMES_LOG1P: out[0] = a * flog1p(p, s, f, 1); break;
  case T_VELOCITY: out[0] = (b - a) / (fhours(p, f, 1) - fhours(p, f, 0)); break;
  case T_ACCEL: {
    double h0 = fhours(p, f, 0), h1 = fhours(p, f, 1), h2 = fhours(p, f, 2);
    double v1 = (b - a) / (h1 - h0), v2 = (fnum(s, f, 2) - b) / (h2 - h1);
    out[0] = (v2 - v1) / ((h2 - h0) / 2);
    break;
  }
  case T_HOUR: {
    double sec = a - 86400.0 * floor(a / 86400.0); /* in [0, 86400), before 1970 too */
    double angle = 2 * PI * (sec / 3600.0) / 24.0;
    out[0] = sin(angle);
    out[1] = cos(angle);
    break;
  }
  case T_WEEKDAY: {
    double days = floor(a / 86400.0) + 3; /* 1970-01-01 was a Thursday; Monday = 0 */
    double wd = days - 7.0 * floor(days / 7.0);
    weekday_circle(p, wd, out);
    break;
  }
  case T_AGE: out[0] = (b - a) / 3600.0; break;
  case T_LENGTH: out[0] = (double)utf8_length(v0->text); break;
  case T_COUNT: out[0] = (double)v0->count; break;
  case T_MENTIONS: out[0] = (double)mention_count(v0->text); break;
  case T_HASH: case T_HASH_LIST: case T_CROSS: break;
  }
}

/* An age that cannot be: the later field before the earlier one. */
static int negative_age(const viral_pipeline *p, const viral_pipeline_scratch *s,
                        const viral_record *rec, const feature_def *f, double hours, viral_error *err) {
  char from[32], to[32];
  viral_format_timestamp(from, fnum(s, f, 0));
  viral_format_timestamp(to, fnum(s, f, 1));
  return viral_error_set(err, VIRAL_ERR_INVALID, viral_record_source(rec), viral_record_line(rec),
                         "feature '%s': '%s' %s is before '%s' %s (age %.3gh)", f->name,
                         p->fields[f->field[1]].source, to, p->fields[f->field[0]].source, from, hours);
}

static int run_dense(const viral_pipeline *p, const viral_record *rec, const feature_def *f,
                     emitter *e, viral_error *err) {
  int present = 1, rc;
  const char *absent = NULL;
  for (int k = 0; k < f->nfields; k++) {
    if ((rc = read_field(p, e->s, rec, f->field[k], err)) < 0) return rc;
    if (!rc && present) {
      present = 0;
      absent = p->fields[f->field[k]].source;
    }
  }
  int values = (f->kind == T_HOUR || f->kind == T_WEEKDAY) ? 2 : 1;
  double out[2] = {f->fill, f->fill};
  if (f->kind == T_MISSING) {
    /* its input is its field's presence */
  } else if (present) {
    dense_values(p, e->s, f, out);
    for (int k = 0; k < values; k++)
      if (!isfinite(out[k]))
        return row_error(err, VIRAL_ERR_PARSE, rec, "feature '%s': value out of range%s", f->name,
                         "");
    if (f->kind == T_AGE && out[0] <= -VIRAL_AGE_SLACK_H) return negative_age(p, e->s, rec, f, out[0], err);
  } else if (!f->has_fill && !f->indicator) {
    return row_error(err, VIRAL_ERR_MISSING, rec,
                     "field '%s' is missing and feature '%s' has no missing-value policy "
                     "(\"fill\" or \"indicator\")", absent, f->name);
  }
  if (e->mode == EMIT_DESCRIBE || (e->mode == EMIT_VECTOR && e->mp && e->mp->profiling)) {
    int kind = VIRAL_INPUT_MISSING;
    double input = present && f->kind != T_MISSING ? profile_input(e->s, f, out[0], &kind) : NAN;
    if (e->mode == EMIT_VECTOR) e->mp->row_in[f->col] = input;
    for (int k = 0; k < f->ncols && e->mode == EMIT_DESCRIBE; k++) {
      viral_feature_input *in = wanted(e, f->col + (uint32_t)k);
      if (in) profile_describe_dense(p, f, k, present, input, kind, in);
    }
  }
  if (f->kind == T_MISSING) return emit_dense(p, e, f->col, present ? 0.0 : 1.0);
  if (present || f->has_fill)
    for (int k = 0; k < values; k++)
      if ((rc = emit_dense(p, e, f->col + (uint32_t)k, out[k]))) return rc;
  if (f->indicator && (rc = emit_dense(p, e, f->col + (uint32_t)values, present ? 0.0 : 1.0)))
    return rc;
  return VIRAL_OK;
}

static int run_hashed(const viral_pipeline *p, const viral_record *rec, const feature_def *f,
                      emitter *e, viral_error *err) {
  int rc;
  for (int k = 0; k < f->nfields; k++)
    if ((rc = read_field(p, e->s, rec, f->field[k], err)) <= 0) return rc; /* missing: no feature */
  const field_value *a = &e->s->values[f->field[0]];
  if (f->kind == T_HASH) return emit_hashed(p, e, f, a->text, NULL);
  if (f->kind == T_CROSS) return emit_hashed(p, e, f, a->text, &e->s->values[f->field[1]].text);
  for (size_t i = 0; i < a->count; i++)
    if ((rc = emit_hashed(p, e, f, a->items[i], NULL))) return rc;
  return VIRAL_OK;
}

/* ---- label ---- */

static int compare(double x, int op, double t) {
  switch (op) {
  case OP_GE: return x >= t;
  case OP_GT: return x > t;
  case OP_LE: return x <= t;
  case OP_LT: return x < t;
  case OP_EQ: return x == t;
  default: return x != t;
  }
}

/* The raw value the rule looks at (NAN when missing or undefined). */
static int label_value(const viral_pipeline *p, viral_pipeline_scratch *s, const viral_record *rec,
                       double *x, viral_error *err) {
  const label_rule *l = &p->label;
  *x = NAN;
  if (l->kind == LABEL_NONE) return VIRAL_OK;
  int rc = read_field(p, s, rec, l->field, err);
  if (rc <= 0) return rc;
  *x = s->values[l->field].num;
  if (l->kind == LABEL_RATIO) {
    if ((rc = read_field(p, s, rec, l->field2, err)) <= 0) {
      *x = NAN;
      return rc;
    }
    double den = s->values[l->field2].num;
    *x = den == 0 ? NAN : *x / den; /* no defined growth from nothing */
  }
  return VIRAL_OK;
}

static double apply_label(const label_rule *l, double x) {
  if (isnan(x)) return NAN;
  switch (l->kind) {
  case LABEL_BOOL: return x != 0;
  case LABEL_TOP: return x >= l->threshold;
  case LABEL_CMP: case LABEL_RATIO: return compare(x, l->op, l->threshold);
  default: return NAN;
  }
}

/* ---- rows ---- */

static int run_row(const viral_pipeline *p, const viral_record *rec, emitter *e, viral_error *err) {
  viral_pipeline_scratch *s = e->s;
  if (pipeline_bind(p, s, rec) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t i = 0; i < p->nfields; i++) s->values[i].state = 0;
  int rc = VIRAL_OK;
  for (size_t i = 0; i < p->nfeatures && rc == VIRAL_OK; i++) {
    const feature_def *f = &p->features[i];
    rc = f->kind >= T_HASH ? run_hashed(p, rec, f, e, err) : run_dense(p, rec, f, e, err);
  }
  if (rc == VIRAL_ERR_NOMEM && (!err || err->code != VIRAL_ERR_NOMEM))
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return rc;
}

static int check_ready(const viral_pipeline *p, viral_error *err) {
  if (p->fitting)
    return viral_error_set(err, VIRAL_ERR_INVALID, p->source, 0, "pipeline is being fitted");
  if (viral_pipeline_needs_fit(p) && !p->fitted)
    return viral_error_set(err, VIRAL_ERR_INVALID, p->source, 0,
                           "pipeline needs fitting on training rows first (scaling or a "
                           "quantile label)");
  return VIRAL_OK;
}

/* The row's coordinates through e, then its label when asked. */
static int transform_row(const viral_pipeline *p, const viral_record *rec, emitter *e, double *label,
                         viral_error *err) {
  int rc = check_ready(p, err);
  if (rc) return rc;
  if (e->out) viral_sparse_clear(e->out);
  int profiling = e->mode == EMIT_VECTOR && e->mp && e->mp->profiling;
  if (profiling) profile_row_begin(e->mp);
  if ((rc = run_row(p, rec, e, err))) {
    if (profiling) (void)profile_row_fail(e->mp, e->s); /* the row's error is the one to tell */
    return rc;
  }
  if (e->out) viral_sparse_finish(e->out);
  if (profiling && profile_row_end(e->mp, e->s) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (label) {
    double x;
    if ((rc = label_value(p, e->s, rec, &x, err)) < 0) return rc;
    *label = apply_label(&p->label, x);
  }
  return VIRAL_OK;
}

int viral_pipeline_transform(viral_pipeline *p, const viral_record *rec, viral_sparse *out,
                             double *label, viral_error *err) {
  emitter e = {EMIT_VECTOR, out, NULL, NULL, &p->own, p, p->collecting_names || p->profiling,
               NULL, 0, NULL};
  return transform_row(p, rec, &e, label, err);
}

int viral_pipeline_transform_with(const viral_pipeline *p, viral_pipeline_scratch *s,
                                  const viral_record *rec, viral_sparse *out, double *label,
                                  viral_error *err) {
  emitter e = {EMIT_VECTOR, out, NULL, NULL, s, NULL, 0, NULL, 0, NULL};
  return transform_row(p, rec, &e, label, err);
}

int viral_pipeline_transform_named(viral_pipeline *p, const viral_record *rec,
                                   viral_feature_sink sink, void *ctx, double *label,
                                   viral_error *err) {
  return viral_pipeline_transform_named_with(p, &p->own, rec, sink, ctx, label, err);
}

int viral_pipeline_transform_named_with(const viral_pipeline *p, viral_pipeline_scratch *s,
                                        const viral_record *rec, viral_feature_sink sink,
                                        void *ctx, double *label, viral_error *err) {
  emitter e = {EMIT_NAMED, NULL, sink, ctx, s, NULL, 0, NULL, 0, NULL};
  return transform_row(p, rec, &e, label, err);
}

int viral_pipeline_describe_with(const viral_pipeline *p, viral_pipeline_scratch *s,
                                 const viral_record *rec, const uint32_t *index, size_t n,
                                 viral_feature_input *out, viral_error *err) {
  for (size_t i = 0; i < n; i++) out[i].name[0] = '\0';
  emitter e = {EMIT_DESCRIBE, NULL, NULL, NULL, s, NULL, 0, index, n, out};
  int rc = transform_row(p, rec, &e, NULL, err);
  for (size_t i = 0; rc == VIRAL_OK && i < n; i++)
    if (!out[i].name[0]) profile_describe_index(p, index[i], &out[i]);
  return rc;
}

/* ---- naming hashed features while transforming (the online path) ---- */

int viral_pipeline_collect_names(viral_pipeline *p, int on, viral_error *err) {
  if (on) {
    /* note_name's slots point into names[], which sorting reordered */
    pipeline_drop_name_slots(p);
    size_t n = p->nnames;
    p->nnames = 0;
    for (size_t i = 0; i < n; i++) {
      name_entry kept = p->names[i];
      int rc = note_name(p, kept.index, kept.group, kept.name);
      free(kept.group);
      free(kept.name);
      if (rc) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      p->names[p->nnames - 1].collided = kept.collided;
      p->names[p->nnames - 1].count = kept.count; /* an update keeps training's counts */
    }
    p->collecting_names = 1;
    return VIRAL_OK;
  }
  p->collecting_names = 0;
  return pipeline_sort_names(p, err);
}

/* ---- single fields, through the spec's mapping ---- */

static int find_field(viral_pipeline *p, const char *name) {
  for (int k = 0; k < 2; k++)
    if (p->found[k].name[0] && p->found[k].nfields == p->nfields && strcmp(p->found[k].name, name) == 0)
      return p->found[k].index;
  int index = -1;
  for (size_t i = 0; i < p->nfields && index < 0; i++)
    if (strcmp(p->fields[i].name, name) == 0) index = (int)i;
  if (name[0] && strlen(name) < sizeof p->found[0].name) {
    memcpy(p->found[p->found_next].name, name, strlen(name) + 1);
    p->found[p->found_next].index = index;
    p->found[p->found_next].nfields = p->nfields;
    p->found_next ^= 1;
  }
  return index;
}

/* Field i of rec read afresh into p's own scratch: 1 present, 0 missing,
 * or a negative status. */
static int read_single(viral_pipeline *p, const viral_record *rec, int i, viral_error *err) {
  if (pipeline_bind(p, &p->own, rec) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  p->own.values[i].state = 0; /* the row cache may hold another record's value */
  return read_field(p, &p->own, rec, i, err);
}

int viral_pipeline_field_text(viral_pipeline *p, const viral_record *rec, const char *name,
                              viral_strview *out, viral_error *err) {
  int i = find_field(p, name);
  if (i < 0) {
    long col = viral_record_find(rec, name);
    return col < 0 ? VIRAL_MISSING : viral_record_text(rec, (size_t)col, out, err);
  }
  int rc = read_single(p, rec, i, err);
  if (rc < 0) return rc;
  if (rc == 0) return VIRAL_MISSING;
  if (rule_is_numeric_(p->fields[i].rule) || p->fields[i].rule == PARSE_LIST)
    return viral_record_text(rec, (size_t)p->own.cols[i], out, err);
  *out = p->own.values[i].text;
  return VIRAL_OK;
}

int viral_pipeline_field_timestamp(viral_pipeline *p, const viral_record *rec, const char *name,
                                   double *out, viral_error *err) {
  int i = find_field(p, name);
  if (i < 0) {
    long col = viral_record_find(rec, name);
    return col < 0 ? VIRAL_MISSING : viral_record_timestamp(rec, (size_t)col, 0, out, err);
  }
  if (p->fields[i].rule != PARSE_TIMESTAMP && p->fields[i].rule != PARSE_NUMBER)
    return viral_error_set(err, VIRAL_ERR_INVALID, p->source, 0, "field '%s' is not a timestamp", name);
  int rc = read_single(p, rec, i, err);
  if (rc < 0) return rc;
  if (rc == 0) return VIRAL_MISSING;
  *out = p->own.values[i].num;
  return VIRAL_OK;
}

/* ---- fitting ---- */

int viral_pipeline_fit_begin(viral_pipeline *p, viral_error *err) {
  (void)err;
  for (uint32_t i = 0; i < p->ncols; i++) {
    dense_col *c = &p->cols[i];
    c->n = c->mean = c->m2 = c->min = c->max = 0;
  }
  p->label.nvalues = 0;
  pipeline_forget_names(p);
  p->fitting = 1;
  p->fitted = 0;
  return VIRAL_OK;
}

int viral_pipeline_fit_record(viral_pipeline *p, const viral_record *rec, viral_error *err) {
  if (!p->fitting)
    return viral_error_set(err, VIRAL_ERR_INVALID, p->source, 0, "fit_record before fit_begin");
  emitter e = {EMIT_FIT, NULL, NULL, NULL, &p->own, p, 0, NULL, 0, NULL};
  int rc = run_row(p, rec, &e, err);
  if (rc) return rc;
  if (p->label.kind != LABEL_TOP) return VIRAL_OK;
  double x;
  if ((rc = label_value(p, &p->own, rec, &x, err)) < 0) return rc;
  if (isnan(x)) return VIRAL_OK;
  label_rule *l = &p->label;
  if (l->nvalues == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 1024;
    double *grown = realloc(l->values, cap * sizeof *grown);
    if (!grown) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    l->values = grown;
    l->cap = cap;
  }
  l->values[l->nvalues++] = x;
  return VIRAL_OK;
}

static int descending(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

int viral_pipeline_fit_end(viral_pipeline *p, viral_error *err) {
  if (!p->fitting)
    return viral_error_set(err, VIRAL_ERR_INVALID, p->source, 0, "fit_end before fit_begin");
  label_rule *l = &p->label;
  if (l->kind == LABEL_TOP) {
    if (l->nvalues == 0)
      return viral_error_set(err, VIRAL_ERR_MISSING, p->source, 0,
                             "label rule '%s': no training row has a value", l->text);
    /* The k-th largest value, k = ceil(n * P / 100): the top P% of rows
     * (more on ties) are positive. */
    qsort(l->values, l->nvalues, sizeof *l->values, descending);
    double k = ceil((double)l->nvalues * l->top_percent / 100.0 - 1e-9);
    size_t ki = k < 1 ? 1 : (size_t)k;
    l->threshold = l->values[ki - 1];
    free(l->values);
    l->values = NULL;
    l->nvalues = l->cap = 0;
  }
  for (uint32_t i = 0; i < p->ncols; i++) {
    dense_col *c = &p->cols[i];
    c->a = 0;
    c->b = 1;
    if (!c->scaled || c->n == 0) continue;
    if (p->scaling == SCALING_STANDARD) {
      c->a = c->mean;
      c->b = sqrt(c->m2 / c->n);
    } else {
      c->a = c->min;
      c->b = c->max - c->min;
    }
    if (!(c->b > 0) || !isfinite(c->b)) c->b = 1; /* a constant column stays centred */
  }
  p->fitting = 0;
  p->fitted = 1;
  return pipeline_sort_names(p, err);
}
