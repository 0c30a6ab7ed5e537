/* viral/error.h - status codes and the error buffer every library call fills.
 *
 * Library functions never print and never exit: they return a status (or NULL)
 * and, on failure, leave a message in a caller-owned viral_error, formatted
 * "FILE:LINE: what is wrong" (lower case, no final period). The CLI alone
 * decides what to print and which exit code to use. */
#ifndef VIRAL_ERROR_H
#define VIRAL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: VIRAL_OK is 0, failures are negative. */
enum {
  VIRAL_OK = 0,
  VIRAL_ERR_IO = -1,      /* cannot open, read or write a file */
  VIRAL_ERR_PARSE = -2,   /* malformed input: bad cell, bad JSON, bad value */
  VIRAL_ERR_LIMIT = -3,   /* a documented limit was exceeded */
  VIRAL_ERR_NOMEM = -4,   /* allocation failed */
  VIRAL_ERR_INVALID = -5, /* invalid argument, spec or model content */
  VIRAL_ERR_MISSING = -6  /* a required field or value is absent */
};

#define VIRAL_ERROR_MAX 512

/* Caller-owned error buffer; zero-initialise or viral_error_clear() it. */
typedef struct viral_error {
  int code;                   /* the status that was returned, or VIRAL_OK */
  char message[VIRAL_ERROR_MAX];
} viral_error;

/* Reset err to "no error". NULL-safe. */
void viral_error_clear(viral_error *err);

/* Fill err with "FILE:LINE: message" (": LINE" left out when line <= 0, and
 * the "FILE:" prefix when file is NULL) and return code, so callers can write
 * `return viral_error_set(err, VIRAL_ERR_PARSE, path, line, "bad %s", x);`.
 * err may be NULL. */
int viral_error_set(viral_error *err, int code, const char *file, long line,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Prefix an existing message with "FILE:LINE: " (used when a lower layer that
 * does not know the file reports a problem). Returns err->code. */
int viral_error_wrap(viral_error *err, const char *file, long line);

/* Human-readable name of a status code ("parse error", ...). */
const char *viral_status_name(int code);

/* Programmer errors only (never bad input): abort with file:line. */
#define VIRAL_ASSERT(x)                                                        \
  do {                                                                         \
    if (!(x)) viral_assert_fail(#x, __FILE__, __LINE__);                       \
  } while (0)

void viral_assert_fail(const char *expr, const char *file, int line);

#ifdef __cplusplus
}
#endif
#endif
