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

/* The bytes at s[0..len) before the first one that needs an escape. */
static size_t plain_run(const char *s, size_t len) {
  size_t n = 0;
  while (n < len && (unsigned char)s[n] > 31 && s[n] != '"' && s[n] != '\\') n++;
  return n;
}

int json_string_emit(const char *s, size_t len, viral_text_emit emit, void *ctx) {
  int rc = emit(ctx, "\"", 1);
  for (size_t i = 0; i < len && rc == 0; i++) {
    size_t n = plain_run(s + i, len - i);
    if (n) rc = emit(ctx, s + i, n);
    if ((i += n) == len || rc) break;
    char esc[8];
    rc = emit(ctx, esc, json_escape((unsigned char)s[i], esc));
  }
  return rc ? rc : emit(ctx, "\"", 1);
}

/* The same loop on a FILE*, without a call per piece: the writers of gen,
 * assemble and the stream call it for every string of every row. */
void viral_json_write_string(FILE *out, const char *s, size_t len) {
  putc('"', out);
  for (size_t i = 0; i < len; i++) {
    size_t n = plain_run(s + i, len - i);
    if (n) fwrite(s + i, 1, n, out);
    if ((i += n) == len) break;
    char esc[8];
    fwrite(esc, 1, json_escape((unsigned char)s[i], esc), out);
  }
  putc('"', out);
}

void json_string_write(FILE *out, const char *s) { viral_json_write_string(out, s, strlen(s)); }

struct text_block {
  struct text_block *next;
  char text[];
};

char *text_pool_dup(text_pool *pool, const char *s, size_t len) {
  if (len >= TEXT_POOL_BLOCK / 4) { /* a long one: a block of its own, behind the newest */
    struct text_block *own = malloc(sizeof *own + len + 1);
    if (!own) return NULL;
    struct text_block **at = pool->blocks ? &pool->blocks->next : &pool->blocks;
    own->next = *at;
    *at = own;
    memcpy(own->text, s, len);
    own->text[len] = '\0';
    return own->text;
  }
  if (!pool->blocks || pool->left < len + 1) {
    struct text_block *b = malloc(sizeof *b + TEXT_POOL_BLOCK);
    if (!b) return NULL;
    b->next = pool->blocks;
    pool->blocks = b;
    pool->left = TEXT_POOL_BLOCK;
  }
  char *copy = pool->blocks->text + (TEXT_POOL_BLOCK - pool->left);
  memcpy(copy, s, len);
  copy[len] = '\0';
  pool->left -= len + 1;
  return copy;
}

void text_pool_release(text_pool *pool) {
  while (pool->blocks) {
    struct text_block *next = pool->blocks->next;
    free(pool->blocks);
    pool->blocks = next;
  }
  pool->left = 0;
}
