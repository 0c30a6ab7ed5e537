/* test_assemble.c - snapshot logs to records: interpolation, ordering,
 * leakage, horizons, labels, the CLI, and the real datasets' counts.
 *
 * Every expected value below is worked out by hand in the comment beside it. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/assemble_internal.h"
#include "io/record_internal.h"
#include "testutil.h"
#include "viral/assemble.h"
#include "viral/reader.h"

/* Run the assembler over CSV text; return its CSV output (caller frees) or
 * NULL with err set. */
static char *assemble_text(const viral_assemble_options *o, const char *csv, viral_error *err) {
  viral_assembler *a = viral_assembler_create(o, err);
  if (!a) return NULL;
  viral_reader *r = viral_reader_open_memory("log.csv", csv, strlen(csv), NULL, err);
  ck_assert_ptr_nonnull(r);
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  const viral_record *rec;
  const viral_assembled_value *row;
  int rc;
  viral_assembler_write_header(a, out, 0);
  while ((rc = viral_reader_next(r, &rec, err)) == 1) {
    if ((rc = viral_assembler_add(a, rec, err))) break;
    while (viral_assembler_next(a, &row)) viral_assembler_write_row(a, row, out, 0);
  }
  if (rc == 0) rc = viral_assembler_finish(a, err);
  while (rc == 0 && viral_assembler_next(a, &row)) viral_assembler_write_row(a, row, out, 0);
  fclose(out);
  viral_reader_free(r);
  viral_assembler_free(a);
  if (rc) {
    free(buf);
    return NULL;
  }
  return buf;
}

static char *read_data(const char *name) {
  char path[4096], rel[256];
  snprintf(rel, sizeof rel, "tests/data/assemble/%s", name);
  char *text = test_read_file(test_repo_path(path, sizeof path, rel), NULL);
  ck_assert_ptr_nonnull(text);
  return text;
}

START_TEST(interpolation_is_linear_and_never_extrapolates) {
  double t[] = {1, 3, 4}, v[] = {100, 300, NAN};
  /* 100 + (300 - 100) * (2 - 1) / (3 - 1) = 200 */
  ck_assert_double_near(interpolate_at(t, v, 3, 2), 200, 0);
  ck_assert_double_near(interpolate_at(t, v, 3, 1), 100, 0); /* on a sighting */
  ck_assert_double_near(interpolate_at(t, v, 3, 3), 300, 0);
  ck_assert(isnan(interpolate_at(t, v, 3, 0.5))); /* before the first */
  /* the point at 4 has no value: nothing after 3.5, so no answer */
  ck_assert(isnan(interpolate_at(t, v, 3, 3.5)));
  ck_assert(isnan(interpolate_at(t, v, 0, 1)));
}
END_TEST

static const viral_field_map basic_counters[] = {{"views", "v", VIRAL_PARSE_COUNT},
                                                 {"likes", "l", VIRAL_PARSE_COUNT}};
static const viral_field_map basic_attrs[] = {{"followers", "f", VIRAL_PARSE_COUNT}};

/* Options for the hand-made logs: columns id, seen, posted and the counters. */
static void log_options(viral_assemble_options *o, const viral_field_map *counters, size_t n) {
  viral_assemble_options_init(o);
  o->id_field = "id";
  o->observed_at_field = "seen";
  o->posted_at_field = "posted";
  o->counters = counters;
  o->counter_count = n;
}

static void basic_options(viral_assemble_options *o) {
  static const double ages[] = {2, 6};
  log_options(o, basic_counters, 2);
  o->attrs = basic_attrs;
  o->attr_count = 1;
  o->ages_h = ages;
  o->age_count = 2;
  o->first = 2;
}

/* basic.csv, unsorted on purpose (a's later sighting comes first):
 *   a posted 00:00, seen at 1h (100 views, 10 likes, 1.2K followers) and 3h
 *     (400, 20, 2.5K): views_2h = 100 + 300 * 1/2 = 250, likes_2h = 10 + 10 * 1/2
 *     = 15; 6h is after the last sighting: missing, covered_6h = 0;
 *     followers from the earliest sighting: 1200, never the later 2500.
 *   b posted 23:30 the day before, seen at 2h (50, 5) and 5h (350, likes
 *     missing): views_2h = 50 and likes_2h = 5 exactly on a sighting;
 *     likes_final is missing (the last sighting lacks it), likes_peak = 5.
 *   b was posted first, so it comes first. */
START_TEST(interpolates_at_ages_orders_by_posted_at_and_keeps_first_attributes) {
  viral_assemble_options o;
  basic_options(&o);
  viral_error err = {0};
  char *log = read_data("basic.csv");
  char *out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,followers,views_2h,likes_2h,covered_2h,views_6h,likes_6h,"
                   "covered_6h,age_s1_h,views_s1,likes_s1,age_s2_h,views_s2,likes_s2,views_final,"
                   "views_peak,likes_final,likes_peak,age_last_h,sightings\n"
                   "b,2025-12-31T23:30:00Z,7,50,5,1,,,0,2,50,5,5,350,,350,350,,5,5,2\n"
                   "a,2026-01-01T00:00:00Z,1200,250,15,1,,,0,1,100,10,3,400,20,400,400,20,20,3,2\n");
  free(out);
  free(log);
}
END_TEST

