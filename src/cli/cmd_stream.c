/* cmd_stream.c - `viral stream`: JSON Lines events in, scores out, learning
 * online in event time with a journal and checkpoints (viral/stream.h).
 *
 *   viral gen --log --format jsonl | viral stream -m models/default.json \
 *     --label 'views_final>=1000000' --state run/
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "age.h"
#include "cli.h"
#include "viral/stream.h"

static const cli_option options[] = {
    {"model", 'm', "MODEL", "starting model (a logistic model; required unless --state holds a checkpoint)"},
    {"window", 0, "AGE", "score at this age, e.g. 2h (default 2h)"},
    {"horizon", 0, "AGE", "learn at this age, e.g. 7d (default 7d)"},
    {"grace", 0, "AGE", "wait this long past the horizon for a sighting (default 1h)"},
    {"label", 'l', "RULE", "label rule on the assembled outcomes, e.g. views_final>=1000000 (default: the model's)"},
    {"at", 0, "AGES", "counters at these ages (default 1h,2h,3h,6h up to the window)"},
    {"score-at", 0, "AGES", "also score each video at these ages (from the model's window, before the horizon), e.g. 2h,6h,24h"},
    {"counters", 0, "LIST", "cumulative counters NAME=FIELD[:RULE],... (default: the gen log's)"},
    {"attrs", 0, "LIST", "attributes NAME=FIELD[:RULE],... (default: the gen log's)"},
    {"state", 0, "DIR", "journal and checkpoints here; restart from them"},
    {"checkpoint-every", 0, "N|AGE", "checkpoint every N applied events (default 10000; 0: only at exit), "
                                     "or every AGE of event time, e.g. 6h"},
    {"fsync-every", 0, "N", "fsync the journal every N events (default 1; 0: never)"},
    {"metrics-every", 0, "N", "print running metrics every N learned videos (default 10000; 0: never)"},
    {"reasons", 0, "N", "reasons per score (default 3)"},
    {"max-event-bytes", 0, "N", "longest event line accepted (default 1048576); longer ones are skipped"},
    {"strict", 0, NULL, "stop at the first malformed or unknown event"},
    CLI_ALLOW_MISSING_OPTION,
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
    "by video_id. An event is checked in full before it is journalled: a bad one\n"
    "(not one JSON object of valid UTF-8, a counter or attribute left out, a value\n"
    "the model cannot read, observed over an hour before posted, too long) is\n"
    "reported, counted and changes nothing. An event before the applied position\n"
    "met after one was applied is out of order: dropped and counted (sort the log\n"
    "by observed_at).\n"
    "A score that cannot be written to stdout is an error (exit 1); a restart\n"
    "writes it again. SIGTERM/SIGINT: checkpoint and exit 0; SIGUSR1: print metrics.\n"
    "With --score-at, a video is scored again at each listed age it reaches, and\n"
    "every line carries \"age_h\" (the window's line too): at age A the model reads\n"
    "its fields with every counter age moved by A - window (views_2h of a 2h model\n"
    "is the views at A). Ages before the model's window are an error.\n\n"
    "example:\n"
    "  viral stream -m model.json --state state/ events.jsonl > scores.jsonl\n"
    "  viral gen --log --to jsonl -n 300 | viral stream -m model.json -q\n"
    "  viral stream -m model.json --score-at 2h,6h,24h -q events.jsonl",
    options,
    0,
    1,
};

static volatile sig_atomic_t stop_requested, metrics_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }
static void on_usr1(int sig) { (void)sig; metrics_requested = 1; }

/* A score line, flushed and checked: the stream counts the video scored only
 * once its line is written. */
