/* score_log.c - `viral score --log`: each video's probability as it grows.
 *
 * The log's lines go through the stream's engine (viral/stream.h) in its
 * scoring-only mode, so a video's record at an age is assembled exactly as
 * `viral stream --score-at` assembles it, and a log the stream would refuse
 * (a bad event, a sighting before posting, a row back in time) is refused
 * here with its FILE:LINE. */
#define _POSIX_C_SOURCE 200809L
#include "score_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "viral/report.h"
#include "viral/stream.h"
#include "viral/writer.h"

typedef struct log_out {
  FILE *out;
  int jsonl;
  int quiet;
  int keep;                       /* keep the points for the HTML page */
  viral_trajectory_point *points; /* [n] (their ids are copies) */
  size_t n, cap;
} log_out;

/* Keep sc for the page; -1 (ENOMEM) when out of memory. */
static int keep_point(log_out *o, const viral_stream_score *sc) {
  if (o->n == o->cap) {
    size_t cap = o->cap ? 2 * o->cap : 256;
    viral_trajectory_point *p = realloc(o->points, cap * sizeof *p);
    if (!p) return -1;
    o->points = p;
    o->cap = cap;
  }
  char *id = strdup(sc->video_id);
  if (!id) return -1;
  o->points[o->n++] = (viral_trajectory_point){id, sc->age_h, sc->prediction.probability};
  return 0;
}

static void drop_points(log_out *o) {
  for (size_t i = 0; i < o->n; i++) free((char *)o->points[i].video_id);
  free(o->points);
}

/* The page of the kept points, written atomically. Returns an exit code. */
static int write_page(const log_out *o, const char *path, const char *source) {
  viral_error err;
  char line[600];
  snprintf(line, sizeof line, "viral score --log %s: %zu scores.", source, o->n);
  viral_atomic_file *af = viral_atomic_open(path, &err);
  if (!af) return cli_data_error("score", &err);
  if (viral_report_write_trajectories_html(o->points, o->n, 8, line, viral_atomic_stream(af), &err) != VIRAL_OK) {
    viral_atomic_abort(af);
    return cli_data_error("score", &err);
  }
  return viral_atomic_commit(af, &err) == VIRAL_OK ? CLI_EXIT_OK : cli_data_error("score", &err);
}

/* One row: video_id, age_h, probability, viral. */
static int write_score(void *ctx, const viral_stream_score *sc) {
  log_out *o = ctx;
  if (o->keep && keep_point(o, sc) != 0) return -1;
  char age[32], p[32];
  viral_format_double(age, sc->age_h);
  viral_format_double(p, sc->prediction.probability);
  if (o->jsonl) {
    fputs("{\"video_id\":", o->out);
    viral_json_write_string(o->out, sc->video_id, strlen(sc->video_id));
    fprintf(o->out, ",\"age_h\":%s,\"probability\":%s,\"viral\":%d}\n", age, p, sc->prediction.label);
  } else {
    viral_csv_write_cell(o->out, sc->video_id, strlen(sc->video_id));
    fprintf(o->out, ",%s,%s,%d\n", age, p, sc->prediction.label);
  }
  return ferror(o->out) ? -1 : 0;
}

static void say_warning(void *ctx, const char *message) {
  const log_out *o = ctx;
  if (!o->quiet) fprintf(stderr, "viral score: %s\n", message);
}

/* The stream's options for scoring the log: the model's window, a horizon
 * past every asked age (a video is held in memory until it). */
static void stream_options(const viral_model *m, const score_log_options *o, log_out *lo,
                           viral_stream_options *so) {
  viral_stream_options_init(so);
  so->no_learning = 1;
  so->refuse_out_of_order = 1;
  so->window_h = viral_pipeline_window_hours(viral_model_pipeline(m));
  double last = o->age_count ? o->ages_h[o->age_count - 1] : so->window_h;
  if (so->horizon_h <= last) so->horizon_h = last + 1;
  so->score_ages_h = o->ages_h;
  so->score_age_count = o->age_count;
  so->score_looks = o->ages_h == NULL;
  so->allow_missing = o->allow_missing;
  so->reasons = 0;
  so->metrics_window = 0;
  so->on_score = write_score;
  so->on_score_ctx = lo;
  so->warn = say_warning;
  so->warn_ctx = lo;
}

/* Feed one event line to s: an exit code, CLI_CONTINUE to go on. */
static int feed_one(viral_stream *s, const char *line, size_t len, long no, const score_log_options *o) {
  viral_error err;
  if (len == 0 || viral_stream_feed(s, line, len, no, &err) == VIRAL_OK) return CLI_CONTINUE;
  if (!o->skip_bad_rows || viral_stream_failed(s) || err.code == VIRAL_ERR_IO || err.code == VIRAL_ERR_NOMEM)
    return cli_data_error("score", &err);
  if (!o->quiet) fprintf(stderr, "viral score: %s (skipped)\n", err.message);
  return CLI_CONTINUE;
}

