/* json_number.c - exact numbers in cJSON documents (json_number.h). */
#include "io/json_number.h"

#include "viral/error.h"
#include "viral/writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cJSON *viral_json_exact_number(double x) {
  VIRAL_ASSERT(isfinite(x));
  char buf[32];
  return cJSON_CreateRaw(viral_format_double(buf, x));
}

int viral_json_add_number(cJSON *object, const char *key, double x) {
  cJSON *item = viral_json_exact_number(x);
  if (!item) return -1;
  cJSON_AddItemToObject(object, key, item);
  return 0;
}

int viral_json_append_number(cJSON *array, double x) {
  cJSON *item = viral_json_exact_number(x);
  if (!item) return -1;
  cJSON_AddItemToArray(array, item);
  return 0;
}

int viral_text_buf_emit(void *ctx, const char *text, size_t len) {
  viral_text_buf *b = ctx;
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len + 1) cap *= 2;
    char *grown = realloc(b->text, cap);
    if (!grown) return -1;
    b->text = grown;
    b->cap = cap;
  }
  memcpy(b->text + b->len, text, len);
  b->len += len;
  b->text[b->len] = '\0';
  return 0;
}