static const viral_field_map views_only[] = {{"views", "views", VIRAL_PARSE_COUNT}};

static void horizon_options(viral_assemble_options *o) {
  static const double ages[] = {1};
  log_options(o, views_only, 1);
  o->ages_h = ages;
  o->age_count = 1;
  o->horizon_h = 4;
  o->grace_h = 3; /* p's 6h look comes before its deadline 07:00: it brackets */
  o->label = "views_final>=50";
}

/* horizon.csv with a 4h horizon (times are 2026-01-01):
 *   p posted 00:00, seen at 0h (10), 2h (30), 6h (90), 7h (100):
 *     views_1h = 10 + 20 * 1/2 = 20; the 6h sighting brackets the horizon:
 *     views_final = 30 + 60 * (4 - 2) / (6 - 2) = 60, views_peak = 60 (the 90
 *     after the horizon is not an outcome), age_last_h = 4, sightings 3 (the
 *     7h row is after the horizon and ignored); 60 >= 50: viral 1.
 *   q posted 00:45, seen once at 0.25h (5): views_1h not covered; the log
 *     ends at 07:00, past its horizon 04:45: outcome at the last sighting,
 *     views_final 5, age_last_h 0.25, viral 0.
 *   r posted 01:00 is first seen at 6h, after its horizon: no record.
 *   s posted 06:30 has its horizon at 10:30, after the log ends: unlabeled. */
START_TEST(horizon_outcomes_and_unlabeled_keep_or_drop) {
  viral_assemble_options o;
  horizon_options(&o);
  viral_error err = {0};
  char *log = read_data("horizon.csv");
  char *out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,views_1h,covered_1h,views_final,views_peak,age_last_h,"
                   "sightings,viral\n"
                   "p,2026-01-01T00:00:00Z,20,1,60,60,4,3,1\n"
                   "q,2026-01-01T00:45:00Z,,0,5,5,0.25,1,0\n");
  free(out);
  o.keep_unlabeled = 1;
  out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,views_1h,covered_1h,views_final,views_peak,age_last_h,"
                   "sightings,viral\n"
                   "p,2026-01-01T00:00:00Z,20,1,60,60,4,3,1\n"
                   "q,2026-01-01T00:45:00Z,,0,5,5,0.25,1,0\n"
                   "s,2026-01-01T06:30:00Z,,0,,,,1,\n");
  free(out);
  /* the first sightings stop at the horizon: p's third (6h) is an outcome */
  o.keep_unlabeled = 0;
  o.age_count = 0;
  o.first = 3;
  out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,age_s1_h,views_s1,age_s2_h,views_s2,age_s3_h,views_s3,"
                   "views_final,views_peak,age_last_h,sightings,viral\n"
                   "p,2026-01-01T00:00:00Z,0,10,2,30,,,60,60,4,3,1\n"
                   "q,2026-01-01T00:45:00Z,0.25,5,,,,,5,5,0.25,1,0\n");
  free(out);
  free(log);
}
END_TEST

/* horizon.csv, horizon 4h with no grace, window 1h, event times (rows
 * numbered 1..7 in log order):
 *   row 3: p at age 2h >= 1h: scored (02:00, seq 3);
 *   row 4 (06:00) moves the clock past p's deadline 04:00 and q's 04:45: both
 *     close by time before row 4, in deadline order (seq 3.5), q scored then
 *     too; p's outcome is its last sighting (30 at 2h: not viral); row 4
 *     itself is then late, as in the stream, not a bracket;
 *   rows 5-6 are late; s (row 7) is still open at the end: unlabeled,
 *     neither scored (age 0.5h) nor learned. */
START_TEST(event_times_close_by_time_before_a_late_look) {
  viral_assemble_options o;
  horizon_options(&o);
  o.grace_h = 0;
  o.event_times = 1;
  o.window_h = 1;
  o.keep_unlabeled = 1;
  viral_error err = {0};
  char *log = read_data("horizon.csv");
  char *out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,views_1h,covered_1h,views_final,views_peak,age_last_h,"
                   "sightings,scored_at,scored_seq,learned_at,learned_seq,viral\n"
                   "p,2026-01-01T00:00:00Z,20,1,30,30,2,2,2026-01-01T02:00:00Z,3,"
                   "2026-01-01T04:00:00Z,3.5,0\n"
                   "q,2026-01-01T00:45:00Z,,0,5,5,0.25,1,2026-01-01T04:45:00Z,3.5,"
                   "2026-01-01T04:45:00Z,3.5,0\n"
                   "s,2026-01-01T06:30:00Z,,0,,,,1,,,,,\n");
  free(out);
  o.window_h = 4; /* not shorter than the horizon */
  ck_assert_ptr_null(viral_assembler_create(&o, &err));
  ck_assert_int_eq(err.code, VIRAL_ERR_INVALID);
  free(log);
}
END_TEST

