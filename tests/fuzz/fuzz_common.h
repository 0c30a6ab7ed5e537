/* fuzz_common.h - what the fuzz harnesses share (tests/fuzz/README.md).
 *
 * Each harness defines LLVMFuzzerTestOneInput(data, size): built with clang
 * -fsanitize=fuzzer it is a libFuzzer target; linked with replay.c (any
 * compiler) it runs saved inputs, which is how the seeds and every input that
 * once crashed are replayed by ctest in the normal and sanitizer builds. An
 * execution never prints: errors are the expected outcome for most inputs,
 * only a crash, a leak, a sanitizer report or a timeout is a finding. */
#ifndef VIRAL_FUZZ_COMMON_H
#define VIRAL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "viral/features.h"
#include "viral/reader.h"
#include "viral/record.h"
#include "viral/vector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A heap copy of data of exactly size bytes (at least 1 allocated), so
 * AddressSanitizer sees any read past the input; caller frees. */
static inline char *fuzz_exact_copy(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1);
  if (copy && size) memcpy(copy, data, size);
  return copy;
}

/* Every typed getter on every field of rec: the value parsers see the text. */
static inline void fuzz_read_fields(const viral_record *rec) {
  viral_error err;
  for (size_t i = 0; i < viral_record_field_count(rec); i++) {
    double x;
    int b;
    viral_strview text, items[8];
    size_t count;
    viral_record_number(rec, i, &x, &err);
    viral_record_count(rec, i, &x, &err);
    viral_record_duration(rec, i, &x, &err);
    viral_record_bool(rec, i, &b, &err);
    viral_record_timestamp(rec, i, 420, &x, &err);
    viral_record_text(rec, i, &text, &err);
    viral_record_list(rec, i, NULL, items, 8, &count, &err);
    viral_record_list(rec, i, ";#", items, 8, &count, &err);
  }
}

/* Each record of r through the getters and, when p is not NULL, through p
 * (explained, so hashed names are made too). */
static inline void fuzz_read_all(viral_reader *r, viral_pipeline *p) {
  const viral_record *rec;
  viral_error err;
  viral_sparse v;
  viral_sparse_init(&v);
  while (viral_reader_next(r, &rec, &err) == 1) {
    fuzz_read_fields(rec);
    if (p) {
      double label;
      viral_pipeline_transform(p, rec, &v, &label, &err);
    }
  }
  viral_sparse_release(&v);
}

/* The built-in default spec, unscaled (transform works unfitted). Caller
 * frees. */
static inline viral_pipeline *fuzz_default_pipeline(void) {
  viral_pipeline_options opts;
  viral_pipeline_options_init(&opts);
  opts.scaling = "none";
  viral_error err;
  return viral_pipeline_load_spec(NULL, &opts, &err);
}

/* The reader harnesses: size bytes of data as a file read with o, every
 * record through the getters and the default pipeline (made once). */
static inline void fuzz_read_input(const char *name, const uint8_t *data, size_t size,
                                   const viral_reader_options *o) {
  static viral_pipeline *pipeline;
  if (!pipeline) pipeline = fuzz_default_pipeline();
  char *text = fuzz_exact_copy(data, size);
  viral_error err;
  viral_reader *r = viral_reader_open_memory(name, text, size, o, &err);
  if (r) fuzz_read_all(r, pipeline);
  viral_reader_free(r);
  free(text);
}

/* datasets/example.csv's header and first rows: records for a fuzzed spec
 * or model to work on. */
static const char fuzz_example_csv[] =
    "video_id,posted_at,author_id,author_followers,author_verified,duration_s,music_id,"
    "music_original,hashtags,caption,views_1h,likes_1h,shares_1h,comments_1h,saves_1h,"
    "watch_ratio_1h,views_2h,likes_2h,shares_2h,comments_2h,saves_2h,watch_ratio_2h,"
    "views_final,viral\n"
    "7301,2026-03-02T18:05:00Z,a1,48200,0,21.5,snd_991,0,fyp|dance|renegade,"
    "new dance @amy #fyp,3120,402,37,19,11,0.61,9870,1290,144,61,40,0.58,1200000,1\n"
    "7302,1772474700,a2,,true,8,,1,,,15,1,0,0,0,0.2,40,2,0,1,0,0.25,900,0\n"
    "7303,2026-03-03 07:45:10,a1,1.4M,no,1:05,snd_12,false,a;b,x,0,0,0,0,0,,0,0,0,0,0,,0,0\n";

/* fuzz_example_csv through p: fitted first when p needs it. */
static inline void fuzz_run_example(viral_pipeline *p) {
  viral_error err;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  if (viral_pipeline_needs_fit(p) && !viral_pipeline_is_fitted(p)) {
    viral_reader *r = viral_reader_open_memory("example.csv", fuzz_example_csv,
                                               sizeof fuzz_example_csv - 1, &o, &err);
    const viral_record *rec;
    if (r && viral_pipeline_fit_begin(p, &err) == VIRAL_OK) {
      while (viral_reader_next(r, &rec, &err) == 1) viral_pipeline_fit_record(p, rec, &err);
      viral_pipeline_fit_end(p, &err);
    }
    viral_reader_free(r);
    if (!viral_pipeline_is_fitted(p)) return;
  }
  viral_reader *r = viral_reader_open_memory("example.csv", fuzz_example_csv,
                                             sizeof fuzz_example_csv - 1, &o, &err);
  if (r) fuzz_read_all(r, p);
  viral_reader_free(r);
}

#endif
