/* cmd_assemble.c - `viral assemble`: a snapshot log in, one record per video out.
 *
 *   viral assemble --id vid_url --id-regex '/video/([0-9]+)' --posted-at-from-id \
 *     --observed-at vid_scrapeTime --utc-offset 7 --counters views=vid_nview,likes=vid_nlike \
 *     --first 1 --min-sightings 2 --label 'ratio:views_final/views_s1>=1.5' A.csv C1.csv C2.csv
 *   viral assemble -s research-api -o videos.csv polls/
 *
 * A preset (-s) is a spec whose "assemble" section holds options by their
 * long names: the defaults the command line replaces (datasets/PRESETS.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "cli.h"
#include "viral/assemble.h"
#include "viral/features.h"
#include "viral/reader.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"spec", 's', "SPEC", "a preset: a spec (file, or bundled name: research-api, scraper, tracker) "
                          "whose \"assemble\" options are the defaults"},
    {"id", 0, "FIELD", "source field of the video id (required)"},
    {"id-regex", 0, "RE", "take the id from FIELD by this POSIX ERE (group 1), e.g. '/video/([0-9]+)'"},
    {"observed-at", 0, "FIELD", "source field of the time of each look (required)"},
    {"observed-time", 0, "TIME", "instead of --observed-at: every row was seen at TIME (one "
                                 "snapshot), or one time per FILE: T1,T2,..."},
    {"observed-at-name", 0, "PATTERN", "instead of --observed-at: each file's poll time from its "
                                       "name by a strptime pattern, e.g. %Y-%m-%dT%H%M%SZ or poll-%s"},
    {"posted-at", 0, "FIELD", "source field of the posting time"},
    {"posted-at-from-id", 0, NULL, "posting time = id >> 32 (unix seconds; TikTok ids)"},
    {"utc-offset", 0, "HOURS", "UTC offset of naive timestamps, e.g. 7 or -5.5 (default 0)"},
    {"counters", 0, "LIST", "cumulative counters NAME=FIELD[:RULE],... (rule default: count)"},
    {"attrs", 0, "LIST", "attributes NAME=FIELD[:RULE],... from the first sighting (default: text)"},
    {"at", 0, "AGES", "counters at these ages, e.g. 1h,2h,3h,6h (interpolated, never extrapolated)"},
    {"first", 0, "N", "the first N sightings with their ages"},
    {"horizon", 0, "AGE", "outcome at this age (default: at the last sighting); streams the log"},
    {"grace", 0, "AGE", "with --horizon: wait this long past it for a sighting (default 1h)"},
    {"window", 0, "AGE", "with --horizon: add when viral stream scores and learns (scored_at, ...)"},
    {"min-sightings", 0, "N", "drop videos seen fewer than N times"},
    {"label", 'l', "RULE", "add viral: FIELD>=X, ratio:A/B>=X or top:P%:FIELD"},
    {"unlabeled", 0, "keep|drop", "records without outcome or label (default: drop)"},
    {"json-path", 0, "PATH", "the records' arrays in JSON documents, e.g. collector, data.videos, "
                             "[].data.videos"},
    {"to", 0, "FMT", "output format: csv or jsonl (default: csv, or by -o's extension)"},
    {"output", 'o', "FILE", "write here (atomically) instead of stdout"},
    {"skip-bad-rows", 0, NULL, "skip (and count) rows with a malformed line or value"},
    {"quiet", 'q', NULL, "no summary line on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_assemble_spec = {
    "assemble",
    "(-s PRESET | --id FIELD (--observed-at FIELD | --observed-time T[,T...] | --observed-at-name PATTERN)\n"
    "       (--posted-at FIELD | --posted-at-from-id)) [options] [FILE|DIR...]",
    "turn a snapshot log into records at fixed ages, with outcomes",
    "Reads one or more snapshot logs (CSV, JSON Lines or JSON documents, any column\n"
    "order; none or '-' is stdin; a directory gives its files, by name), one row per\n"
    "look at a video, and writes one record per video in posted_at order: video_id,\n"
    "posted_at, the attributes (from the earliest sighting only), <counter>_<A>h and\n"
    "covered_<A>h for each --at age, age_s<K>_h and <counter>_s<K> for the first K\n"
    "sightings, then the outcomes <counter>_final, <counter>_peak, age_last_h,\n"
    "sightings (late values: never features) and viral with --label. Rules: text,\n"
    "number, count (1.4M), duration (mm:ss), bool, timestamp. Ages take h, m or d\n"
    "(default h).\n"
    "Without --horizon every video is held to the end of the log; with it, the log\n"
    "must be sorted by observed_at and memory holds only the videos in flight.\n"
    "--window W adds scored_at, scored_seq, learned_at, learned_seq: when (time\n"
    "and log row) viral stream --window W --horizon H --grace G scores a video and\n"
    "learns from it; viral eval --progressive replays that order.\n"
    "Poll files whose rows lack the time they were taken (API responses, scraper\n"
    "exports) take it from the file name (--observed-at-name) or from a list\n"
    "(--observed-time), and are read in time order; the pages of one poll may sit\n"
    "in one file back to back. A preset (-s research-api, scraper, tracker) gives\n"
    "the mappings for a known shape (datasets/PRESETS.md); options given here win.\n"
    "A summary line goes to stderr: records, positives, unlabeled, dropped.\n"
    "\n"
    "examples:\n"
    "  viral assemble -s research-api -o videos.csv polls/\n"
    "  viral assemble -s tracker --at 1h,3h -o videos.csv tracker-log.csv",
    options,
    0,
    -1,
};

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Rows skipped by --skip-bad-rows, and the reason the first one was. */
typedef struct bad_rows {
  size_t count;
  char first[VIRAL_ERROR_MAX];
} bad_rows;

