/* test_reader.c - the CSV and JSON readers and the record getters: the
 * parsing rules, exact error messages for malformed input, stdin streaming,
 * and the row counts of the shared real datasets. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/reader_internal.h" /* utf8_valid, csv_fast_path */
#include "testutil.h"
#include "viral/reader.h"

/* ---- helpers ---- */

static viral_reader *open_text(const char *name, const char *text, const viral_reader_options *o) {
  viral_error err = {0};
  viral_reader *r = viral_reader_open_memory(name, text, strlen(text), o, &err);
  ck_assert_msg(r != NULL, "open %s failed: %s", name, err.message);
  return r;
}

static const viral_record *next_ok(viral_reader *r) {
  const viral_record *rec = NULL;
  viral_error err = {0};
  int rc = viral_reader_next(r, &rec, &err);
  ck_assert_msg(rc == 1, "expected a record, got %d: %s", rc, err.message);
  return rec;
}

static void at_end(viral_reader *r) {
  const viral_record *rec;
  viral_error err = {0};
  int rc = viral_reader_next(r, &rec, &err);
  ck_assert_msg(rc == 0, "expected the end, got %d: %s", rc, err.message);
}

/* Field value as text ("" when missing). */
static const char *text_of(const viral_record *rec, const char *name) {
  static char buf[4096];
  long i = viral_record_find(rec, name);
  ck_assert_msg(i >= 0, "no field %s", name);
  const viral_value *v = viral_record_value(rec, (size_t)i);
  snprintf(buf, sizeof buf, "%.*s", (int)v->len, v->text ? v->text : "");
  return buf;
}

static viral_value_kind kind_of(const viral_record *rec, const char *name) {
  long i = viral_record_find(rec, name);
  ck_assert_msg(i >= 0, "no field %s", name);
  return viral_record_value(rec, (size_t)i)->kind;
}

/* Read text to the end; the first error (from open or next) must be
 * expected, and it must stay the answer on a further call. */
static void expect_error(const char *name, const char *text, size_t len,
                         const viral_reader_options *o, const char *expected) {
  viral_error err = {0};
  viral_reader *r = viral_reader_open_memory(name, text, len, o, &err);
  int rc = 0;
  if (r) {
    const viral_record *rec;
    while ((rc = viral_reader_next(r, &rec, &err)) == 1) {
    }
    ck_assert_msg(rc < 0, "%s: no error, expected '%s'", name, expected);
    viral_error again = {0};
    ck_assert_int_eq(viral_reader_next(r, &rec, &again), rc);
    ck_assert_str_eq(again.message, expected);
  }
  ck_assert_str_eq(err.message, expected);
  ck_assert_int_lt(err.code, 0);
  viral_reader_free(r);
}
#define EXPECT_ERROR(name, text, o, expected) expect_error(name, text, strlen(text), o, expected)

/* {"a":{"a":...1...}} with levels objects into deep (levels * 6 + 2 bytes). */
static void nested_objects(char *deep, int levels) {
  deep[0] = '\0';
  for (int i = 0; i < levels; i++) strcat(deep, "{\"a\":");
  strcat(deep, "1");
  for (int i = 0; i < levels; i++) strcat(deep, "}");
}

/* The first record of text, and its getter error for field. */
static void expect_getter_error(const char *text, const char *field, const char *kind,
                                const char *expected) {
  viral_reader *r = open_text("t.csv", text, NULL);
  const viral_record *rec = next_ok(r);
  long i = viral_record_find(rec, field);
  ck_assert_int_ge(i, 0);
  viral_error err = {0};
  double x;
  int b, rc;
  if (strcmp(kind, "number") == 0) rc = viral_record_number(rec, (size_t)i, &x, &err);
  else if (strcmp(kind, "count") == 0) rc = viral_record_count(rec, (size_t)i, &x, &err);
  else if (strcmp(kind, "duration") == 0) rc = viral_record_duration(rec, (size_t)i, &x, &err);
  else if (strcmp(kind, "bool") == 0) rc = viral_record_bool(rec, (size_t)i, &b, &err);
  else rc = viral_record_timestamp(rec, (size_t)i, 0, &x, &err);
  ck_assert_int_eq(rc, VIRAL_ERR_PARSE);
  ck_assert_str_eq(err.message, expected);
  viral_reader_free(r);
}

/* ---- CSV rules ---- */

START_TEST(csv_quoting_crlf_bom_and_lines) {
  const char *text = "\xEF\xBB\xBFid,caption,views\r\n"
                     "1,\"hello, \"\"world\"\"\",10\r\n"
                     "\r\n"
                     "2,\"two\nlines\",\r\n"
                     "\n"
                     "3, spaced ,30";
  viral_reader *r = open_text("t.csv", text, NULL);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_CSV);
  const viral_record *rec = next_ok(r);
  ck_assert_uint_eq(viral_record_field_count(rec), 3);
  ck_assert_str_eq(viral_record_field_name(rec, 0), "id"); /* BOM stripped */
  ck_assert_str_eq(text_of(rec, "caption"), "hello, \"world\"");
  ck_assert_int_eq(viral_record_line(rec), 2);
  ck_assert_str_eq(viral_record_source(rec), "t.csv");
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "caption"), "two\nlines");
  ck_assert_int_eq(kind_of(rec, "views"), VIRAL_VALUE_MISSING); /* empty cell */
  ck_assert_int_eq(viral_record_line(rec), 4);
  double x = -1;
  ck_assert_int_eq(viral_record_number(rec, 2, &x, NULL), VIRAL_MISSING);
  rec = next_ok(r);
  ck_assert_int_eq(viral_record_line(rec), 7); /* the quoted newline counts */
  ck_assert_str_eq(text_of(rec, "caption"), " spaced "); /* cells are verbatim */
  ck_assert_int_eq(viral_record_number(rec, 2, &x, NULL), VIRAL_OK);
  ck_assert(x == 30);
  at_end(r);
  at_end(r);
  ck_assert_uint_eq(viral_reader_rows(r), 3);
  ck_assert_uint_eq(viral_reader_skipped(r), 0);
  viral_reader_free(r);
}
END_TEST

START_TEST(csv_header_only_and_blank_cells) {
  viral_reader *r = open_text("t.csv", "a,b,c\n", NULL);
  ck_assert_uint_eq(viral_reader_rows(r), 0);
  at_end(r);
  viral_reader_free(r);
  /* a cell of blanks reads as missing through the getters, as text as is */
  r = open_text("t.csv", "a,b\n  ,x\n", NULL);
  const viral_record *rec = next_ok(r);
  double x;
  ck_assert_int_eq(viral_record_number(rec, 0, &x, NULL), VIRAL_MISSING);
  ck_assert_int_eq(kind_of(rec, "a"), VIRAL_VALUE_TEXT);
  /* an index beyond the schema is missing, never a crash */
  ck_assert_int_eq(viral_record_value(rec, 99)->kind, VIRAL_VALUE_MISSING);
  ck_assert_int_eq(viral_record_find(rec, "nope"), -1);
  viral_reader_free(r);
  /* an empty header name is allowed */
  r = open_text("t.csv", ",name\n0,x\n", NULL);
  rec = next_ok(r);
  ck_assert_int_eq(viral_record_find(rec, ""), 0);
  ck_assert_str_eq(text_of(rec, "name"), "x");
  viral_reader_free(r);
}
END_TEST

