/* viral/writer.h - output helpers: atomic files, CSV cells, exact numbers.
 *
 * Files that matter (models, checkpoints, reports) are written atomically: a
 * temporary file in the same directory, fsync, rename over the target, fsync
 * of the directory. A crash or a full disk leaves either the old file or the
 * complete new one, never a truncated mix. */
#ifndef VIRAL_WRITER_H
#define VIRAL_WRITER_H

#include <stddef.h>
#include <stdio.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct viral_atomic_file viral_atomic_file;

/* Start writing path atomically. Returns NULL with err set on failure. */
viral_atomic_file *viral_atomic_open(const char *path, viral_error *err);
/* The stream to write to (owned by the atomic file). */
FILE *viral_atomic_stream(viral_atomic_file *file);
/* Flush, check for write errors, fsync, rename into place, fsync the
 * directory. Frees file whatever the outcome; on failure the target is
 * untouched and the temporary file removed. */
int viral_atomic_commit(viral_atomic_file *file, viral_error *err);
/* Give up: remove the temporary file and free. NULL-safe. */
void viral_atomic_abort(viral_atomic_file *file);

/* Write one CSV cell, quoted (RFC 4180) only when it needs to be. */
void viral_csv_write_cell(FILE *out, const char *s, size_t len);

/* Format a double so that it reads back exactly (%.17g in the C locale,
 * shortest form that round-trips). buf must hold 32 bytes. Returns buf. */
char *viral_format_double(char buf[32], double x);

#ifdef __cplusplus
}
#endif
#endif
