/* test_record_builder.c - records built from values in C (viral/record.h):
 * through the pipeline they give the same vector and label, bit for bit, as
 * the same video read from CSV and from JSON Lines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/features.h"
#include "viral/reader.h"

static viral_pipeline *pipeline(void) {
  viral_pipeline_options po;
  viral_pipeline_options_init(&po);
  po.scaling = "none";
  po.allow_missing = 1; /* example.* lack saves_* and watch_ratio_* */
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &po, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

/* The vector and label of rec. */
static void transform(viral_pipeline *p, const viral_record *rec, viral_sparse *v, double *label) {
  viral_error err;
  ck_assert_msg(viral_pipeline_transform(p, rec, v, label, &err) == VIRAL_OK, "%s", err.message);
}

static void assert_same(const viral_sparse *a, double la, const viral_sparse *b, double lb) {
  ck_assert_uint_eq(a->count, b->count);
  for (size_t i = 0; i < a->count; i++) {
    ck_assert_uint_eq(a->items[i].index, b->items[i].index);
    ck_assert_msg(memcmp(&a->items[i].value, &b->items[i].value, sizeof(double)) == 0,
                  "index %u: %.17g vs %.17g", a->items[i].index, a->items[i].value, b->items[i].value);
  }
  ck_assert(la == lb || (isnan(la) && isnan(lb)));
}