START_TEST(csv_getters_and_lists) {
  const char *text = "views,dur,ok,at,tags,n\n"
                     "1.4M,1:02:03,True,2026-03-02T18:05:00Z,\"#fyp, dance|renegade\",1e3\n";
  viral_reader *r = open_text("t.csv", text, NULL);
  const viral_record *rec = next_ok(r);
  double x;
  int b;
  ck_assert_int_eq(viral_record_count(rec, 0, &x, NULL), VIRAL_OK);
  ck_assert(x == 1400000);
  ck_assert_int_eq(viral_record_duration(rec, 1, &x, NULL), VIRAL_OK);
  ck_assert(x == 3723);
  ck_assert_int_eq(viral_record_bool(rec, 2, &b, NULL), VIRAL_OK);
  ck_assert_int_eq(b, 1);
  ck_assert_int_eq(viral_record_timestamp(rec, 3, 0, &x, NULL), VIRAL_OK);
  ck_assert(x == 1772474700);
  ck_assert_int_eq(viral_record_number(rec, 5, &x, NULL), VIRAL_OK);
  ck_assert(x == 1000);
  viral_strview items[4], t;
  size_t n = 0;
  ck_assert_int_eq(viral_record_list(rec, 4, NULL, items, 4, &n, NULL), VIRAL_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert(items[0].len == 3 && memcmp(items[0].ptr, "fyp", 3) == 0);
  ck_assert(items[2].len == 8 && memcmp(items[2].ptr, "renegade", 8) == 0);
  ck_assert_int_eq(viral_record_text(rec, 0, &t, NULL), VIRAL_OK);
  ck_assert(t.len == 4 && memcmp(t.ptr, "1.4M", 4) == 0);
  viral_reader_free(r);
}
END_TEST

START_TEST(csv_memory_is_reused) {
  /* 20000 rows: the reader's buffers must not move once warmed up, which is
   * what "no allocation per row" looks like from outside */
  size_t rows = 20000;
  char *text = malloc(rows * 32 + 32);
  size_t n = (size_t)sprintf(text, "id,views,caption\n");
  for (size_t i = 0; i < rows; i++) n += (size_t)sprintf(text + n, "%zu,%zu,c%zu\n", i, i * 3, i);
  viral_reader *r = open_text("big.csv", text, NULL);
  const char *first = NULL;
  for (size_t i = 0; i < rows; i++) {
    const viral_record *rec = next_ok(r);
    const char *p = viral_record_value(rec, 0)->text;
    if (i == 10) first = p;
    if (i > 10) ck_assert_ptr_eq(p, first);
    double v;
    ck_assert_int_eq(viral_record_number(rec, 1, &v, NULL), VIRAL_OK);
    ck_assert(v == (double)(i * 3));
    ck_assert_int_eq(viral_record_line(rec), (long)i + 2);
  }
  at_end(r);
  viral_reader_free(r);
  free(text);
}
END_TEST

/* ---- CSV errors ---- */

START_TEST(csv_malformed) {
  viral_reader_options o;
  EXPECT_ERROR("t.csv", "", NULL, "t.csv: empty file, no header");
  EXPECT_ERROR("t.csv", "\n\r\n\n", NULL, "t.csv: empty file, no header");
  EXPECT_ERROR("t.csv", "a,b\n1,2\n3,\"open\n4,5\n", NULL,
               "t.csv:3: unterminated quoted cell (the file ends inside quotes)");
  EXPECT_ERROR("t.csv", "a,b,c\n1,2,3\n1,2\n", NULL, "t.csv:3: row has 2 cells, header has 3");
  EXPECT_ERROR("t.csv", "a,b\n\"x\ny\",2,3\n", NULL, "t.csv:2: row has 3 cells, header has 2");
  EXPECT_ERROR("t.csv", "a,b\n1,x\"y\n", NULL,
               "t.csv:2: misplaced quote (a '\"' inside an unquoted cell, or text after a "
               "closing quote)");
  EXPECT_ERROR("t.csv", "a,b\n1,\"x\"y\n", NULL,
               "t.csv:2: misplaced quote (a '\"' inside an unquoted cell, or text after a "
               "closing quote)");
  EXPECT_ERROR("t.csv", "a,b\n1,ok\n2,\xff\xfe\n", NULL, "t.csv:3: field 'b': invalid UTF-8");
  EXPECT_ERROR("t.csv", "a,b\n1,\xC0\xAF\n", NULL, "t.csv:2: field 'b': invalid UTF-8"); /* overlong */
  EXPECT_ERROR("t.csv", "a,\xE2\x82\n", NULL, "t.csv:1: column 2: invalid UTF-8 in the header");
  /* the row is checked whole, then cell by cell: the first bad cell is named,
   * after a good multibyte one, and a sequence split across two cells
   * (valid if the cells were joined) is bad in the first */
  EXPECT_ERROR("t.csv", "a,b,c\n\xC3\xA9,x,\xff\n", NULL, "t.csv:2: field 'c': invalid UTF-8");
  EXPECT_ERROR("t.csv", "a,b\n1\xE2\x82,\xAC\n", NULL, "t.csv:2: field 'a': invalid UTF-8");
  EXPECT_ERROR("t.csv", "a,b,a\n1,2,3\n", NULL, "t.csv:1: duplicate column name 'a' (columns 1 and 3)");
  viral_reader_options_init(&o);
  o.max_fields = 3;
  EXPECT_ERROR("t.csv", "a,b,c,d\n1,2,3,4\n", &o, "t.csv:1: 4 fields, more than the limit of 3");
  viral_reader_options_init(&o);
  o.max_record_bytes = 10;
  EXPECT_ERROR("t.csv", "a,b\n1234,567890\n", &o, "t.csv:2: record longer than 10 bytes");
  /* exactly at the limit is fine: "1234,5678" is 9 bytes, "1234,56789" 10 */
  viral_reader *r = open_text("t.csv", "a,b\n1234,56789\n", &o);
  next_ok(r);
  viral_reader_free(r);
  EXPECT_ERROR("t.csv", "a,b\n\"12\n34\",5678\n", &o, "t.csv:2: record longer than 10 bytes");
}
END_TEST

START_TEST(csv_default_record_limit) {
  /* the default limit is 1 MiB = 1048576 bytes */
  size_t n = VIRAL_DEFAULT_MAX_RECORD_BYTES + 10;
  char *text = malloc(n + 16);
  memcpy(text, "a\n", 2);
  memset(text + 2, 'x', n);
  memcpy(text + 2 + n, "\n", 2);
  expect_error("big.csv", text, strlen(text), NULL, "big.csv:2: record longer than 1048576 bytes");
  viral_reader_free(NULL);
  free(text);
}
END_TEST

START_TEST(csv_skip_bad_rows) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.skip_bad_rows = 1;
  const char *text = "a,b\n"
                     "1,2\n"
                     "3\n"            /* too short */
                     "4,5,6\n"        /* too long */
                     "7,x\"y\n"       /* misplaced quote */
                     "8,\xff\n"       /* invalid UTF-8 */
                     "9,10\n";
  viral_reader *r = open_text("t.csv", text, &o);
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "a"), "1");
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "a"), "9");
  ck_assert_int_eq(viral_record_line(rec), 7);
  at_end(r);
  ck_assert_uint_eq(viral_reader_rows(r), 2);
  ck_assert_uint_eq(viral_reader_skipped(r), 4);
  viral_reader_free(r);
}
END_TEST

