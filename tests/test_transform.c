/* test_transform.c - the pipeline on records: every transform with values
 * computed by hand (or by tools/fixtures/features_reference.py, an
 * independent Python computation), missing values, bad values, hashing,
 * scaling fit/apply, label rules, and the fitted pipeline's round trip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_json.h"
#include "features/pipeline_internal.h"
#include "testutil.h"
#include "viral/features.h"
#include "viral/model.h"
#include "viral/reader.h"

static viral_pipeline *spec(const char *text) {
  viral_error err;
  viral_error_clear(&err);
  viral_pipeline *p = viral_pipeline_parse_spec("t.spec.json", text, strlen(text), NULL, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

static viral_reader *csv(const char *text) {
  viral_error err;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  viral_reader *r = viral_reader_open_memory("t.csv", text, strlen(text), &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  return r;
}

static const viral_record *next(viral_reader *r) {
  const viral_record *rec = NULL;
  viral_error err;
  int rc = viral_reader_next(r, &rec, &err);
  ck_assert_msg(rc == 1, "reader: %d %s", rc, err.message);
  return rec;
}

/* Value at the dense column called name (0 when absent from the vector). */
static double value_of(const viral_pipeline *p, const viral_sparse *v, const char *name) {
  char buf[256];
  for (uint32_t i = 0; i < viral_pipeline_dense_count(p); i++) {
    viral_pipeline_feature_name(p, i, buf, sizeof buf);
    if (strcmp(buf, name) != 0) continue;
    for (size_t k = 0; k < v->count; k++)
      if (v->items[k].index == i) return v->items[k].value;
    return 0;
  }
  ck_abort_msg("no column %s", name);
  return NAN;
}

static const char *numbers_spec =
    "{\"window\": \"3h\", \"label\": \"viral\", \"fields\": {\"observed_at\": {\"parse\": "
    "\"timestamp\", \"observed\": \"0h\"}}, \"features\": ["
    "{\"transform\": \"identity\", \"field\": \"views_1h\", \"fill\": 0},"
    "{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
    "{\"transform\": \"clip\", \"field\": \"watch_ratio_1h\", \"min\": 0, \"max\": 0.5, "
    "\"fill\": 0.25, \"indicator\": true},"
    "{\"transform\": \"bool\", \"field\": \"author_verified\", \"fill\": 0},"
    "{\"transform\": \"missing\", \"field\": \"saves_1h\"},"
    "{\"transform\": \"ratio\", \"fields\": [\"likes_1h\", \"views_1h\"], \"on_zero\": -1, "
    "\"fill\": 0},"
    "{\"transform\": \"growth\", \"fields\": [\"views_1h\", \"views_2h\"], \"fill\": 0},"
    "{\"transform\": \"velocity\", \"fields\": [\"views_1h\", \"views_2h\"], \"fill\": 0},"
    "{\"transform\": \"acceleration\", \"fields\": [\"views_1h\", \"views_2h\", \"views_3h\"], "
    "\"fill\": 0},"
    "{\"transform\": \"log_views\", \"fill\": 0},"
    "{\"transform\": \"hour\", \"field\": \"posted_at\", \"fill\": 0},"
    "{\"transform\": \"weekday\", \"field\": \"posted_at\", \"fill\": 0},"
    "{\"transform\": \"age\", \"fields\": [\"posted_at\", \"observed_at\"], \"fill\": 0},"
    "{\"transform\": \"length\", \"field\": \"caption\", \"fill\": 0},"
    "{\"transform\": \"count\", \"field\": \"hashtags\", \"fill\": 0},"
    "{\"transform\": \"mentions\", \"field\": \"caption\", \"fill\": 0}]}";

static const char *numbers_csv =
    "views_1h,views_2h,views_3h,likes_1h,watch_ratio_1h,author_verified,posted_at,observed_at,"
    "caption,hashtags,saves_1h,viral\n"
    "100,300,600,10,0.8,true,2026-03-02T18:05:00Z,2026-03-02T20:05:00Z,héllo @bob @ x,fyp|dance,"
    "3,1\n"
    "0,0,0,0,,0,2026-03-02T18:05:00Z,2026-03-02T18:05:00Z,,,,0\n"
    "100000000000000000000000000000000000000000000000000,200000000000000000000000000000000000000000000000000,300000000000000000000000000000000000000000000000000,10,0.1,1,1767225600,1767225600,a,b,1,\n"
    "-5,0,0,0,0,0,0,0,a,b,1,1\n";

START_TEST(transforms_by_hand) {
  viral_pipeline *p = spec(numbers_spec);
  ck_assert_int_eq(viral_pipeline_needs_fit(p), 0);
  viral_reader *r = csv(numbers_csv);
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  double label = -1;

  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
  ck_assert_double_near(label, 1, 0);
  ck_assert_double_near(value_of(p, &v, "views_1h"), 100, 0);
  ck_assert_double_near(value_of(p, &v, "log1p(views_1h)"), 4.61512051684126, 1e-14); /* ln 101 */
  ck_assert_double_near(value_of(p, &v, "clip(watch_ratio_1h,0,0.5)"), 0.5, 0);
  ck_assert_double_near(value_of(p, &v, "missing(clip(watch_ratio_1h,0,0.5))"), 0, 0);
  ck_assert_double_near(value_of(p, &v, "bool(author_verified)"), 1, 0);
  ck_assert_double_near(value_of(p, &v, "missing(saves_1h)"), 0, 0);
  ck_assert_double_near(value_of(p, &v, "likes_1h/views_1h"), 0.1, 1e-17);
  /* ln 301 - ln 101 */
  ck_assert_double_near(value_of(p, &v, "growth(views_1h,views_2h)"), 1.0919897479076157, 1e-14);
  ck_assert_double_near(value_of(p, &v, "velocity(views_1h,views_2h)"), 200, 0); /* 200/1h */
  /* v1 = 200/h, v2 = 300/h, over (3-1)/2 h: 100/h^2 */
  ck_assert_double_near(value_of(p, &v, "acceleration(views_1h,views_2h,views_3h)"), 100, 0);
  ck_assert_double_near(value_of(p, &v, "log1p(views_3h)"), 6.398594934535208, 1e-14);
  /* 18:05 UTC: 271.25 degrees round the clock: sin = -cos(1.25 deg) */
  ck_assert_double_near(value_of(p, &v, "hour_sin(posted_at)"), -0.9997620270799091, 1e-15);
  ck_assert_double_near(value_of(p, &v, "hour_cos(posted_at)"), 0.021814885034560468, 1e-15);
  /* 2026-03-02 is a Monday (0): sin 0, cos 1 */
  ck_assert_double_near(value_of(p, &v, "weekday_sin(posted_at)"), 0, 1e-15);
  ck_assert_double_near(value_of(p, &v, "weekday_cos(posted_at)"), 1, 1e-15);
  ck_assert_double_near(value_of(p, &v, "age_h(posted_at,observed_at)"), 2, 0);
  ck_assert_double_near(value_of(p, &v, "length(caption)"), 14, 0); /* code points, é is one */
  ck_assert_double_near(value_of(p, &v, "count(hashtags)"), 2, 0);
  ck_assert_double_near(value_of(p, &v, "mentions(caption)"), 1, 0); /* "@ " is no mention */

  /* zeros and missing values */
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
  ck_assert_double_near(label, 0, 0);
  ck_assert_double_near(value_of(p, &v, "likes_1h/views_1h"), -1, 0); /* on_zero */
  ck_assert_double_near(value_of(p, &v, "growth(views_1h,views_2h)"), 0, 0);
  ck_assert_double_near(value_of(p, &v, "clip(watch_ratio_1h,0,0.5)"), 0.25, 0); /* fill */
  ck_assert_double_near(value_of(p, &v, "missing(clip(watch_ratio_1h,0,0.5))"), 1, 0);
  ck_assert_double_near(value_of(p, &v, "missing(saves_1h)"), 1, 0);
  ck_assert_double_near(value_of(p, &v, "length(caption)"), 0, 0); /* fill */
  ck_assert_double_near(value_of(p, &v, "age_h(posted_at,observed_at)"), 0, 0);

  /* huge values stay finite; a missing label is NAN */
  ck_assert_msg(viral_pipeline_transform(p, next(r), &v, &label, &err) == VIRAL_OK, "%s",
                err.message);
  ck_assert(isnan(label));
  /* views 1e50, 2e50, 3e50 written out in digits */
  ck_assert_double_near(value_of(p, &v, "views_1h"), 1e50, 0);
  ck_assert_double_near(value_of(p, &v, "log1p(views_1h)"), 115.12925464970229, 1e-13);
  ck_assert_double_near(value_of(p, &v, "likes_1h/views_1h"), 1e-49, 1e-63);
  ck_assert_double_near(value_of(p, &v, "velocity(views_1h,views_2h)"), 1e50, 1e35);
  ck_assert_double_near(value_of(p, &v, "log1p(views_3h)"), 116.2278669383704, 1e-13);
  /* 2026-01-01T00:00Z, a Thursday (3) at midnight */
  ck_assert_double_near(value_of(p, &v, "hour_cos(posted_at)"), 1, 0);
  ck_assert_double_near(value_of(p, &v, "weekday_sin(posted_at)"), 0.43388373911755823, 1e-15); /* sin(2 pi 3/7) */

  /* negative counts are refused, naming the row and the field */
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_ERR_PARSE);
  ck_assert_str_eq(err.message, "t.csv:5: field 'views_1h': bad count '-5'");
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