/* A row made into a record (the stream's records) is the record a reader
 * gives for the row's JSON line, value for value: texts, missing values,
 * the times as ISO-8601 text, numbers with the digits they are written
 * with. */
static void same_value(const viral_value *a, const viral_value *b, const char *field) {
  ck_assert_msg(a->kind == b->kind, "%s: kind %d vs %d", field, a->kind, b->kind);
  ck_assert_msg(a->len == b->len && memcmp(a->text, b->text, a->len) == 0, "%s: '%s' vs '%s'", field,
                a->text, b->text);
  ck_assert_msg(a->number == b->number || (isnan(a->number) && isnan(b->number)), "%s", field);
}

START_TEST(made_rows_are_their_json_lines) {
  viral_assemble_options o;
  horizon_options(&o);
  o.grace_h = 0;
  o.event_times = 1;
  o.window_h = 1;
  o.keep_unlabeled = 1;
  viral_error err = {0};
  char *log = read_data("horizon.csv");
  viral_assembler *a = viral_assembler_create(&o, &err);
  ck_assert_msg(a != NULL, "%s", err.message);
  viral_reader *r = viral_reader_open_memory("log.csv", log, strlen(log), NULL, &err);
  const viral_record *rec;
  const viral_assembled_value *row;
  size_t n = viral_assembler_column_count(a), rows = 0;
  int rc;
  while ((rc = viral_reader_next(r, &rec, &err)) == 1) ck_assert_int_eq(viral_assembler_add(a, rec, &err), VIRAL_OK);
  ck_assert_int_eq(viral_assembler_finish(a, &err), VIRAL_OK);
  while (viral_assembler_next(a, &row)) {
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    viral_assembler_write_row(a, row, f, 1);
    fclose(f);
    viral_reader_options ro;
    viral_reader_options_init(&ro);
    ro.format = VIRAL_FORMAT_JSONL;
    viral_reader *back = viral_reader_open_memory("row", line, len, &ro, &err);
    const viral_record *read;
    ck_assert_int_eq(viral_reader_next(back, &read, &err), 1);
    viral_value values[32];
    const char *names[32];
    char digits[32][32];
    ck_assert_uint_le(n, 32);
    for (size_t i = 0; i < n; i++) {
      names[i] = viral_assembler_column_name(a, i);
      viral_assembler_cell_value(a, row, i, digits[i], &values[i]);
    }
    viral_record *made = viral_record_make_("row", names, values, n);
    ck_assert_ptr_nonnull(made);
    ck_assert_uint_eq(viral_record_field_count(made), viral_record_field_count(read));
    ck_assert_str_eq(viral_record_source(made), viral_record_source(read));
    ck_assert_int_eq(viral_record_line(made), viral_record_line(read));
    for (size_t i = 0; i < n; i++) {
      long j = viral_record_find(read, names[i]);
      ck_assert_int_ge(j, 0);
      same_value(viral_record_value(made, (size_t)viral_record_find(made, names[i])),
                 viral_record_value(read, (size_t)j), names[i]);
    }
    viral_record_free_made_(made);
    viral_reader_free(back);
    free(line);
    rows++;
  }
  ck_assert_uint_eq(rows, 3);
  viral_reader_free(r);
  viral_assembler_free(a);
  free(log);
}
END_TEST

START_TEST(horizon_refuses_an_unsorted_log) {
  viral_assemble_options o;
  basic_options(&o);
  o.horizon_h = 6;
  viral_error err = {0};
  char *log = read_data("basic.csv");
  char *out = assemble_text(&o, log, &err);
  ck_assert_ptr_null(out);
  ck_assert_int_eq(err.code, VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message,
                   "log.csv:3: the log is not sorted by observed_at (2026-01-01T01:00:00Z comes "
                   "after 2026-01-01T03:00:00Z): with a horizon the log is read as a stream and "
                   "must be in time order; sort it by 'seen' or leave the horizon out");
  free(log);
}
END_TEST

/* 3000 videos, video i posted at minute i and seen at 30 and 90 minutes
 * (views 10 and 30), the log in time order, horizon 1h, grace 1h (the
 * 90-minute look arrives half an hour after the horizon): each record can
 * leave once its 90-minute look is in, so nearly all of them come out before
 * the log ends, in posted_at order, with views_final
 * 10 + 20 * (60 - 30) / (90 - 30) = 20. */