START_TEST(getter_errors) {
  expect_getter_error("views,n\nabc,1\n", "views", "number", "t.csv:2: field 'views': bad number 'abc'");
  expect_getter_error("views\n1.4X\n", "views", "count", "t.csv:2: field 'views': bad count '1.4X'");
  expect_getter_error("views\n-3\n", "views", "count", "t.csv:2: field 'views': bad count '-3'");
  expect_getter_error("d\n1:75\n", "d", "duration", "t.csv:2: field 'd': bad duration '1:75'");
  expect_getter_error("ok\nmaybe\n", "ok", "bool", "t.csv:2: field 'ok': bad bool 'maybe'");
  expect_getter_error("at\n2023-02-29 10:00:00\n", "at", "timestamp",
                      "t.csv:2: field 'at': bad timestamp '2023-02-29 10:00:00'");
  /* long values are cut to 60 bytes, control bytes escaped: one line */
  expect_getter_error("n\n\"x2345678901234567890123456789012345678901234567890123456789012345\"\n",
                      "n", "number",
                      "t.csv:2: field 'n': bad number "
                      "'x23456789012345678901234567890123456789012345678901234567890...'");
  expect_getter_error("n\n\"a\nb\tc\"\n", "n", "number", "t.csv:2: field 'n': bad number 'a\\nb\\tc'");
  /* a multi-byte character is not cut in half: 58 x 'a' then 'é' (2 bytes)
   * then more: the cut falls before the 'é' would pass byte 60 */
  char text[200];
  snprintf(text, sizeof text, "n\n%s\xC3\xA9\xC3\xA9zz\n",
           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* 59 a */
  expect_getter_error(text, "n", "number",
                      "t.csv:2: field 'n': bad number "
                      "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}
END_TEST

START_TEST(utf8_validation) {
#define U(s) utf8_valid(s, sizeof s - 1)
  ck_assert(U(""));
  ck_assert(U("plain ascii, longer than eight bytes"));
  ck_assert(U("Gi\xe1\xba\xa5" "c m\xc6\xa1"));     /* "Giấc mơ" */
  ck_assert(U("\xf0\x9f\xa6\xa2 swan"));          /* U+1F9A2, 4 bytes */
  ck_assert(U("\xf4\x8f\xbf\xbf"));               /* U+10FFFF, the last */
  ck_assert(U("\xef\xbb\xbf"));                    /* U+FEFF */
  ck_assert(!U("\xff"));
  ck_assert(!U("abc\x80"));                        /* a lone continuation byte */
  ck_assert(!U("\xc0\xaf"));                       /* overlong '/' */
  ck_assert(!U("\xe0\x80\xaf"));                   /* overlong, 3 bytes */
  ck_assert(!U("\xed\xa0\x80"));                   /* a UTF-16 surrogate */
  ck_assert(!U("\xf4\x90\x80\x80"));               /* beyond U+10FFFF */
  ck_assert(!U("\xf5\x80\x80\x80"));
  ck_assert(!U("abcdefgh\xe2\x82"));               /* cut short at the end */
  ck_assert(!U("\xe2\x28\xa1"));                   /* a bad second byte */
#undef U
}
END_TEST

START_TEST(missing_file) {
  viral_error err = {0};
  viral_reader *r = viral_reader_open("/nonexistent/dir/x.csv", NULL, &err);
  ck_assert_ptr_null(r);
  ck_assert_str_eq(err.message, "/nonexistent/dir/x.csv: cannot open: No such file or directory");
  ck_assert_int_eq(err.code, VIRAL_ERR_IO);
}
END_TEST

/* ---- JSON ---- */

START_TEST(jsonl_flattening) {
  const char *text =
      "{\"video_id\":\"7301234567890123456\",\"n\":48200,\"big\":7301234567890123456,"
      "\"x\":0.1,\"ok\":false,\"none\":null,\"empty\":\"\",\"authorMeta\":{\"verified\":true,"
      "\"stats\":{\"followers\":12}},\"hashtags\":[{\"id\":\"1\",\"name\":\"fyp\"},{\"name\":"
      "\"dance\"}],\"tags\":[\"a\",\"b c\",3],\"mixed\":[1,{\"k\":2}],\"none_list\":[]}\n"
      "\n"
      "   \n"
      "{\"video_id\":\"2\",\"new_field\":1}\r\n";
  viral_reader *r = open_text("t.jsonl", text, NULL);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_JSONL);
  const viral_record *rec = next_ok(r);
  uint64_t first_schema = viral_record_schema_id(rec);
  ck_assert_str_eq(text_of(rec, "video_id"), "7301234567890123456"); /* a string stays exact */
  ck_assert_int_eq(kind_of(rec, "n"), VIRAL_VALUE_NUMBER);
  ck_assert_str_eq(text_of(rec, "n"), "48200");
  /* beyond 2^53 a JSON number keeps the digits it was written with (its
   * double, 7301234567890123776, is for the numeric getters) */
  ck_assert_str_eq(text_of(rec, "big"), "7301234567890123456");
  ck_assert_str_eq(text_of(rec, "x"), "0.1");
  ck_assert_int_eq(kind_of(rec, "ok"), VIRAL_VALUE_BOOL);
  ck_assert_str_eq(text_of(rec, "ok"), "false");
  ck_assert_int_eq(kind_of(rec, "none"), VIRAL_VALUE_MISSING);
  ck_assert_int_eq(kind_of(rec, "empty"), VIRAL_VALUE_MISSING);
  ck_assert_int_eq(kind_of(rec, "authorMeta.verified"), VIRAL_VALUE_BOOL);
  ck_assert_str_eq(text_of(rec, "authorMeta.stats.followers"), "12");
  ck_assert_int_eq(kind_of(rec, "hashtags"), VIRAL_VALUE_LIST);
  ck_assert_str_eq(text_of(rec, "hashtags"), "fyp\x1f" "dance");
  ck_assert_uint_eq(viral_record_value(rec, (size_t)viral_record_find(rec, "tags"))->count, 3);
  ck_assert_int_eq(kind_of(rec, "mixed"), VIRAL_VALUE_TEXT);
  ck_assert_str_eq(text_of(rec, "mixed"), "[1,{\"k\":2}]");
  ck_assert_int_eq(kind_of(rec, "none_list"), VIRAL_VALUE_LIST);
  ck_assert_int_eq(viral_record_line(rec), 1);

  /* getters on JSON values */
  double x;
  int b;
  long i = viral_record_find(rec, "authorMeta.verified");
  ck_assert_int_eq(viral_record_number(rec, (size_t)i, &x, NULL), VIRAL_OK);
  ck_assert(x == 1);
  ck_assert_int_eq(viral_record_bool(rec, (size_t)i, &b, NULL), VIRAL_OK);
  ck_assert_int_eq(b, 1);
  i = viral_record_find(rec, "n");
  ck_assert_int_eq(viral_record_count(rec, (size_t)i, &x, NULL), VIRAL_OK);
  ck_assert(x == 48200);
  ck_assert_int_eq(viral_record_timestamp(rec, (size_t)i, 0, &x, NULL), VIRAL_OK);
  ck_assert(x == 48200);
  i = viral_record_find(rec, "video_id");
  ck_assert_int_eq(viral_record_number(rec, (size_t)i, &x, NULL), VIRAL_OK);
  ck_assert(x == 7301234567890123456.0);
  viral_strview items[4];
  size_t n;
  i = viral_record_find(rec, "tags");
  ck_assert_int_eq(viral_record_list(rec, (size_t)i, NULL, items, 4, &n, NULL), VIRAL_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert(items[1].len == 3 && memcmp(items[1].ptr, "b c", 3) == 0); /* not split again */
  ck_assert(items[2].len == 1 && items[2].ptr[0] == '3');
  i = viral_record_find(rec, "none_list");
  ck_assert_int_eq(viral_record_list(rec, (size_t)i, NULL, items, 4, &n, NULL), VIRAL_OK);
  ck_assert_uint_eq(n, 0);
  viral_error err = {0};
  i = viral_record_find(rec, "ok");
  ck_assert_int_eq(viral_record_count(rec, (size_t)i, &x, &err), VIRAL_ERR_PARSE);
  ck_assert_str_eq(err.message, "t.jsonl:1: field 'ok': bad count 'false'");

  rec = next_ok(r);
  ck_assert_int_eq(viral_record_line(rec), 4); /* blank lines counted, skipped */
  ck_assert_uint_ne(viral_record_schema_id(rec), first_schema); /* new_field appeared */
  ck_assert_int_eq(kind_of(rec, "n"), VIRAL_VALUE_MISSING);       /* not carried over */
  ck_assert_str_eq(text_of(rec, "new_field"), "1");
  at_end(r);
  viral_reader_free(r);
}
END_TEST

START_TEST(snapshots_match_flat_fields) {
  /* the two forms of DESIGN.md section 2 give the same record */
  const char *csv =
      "video_id,posted_at,author_followers,author_verified,duration_s,music_id,hashtags,"
      "views_1h,likes_1h,shares_1h,comments_1h,views_2h,likes_2h,shares_2h,comments_2h,viral\n"
      "7301,2026-03-02T18:05:00Z,48200,0,21.5,snd_991,fyp|dance|renegade,3120,402,37,19,9870,"
      "1290,144,61,1\n";
  const char *json =
      "{\"video_id\":\"7301\",\"posted_at\":\"2026-03-02T18:05:00Z\",\"author_followers\":48200,"
      "\"author_verified\":false,\"duration_s\":21.5,\"music_id\":\"snd_991\",\"hashtags\":["
      "\"fyp\",\"dance\",\"renegade\"],\"snapshots\":[{\"h\":1,\"views\":3120,\"likes\":402,"
      "\"shares\":37,\"comments\":19},{\"h\":2,\"views\":9870,\"likes\":1290,\"shares\":144,"
      "\"comments\":61}],\"viral\":1}\n";
  viral_reader *rc = open_text("t.csv", csv, NULL);
  viral_reader *rj = open_text("t.jsonl", json, NULL);
  const viral_record *a = next_ok(rc), *b = next_ok(rj);
  ck_assert_uint_eq(viral_record_field_count(a), viral_record_field_count(b));
  for (size_t i = 0; i < viral_record_field_count(a); i++) {
    const char *name = viral_record_field_name(a, i);
    long j = viral_record_find(b, name);
    ck_assert_msg(j >= 0, "json record lacks %s", name);
    double x, y;
    int p, q;
    viral_strview items_a[4], items_b[4];
    size_t na, nb;
    if (strcmp(name, "author_verified") == 0) {
      ck_assert_int_eq(viral_record_bool(a, i, &p, NULL), VIRAL_OK);
      ck_assert_int_eq(viral_record_bool(b, (size_t)j, &q, NULL), VIRAL_OK);
      ck_assert_int_eq(p, q);
    } else if (strcmp(name, "posted_at") == 0) {
      ck_assert_int_eq(viral_record_timestamp(a, i, 0, &x, NULL), VIRAL_OK);
      ck_assert_int_eq(viral_record_timestamp(b, (size_t)j, 0, &y, NULL), VIRAL_OK);
      ck_assert(x == y);
    } else if (strcmp(name, "hashtags") == 0) {
      ck_assert_int_eq(viral_record_list(a, i, NULL, items_a, 4, &na, NULL), VIRAL_OK);
      ck_assert_int_eq(viral_record_list(b, (size_t)j, NULL, items_b, 4, &nb, NULL), VIRAL_OK);
      ck_assert_uint_eq(na, 3);
      ck_assert_uint_eq(nb, 3);
      for (size_t k = 0; k < 3; k++)
        ck_assert(items_a[k].len == items_b[k].len &&
                  memcmp(items_a[k].ptr, items_b[k].ptr, items_a[k].len) == 0);
    } else {
      ck_assert_str_eq(text_of(b, name), text_of(a, name));
    }
  }
  viral_reader_free(rc);
  viral_reader_free(rj);
  /* fractional hours, and snapshots under a nested object */
  viral_reader *r = open_text("t.jsonl",
                              "{\"snapshots\":[{\"h\":0.5,\"views\":10}],\"s\":{\"snapshots\":"
                              "[{\"h\":24,\"likes\":3}]}}\n",
                              NULL);
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "views_0.5h"), "10");
  ck_assert_str_eq(text_of(rec, "s.likes_24h"), "3");
  ck_assert_int_eq(viral_record_find(rec, "snapshots"), -1);
  viral_reader_free(r);
}
END_TEST

START_TEST(json_documents) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = "data.items";
  const char *doc = "{\"meta\":{\"n\":2},\n \"data\":{\"items\":[\n"
                    "  {\"id\":\"a\",\"v\":1},\n  {\"id\":\"b\",\"w\":true}\n]}}\n";
  viral_reader *r = open_text("t.json", doc, &o);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_JSON);
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "id"), "a");
  ck_assert_str_eq(viral_record_source(rec), "t.json:data.items[0]");
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "id"), "b");
  ck_assert_int_eq(kind_of(rec, "v"), VIRAL_VALUE_MISSING);
  ck_assert_int_eq(kind_of(rec, "w"), VIRAL_VALUE_BOOL);
  at_end(r);
  viral_reader_free(r);
  /* a top-level array, and a single top-level object */
  r = open_text("t.json", "[{\"a\":1},{\"a\":2}]", NULL);
  next_ok(r);
  ck_assert_str_eq(text_of(next_ok(r), "a"), "2");
  at_end(r);
  viral_reader_free(r);
  r = open_text("t.json", "{\n  \"a\": 1,\n  \"b\": 2\n}\n", NULL);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_JSON);
  ck_assert_str_eq(text_of(next_ok(r), "b"), "2");
  at_end(r);
  viral_reader_free(r);
}
END_TEST

START_TEST(format_detection) {
  struct {
    const char *name, *text;
    viral_format format;
  } cases[] = {
      {"x.csv", "[a]\n[b]\n", VIRAL_FORMAT_CSV}, /* the extension wins */
      {"x.jsonl", "{\"a\":1}\n", VIRAL_FORMAT_JSONL},
      {"x.ndjson", "{\"a\":1}\n", VIRAL_FORMAT_JSONL},
      {"x.JSON", "[{\"a\":1}]", VIRAL_FORMAT_JSON},
      {"x.json", "{\"a\":1}\n{\"a\":2}\n", VIRAL_FORMAT_JSONL}, /* JSON Lines named .json */
      {"x.json", "{\"a\":1}\n", VIRAL_FORMAT_JSON},             /* one line: a document */
      {"x.json", "{\n\"a\":1}\n", VIRAL_FORMAT_JSON},
      {"x.data", "  \n{\"a\":1}\n", VIRAL_FORMAT_JSONL}, /* sniffed */
      {"x.data", "[{\"a\":1}]", VIRAL_FORMAT_JSON},
      {"x.data", "a,b\n1,2\n", VIRAL_FORMAT_CSV},
      {"-", "\xEF\xBB\xBF{\"a\":1}\n", VIRAL_FORMAT_JSONL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    viral_reader *r = open_text(cases[i].name, cases[i].text, NULL);
    ck_assert_msg(viral_reader_format(r) == cases[i].format, "case %zu: format %d", i,
                  viral_reader_format(r));
    next_ok(r);
    viral_reader_free(r);
  }
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  viral_reader *r = open_text("x.json", "a\n1\n", &o);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_CSV);
  viral_reader_free(r);
}
END_TEST

