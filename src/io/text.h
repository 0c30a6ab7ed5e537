/* text.h - the small text helpers every module shares (internal): copying a
 * string, writing a JSON string literal. One of each, so that every copy is
 * made and every JSON document is escaped the same way. */
#ifndef VIRAL_IO_TEXT_H
#define VIRAL_IO_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Receives text as it is produced (a document written piece by piece);
 * returns 0, or -1 to stop. */
typedef int (*viral_text_emit)(void *ctx, const char *text, size_t len);

/* A copy of s, or NULL when s is NULL or memory ran out; the caller frees. */
char *text_dup(const char *s);
/* The len bytes at s (no NUL needed) as a NUL-terminated copy, or NULL when
 * memory ran out; the caller frees. */
char *text_dup_len(const char *s, size_t len);

/* Many small strings kept together (a table's video ids): copies made in
 * blocks of TEXT_POOL_BLOCK bytes that never move, so a copy costs its
 * bytes and its NUL, not a heap allocation each. Initialise with {0}. */
typedef struct text_pool {
  struct text_block *blocks; /* the newest first */
  size_t left;               /* free bytes in the newest */
} text_pool;
#define TEXT_POOL_BLOCK ((size_t)64 << 10)

/* A NUL-terminated copy of the len bytes at s in pool, valid until
 * text_pool_release; NULL when memory ran out. */
char *text_pool_dup(text_pool *pool, const char *s, size_t len);
/* Free every copy of the pool. */
void text_pool_release(text_pool *pool);

/* The len bytes at s as a JSON string literal, quotes included, escaped as
 * cJSON escapes (so documents viral writes itself and those cJSON writes
 * agree): '"' and '\\' with a backslash, the control bytes \b \f \n \r \t
 * by name and the others as \u00XX, every other byte as it is (UTF-8 passes
 * through). Returns 0, or the first non-zero return of emit. */
int json_string_emit(const char *s, size_t len, viral_text_emit emit, void *ctx);
/* viral_json_write_string (viral/writer.h) for the NUL-terminated s. */
void json_string_write(FILE *out, const char *s);

#endif