START_TEST(horizon_streams_records_before_the_log_ends) {
  enum { N = 3000 };
  size_t cap = 200 * 2 * N, len = 0;
  char *log = malloc(cap);
  len += (size_t)snprintf(log + len, cap - len, "id,seen,posted,views\n");
  /* events at minute m: the 30-minute look of video m - 30 and the 90-minute
   * look of video m - 90 (ordered by time, then video) */
  for (int m = 0; m < N + 90; m++) {
    for (int k = 0; k < 2; k++) {
      int id = m - (k == 0 ? 90 : 30);
      if (id < 0 || id >= N) continue;
      len += (size_t)snprintf(log + len, cap - len, "v%d,%d,%d,%d\n", id, 1767225600 + m * 60,
                              1767225600 + id * 60, k == 0 ? 30 : 10);
    }
  }
  viral_assemble_options o;
  log_options(&o, views_only, 1);
  o.horizon_h = 1;
  o.grace_h = 1;
  viral_error err = {0};
  viral_assembler *a = viral_assembler_create(&o, &err);
  ck_assert_ptr_nonnull(a);
  viral_reader *r = viral_reader_open_memory("gen.csv", log, len, NULL, &err);
  const viral_record *rec;
  const viral_assembled_value *row;
  size_t before_end = 0, total = 0;
  double last_posted = -INFINITY;
  while (viral_reader_next(r, &rec, &err) == 1) {
    ck_assert_int_eq(viral_assembler_add(a, rec, &err), VIRAL_OK);
    while (viral_assembler_next(a, &row)) {
      ck_assert(row[1].number >= last_posted);
      last_posted = row[1].number;
      ck_assert_double_near(row[2].number, 20, 0); /* views_final */
      before_end++;
    }
  }
  total = before_end;
  ck_assert_int_eq(viral_assembler_finish(a, &err), VIRAL_OK);
  while (viral_assembler_next(a, &row)) {
    ck_assert(row[1].number >= last_posted);
    last_posted = row[1].number;
    total++;
  }
  ck_assert_uint_eq(total, N);
  ck_assert_msg(before_end >= N - 200, "only %zu of %d records left before the end", before_end, N);
  viral_reader_free(r);
  viral_assembler_free(a);
  free(log);
}
END_TEST

/* Three videos seen twice (views first, final): x 10 -> 20 (ratio 2),
 * y 10 -> 12 (1.2), z 0 -> 5 (no ratio: zero denominator, unlabeled), and w
 * seen once (dropped by min_sightings 2). Ages such as 3599/3600 h are
 * printed in their shortest exact form, as Python's repr() prints them. */
START_TEST(ratio_label_min_sightings_and_top_rule) {
  const char *log = "id,seen,posted,views\n"
                    "x,2026-01-01T01:00:00Z,2026-01-01T00:00:00Z,10\n"
                    "y,2026-01-01T01:00:00Z,2026-01-01T00:00:01Z,10\n"
                    "z,2026-01-01T01:00:00Z,2026-01-01T00:00:02Z,0\n"
                    "w,2026-01-01T01:00:00Z,2026-01-01T00:00:03Z,10\n"
                    "x,2026-01-02T01:00:00Z,2026-01-01T00:00:00Z,20\n"
                    "y,2026-01-02T01:00:00Z,2026-01-01T00:00:01Z,12\n"
                    "z,2026-01-02T01:00:00Z,2026-01-01T00:00:02Z,5\n";
  viral_assemble_options o;
  log_options(&o, views_only, 1);
  o.first = 1;
  o.min_sightings = 2;
  o.label = "ratio:views_final/views_s1>=1.5";
  viral_error err = {0};
  char *out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,age_s1_h,views_s1,views_final,views_peak,age_last_h,"
                   "sightings,viral\n"
                   "x,2026-01-01T00:00:00Z,1,10,20,20,25,2,1\n"
                   "y,2026-01-01T00:00:01Z,0.9997222222222222,10,12,12,24.99972222222222,2,0\n");
  free(out);
  /* top:50%: views_final of x, y, z are 20, 12, 5; ceil(0.5 * 3) = 2, so the
   * threshold is the 2nd largest, 12: x and y are positive */
  o.label = "top:50%:views_final";
  o.first = 0;
  out = assemble_text(&o, log, &err);
  ck_assert_msg(out != NULL, "%s", err.message);
  ck_assert_str_eq(out,
                   "video_id,posted_at,views_final,views_peak,age_last_h,sightings,viral\n"
                   "x,2026-01-01T00:00:00Z,20,20,25,2,1\n"
                   "y,2026-01-01T00:00:01Z,12,12,24.99972222222222,2,1\n"
                   "z,2026-01-01T00:00:02Z,5,5,24.999444444444446,2,0\n");
  free(out);
  o.label = "views_nope>=1";
  ck_assert_ptr_null(viral_assembler_create(&o, &err));
  ck_assert_str_eq(err.message, "label rule 'views_nope>=1': no output column 'views_nope'");
  viral_field_map twice[] = {{"views", "views", VIRAL_PARSE_COUNT}, {"views", "v", VIRAL_PARSE_COUNT}};
  o.counters = twice;
  o.counter_count = 2;
  ck_assert_ptr_null(viral_assembler_create(&o, &err));
  ck_assert_str_eq(err.message,
                   "output column 'views_final' would appear twice: rename a counter or attribute");
  o.counters = views_only;
  o.counter_count = 1;
  o.label = "views_final>>1";
  ck_assert_ptr_null(viral_assembler_create(&o, &err));
  ck_assert_str_eq(err.message, "label rule 'views_final>>1': bad threshold '>1'");
}
END_TEST