START_TEST(json_malformed) {
  viral_reader_options o;
  char deep[400];
  nested_objects(deep, 33);
  strcat(deep, "\n");
  EXPECT_ERROR("t.jsonl", deep, NULL, "t.jsonl:1: JSON nested deeper than 32 levels");
  /* 32 levels is fine */
  char ok[400] = "";
  for (int i = 0; i < 31; i++) strcat(ok, "{\"a\":");
  strcat(ok, "[1]");
  for (int i = 0; i < 31; i++) strcat(ok, "}");
  viral_reader *r = open_text("t.jsonl", ok, NULL);
  next_ok(r);
  viral_reader_free(r);
  /* beyond cJSON's own limit of 1000 the message is the same */
  size_t n = 1200;
  char *very = malloc(2 * n + 8);
  for (size_t i = 0; i < n; i++) very[i] = '[';
  for (size_t i = 0; i < n; i++) very[n + i] = ']';
  strcpy(very + 2 * n, "\n");
  EXPECT_ERROR("t.jsonl", very, NULL, "t.jsonl:1: JSON nested deeper than 32 levels");
  free(very);
  EXPECT_ERROR("t.jsonl", "{\"a\":1}\n{\"a\":[1,2\n", NULL,
               "t.jsonl:2: truncated JSON (it ends inside an object or array)");
  EXPECT_ERROR("t.jsonl", "{\"a\":\"abc\n", NULL, "t.jsonl:1: truncated JSON (it ends inside a string)");
  EXPECT_ERROR("t.jsonl", "{\"a\":1}\n[1,2]\n", NULL, "t.jsonl:2: expected a JSON object");
  EXPECT_ERROR("t.jsonl", "{\"a\":1}\n\"text\"\n", NULL, "t.jsonl:2: expected a JSON object");
  EXPECT_ERROR("t.jsonl", "{\"a\":tru}\n", NULL, "t.jsonl:1: invalid JSON at column 6");
  EXPECT_ERROR("t.jsonl", "{\"a\":1} x\n", NULL, "t.jsonl:1: text after the JSON value at column 9");
  EXPECT_ERROR("t.jsonl", "{\"a\":\"\xff\"}\n", NULL, "t.jsonl:1: invalid UTF-8");
  viral_reader_options_init(&o);
  o.max_record_bytes = 10;
  EXPECT_ERROR("t.jsonl", "{\"a\":1}\n{\"abc\":12345}\n", &o, "t.jsonl:2: record longer than 10 bytes");
  viral_reader_options_init(&o);
  o.max_fields = 2;
  EXPECT_ERROR("t.jsonl", "{\"a\":1,\"b\":2}\n{\"c\":3}\n", &o, "t.jsonl:2: more than 2 fields");

  /* documents */
  EXPECT_ERROR("t.json", "", NULL, "t.json: empty file, no JSON");
  EXPECT_ERROR("t.json", "[{\"a\":1},\n{\"a\":2},\n", NULL,
               "t.json:2: truncated JSON (it ends inside an object or array)");
  /* a second document may follow (read in turn); this one is cut short */
  EXPECT_ERROR("t.json", "[{\"a\":1},\n{\"a\":2}] [", NULL,
               "t.json:2: truncated JSON (it ends inside an object or array)");
  EXPECT_ERROR("t.json", "[{\"a\":1}, 3]", NULL, "t.json:[1]: expected a JSON object");
  EXPECT_ERROR("t.json", "\"just text\"", NULL,
               "t.json: expected an array of objects or an object at the top, found a string");
  viral_reader_options_init(&o);
  o.json_path = "collector.items";
  EXPECT_ERROR("t.json", "{\"collector\":[{\"a\":1}]}", &o,
               "t.json: json path 'collector.items': no member 'items'");
  o.json_path = "headers";
  EXPECT_ERROR("t.json", "{\"headers\":{\"a\":1},\"collector\":[]}", &o,
               "t.json: json path 'headers' is an object, not an array");
  o.json_path = "nope";
  EXPECT_ERROR("t.json", "{\"headers\":{\"a\":1},\"collector\":[]}", &o,
               "t.json: json path 'nope': no member 'nope'");
}
END_TEST

START_TEST(jsonl_skip_bad_rows) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.skip_bad_rows = 1;
  viral_reader *r = open_text("t.jsonl", "{\"a\":1}\n[1]\n{\"a\":\n{bad}\n{\"a\":2}\n", &o);
  ck_assert_str_eq(text_of(next_ok(r), "a"), "1");
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "a"), "2");
  ck_assert_int_eq(viral_record_line(rec), 5);
  at_end(r);
  ck_assert_uint_eq(viral_reader_skipped(r), 3);
  viral_reader_free(r);
}
END_TEST

/* JSON numbers keep the digits they were written with, in JSON Lines and in
 * documents, as values, list items and inside arrays kept as JSON text; the
 * numeric getters read the double strtod gives. (Before, the text was made
 * from the double: 7455000000000007919 came back as 7455000000000008192.) */
START_TEST(json_numbers_keep_their_digits) {
  static const char *const numbers[] = {
      "7455000000000007919",  "-7455000000000007919", "9223372036854775807", "9223372036854775808",
      "18446744073709551616", "9007199254740993",     "1.50",                "1e3",
      "-0",                   "0.1",                  "123456789012345678901234567890"};
  size_t count = sizeof numbers / sizeof *numbers;
  char object[2048] = "{";
  for (size_t i = 0; i < count; i++)
    snprintf(object + strlen(object), sizeof object - strlen(object), "\"n%zu\":%s,", i, numbers[i]);
  strcat(object, "\"list\":[7455000000000007919,\"a\",1.50],"
                 "\"raw\":[[9007199254740993],{\"k\":1.50,\"s\":\"q\\\"\\n\"}]}");
  char jsonl[2100], doc[2100];
  snprintf(jsonl, sizeof jsonl, "%s\n", object);
  snprintf(doc, sizeof doc, "[%s]", object);
  viral_reader *readers[2] = {open_text("t.jsonl", jsonl, NULL), open_text("t.json", doc, NULL)};
  for (int k = 0; k < 2; k++) {
    const viral_record *rec = next_ok(readers[k]);
    for (size_t i = 0; i < count; i++) {
      char name[16];
      snprintf(name, sizeof name, "n%zu", i);
      ck_assert_int_eq(kind_of(rec, name), VIRAL_VALUE_NUMBER);
      ck_assert_str_eq(text_of(rec, name), numbers[i]);
      double x;
      ck_assert_int_eq(viral_record_number(rec, (size_t)viral_record_find(rec, name), &x, NULL), VIRAL_OK);
      ck_assert(x == strtod(numbers[i], NULL));
    }
    ck_assert_str_eq(text_of(rec, "list"), "7455000000000007919\x1f" "a\x1f" "1.50");
    ck_assert_str_eq(text_of(rec, "raw"), "[[9007199254740993],{\"k\":1.50,\"s\":\"q\\\"\\n\"}]");
    at_end(readers[k]);
    viral_reader_free(readers[k]);
  }
}
END_TEST

/* Errors in a document name the line (and column) where they are; the
 * records before them are handed out first. */
START_TEST(json_document_errors) {
  const char *doc = "[{\"a\":1},\n{\"a\":tru}]";
  viral_reader *r = open_text("t.json", doc, NULL);
  ck_assert_str_eq(text_of(next_ok(r), "a"), "1");
  viral_reader_free(r);
  EXPECT_ERROR("t.json", doc, NULL, "t.json:2: invalid JSON at column 6");
  EXPECT_ERROR("t.json", "[{\"a\":1},\n{\"a\":\"\xff\"}]", NULL, "t.json:2: invalid UTF-8");
  EXPECT_ERROR("t.json", "[{\"a\":1},\n\n{\"a\":[1,2,]}]", NULL, "t.json:3: invalid JSON at column 11");
  EXPECT_ERROR("t.json", "[{\"a\":1}]\n\n x", NULL, "t.json:3: invalid JSON at column 2");
  EXPECT_ERROR("t.json", "[1", NULL, "t.json:1: truncated JSON (it ends inside an object or array)");
  EXPECT_ERROR("t.json", "5", NULL,
               "t.json: expected an array of objects or an object at the top, found a number");
  /* a bad \u escape: yajl would make it '?' */
  EXPECT_ERROR("t.json", "[{\"a\":1},\n{\"a\":\"caf\\ud800\"}]", NULL, "t.json:2: invalid JSON at column 10");
  EXPECT_ERROR("t.json", "[{\"a\":\"\\udc00\"}]", NULL, "t.json:1: invalid JSON at column 8");
  /* strict JSON: a raw tab in a string, a leading zero (cJSON took both) */
  EXPECT_ERROR("t.json", "[{\"a\":\"tab\there\"}]", NULL, "t.json:1: invalid JSON at column 7");
  EXPECT_ERROR("t.json", "[{\"a\":01}]", NULL, "t.json:1: invalid JSON at column 7");
  /* nesting beyond 1000 levels fails the document */
  size_t n = 1001;
  char *deep = malloc(n + 1);
  memset(deep, '[', n);
  deep[n] = '\0';
  EXPECT_ERROR("t.json", deep, NULL, "t.json:1: JSON nested deeper than 1000 levels");
  free(deep);
  /* the record size limit holds for each record of a document */
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.max_record_bytes = 10;
  EXPECT_ERROR("t.json", "[{\"a\":1},{\"abc\":12345}]", &o, "t.json:[1]: record longer than 10 bytes");
  /* JSON Lines: the same strictness, and nothing after the value */
  EXPECT_ERROR("t.jsonl", "{\"a\":\"\\udc00\"}\n", NULL, "t.jsonl:1: invalid JSON at column 6");
  EXPECT_ERROR("t.jsonl", "{\"a\":\"caf\\ud800\"}\n", NULL, "t.jsonl:1: invalid JSON at column 6");
  EXPECT_ERROR("t.jsonl", "{\"a\":01}\n", NULL, "t.jsonl:1: invalid JSON at column 6");
  EXPECT_ERROR("t.jsonl", "{\"a\":1} 5\n", NULL, "t.jsonl:1: text after the JSON value at column 9");
  EXPECT_ERROR("t.jsonl", "{\"a\":1}{\"b\":2}\n", NULL, "t.jsonl:1: text after the JSON value at column 8");
}
END_TEST

