/* cmd_stream.c - `viral stream`: JSON Lines events in, scores out, learning
 * online in event time with a journal and checkpoints (viral/stream.h).
 *
 *   viral gen --log --format jsonl | viral stream -m models/default.json \
 *     --label 'views_final>=1000000' --state run/
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "cli.h"
#include "viral/stream.h"

static const cli_option options[] = {
    {"model", 'm', "MODEL", "starting model (a logistic model; required unless --state holds a checkpoint)"},
    {"window", 0, "AGE", "score at this age, e.g. 2h (default 2h)"},
    {"horizon", 0, "AGE", "learn at this age, e.g. 7d (default 7d)"},
    {"grace", 0, "AGE", "wait this long past the horizon for a sighting (default 1h)"},
    {"label", 0, "RULE", "label rule on the assembled outcomes, e.g. views_final>=1000000 (default: the model's)"},
    {"at", 0, "AGES", "counters at these ages (default 1h,2h,3h,6h up to the window)"},
    {"counters", 0, "LIST", "cumulative counters NAME=FIELD[:RULE],... (default: the gen log's)"},
    {"attrs", 0, "LIST", "attributes NAME=FIELD[:RULE],... (default: the gen log's)"},
    {"state", 0, "DIR", "journal and checkpoints here; restart from them"},
    {"checkpoint-every", 0, "N|AGE", "checkpoint every N applied events (default 10000; 0: only at exit), "
                                     "or every AGE of event time, e.g. 6h"},
    {"fsync-every", 0, "N", "fsync the journal every N events (default 1; 0: never)"},
    {"metrics-every", 0, "N", "print running metrics every N learned videos (default 10000; 0: never)"},
    {"reasons", 0, "N", "reasons per score (default 3)"},
    {"strict", 0, NULL, "stop at the first malformed or unknown event"},
    {"quiet", 'q', NULL, "no metrics lines"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_stream_spec = {
    "stream",
    "[-m MODEL] [options] [FILE|-]",
    "online learning from a stream of JSON Lines events, checkpointed",
    "Reads events, one JSON object a line, from FILE, a FIFO or stdin:\n"
    "  {\"event\":\"observe\",\"video_id\",\"observed_at\",\"posted_at\",counters,attributes}\n"
    "  {\"event\":\"label\",\"video_id\",\"viral\":0|1}\n"
    "  {\"event\":\"score\",<full record>}\n"
    "and writes one JSON line per score: {\"seq\",\"video_id\",\"probability\",\"viral\",\n"
    "\"reasons\"}. Time is event time (the largest observed_at): a video is scored\n"
    "when a sighting at age >= window arrives and learned from when one at age >=\n"
    "horizon arrives or the clock passes horizon + grace (then scored first if it\n"
    "was not). With --state every event is journalled before it is applied, and a\n"
    "restart loads the last checkpoint and replays the journal; replaying the\n"
    "input from the start skips events already applied (by \"seq\", or by\n"
    "observed_at and video_id). Scores may repeat after a crash: drop duplicates\n"
    "by video_id. SIGTERM/SIGINT: checkpoint and exit 0; SIGUSR1: print metrics.",
    options,
    0,
    1,
};

static volatile sig_atomic_t stop_requested, metrics_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }
static void on_usr1(int sig) { (void)sig; metrics_requested = 1; }

static void emit_line(void *ctx, const char *line) {
  FILE *out = ctx;
  fputs(line, out);
  fputc('\n', out);
  fflush(out);
}

static void print_metrics(viral_stream *s, const char *when) {
  viral_stream_stats st;
  viral_stream_stats_get(s, 1, &st);
  fprintf(stderr,
          "stream: %s: lines %llu applied %llu skipped %llu scored %llu learned %llu unlabeled %llu "
          "late %llu in_flight %llu; last %zu outcomes: auc %.4f log_loss %.4f calibration %+.4f\n",
          when, (unsigned long long)st.lines, (unsigned long long)st.applied,
          (unsigned long long)st.skipped, (unsigned long long)st.scored,
          (unsigned long long)st.learned, (unsigned long long)st.unlabeled,
          (unsigned long long)st.late, (unsigned long long)st.in_flight, st.window_n, st.auc,
          st.log_loss, st.calibration);
}

int cmd_stream(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_stream_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  viral_stream_options o;
  viral_stream_options_init(&o);
  const char *w = cli_get(&args, "window"), *h = cli_get(&args, "horizon"), *g = cli_get(&args, "grace");
  if (w && (o.window_h = cli_parse_hours(w, strlen(w))) < 0) return cli_usage_error("stream", "bad --window '%s'", w);
  if (h && (o.horizon_h = cli_parse_hours(h, strlen(h))) <= 0) return cli_usage_error("stream", "bad --horizon '%s'", h);
  if (g && (o.grace_h = cli_parse_hours(g, strlen(g))) < 0) return cli_usage_error("stream", "bad --grace '%s'", g);
  if (o.horizon_h <= o.window_h) return cli_usage_error("stream", "--horizon must be longer than --window");
  long every = 10000, sync_every = 1, metrics_every = 10000, reasons = 3;
  const char *ce = cli_get(&args, "checkpoint-every");
  if (ce && cli_has_time_unit(ce)) {
    if (!((o.checkpoint_every_h = cli_parse_hours(ce, strlen(ce))) > 0))
      return cli_usage_error("stream", "--checkpoint-every needs a count or an age such as 6h, not '%s'", ce);
    every = 0; /* by event time only */
  } else if ((rc = cli_get_long(&args, "checkpoint-every", 10000, &every)) != CLI_CONTINUE) {
    return rc;
  }
  if ((rc = cli_get_long(&args, "fsync-every", 1, &sync_every)) != CLI_CONTINUE) return rc;
  if ((rc = cli_get_long(&args, "metrics-every", 10000, &metrics_every)) != CLI_CONTINUE) return rc;
  if ((rc = cli_get_long(&args, "reasons", 3, &reasons)) != CLI_CONTINUE) return rc;
  if (every < 0 || sync_every < 0 || metrics_every < 0 || reasons < 0)
    return cli_usage_error("stream", "counts must be 0 or more");
  o.checkpoint_every = (uint64_t)every;
  o.fsync_every = (uint64_t)sync_every;
  o.reasons = (size_t)reasons;
  o.label = cli_get(&args, "label");
  o.state_dir = cli_get(&args, "state");
  o.emit = emit_line;
  o.emit_ctx = stdout;
  int strict = cli_flag(&args, "strict"), quiet = cli_flag(&args, "quiet");

  viral_error err;
  viral_error_clear(&err);
  viral_field_map *counters = NULL, *attrs = NULL;
  double *ages = NULL;
  const char *cl = cli_get(&args, "counters"), *al = cli_get(&args, "attrs"), *at = cli_get(&args, "at");
  if ((cl && viral_field_maps_parse(cl, VIRAL_PARSE_COUNT, &counters, &o.counter_count, &err)) ||
      (al && viral_field_maps_parse(al, VIRAL_PARSE_TEXT, &attrs, &o.attr_count, &err))) {
    viral_field_maps_free(counters, o.counter_count);
    return cli_usage_error("stream", "%s", err.message);
  }
  if (at && cli_parse_hours_list(at, &ages, &o.age_count) != 0) {
    viral_field_maps_free(counters, o.counter_count);
    viral_field_maps_free(attrs, o.attr_count);
    return cli_usage_error("stream", "bad --at '%s'", at);
  }
  o.counters = counters;
  o.attrs = attrs;
  o.ages_h = ages;

  const char *path = args.positional_count ? args.positional[0] : "-";
  o.source = strcmp(path, "-") == 0 ? "stdin" : path;
  const char *model_path = cli_get(&args, "model");
  int exit_code = CLI_EXIT_OK;
  viral_stream *s = NULL;
  FILE *in = NULL;
  viral_model *m = model_path ? viral_model_load(model_path, &err) : NULL;
  if (model_path && !m) {
    exit_code = cli_data_error("stream", &err);
    goto done;
  }
  if (!model_path && !o.state_dir) {
    exit_code = cli_usage_error("stream", "missing -m MODEL (or --state with a checkpoint)");
    goto done;
  }
  if (!(s = viral_stream_open(m, &o, &err))) {
    exit_code = cli_data_error("stream", &err);
    goto done;
  }
  in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (!in) {
    fprintf(stderr, "viral stream: %s: %s\n", path, strerror(errno));
    exit_code = CLI_EXIT_DATA;
    goto done;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop; /* no SA_RESTART: a blocked read returns so we can stop */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);

  char *line = NULL;
  size_t cap = 0;
  long no = 0;
  uint64_t errors = 0, learned_mark = 0;
  while (!stop_requested) {
    errno = 0;
    ssize_t n = getline(&line, &cap, in);
    if (n < 0) {
      if (errno == EINTR && !feof(in)) {
        clearerr(in);
        if (metrics_requested) metrics_requested = 0, print_metrics(s, "now");
        continue;
      }
      break;
    }
    no++;
    if (n && line[n - 1] == '\n') line[--n] = '\0';
    if (n == 0) continue;
    if (viral_stream_feed(s, line, (size_t)n, no, &err) != VIRAL_OK) {
      errors++;
      fprintf(stderr, "viral stream: %s\n", err.message);
      if (strict || err.code == VIRAL_ERR_IO || err.code == VIRAL_ERR_NOMEM) {
        exit_code = CLI_EXIT_DATA;
        break;
      }
    }
    if (metrics_requested) metrics_requested = 0, print_metrics(s, "now");
    viral_stream_stats st;
    viral_stream_stats_get(s, 0, &st);
    if (!quiet && metrics_every && st.learned >= learned_mark + (uint64_t)metrics_every) {
      learned_mark = st.learned;
      print_metrics(s, "progress");
    }
  }
  free(line);
  if (exit_code == CLI_EXIT_OK && viral_stream_checkpoint(s, &err) != VIRAL_OK)
    exit_code = cli_data_error("stream", &err);
  if (!quiet) print_metrics(s, stop_requested ? "stopped" : "end");
  if (errors) fprintf(stderr, "viral stream: %llu bad events\n", (unsigned long long)errors);
done:
  if (in && in != stdin) fclose(in);
  viral_stream_free(s);
  viral_field_maps_free(counters, o.counter_count);
  viral_field_maps_free(attrs, o.attr_count);
  free(ages);
  return exit_code;
}