START_TEST(field_maps_parse_rules) {
  viral_field_map *m = NULL;
  size_t n = 0;
  viral_error err = {0};
  ck_assert_int_eq(viral_field_maps_parse("views=vid_nview,dur=vid_duration:duration,a:b,x",
                                          VIRAL_PARSE_COUNT, &m, &n, &err),
                   VIRAL_OK);
  ck_assert_uint_eq(n, 4);
  ck_assert_str_eq(m[0].name, "views");
  ck_assert_str_eq(m[0].source, "vid_nview");
  ck_assert_int_eq(m[0].parse, VIRAL_PARSE_COUNT);
  ck_assert_str_eq(m[1].source, "vid_duration");
  ck_assert_int_eq(m[1].parse, VIRAL_PARSE_DURATION);
  /* "a:b": b is no rule, so the column is "a:b" */
  ck_assert_str_eq(m[2].name, "a:b");
  ck_assert_str_eq(m[2].source, "a:b");
  ck_assert_str_eq(m[3].name, "x");
  viral_field_maps_free(m, n);
  ck_assert_int_eq(viral_field_maps_parse("views=,y", VIRAL_PARSE_COUNT, &m, &n, &err),
                   VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "bad field mapping 'views=': expected NAME=SOURCE[:RULE]");
}
END_TEST

/* ---- the command line ---- */

/* tiktok.csv: the id 7506832682593094928 >> 32 = 1747820685 =
 * 2025-05-21T09:44:45Z; scrape times are naive UTC+7, so 17:44:45 and
 * 18:44:45 are 10:44:45Z and 11:44:45Z: ages 1h (1.4M) and 2h (2.1M), and at
 * 1.5h 1400000 + 700000 / 2 = 1750000. */
START_TEST(cli_id_from_url_post_time_from_id_and_utc_offset) {
  char path[4096], args[8192];
  test_repo_path(path, sizeof path, "tests/data/assemble/tiktok.csv");
  snprintf(args, sizeof args,
           "assemble --id vid_url --id-regex '/video/([0-9]+)' --posted-at-from-id "
           "--observed-at vid_scrapeTime --utc-offset 7 --counters views=vid_nview --at 90m -q '%s'",
           path);
  char *out, *err;
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_str_eq(err, "");
  ck_assert_str_eq(out, "video_id,posted_at,views_1.5h,covered_1.5h,views_final,views_peak,"
                        "age_last_h,sightings\n"
                        "7506832682593094928,2025-05-21T09:44:45Z,1750000,1,2100000,2100000,2,2\n");
  free(out);
  free(err);
}
END_TEST

/* A CSV and a JSONL file with other column orders make one log: m seen at 0h
 * (1K) and 2h (3K): views_1h = 2000. */
START_TEST(cli_reads_many_files_of_either_format) {
  char a[4096], b[4096], args[9000];
  test_repo_path(a, sizeof a, "tests/data/assemble/mixed.csv");
  test_repo_path(b, sizeof b, "tests/data/assemble/mixed.jsonl");
  snprintf(args, sizeof args,
           "assemble --id id --observed-at seen --posted-at posted --counters views=v --at 1h "
           "--format jsonl '%s' '%s'",
           a, b);
  char *out, *err;
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_str_eq(out, "{\"video_id\":\"m\",\"posted_at\":\"2026-01-01T00:00:00Z\","
                        "\"views_1h\":2000,\"covered_1h\":1,\"views_final\":3000,"
                        "\"views_peak\":3000,\"age_last_h\":2,\"sightings\":2}\n");
  ck_assert_str_eq(err, "viral assemble: 1 records, 0 positive, from 2 rows of 1 videos; "
                        "unlabeled 0 (dropped), too few sightings 0, rows after the horizon 0\n");
  free(out);
  free(err);
}
END_TEST

