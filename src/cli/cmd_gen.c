/* cmd_gen.c - `viral gen`: write a synthetic dataset from the documented
 * generative model (viral/gen.h, datasets/README.md). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "age.h"
#include "cli.h"
#include "viral/gen.h"
#include "viral/record.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"videos", 'n', "N", "number of videos (default 10000)"},
    {"seed", 0, "N", "random seed (default 1); same seed, same bytes"},
    {"hours", 0, "LIST", "snapshot ages in whole hours (default 1,2,3,6)"},
    {"horizon", 0, "AGE", "age of views_final, e.g. 7d or 168h; a bare number is hours (default 7d)"},
    {"oracle", 0, "N", "add oracle_p from N continuations per video at the window"},
    {"window", 0, "AGE", "oracle observation window, e.g. 6h (default: the last snapshot hour)"},
    {"log", 0, NULL, "write the raw snapshot log at irregular times instead of records"},
    {"to", 0, "FMT", "output format: csv (default) or jsonl"},
    {"viral-views", 0, "N", "label rule: viral when views_final >= N (default 1000000)"},
    {"bought-share", 0, "F", "expected share of videos with bought engagement (default 0.05)"},
    {"start", 0, "TIME", "first posting day, ISO-8601 UTC (default 2026-03-01T00:00:00Z)"},
    {"days", 0, "N", "posting times span N days from --start (default 30)"},
    {"output", 'o', "FILE", "write to FILE (atomically) instead of stdout"},
    {"quiet", 'q', NULL, "no progress line on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_gen_spec = {
    "gen",
    "[options]",
    "write a synthetic dataset from a documented generative model",
    "Simulates creators, videos and a recommendation feed that promotes videos\n"
    "through traffic pools, with a share of videos that bought fake engagement.\n"
    "Writes one record per video (attributes, cumulative counters at each snapshot\n"
    "hour, views_final at the horizon, viral, hidden_bought, and with --oracle the\n"
    "oracle_p), or with --log the snapshot log sorted by observed_at. hidden_bought\n"
    "is the hidden truth, for analysis only: models must not use it.\n"
    "The model and every parameter: datasets/README.md.\n\n"
    "example:\n"
    "  viral gen -n 1000 --seed 7 -o sample.csv\n"
    "  viral gen --log --to jsonl -n 300 --days 3 -o log.jsonl",
    options,
    0,
    0,
};

/* "168", "168h", "7d", "1.5h": hours, more than 0, in the one duration
 * syntax (cli_parse_hours). */
static int parse_hours(const char *s, double *out) {
  double x = cli_parse_hours(s, strlen(s));
  if (!(x > 0)) return -1;
  *out = x;
  return 0;
}

static int parse_hour_list(const char *s, viral_gen_params *p) {
  p->hour_count = 0;
  const char *c = s;
  for (;;) {
    char *end = NULL;
    errno = 0;
    long h = strtol(c, &end, 10);
    if (end == c || errno == ERANGE || h <= 0 || h > 24 * 365) return -1;
    if (p->hour_count == VIRAL_GEN_MAX_SNAPSHOTS) return -1;
    p->hours[p->hour_count++] = (int)h;
    if (*end == '\0') return 0;
    if (*end != ',') return -1;
    c = end + 1;
  }
}

/* "YYYY-MM-DD" with an optional "THH:MM[:SS]" and zone, through the
 * library's one validated timestamp parser (2026-02-31 is refused); whole
 * seconds. */
static int parse_start(const char *s, int64_t *out) {
  double t;
  if (strlen(s) < 10 || s[4] != '-' || viral_parse_timestamp(s, strlen(s), 0, &t) != VIRAL_OK || t != floor(t)) return -1;
  *out = (int64_t)t;
  return 0;
}

