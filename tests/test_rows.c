/* test_rows.c - the row source (viral/rows.h): the one bad-row policy,
 * labels and ids, metadata, selected records, passes, the input check,
 * shares of one input, and the same rows from a file, from memory and from
 * a dataset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/rows.h"

static const char *small_spec =
    "{\"window\": \"2h\", \"label\": \"viral\", \"hash_bits\": 4, \"scaling\": \"none\", \"features\": ["
    "{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
    "{\"transform\": \"hash\", \"field\": \"music_id\"}]}";

/* two good rows, a bad count (line 3), no label (line 5), a good row */
static const char *data =
    "video_id,posted_at,views_1h,music_id,viral,extra\n"
    "a,2026-03-01T00:00:00Z,3,s1,1,0.5\n"
    "b,2026-03-01T01:00:00Z,-5,s2,0,1\n"
    "c,2026-03-01T02:00:00Z,8,s1,0,2\n"
    ",2026-03-01T03:00:00Z,4,s3,,3\n"
    "e,,9,s2,1,\n";

static viral_pipeline *pipeline(void) {
  viral_error err;
  viral_pipeline *p = viral_pipeline_parse_spec("small", small_spec, strlen(small_spec), NULL, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

static viral_rows *open_data(viral_pipeline *p, int skip, const viral_rows_options *o) {
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.format = VIRAL_FORMAT_CSV;
  ro.skip_bad_rows = skip;
  viral_error err;
  viral_rows *s = viral_rows_open_memory(p, "d.csv", data, strlen(data), &ro, o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  return s;
}

typedef struct told {
  int n;
  char last[VIRAL_ERROR_MAX];
} told;

static void tell(void *ctx, const viral_error *why) {
  told *t = ctx;
  t->n++;
  snprintf(t->last, sizeof t->last, "%s", why->message);
}

START_TEST(a_bad_row_stops_the_pass_or_is_skipped_and_told) {
  viral_pipeline *p = pipeline();
  viral_error err;
  const viral_row *row;
  viral_rows *s = open_data(p, 0, NULL);
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
  ck_assert_int_lt(viral_rows_next(s, &row, &err), 0);
  ck_assert_str_eq(err.message, "d.csv:3: field 'views_1h': bad count '-5'");
  viral_rows_free(s);

  told t = {0, ""};
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.skipped = tell;
  o.skipped_ctx = &t;
  o.times = 1;
  o.ids = VIRAL_ROWS_ID;
  s = open_data(p, 1, &o);
  const char *ids[3] = {"a", "c", "e"};
  uint64_t records[3] = {0, 2, 4};
  for (int k = 0; k < 3; k++) {
    ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
    ck_assert_uint_eq(row->record, records[k]);
    ck_assert_uint_eq(row->id_len, 1);
    ck_assert(row->id[0] == ids[k][0]);
    ck_assert(row->weight == 1);
    ck_assert(row->x && row->x->count > 0);
  }
  ck_assert(row->posted_at != row->posted_at); /* e has none: NAN */
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 0);
  viral_rows_counts c;
  viral_rows_get_counts(s, &c);
  ck_assert_uint_eq(c.records, 5);
  ck_assert_uint_eq(c.rows, 3);
  ck_assert_uint_eq(c.bad_rows, 1);
  ck_assert_uint_eq(c.unlabeled, 1);
  ck_assert_int_eq(t.n, 1);
  ck_assert_str_eq(t.last, "d.csv:3: field 'views_1h': bad count '-5'");
  viral_rows_free(s);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(labels_and_ids_as_asked) {
  viral_pipeline *p = pipeline();
  viral_error err;
  const viral_row *row;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_LABEL_REQUIRED;
  viral_rows *s = open_data(p, 1, &o);
  while (viral_rows_next(s, &row, &err) == 1) continue;
  viral_rows_counts c;
  viral_rows_get_counts(s, &c);
  ck_assert_uint_eq(c.bad_rows, 2); /* the bad count, and the row without a label */
  ck_assert_uint_eq(c.unlabeled, 0);
  viral_rows_free(s);

  o.labels = VIRAL_ROWS_LABEL_REQUIRED;
  s = open_data(p, 0, &o);
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
  ck_assert_int_lt(viral_rows_next(s, &row, &err), 0); /* the bad count first */
  viral_rows_free(s);

  o.labels = VIRAL_ROWS_ANY_LABEL;
  s = open_data(p, 1, &o);
  int nan = 0;
  while (viral_rows_next(s, &row, &err) == 1) nan += isnan(row->label);
  ck_assert_int_eq(nan, 1);
  viral_rows_free(s);

  o.labels = VIRAL_ROWS_NO_LABEL;
  o.ids = VIRAL_ROWS_ID_REQUIRED;
  told t = {0, ""};
  o.skipped = tell;
  o.skipped_ctx = &t;
  s = open_data(p, 1, &o);
  int rows = 0;
  while (viral_rows_next(s, &row, &err) == 1) rows++, ck_assert(isnan(row->label));
  ck_assert_int_eq(rows, 3);
  ck_assert_str_eq(t.last, "d.csv:5: no video_id (every scored row needs one)");
  viral_rows_free(s);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(columns_records_passes_and_rejects) {
  viral_pipeline *p = pipeline();
  viral_error err;
  const viral_row *row;
  const char *const columns[2] = {"extra", "nothing"};
  const uint64_t records[2] = {2, 4};
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.columns = columns;
  o.column_count = 2;
  o.records = records;
  o.record_count = 2;
  o.checked = 1;
  viral_rows *s = open_data(p, 1, &o);
  for (int pass = 0; pass < 2; pass++) {
    ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
    ck_assert_uint_eq(row->record, 2);
    ck_assert(row->columns[0] == 2 && isnan(row->columns[1]));
    ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
    ck_assert_uint_eq(row->record, 4);
    ck_assert(isnan(row->columns[0]));
    ck_assert_int_eq(viral_rows_next(s, &row, &err), 0);
    ck_assert_int_eq(viral_rows_rewind(s, &err), VIRAL_OK);
  }
  viral_rows_free(s);

  /* a row the consumer refuses is a bad row too */
  s = open_data(p, 1, NULL);
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
  viral_error_set(&err, VIRAL_ERR_INVALID, "d.csv", 2, "not for me");
  ck_assert_int_eq(viral_rows_reject(s, &err), VIRAL_OK);
  while (viral_rows_next(s, &row, &err) == 1) continue;
  viral_rows_counts c;
  viral_rows_get_counts(s, &c);
  ck_assert_uint_eq(c.rows, 2);
  ck_assert_uint_eq(c.bad_rows, 2);
  viral_rows_free(s);

  viral_pipeline_free(p);
}
END_TEST

START_TEST(a_dataset_gives_the_same_rows) {
  viral_pipeline *p = pipeline();
  viral_error err;
  const viral_row *row;
  viral_dataset ds;
  viral_dataset_init(&ds);
  viral_rows *s = open_data(p, 1, NULL);
  while (viral_rows_next(s, &row, &err) == 1) ck_assert_int_eq(viral_dataset_append(&ds, row->x, row->label), VIRAL_OK);
  viral_rows_free(s);
  ck_assert_uint_eq(ds.rows, 3);
  s = viral_rows_open_dataset(&ds, NULL, &err);
  viral_rows *f = open_data(p, 1, NULL);
  const viral_row *a;
  for (int k = 0; k < 3; k++) {
    ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
    ck_assert_int_eq(viral_rows_next(f, &a, &err), 1);
    ck_assert_uint_eq(row->record, (uint64_t)k);
    ck_assert(row->label == a->label && row->rec == NULL && isnan(row->posted_at));
    ck_assert_uint_eq(row->x->count, a->x->count);
    for (size_t i = 0; i < a->x->count; i++)
      ck_assert(row->x->items[i].index == a->x->items[i].index && row->x->items[i].value == a->x->items[i].value);
  }
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 0);
  ck_assert_int_eq(viral_rows_rewind(s, &err), VIRAL_OK);
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
  ck_assert_int_eq(viral_rows_fit(s, &err), VIRAL_ERR_INVALID);
  ck_assert_int_eq(viral_rows_no_labels(s, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "no labelled rows to learn from");
  viral_rows_free(s);
  viral_rows_free(f);
  viral_dataset_release(&ds);
  viral_pipeline_free(p);
}
END_TEST

/* A JSON input without a field the spec reads is an error after
 * check_after records, not at its end (output held back until then). */
START_TEST(the_input_is_checked_after_check_after_records) {
  viral_pipeline *p = pipeline();
  viral_error err;
  const viral_row *row;
  const char *json = "{\"video_id\":\"a\",\"views_1h\":1,\"viral\":1}\n{\"video_id\":\"b\",\"views_1h\":2,\"viral\":0}\n"
                     "{\"video_id\":\"c\",\"views_1h\":3,\"viral\":0}\n";
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.format = VIRAL_FORMAT_JSONL;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.check_after = 2;
  viral_rows *s = viral_rows_open_memory(p, "d.jsonl", json, strlen(json), &ro, &o, &err);
  ck_assert_int_eq(viral_rows_next(s, &row, &err), 1);
  ck_assert(!viral_rows_input_checked(s));
  ck_assert_int_eq(viral_rows_next(s, &row, &err), VIRAL_ERR_MISSING);
  ck_assert_msg(strstr(err.message, "the input lacks fields the spec reads: music_id") != NULL, "%s", err.message);
  viral_rows_free(s);
  viral_pipeline_free(p);
}
END_TEST

/* Shares of one input (several processes of an MPI job): each gets the
 * records of its blocks, bad rows are its own, the counts of records are
 * the whole input's. Blocks of 2: share 0 has records 0, 1 and 4 (a, the
 * bad count, e), share 1 records 2 and 3 (c, no label). */
START_TEST(shares_split_the_records_in_blocks) {
  viral_pipeline *p = pipeline();
  viral_error err;
  const viral_row *row;
  static const char *const ids[2] = {"ae", "c"};
  static const uint64_t bad[2] = {1, 0}, unlabeled[2] = {0, 1};
  for (unsigned share = 0; share < 2; share++) {
    viral_rows_options o;
    viral_rows_options_init(&o);
    o.ids = VIRAL_ROWS_ID;
    o.shares = 2;
    o.share = share;
    o.share_block = 2;
    viral_rows *s = open_data(p, 1, &o);
    char got[8] = "";
    while (viral_rows_next(s, &row, &err) == 1) {
      ck_assert_uint_eq((row->record / 2) % 2, share);
      strncat(got, row->id, row->id_len);
    }
    ck_assert_str_eq(got, ids[share]);
    viral_rows_counts c;
    viral_rows_get_counts(s, &c);
    ck_assert_uint_eq(c.records, 5);
    ck_assert_uint_eq(c.bad_rows, bad[share]);
    ck_assert_uint_eq(c.unlabeled, unlabeled[share]);
    viral_rows_free(s);
    /* strict: only the share that holds the bad row fails, at its line */
    s = open_data(p, 0, &o);
    int rc;
    while ((rc = viral_rows_next(s, &row, &err)) == 1) continue;
    if (share == 0) {
      ck_assert_int_lt(rc, 0);
      ck_assert_msg(strstr(err.message, "d.csv:3:") != NULL, "%s", err.message);
    } else {
      ck_assert_int_eq(rc, 0);
    }
    viral_rows_free(s);
  }
  viral_pipeline_free(p);
}
END_TEST

/* ---- byte ranges of one input (share_bytes) ---- */

/* n records of CSV: quoted cells with commas when quoted, CRLF line ends
 * when crlf; record bad (0-based, or -1) has a negative count. */
static char *csv_records(int n, int quoted, int crlf, int bad) {
  size_t cap = 128 + (size_t)n * 128, used = 0;
  char *t = malloc(cap);
  const char *eol = crlf ? "\r\n" : "\n";
  used += (size_t)snprintf(t + used, cap - used, "video_id,posted_at,views_1h,music_id,viral,extra%s", eol);
  for (int i = 0; i < n; i++) {
    int views = i == bad ? -5 : (i * 37) % 101;
    used += (size_t)snprintf(t + used, cap - used, "v%d,2026-03-01T%02d:00:00Z,%d,s%d,%s,", i, i % 24,
                             views, i % 7, i % 5 == 4 ? "" : i % 3 ? "0" : "1");
    if (quoted) used += (size_t)snprintf(t + used, cap - used, "\"note, \"\"%d\"\"\"%s", i, eol);
    else used += (size_t)snprintf(t + used, cap - used, "%d%s", i * i, eol);
  }
  return t;
}

static char *jsonl_records(int n) {
  size_t cap = 64 + (size_t)n * 160, used = 0;
  char *t = malloc(cap);
  for (int i = 0; i < n; i++)
    used += (size_t)snprintf(t + used, cap - used,
                             "{\"video_id\": \"v%d\", \"posted_at\": \"2026-03-01T%02d:00:00Z\", "
                             "\"views_1h\": %d, \"music_id\": \"s%d\"%s}\n%s",
                             i, i % 24, (i * 37) % 101, i % 7, i % 5 == 4 ? "" : i % 3 ? ", \"viral\": 0" : ", \"viral\": 1",
                             i % 9 == 8 ? "\n" : "");
  return t;
}

/* Append what a row is (record, label, time, id, vector) to buf. */
static void describe_row(char *buf, size_t size, const viral_row *row) {
  size_t used = strlen(buf);
  used += (size_t)snprintf(buf + used, size - used, "%llu %g %.17g %.*s:", (unsigned long long)row->record,
                           row->label, row->posted_at, (int)row->id_len, row->id ? row->id : "");
  for (size_t k = 0; k < row->x->count && used < size; k++)
    used += (size_t)snprintf(buf + used, size - used, " %u=%.17g", (unsigned)row->x->items[k].index,
                             row->x->items[k].value);
  if (used < size) snprintf(buf + used, size - used, "\n");
}

/* The rows of path as share `share` of `shares` by byte ranges (shares 0:
 * the whole input), appended to buf; the counts added to *total. The
 * source's sharing is checked against want. */
static void read_share(const char *path, int skip, unsigned shares, unsigned share,
                       viral_rows_sharing want, char *buf, size_t size, viral_rows_counts *total) {
  viral_pipeline *p = pipeline();
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.skip_bad_rows = skip;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_ANY_LABEL;
  o.ids = VIRAL_ROWS_ID;
  o.times = 1;
  o.shares = shares;
  o.share = share;
  o.share_bytes = 1;
  viral_error err;
  viral_rows *s = viral_rows_open(p, path, &ro, &o, &err);
  ck_assert_msg(s != NULL, "%s (share %u of %u, %d)", err.message, share, shares, err.code);
  ck_assert_int_eq(viral_rows_get_sharing(s), shares > 1 ? want : VIRAL_ROWS_UNSHARED);
  const viral_row *row;
  int rc;
  while ((rc = viral_rows_next(s, &row, &err)) == 1) describe_row(buf, size, row);
  ck_assert_msg(rc == 0, "%s", err.message);
  ck_assert_int_eq(viral_rows_sum_shares(s, &err), VIRAL_OK);
  viral_rows_counts c;
  viral_rows_get_counts(s, &c);
  total->records += c.records, total->rows += c.rows, total->unlabeled += c.unlabeled,
      total->bad_rows += c.bad_rows;
  viral_rows_free(s);
  viral_pipeline_free(p);
}

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* text's lines sorted, in place (dealt shares give the rows out of order). */
static void sort_lines(char *text) {
  size_t n = 0, len = strlen(text);
  char **lines = malloc((len + 1) * sizeof *lines), *copy = strdup(text);
  for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) lines[n++] = line;
  qsort(lines, n, sizeof *lines, by_text);
  text[0] = '\0';
  for (size_t i = 0; i < n; i++) strcat(strcat(text, lines[i]), "\n");
  free(lines);
  free(copy);
}

/* The shares of path, in share order, give the rows of the whole input:
 * the same vectors, labels, records, times and ids, and counts that add up
 * to the whole input's (dealt shares: the same rows, in another order). */
static void shares_read_the_whole(const char *path, int skip, viral_rows_sharing want) {
  enum { SIZE = 1 << 20 };
  char *whole = calloc(1, SIZE), *joined = calloc(1, SIZE);
  viral_rows_counts one = {0, 0, 0, 0};
  read_share(path, skip, 0, 0, want, whole, SIZE, &one);
  ck_assert_uint_gt(one.rows, 0);
  static const unsigned counts[] = {2, 3, 4, 7, 16};
  for (size_t n = 0; n < sizeof counts / sizeof *counts; n++) {
    viral_rows_counts sum = {0, 0, 0, 0};
    joined[0] = '\0';
    for (unsigned share = 0; share < counts[n]; share++)
      read_share(path, skip, counts[n], share, want, joined, SIZE, &sum);
    if (want == VIRAL_ROWS_DEALT) sort_lines(joined), sort_lines(whole);
    ck_assert_msg(strcmp(whole, joined) == 0, "%s in %u shares:\n%s\nwhole:\n%s", path, counts[n], joined, whole);
    if (want == VIRAL_ROWS_BYTE_RANGE) {
      ck_assert_uint_eq(sum.records, one.records);
      ck_assert_uint_eq(sum.bad_rows, one.bad_rows);
    }
    ck_assert_uint_eq(sum.rows, one.rows);
    ck_assert_uint_eq(sum.unlabeled, one.unlabeled);
  }
  free(whole);
  free(joined);
}

static const char *write_tmp(char *path, size_t size, const char *name, char *text) {
  char dir[512];
  test_tmpdir(dir, sizeof dir, "rows_bytes");
  snprintf(path, size, "%s/%s", dir, name);
  test_write_file(path, text);
  free(text);
  return path;
}

START_TEST(byte_shares_read_the_whole_input_once) {
  char path[600];
  shares_read_the_whole(write_tmp(path, sizeof path, "plain.csv", csv_records(60, 0, 0, -1)), 0,
                        VIRAL_ROWS_BYTE_RANGE);
  shares_read_the_whole(write_tmp(path, sizeof path, "quoted.csv", csv_records(60, 1, 0, -1)), 0,
                        VIRAL_ROWS_BYTE_RANGE);
  shares_read_the_whole(write_tmp(path, sizeof path, "crlf.csv", csv_records(60, 1, 1, -1)), 0,
                        VIRAL_ROWS_BYTE_RANGE);
  /* fewer records than shares: some shares are empty */
  shares_read_the_whole(write_tmp(path, sizeof path, "tiny.csv", csv_records(2, 0, 0, -1)), 0,
                        VIRAL_ROWS_BYTE_RANGE);
  shares_read_the_whole(write_tmp(path, sizeof path, "bad.csv", csv_records(60, 0, 0, 41)), 1,
                        VIRAL_ROWS_BYTE_RANGE);
  shares_read_the_whole(write_tmp(path, sizeof path, "v.jsonl", jsonl_records(60)), 0, VIRAL_ROWS_BYTE_RANGE);
  /* a JSON document cannot be cut: the shares deal its records */
  char *doc = malloc(1 << 16);
  char *lines = jsonl_records(30);
  size_t used = (size_t)sprintf(doc, "[");
  for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"))
    used += (size_t)sprintf(doc + used, "%s%s", used > 1 ? ",\n" : "", line);
  sprintf(doc + used, "]\n");
  free(lines);
  shares_read_the_whole(write_tmp(path, sizeof path, "doc.json", doc), 0, VIRAL_ROWS_DEALT);
}
END_TEST

/* Records selected by number: each share returns those of its range. */
START_TEST(byte_shares_keep_the_selected_records) {
  char path[600];
  write_tmp(path, sizeof path, "plain.csv", csv_records(60, 0, 0, -1));
  static const uint64_t wanted[] = {0, 5, 20, 21, 58, 59};
  viral_pipeline *p = pipeline();
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_ANY_LABEL;
  o.records = wanted;
  o.record_count = sizeof wanted / sizeof *wanted;
  o.shares = 4;
  o.share_bytes = 1;
  size_t got = 0;
  for (o.share = 0; o.share < o.shares; o.share++) {
    viral_error err;
    viral_rows *s = viral_rows_open(p, path, NULL, &o, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    const viral_row *row;
    while (viral_rows_next(s, &row, &err) == 1) {
      ck_assert_uint_lt(got, o.record_count);
      ck_assert_uint_eq(row->record, wanted[got++]);
    }
    viral_rows_free(s);
  }
  ck_assert_uint_eq(got, o.record_count);
  viral_pipeline_free(p);
}
END_TEST

/* A bad row in the last share: that share alone fails, at the line one
 * process names; the shares before it do not. */
START_TEST(byte_shares_name_the_whole_inputs_lines) {
  char path[600];
  write_tmp(path, sizeof path, "bad.csv", csv_records(60, 1, 0, 55)); /* line 57 */
  char want[700];
  snprintf(want, sizeof want, "%s:57: ", path);
  viral_pipeline *p = pipeline();
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.shares = 3;
  o.share_bytes = 1;
  for (o.share = 0; o.share < 3; o.share++) {
    viral_error err;
    viral_rows *s = viral_rows_open(p, path, NULL, &o, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    const viral_row *row;
    int rc;
    while ((rc = viral_rows_next(s, &row, &err)) == 1) continue;
    if (o.share < 2) ck_assert_msg(rc == 0, "%s", err.message);
    else ck_assert_msg(rc < 0 && strstr(err.message, want) == err.message, "%s", err.message);
    viral_rows_free(s);
  }
  viral_pipeline_free(p);
}
END_TEST

/* A quoted field holding line ends across a cut: an error naming the file
 * and the byte, for the shares on either side of the cut, never rows cut
 * in two. */
START_TEST(a_cut_inside_a_quoted_field_is_an_error) {
  char path[600];
  size_t cap = 1 << 14, used = 0;
  char *t = malloc(cap);
  used += (size_t)snprintf(t + used, cap - used, "video_id,views_1h,viral,extra\na,1,1,x\nb,2,0,\"");
  for (int i = 0; i < 300; i++) used += (size_t)snprintf(t + used, cap - used, "line %d\n", i);
  snprintf(t + used, cap - used, "end\"\nc,3,1,y\n");
  write_tmp(path, sizeof path, "spans.csv", t);
  viral_pipeline *p = pipeline();
  viral_pipeline_set_allow_missing(p, 1);
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.shares = 2;
  o.share_bytes = 1;
  char want[700];
  snprintf(want, sizeof want, "cannot cut %s at byte ", path);
  for (o.share = 0; o.share < 2; o.share++) {
    viral_error err;
    viral_rows *s = viral_rows_open(p, path, NULL, &o, &err);
    ck_assert_msg(s == NULL, "share %u opened", o.share);
    ck_assert_msg(strstr(err.message, want) == err.message, "%s", err.message);
    ck_assert_msg(strstr(err.message, "a quoted field spans a line end there") != NULL, "%s", err.message);
  }
  viral_pipeline_free(p);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("rows");
  TCase *tc = tcase_create("rows");
  tcase_add_test(tc, a_bad_row_stops_the_pass_or_is_skipped_and_told);
  tcase_add_test(tc, labels_and_ids_as_asked);
  tcase_add_test(tc, columns_records_passes_and_rejects);
  tcase_add_test(tc, a_dataset_gives_the_same_rows);
  tcase_add_test(tc, the_input_is_checked_after_check_after_records);
  tcase_add_test(tc, shares_split_the_records_in_blocks);
  tcase_add_test(tc, byte_shares_read_the_whole_input_once);
  tcase_add_test(tc, byte_shares_keep_the_selected_records);
  tcase_add_test(tc, byte_shares_name_the_whole_inputs_lines);
  tcase_add_test(tc, a_cut_inside_a_quoted_field_is_an_error);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