/* logit: a proportion on the log-odds scale, clipped to [min, max]
 * (default [0.01, 0.99]); times_log1p: a * log1p(b). */
START_TEST(logit_and_times_log1p_by_hand) {
  viral_pipeline *p = spec(
      "{\"window\": \"2h\", \"label\": \"viral\", \"features\": ["
      "{\"transform\": \"logit\", \"field\": \"watch_ratio_1h\", \"fill\": 0.5},"
      "{\"transform\": \"logit\", \"field\": \"watch_ratio_2h\", \"min\": 0.2, \"max\": 0.6, \"fill\": 0},"
      "{\"transform\": \"times_log1p\", \"fields\": [\"watch_ratio_1h\", \"views_1h\"], \"fill\": 0, \"indicator\": true}]}");
  viral_reader *r = csv("views_1h,watch_ratio_1h,watch_ratio_2h,viral\n"
                        "100,0.8,0.1,1\n"
                        "0,1,0.7,0\n"
                        ",0,0.5,0\n");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  double label = -1;
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
  ck_assert_double_near(value_of(p, &v, "logit(watch_ratio_1h)"), 1.3862943611198906, 1e-15); /* ln 4 */
  ck_assert_double_near(value_of(p, &v, "logit(watch_ratio_2h)"), -1.3862943611198906, 1e-15); /* at min 0.2 */
  /* 0.8 ln 101 */
  ck_assert_double_near(value_of(p, &v, "watch_ratio_1h*log1p(views_1h)"), 3.6920964134730083, 1e-14);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
  ck_assert_double_near(value_of(p, &v, "logit(watch_ratio_1h)"), 4.59511985013459, 1e-14); /* ln 99 */
  ck_assert_double_near(value_of(p, &v, "logit(watch_ratio_2h)"), 0.4054651081081645, 1e-15); /* at max 0.6 */
  ck_assert_double_near(value_of(p, &v, "watch_ratio_1h*log1p(views_1h)"), 0, 0);
  /* a missing field: the fill, and the indicator */
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
  ck_assert_double_near(value_of(p, &v, "logit(watch_ratio_1h)"), -4.59511985013459, 1e-14);
  ck_assert_double_near(value_of(p, &v, "watch_ratio_1h*log1p(views_1h)"), 0, 0);
  ck_assert_double_near(value_of(p, &v, "missing(watch_ratio_1h*log1p(views_1h))"), 1, 0);
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(missing_without_policy_is_an_error) {
  viral_pipeline *p = spec("{\"window\": \"1h\", \"features\": [{\"transform\": \"log1p\", "
                           "\"field\": \"views_1h\"}, {\"transform\": \"log1p\", \"field\": "
                           "\"likes_1h\", \"indicator\": true}]}");
  viral_reader *r = csv("views_1h,likes_1h\n5,\n,5\n");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  double label = 0;
  /* indicator only: the value is left out and the indicator says why */
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
  ck_assert(isnan(label)); /* no label rule */
  ck_assert_uint_eq(v.count, 2);
  ck_assert_double_near(value_of(p, &v, "log1p(views_1h)"), log(6), 1e-15);
  ck_assert_double_near(value_of(p, &v, "missing(log1p(likes_1h))"), 1, 0);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_ERR_MISSING);
  ck_assert_str_eq(err.message, "t.csv:3: field 'views_1h' is missing and feature "
                                "'log1p(views_1h)' has no missing-value policy (\"fill\" or "
                                "\"indicator\")");
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

static int collect_names(void *ctx, uint32_t index, double value, const char *group,
                         const char *name) {
  char *buf = ctx;
  char line[256];
  snprintf(line, sizeof line, "%u %g %s %s\n", (unsigned)index, value, group, name);
  strcat(buf, line);
  return 0;
}

/* Indices from tools/fixtures/features_reference.py: k + murmur3(value,
 * murmur3(name, 7)) mod (2^10 - k), with k = 1 dense column. */
START_TEST(hashing_indices_names_and_signs) {
  const char *text = "{\"window\": \"0h\", \"hash_bits\": 10, \"hash_seed\": 7, \"signed_hash\": "
                     "%s, \"features\": [{\"transform\": \"count\", \"field\": \"hashtags\", "
                     "\"fill\": 0}, {\"transform\": \"hash\", \"field\": \"music_id\"}, "
                     "{\"transform\": \"hash_list\", \"field\": \"hashtags\"}, {\"transform\": "
                     "\"cross\", \"fields\": [\"music_id\", \"author_id\"]}]}";
  const char *data = "music_id,author_id,hashtags\nsnd_991,u1,fyp|dance\n,u2,fyp\n";
  char buf[1024];
  for (int sign = 0; sign <= 1; sign++) {
    snprintf(buf, sizeof buf, text, sign ? "true" : "false");
    viral_pipeline *p = spec(buf);
    ck_assert_uint_eq(viral_pipeline_dim(p), 1024);
    viral_reader *r = csv(data);
    viral_sparse v;
    viral_sparse_init(&v);
    viral_error err;
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
    /* sorted: count(hashtags)=2 at 0, fyp 5 (-), sound 338 (-), cross 464 (-), dance 633 (+) */
    uint32_t want_index[] = {0, 5, 338, 464, 633};
    double want_value[] = {2, sign ? -1 : 1, sign ? -1 : 1, sign ? -1 : 1, 1};
    ck_assert_uint_eq(v.count, 5);
    for (size_t i = 0; i < 5; i++) {
      ck_assert_uint_eq(v.items[i].index, want_index[i]);
      ck_assert_double_near(v.items[i].value, want_value[i], 0);
    }
    /* a missing sound gives no sound feature (and no cross) */
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
    ck_assert_uint_eq(v.count, 2);
    ck_assert_uint_eq(v.items[1].index, 5);
    viral_reader_free(r);

    /* the named path gives the same coordinates with readable names */
    r = csv(data);
    char names[2048] = "";
    ck_assert_int_eq(viral_pipeline_transform_named(p, next(r), collect_names, names, NULL, &err),
                     VIRAL_OK);
    char want[512];
    snprintf(want, sizeof want,
             "0 2 text count(hashtags)\n338 %d sound sound=snd_991\n5 %d hashtags hashtag=fyp\n"
             "633 1 hashtags hashtag=dance\n464 %d cross music_id^author_id=snd_991^u1\n",
             sign ? -1 : 1, sign ? -1 : 1, sign ? -1 : 1);
    ck_assert_str_eq(names, want);
    viral_reader_free(r);
    viral_sparse_release(&v);
    viral_pipeline_free(p);
  }
}
END_TEST

START_TEST(fit_collects_bounded_names) {
  viral_pipeline *p = spec("{\"window\": \"0h\", \"hash_bits\": 10, \"hash_seed\": 7, "
                           "\"names_max\": 2, \"features\": [{\"transform\": \"hash_list\", "
                           "\"field\": \"hashtags\"}]}");
  ck_assert_int_eq(viral_pipeline_dense_count(p), 0);
  viral_reader *r = csv("hashtags\nfyp|dance\nfyp|x|y\n");
  viral_error err;
  ck_assert_int_eq(viral_pipeline_fit_begin(p, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_fit_record(p, next(r), &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_fit_record(p, next(r), &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_fit_end(p, &err), VIRAL_OK);
  char name[64];
  /* no dense columns: k = 0, so fyp is at 4 (5 - 1 above, recomputed with
   * k = 0: murmur3 mod 1024) */
  uint32_t fyp = viral_murmur3_32("fyp", 3, viral_murmur3_32("hashtag", 7, 7)) % 1024;
  viral_pipeline_feature_name(p, fyp, name, sizeof name);
  ck_assert_str_eq(name, "hashtag=fyp");
  ck_assert_str_eq(viral_pipeline_feature_group(p, fyp), "hashtags");
  /* names_max = 2: 'x' and 'y' came after fyp and dance and are not kept */
  uint32_t x = viral_murmur3_32("x", 1, viral_murmur3_32("hashtag", 7, 7)) % 1024;
  viral_pipeline_feature_name(p, x, name, sizeof name);
  char want[32];
  snprintf(want, sizeof want, "hash[%u]", (unsigned)x);
  ck_assert_str_eq(name, want);
  ck_assert_str_eq(viral_pipeline_feature_group(p, x), "hashed");
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(collisions_are_marked) {
  /* 1 bit, no dense columns: 2 buckets, so three tags must collide */
  viral_pipeline *p = spec("{\"window\": \"0h\", \"hash_bits\": 1, \"features\": "
                           "[{\"transform\": \"hash_list\", \"field\": \"hashtags\"}]}");
  viral_reader *r = csv("hashtags\na|b|c\n");
  viral_error err;
  ck_assert_int_eq(viral_pipeline_fit_begin(p, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_fit_record(p, next(r), &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_fit_end(p, &err), VIRAL_OK);
  char n0[64], n1[64];
  viral_pipeline_feature_name(p, 0, n0, sizeof n0);
  viral_pipeline_feature_name(p, 1, n1, sizeof n1);
  ck_assert_msg(strstr(n0, " (+collisions)") || strstr(n1, " (+collisions)"), "%s / %s", n0, n1);
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

/* Naming while transforming (the online learner's path) checks a named
 * index against its name in place instead of writing the name again: the
 * names and collision marks must be what writing them gives. 1 bit, no
 * dense columns: 2 buckets for 4 distinct names. The expectation is
 * worked out from the vectors: an index is marked when two different names
 * ("sound=", the hash feature's prefix for music_id, and the value up to a
 * NUL, as "%.*s" writes it) land there. */
START_TEST(collecting_names_while_transforming) {
  viral_pipeline *p = spec("{\"window\": \"0h\", \"hash_bits\": 1, \"features\": "
                           "[{\"transform\": \"hash\", \"field\": \"music_id\"}]}");
  static const char data[] = "music_id\na\nb\na\nb\0z\nc\nb\nd\0\nb\0z\n";
  static const char *const names[] = {"a", "b", "a", "b", "c", "b", "d", "b"};
  viral_error err;
  viral_error_clear(&err);
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  viral_reader *r = viral_reader_open_memory("t.csv", data, sizeof data - 1, &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  ck_assert_int_eq(viral_pipeline_collect_names(p, 1, &err), VIRAL_OK);
  viral_sparse v;
  viral_sparse_init(&v);
  const char *first[2] = {NULL, NULL};
  int collided[2] = {0, 0};
  for (size_t i = 0; i < 8; i++) {
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
    ck_assert_uint_eq(v.count, 1);
    uint32_t k = v.items[0].index;
    ck_assert_uint_lt(k, 2);
    if (!first[k]) first[k] = names[i];
    else if (strcmp(first[k], names[i]) != 0) collided[k] = 1;
  }
  ck_assert_int_eq(viral_pipeline_collect_names(p, 0, &err), VIRAL_OK);
  for (uint32_t k = 0; k < 2; k++) {
    if (!first[k]) continue;
    char want[64], got[64];
    snprintf(want, sizeof want, "sound=%s%s", first[k], collided[k] ? " (+collisions)" : "");
    viral_pipeline_feature_name(p, k, got, sizeof got);
    ck_assert_str_eq(got, want);
  }
  ck_assert(collided[0] || collided[1]); /* 4 names, 2 buckets */
  viral_reader_free(r);
  viral_pipeline_free(p);
  /* a value with a NUL is named up to it, and the same value again is no
   * collision (10 bits: nothing else shares its index) */
  p = spec("{\"window\": \"0h\", \"hash_bits\": 10, \"features\": "
           "[{\"transform\": \"hash\", \"field\": \"music_id\"}]}");
  static const char nul_data[] = "music_id\nb\0z\nb\0z\n";
  r = viral_reader_open_memory("t.csv", nul_data, sizeof nul_data - 1, &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  ck_assert_int_eq(viral_pipeline_collect_names(p, 1, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_collect_names(p, 0, &err), VIRAL_OK);
  char got[64];
  viral_pipeline_feature_name(p, v.items[0].index, got, sizeof got);
  ck_assert_str_eq(got, "sound=b");
  viral_sparse_release(&v);
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

static const char *scaled_spec =
    "{\"window\": \"0h\", \"scaling\": \"%s\", \"features\": [{\"transform\": \"identity\", "
    "\"field\": \"x\", \"fill\": 0}, {\"transform\": \"bool\", \"field\": \"b\", \"fill\": 0}], "
    "\"fields\": {\"x\": {\"observed\": \"0h\"}, \"b\": {\"parse\": \"bool\", \"observed\": \"0h\"}}}";

START_TEST(scaling_fit_and_apply) {
  const char *train = "x,b\n1,1\n2,0\n3,1\n4,1\n";
  const char *test = "x,b\n4,1\n10,1\n2,1\n";
  for (int minmax = 0; minmax <= 1; minmax++) {
    char text[1024];
    snprintf(text, sizeof text, scaled_spec, minmax ? "minmax" : "standard");
    viral_pipeline *p = spec(text);
    ck_assert_int_eq(viral_pipeline_needs_fit(p), 1);
    viral_error err;
    viral_sparse v;
    viral_sparse_init(&v);
    viral_reader *r = csv(test);
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_INVALID);
    viral_reader_free(r);
    r = csv(train);
    ck_assert_int_eq(viral_pipeline_fit_begin(p, &err), VIRAL_OK);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(viral_pipeline_fit_record(p, next(r), &err), 0);
    ck_assert_int_eq(viral_pipeline_fit_end(p, &err), VIRAL_OK);
    viral_reader_free(r);
    r = csv(test);
    double want[3];
    if (minmax) { /* (x - 1) / 3 */
      want[0] = 1, want[1] = 3, want[2] = 1.0 / 3;
    } else { /* mean 2.5, population std sqrt(1.25) */
      want[0] = 1.3416407864998738, want[1] = 6.7082039324993685, want[2] = -0.5 / sqrt(1.25);
    }
    for (int i = 0; i < 3; i++) {
      ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
      ck_assert_double_near(value_of(p, &v, "x"), want[i], 1e-15);
      ck_assert_double_near(value_of(p, &v, "bool(b)"), 1, 0); /* bools are not scaled */
    }
    viral_reader_free(r);
    viral_sparse_release(&v);
    viral_pipeline_free(p);
  }
}
END_TEST

/* Labels of the rows of data under rule (fitted on the same rows first). */
static void labels(const char *rule, const char *data, size_t n, const double *want,
                   double threshold) {
  char text[512];
  snprintf(text, sizeof text, "{\"window\": \"2h\", \"label\": \"%s\", \"features\": "
                              "[{\"transform\": \"log1p\", \"field\": \"views_2h\", \"fill\": 0}]}",
           rule);
  viral_pipeline *p = spec(text);
  viral_error err;
  viral_reader *r = csv(data);
  ck_assert_int_eq(viral_pipeline_fit_begin(p, &err), VIRAL_OK);
  for (size_t i = 0; i < n; i++) ck_assert_int_eq(viral_pipeline_fit_record(p, next(r), &err), 0);
  ck_assert_int_eq(viral_pipeline_fit_end(p, &err), VIRAL_OK);
  viral_reader_free(r);
  if (isnan(threshold)) ck_assert(isnan(viral_pipeline_label_threshold(p)));
  else ck_assert_double_near(viral_pipeline_label_threshold(p), threshold, 0);
  r = csv(data);
  viral_sparse v;
  viral_sparse_init(&v);
  for (size_t i = 0; i < n; i++) {
    double label = -1;
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, &label, &err), VIRAL_OK);
    if (isnan(want[i])) ck_assert_msg(isnan(label), "%s row %zu: %g", rule, i, label);
    else ck_assert_msg(label == want[i], "%s row %zu: %g, expected %g", rule, i, label, want[i]);
  }
  viral_sparse_release(&v);
  viral_reader_free(r);
  viral_pipeline_free(p);
}

START_TEST(label_rules_apply) {
  const char *data = "views_2h,views_48h,views_final,viral\n"
                     "10,100,10,1\n"
                     "0,50,40,0\n"
                     "5,49,20,\n"
                     "1,9,30,true\n"
                     "2,,,false\n";
  labels("viral", data, 5, (double[]){1, 0, NAN, 1, 0}, NAN);
  labels("views_final>=30", data, 5, (double[]){0, 1, 0, 1, NAN}, 30);
  labels("views_final<20", data, 5, (double[]){1, 0, 0, 0, NAN}, 20);
  /* 4 values 10,40,20,30: top 25% is the largest (40), top 50% the two largest */
  labels("top:25%:views_final", data, 5, (double[]){0, 1, 0, 0, NAN}, 40);
  labels("top:50%:views_final", data, 5, (double[]){0, 1, 0, 1, NAN}, 30);
  /* 100/10 = 10 >= 10; 50/0 has no ratio; 49/5 = 9.8; 9/1 = 9; missing */
  labels("ratio:views_48h/views_2h>=10", data, 5, (double[]){1, NAN, 0, 0, NAN}, 10);
}
END_TEST

START_TEST(fitted_round_trip_is_exact) {
  viral_error err;
  viral_pipeline_options opts;
  viral_pipeline_options_init(&opts);
  opts.label = "top:30%:views_final";
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &opts, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  const char *data =
      "video_id,posted_at,author_id,author_followers,music_id,hashtags,caption,views_1h,views_2h,"
      "likes_2h,views_final\n"
      "1,2026-03-02T18:05:00Z,a,48200,s1,fyp|dance,hi @x,3120,9870,1290,1000000\n"
      "2,2026-03-03T01:00:00Z,b,17,s2,fyp,,10,13,1,999\n"
      "3,2026-03-04T11:30:00Z,a,0,,cat,wow,0,0,0,31\n"
      "4,1767225600,c,3.3,s1,,x,1,2,3,123456\n";
  viral_reader *r = csv(data);
  ck_assert_int_eq(viral_pipeline_fit_begin(p, &err), VIRAL_OK);
  for (int i = 0; i < 4; i++)
    ck_assert_msg(viral_pipeline_fit_record(p, next(r), &err) == 0, "%s", err.message);
  ck_assert_int_eq(viral_pipeline_fit_end(p, &err), VIRAL_OK);
  viral_reader_free(r);
  ck_assert_double_near(viral_pipeline_label_threshold(p), 123456, 0); /* ceil(1.2) = 2nd */

  char *a = test_pipeline_json(p);
  cJSON *j = cJSON_Parse(a);
  viral_pipeline *q = viral_pipeline_from_json(j, "m.json", &err);
  cJSON_Delete(j);
  ck_assert_msg(q != NULL, "%s", err.message);
  char *b = test_pipeline_json(q);
  ck_assert_str_eq(a, b);
  ck_assert_int_eq(viral_pipeline_is_fitted(q), 1);
  ck_assert_str_eq(viral_pipeline_label_rule(q), "top:30%:views_final");
  char n1[128], n2[128];
  uint32_t dim = viral_pipeline_dim(p), found = 0;
  for (uint32_t i = viral_pipeline_dense_count(p); i < dim; i++) {
    viral_pipeline_feature_name(p, i, n1, sizeof n1);
    viral_pipeline_feature_name(q, i, n2, sizeof n2);
    ck_assert_str_eq(n1, n2);
    found += strncmp(n1, "hash[", 5) != 0;
  }
  ck_assert_uint_eq(found, 8); /* fyp dance cat, s1 s2, a b c */

  /* both give the same bits on every row */
  viral_reader *r1 = csv(data), *r2 = csv(data);
  viral_sparse v1, v2;
  viral_sparse_init(&v1);
  viral_sparse_init(&v2);
  for (int i = 0; i < 4; i++) {
    double l1, l2;
    ck_assert_int_eq(viral_pipeline_transform(p, next(r1), &v1, &l1, &err), VIRAL_OK);
    ck_assert_int_eq(viral_pipeline_transform(q, next(r2), &v2, &l2, &err), VIRAL_OK);
    ck_assert_uint_eq(v1.count, v2.count);
    for (size_t k = 0; k < v1.count; k++) { /* same bits: == on doubles, no tolerance */
      ck_assert_uint_eq(v1.items[k].index, v2.items[k].index);
      ck_assert_msg(v1.items[k].value == v2.items[k].value, "row %d index %u: %.17g vs %.17g", i, (unsigned)v1.items[k].index, v1.items[k].value, v2.items[k].value);
    }
    ck_assert(l1 == l2);
  }
  viral_sparse_release(&v1);
  viral_sparse_release(&v2);
  viral_reader_free(r1);
  viral_reader_free(r2);
  free(a);
  free(b);
  viral_pipeline_free(p);
  viral_pipeline_free(q);
}
END_TEST

/* Field mapping: a regex capture, a timestamp with its own format and zone,
 * a list with a separator, a count with a suffix. */
START_TEST(field_mapping_rules) {
  viral_pipeline *p = spec(
      "{\"window\": \"0h\", \"hash_bits\": 8, \"fields\": {"
      "\"vid\": {\"from\": \"url\", \"regex\": \"/video/([0-9]+)\", \"observed\": \"0h\"},"
      "\"posted_at\": {\"from\": \"when\", \"parse\": \"timestamp\", \"format\": "
      "\"%d/%m/%Y %H:%M\", \"tz\": \"+07:00\"},"
      "\"hashtags\": {\"from\": \"tags\", \"separator\": \";\"},"
      "\"author_followers\": {\"from\": \"fans\"}},"
      "\"features\": [{\"transform\": \"hour\", \"field\": \"posted_at\", \"fill\": 0},"
      "{\"transform\": \"count\", \"field\": \"hashtags\", \"fill\": 0},"
      "{\"transform\": \"identity\", \"field\": \"author_followers\", \"fill\": 0},"
      "{\"transform\": \"hash\", \"field\": \"vid\", \"name\": \"video\"}]}");
  viral_reader *r = csv("url,when,tags,fans\n"
                        "https://x.com/@a/video/7301?lang=vi,02/03/2026 13:00,a b;c;;d,1.5K\n"
                        "https://x.com/@a/photo/1,bad,,\n");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  char names[1024] = "";
  ck_assert_int_eq(viral_pipeline_transform_named(p, next(r), collect_names, names, NULL, &err),
                   VIRAL_OK);
  /* 13:00 at +07:00 is 06:00 UTC: a quarter of the day, sin 1 and cos 0
   * (6.1e-17 from rounding pi); "a b", "c", "d"; 1.5K = 1500 */
  ck_assert_str_eq(names, "0 1 time hour_sin(posted_at)\n1 6.12323e-17 time hour_cos(posted_at)\n"
                          "2 3 text count(hashtags)\n3 1500 numeric author_followers\n"
                          "108 1 vid video=7301\n"); /* 4 + murmur3 mod 252 (murmur3.py) */
  /* no regex match: no video feature; a timestamp not in the format is an error */
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_PARSE);
  ck_assert_str_eq(err.message, "t.csv:3: field 'when': bad timestamp 'bad'");
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

/* A JSON number can be negative where the CSV text parser never sees it. */
START_TEST(negative_json_count_rejected) {
  viral_pipeline *p = spec("{\"window\": \"1h\", \"features\": [{\"transform\": \"log1p\", "
                           "\"field\": \"views_1h\", \"fill\": 0}]}");
  const char *text = "{\"views_1h\": -5}\n";
  viral_error err;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_JSONL;
  viral_reader *r = viral_reader_open_memory("t.jsonl", text, strlen(text), &o, &err);
  ck_assert_ptr_nonnull(r);
  viral_sparse v;
  viral_sparse_init(&v);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(err.message, "t.jsonl:1: field 'views_1h': "));
  ck_assert_ptr_nonnull(strstr(err.message, "-5"));
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

/* The log1p and weekday values come from tables for whole numbers (0-1023)
 * and the seven days; each must be the very double libm gives for the same
 * expression, the table's edges, -0 (log1p(-0) is -0) and fractions
 * included. The reference is computed here with log1p, sin and cos. */
static int record_values(void *ctx, uint32_t index, double value, const char *group,
                         const char *name) {
  (void)group;
  (void)name;
  if (index < 3) ((double *)ctx)[index] = value;
  return 0;
}

START_TEST(tabled_values_are_libm_values) {
  viral_pipeline *p = spec(
      "{\"window\": \"2h\", \"label\": \"viral\", \"fields\": {\"x\": {\"parse\": \"number\", "
      "\"observed\": \"0h\"}}, \"features\": ["
      "{\"transform\": \"log1p\", \"field\": \"x\", \"fill\": 0, \"indicator\": false},"
      "{\"transform\": \"weekday\", \"field\": \"posted_at\", \"fill\": 0, \"indicator\": false}]}");
  static const char *const xs[] = {"0", "1", "2", "7", "999", "1022", "1023", "1024", "1025",
                                   "1023.5", "0.5", "-0", "-0.5", "4294967296", "123456789"};
  char text[4096] = "x,posted_at\n";
  size_t nx = sizeof xs / sizeof *xs;
  for (size_t i = 0; i < nx; i++) {
    /* posted_at: day k after 1970-01-01 (a Thursday) at 10:00, then day -3
     * (a Monday) and -4 (a Sunday) */
    long day = i < 7 ? (long)i : i == 7 ? -3 : -4;
    char row[64];
    snprintf(row, sizeof row, "%s,%ld\n", xs[i], day * 86400 + 36000);
    strcat(text, row);
  }
  viral_reader *r = csv(text);
  viral_error err;
  viral_error_clear(&err);
  for (size_t i = 0; i < nx; i++) {
    double got[3] = {NAN, NAN, NAN};
    const viral_record *rec = next(r);
    ck_assert_int_eq(viral_pipeline_transform_named(p, rec, record_values, got, NULL, &err),
                     VIRAL_OK);
    double want = log1p(strtod(xs[i], NULL));
    ck_assert_msg(memcmp(&got[0], &want, sizeof want) == 0, "log1p(%s): %.17g, libm %.17g", xs[i],
                  got[0], want);
    long day = i < 7 ? (long)i : i == 7 ? -3 : -4;
    double wd = (double)(((day + 3) % 7 + 7) % 7); /* Monday = 0 */
    double angle = 2 * 3.14159265358979323846 * wd / 7.0;
    double ws = sin(angle), wc = cos(angle);
    ck_assert_msg(memcmp(&got[1], &ws, sizeof ws) == 0 && memcmp(&got[2], &wc, sizeof wc) == 0,
                  "day %ld: %.17g %.17g, libm %.17g %.17g", day, got[1], got[2], ws, wc);
  }
  ck_assert(signbit(log1p(-0.0))); /* the case the table must leave alone */
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

static viral_reader *jsonl(const char *text);

/* ---- times that cannot be right ---- */

START_TEST(milliseconds_refused_unless_declared) {
  const char *hours = "{\"window\": \"2h\", \"label\": \"viral\", %s\"features\": ["
                      "{\"transform\": \"hour\", \"field\": \"posted_at\"}]}";
  char text[512];
  snprintf(text, sizeof text, hours, "");
  viral_pipeline *p = spec(text);
  /* 1772474700000 ms is 2026-03-02T18:05:00Z; as seconds it is the year 58136 */
  viral_reader *r = jsonl("{\"posted_at\": 1772474700000}\n{\"posted_at\": \"1772474700000\"}\n");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  viral_error_clear(&err);
  for (int row = 1; row <= 2; row++) {
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_PARSE);
    char want[300];
    snprintf(want, sizeof want, "t.jsonl:%d: field 'posted_at': timestamp '1772474700000' is not "
                                "unix seconds", row);
    ck_assert_msg(strstr(err.message, want) == err.message, "%s", err.message);
    ck_assert_msg(strstr(err.message, "\"fields\": {\"posted_at\": {\"unit\": \"ms\"}}") != NULL, "%s",
                  err.message);
  }
  viral_reader_free(r);
  viral_pipeline_free(p);
  /* declared: read as milliseconds, the same hour as the seconds */
  snprintf(text, sizeof text, hours, "\"fields\": {\"posted_at\": {\"unit\": \"ms\"}}, ");
  p = spec(text);
  r = jsonl("{\"posted_at\": 1772474700000}\n{\"posted_at\": \"2026-03-02T18:05:00Z\"}\n");
  double sin18 = sin(2 * 3.14159265358979323846 * (18 + 5 / 60.0) / 24);
  for (int row = 1; row <= 2; row++) {
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
    ck_assert_double_near(value_of(p, &v, "hour_sin(posted_at)"), sin18, 1e-12);
  }
  viral_reader_free(r);
  viral_pipeline_free(p);
  /* a unit on something that is not a timestamp number is a spec error */
  snprintf(text, sizeof text, hours, "\"fields\": {\"posted_at\": {\"unit\": \"min\"}}, ");
  ck_assert_ptr_null(viral_pipeline_parse_spec("t.spec.json", text, strlen(text), NULL, &err));
  ck_assert_str_eq(err.message, "t.spec.json: fields.posted_at.unit: expected 's', 'ms' or 'us', not 'min'");
  viral_sparse_release(&v);
}
END_TEST

START_TEST(negative_ages_refused) {
  const char *text = "{\"window\": \"2h\", \"label\": \"viral\", \"fields\": {\"observed_at\": "
                     "{\"parse\": \"timestamp\", \"observed\": \"0h\"}}, \"features\": ["
                     "{\"transform\": \"age\", \"fields\": [\"posted_at\", \"observed_at\"]}]}";
  viral_pipeline *p = spec(text);
  /* row 1: seen 36 min after posting; row 2: 2.6h before it; row 3: 18 s
   * before it, within the slack of an hourly observation time */
  viral_reader *r = csv("posted_at,observed_at\n2026-03-01T12:00:00Z,2026-03-01T12:36:00Z\n"
                        "2026-03-01T12:36:00Z,2026-03-01T10:00:00Z\n"
                        "2026-03-01T00:00:18Z,2026-03-01T00\n");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  ck_assert_double_near(value_of(p, &v, "age_h(posted_at,observed_at)"), 0.6, 1e-12);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "t.csv:3: feature 'age_h(posted_at,observed_at)': 'observed_at' "
                                "2026-03-01T10:00:00Z is before 'posted_at' 2026-03-01T12:36:00Z (age -2.6h)");
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  viral_sparse_release(&v);
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(strptime_dates_are_validated) {
  const char *text = "{\"window\": \"2h\", \"label\": \"viral\", \"fields\": {\"posted_at\": "
                     "{\"parse\": \"timestamp\", \"format\": \"%d/%m/%Y %H:%M\"}}, \"features\": ["
                     "{\"transform\": \"hour\", \"field\": \"posted_at\"}]}";
  viral_pipeline *p = spec(text);
  viral_reader *r = csv("posted_at\n28/02/2026 18:05\n31/02/2026 18:05\n");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_PARSE);
  ck_assert_str_eq(err.message, "t.csv:3: field 'posted_at': bad timestamp '31/02/2026 18:05'");
  viral_sparse_release(&v);
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

/* ---- does the input have what the pipeline reads ---- */

static const char *tally_spec =
    "{\"window\": \"2h\", \"label\": \"viral\", \"fields\": {\"caption\": {\"from\": "
    "\"challenges[].title\"}}, \"features\": ["
    "{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
    "{\"transform\": \"length\", \"field\": \"caption\", \"fill\": 0},"
    "{\"transform\": \"log1p\", \"field\": \"saves_1h\", \"fill\": 0}]}";

static viral_reader *jsonl(const char *text) {
  viral_error err;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_JSONL;
  viral_reader *r = viral_reader_open_memory("t.jsonl", text, strlen(text), &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  return r;
}

/* Tally every record of r with p; the status of the end-of-pass check. */
static int tally_all(viral_pipeline *p, viral_reader *r, int reads, viral_error *err) {
  ck_assert_int_eq(viral_pipeline_tally_begin(p, reads, err), VIRAL_OK);
  const viral_record *rec;
  int rc;
  while ((rc = viral_reader_next(r, &rec, err)) == 1)
    if ((rc = viral_pipeline_tally_record(p, r, rec, err)) != VIRAL_OK) return rc;
  ck_assert_int_eq(rc, 0);
  return viral_pipeline_tally_check(p, err);
}

/* A field read through a JSON path with an array step is in the input once
 * a record had every step (the reader follows the spec's paths); an empty
 * array reads as an empty list but does not show the steps after it, so a
 * typo there is still absent, and the message names the step. */
START_TEST(tally_json_paths_name_the_step) {
  viral_pipeline *p = spec(
      "{\"window\": \"2h\", \"label\": \"viral\", \"fields\": {"
      "\"caption\": {\"from\": \"challenges[].title\"}, \"hashtags\": {\"from\": \"tags[].name\"}}, "
      "\"features\": [{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
      "{\"transform\": \"length\", \"field\": \"caption\", \"fill\": 0},"
      "{\"transform\": \"count\", \"field\": \"hashtags\", \"fill\": 0}]}");
  const char *text = "{\"video_id\":\"a\",\"views_1h\":1,\"viral\":0,\"challenges\":[],\"tags\":[]}\n"
                     "{\"video_id\":\"b\",\"views_1h\":2,\"viral\":1,\"challenges\":[{\"title\":\"x\"}],"
                     "\"tags\":[]}\n";
  viral_reader_options o;
  viral_reader_options_init(&o);
  viral_pipeline_reader_options(p, &o);
  ck_assert_uint_eq(o.field_path_count, 2);
  viral_error err;
  viral_error_clear(&err);
  viral_reader *r = viral_reader_open_memory("t.jsonl", text, strlen(text), &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  ck_assert_int_eq(tally_all(p, r, VIRAL_READS_LABEL | VIRAL_READS_ID, &err), VIRAL_ERR_MISSING);
  ck_assert_str_eq(err.message,
                   "t.jsonl: the input lacks fields the spec reads: hashtags (from 'tags[].name': no "
                   "record has 'name' in 'tags[]') (the input has: video_id, views_1h, viral, "
                   "challenges, tags, challenges[].title, tags[].name); map them under the spec's "
                   "\"fields\", or --allow-missing reads it without them");
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(tally_absent_json_fields_at_the_end) {
  /* a key present in a later record only is not absent; a "from" that
   * matches no record, the label and video_id are */
  viral_pipeline *p = spec(tally_spec);
  viral_reader *r = jsonl("{\"views_1h\": 5, \"id\": 1}\n{\"views_1h\": 7, \"saves_1h\": 2, \"id\": 2}\n");
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(tally_all(p, r, VIRAL_READS_LABEL | VIRAL_READS_ID, &err), VIRAL_ERR_MISSING);
  ck_assert_str_eq(err.message,
                   "t.jsonl: the input lacks fields the spec reads: caption (from "
                   "'challenges[].title'), viral, video_id (the input has: views_1h, id, saves_1h); "
                   "map them under the spec's \"fields\", or --allow-missing reads it without them");
  ck_assert_int_eq(viral_pipeline_tally_checked(p), 0);
  char absent[64]; /* the list alone, cut to the buffer */
  ck_assert_uint_eq(viral_pipeline_tally_absent(p, absent, sizeof absent), 3);
  ck_assert_str_eq(absent, "caption (from 'challenges[].title'), viral, video_id");
  ck_assert_uint_eq(viral_pipeline_tally_absent(p, absent, 10), 3);
  ck_assert_str_eq(absent, "caption (");
  /* allowed: no error, and the warning names them and the sparse field */
  viral_pipeline_set_allow_missing(p, 1);
  ck_assert_int_eq(viral_pipeline_tally_check(p, &err), VIRAL_OK);
  char warning[VIRAL_ERROR_MAX];
  ck_assert_int_eq(viral_pipeline_tally_warning(p, warning, sizeof warning), 1);
  ck_assert_str_eq(warning, "t.jsonl: not in the input, read as missing (--allow-missing): caption "
                            "(from 'challenges[].title'), viral, video_id");
  char label[VIRAL_ERROR_MAX];
  viral_pipeline_tally_label(p, label, sizeof label);
  ck_assert_str_eq(label, "the label rule 'viral' reads 'viral', which is not in the input (it "
                          "has: views_1h, id, saves_1h)");
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(tally_csv_header_checked_at_the_first_row) {
  viral_pipeline *p = spec(tally_spec);
  viral_reader *r = csv("video_id,views_1h,saves_1h,viral\nv1,5,,1\nv2,6,,0\nv3,7,1,0\n");
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(viral_pipeline_tally_begin(p, VIRAL_READS_ID, &err), VIRAL_OK);
  const viral_record *rec = next(r);
  ck_assert_int_eq(viral_pipeline_tally_record(p, r, rec, &err), VIRAL_ERR_MISSING);
  ck_assert_msg(strstr(err.message, "t.csv: the input lacks fields the spec reads: caption (from "
                                    "'challenges[].title') (the input has: video_id, views_1h, "
                                    "saves_1h, viral)") == err.message, "%s", err.message);
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(tally_warns_of_sparse_fields) {
  /* saves_1h empty in 2 of 3 rows: above the 50% share; views_1h in 1 of 3: not */
  const char *text = "{\"window\": \"2h\", \"label\": \"viral\", \"features\": ["
                     "{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
                     "{\"transform\": \"log1p\", \"field\": \"saves_1h\", \"fill\": 0}]}";
  viral_pipeline *p = spec(text);
  viral_reader *r = csv("video_id,views_1h,saves_1h,viral\nv1,5,,1\nv2,,,0\nv3,7,1,0\n");
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(tally_all(p, r, VIRAL_READS_LABEL | VIRAL_READS_ID, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_tally_checked(p), 1);
  ck_assert_uint_eq(pipeline_tally_rows(p), 3);
  char warning[VIRAL_ERROR_MAX];
  ck_assert_int_eq(viral_pipeline_tally_warning(p, warning, sizeof warning), 1);
  ck_assert_str_eq(warning, "t.csv: missing in more than 50% of the 3 rows: saves_1h (66.7%)");
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(tally_explains_a_row_error) {
  /* a row fails (no missing-value policy) before a JSON input is checked:
   * the absent field is the better message */
  const char *text = "{\"window\": \"2h\", \"label\": \"viral\", \"features\": ["
                     "{\"transform\": \"log1p\", \"field\": \"views_1h\"}]}";
  viral_pipeline *p = spec(text);
  viral_reader *r = jsonl("{\"views\": 5, \"viral\": 1}\n");
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(viral_pipeline_tally_begin(p, VIRAL_READS_LABEL, &err), VIRAL_OK);
  const viral_record *rec = next(r);
  ck_assert_int_eq(viral_pipeline_tally_record(p, r, rec, &err), VIRAL_OK);
  viral_sparse v;
  viral_sparse_init(&v);
  ck_assert_int_eq(viral_pipeline_transform(p, rec, &v, NULL, &err), VIRAL_ERR_MISSING);
  ck_assert_int_eq(viral_pipeline_tally_explain(p, &err), 1);
  ck_assert_msg(strstr(err.message, "t.jsonl: the input lacks fields the spec reads: views_1h (the "
                                    "input has: views, viral)") == err.message, "%s", err.message);
  viral_pipeline_set_allow_missing(p, 1);
  ck_assert_int_eq(viral_pipeline_tally_explain(p, &err), 0);
  viral_sparse_release(&v);
  viral_reader_free(r);
  viral_pipeline_free(p);
}
END_TEST

/* A regex match can take time quadratic in the text: "(.*)(.*)x" against
 * half a megabyte of caption ran for minutes. A value longer than
 * VIRAL_REGEX_MAX_SUBJECT (4096 bytes) is an error naming the field; one of
 * 4096 bytes is matched. This test case has a 10 s timeout. */
START_TEST(regex_subject_is_bounded) {
  viral_pipeline *p = spec(
      "{\"window\": \"0h\", \"hash_bits\": 8, \"fields\": {"
      "\"vid\": {\"from\": \"caption\", \"regex\": \"(.*)(.*)x\", \"observed\": \"0h\"}},"
      "\"features\": [{\"transform\": \"hash\", \"field\": \"vid\"}]}");
  const size_t big = 500000, limit = 4096;
  char *text = malloc(big + limit + 64);
  size_t n = (size_t)sprintf(text, "caption\n");
  memset(text + n, 'a', limit - 1);
  n += limit - 1;
  n += (size_t)sprintf(text + n, "x\n");
  memset(text + n, 'a', big);
  n += big;
  text[n++] = '\n';
  text[n] = '\0';
  viral_reader *r = csv(text);
  viral_sparse v;
  viral_sparse_init(&v);
  viral_error err;
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  ck_assert_uint_eq(v.count, 1); /* matched: hashed */
  ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_ERR_LIMIT);
  ck_assert_str_eq(err.message, "t.csv:3: field 'caption': 500000 bytes, more than the 4096 a "
                                "regex reads");
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
  free(text);
}
END_TEST

/* One scratch used with a const pipeline, and with two pipelines in turn
 * (their bindings differ for the same records), gives what each pipeline's
 * own transform gives, named path included. */
static int count_sink(void *ctx, uint32_t index, double value, const char *group, const char *name) {
  (void)index, (void)value, (void)group, (void)name;
  ++*(size_t *)ctx;
  return 0;
}

START_TEST(transform_with_a_scratch_equals_transform) {
  viral_pipeline *a = spec(numbers_spec);
  viral_pipeline *b = spec("{\"window\": \"1h\", \"label\": \"viral\", \"features\": ["
                           "{\"transform\": \"log1p\", \"field\": \"likes_1h\", \"fill\": 0},"
                           "{\"transform\": \"hash\", \"field\": \"music_id\"}]}");
  viral_reader *r = csv("video_id,views_1h,watch_ratio_1h,likes_1h,music_id,viral\n"
                        "v1,10,0.25,3,s1,1\nv2,,0.75,7,s2,0\nv3,5,0.1,,,1\n");
  viral_pipeline_scratch *s = viral_pipeline_scratch_create();
  ck_assert_ptr_nonnull(s);
  viral_sparse x, y;
  viral_sparse_init(&x);
  viral_sparse_init(&y);
  viral_error err;
  for (int row = 0; row < 3; row++) {
    const viral_record *rec = next(r);
    for (int k = 0; k < 2; k++) {
      viral_pipeline *p = k ? b : a;
      double lx = NAN, ly = NAN;
      ck_assert_int_eq(viral_pipeline_transform(p, rec, &x, &lx, &err), VIRAL_OK);
      ck_assert_int_eq(viral_pipeline_transform_with(p, s, rec, &y, &ly, &err), VIRAL_OK);
      ck_assert_uint_eq(x.count, y.count);
      for (size_t i = 0; i < x.count; i++) {
        ck_assert_uint_eq(x.items[i].index, y.items[i].index);
        ck_assert(x.items[i].value == y.items[i].value);
      }
      ck_assert(lx == ly || (isnan(lx) && isnan(ly)));
      size_t named = 0;
      ck_assert_int_eq(viral_pipeline_transform_named_with(p, s, rec, count_sink, &named, NULL, &err), VIRAL_OK);
      ck_assert_uint_ge(named, x.count);
    }
  }
  viral_sparse_release(&x);
  viral_sparse_release(&y);
  viral_pipeline_scratch_free(s);
  viral_reader_free(r);
  viral_pipeline_free(a);
  viral_pipeline_free(b);
}
END_TEST

/* ---- the training profile and coordinates in words ---- */

static const char *words_spec =
    "{\"name\":\"w\",\"window\":\"2h\",\"label\":\"viral\",\"hash_bits\":8,\"scaling\":\"none\","
    "\"names_max\":10,\"missing\":{\"fill\":0,\"indicator\":true},\"features\":["
    "{\"transform\":\"log1p\",\"field\":\"views_2h\",\"indicator\":false},"
    "{\"transform\":\"ratio\",\"fields\":[\"shares_2h\",\"views_2h\"],\"on_zero\":0,\"indicator\":false},"
    "{\"transform\":\"log_ratio\",\"fields\":[\"shares_2h\",\"views_2h\"],\"indicator\":false},"
    "{\"transform\":\"growth\",\"fields\":[\"views_1h\",\"views_2h\"]},"
    "{\"transform\":\"velocity\",\"fields\":[\"views_1h\",\"views_2h\"],\"indicator\":false},"
    "{\"transform\":\"bool\",\"field\":\"author_verified\",\"indicator\":false},"
    "{\"transform\":\"hour\",\"field\":\"posted_at\",\"indicator\":false},"
    "{\"transform\":\"weekday\",\"field\":\"posted_at\",\"indicator\":false},"
    "{\"transform\":\"hash\",\"field\":\"music_id\"},"
    "{\"transform\":\"hash_list\",\"field\":\"hashtags\"}]}";

static const char *words_train =
    "video_id,views_1h,views_2h,shares_2h,author_verified,posted_at,music_id,hashtags,viral\n"
    "a,10,100,1,0,2026-03-02T18:30:00Z,snd_1,x|y,0\n"
    "b,20,200,4,1,2026-03-02T18:30:00Z,snd_1,x,0\n"
    "c,30,300,9,0,2026-03-02T18:30:00Z,snd_2,y,1\n"
    "d,40,400,16,0,2026-03-02T18:30:00Z,snd_1,x,0\n";

static const char *words_query =
    "video_id,views_1h,views_2h,shares_2h,author_verified,posted_at,music_id,hashtags,viral\n"
    "q,25,250,5,1,2026-03-02T18:30:00Z,snd_1,x,0\n"
    "m,,250,5,1,2026-03-02T18:30:00Z,snd_1,x,0\n";

/* The description of the coordinate whose label (or name) is label. */
static const viral_feature_input *input_of(const viral_feature_input *in, size_t n, const char *label) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(in[i].label, label) == 0 || strcmp(in[i].name, label) == 0) return &in[i];
  ck_abort_msg("no input '%s'", label);
  return NULL;
}

/* Every coordinate of rec described (in[0..*n)). */
static void describe_all(const viral_pipeline *p, const viral_record *rec, viral_feature_input *in, size_t *n) {
  viral_error err;
  viral_sparse v;
  viral_sparse_init(&v);
  viral_pipeline_scratch *s = viral_pipeline_scratch_create();
  ck_assert_int_eq(viral_pipeline_transform_with(p, s, rec, &v, NULL, &err), VIRAL_OK);
  /* every dense coordinate (at 0 too, as explain ranks them), then the
   * hashed ones of the vector */
  uint32_t index[64], dense = viral_pipeline_dense_count(p);
  ck_assert(dense + v.count <= 64);
  *n = 0;
  for (uint32_t i = 0; i < dense; i++) index[(*n)++] = i;
  for (size_t i = 0; i < v.count; i++)
    if (v.items[i].index >= dense) index[(*n)++] = v.items[i].index;
  ck_assert_int_eq(viral_pipeline_describe_with(p, s, rec, index, *n, in, &err), VIRAL_OK);
  viral_pipeline_scratch_free(s);
  viral_sparse_release(&v);
}

START_TEST(profile_describes_each_kind_in_words) {
  viral_pipeline *p = spec(words_spec);
  viral_error err;
  viral_sparse v;
  viral_sparse_init(&v);
  viral_reader *r = csv(words_train);
  ck_assert_int_eq(viral_pipeline_profile(p, 1, &err), VIRAL_OK);
  for (int i = 0; i < 4; i++) ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_profile(p, 0, &err), VIRAL_OK);
  viral_reader_free(r);
  ck_assert_uint_eq(viral_pipeline_profile_rows(p), 4);
  /* the profile survives the model file's round trip */
  viral_pipeline *q = viral_pipeline_copy(p, &err);
  ck_assert_ptr_nonnull(q);
  r = csv(words_query);
  viral_feature_input in[64];
  size_t n = 0;
  const viral_record *rec = next(r);
  for (int round = 0; round < 2; round++) {
    describe_all(round ? q : p, rec, in, &n);
    const viral_feature_input *x = input_of(in, n, "shares/views at 2h");
    ck_assert_int_eq(x->kind, VIRAL_INPUT_NUMBER);
    ck_assert_double_eq_tol(x->value, 0.02, 1e-15);
    /* 0.01 0.02 0.03 0.04, type-7 quantiles: 0.02 sits a third of the way up */
    ck_assert_double_eq_tol(x->percentile, 1.0 / 3, 1e-9);
    x = input_of(in, n, "shares/views at 2h (log_ratio)"); /* the ratio again: told apart */
    ck_assert_double_eq_tol(x->value, 0.02, 1e-15);
    x = input_of(in, n, "views at 2h");
    ck_assert_double_eq(x->value, 250);
    ck_assert_double_eq_tol(x->percentile, 0.5, 1e-9);
    x = input_of(in, n, "views growth 1h->2h");
    ck_assert_double_eq_tol(x->value, 251.0 / 26, 1e-12);
    x = input_of(in, n, "views per hour 1h->2h");
    ck_assert_double_eq_tol(x->value, 225, 1e-12);
    x = input_of(in, n, "author verified");
    ck_assert_int_eq(x->kind, VIRAL_INPUT_YESNO);
    ck_assert_double_eq(x->value, 1);
    ck_assert_double_eq_tol(x->share, 0.25, 1e-15);
    x = input_of(in, n, "hour_sin(posted_at)");
    ck_assert_str_eq(x->label, "posting hour");
    ck_assert_int_eq(x->kind, VIRAL_INPUT_HOUR);
    ck_assert_double_eq_tol(x->value, 18.5, 1e-12);
    x = input_of(in, n, "weekday_cos(posted_at)");
    ck_assert_str_eq(x->label, "posting day");
    ck_assert_double_eq(x->value, 0); /* 2026-03-02 was a Monday */
    x = input_of(in, n, "music_id = snd_1");
    ck_assert_int_eq(x->kind, VIRAL_INPUT_CATEGORY);
    ck_assert_str_eq(x->name, "sound=snd_1");
    ck_assert_double_eq_tol(x->share, 0.75, 1e-15);
    x = input_of(in, n, "hashtags include x");
    ck_assert_double_eq_tol(x->share, 0.75, 1e-15);
    /* the one form every output uses */
    viral_reason reason;
    memset(&reason, 0, sizeof reason);
    reason.input = *input_of(in, n, "shares/views at 2h");
    reason.contribution = 1.48;
    char text[VIRAL_REASON_TEXT_MAX];
    viral_reason_text(&reason, text, sizeof text);
    ck_assert_str_eq(text, "shares/views at 2h = 0.02 (bottom 33% of training) -> +1.48");
    reason.input = *input_of(in, n, "author verified");
    viral_reason_text(&reason, text, sizeof text);
    ck_assert_str_eq(text, "author verified = yes (25% of training) -> +1.48");
    reason.input = *input_of(in, n, "hour_cos(posted_at)");
    viral_reason_text(&reason, text, sizeof text);
    ck_assert_str_eq(text, "posting hour = 18:30 UTC -> +1.48");
    /* the missing-value indicator of an input that is there (ranked for
     * its effect from the mean video): present, with the share that had it */
    reason.input = *input_of(in, n, "missing(growth(views_1h,views_2h))");
    ck_assert_int_eq(reason.input.kind, VIRAL_INPUT_PRESENT);
    ck_assert_double_eq(reason.input.share, 1);
    viral_reason_text(&reason, text, sizeof text);
    ck_assert_str_eq(text, "views growth 1h->2h present (100% of training) -> +1.48");
  }
  /* a missing input: its indicator, and the share of training rows without it */
  rec = next(r);
  describe_all(q, rec, in, &n);
  const viral_feature_input *x = input_of(in, n, "missing(growth(views_1h,views_2h))");
  ck_assert_int_eq(x->kind, VIRAL_INPUT_MISSING);
  ck_assert_str_eq(x->label, "views growth 1h->2h");
  ck_assert_double_eq(x->share, 0);
  viral_reason indicator;
  memset(&indicator, 0, sizeof indicator);
  indicator.input = *x;
  indicator.value = 1;
  indicator.contribution = -0.7;
  char said[VIRAL_REASON_TEXT_MAX];
  viral_reason_text(&indicator, said, sizeof said);
  ck_assert_str_eq(said, "views growth 1h->2h missing (0% of training) -> -0.7");
  /* without a profile (an older model file): no standing */
  viral_pipeline *bare = spec(words_spec);
  describe_all(bare, rec, in, &n);
  x = input_of(in, n, "shares/views at 2h");
  ck_assert(isnan(x->percentile));
  ck_assert_double_eq_tol(x->value, 0.02, 1e-15);
  viral_reason reason;
  memset(&reason, 0, sizeof reason);
  reason.input = *x;
  reason.contribution = -0.5;
  char text[VIRAL_REASON_TEXT_MAX];
  viral_reason_text(&reason, text, sizeof text);
  ck_assert_str_eq(text, "shares/views at 2h = 0.02 -> -0.5");
  viral_pipeline_free(bare);
  viral_reader_free(r);
  viral_sparse_release(&v);
  viral_pipeline_free(q);
  viral_pipeline_free(p);
}
END_TEST

/* Profile the rows of the CSV text through p: row `failing` must fail (-1:
 * none), the others succeed; returns the last coordinate's index of row
 * `marked` (a hashed one when the spec has any). */
static uint32_t profile_csv(viral_pipeline *p, const char *text, int rows, int failing, int marked) {
  viral_reader *r = csv(text);
  viral_error err;
  viral_sparse v;
  viral_sparse_init(&v);
  uint32_t index = 0;
  ck_assert_int_eq(viral_pipeline_profile(p, 1, &err), VIRAL_OK);
  for (int i = 0; i < rows; i++) {
    ck_assert_int_eq(viral_pipeline_transform(p, next(r), &v, NULL, &err) != VIRAL_OK, i == failing);
    if (i == marked) index = v.items[v.count - 1].index;
  }
  ck_assert_int_eq(viral_pipeline_profile(p, 0, &err), VIRAL_OK);
  viral_reader_free(r);
  viral_sparse_release(&v);
  return index;
}

/* names_max 1 and three values: the name kept is the most frequent one */
START_TEST(profile_keeps_the_most_frequent_names) {
  viral_pipeline *p = spec("{\"name\":\"w\",\"window\":\"2h\",\"label\":\"viral\",\"hash_bits\":16,"
                           "\"scaling\":\"none\",\"names_max\":1,\"features\":["
                           "{\"transform\":\"hash\",\"field\":\"music_id\"}]}");
  uint32_t often = profile_csv(p, "video_id,music_id,viral\na,rare,0\nb,often,0\nc,often,0\nd,once,0\ne,often,0\n",
                               5, -1, 1);
  char name[64];
  viral_pipeline_feature_name(p, often, name, sizeof name);
  ck_assert_str_eq(name, "sound=often");
  ck_assert_double_eq_tol(viral_pipeline_spread(p, often), sqrt(0.6 * 0.4), 1e-12);
  viral_pipeline_free(p);
}
END_TEST

/* A row that fails after its hashed feature (the profile notes a row's
 * hashed coordinates when it ends) still counts them, as it did when each
 * was noted on the spot: "x" is on 2 of the 4 rows that ended well. */
START_TEST(profile_counts_a_failed_rows_hashed_coordinates) {
  viral_pipeline *p = spec("{\"name\":\"w\",\"window\":\"2h\",\"label\":\"viral\",\"hash_bits\":16,"
                           "\"scaling\":\"none\",\"features\":[{\"transform\":\"hash\",\"field\":\"music_id\"},"
                           "{\"transform\":\"log1p\",\"field\":\"views_2h\"}]}");
  uint32_t x = profile_csv(p, "video_id,music_id,views_2h,viral\na,x,10,0\nb,x,lots,0\nc,y,5,0\nd,y,5,0\ne,y,5,0\n",
                           5, 1, 0);
  ck_assert_uint_eq(viral_pipeline_profile_rows(p), 4);
  ck_assert_double_eq_tol(viral_pipeline_spread(p, x), 0.5, 1e-12);
  viral_pipeline_free(p);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("transform");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, transforms_by_hand);
  tcase_add_test(tc, profile_counts_a_failed_rows_hashed_coordinates);
  tcase_add_test(tc, logit_and_times_log1p_by_hand);
  tcase_add_test(tc, missing_without_policy_is_an_error);
  tcase_add_test(tc, hashing_indices_names_and_signs);
  tcase_add_test(tc, fit_collects_bounded_names);
  tcase_add_test(tc, collisions_are_marked);
  tcase_add_test(tc, collecting_names_while_transforming);
  tcase_add_test(tc, scaling_fit_and_apply);
  tcase_add_test(tc, label_rules_apply);
  tcase_add_test(tc, fitted_round_trip_is_exact);
  tcase_add_test(tc, field_mapping_rules);
  tcase_add_test(tc, negative_json_count_rejected);
  tcase_add_test(tc, tabled_values_are_libm_values);
  tcase_add_test(tc, milliseconds_refused_unless_declared);
  tcase_add_test(tc, negative_ages_refused);
  tcase_add_test(tc, strptime_dates_are_validated);
  tcase_add_test(tc, tally_absent_json_fields_at_the_end);
  tcase_add_test(tc, tally_json_paths_name_the_step);
  tcase_add_test(tc, tally_csv_header_checked_at_the_first_row);
  tcase_add_test(tc, tally_warns_of_sparse_fields);
  tcase_add_test(tc, tally_explains_a_row_error);
  tcase_add_test(tc, transform_with_a_scratch_equals_transform);
  tcase_add_test(tc, profile_describes_each_kind_in_words);
  tcase_add_test(tc, profile_keeps_the_most_frequent_names);
  suite_add_tcase(s, tc);
  TCase *limits = tcase_create("limits");
  tcase_set_timeout(limits, 10);
  tcase_add_test(limits, regex_subject_is_bounded);
  suite_add_tcase(s, limits);
  return s;
}

int main(void) { return test_main(make_suite()); }
