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

/* A raw JSON number item holding x exactly; NULL when out of memory. x must
 * be finite (JSON has no NaN or infinity). */
cJSON *viral_json_exact_number(double x);
/* Add x under key / append x to array; 0 or -1 when out of memory. */
int viral_json_add_number(cJSON *object, const char *key, double x);
int viral_json_append_number(cJSON *array, double x);

#endif
