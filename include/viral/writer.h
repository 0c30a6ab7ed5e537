/* viral/writer.h - output helpers: the one way viral writes a file, CSV
 * cells, exact numbers.
 *
 * Every output goes through viral_atomic_open, which treats a path by what
 * it names:
 *
 *   "-", or the file standard output already is (/dev/stdout, /dev/fd/1):
 *       standard output, written directly.
 *   an existing device, FIFO or socket (/dev/null, a named pipe):
 *       opened and written directly; there is nothing to replace.
 *   a regular file, a symbolic link to one, or nothing yet:
 *       written atomically. A temporary file PATH.tmp.XXXXXX is created
 *       exclusively (O_EXCL, random suffix: never a name an attacker can
 *       plant a link at) in the directory of the file being replaced, then
 *       commit flushes, fsyncs, renames it over the file and fsyncs the
 *       directory. A crash or a full disk leaves either the old file or the
 *       complete new one, never a truncated mix. A symbolic link is kept and
 *       the file it points to (followed to the end of a chain of links,
 *       created if missing) is replaced.
 *
 * Permissions: a new file gets 0666 less the umask, as with fopen(path, "w");
 * a replaced file keeps its mode (and, where the process may set them, its
 * owner and group). */
#ifndef VIRAL_WRITER_H
#define VIRAL_WRITER_H

#include <stddef.h>
#include <stdio.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct viral_atomic_file viral_atomic_file;

/* 1 when path names standard output: "-", or the very file descriptor 1
 * is open on (/dev/stdout, the file the shell redirected it to). A
 * command writing such a path keeps the rest of its output off stdout. */
int viral_names_stdout(const char *path);

/* Start writing path (see above). Returns NULL with err set on failure
 * ("PATH: cannot create temporary file: ...", "PATH: is a directory", ...);
 * nothing is created then. */
viral_atomic_file *viral_atomic_open(const char *path, viral_error *err);
/* The stream to write to (owned by the atomic file; standard output for
 * "-"). */
FILE *viral_atomic_stream(viral_atomic_file *file);
/* Flush and check for write errors; for an atomic file also fsync, rename
 * into place and fsync the directory. Frees file whatever the outcome; on
 * failure ("PATH: write error: ...") a replaced file is untouched and the
 * temporary file removed. Standard output is flushed, never closed. */
int viral_atomic_commit(viral_atomic_file *file, viral_error *err);
/* Commit several files, all or none: every file is first flushed, checked
 * and fsynced, and only when all of them succeeded are they renamed into
 * place; the first failure removes every temporary file and leaves every
 * target as it was. (The renames come last and cannot be undone: were one of
 * them to fail, which needs the directory to change under the process, the
 * ones before it stay done.) Direct outputs (standard output, devices) were
 * written as they went and cannot be held back. NULL entries are skipped;
 * every file is freed whatever the outcome. */
int viral_atomic_commit_all(viral_atomic_file *const *files, size_t count, viral_error *err);
/* Give up: remove the temporary file and free. NULL-safe. */
void viral_atomic_abort(viral_atomic_file *file);

/* One output of a command that writes several (eval's --json, --html,
 * --predictions): write(out, ctx, err) writes it and returns VIRAL_OK or a
 * negative status with err set. */
typedef struct viral_output {
  const char *path; /* NULL: not wanted, skipped */
  int (*write)(FILE *out, const void *ctx, viral_error *err);
  const void *ctx;
} viral_output;

/* Write every output that has a path, all or none: all are opened before
 * any is written (a destination that cannot be created fails the lot before
 * any work), then written, then committed together with
 * viral_atomic_commit_all. On failure no file output of the call is left
 * behind. */
int viral_write_outputs(const viral_output *outputs, size_t count, viral_error *err);

/* Write one CSV cell, quoted (RFC 4180) only when it needs to be. */
void viral_csv_write_cell(FILE *out, const char *s, size_t len);

/* Write the len bytes at s (NULs included) as a JSON string literal,
 * quotes and all, escaped as cJSON escapes: '"' and '\\' with a
 * backslash, control bytes as \b \f \n \r \t or \u00XX, every other
 * byte as it is (UTF-8 passes through). */
void viral_json_write_string(FILE *out, const char *s, size_t len);

/* Format a double so that it reads back exactly (%.17g in the C locale,
 * shortest form that round-trips). buf must hold 32 bytes. Returns buf. */
char *viral_format_double(char buf[32], double x);

#ifdef __cplusplus
}
#endif
#endif