/* Feed every line of the JSON Lines log in to s. Returns an exit code. */
static int feed_lines(viral_stream *s, FILE *in, const char *name, const score_log_options *o) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long no = 0;
  int rc = CLI_CONTINUE;
  while (rc == CLI_CONTINUE && (n = getline(&line, &cap, in)) >= 0) {
    if (n && line[n - 1] == '\n') n--;
    rc = feed_one(s, line, (size_t)n, ++no, o);
  }
  free(line);
  if (rc == CLI_CONTINUE && ferror(in)) {
    fprintf(stderr, "viral score: %s: cannot read: %s\n", name, strerror(errno));
    return CLI_EXIT_DATA;
  }
  return rc == CLI_CONTINUE ? CLI_EXIT_OK : rc;
}

/* A CSV row as the observe event of its fields: each cell a JSON string,
 * an empty one null, as the stream reads a JSON log (a count or a time
 * given as text reads by its rule as the CSV cell does). Into *f's buffer. */
static void row_event(const viral_record *rec, FILE *f) {
  fputs("{\"event\":\"observe\"", f);
  for (size_t i = 0; i < viral_record_field_count(rec); i++) {
    const char *name = viral_record_field_name(rec, i);
    const viral_value *v = viral_record_value(rec, i);
    if (strcmp(name, "event") == 0) continue;
    fputc(',', f);
    viral_json_write_string(f, name, strlen(name));
    fputc(':', f);
    if (v->kind == VIRAL_VALUE_MISSING) fputs("null", f);
    else viral_json_write_string(f, v->text, v->len);
  }
  fputc('}', f);
}

/* Feed every row of the CSV log at path to s. Returns an exit code. */
static int feed_csv(viral_stream *s, const char *path, const score_log_options *o) {
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.format = VIRAL_FORMAT_CSV;
  viral_error err;
  viral_reader *r = viral_reader_open(path, &ro, &err);
  if (!r) return cli_data_error("score", &err);
  const viral_record *rec;
  int got, rc = CLI_CONTINUE;
  char *line = NULL;
  size_t len = 0;
  while (rc == CLI_CONTINUE && (got = viral_reader_next(r, &rec, &err)) == 1) {
    FILE *f = open_memstream(&line, &len);
    if (!f) break;
    row_event(rec, f);
    if (fclose(f) != 0) break;
    rc = feed_one(s, line, len, viral_record_line(rec), o);
    free(line);
    line = NULL;
  }
  free(line);
  if (rc == CLI_CONTINUE && got < 0) rc = cli_data_error("score", &err);
  if (rc == CLI_CONTINUE && got == 1) {
    fprintf(stderr, "viral score: out of memory\n");
    rc = CLI_EXIT_DATA;
  }
  viral_reader_free(r);
  return rc == CLI_CONTINUE ? CLI_EXIT_OK : rc;
}

/* Feed the log at path (CSV or JSON Lines) to s. Returns an exit code. */
static int feed_log(viral_stream *s, const char *path, const char *name, const score_log_options *o) {
  if (o->csv) return feed_csv(s, path, o);
  FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (!in) {
    fprintf(stderr, "viral score: %s: %s\n", path, strerror(errno));
    return CLI_EXIT_DATA;
  }
  int rc = feed_lines(s, in, name, o);
  if (in != stdin) fclose(in);
  return rc;
}

int score_log(viral_model **m, const char *path, const score_log_options *o, FILE *out) {
  log_out lo = {out, o->jsonl, o->quiet, o->html != NULL, NULL, 0, 0};
  viral_stream_options so;
  stream_options(*m, o, &lo, &so);
  so.source = strcmp(path, "-") == 0 ? "stdin" : path;
  viral_error err;
  viral_stream *s = viral_stream_open(*m, &so, &err); /* takes the model over */
  *m = NULL;
  if (!s) return cli_data_error("score", &err);
  if (!o->jsonl) fputs("video_id,age_h,probability,viral\n", out);
  int rc = feed_log(s, path, so.source, o);
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  if (rc == CLI_EXIT_OK && st.bad && !o->quiet)
    fprintf(stderr, "viral score: %llu bad rows skipped\n", (unsigned long long)st.bad);
  viral_stream_free(s);
  if (rc == CLI_EXIT_OK && o->html) rc = write_page(&lo, o->html, so.source);
  drop_points(&lo);
  return rc;
}