START_TEST(cli_unsorted_log_with_horizon_is_a_data_error_without_output) {
  char path[4096], dir[4096], args[9000], target[4200];
  test_repo_path(path, sizeof path, "tests/data/assemble/basic.csv");
  test_tmpdir(dir, sizeof dir, "assemble_unsorted");
  snprintf(target, sizeof target, "%s/out.csv", dir);
  snprintf(args, sizeof args,
           "assemble --id id --observed-at seen --posted-at posted --counters views=v "
           "--horizon 6h -o '%s' '%s'",
           target, path);
  char *out, *err, want[9000];
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 1);
  snprintf(want, sizeof want,
           "viral assemble: %s:3: the log is not sorted by observed_at (2026-01-01T01:00:00Z "
           "comes after 2026-01-01T03:00:00Z): with a horizon the log is read as a stream and "
           "must be in time order; sort it by 'seen' or leave the horizon out\n",
           path);
  ck_assert_str_eq(err, want);
  ck_assert_ptr_null(test_read_file(target, NULL));
  free(out);
  free(err);
  /* horizon.csv has 'views', not 'v' */
  test_repo_path(path, sizeof path, "tests/data/assemble/horizon.csv");
  snprintf(args, sizeof args,
           "assemble --id id --observed-at seen --posted-at posted --counters views=v "
           "-o '%s' '%s'", target, path);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 1);
  ck_assert_str_eq(err, "viral assemble: no input has the field 'v' (counter 'views')\n");
  ck_assert_ptr_null(test_read_file(target, NULL));
  free(out);
  free(err);
  ck_assert_int_eq(test_run_viral("assemble --id id --observed-at seen", NULL, &out, &err), 2);
  ck_assert_str_eq(err, "viral assemble: give one of --posted-at FIELD and --posted-at-from-id "
                        "(try 'viral assemble --help')\n");
  free(out);
  free(err);
}
END_TEST

/* ---- many poll files, one log ---- */

static double time_in(const char *path, const char *pattern, int offset_minutes) {
  double t = -1;
  viral_error err;
  viral_error_clear(&err);
  ck_assert_msg(viral_assemble_time_in_name(path, pattern, offset_minutes, &t, &err) == VIRAL_OK,
                "%s: %s", path, err.message);
  return t;
}

static void time_in_name_fails(const char *path, const char *pattern, int code, const char *message) {
  double t;
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(viral_assemble_time_in_name(path, pattern, 0, &t, &err), code);
  ck_assert_str_eq(err.message, message);
}

/* 2026-03-02T18:00:00Z is 1772474400 (date -u -d ... +%s). */
START_TEST(poll_time_from_the_file_name) {
  ck_assert(time_in("polls/2026-03-02T180000Z.json", "%Y-%m-%dT%H%M%SZ", 0) == 1772474400);
  /* found anywhere in the base name, text after it ignored (Apify's milliseconds) */
  ck_assert(time_in("x/dataset_tiktok-scraper_2026-03-02_18-00-12-345.json", "%Y-%m-%d_%H-%M-%S", 0) ==
            1772474412);
  ck_assert(time_in("v2_20260302T1800.json", "%Y%m%dT%H%M", 0) == 1772474400);
  /* naive: at the UTC offset given (+01:00 is an hour earlier in UTC) */
  ck_assert(time_in("poll 2026-03-02 18h.json", "%Y-%m-%d %Hh", 60) == 1772474400 - 3600);
  /* %s is unix seconds, read here (strptime's would be the machine's local time) */
  ck_assert(time_in("poll-1772474400.json", "poll-%s.json", 0) == 1772474400);
  ck_assert(time_in("1772474400", "%s", 0) == 1772474400);
  /* a match starts at the name's start or after a byte that is not a digit:
   * 2026 is not read out of 112026, and the directory does not count */
  time_in_name_fails("d/112026-03-02.csv", "%Y-%m-%d", VIRAL_ERR_PARSE,
                     "d/112026-03-02.csv: no time in the file name by the pattern '%Y-%m-%d'");
  time_in_name_fails("2026-03-02/poll.json", "%Y-%m-%d", VIRAL_ERR_PARSE,
                     "2026-03-02/poll.json: no time in the file name by the pattern '%Y-%m-%d'");
  /* an impossible date is no time */
  time_in_name_fails("2026-02-30.json", "%Y-%m-%d", VIRAL_ERR_PARSE,
                     "2026-02-30.json: no time in the file name by the pattern '%Y-%m-%d'");
  static const char *const bad[] = {"poll", "%%", "%s-%Y"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char want[256];
    snprintf(want, sizeof want,
             "file name pattern '%s': expected strptime conversions such as %%Y%%m%%dT%%H%%M%%S, or "
             "one %%s (unix seconds) with literal text", bad[i]);
    time_in_name_fails("poll-1772474400.json", bad[i], VIRAL_ERR_INVALID, want);
  }
}
END_TEST