/* A line the parser failed on leaves nothing behind for the next line. */
START_TEST(jsonl_parser_state_per_line) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.skip_bad_rows = 1;
  viral_reader *r = open_text("t.jsonl", "{\"a\":1} \"abc\n{\"b\":2}\n{\"c\":\n\"x\"}\n{\"d\":4}\n", &o);
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "b"), "2");
  ck_assert_int_eq(viral_record_line(rec), 2);
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "d"), "4");
  at_end(r);
  ck_assert_uint_eq(viral_reader_skipped(r), 3);
  viral_reader_free(r);
}
END_TEST

/* Bad items of a document's array are skipped one by one. */
START_TEST(json_document_skip_bad_rows) {
  char deep[400];
  nested_objects(deep, 33);
  char doc[600];
  snprintf(doc, sizeof doc, "[{\"a\":1}, 3, [1,{\"x\":2}], \"s\", %s, {\"a\":2}]", deep);
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.skip_bad_rows = 1;
  viral_reader *r = open_text("t.json", doc, &o);
  ck_assert_str_eq(text_of(next_ok(r), "a"), "1");
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "a"), "2");
  ck_assert_str_eq(viral_record_source(rec), "t.json:[5]");
  ck_assert_int_eq(viral_record_find(rec, "x"), -1);
  at_end(r);
  ck_assert_uint_eq(viral_reader_skipped(r), 4);
  viral_reader_free(r);
  EXPECT_ERROR("t.json", doc, NULL, "t.json:[1]: expected a JSON object");
}
END_TEST

/* The first member a path step names is the one followed, as before. */
START_TEST(json_path_first_match) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = "c";
  viral_reader *r = open_text("t.json", "{\"c\":[{\"a\":1}],\"c\":[{\"a\":2}]}", &o);
  ck_assert_str_eq(text_of(next_ok(r), "a"), "1");
  at_end(r);
  viral_reader_free(r);
}
END_TEST

/* The records of a document, read through a path: each record's id, then
 * the end, the source of the last one in *source. */
static void expect_ids(const char *name, const char *text, const char *path, const char *ids,
                       char *source, size_t source_size) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = path;
  viral_reader *r = open_text(name, text, &o);
  char want[256];
  snprintf(want, sizeof want, "%s", ids);
  for (char *id = strtok(want, ","); id; id = strtok(NULL, ",")) {
    const viral_record *rec = next_ok(r);
    ck_assert_str_eq(text_of(rec, "id"), id);
    if (source) snprintf(source, source_size, "%s", viral_record_source(rec));
  }
  at_end(r);
  viral_reader_free(r);
}

/* --json-path takes array steps: [N] one item, [] every item; a trailing
 * [] is the array itself. Records are named by the place they were found. */
START_TEST(json_path_array_steps) {
  const char *pages = "[{\"data\":{\"videos\":[{\"id\":1},{\"id\":2}]},\"has_more\":true},\n"
                      " {\"data\":{\"videos\":[{\"id\":3}]},\"has_more\":false}]";
  char source[256];
  expect_ids("t.json", pages, "[0].data.videos", "1,2", source, sizeof source);
  ck_assert_str_eq(source, "t.json:[0].data.videos[1]");
  expect_ids("t.json", pages, "[1].data.videos", "3", source, sizeof source);
  expect_ids("t.json", pages, "[].data.videos", "1,2,3", source, sizeof source);
  ck_assert_str_eq(source, "t.json:[1].data.videos[0]");
  expect_ids("t.json", pages, ".[].data.videos[]", "1,2,3", NULL, 0);
  const char *items = "{\"items\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"nested\":[[{\"id\":\"c\"}],[{\"id\":\"d\"}]]}";
  expect_ids("t.json", items, "items[]", "a,b", source, sizeof source);
  ck_assert_str_eq(source, "t.json:items[1]");
  expect_ids("t.json", items, "nested[1]", "d", NULL, 0);
  expect_ids("t.json", items, "nested[][]", "c,d", NULL, 0);
  expect_ids("t.json", "[]", "[].data", "", NULL, 0);      /* no pages: no records */
  expect_ids("t.json", "[{\"id\":\"x\"}]", "[]", "x", NULL, 0); /* the top array itself */

  /* errors name the step that found nothing, and where */
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = "[2].data.videos";
  EXPECT_ERROR("t.json", pages, &o, "t.json: json path '[2].data.videos': no item 2 in the top array (it has 2)");
  o.json_path = "items[5]";
  EXPECT_ERROR("t.json", items, &o, "t.json: json path 'items[5]': no item 5 in 'items' (it has 2)");
  o.json_path = "[].data.videos";
  EXPECT_ERROR("t.json", "[{\"data\":{\"videos\":[]}},{\"data\":{\"vids\":[]}}]", &o,
               "t.json: json path '[].data.videos': no member 'videos' in '[1].data'");
  EXPECT_ERROR("t.json", "[{\"data\":{\"videos\":[]}},{\"data\":{\"videos\":{}}}]", &o,
               "t.json: json path '[].data.videos' at '[1].data.videos' is an object, not an array");
  EXPECT_ERROR("t.json", "{\"data\":[]}", &o, "t.json: json path '[].data.videos': the top is an object, not an array");
  o.json_path = "data[0]";
  EXPECT_ERROR("t.json", "{\"data\":{\"videos\":[]}}", &o,
               "t.json: json path 'data[0]': 'data' is an object, not an array");
  /* a spec's path on a document that is the array itself says how to read it */
  o.json_path = "collector";
  EXPECT_ERROR("t.json", "[{\"id\":1}]", &o,
               "t.json: json path 'collector': no member 'collector' (the document is an array: an "
               "empty json path reads its items)");
  /* a path that is not one */
  static const char *const bad[][2] = {
      {"items[", "t.json: json path 'items[': '[' without ']'"},
      {"items[x]", "t.json: json path 'items[x]': '[x]' is not an array step: [] or [N], N from 0 to 1000000000"},
      {"items[-1]", "t.json: json path 'items[-1]': '[-1]' is not an array step: [] or [N], N from 0 to 1000000000"},
      {"items]", "t.json: json path 'items]': ']' without '['"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    o.json_path = bad[i][0];
    EXPECT_ERROR("t.json", items, &o, bad[i][1]);
  }
}
END_TEST

/* Documents back to back (pages of one poll, concatenated or one a line)
 * are read as one: each through the path, records named with the line
 * their document begins on after the first. */
START_TEST(json_concatenated_documents) {
  const char *two = "{\"data\":{\"videos\":[{\"id\":1},{\"id\":2}]},\"cursor\":2,\"has_more\":true}\n"
                    "{\"data\":{\n  \"videos\":[{\"id\":3}]},\"cursor\":3,\"has_more\":false}\n";
  char source[256];
  expect_ids("t.json", two, "data.videos", "1,2,3", source, sizeof source);
  ck_assert_str_eq(source, "t.json:2:data.videos[0]");
  expect_ids("t.jsonl", two, "data.videos", "1,2,3", NULL, 0); /* JSON Lines of pages */
  expect_ids("t.json", "[{\"id\":1}][{\"id\":2}]\n[{\"id\":3}]", NULL, "1,2,3", NULL, 0);
  /* an object (one record), then an array of them, then an object */
  expect_ids("t.json", "{\n\"id\":1}\n[{\"id\":2},{\"id\":3}]{\"id\":4}", NULL, "1,2,3,4", NULL, 0);
  /* pretty-printed objects back to back: each one record, named by its line */
  viral_reader *r = open_text("t.json", "{\n \"id\": 1\n}\n{\n \"id\": 2, \"v\": \"x\"\n}\n", NULL);
  ck_assert_str_eq(text_of(next_ok(r), "id"), "1");
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "id"), "2");
  ck_assert_int_eq(viral_record_line(rec), 4);
  at_end(r);
  viral_reader_free(r);
  /* errors in a later document name its line */
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = "data.videos";
  EXPECT_ERROR("t.json", "{\"data\":{\"videos\":[]}}\n\n{\"error\":{\"code\":\"rate_limit\"}}\n", &o,
               "t.json:3: json path 'data.videos': no member 'data'");
  EXPECT_ERROR("t.json", "{\"data\":{\"videos\":[]}} 7", &o, "t.json:1: json path 'data.videos': no member 'data'");
  EXPECT_ERROR("t.json", "{\"data\":{\"videos\":[{\"id\":1}]}}\n{\"data\":{\"videos\":[{\"id\":1},3]}}", &o,
               "t.json:2:data.videos[1]: expected a JSON object");
  EXPECT_ERROR("t.json", "[{\"a\":1}]\n\"x\"", NULL,
               "t.json:2: expected an array of objects or an object at the top, found a string");
}
END_TEST

/* Field paths with array steps are followed in each JSON record and read as
 * the field of that name: [] gives a list (numbers as written), [N] one
 * value; what no record has is said with the step that found nothing. */