static int emit_line(void *ctx, const char *line) {
  FILE *out = ctx;
  return fputs(line, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF ? -1 : 0;
}

static void warn_line(void *ctx, const char *message) {
  (void)ctx;
  fprintf(stderr, "viral stream: %s\n", message);
}

/* ---- input lines, bounded ---- */

/* Reads lines from fd keeping at most max + 1 bytes of each: a longer line is
 * consumed to its end without being held (the stream rejects it by length). */
typedef struct line_reader {
  int fd;
  size_t max;
  char *line;          /* [max + 2] the line's first bytes, NUL-terminated */
  size_t len;          /* bytes kept (at most max + 1) */
  int done, eof;       /* done: line holds a whole line */
  char chunk[1 << 16];
  size_t pos, end;
} line_reader;

/* Next line (without its newline) in r->line[0..r->len): 1, 0 at the end of
 * the input, -1 on a read error (errno), -2 when a signal interrupted the read
 * (call again: the part of the line read so far is kept). */
static int next_line(line_reader *r) {
  if (r->done) r->len = 0, r->done = 0;
  for (;;) {
    if (r->pos == r->end) {
      if (r->eof) return r->len ? (r->done = 1) : 0;
      ssize_t n = read(r->fd, r->chunk, sizeof r->chunk);
      if (n < 0) return errno == EINTR ? -2 : -1;
      if (n == 0) r->eof = 1;
      r->pos = 0;
      r->end = (size_t)(n > 0 ? n : 0);
      continue;
    }
    const char *start = r->chunk + r->pos, *nl = memchr(start, '\n', r->end - r->pos);
    size_t take = nl ? (size_t)(nl - start) : r->end - r->pos, room = r->max + 1 - r->len;
    memcpy(r->line + r->len, start, take < room ? take : room);
    r->len += take < room ? take : room;
    r->line[r->len] = '\0';
    r->pos += take + (nl != NULL);
    if (nl) return r->done = 1;
  }
}

static void print_metrics(viral_stream *s, const char *when) {
  viral_stream_stats st;
  viral_stream_stats_get(s, 1, &st);
  fprintf(stderr,
          "stream: %s: lines %llu applied %llu skipped %llu out_of_order %llu bad %llu scored %llu "
          "learned %llu unlabeled %llu late %llu dropped %llu in_flight %llu; last %zu outcomes: auc %.4f "
          "log_loss %.4f calibration %+.4f\n",
          when, (unsigned long long)st.lines, (unsigned long long)st.applied, (unsigned long long)st.skipped,
          (unsigned long long)st.out_of_order, (unsigned long long)st.bad, (unsigned long long)st.scored,
          (unsigned long long)st.learned, (unsigned long long)st.unlabeled, (unsigned long long)st.late,
          (unsigned long long)st.dropped, (unsigned long long)st.in_flight, st.window_n, st.auc, st.log_loss,
          st.calibration);
}

/* Counts of what was rejected or dropped, said even with --quiet. */
static void print_summary(viral_stream *s) {
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  if (st.bad) fprintf(stderr, "viral stream: %llu bad events rejected\n", (unsigned long long)st.bad);
  if (st.out_of_order)
    fprintf(stderr, "viral stream: %llu out-of-order events dropped (sort the input by observed_at: see "
                    "datasets/STREAM.md)\n", (unsigned long long)st.out_of_order);
}

/* The input: stdin or a file, never a directory; r's line buffer. */
static int open_input(const char *path, line_reader *r) {
  if (!(r->line = malloc(r->max + 2))) {
    fprintf(stderr, "viral stream: out of memory\n");
    return CLI_EXIT_DATA;
  }
  r->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (r->fd < 0 || fstat(r->fd, &st) != 0) {
    fprintf(stderr, "viral stream: %s: %s\n", path, strerror(errno));
    return CLI_EXIT_DATA;
  }
  if (S_ISDIR(st.st_mode)) {
    fprintf(stderr, "viral stream: %s: is a directory, not a file of events\n", path);
    return CLI_EXIT_DATA;
  }
  return CLI_EXIT_OK;
}

/* Feed every input line to s until the end, a stop signal, or an error that
 * ends the stream. Returns the exit code. */
static int run(viral_stream *s, line_reader *in, const char *path, int strict, uint64_t metrics_every) {
  viral_error err;
  long no = 0;
  uint64_t learned_mark = 0;
  while (!stop_requested) {
    int got = next_line(in);
    if (metrics_requested) metrics_requested = 0, print_metrics(s, "now");
    if (got == -2) continue;
    if (got == -1) {
      fprintf(stderr, "viral stream: %s: cannot read: %s\n", strcmp(path, "-") == 0 ? "stdin" : path, strerror(errno));
      return CLI_EXIT_DATA;
    }
    if (got == 0) break;
    no++;
    if (in->len == 0) continue;
    if (viral_stream_feed(s, in->line, in->len, no, &err) != VIRAL_OK) {
      fprintf(stderr, "viral stream: %s%s\n", err.message, in->len > in->max ? " (--max-event-bytes)" : "");
      if (strict || viral_stream_failed(s) || err.code == VIRAL_ERR_IO || err.code == VIRAL_ERR_NOMEM)
        return CLI_EXIT_DATA;
    }
    viral_stream_stats st;
    viral_stream_stats_get(s, 0, &st);
    if (metrics_every && st.learned >= learned_mark + metrics_every) {
      learned_mark = st.learned;
      print_metrics(s, "progress");
    }
  }
  return CLI_EXIT_OK;
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
  long max_event = (long)VIRAL_STREAM_DEFAULT_MAX_EVENT_BYTES;
  if ((rc = cli_get_long(&args, "max-event-bytes", max_event, &max_event)) != CLI_CONTINUE) return rc;
  if (every < 0 || sync_every < 0 || metrics_every < 0 || reasons < 0)
    return cli_usage_error("stream", "counts must be 0 or more");
  if (max_event < 2) return cli_usage_error("stream", "--max-event-bytes must be 2 or more");
  o.max_event_bytes = (size_t)max_event;
  o.checkpoint_every = (uint64_t)every;
  o.fsync_every = (uint64_t)sync_every;
  o.reasons = (size_t)reasons;
  o.label = cli_get(&args, "label");
  o.allow_missing = cli_flag(&args, "allow-missing");
  o.state_dir = cli_get(&args, "state");
  o.emit = emit_line;
  o.emit_ctx = stdout;
  o.warn = warn_line;
  int strict = cli_flag(&args, "strict"), quiet = cli_flag(&args, "quiet");

  viral_error err;
  viral_error_clear(&err);
  viral_field_map *counters = NULL, *attrs = NULL;
  double *ages = NULL;
  const char *cl = cli_get(&args, "counters"), *al = cli_get(&args, "attrs"), *at = cli_get(&args, "at");
  const char *score_at = cli_get(&args, "score-at");
  double *score_ages = NULL;
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
  if (score_at && cli_parse_hours_list(score_at, &score_ages, &o.score_age_count) != 0) {
    viral_field_maps_free(counters, o.counter_count);
    viral_field_maps_free(attrs, o.attr_count);
    free(ages);
    return cli_usage_error("stream", "bad --score-at '%s': ages such as 2h,6h,24h, ascending", score_at);
  }
  o.counters = counters;
  o.attrs = attrs;
  o.ages_h = ages;
  o.score_ages_h = score_ages;

  const char *path = args.positional_count ? args.positional[0] : "-";
  o.source = strcmp(path, "-") == 0 ? "stdin" : path;
  const char *model_path = cli_get(&args, "model");
  int exit_code = CLI_EXIT_OK;
  viral_stream *s = NULL;
  line_reader in = {.fd = -1, .max = o.max_event_bytes};
  viral_model *m = NULL;
  if (!model_path && !o.state_dir) {
    exit_code = cli_usage_error("stream", "missing -m MODEL (or --state with a checkpoint)");
    goto done;
  }
  if (fcntl(STDOUT_FILENO, F_GETFD) == -1) { /* the first file opened would take fd 1 and the scores */
    fprintf(stderr, "viral stream: stdout is closed: the scores would have nowhere to go\n");
    exit_code = CLI_EXIT_DATA;
    goto done;
  }
  if ((exit_code = open_input(path, &in)) != CLI_EXIT_OK) goto done;
  if (model_path && !(m = viral_model_load(model_path, &err))) {
    exit_code = cli_data_error("stream", &err);
    goto done;
  }
  signal(SIGPIPE, SIG_IGN); /* a closed pipe is a failed write (EPIPE), said and exit 1 */
  if (!(s = viral_stream_open(m, &o, &err))) {
    exit_code = cli_data_error("stream", &err);
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

  exit_code = run(s, &in, path, strict, quiet ? 0 : (uint64_t)metrics_every);
  if (exit_code == CLI_EXIT_OK && viral_stream_checkpoint(s, &err) != VIRAL_OK)
    exit_code = cli_data_error("stream", &err);
  if (!quiet) print_metrics(s, stop_requested ? "stopped" : "end");
  print_summary(s);
done:
  if (in.fd > 0) close(in.fd);
  free(in.line);
  viral_stream_free(s);
  viral_field_maps_free(counters, o.counter_count);
  viral_field_maps_free(attrs, o.attr_count);
  free(ages);
  free(score_ages);
  return exit_code;
}