static void list_inputs(const char *const *paths, size_t n, const char *pattern, const double *times,
                        size_t ntimes, const char *want) {
  viral_assemble_input *in;
  size_t count;
  viral_error err;
  viral_error_clear(&err);
  ck_assert_msg(viral_assemble_inputs(paths, n, pattern, times, ntimes, 0, &in, &count, &err) == VIRAL_OK,
                "%s", err.message);
  char got[4096] = "";
  for (size_t i = 0; i < count; i++) {
    const char *base = strrchr(in[i].path, '/');
    snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s@%.0f", i ? " " : "",
             base ? base + 1 : in[i].path, in[i].has_time ? in[i].time : -1.0);
  }
  ck_assert_str_eq(got, want);
  viral_assemble_inputs_free(in, count);
}

/* A directory gives its files by name (not hidden ones, not directories);
 * times come per path or from names, and then order the polls. */
START_TEST(inputs_from_directories_in_poll_order) {
  char dir[4096], path[4300], sub[4300], empty[4300];
  test_tmpdir(dir, sizeof dir, "assemble_inputs");
  static const char *const names[] = {"p-1772478000.json", "p-1772474400.json", ".p-1.json", "notes.txt"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    test_write_file(path, "[]");
  }
  snprintf(sub, sizeof sub, "%s/sub", dir);
  mkdir(sub, 0777);
  const char *paths[] = {dir};
  list_inputs(paths, 1, NULL, NULL, 0, "notes.txt@-1 p-1772474400.json@-1 p-1772478000.json@-1");
  /* one time for all */
  double t0 = 1772474400, times[] = {1772478000, 1772474400};
  list_inputs(paths, 1, NULL, &t0, 1, "notes.txt@1772474400 p-1772474400.json@1772474400 p-1772478000.json@1772474400");
  /* a time per path: read in time order, whatever order they were given in */
  char a[4300], b[4300];
  snprintf(a, sizeof a, "%s/p-1772478000.json", dir);
  snprintf(b, sizeof b, "%s/p-1772474400.json", dir);
  const char *two[] = {a, b};
  list_inputs(two, 2, NULL, times, 2, "p-1772474400.json@1772474400 p-1772478000.json@1772478000");
  list_inputs(two, 2, "p-%s.json", NULL, 0, "p-1772474400.json@1772474400 p-1772478000.json@1772478000");
  /* errors */
  viral_assemble_input *in;
  size_t count;
  viral_error err;
  ck_assert_int_eq(viral_assemble_inputs(paths, 1, "p-%s.json", NULL, 0, 0, &in, &count, &err),
                   VIRAL_ERR_PARSE);
  char want[4500];
  snprintf(want, sizeof want, "%s/notes.txt: no time in the file name by the pattern 'p-%%s.json'", dir);
  ck_assert_str_eq(err.message, want);
  ck_assert_int_eq(viral_assemble_inputs(two, 2, NULL, times, 3, 0, &in, &count, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "3 observed times for 2 inputs: give one, or one per input");
  const char *from_stdin[] = {"-"};
  ck_assert_int_eq(viral_assemble_inputs(from_stdin, 1, "%s", NULL, 0, 0, &in, &count, &err),
                   VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "standard input has no file name to take a time from");
  snprintf(empty, sizeof empty, "%s/sub", dir);
  const char *none[] = {empty};
  ck_assert_int_eq(viral_assemble_inputs(none, 1, NULL, NULL, 0, 0, &in, &count, &err), VIRAL_ERR_INVALID);
  snprintf(want, sizeof want, "%s: no files in the directory", empty);
  ck_assert_str_eq(err.message, want);
}
END_TEST

/* Rows of each poll file take the time set for it; the option is for an
 * assembler whose rows carry no time. */
START_TEST(observed_time_set_per_input) {
  viral_assemble_options o;
  viral_assemble_options_init(&o);
  static const viral_field_map views[] = {{"views", "v", VIRAL_PARSE_COUNT}};
  o.id_field = "id";
  o.posted_at_field = "posted";
  o.has_observed_time = 1;
  o.counters = views;
  o.counter_count = 1;
  viral_error err;
  viral_assembler *a = viral_assembler_create(&o, &err);
  ck_assert_ptr_nonnull(a);
  const char *polls[] = {"id,posted,v\nx,2026-01-01T00:00:00Z,10\n", "id,posted,v\nx,2026-01-01T00:00:00Z,30\n"};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(viral_assembler_set_observed_time(a, 1767225600 + 3600 * (k + 1)), VIRAL_OK);
    viral_reader *r = viral_reader_open_memory("poll.csv", polls[k], strlen(polls[k]), NULL, &err);
    const viral_record *rec;
    ck_assert_int_eq(viral_reader_next(r, &rec, &err), 1);
    ck_assert_int_eq(viral_assembler_add(a, rec, &err), VIRAL_OK);
    viral_assembler_input_done(a, r);
    viral_reader_free(r);
  }
  ck_assert_int_eq(viral_assembler_finish(a, &err), VIRAL_OK);
  const viral_assembled_value *row;
  ck_assert_int_eq(viral_assembler_next(a, &row), 1);
  /* views_final, views_peak, age_last_h (2 h: the second poll), sightings */
  ck_assert(row[2].number == 30 && row[4].number == 2 && row[5].number == 2);
  viral_assembler_free(a);
  o.has_observed_time = 0;
  o.observed_at_field = "seen";
  a = viral_assembler_create(&o, &err);
  ck_assert_int_eq(viral_assembler_set_observed_time(a, 0), VIRAL_ERR_INVALID);
  viral_assembler_free(a);
}
END_TEST