START_TEST(json_field_paths) {
  static const char *const paths[] = {"hashtags[].name", "challenges[].title", "stats[0].views",
                                      "ids[]", "hashtags[1].name", "nope[].x", "stats[].nope",
                                      "tags[].flags", "authorMeta.name"};
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.field_paths = paths;
  o.field_path_count = sizeof paths / sizeof *paths;
  const char *text =
      "{\"id\":1,\"hashtags\":[{\"name\":\"fyp\",\"id\":\"7\"},{\"name\":\"dance\"}],"
      "\"challenges\":[{\"title\":\"c1\"},{\"id\":2},{\"title\":\"c3\"}],"
      "\"stats\":[{\"views\":7455000000000007919}],\"ids\":[1.50,true,null,{\"a\":1}],"
      "\"tags\":\"x\",\"authorMeta\":{\"name\":\"u\"}}\n"
      "{\"id\":2,\"hashtags\":[],\"challenges\":[],\"stats\":[]}\n";
  for (int k = 0; k < 2; k++) { /* JSON Lines, and the same records in a document */
    char doc[1024];
    snprintf(doc, sizeof doc, "[%.*s,%s]", (int)(strchr(text, '\n') - text), text, strchr(text, '\n') + 1);
    viral_reader *r = k ? open_text("t.json", doc, &o) : open_text("t.jsonl", text, &o);
    const viral_record *rec = next_ok(r);
    ck_assert_int_eq(kind_of(rec, "hashtags[].name"), VIRAL_VALUE_LIST);
    ck_assert_str_eq(text_of(rec, "hashtags[].name"), "fyp\x1f" "dance");
    ck_assert_str_eq(text_of(rec, "challenges[].title"), "c1\x1f" "c3");
    ck_assert_str_eq(text_of(rec, "stats[0].views"), "7455000000000007919");
    ck_assert_int_eq(kind_of(rec, "stats[0].views"), VIRAL_VALUE_NUMBER);
    ck_assert_str_eq(text_of(rec, "ids[]"), "1.50\x1f" "true\x1f" "{\"a\":1}");
    ck_assert_str_eq(text_of(rec, "hashtags[1].name"), "dance");
    ck_assert_str_eq(text_of(rec, "authorMeta.name"), "u"); /* no array step: flattening's */
    ck_assert_int_eq(viral_record_find(rec, "nope[].x"), -1);
    /* an empty array is an empty list; an item that is not there is missing */
    rec = next_ok(r);
    ck_assert_int_eq(kind_of(rec, "hashtags[].name"), VIRAL_VALUE_LIST);
    ck_assert_uint_eq(viral_record_value(rec, (size_t)viral_record_find(rec, "hashtags[].name"))->count, 0);
    ck_assert_int_eq(kind_of(rec, "stats[0].views"), VIRAL_VALUE_MISSING);
    at_end(r);
    ck_assert_ptr_null(viral_reader_path_miss(r, "hashtags[].name"));
    ck_assert_str_eq(viral_reader_path_miss(r, "nope[].x"), "no record has 'nope'");
    ck_assert_str_eq(viral_reader_path_miss(r, "stats[].nope"), "no record has 'nope' in 'stats[]'");
    ck_assert_str_eq(viral_reader_path_miss(r, "tags[].flags"), "no record has an array at 'tags'");
    ck_assert_ptr_null(viral_reader_path_miss(r, "authorMeta.name"));
    viral_reader_free(r);
  }
  const char *item[] = {"stats[3].views"};
  o.field_paths = item;
  o.field_path_count = 1;
  viral_reader *r = open_text("t.jsonl", text, &o);
  next_ok(r);
  ck_assert_str_eq(viral_reader_path_miss(r, "stats[3].views"), "no record has item [3] in 'stats'");
  viral_reader_free(r);
  /* CSV has columns, not paths */
  r = open_text("t.csv", "stats[3].views\n1\n", &o);
  ck_assert_str_eq(text_of(next_ok(r), "stats[3].views"), "1");
  ck_assert_ptr_null(viral_reader_path_miss(r, "stats[3].views"));
  viral_reader_free(r);
  const char *bad[] = {"a[x]"};
  o.field_paths = bad;
  EXPECT_ERROR("t.jsonl", text, &o,
               "t.jsonl: field path 'a[x]': '[x]' is not an array step: [] or [N], N from 0 to 1000000000");
}
END_TEST

/* A document goes to the parser in pieces; a piece never ends inside a
 * UTF-8 character or a \u escape pair, wherever the 64 KiB boundary falls,
 * from memory or from a file. */
START_TEST(json_document_piece_boundaries) {
  const char *head = "[{\"s\":\"", *tail = "\xC3\xA9\\ud83d\\ude00\\u00e9\"},{\"n\":1}]";
  const char *want_tail = "\xC3\xA9\xF0\x9F\x98\x80\xC3\xA9";
  size_t size = 70000;
  char *doc = malloc(size), *want = malloc(size);
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "json_pieces");
  snprintf(path, sizeof path, "%s/doc.json", dir);
  for (size_t shift = 0; shift < 16; shift++) {
    size_t pad = 65536 - strlen(head) - shift;
    strcpy(doc, head);
    memset(doc + strlen(head), 'a', pad);
    strcpy(doc + strlen(head) + pad, tail);
    memset(want, 'a', pad);
    strcpy(want + pad, want_tail);
    test_write_file(path, doc);
    viral_error err = {0};
    viral_reader *readers[2] = {open_text("doc.json", doc, NULL), viral_reader_open(path, NULL, &err)};
    for (int k = 0; k < 2; k++) {
      ck_assert_msg(readers[k] != NULL, "%s", err.message);
      const viral_record *rec = next_ok(readers[k]);
      const viral_value *v = viral_record_value(rec, (size_t)viral_record_find(rec, "s"));
      ck_assert_msg(v->len == strlen(want) && memcmp(v->text, want, v->len) == 0,
                    "shift %zu, reader %d: wrong text", shift, k);
      ck_assert_str_eq(text_of(next_ok(readers[k]), "n"), "1");
      at_end(readers[k]);
      viral_reader_free(readers[k]);
    }
  }
  free(doc);
  free(want);
}
END_TEST

/* ---- stdin ---- */

/* Make a pipe stdin (Check forks each test, so this stays in the test). */
static int pipe_to_stdin(void) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_ge(dup2(fds[0], STDIN_FILENO), 0);
  close(fds[0]);
  return fds[1];
}

static void write_all(int fd, const char *s) {
  ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

START_TEST(stdin_streams_csv) {
  int w = pipe_to_stdin();
  write_all(w, "id,views\n1,10\n");
  viral_error err = {0};
  viral_reader *r = viral_reader_open("-", NULL, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  /* the first row arrives while the writer is still open: no waiting for EOF */
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "views"), "10");
  ck_assert_str_eq(viral_record_source(rec), "stdin");
  write_all(w, "2,20\n3,\"x\"y\n");
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "views"), "20");
  close(w);
  ck_assert_int_eq(viral_reader_next(r, &rec, &err), VIRAL_ERR_PARSE);
  ck_assert_str_eq(err.message, "stdin:4: misplaced quote (a '\"' inside an unquoted cell, or "
                                "text after a closing quote)");
  viral_reader_free(r);
}
END_TEST

