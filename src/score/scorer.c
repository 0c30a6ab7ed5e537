/* scorer.c - a scorer shared by threads whose model can be replaced while
 * it serves (viral/score.h).
 *
 * The model lives in a generation, counted: the scorer holds one reference
 * to the current generation and each lease one more. A reload makes a new
 * generation current and drops the scorer's reference to the old one,
 * which is freed with its last lease. A lease carries what one request
 * writes: a copy of the model's pipeline (the row source tallies the
 * input's fields in it), the model's scratch and the reasons; leases given
 * back are kept in their generation for the next request. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io/text.h"
#include "viral/score.h"

typedef struct generation {
  viral_model *model;
  char *inspect_json;     /* `viral inspect --json` of the model */
  uint64_t number;
  unsigned refs;          /* the scorer's while current, and one per lease */
  viral_scorer_lease *idle; /* leases given back, to reuse */
} generation;

struct viral_scorer_lease {
  viral_scorer *s;
  generation *g;
  viral_pipeline *p;      /* the model's pipeline, this lease's copy */
  viral_model_scratch *scratch;
  viral_reason reasons[VIRAL_SCORE_MAX_EXPLAIN];
  viral_scorer_lease *next; /* in g->idle */
};

struct viral_scorer {
  pthread_mutex_t lock;   /* current, every generation's refs and idle */
  generation *current;
  char *path;
  viral_scorer_options o;
};

void viral_scorer_options_init(viral_scorer_options *o) {
  memset(o, 0, sizeof *o);
  o->threshold = -1;
  o->inspect_top = 10;
}

