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

static Suite *make_suite(void) {
  Suite *s = suite_create("rows");
  TCase *tc = tcase_create("rows");
  tcase_add_test(tc, a_bad_row_stops_the_pass_or_is_skipped_and_told);
  tcase_add_test(tc, labels_and_ids_as_asked);
  tcase_add_test(tc, columns_records_passes_and_rejects);
  tcase_add_test(tc, a_dataset_gives_the_same_rows);
  tcase_add_test(tc, the_input_is_checked_after_check_after_records);
  tcase_add_test(tc, shares_split_the_records_in_blocks);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