/* ---- presets ---- */

static int option_index(const char *name) {
  for (int i = 0; options[i].name; i++)
    if (strcmp(options[i].name, name) == 0) return i;
  return -1;
}

/* Options of which the command line gives one: giving any replaces the
 * preset's choice among them all. */
static const char *const exclusive[][4] = {
    {"observed-at", "observed-time", "observed-at-name", NULL},
    {"posted-at", "posted-at-from-id", NULL, NULL},
};

/* 1 when the command line (given[]) set another option of name's group. */
static int group_given(const char *name, const unsigned char *given) {
  for (size_t g = 0; g < sizeof exclusive / sizeof *exclusive; g++) {
    int in = 0, other = 0;
    for (int k = 0; exclusive[g][k]; k++) {
      if (strcmp(exclusive[g][k], name) == 0) in = 1;
      else if (given[option_index(exclusive[g][k])]) other = 1;
    }
    if (in && other) return 1;
  }
  return 0;
}

/* The preset p's "assemble" options become the values of those the command
 * line left out. Their texts live in p. CLI_CONTINUE, or exit code 1 with
 * the problem said (a name that is no option, a flag given a value). */
static int apply_preset(cli_args *args, const viral_pipeline *p, const char *spec) {
  unsigned char given[CLI_MAX_OPTIONS] = {0};
  for (int i = 0; options[i].name; i++) given[i] = args->values[i] != NULL;
  for (size_t k = 0; k < viral_pipeline_assemble_count(p); k++) {
    const char *name, *value;
    viral_pipeline_assemble_option(p, k, &name, &value);
    int i = option_index(name);
    viral_error err;
    if (i < 0 || strcmp(name, "spec") == 0 || strcmp(name, "output") == 0)
      viral_error_set(&err, VIRAL_ERR_INVALID, spec, 0,
                      "assemble.%s: not an option a preset gives (see viral assemble --help)", name);
    else if (!options[i].arg != !*value)
      viral_error_set(&err, VIRAL_ERR_INVALID, spec, 0, "assemble.%s: %s", name,
                      options[i].arg ? "expected the option's value, a string" : "a flag: true");
    else {
      if (!given[i] && !group_given(name, given)) args->values[i] = value;
      continue;
    }
    return cli_data_error("assemble", &err);
  }
  return CLI_CONTINUE;
}

/* The spec -s names, when given (else *p stays NULL). CLI_CONTINUE or 1. */
static int load_preset(cli_args *args, viral_pipeline **p) {
  const char *given = cli_get(args, "spec");
  if (!given) return CLI_CONTINUE;
  char path[4096];
  viral_error err;
  if (cli_find_spec(given, path, sizeof path, &err) != VIRAL_OK ||
      !(*p = viral_pipeline_load_spec(path, NULL, &err)))
    return cli_data_error("assemble", &err);
  return apply_preset(args, *p, path);
}

/* ---- reading ---- */

/* "T1,T2,...": *count times into a new array (caller frees). 0, or -1. */
static int parse_times(const char *text, double **times, size_t *count) {
  size_t n = 1;
  for (const char *p = text; *p; p++) n += *p == ',';
  if (!(*times = calloc(n, sizeof **times))) return -1;
  *count = 0;
  for (const char *s = text;; s++) {
    size_t len = strcspn(s, ",");
    if (viral_parse_timestamp(s, len, 0, &(*times)[(*count)++]) != VIRAL_OK) return -1;
    s += len;
    if (!*s) return 0;
  }
}

