/* fuzz_stream.c - the stream's event parser through the public API
 * (viral/stream.h): the input's lines are events fed to a stream on a
 * temporary state directory (journal on, fsync and checkpoints off); then
 * the stream is closed without a checkpoint and opened again on the same
 * directory, which replays the journal. A rejected event is the expected
 * outcome; only a crash, a leak or a sanitizer report is a finding. The
 * model is made anew each time (the stream takes it over): the default spec
 * with 10 hash bits, untrained. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "viral/model.h"
#include "viral/stream.h"

static char dir[4096];

/* Empty the state directory (files only: the stream makes no others). */
static void empty_dir(void) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char file[8192];
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
      unlink(file);
    }
  closedir(d);
}

static void remove_dir(void) {
  empty_dir();
  rmdir(dir);
}

static void make_dir(void) {
  if (dir[0]) return;
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/viral-fuzz-stream-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) abort();
  atexit(remove_dir);
}

static viral_model *new_model(void) {
  static const char *const patch = "\"hash_bits\": 18";
  const char *spec = viral_pipeline_default_spec();
  const char *at = strstr(spec, patch);
  if (!at) abort();
  size_t len = strlen(spec), head = (size_t)(at - spec);
  char *text = malloc(len + 1);
  memcpy(text, spec, len + 1);
  memcpy(text + head, "\"hash_bits\": 10", strlen(patch));
  viral_pipeline_options po;
  viral_pipeline_options_init(&po);
  po.scaling = "none";
  viral_error err;
  viral_pipeline *p = viral_pipeline_parse_spec("fuzz.spec.json", text, len, &po, &err);
  free(text);
  if (!p) abort();
  viral_train_options to;
  viral_train_options_init(&to);
  viral_model *m = viral_model_create(p, &to, &err);
  viral_pipeline_free(p);
  if (!m) abort();
  return m;
}

static int discard(void *ctx, const char *line) {
  (void)ctx;
  (void)line;
  return 0;
}

static void ignore(void *ctx, const char *message) {
  (void)ctx;
  (void)message;
}

static viral_stream *open_stream(void) {
  viral_stream_options o;
  viral_stream_options_init(&o);
  o.window_h = 2;
  o.horizon_h = 24;
  o.state_dir = dir;
  o.checkpoint_every = 0;
  o.fsync_every = 0;
  o.metrics_window = 64;
  o.source = "fuzz.jsonl";
  o.emit = discard;
  o.warn = ignore;
  viral_error err;
  return viral_stream_open(new_model(), &o, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  make_dir();
  empty_dir();
  viral_stream *s = open_stream();
  if (!s) abort(); /* an empty directory always opens */
  char *text = fuzz_exact_copy(data, size);
  viral_error err;
  long line = 0;
  for (size_t at = 0; at < size;) {
    const char *nl = memchr(text + at, '\n', size - at);
    size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
    /* each line in a buffer of its own size, as getline would not give */
    char *one = fuzz_exact_copy((const uint8_t *)text + at, len);
    line++;
    if (len && viral_stream_feed(s, one, len, line, &err) != VIRAL_OK &&
        (err.code == VIRAL_ERR_IO || err.code == VIRAL_ERR_NOMEM))
      abort(); /* the journal is a temporary file: it does not fail */
    free(one);
    at += len + 1;
  }
  free(text);
  viral_stream_stats st;
  viral_stream_stats_get(s, 1, &st);
  viral_stream_free(s);
  /* reopen: the journal is replayed (its failure to replay is the stream's
   * own business, reported as an error, not a finding here) */
  viral_stream_free(open_stream());
  return 0;
}