/* ---- the real datasets (tools/real-data.sh holds the commands) ---- */

/* Counts of one dataset in real-data.sh's table ("NAME ROWS POSITIVES"). */
static void expect_counts(const char *table, const char *name, long rows, long positives) {
  const char *line = strstr(table, name);
  ck_assert_msg(line != NULL, "no line for %s in:\n%s", name, table);
  long r = -1, p = -1;
  ck_assert_int_eq(sscanf(line + strlen(name), "%ld %ld", &r, &p), 2);
  ck_assert_msg(r == rows && p == positives, "%s: %ld rows, %ld positives; expected %ld, %ld",
                name, r, p, rows, positives);
}

/* Independent counts, by a short Python script over the raw files (see
 * datasets/REAL.md): TikTok-VN A->C 7,880 re-crawled videos minus 2 rows with
 * a broken "Share" cell, 1 re-crawl without views and 1 video with 0 views at
 * A = 7,876 pairs, 992 with views_C / views_A >= 1.5 (SOURCE.md: 7,876 and
 * 992); Reddit 4,610 posts, the top 10% by peak score = ceil(461.0) = 461
 * (threshold 17,985); Bilibili 335 videos in all 9 snapshots, 66 of them
 * with views(last) / views(first) >= 1.5; TikTok trending 1,000 videos, the
 * top 10% of plays = 100 (SOURCE.md: 100). */
START_TEST(real_datasets_rows_and_positives) {
  char raw[4096], script[4096], dir[4096], cmd[16384];
  test_shared_path(raw, sizeof raw, "raw/tiktok-vn-2025/raw_data.csv");
  test_shared_path(raw, sizeof raw, "raw/reddit-rall-hourly/2024-01/core_data.csv");
  test_shared_path(raw, sizeof raw, "raw/bilibili-hot-hourly/bilibili_hot_videos_server.csv");
  test_shared_path(raw, sizeof raw, "raw/tiktok-trending-2020/trending.json");
  test_repo_path(script, sizeof script, "tools/real-data.sh");
  test_tmpdir(dir, sizeof dir, "real_data");
  snprintf(cmd, sizeof cmd, "VIRAL='%s' VIRAL_SHARED_DATASETS='%s' '%s' '%s' > '%s/table.txt'",
           VIRAL_BINARY, VIRAL_SHARED_DATASETS, script, dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  char table_path[4200];
  snprintf(table_path, sizeof table_path, "%s/table.txt", dir);
  char *table = test_read_file(table_path, NULL);
  ck_assert_ptr_nonnull(table);
  expect_counts(table, "tiktok-vn-2025 ", 7876, 992);
  expect_counts(table, "reddit-rall-hourly ", 4610, 461);
  expect_counts(table, "bilibili-hot-hourly ", 335, 66);
  expect_counts(table, "tiktok-trending-2020 ", 1000, 100);
  free(table);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("assemble");
  TCase *core = tcase_create("core");
  tcase_add_test(core, interpolation_is_linear_and_never_extrapolates);
  tcase_add_test(core, interpolates_at_ages_orders_by_posted_at_and_keeps_first_attributes);
  tcase_add_test(core, horizon_outcomes_and_unlabeled_keep_or_drop);
  tcase_add_test(core, made_rows_are_their_json_lines);
  tcase_add_test(core, horizon_refuses_an_unsorted_log);
  tcase_add_test(core, event_times_close_by_time_before_a_late_look);
  tcase_add_test(core, horizon_streams_records_before_the_log_ends);
  tcase_add_test(core, ratio_label_min_sightings_and_top_rule);
  tcase_add_test(core, field_maps_parse_rules);
  tcase_add_test(core, poll_time_from_the_file_name);
  tcase_add_test(core, inputs_from_directories_in_poll_order);
  tcase_add_test(core, observed_time_set_per_input);
  suite_add_tcase(s, core);
  TCase *cli = tcase_create("cli");
  tcase_add_test(cli, cli_id_from_url_post_time_from_id_and_utc_offset);
  tcase_add_test(cli, cli_reads_many_files_of_either_format);
  tcase_add_test(cli, cli_unsorted_log_with_horizon_is_a_data_error_without_output);
  suite_add_tcase(s, cli);
  TCase *real = tcase_create("real");
  tcase_set_tags(real, "shared");
  tcase_add_test(real, real_datasets_rows_and_positives);
  suite_add_tcase(s, real);
  return s;
}

int main(void) { return test_main(make_suite()); }
