/* fuzz_model.c - the model loader on arbitrary bytes. The input is written
 * to a temporary file (the loader reads files) with its checksum made right
 * when it has the checksum member, so mutations reach the checks of every
 * value rather than stopping at "checksum mismatch"; a model that loads
 * scores a few records with reasons and is printed back. */
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "model/document.h"
#include "viral/model.h"

#define CHECKSUM_MEMBER ",\n\t\"checksum\":\t\"fnv1a64:"

static char path[4096];

static void remove_file(void) { unlink(path); }

/* The temporary file, made once per process. */
static void open_file(void) {
  if (!path[0]) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/viral-fuzz-model-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) abort();
    close(fd);
    atexit(remove_file);
  }
}

/* Write data to the file, with a correct checksum after the last checksum
 * member when there is one (what follows it is replaced). */
static void write_signed(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  const char *text = (const char *)data, *member = NULL;
  const size_t mlen = sizeof CHECKSUM_MEMBER - 1;
  for (size_t i = 0; i + mlen <= size; i++)
    if (memcmp(text + i, CHECKSUM_MEMBER, mlen) == 0) member = text + i;
  if (member) {
    size_t body = (size_t)(member - text);
    fwrite(text, 1, body, f);
    fprintf(f, CHECKSUM_MEMBER "%016llx\"\n}\n", viral_fnv1a64(text, body));
  } else {
    fwrite(text, 1, size, f);
  }
  if (fclose(f) != 0) abort();
}

static void use_model(viral_model *m) {
  viral_error err;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  viral_reader *r = viral_reader_open_memory("example.csv", fuzz_example_csv,
                                             sizeof fuzz_example_csv - 1, &o, &err);
  const viral_record *rec;
  viral_model_scratch *s = viral_model_scratch_create();
  while (r && s && viral_reader_next(r, &rec, &err) == 1) {
    viral_prediction pred;
    viral_reason reasons[3];
    size_t n = 0;
    viral_model_predict(m, s, rec, &pred, reasons, 3, &n, &err);
  }
  viral_model_scratch_free(s);
  viral_reader_free(r);
  free(viral_model_to_json_text(m, &err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  open_file();
  write_signed(data, size);
  viral_error err;
  viral_model *m = viral_model_load(path, &err);
  if (m) use_model(m);
  viral_model_free(m);
  return 0;
}
