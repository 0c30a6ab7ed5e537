/* error.c - the viral_error buffer (see include/viral/error.h). */
#include "viral/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void viral_error_clear(viral_error *err) {
  if (!err) return;
  err->code = VIRAL_OK;
  err->message[0] = '\0';
}

int viral_error_set(viral_error *err, int code, const char *file, long line,
                    const char *fmt, ...) {
  if (!err) return code;
  size_t used = 0;
  int n = 0;
  if (file && line > 0)
    n = snprintf(err->message, sizeof err->message, "%s:%ld: ", file, line);
  else if (file)
    n = snprintf(err->message, sizeof err->message, "%s: ", file);
  if (n > 0) used = (size_t)n < sizeof err->message ? (size_t)n : sizeof err->message - 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
  va_end(ap);
  err->code = code;
  return code;
}

int viral_error_wrap(viral_error *err, const char *file, long line) {
  if (!err) return VIRAL_ERR_INVALID;
  char inner[VIRAL_ERROR_MAX];
  memcpy(inner, err->message, sizeof inner);
  return viral_error_set(err, err->code, file, line, "%s", inner);
}

const char *viral_status_name(int code) {
  switch (code) {
  case VIRAL_OK: return "ok";
  case VIRAL_ERR_IO: return "i/o error";
  case VIRAL_ERR_PARSE: return "parse error";
  case VIRAL_ERR_LIMIT: return "limit exceeded";
  case VIRAL_ERR_NOMEM: return "out of memory";
  case VIRAL_ERR_INVALID: return "invalid input";
  case VIRAL_ERR_MISSING: return "missing value";
  default: return "unknown error";
  }
}

void viral_assert_fail(const char *expr, const char *file, int line) {
  fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
  abort();
}