static int read_params(const cli_args *args, viral_gen_params *p, viral_gen_format *format) {
  long n;
  double x;
  int rc;
  viral_gen_params_init(p);
  if ((rc = cli_get_long(args, "videos", 10000, &n)) != CLI_CONTINUE) return rc;
  if (n < 1) return cli_usage_error("gen", "--videos must be at least 1");
  p->videos = (uint64_t)n;
  if ((rc = cli_get_long(args, "seed", 1, &n)) != CLI_CONTINUE) return rc;
  p->seed = (uint64_t)n;
  const char *v;
  if ((v = cli_get(args, "hours")) && parse_hour_list(v, p) != 0)
    return cli_usage_error("gen", "--hours needs increasing whole hours like 1,2,3,6, not '%s'", v);
  if ((v = cli_get(args, "horizon")) && parse_hours(v, &p->horizon_h) != 0)
    return cli_usage_error("gen", "--horizon needs a duration like 7d or 168h, not '%s'", v);
  if ((v = cli_get(args, "window")) && parse_hours(v, &p->window_h) != 0)
    return cli_usage_error("gen", "--window needs a positive age such as 6h, not '%s'", v);
  if ((rc = cli_get_long(args, "oracle", 0, &n)) != CLI_CONTINUE) return rc;
  if (n < 0 || n > 1000000) return cli_usage_error("gen", "--oracle must be between 0 and 1000000");
  p->oracle = (int)n;
  p->log = cli_flag(args, "log");
  if ((rc = cli_get_long(args, "viral-views", 1000000, &n)) != CLI_CONTINUE) return rc;
  if (n < 1) return cli_usage_error("gen", "--viral-views must be at least 1");
  p->viral_views = (uint64_t)n;
  if ((rc = cli_get_double(args, "bought-share", 0.05, &x)) != CLI_CONTINUE) return rc;
  p->bought_share = x;
  if ((v = cli_get(args, "start")) && parse_start(v, &p->start) != 0)
    return cli_usage_error("gen", "--start needs an ISO-8601 UTC time like 2026-03-01T00:00:00Z, not '%s'", v);
  if ((rc = cli_get_long(args, "days", 30, &n)) != CLI_CONTINUE) return rc;
  if (n < 1 || n > 3650) return cli_usage_error("gen", "--days must be between 1 and 3650");
  p->days = (int)n;
  *format = VIRAL_GEN_CSV;
  if ((v = cli_get(args, "to"))) {
    if (strcmp(v, "jsonl") == 0) *format = VIRAL_GEN_JSONL;
    else if (strcmp(v, "csv") != 0)
      return cli_usage_error("gen", "--to must be csv or jsonl, not '%s'", v);
  }
  viral_error err = {0};
  if (viral_gen_params_check(p, &err) != VIRAL_OK) return cli_usage_error("gen", "%s", err.message);
  return CLI_CONTINUE;
}

int cmd_gen(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_gen_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  viral_gen_params p;
  viral_gen_format format = VIRAL_GEN_CSV;
  if ((rc = read_params(&args, &p, &format)) != CLI_CONTINUE) return rc;

  viral_error err = {0};
  viral_gen *gen = viral_gen_create(&p, &err);
  if (!gen) return cli_data_error("gen", &err);
  const char *path = cli_get(&args, "output") ? cli_get(&args, "output") : "-";
  viral_atomic_file *file = viral_atomic_open(path, &err);
  if (!file) {
    viral_gen_free(gen);
    return cli_data_error("gen", &err);
  }
  FILE *out = viral_atomic_stream(file);
  int progress = !cli_flag(&args, "quiet") && isatty(STDERR_FILENO);
  viral_gen_video *video = malloc(sizeof *video);
  if (!video) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    goto fail;
  }
  viral_gen_write_header(out, &p, format);
  uint64_t rows = 0;
  while ((rc = viral_gen_next(gen, video, &err)) == 1) {
    viral_gen_write_video(out, &p, format, video);
    if (progress && ++rows % 100000 == 0)
      fprintf(stderr, "\rviral gen: %llu %s", (unsigned long long)rows,
              p.log ? "observations" : "videos");
  }
  if (progress && rows >= 100000) fputc('\n', stderr);
  if (rc < 0) goto fail;
  free(video);
  viral_gen_free(gen);
  if (viral_atomic_commit(file, &err) != VIRAL_OK) return cli_data_error("gen", &err);
  return CLI_EXIT_OK;
fail:
  free(video);
  viral_gen_free(gen);
  viral_atomic_abort(file);
  return cli_data_error("gen", &err);
}