START_TEST(stdin_short_header_does_not_block) {
  /* two bytes and a pause: open must not wait for a third (a BOM check) */
  int w = pipe_to_stdin();
  write_all(w, "v\n");
  viral_error err = {0};
  viral_reader *r = viral_reader_open("-", NULL, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  write_all(w, "7\n");
  ck_assert_str_eq(text_of(next_ok(r), "v"), "7");
  close(w);
  at_end(r);
  viral_reader_free(r);
}
END_TEST

START_TEST(stdin_streams_jsonl) {
  int w = pipe_to_stdin();
  write_all(w, "{\"id\":\"1\"}\n");
  viral_error err = {0};
  viral_reader *r = viral_reader_open(NULL, NULL, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_JSONL);
  ck_assert_str_eq(text_of(next_ok(r), "id"), "1");
  write_all(w, "{\"id\":\"2\"}\n");
  ck_assert_str_eq(text_of(next_ok(r), "id"), "2");
  close(w);
  at_end(r);
  viral_reader_free(r);
}
END_TEST

/* A JSON document streams too: the first record arrives while the array is
 * still being written (before, the whole document was read first, so this
 * waited for ever; the alarm turns that into a failure). */
START_TEST(stdin_streams_json_document) {
  alarm(20);
  int w = pipe_to_stdin();
  write_all(w, "{\"collector\":[{\"id\":\"1\"},");
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = "collector";
  viral_error err = {0};
  viral_reader *r = viral_reader_open(NULL, &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  ck_assert_int_eq(viral_reader_format(r), VIRAL_FORMAT_JSON);
  ck_assert_str_eq(text_of(next_ok(r), "id"), "1");
  write_all(w, "\n {\"id\":\"2\"}],\n \"after\":[1,2,3]}\n");
  ck_assert_str_eq(text_of(next_ok(r), "id"), "2");
  close(w);
  at_end(r);
  viral_reader_free(r);
  alarm(0);
}
END_TEST

/* ---- the shared datasets ---- */

/* Rows of a file, and the field count of its last record. */
static size_t count_rows(const char *path, const char *json_path, size_t *fields) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = json_path;
  viral_error err = {0};
  viral_reader *r = viral_reader_open(path, &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  const viral_record *rec;
  int rc;
  while ((rc = viral_reader_next(r, &rec, &err)) == 1) *fields = viral_record_field_count(rec);
  ck_assert_msg(rc == 0, "%s", err.message);
  size_t rows = viral_reader_rows(r);
  viral_reader_free(r);
  return rows;
}

static size_t count_shared(const char *relative, const char *json_path, size_t *fields) {
  char path[4096];
  return count_rows(test_shared_path(path, sizeof path, relative), json_path, fields);
}

static size_t count_excerpt(const char *relative, const char *json_path, size_t *fields) {
  char path[4096];
  return count_rows(test_excerpt_path(path, sizeof path, relative), json_path, fields);
}

START_TEST(shared_datasets) {
  size_t fields = 0;
  ck_assert_uint_eq(count_shared("raw/bilibili-hot-hourly/bilibili_hot_videos_server.csv", NULL, &fields), 4500);
  ck_assert_uint_eq(fields, 38);
  ck_assert_uint_eq(count_shared("raw/tiktok-vn-2025/raw_data.csv", NULL, &fields), 10102);
  ck_assert_uint_eq(fields, 19);
  ck_assert_uint_eq(count_shared("raw/tiktok-vn-2025/recrawled_1v.csv", NULL, &fields), 2409);
  ck_assert_uint_eq(count_shared("raw/tiktok-vn-2025/final_recrawl_tp.csv", NULL, &fields), 2391);
  ck_assert_uint_eq(fields, 20); /* with pandas' "Unnamed: 0" */
  ck_assert_uint_eq(count_shared("raw/tiktok-vn-2025/recrawl_full_tp_view.csv", NULL, &fields), 3938);
  ck_assert_uint_eq(count_shared("raw/tiktok-vn-2025/recrawl_final_nmai_view_filled.csv", NULL, &fields), 3942);
  ck_assert_uint_eq(count_shared("raw/tiktok-trending-2020/trending.json", "collector", &fields), 1000);
  ck_assert_uint_eq(count_shared("raw/reddit-rall-hourly/2023-12/core_data.csv", NULL, &fields), 4106);
  ck_assert_uint_eq(fields, 13);
  ck_assert_uint_eq(count_shared("raw/reddit-rall-hourly/2024-01/core_data.csv", NULL, &fields), 21600);
  ck_assert_uint_eq(count_shared("raw/reddit-rall-hourly/changes.csv", NULL, &fields), 25706);
  ck_assert_uint_eq(fields, 17);
}
END_TEST

/* The committed excerpts (tests/data/excerpts) read with the counts
 * tools/fixtures/make_excerpts.py cut. */
START_TEST(excerpt_datasets) {
  size_t fields = 0;
  ck_assert_uint_eq(count_excerpt("raw/bilibili-hot-hourly/bilibili_hot_videos_server.csv", NULL, &fields), 100);
  ck_assert_uint_eq(fields, 38);
  ck_assert_uint_eq(count_excerpt("raw/tiktok-vn-2025/raw_data.csv", NULL, &fields), 200);
  ck_assert_uint_eq(fields, 19);
  ck_assert_uint_eq(count_excerpt("raw/tiktok-vn-2025/final_recrawl_tp.csv", NULL, &fields), 20);
  ck_assert_uint_eq(fields, 20);
  ck_assert_uint_eq(count_excerpt("raw/tiktok-trending-2020/trending.json", "collector", &fields), 50);
  ck_assert_uint_eq(count_excerpt("raw/reddit-rall-hourly/2024-01/core_data.csv", NULL, &fields), 200);
  ck_assert_uint_eq(fields, 13);
}
END_TEST

/* Each CSV excerpt is still the head of its source file, byte for byte. */
START_TEST(excerpts_are_heads_of_their_sources) {
  static const char *files[] = {
      "raw/bilibili-hot-hourly/bilibili_hot_videos_server.csv", "raw/tiktok-vn-2025/raw_data.csv",
      "raw/tiktok-vn-2025/final_recrawl_tp.csv", "raw/reddit-rall-hourly/2024-01/core_data.csv"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char excerpt[4096], source[4096];
    size_t n_excerpt, n_source;
    char *a = test_read_file(test_excerpt_path(excerpt, sizeof excerpt, files[i]), &n_excerpt);
    char *b = test_read_file(test_shared_path(source, sizeof source, files[i]), &n_source);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(n_excerpt < n_source && memcmp(a, b, n_excerpt) == 0,
                  "%s is not the head of %s", excerpt, source);
    free(a);
    free(b);
  }
}
END_TEST

START_TEST(excerpt_values) {
  char path[4096];
  viral_error err = {0};
  /* recrawl files start with a BOM: the first name must be clean */
  viral_reader *r = viral_reader_open(
      test_excerpt_path(path, sizeof path, "raw/tiktok-vn-2025/final_recrawl_tp.csv"), NULL, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(viral_record_field_name(rec, 0), "Unnamed: 0");
  ck_assert_int_ge(viral_record_find(rec, "vid_nview"), 0);
  viral_reader_free(r);

  r = viral_reader_open(test_excerpt_path(path, sizeof path, "raw/tiktok-vn-2025/raw_data.csv"),
                        NULL, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  rec = next_ok(r);
  /* first row: 304.9K followers, 00:31, 541.2K views, music_nused "3 videos" */
  double x;
  int b;
  ck_assert_int_eq(viral_record_count(rec, (size_t)viral_record_find(rec, "user_nfollower"), &x, &err), VIRAL_OK);
  ck_assert(x == 304900);
  ck_assert_int_eq(viral_record_duration(rec, (size_t)viral_record_find(rec, "vid_duration"), &x, &err), VIRAL_OK);
  ck_assert(x == 31);
  ck_assert_int_eq(viral_record_count(rec, (size_t)viral_record_find(rec, "vid_nview"), &x, &err), VIRAL_OK);
  ck_assert(x == 541200);
  ck_assert_int_eq(viral_record_count(rec, (size_t)viral_record_find(rec, "music_nused"), &x, &err), VIRAL_OK);
  ck_assert(x == 3);
  ck_assert_int_eq(viral_record_bool(rec, (size_t)viral_record_find(rec, "music_originality"), &b, &err), VIRAL_OK);
  ck_assert_int_eq(b, 1);
  /* 2025-05-21 09:44:45 UTC: SOURCE.md says vid_id >> 32 is the post time */
  ck_assert_int_eq(viral_record_timestamp(rec, (size_t)viral_record_find(rec, "vid_postTime"), 0, &x, &err), VIRAL_OK);
  ck_assert(x == (double)(7506832682593094928ull >> 32));
  viral_reader_free(r);

  viral_reader_options o;
  viral_reader_options_init(&o);
  o.json_path = "collector";
  r = viral_reader_open(test_excerpt_path(path, sizeof path, "raw/tiktok-trending-2020/trending.json"),
                        &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  rec = next_ok(r);
  ck_assert_int_eq(kind_of(rec, "authorMeta.verified"), VIRAL_VALUE_BOOL);
  ck_assert_int_eq(kind_of(rec, "videoMeta.duration"), VIRAL_VALUE_NUMBER);
  ck_assert_int_eq(kind_of(rec, "hashtags"), VIRAL_VALUE_LIST);
  ck_assert_int_eq(kind_of(rec, "id"), VIRAL_VALUE_TEXT);
  viral_reader_free(r);
}
END_TEST

/* Blanks stay in cells whichever way a record is cut into lines: a record
 * whose first line has blanks and whose second has none, and the reverse
 * (the reader gives libcsv a line at a time and switches its blank test on
 * lines without blanks). */
START_TEST(csv_blanks_across_lines) {
  const char *text = "a,b,c\n"
                     "\tx ,\"line1\nline2\",y\n"
                     "p,\"q\n r \",  s\t\n"
                     "1,2,3\n";
  viral_reader *r = open_text("t.csv", text, NULL);
  const viral_record *rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "a"), "\tx ");
  ck_assert_str_eq(text_of(rec, "b"), "line1\nline2");
  ck_assert_str_eq(text_of(rec, "c"), "y");
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "a"), "p");
  ck_assert_str_eq(text_of(rec, "b"), "q\n r ");
  ck_assert_str_eq(text_of(rec, "c"), "  s\t");
  rec = next_ok(r);
  ck_assert_str_eq(text_of(rec, "c"), "3");
  at_end(r);
  viral_reader_free(r);
  /* a blank after a closing quote is still a misplaced quote, not trimmed */
  EXPECT_ERROR("t.csv", "a,b\n\"z\" ,w\n", NULL,
               "t.csv:2: misplaced quote (a '\"' inside an unquoted cell, or text after a "
               "closing quote)");
}
END_TEST

/* ---- the fast CSV path against libcsv ----
 *
 * csv_reader.c splits a line without quotes itself; with csv_fast_path
 * at 0 every byte goes through libcsv. The two must hand out the same
 * records: read the same input both ways, in step, and compare everything a
 * caller sees. */

static viral_reader *open_path(int fast, const char *path, const char *data, size_t len,
                               const viral_reader_options *o, viral_error *err) {
  csv_fast_path = fast;
  viral_reader *r = path ? viral_reader_open(path, o, err)
                         : viral_reader_open_memory("random.csv", data, len, o, err);
  csv_fast_path = 1;
  return r;
}

static int next_path(int fast, viral_reader *r, const viral_record **rec, viral_error *err) {
  csv_fast_path = fast;
  int rc = viral_reader_next(r, rec, err);
  csv_fast_path = 1;
  return rc;
}

static void same_record(const char *what, size_t n, const viral_record *a, const viral_record *b) {
  ck_assert_msg(viral_record_line(a) == viral_record_line(b), "%s: record %zu: line %ld vs %ld",
                what, n, viral_record_line(a), viral_record_line(b));
  size_t fields = viral_record_field_count(a);
  ck_assert_msg(fields == viral_record_field_count(b), "%s: record %zu: field counts differ", what, n);
  for (size_t i = 0; i < fields; i++) {
    const viral_value *x = viral_record_value(a, i), *y = viral_record_value(b, i);
    ck_assert_msg(x->kind == y->kind && x->len == y->len && memcmp(x->text, y->text, x->len) == 0 &&
                      x->text[x->len] == '\0' && y->text[y->len] == '\0',
                  "%s: record %zu (line %ld), cell %zu: fast '%.*s' (%zu bytes), libcsv '%.*s' "
                  "(%zu bytes)", what, n, viral_record_line(a), i + 1, (int)x->len, x->text, x->len,
                  (int)y->len, y->text, y->len);
  }
}

/* Read one input (a file, or data[0..len) when path is NULL) through both
 * paths and fail at the first difference: open error, status or message of
 * a call, a record's line or cells, the final counts. Returns the records
 * read. */
static size_t compare_paths(const char *what, const char *path, const char *data, size_t len,
                            const viral_reader_options *o) {
  viral_error ea = {0}, eb = {0};
  viral_reader *a = open_path(1, path, data, len, o, &ea);
  viral_reader *b = open_path(0, path, data, len, o, &eb);
  ck_assert_msg((a == NULL) == (b == NULL), "%s: open: '%s' (fast) vs '%s' (libcsv)", what,
                a ? "ok" : ea.message, b ? "ok" : eb.message);
  if (!a) {
    ck_assert_str_eq(ea.message, eb.message);
    return 0;
  }
  ck_assert_uint_eq(viral_record_field_count(&a->record), viral_record_field_count(&b->record));
  size_t n = 0;
  for (;;) {
    const viral_record *ra = NULL, *rb = NULL;
    int rca = next_path(1, a, &ra, &ea), rcb = next_path(0, b, &rb, &eb);
    ck_assert_msg(rca == rcb, "%s: after record %zu: status %d '%s' (fast) vs %d '%s' (libcsv)",
                  what, n, rca, rca < 0 ? ea.message : "", rcb, rcb < 0 ? eb.message : "");
    if (rca < 0) ck_assert_str_eq(ea.message, eb.message);
    if (rca <= 0) break;
    same_record(what, n++, ra, rb);
  }
  ck_assert_uint_eq(viral_reader_rows(a), viral_reader_rows(b));
  ck_assert_uint_eq(viral_reader_skipped(a), viral_reader_skipped(b));
  viral_reader_free(a);
  viral_reader_free(b);
  return n;
}

/* compare_paths with the default options and with skip_bad_rows. */
static size_t compare_file(const char *path) {
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  size_t n = compare_paths(path, path, NULL, 0, &o);
  o.skip_bad_rows = 1;
  compare_paths(path, path, NULL, 0, &o);
  return n;
}

/* compare_file on every .csv under dir (recursively); returns the files. */
static size_t compare_tree(const char *dir, size_t *records) {
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  size_t files = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    size_t n = strlen(e->d_name);
    if (S_ISDIR(st.st_mode)) {
      files += compare_tree(path, records);
    } else if (n > 4 && strcmp(e->d_name + n - 4, ".csv") == 0) {
      *records += compare_file(path);
      files++;
    }
  }
  closedir(d);
  return files;
}

