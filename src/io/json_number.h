/* json_number.h - exact numbers in cJSON documents (internal).
 *
 * cJSON 1.7.15 prints a double with %.15g whenever that reads back within
 * DBL_EPSILON, so about one double in ten loses its last bit, and -0 becomes
 * 0. Every number viral writes to a model or checkpoint therefore goes in as
 * raw JSON text made by viral_format_double; reading is exact already
 * (cJSON parses with strtod). */
#ifndef VIRAL_IO_JSON_NUMBER_H
#define VIRAL_IO_JSON_NUMBER_H

#include <cJSON.h>
#include <stddef.h>

#include "io/text.h" /* viral_text_emit */

/* A raw JSON number item holding x exactly; NULL when out of memory. x must
 * be finite (JSON has no NaN or infinity). */
cJSON *viral_json_exact_number(double x);
/* Add x under key / append x to array; 0 or -1 when out of memory. */
int viral_json_add_number(cJSON *object, const char *key, double x);
int viral_json_append_number(cJSON *array, double x);


/* Text grown in memory: an emit target. Start from {NULL, 0, 0}; text is
 * NUL-terminated once anything was emitted; the owner frees text. */
typedef struct viral_text_buf {
  char *text;
  size_t len, cap;
} viral_text_buf;

/* viral_text_emit appending to the viral_text_buf at ctx; -1 when out of memory. */
int viral_text_buf_emit(void *ctx, const char *text, size_t len);

#endif
