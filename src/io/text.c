/* text.c - copies and JSON string literals (text.h). */
#include "io/text.h"
#include "viral/writer.h"

#include <stdlib.h>
#include <string.h>

char *text_dup_len(const char *s, size_t len) {
  char *d = malloc(len + 1);
  if (!d) return NULL;
  if (len) memcpy(d, s, len); /* s may be NULL when len is 0 */
  d[len] = '\0';
  return d;
}

char *text_dup(const char *s) { return s ? text_dup_len(s, strlen(s)) : NULL; }

/* The escape of byte c into esc (8 bytes): its length. */
static size_t json_escape(unsigned char c, char esc[8]) {
  esc[0] = '\\';
  switch (c) {
  case '"': esc[1] = '"'; return 2;
  case '\\': esc[1] = '\\'; return 2;
  case '\b': esc[1] = 'b'; return 2;
  case '\f': esc[1] = 'f'; return 2;
  case '\n': esc[1] = 'n'; return 2;
  case '\r': esc[1] = 'r'; return 2;
  case '\t': esc[1] = 't'; return 2;
  default: return (size_t)snprintf(esc, 8, "\\u%04x", c);
  }
}

int json_string_emit(const char *s, size_t len, viral_text_emit emit, void *ctx) {
  int rc = emit(ctx, "\"", 1);
  size_t run = 0; /* bytes before s[i] not written yet: plain bytes go out in runs */
  for (size_t i = 0; i < len && rc == 0; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c > 31 && c != '"' && c != '\\') continue;
    char esc[8];
    size_t n = json_escape(c, esc);
    if (i > run) rc = emit(ctx, s + run, i - run);
    if (rc == 0) rc = emit(ctx, esc, n);
    run = i + 1;
  }
  if (rc == 0 && len > run) rc = emit(ctx, s + run, len - run);
  return rc ? rc : emit(ctx, "\"", 1);
}

static int file_emit(void *ctx, const char *text, size_t len) {
  fwrite(text, 1, len, ctx);
  return 0;
}

void viral_json_write_string(FILE *out, const char *s, size_t len) { json_string_emit(s, len, file_emit, out); }

void json_string_write(FILE *out, const char *s) { viral_json_write_string(out, s, strlen(s)); }