START_TEST(csv_fast_path_on_committed_data) {
  char dir[4096];
  size_t records = 0, files = compare_tree(test_repo_path(dir, sizeof dir, "tests/data"), &records);
  files += compare_tree(test_repo_path(dir, sizeof dir, "datasets"), &records);
  ck_assert_uint_ge(files, 20); /* the excerpts, the fixtures, datasets/ */
  ck_assert_uint_ge(records, 1000);
}
END_TEST

START_TEST(csv_fast_path_on_shared_datasets) {
  char dir[4096];
  size_t records = 0;
  size_t files = compare_tree(test_shared_path(dir, sizeof dir, "raw"), &records);
  ck_assert_uint_ge(files, 9);
  ck_assert_uint_eq(records, 78694); /* the rows shared_datasets counts */
}
END_TEST

/* xorshift64: the same random text on every machine. */
static uint64_t rnd_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}
static unsigned rnd(uint64_t *s, unsigned n) { return (unsigned)(rnd_next(s) % n); }

typedef struct text_buf {
  char *p;
  size_t len, cap;
} text_buf;

static void put(text_buf *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->p = realloc(t->p, t->cap);
    ck_assert_ptr_nonnull(t->p);
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = '\0';
}
static void puts_(text_buf *t, const char *s) { put(t, s, strlen(s)); }

/* A random CSV text: mostly well-formed rows of a header's width, with
 * quoted cells (commas, doubled quotes, CR, LF and CRLF inside), blanks
 * around cells, blank lines, LF / CRLF / CR line ends, a BOM, and now and
 * then a stray quote, a short or long row, invalid UTF-8, a NUL byte or no
 * final line end. */
static void random_csv(uint64_t *s, text_buf *t, size_t rows) {
  static const char *const plain[] = {"a", "bc", "12", "-3.5", " ", "\t", "x y", "\xC3\xA9",
                                      "\xFF", "1.4M", "", "zz", "\xE2\x82", "u1"};
  static const char *const quoted[] = {",", "\"\"", "\n", "\r\n", "\r", " ", "q", "9", "\xC3\xA9"};
  static const char *const ends[] = {"\n", "\r\n", "\r"};
  t->len = 0;
  if (rnd(s, 4) == 0) puts_(t, "\xEF\xBB\xBF");
  unsigned width = 1 + rnd(s, 5);
  for (size_t r = 0; r <= rows; r++) {
    if (rnd(s, 12) == 0) puts_(t, ends[rnd(s, 3)]); /* a blank line */
    unsigned cells = width;
    if (rnd(s, 15) == 0) cells = 1 + rnd(s, 7);
    for (unsigned c = 0; c < cells; c++) {
      if (c) puts_(t, ",");
      unsigned kind = rnd(s, 10);
      if (kind < 6) {
        for (unsigned k = rnd(s, 4); k > 0; k--) puts_(t, plain[rnd(s, 14)]);
      } else if (kind < 9) {
        if (rnd(s, 8) == 0) puts_(t, " "); /* a blank before the quote */
        puts_(t, "\"");
        for (unsigned k = rnd(s, 5); k > 0; k--) puts_(t, quoted[rnd(s, 9)]);
        puts_(t, "\"");
        if (rnd(s, 10) == 0) puts_(t, rnd(s, 2) ? "x" : " "); /* text after the quote */
      } else {
        switch (rnd(s, 4)) {
        case 0: puts_(t, "a\"b"); break;        /* a quote inside an unquoted cell */
        case 1: put(t, "n\0l", 3); break;      /* a NUL byte */
        case 2: puts_(t, "\"open"); break;      /* maybe never closed */
        default: puts_(t, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); break;
        }
      }
    }
    if (r < rows || rnd(s, 3)) puts_(t, ends[rnd(s, 10) < 7 ? 0 : 1 + rnd(s, 2)]);
  }
}

/* Random texts from memory under several options, and one text larger than
 * the reader's 64 KiB chunks from a file (lines cut by a chunk's end). */
START_TEST(csv_fast_path_on_random_text) {
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  text_buf t = {0};
  size_t records = 0;
  for (int i = 0; i < 3000; i++) {
    random_csv(&seed, &t, 1 + rnd(&seed, 30));
    viral_reader_options o;
    viral_reader_options_init(&o);
    o.format = VIRAL_FORMAT_CSV;
    char what[64];
    snprintf(what, sizeof what, "random text %d", i);
    records += compare_paths(what, NULL, t.p, t.len, &o);
    o.skip_bad_rows = 1;
    records += compare_paths(what, NULL, t.p, t.len, &o);
    o.max_record_bytes = 1 + rnd(&seed, 60);
    o.max_fields = 1 + rnd(&seed, 6);
    compare_paths(what, NULL, t.p, t.len, &o);
    o.skip_bad_rows = 0;
    compare_paths(what, NULL, t.p, t.len, &o);
  }
  ck_assert_uint_ge(records, 5000);

  char dir[4096], path[4200];
  snprintf(path, sizeof path, "%s/big.csv", test_tmpdir(dir, sizeof dir, "fast_path"));
  for (int i = 0; i < 4; i++) {
    random_csv(&seed, &t, 15000);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t.p, 1, t.len, f), t.len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_uint_gt(t.len, 3 * VIRAL_READ_CHUNK);
    compare_file(path);
  }
  free(t.p);
}
END_TEST

START_TEST(format_names) {
  const viral_format all[] = {VIRAL_FORMAT_CSV, VIRAL_FORMAT_JSONL, VIRAL_FORMAT_JSON};
  for (int i = 0; i < 3; i++) {
    viral_format f = VIRAL_FORMAT_AUTO;
    ck_assert_int_eq(viral_format_parse(viral_format_name(all[i]), &f), VIRAL_OK);
    ck_assert_int_eq(f, all[i]);
  }
  ck_assert_str_eq(viral_format_name(VIRAL_FORMAT_JSONL), "jsonl");
  ck_assert_str_eq(viral_format_name(VIRAL_FORMAT_AUTO), "auto");
  viral_format f = VIRAL_FORMAT_CSV;
  ck_assert_int_eq(viral_format_parse("auto", &f), VIRAL_ERR_INVALID);
  ck_assert_int_eq(viral_format_parse("CSV", &f), VIRAL_ERR_INVALID);
  ck_assert_int_eq(f, VIRAL_FORMAT_CSV);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("reader");
  TCase *tc = tcase_create("csv");
  tcase_add_test(tc, format_names);
  tcase_add_test(tc, csv_quoting_crlf_bom_and_lines);
  tcase_add_test(tc, csv_header_only_and_blank_cells);
  tcase_add_test(tc, csv_blanks_across_lines);
  tcase_add_test(tc, csv_getters_and_lists);
  tcase_add_test(tc, csv_memory_is_reused);
  tcase_add_test(tc, csv_malformed);
  tcase_add_test(tc, csv_default_record_limit);
  tcase_add_test(tc, csv_skip_bad_rows);
  tcase_add_test(tc, getter_errors);
  tcase_add_test(tc, utf8_validation);
  tcase_add_test(tc, missing_file);
  tcase_add_test(tc, csv_fast_path_on_random_text);
  tcase_add_test(tc, csv_fast_path_on_committed_data);
  suite_add_tcase(s, tc);
  tc = tcase_create("json");
  tcase_add_test(tc, jsonl_flattening);
  tcase_add_test(tc, snapshots_match_flat_fields);
  tcase_add_test(tc, json_documents);
  tcase_add_test(tc, format_detection);
  tcase_add_test(tc, json_malformed);
  tcase_add_test(tc, jsonl_skip_bad_rows);
  tcase_add_test(tc, json_numbers_keep_their_digits);
  tcase_add_test(tc, json_document_errors);
  tcase_add_test(tc, jsonl_parser_state_per_line);
  tcase_add_test(tc, json_document_skip_bad_rows);
  tcase_add_test(tc, json_path_first_match);
  tcase_add_test(tc, json_path_array_steps);
  tcase_add_test(tc, json_concatenated_documents);
  tcase_add_test(tc, json_field_paths);
  tcase_add_test(tc, json_document_piece_boundaries);
  suite_add_tcase(s, tc);
  tc = tcase_create("stdin");
  tcase_add_test(tc, stdin_streams_csv);
  tcase_add_test(tc, stdin_streams_jsonl);
  tcase_add_test(tc, stdin_streams_json_document);
  tcase_add_test(tc, stdin_short_header_does_not_block);
  suite_add_tcase(s, tc);
  tc = tcase_create("excerpts");
  tcase_add_test(tc, excerpt_datasets);
  tcase_add_test(tc, excerpt_values);
  suite_add_tcase(s, tc);
  tc = tcase_create("shared");
  tcase_set_tags(tc, "shared");
  tcase_add_test(tc, shared_datasets);
  tcase_add_test(tc, excerpts_are_heads_of_their_sources);
  tcase_add_test(tc, csv_fast_path_on_shared_datasets);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
