/* describe_write.c - a dataset's description for people (a table) and for
 * programs (JSON, written with cJSON) (viral/describe.h). Write errors are
 * left in ferror(out) for the caller. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/describe.h"

/* Numbers for people, not for reading back: whole numbers in full, large
 * ones with one decimal (a median 1605078637.5), the rest to 6 significant
 * digits; beyond 1e15 doubles no longer hold every integer anyway. */
static const char *format_number(char buf[32], double x) {
  if (fabs(x) >= 1e15) snprintf(buf, 32, "%.6g", x);
  else if (x == floor(x)) snprintf(buf, 32, "%.0f", x);
  else if (fabs(x) >= 1e4) snprintf(buf, 32, "%.1f", x);
  else snprintf(buf, 32, "%.6g", x);
  return buf;
}

/* ---- text output ---- */

enum { COL_FIELD, COL_TYPE, COL_MISSING, COL_DISTINCT, COL_MIN, COL_MEDIAN, COL_MAX, COLS };

typedef struct table_row {
  char cell[COLS][64];
} table_row;

static void fill_row(table_row *row, const viral_field_summary *s) {
  char buf[32];
  memset(row, 0, sizeof *row);
  snprintf(row->cell[COL_FIELD], sizeof row->cell[0], "%s", s->name);
  snprintf(row->cell[COL_TYPE], sizeof row->cell[0], "%s", viral_field_type_name(s->type));
  snprintf(row->cell[COL_MISSING], sizeof row->cell[0], "%zu", s->missing);
  snprintf(row->cell[COL_DISTINCT], sizeof row->cell[0], "%s%zu", s->distinct_exact ? "" : "~",
           s->distinct);
  if (!s->has_range) return;
  const double v[3] = {s->min, s->median, s->max};
  const char *exact[3] = {s->min_text, s->median_text, s->max_text};
  for (int i = 0; i < 3; i++) {
    const char *text = s->type == VIRAL_FIELD_TIMESTAMP ? viral_format_timestamp(buf, v[i])
                       : exact[i][0]                    ? exact[i] /* whole numbers in full */
                                                        : format_number(buf, v[i]);
    snprintf(row->cell[COL_MIN + i], sizeof row->cell[0], "%s", text);
  }
}

/* Columns separated by two blanks; names and types left-aligned, numbers
 * right-aligned; no trailing blanks. */
static void print_table(FILE *out, const table_row *rows, size_t n) {
  size_t width[COLS] = {0};
  for (size_t r = 0; r < n; r++)
    for (int c = 0; c < COLS; c++) {
      size_t len = strlen(rows[r].cell[c]);
      if (len > width[c]) width[c] = len;
    }
  for (size_t r = 0; r < n; r++) {
    char line[COLS * 80];
    size_t used = 0;
    for (int c = 0; c < COLS; c++) {
      int left = c <= COL_TYPE;
      used += (size_t)snprintf(line + used, sizeof line - used, left ? "%s%-*s" : "%s%*s",
                               c ? "  " : "", (int)width[c], rows[r].cell[c]);
    }
    while (used > 0 && line[used - 1] == ' ') used--;
    fprintf(out, "%.*s\n", (int)used, line);
  }
}

int viral_describe_write_text(const viral_describe *d, const char *name, viral_format format, FILE *out,
                              viral_error *err) {
  size_t n = viral_describe_field_count(d);
  table_row *rows = malloc((n + 1) * sizeof *rows);
  if (!rows) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  static const char *header[COLS] = {"field", "type", "missing", "distinct", "min", "median", "max"};
  for (int c = 0; c < COLS; c++) snprintf(rows[0].cell[c], sizeof rows[0].cell[c], "%s", header[c]);
  for (size_t i = 0; i < n; i++) fill_row(&rows[i + 1], viral_describe_field(d, i));
  size_t nrows = viral_describe_rows(d);
  fprintf(out, "%s: %zu row%s, %zu field%s (%s)\n\n", name, nrows, nrows == 1 ? "" : "s", n,
          n == 1 ? "" : "s", viral_format_name(format));
  print_table(out, rows, n + 1);
  free(rows);
  return VIRAL_OK;
}

/* ---- JSON output ---- */

/* x under name, as its exact text when there is one (an id beyond 2^53). */
static int add_range_number(cJSON *o, const char *name, double x, const char *exact) {
  return exact[0] ? cJSON_AddRawToObject(o, name, exact) != NULL
                  : cJSON_AddNumberToObject(o, name, x) != NULL;
}

static cJSON *field_json(const viral_field_summary *s) {
  char buf[32];
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  int ok = cJSON_AddStringToObject(o, "name", s->name) &&
           cJSON_AddStringToObject(o, "type", viral_field_type_name(s->type)) &&
           cJSON_AddNumberToObject(o, "present", (double)s->present) &&
           cJSON_AddNumberToObject(o, "missing", (double)s->missing) &&
           cJSON_AddNumberToObject(o, "distinct", (double)s->distinct) &&
           cJSON_AddBoolToObject(o, "distinct_exact", s->distinct_exact);
  if (ok && s->has_range)
    ok = add_range_number(o, "min", s->min, s->min_text) &&
         add_range_number(o, "median", s->median, s->median_text) &&
         add_range_number(o, "max", s->max, s->max_text);
  if (ok && s->has_range && s->type == VIRAL_FIELD_TIMESTAMP)
    ok = cJSON_AddStringToObject(o, "earliest", viral_format_timestamp(buf, s->min)) &&
         cJSON_AddStringToObject(o, "latest", viral_format_timestamp(buf, s->max));
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int viral_describe_write_json(const viral_describe *d, const char *name, viral_format format,
                              size_t skipped, FILE *out, viral_error *err) {
  cJSON *root = cJSON_CreateObject();
  cJSON *fields = NULL;
  char *text = NULL;
  int rc = VIRAL_ERR_NOMEM;
  if (!root || !cJSON_AddStringToObject(root, "file", name) ||
      !cJSON_AddStringToObject(root, "format", viral_format_name(format)) ||
      !cJSON_AddNumberToObject(root, "rows", (double)viral_describe_rows(d)) ||
      !cJSON_AddNumberToObject(root, "skipped", (double)skipped) ||
      !(fields = cJSON_AddArrayToObject(root, "fields")))
    goto done;
  for (size_t i = 0; i < viral_describe_field_count(d); i++) {
    cJSON *f = field_json(viral_describe_field(d, i));
    if (!f) goto done;
    cJSON_AddItemToArray(fields, f);
  }
  if (!(text = cJSON_Print(root))) goto done;
  fprintf(out, "%s\n", text);
  rc = VIRAL_OK;
done:
  free(text);
  cJSON_Delete(root);
  return rc == VIRAL_OK ? rc : viral_error_set(err, rc, NULL, 0, "out of memory");
}