/* Read every input through the assembler, writing ready rows to out. */
static int run(viral_assembler *a, cli_args *args, const viral_assemble_input *inputs,
               size_t ninputs, FILE *out, int jsonl, bad_rows *bad, viral_error *err) {
  viral_reader_options ropts;
  viral_reader_options_init(&ropts);
  ropts.skip_bad_rows = cli_flag(args, "skip-bad-rows");
  ropts.json_path = cli_get(args, "json-path");
  ropts.field_paths = viral_assembler_sources(a, &ropts.field_path_count);
  const viral_assembled_value *row;
  viral_assembler_write_header(a, out, jsonl);
  for (size_t f = 0; f < ninputs; f++) {
    if (inputs[f].has_time) viral_assembler_set_observed_time(a, inputs[f].time);
    viral_reader *r = viral_reader_open(inputs[f].path, &ropts, err);
    if (!r) return err->code;
    const viral_record *rec;
    int rc;
    while ((rc = viral_reader_next(r, &rec, err)) == 1) {
      if ((rc = viral_assembler_add(a, rec, err)) == VIRAL_ERR_PARSE && ropts.skip_bad_rows) {
        if (!bad->count++) snprintf(bad->first, sizeof bad->first, "%s", err->message);
        viral_error_clear(err);
        rc = VIRAL_OK;
      }
      if (rc) break;
      while (viral_assembler_next(a, &row)) viral_assembler_write_row(a, row, out, jsonl);
    }
    bad->count += viral_reader_skipped(r);
    viral_assembler_input_done(a, r);
    viral_reader_free(r);
    if (rc < 0) return rc;
  }
  int rc = viral_assembler_finish(a, err);
  if (rc) return rc;
  while (viral_assembler_next(a, &row)) viral_assembler_write_row(a, row, out, jsonl);
  return VIRAL_OK;
}

