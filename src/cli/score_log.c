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
#include <math.h>
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

/* Feed every line of in to s. Returns an exit code. */
static int feed_all(viral_stream *s, FILE *in, const score_log_options *o) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long no = 0;
  int rc = CLI_EXIT_OK;
  viral_error err;
  while (rc == CLI_EXIT_OK && (n = getline(&line, &cap, in)) >= 0) {
    no++;
    if (n && line[n - 1] == '\n') n--;
    if (n == 0 || viral_stream_feed(s, line, (size_t)n, no, &err) == VIRAL_OK) continue;
    int fatal = !o->skip_bad_rows || viral_stream_failed(s) || err.code == VIRAL_ERR_IO || err.code == VIRAL_ERR_NOMEM;
    if (fatal) rc = cli_data_error("score", &err);
    else if (!o->quiet) fprintf(stderr, "viral score: %s (skipped)\n", err.message);
  }
  free(line);
  return rc;
}

int score_log(viral_model **m, const char *path, const score_log_options *o, FILE *out) {
  log_out lo = {out, o->jsonl, o->quiet, o->html != NULL, NULL, 0, 0};
  viral_stream_options so;
  stream_options(*m, o, &lo, &so);
  int from_stdin = strcmp(path, "-") == 0;
  so.source = from_stdin ? "stdin" : path;
  FILE *in = from_stdin ? stdin : fopen(path, "r");
  if (!in) {
    fprintf(stderr, "viral score: %s: %s\n", path, strerror(errno));
    viral_model_free(*m);
    *m = NULL;
    return CLI_EXIT_DATA;
  }
  viral_error err;
  viral_stream *s = viral_stream_open(*m, &so, &err); /* takes the model over */
  *m = NULL;
  if (!s) {
    if (!from_stdin) fclose(in);
    return cli_data_error("score", &err);
  }
  if (!o->jsonl) fputs("video_id,age_h,probability,viral\n", out);
  int rc = feed_all(s, in, o);
  if (rc == CLI_EXIT_OK && ferror(in)) {
    fprintf(stderr, "viral score: %s: cannot read: %s\n", so.source, strerror(errno));
    rc = CLI_EXIT_DATA;
  }
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  if (rc == CLI_EXIT_OK && st.bad && !o->quiet)
    fprintf(stderr, "viral score: %llu bad rows skipped\n", (unsigned long long)st.bad);
  viral_stream_free(s);
  if (!from_stdin) fclose(in);
  if (rc == CLI_EXIT_OK && o->html) rc = write_page(&lo, o->html, so.source);
  drop_points(&lo);
  return rc;
}
