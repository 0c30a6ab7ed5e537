/* read_file.h - a whole file into memory, its size checked first
 * (internal: the model/checkpoint document loader, the spec loader, and
 * evaluation, which keeps its input in memory to refit each fold). */
#ifndef VIRAL_IO_READ_FILE_H
#define VIRAL_IO_READ_FILE_H

#include <stddef.h>

#include "viral/error.h"

/* Read the file at path ("-" or NULL: standard input, read to its end and
 * left open) into *text (caller frees; NUL-terminated after *len bytes).
 * A regular file larger than max bytes is refused from its size, before
 * anything is allocated; any other input (a pipe) is refused as soon as
 * more than max bytes arrive, and the buffer never grows past max + 2
 * (max SIZE_MAX: no limit). Errors name path: "cannot open: ...", "file
 * larger than MAX bytes" (VIRAL_ERR_LIMIT), "read error: REASON", "out of
 * memory". An empty file is read as *len = 0. */
int viral_read_file(const char *path, size_t max, char **text, size_t *len, viral_error *err);

#endif
