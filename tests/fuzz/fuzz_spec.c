/* fuzz_spec.c - the feature spec parser on arbitrary bytes (not
 * NUL-terminated, as a file is read); a spec that parses is copied through
 * its JSON form, fitted when it needs it and run over a few records. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_exact_copy(data, size);
  viral_error err;
  viral_pipeline *p = viral_pipeline_parse_spec("fuzz.spec.json", text, size, NULL, &err);
  free(text);
  if (!p) return 0;
  viral_pipeline *copy = viral_pipeline_copy(p, &err);
  fuzz_run_example(p);
  viral_pipeline_free(copy);
  viral_pipeline_free(p);
  return 0;
}
