/* test_cache.c - the binary vector cache (viral/cache.h): the rows read
 * back are the rows of the input, bad rows skipped again with their
 * message, freshness by input and key, and a damaged file is an error that
 * names it. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "features/cache_internal.h"
#include "testutil.h"
#include "viral/cache.h"

static const char *small_spec =
    "{\"window\": \"2h\", \"label\": \"viral\", \"hash_bits\": 6, \"scaling\": \"none\", \"features\": ["
    "{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
    "{\"transform\": \"ratio\", \"fields\": [\"likes_1h\", \"views_1h\"], \"on_zero\": 0},"
    "{\"transform\": \"hash\", \"field\": \"music_id\"}]}";

/* good rows, a bad count (line 3), no label (line 5), no id (line 6) */
static const char *data =
    "video_id,posted_at,views_1h,likes_1h,music_id,viral,oracle_p\n"
    "a,2026-03-01T00:00:00Z,3,1,s1,1,0.5\n"
    "b,2026-03-01T01:00:00Z,-5,1,s2,0,1\n"
    "c,2026-03-01T02:00:00Z,8,3,s1,0,0.25\n"
    "d,2026-03-01T03:00:00Z,4,0,s3,,0.75\n"
    ",,9,2,s2,1,\n";

static const char *const columns[1] = {"oracle_p"};

