/* viral/vector_io.h - feature vectors as text for other tools: LIBSVM /
 * LIBLINEAR lines and Vowpal Wabbit lines (what `viral convert` writes).
 *
 *   LIBSVM: "LABEL IDX:VAL ..."  label 1 or 0, indices from 1, ascending
 *   VW:     "LABEL |group name:value ..."  label 1 or -1 (VW's logistic
 *           convention), one namespace per feature group, ":value" left
 *           out when the value is 1
 *
 * Numbers are written so that they read back exactly. A writer holds the
 * memory a line is built in; each line goes out with one fwrite on the
 * FILE* the caller gives (and opened, and closes): write errors show in
 * ferror(out). */
#ifndef VIRAL_VECTOR_IO_H
#define VIRAL_VECTOR_IO_H

#include <stdint.h>
#include <stdio.h>

#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- LIBSVM ---- */

typedef struct viral_libsvm_writer viral_libsvm_writer;

/* NULL when out of memory. */
viral_libsvm_writer *viral_libsvm_writer_create(void);
/* One line on out: label (1 when label > 0, else 0) and the finished
 * vector v. VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_libsvm_writer_write(viral_libsvm_writer *w, FILE *out, const viral_sparse *v, double label);
/* NULL-safe. */
void viral_libsvm_writer_free(viral_libsvm_writer *w);

/* ---- Vowpal Wabbit ---- */

typedef struct viral_vw_writer viral_vw_writer;

/* NULL when out of memory. */
viral_vw_writer *viral_vw_writer_create(void);
/* Forget what was added since the last line (a row that failed half way). */
void viral_vw_writer_begin(viral_vw_writer *w);
/* Add one named coordinate to the row: a viral_feature_sink (viral/features.h)
 * whose ctx is the writer, for viral_pipeline_transform_named. Exact zeros
 * are left out, as in the sparse vector; names are copied, with the bytes VW
 * splits on (space, tab, newline, ':' and '|') turned into '_'. Returns 0
 * or VIRAL_ERR_NOMEM. */
int viral_vw_writer_add(void *w, uint32_t index, double value, const char *group, const char *name);
/* Write the row added so far as one line on out with label (1 when label
 * > 0, else -1), its groups in the order the writer first met them, then
 * begin the next row. VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_vw_writer_write(viral_vw_writer *w, FILE *out, double label);
/* NULL-safe. */
void viral_vw_writer_free(viral_vw_writer *w);

#ifdef __cplusplus
}
#endif
#endif