int cmd_assemble(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_assemble_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  const char *cmd = "assemble";
  viral_assemble_options o;
  viral_assemble_options_init(&o);
  viral_field_map *counters = NULL, *attrs = NULL;
  double *ages = NULL, *times = NULL;
  size_t ntimes = 0, ninputs = 0;
  viral_assemble_input *inputs = NULL;
  viral_pipeline *preset = NULL;
  viral_assembler *a = NULL;
  viral_atomic_file *file = NULL;
  viral_error err = {0};
  /* an hourly snapshot log sees each video again within an hour of its horizon */
  double offset, horizon = 0, grace = 1;
  long first, min_sightings;
  int status = CLI_EXIT_USAGE;

  if ((status = load_preset(&args, &preset)) != CLI_CONTINUE) goto done;
  status = CLI_EXIT_USAGE;
  o.id_field = cli_get(&args, "id");
  o.id_regex = cli_get(&args, "id-regex");
  o.observed_at_field = cli_get(&args, "observed-at");
  o.posted_at_field = cli_get(&args, "posted-at");
  o.posted_at_from_id = cli_flag(&args, "posted-at-from-id");
  o.label = cli_get(&args, "label");
  const char *when = cli_get(&args, "observed-time"), *name_pattern = cli_get(&args, "observed-at-name");
  if (!o.id_field || (o.observed_at_field != NULL) + (when != NULL) + (name_pattern != NULL) != 1) {
    status = cli_usage_error(cmd, "--id and one of --observed-at, --observed-time and "
                                  "--observed-at-name are required (or a preset, -s)");
    goto done;
  }
  o.has_observed_time = when || name_pattern;
  if (when && parse_times(when, &times, &ntimes) != 0) {
    status = cli_usage_error(cmd, "--observed-time needs times such as 2020-12-21T15:00:00Z, "
                                  "one, or one per FILE separated by commas");
    goto done;
  }
  int nfiles = args.positional_count ? args.positional_count : 1;
  if (ntimes > 1 && ntimes != (size_t)nfiles) {
    status = cli_usage_error(cmd, "--observed-time gives %zu times for %d FILE%s: give one, or one "
                                  "per FILE", ntimes, nfiles, nfiles > 1 ? "s" : "");
    goto done;
  }
  if (!o.posted_at_field == !o.posted_at_from_id) {
    status = cli_usage_error(cmd, "give one of --posted-at FIELD and --posted-at-from-id");
    goto done;
  }
  if (cli_get_double(&args, "utc-offset", 0, &offset) != CLI_CONTINUE) goto done;
  if (cli_get_long(&args, "first", 0, &first) != CLI_CONTINUE) goto done;
  if (cli_get_long(&args, "min-sightings", 0, &min_sightings) != CLI_CONTINUE) goto done;
  if (!(fabs(offset) <= 18) || first < 0 || first > 1000 || min_sightings < 0) {
    status = cli_usage_error(cmd, "--utc-offset must be within +-18 h, --first in 0..1000 and "
                                  "--min-sightings >= 0");
    goto done;
  }
  o.utc_offset_minutes = (int)lround(offset * 60);
  o.first = (size_t)first;
  o.min_sightings = (size_t)min_sightings;
  const char *h = cli_get(&args, "horizon"), *g = cli_get(&args, "grace");
  if ((h && (horizon = cli_parse_hours(h, strlen(h))) <= 0) || (g && (grace = cli_parse_hours(g, strlen(g))) < 0)) {
    status = cli_usage_error(cmd, "--horizon and --grace need an age such as 48h, 90m or 2d");
    goto done;
  }
  o.horizon_h = horizon;
  o.grace_h = grace;
  const char *w = cli_get(&args, "window");
  if (w && (!h || (o.window_h = cli_parse_hours(w, strlen(w))) < 0 || o.window_h >= horizon)) {
    status = cli_usage_error(cmd, "--window needs --horizon and an age shorter than it, such as 2h");
    goto done;
  }
  o.event_times = w != NULL;
  const char *at = cli_get(&args, "at");
  if (at && cli_parse_hours_list(at, &ages, &o.age_count) != 0) {
    status = cli_usage_error(cmd, "--at needs increasing ages such as 1h,2h,3h,6h, not '%s'", at);
    goto done;
  }
  o.ages_h = ages;
  const char *cl = cli_get(&args, "counters"), *al = cli_get(&args, "attrs");
  if ((cl && viral_field_maps_parse(cl, VIRAL_PARSE_COUNT, &counters, &o.counter_count, &err)) ||
      (al && viral_field_maps_parse(al, VIRAL_PARSE_TEXT, &attrs, &o.attr_count, &err))) {
    status = cli_usage_error(cmd, "%s", err.message);
    goto done;
  }
  o.counters = counters;
  o.attrs = attrs;
  const char *unl = cli_get(&args, "unlabeled");
  if (unl && strcmp(unl, "keep") != 0 && strcmp(unl, "drop") != 0) {
    status = cli_usage_error(cmd, "--unlabeled is keep or drop, not '%s'", unl);
    goto done;
  }
  o.keep_unlabeled = unl && strcmp(unl, "keep") == 0;
  const char *fmt = cli_get(&args, "to"), *path = cli_get(&args, "output");
  if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "jsonl") != 0) {
    status = cli_usage_error(cmd, "--to is csv or jsonl, not '%s'", fmt);
    goto done;
  }
  int jsonl = fmt ? strcmp(fmt, "jsonl") == 0
                  : path && (ends_with(path, ".jsonl") || ends_with(path, ".ndjson"));
  if (!(a = viral_assembler_create(&o, &err))) {
    status = cli_usage_error(cmd, "%s", err.message);
    goto done;
  }
  if (!(file = viral_atomic_open(path ? path : "-", &err))) {
    status = cli_data_error(cmd, &err);
    goto done;
  }
  static const char *const from_stdin[] = {"-"};
  const char *const *paths = args.positional_count ? (const char *const *)args.positional : from_stdin;
  if (viral_assemble_inputs(paths, (size_t)nfiles, name_pattern, times, ntimes, o.utc_offset_minutes,
                            &inputs, &ninputs, &err) != VIRAL_OK) {
    status = cli_data_error(cmd, &err);
    goto done;
  }
  bad_rows bad = {0, ""};
  if (run(a, &args, inputs, ninputs, viral_atomic_stream(file), jsonl, &bad, &err) != VIRAL_OK) {
    status = cli_data_error(cmd, &err);
    goto done;
  }
  rc = viral_atomic_commit(file, &err);
  file = NULL;
  if (rc) {
    status = cli_data_error(cmd, &err);
    goto done;
  }
  if (!cli_flag(&args, "quiet")) {
    viral_assemble_stats s;
    viral_assembler_stats(a, &s);
    fprintf(stderr,
            "viral assemble: %zu records, %zu positive, from %zu rows of %zu videos; "
            "unlabeled %zu (%s), too few sightings %zu, rows after the horizon %zu\n",
            s.records, s.positives, s.rows, s.videos, s.unlabeled,
            o.keep_unlabeled ? "kept" : "dropped", s.few_sightings, s.late_rows);
    if (bad.count)
      fprintf(stderr, "viral assemble: skipped %zu bad rows%s%s\n", bad.count,
              bad.first[0] ? "; the first: " : "", bad.first);
  }
  status = CLI_EXIT_OK;
done:
  viral_atomic_abort(file);
  viral_assembler_free(a);
  viral_field_maps_free(counters, o.counter_count);
  viral_field_maps_free(attrs, o.attr_count);
  free(ages);
  free(times);
  viral_assemble_inputs_free(inputs, ninputs);
  viral_pipeline_free(preset);
  return status;
}