/* A reader of a file of the repository. */
static viral_reader *open_repo(const char *rel) {
  char path[4096];
  test_repo_path(path, sizeof path, rel);
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_error err;
  viral_reader *r = viral_reader_open(path, &ro, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  return r;
}

/* The first record of a file of the repository, transformed. */
static void first_row(viral_pipeline *p, const char *rel, viral_sparse *v, double *label) {
  viral_reader *r = open_repo(rel);
  viral_error err;
  const viral_record *rec;
  ck_assert_int_eq(viral_reader_next(r, &rec, &err), 1);
  transform(p, rec, v, label);
  viral_reader_free(r);
}

/* Video 7301 of datasets/example.csv and example.jsonl, from C values. */
START_TEST(video_from_values_as_from_csv_and_jsonl) {
  viral_pipeline *p = pipeline();
  viral_record_builder *b = viral_record_builder_create("api");
  ck_assert_ptr_nonnull(b);
  viral_error err;
  const char *tags[] = {"fyp", "dance", "renegade"};
  const char *caption = "renegade, but make it slow";
  ck_assert_int_eq(viral_record_builder_set_text(b, "video_id", "7301", 4, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_text(b, "posted_at", "2026-03-02T18:05:00Z", 20, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_number(b, "author_followers", 48200, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_bool(b, "author_verified", 0, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_number(b, "duration_s", 21.5, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_text(b, "music_id", "snd_991", 7, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_list(b, "hashtags", tags, 3, &err), VIRAL_OK);
  const char *names[] = {"views_1h", "likes_1h", "shares_1h", "comments_1h",
                         "views_2h", "likes_2h", "shares_2h", "comments_2h"};
  const double counts[] = {3120, 402, 37, 19, 9870, 1290, 144, 61};
  for (int i = 0; i < 8; i++)
    ck_assert_int_eq(viral_record_builder_set_number(b, names[i], counts[i], &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_number(b, "viral", 1, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_text(b, "caption", caption, strlen(caption), &err), VIRAL_OK);

  viral_sparse built, csv, jsonl;
  viral_sparse_init(&built), viral_sparse_init(&csv), viral_sparse_init(&jsonl);
  double lb, lc, lj;
  transform(p, viral_record_builder_record(b), &built, &lb);
  first_row(p, "datasets/example.csv", &csv, &lc);
  first_row(p, "datasets/example.jsonl", &jsonl, &lj);
  ck_assert_double_eq(lb, 1);
  ck_assert_uint_gt(built.count, 20);
  assert_same(&built, lb, &csv, lc);
  assert_same(&built, lb, &jsonl, lj);

  /* the next record: fields not set are missing, names stay known */
  viral_record_builder_clear(b, 2);
  const viral_record *rec = viral_record_builder_record(b);
  ck_assert_int_eq(viral_record_value(rec, (size_t)viral_record_find(rec, "views_1h"))->kind, VIRAL_VALUE_MISSING);
  ck_assert_int_eq(viral_record_line(rec), 2);
  ck_assert_str_eq(viral_record_source(rec), "api");
  viral_sparse_release(&built), viral_sparse_release(&csv), viral_sparse_release(&jsonl);
  viral_record_builder_free(b);
  viral_pipeline_free(p);
}
END_TEST

/* Every record of a file rebuilt value by value gives the file's vector. */
static void rebuild_file(const char *rel) {
  viral_pipeline *p = pipeline();
  viral_reader *r = open_repo(rel);
  viral_error err;
  viral_record_builder *b = viral_record_builder_create(rel);
  viral_sparse a, c;
  viral_sparse_init(&a), viral_sparse_init(&c);
  const viral_record *rec;
  size_t rows = 0;
  while (viral_reader_next(r, &rec, &err) == 1) {
    viral_record_builder_clear(b, viral_record_line(rec));
    for (size_t i = 0; i < viral_record_field_count(rec); i++) {
      const char *name = viral_record_field_name(rec, i);
      const viral_value *v = viral_record_value(rec, i);
      int rc = VIRAL_OK;
      if (v->kind == VIRAL_VALUE_TEXT) rc = viral_record_builder_set_text(b, name, v->text, v->len, &err);
      else if (v->kind == VIRAL_VALUE_NUMBER) rc = viral_record_builder_set_number(b, name, v->number, &err);
      else if (v->kind == VIRAL_VALUE_BOOL) rc = viral_record_builder_set_bool(b, name, v->number != 0, &err);
      else if (v->kind == VIRAL_VALUE_LIST) {
        char *copy = strdup(v->text);
        const char *items[64];
        size_t n = 0;
        for (char *s = copy, *e; n < v->count; s = e + 1) {
          items[n++] = s;
          if (!(e = strchr(s, '\x1f'))) break;
          *e = '\0';
        }
        ck_assert_uint_eq(n, v->count);
        rc = viral_record_builder_set_list(b, name, items, n, &err);
        free(copy);
      } else rc = viral_record_builder_set_missing(b, name, &err);
      ck_assert_msg(rc == VIRAL_OK, "%s", err.message);
    }
    double la, lc;
    transform(p, rec, &c, &lc);
    transform(p, viral_record_builder_record(b), &a, &la);
    assert_same(&a, la, &c, lc);
    rows++;
  }
  ck_assert_uint_gt(rows, 8);
  viral_sparse_release(&a), viral_sparse_release(&c);
  viral_record_builder_free(b);
  viral_reader_free(r);
  viral_pipeline_free(p);
}

START_TEST(every_row_rebuilt) {
  rebuild_file("datasets/example.jsonl");
  rebuild_file("datasets/example.csv");
  rebuild_file("datasets/sample.csv");
}
END_TEST

START_TEST(values_it_refuses) {
  viral_record_builder *b = viral_record_builder_create(NULL);
  viral_error err;
  viral_record_builder_clear(b, 7);
  ck_assert_int_eq(viral_record_builder_set_number(b, "views_1h", NAN, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "record:7: field 'views_1h': nan is not a number a record can hold");
  const char *bad[] = {"a\x1f" "b"};
  ck_assert_int_eq(viral_record_builder_set_list(b, "hashtags", bad, 1, &err), VIRAL_ERR_INVALID);
  /* "" is missing; a field set again replaces its value */
  ck_assert_int_eq(viral_record_builder_set_text(b, "caption", "x", 1, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_builder_set_text(b, "caption", "", 0, &err), VIRAL_OK);
  const viral_record *rec = viral_record_builder_record(b);
  ck_assert_int_eq(viral_record_value(rec, (size_t)viral_record_find(rec, "caption"))->kind, VIRAL_VALUE_MISSING);
  viral_strview t;
  ck_assert_int_eq(viral_record_builder_set_number(b, "id", 9007199254740993.0, &err), VIRAL_OK);
  ck_assert_int_eq(viral_record_text(rec, (size_t)viral_record_find(rec, "id"), &t, &err), VIRAL_OK);
  ck_assert_int_eq((int)t.len, 16);
  ck_assert(strncmp(t.ptr, "9007199254740992", t.len) == 0); /* the double's shortest text */
  viral_record_builder_free(b);
  viral_record_builder_free(NULL);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("record_builder");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, video_from_values_as_from_csv_and_jsonl);
  tcase_add_test(tc, every_row_rebuilt);
  tcase_add_test(tc, values_it_refuses);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
