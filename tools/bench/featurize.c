/* featurize.c - the featurizing half of tools/bench/convert.sh: read every
 * record and turn it into its vector with the spec's pipeline (fitting first
 * when the spec needs it), writing nothing. */
#include <stdio.h>

#include "viral/features.h"
#include "viral/reader.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: featurize SPEC FILE\n");
    return 2;
  }
  viral_error err = {0};
  viral_pipeline *p = viral_pipeline_load_spec(argv[1], NULL, &err);
  if (!p) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  viral_sparse v;
  viral_sparse_init(&v);
  const viral_record *rec;
  size_t items = 0;
  int rc = 0;
  for (int fit = viral_pipeline_needs_fit(p); fit >= 0 && rc >= 0; fit--) {
    viral_reader *r = viral_reader_open(argv[2], NULL, &err);
    if (!r) break;
    if (fit) viral_pipeline_fit_begin(p, &err);
    while ((rc = viral_reader_next(r, &rec, &err)) == 1) {
      double label;
      rc = fit ? viral_pipeline_fit_record(p, rec, &err)
               : viral_pipeline_transform(p, rec, &v, &label, &err);
      if (rc) break;
      items += v.count;
    }
    if (fit && rc == 0) rc = viral_pipeline_fit_end(p, &err);
    viral_reader_free(r);
  }
  if (rc < 0 || err.code) fprintf(stderr, "%s\n", err.message);
  printf("%zu items\n", items);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
  return rc < 0;
}