static int no_memory(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

/* ---- generations ---- */

static void lease_free(viral_scorer_lease *l) {
  if (!l) return;
  viral_pipeline_free(l->p);
  viral_model_scratch_free(l->scratch);
  free(l);
}

static void generation_free(generation *g) {
  if (!g) return;
  while (g->idle) {
    viral_scorer_lease *l = g->idle;
    g->idle = l->next;
    lease_free(l);
  }
  viral_model_free(g->model);
  free(g->inspect_json);
  free(g);
}

/* The model at s's path, loaded, checked and set up as s's options say, in
 * a new generation (not yet current). NULL with err set. */
static generation *generation_load(const viral_scorer *s, uint64_t number, viral_error *err) {
  generation *g = calloc(1, sizeof *g);
  if (!g) {
    no_memory(err);
    return NULL;
  }
  g->number = number;
  g->refs = 1;
  if (!(g->model = viral_model_load(s->path, err))) goto fail;
  if (s->o.threshold >= 0) viral_model_set_threshold(g->model, s->o.threshold);
  viral_pipeline_set_allow_missing(viral_model_pipeline_mut(g->model), s->o.allow_missing);
  if (!(g->inspect_json = viral_model_inspect_json(g->model, s->path, s->o.inspect_top, err))) goto fail;
  return g;
fail:
  generation_free(g);
  return NULL;
}

/* Drop one reference to g; call with s->lock held. Returns g when it is
 * to be freed (by the caller, after unlocking), else NULL. */
static generation *generation_unref(generation *g) {
  return --g->refs == 0 ? g : NULL;
}

/* ---- the scorer ---- */

viral_scorer *viral_scorer_create(const char *path, const viral_scorer_options *o, viral_error *err) {
  viral_scorer *s = calloc(1, sizeof *s);
  if (!s || !(s->path = text_dup(path))) {
    free(s);
    no_memory(err);
    return NULL;
  }
  if (o) s->o = *o;
  else viral_scorer_options_init(&s->o);
  if (!(s->current = generation_load(s, 1, err))) {
    free(s->path);
    free(s);
    return NULL;
  }
  pthread_mutex_init(&s->lock, NULL);
  return s;
}

void viral_scorer_free(viral_scorer *s) {
  if (!s) return;
  generation_free(s->current);
  pthread_mutex_destroy(&s->lock);
  free(s->path);
  free(s);
}

int viral_scorer_reload(viral_scorer *s, viral_error *err) {
  generation *g = generation_load(s, viral_scorer_generation(s) + 1, err);
  if (!g) return err && err->code ? err->code : VIRAL_ERR_INVALID;
  pthread_mutex_lock(&s->lock);
  generation *old = generation_unref(s->current);
  s->current = g;
  pthread_mutex_unlock(&s->lock);
  generation_free(old);
  return VIRAL_OK;
}

uint64_t viral_scorer_generation(viral_scorer *s) {
  pthread_mutex_lock(&s->lock);
  uint64_t n = s->current->number;
  pthread_mutex_unlock(&s->lock);
  return n;
}

char *viral_scorer_model_json(viral_scorer *s, uint64_t *generation_out) {
  pthread_mutex_lock(&s->lock);
  char *text = text_dup(s->current->inspect_json);
  if (generation_out) *generation_out = s->current->number;
  pthread_mutex_unlock(&s->lock);
  return text;
}

/* ---- leases ---- */

/* A new lease of g: its own copy of g's pipeline and a scratch. */
static viral_scorer_lease *lease_create(viral_scorer *s, generation *g, viral_error *err) {
  viral_scorer_lease *l = calloc(1, sizeof *l);
  if (l) {
    l->s = s;
    l->g = g;
    l->scratch = viral_model_scratch_create();
    l->p = viral_pipeline_copy(viral_model_pipeline(g->model), err);
  }
  if (!l || !l->scratch || !l->p) {
    lease_free(l);
    no_memory(err);
    return NULL;
  }
  return l;
}

viral_scorer_lease *viral_scorer_acquire(viral_scorer *s, viral_error *err) {
  pthread_mutex_lock(&s->lock);
  generation *g = s->current;
  g->refs++;
  viral_scorer_lease *l = g->idle;
  if (l) g->idle = l->next;
  pthread_mutex_unlock(&s->lock);
  if (l) return l;
  /* made outside the lock: copying a pipeline takes a while */
  if ((l = lease_create(s, g, err))) return l;
  pthread_mutex_lock(&s->lock);
  generation *dead = generation_unref(g);
  pthread_mutex_unlock(&s->lock);
  generation_free(dead);
  return NULL;
}

void viral_scorer_release(viral_scorer_lease *l) {
  if (!l) return;
  viral_scorer *s = l->s;
  pthread_mutex_lock(&s->lock);
  generation *g = l->g;
  l->next = g->idle;
  g->idle = l;
  generation *dead = generation_unref(g);
  pthread_mutex_unlock(&s->lock);
  generation_free(dead);
}

/* ---- scoring ---- */

void viral_score_result_release(viral_score_result *res) {
  if (!res) return;
  free(res->text);
  res->text = NULL;
  res->len = 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* 1 when a JSON request is objects (one, or several one after another),
 * 0 when it is an array of them, at the top or at the spec's JSON path. */
static int json_objects(const viral_score_request *req, const viral_reader_options *ro) {
  if (ro->json_path) return 0;
  size_t i = 0;
  while (i < req->len && is_blank(req->data[i])) i++;
  return i < req->len && req->data[i] == '{';
}

/* 1 when the failure err of a pass that read `records` records was the
 * reader's: the bytes are not valid in their format. A plain reader over
 * the same bytes then fails the same way after the same records; a row
 * the pipeline refused leaves the reader reading. */
static int reader_failed(const viral_score_request *req, const viral_reader_options *ro, uint64_t records,
                         const viral_error *err) {
  viral_error again;
  viral_error_clear(&again);
  viral_reader *r = viral_reader_open_memory(req->name, req->data, req->len, ro, &again);
  uint64_t read = 0;
  int rc = r ? 1 : again.code;
  const viral_record *rec;
  while (r && read <= records && (rc = viral_reader_next(r, &rec, &again)) == 1) read++;
  viral_reader_free(r);
  return rc < 0 && read == records && rc == err->code && strcmp(again.message, err->message) == 0;
}

/* Score the rows of rows into out in req's output format. A JSON request
 * that is objects, not an array, is answered with one object a line: one
 * object for one, JSON Lines (res->format) for several one after another. */
static int score_rows(viral_scorer_lease *l, viral_rows *rows, const viral_score_request *req, int objects,
                      viral_score_result *res, FILE *out, viral_error *err) {
  const viral_model *m = l->g->model;
  int array = req->format == VIRAL_FORMAT_JSON && !objects;
  viral_prediction pred;
  viral_scored_row row;
  int rc;
  if (req->format == VIRAL_FORMAT_CSV) viral_score_write_csv_header(out, req->explain);
  if (array) fputc('[', out);
  while ((rc = viral_score_next_row(m, l->scratch, rows, req->explain, &pred, l->reasons, &row, err)) == 1) {
    if (req->format == VIRAL_FORMAT_CSV) {
      viral_score_write_csv_row(out, &row);
    } else {
      if (array && res->rows) fputc(',', out);
      viral_score_write_json_row(out, &row);
      if (!array) fputc('\n', out);
    }
    res->rows++;
  }
  if (array) fputs("]\n", out);
  if (req->format == VIRAL_FORMAT_JSON && objects && res->rows > 1) res->format = VIRAL_FORMAT_JSONL;
  return rc;
}

int viral_scorer_lease_score(viral_scorer_lease *l, const viral_score_request *req, viral_score_result *res,
                             viral_error *err) {
  viral_error local;
  if (!err) err = &local;
  viral_error_clear(err);
  memset(res, 0, sizeof *res);
  res->format = req->format;
  res->generation = l->g->number;
  if (req->format == VIRAL_FORMAT_AUTO)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a request's format must be csv, jsonl or json");
  if (req->explain > VIRAL_SCORE_MAX_EXPLAIN)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "explain must be from 0 to %d", VIRAL_SCORE_MAX_EXPLAIN);
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_pipeline_reader_options(l->p, &ro);
  ro.format = req->format;
  if (req->format != VIRAL_FORMAT_JSON) ro.json_path = NULL;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_NO_LABEL;
  o.ids = VIRAL_ROWS_ID_REQUIRED;
  o.check_after = l->s->o.check_after;
  viral_rows *rows = viral_rows_open_memory(l->p, req->name, req->data, req->len, &ro, &o, err);
  if (!rows) {
    res->unreadable = err->code != VIRAL_ERR_NOMEM;
    return err->code ? err->code : VIRAL_ERR_NOMEM;
  }
  FILE *out = open_memstream(&res->text, &res->len);
  int rc = out ? score_rows(l, rows, req, json_objects(req, &ro), res, out, err) : no_memory(err);
  if (out && fclose(out) != 0 && rc == VIRAL_OK) rc = no_memory(err);
  viral_rows_counts counts;
  viral_rows_get_counts(rows, &counts);
  viral_rows_free(rows);
  if (rc == VIRAL_OK) {
    viral_pipeline_tally_warning(l->p, res->warning, sizeof res->warning);
    return VIRAL_OK;
  }
  viral_score_result_release(res);
  res->unreadable = rc != VIRAL_ERR_NOMEM && reader_failed(req, &ro, counts.records, err);
  return rc;
}

int viral_scorer_score(viral_scorer *s, const viral_score_request *req, viral_score_result *res,
                       viral_error *err) {
  viral_scorer_lease *l = viral_scorer_acquire(s, err);
  if (!l) {
    memset(res, 0, sizeof *res);
    return err && err->code ? err->code : VIRAL_ERR_NOMEM;
  }
  int rc = viral_scorer_lease_score(l, req, res, err);
  viral_scorer_release(l);
  return rc;
}