static viral_pipeline *pipeline(void) {
  viral_error err;
  viral_pipeline *p = viral_pipeline_parse_spec("small", small_spec, strlen(small_spec), NULL, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

static void reader_options(viral_reader_options *ro) {
  viral_reader_options_init(ro);
  ro->skip_bad_rows = 1;
}

static void cache_options(viral_cache_options *co) {
  memset(co, 0, sizeof *co);
  co->mode = VIRAL_CACHE_TRAIN;
  co->columns = columns;
  co->column_count = 1;
}

/* dir/data.csv and its cache dir/data.vc (paths into csv, vc). */
static void make_cache(const viral_pipeline *p, const char *name, char *csv, char *vc) {
  char dir[512];
  test_tmpdir(dir, sizeof dir, name);
  snprintf(csv, 600, "%s/data.csv", dir);
  snprintf(vc, 600, "%s/data.vc", dir);
  test_write_file(csv, data);
  viral_reader_options ro;
  reader_options(&ro);
  viral_cache_options co;
  cache_options(&co);
  viral_error err;
  ck_assert_msg(viral_cache_build(p, csv, &ro, &co, vc, &err) == VIRAL_OK, "%s", err.message);
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

START_TEST(the_rows_of_the_cache_are_the_rows_of_the_input) {
  viral_pipeline *p = pipeline();
  char csv[600], vc[600];
  make_cache(p, "cache_rows", csv, vc);
  viral_error err;
  viral_cache *c = viral_cache_open(vc, &err);
  ck_assert_msg(c != NULL, "%s", err.message);
  ck_assert_uint_eq(viral_cache_rows(c), 5);
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_LABELLED;
  o.ids = VIRAL_ROWS_ID;
  o.times = 1;
  o.columns = columns;
  o.column_count = 1;
  told from_text = {0}, from_cache = {0};
  o.skipped = tell;
  o.skipped_ctx = &from_text;
  viral_reader_options ro;
  reader_options(&ro);
  viral_pipeline *q = pipeline();
  viral_rows *text = viral_rows_open(q, csv, &ro, &o, &err);
  o.skipped_ctx = &from_cache;
  viral_rows *cached = viral_rows_open_cache(c, &o, &err);
  ck_assert(text && cached);
  const viral_row *a, *b;
  int ra, rb, rows = 0;
  while ((ra = viral_rows_next(text, &a, &err)) == 1) {
    rb = viral_rows_next(cached, &b, &err);
    ck_assert_int_eq(rb, 1);
    ck_assert_uint_eq(a->record, b->record);
    ck_assert(a->label == b->label);
    ck_assert(a->posted_at == b->posted_at || (isnan(a->posted_at) && isnan(b->posted_at)));
    ck_assert_uint_eq(a->id_len, b->id_len);
    ck_assert(a->id_len == 0 || memcmp(a->id, b->id, a->id_len) == 0);
    ck_assert(a->columns[0] == b->columns[0] || (isnan(a->columns[0]) && isnan(b->columns[0])));
    ck_assert_uint_eq(a->x->count, b->x->count);
    for (size_t k = 0; k < a->x->count; k++) {
      ck_assert_uint_eq(a->x->items[k].index, b->x->items[k].index);
      ck_assert(a->x->items[k].value == b->x->items[k].value); /* bit for bit */
    }
    rows++;
  }
  ck_assert_int_eq(ra, 0);
  ck_assert_int_eq(viral_rows_next(cached, &b, &err), 0);
  ck_assert_int_eq(rows, 3);
  viral_rows_counts ct, cc;
  viral_rows_get_counts(text, &ct);
  viral_rows_get_counts(cached, &cc);
  ck_assert_uint_eq(ct.records, cc.records);
  ck_assert_uint_eq(ct.unlabeled, cc.unlabeled);
  ck_assert_uint_eq(ct.bad_rows, cc.bad_rows);
  ck_assert_int_eq(from_cache.n, 1);
  ck_assert_str_eq(from_cache.last, from_text.last);
  ck_assert_msg(strstr(from_cache.last, "data.csv:3:") != NULL, "%s", from_cache.last);
  /* a second pass gives the rows again */
  ck_assert_int_eq(viral_rows_rewind(cached, &err), VIRAL_OK);
  ck_assert_int_eq(viral_rows_next(cached, &b, &err), 1);
  ck_assert_uint_eq(b->record, 0);
  viral_rows_free(text);
  viral_rows_free(cached);
  viral_cache_free(c);
  viral_pipeline_free(q);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(fresh_while_the_input_and_the_key_are_the_same) {
  viral_pipeline *p = pipeline();
  char csv[600], vc[600], why[64];
  viral_error err;
  viral_reader_options ro;
  reader_options(&ro);
  viral_cache_options co;
  cache_options(&co);
  uint64_t key, other;
  ck_assert_int_eq(viral_cache_key(p, &ro, &co, &key, &err), VIRAL_OK);
  char dir[512];
  test_tmpdir(dir, sizeof dir, "cache_fresh");
  snprintf(vc, sizeof vc, "%s/none.vc", dir);
  snprintf(csv, sizeof csv, "%s/none.csv", dir);
  test_write_file(csv, data);
  ck_assert_int_eq(viral_cache_fresh(vc, csv, key, why, sizeof why, &err), 0);
  ck_assert_str_eq(why, "missing");
  make_cache(p, "cache_fresh", csv, vc);
  ck_assert_int_eq(viral_cache_fresh(vc, csv, key, why, sizeof why, &err), 1);
  ro.skip_bad_rows = 0; /* another option: another key */
  ck_assert_int_eq(viral_cache_key(p, &ro, &co, &other, &err), VIRAL_OK);
  ck_assert_int_eq(viral_cache_fresh(vc, csv, other, why, sizeof why, &err), 0);
  ck_assert_str_eq(why, "spec changed");
  struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
  ck_assert_int_eq(utimensat(AT_FDCWD, csv, times, 0), 0);
  ck_assert_int_eq(viral_cache_fresh(vc, csv, key, why, sizeof why, &err), 0);
  ck_assert_str_eq(why, "input changed");
  /* the input is no cache to replace */
  ck_assert_int_lt(viral_cache_fresh(csv, csv, key, why, sizeof why, &err), 0);
  ck_assert_msg(strstr(err.message, "not a viral vector cache") != NULL, "%s", err.message);
  viral_pipeline_free(p);
}
END_TEST

/* The cache at vc, changed by change, then sealed (size and checksum made
 * right) when seal: the error opening and reading it. */
static void damaged(const char *vc, void (*change)(unsigned char *, size_t *), int seal, char *message) {
  size_t len;
  unsigned char *bytes = (unsigned char *)test_read_file(vc, &len);
  ck_assert(bytes != NULL);
  change(bytes, &len);
  if (seal) cache_seal(bytes, len);
  char path[700];
  snprintf(path, sizeof path, "%s.bad", vc);
  FILE *f = fopen(path, "wb");
  ck_assert(f && fwrite(bytes, 1, len, f) == len && fclose(f) == 0);
  free(bytes);
  viral_error err;
  viral_error_clear(&err);
  viral_cache *c = viral_cache_open(path, &err);
  viral_rows *s = c ? viral_rows_open_cache(c, NULL, &err) : NULL;
  const viral_row *row;
  int rc = 1;
  while (s && (rc = viral_rows_next(s, &row, &err)) == 1) continue;
  ck_assert_msg(!c || rc < 0, "a damaged cache read without an error");
  snprintf(message, VIRAL_ERROR_MAX, "%s", err.message);
  viral_rows_free(s);
  viral_cache_free(c);
}

static void cut_short(unsigned char *b, size_t *len) { (void)b, *len -= 10; }
static void flip(unsigned char *b, size_t *len) { b[*len / 2] ^= 0x40; }
static void version_2(unsigned char *b, size_t *len) { (void)len, b[8] = 2; }
/* the first row's flags made impossible: found in the rows, past the checksum */
static void bad_row(unsigned char *b, size_t *len) {
  (void)len;
  b[128] = 0xff;
}

START_TEST(a_damaged_cache_is_an_error_naming_it) {
  viral_pipeline *p = pipeline();
  char csv[600], vc[600], msg[VIRAL_ERROR_MAX];
  make_cache(p, "cache_damaged", csv, vc);
  damaged(vc, cut_short, 0, msg);
  ck_assert_msg(strstr(msg, "data.vc.bad: truncated: ") != NULL, "%s", msg);
  damaged(vc, flip, 0, msg);
  ck_assert_msg(strstr(msg, "data.vc.bad: checksum mismatch: the file is corrupt") != NULL, "%s", msg);
  damaged(vc, version_2, 1, msg);
  ck_assert_msg(strstr(msg, "format version 2, this viral reads version 1") != NULL, "%s", msg);
  damaged(vc, bad_row, 1, msg);
  ck_assert_msg(strstr(msg, "data.vc.bad: row ") != NULL && strstr(msg, ": corrupt") != NULL, "%s", msg);
  viral_pipeline_free(p);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("cache");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, the_rows_of_the_cache_are_the_rows_of_the_input);
  tcase_add_test(tc, fresh_while_the_input_and_the_key_are_the_same);
  tcase_add_test(tc, a_damaged_cache_is_an_error_naming_it);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
