/* cmd_describe.c - `viral describe [options] [FILE|-]`: check a dataset.
 *
 * Reads every record, then prints rows and, per field, the inferred type,
 * missing and distinct counts and min/median/max (earliest/latest for
 * timestamps). Everything is computed before anything is printed, so a bad
 * file leaves stdout empty. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "viral/describe.h"
#include "viral/reader.h"

static const cli_option describe_options[] = {
    {"json", 0, NULL, "print the description as JSON (written with cJSON)"},
    {"format", 0, "FMT", "csv, jsonl or json (default: from the file name, else the content)"},
    {"json-path", 0, "PATH", "JSON path to the records in a JSON document: data.videos, "
                             "[].data.videos; '' is the top"},
    {"skip-bad-rows", 0, NULL, "skip malformed rows and report how many on stderr at the end"},
    {"quiet", 'q', NULL, "no progress line and no skipped-rows count on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_describe_spec = {
    .command = "describe",
    .usage = "[options] [FILE|-]",
    .summary = "check a dataset: rows, and per field type, missing, distinct, min/median/max",
    .description =
        "Reads a CSV, JSONL or JSON file (or standard input) and prints the number of\n"
        "rows and, for each field in file order: its type, how many rows miss it\n"
        "(absent, empty or null), how many distinct values it has, and min/median/max\n"
        "(earliest/median/latest in ISO-8601 UTC for timestamps). A malformed row stops\n"
        "it with FILE:LINE on stderr and nothing on stdout, unless --skip-bad-rows.\n"
        "\n"
        "Types are inferred from the values. A field is the first of bool, number,\n"
        "count (numbers with K/M/B suffixes), duration (mm:ss), timestamp (ISO-8601 or\n"
        "unix seconds; naive times are taken as UTC) that all its non-missing values\n"
        "parse as. Otherwise it is a list when its values are JSON arrays or tags: text\n"
        "split on ',' or '|' into items of at most three words, at least 1 value in 10\n"
        "with two or more items, at most 1 in 100 with a longer item. Anything else is\n"
        "text. A column of plain 0/1 is bool only when both 0 and 1 occur.\n"
        "\n"
        "Distinct values are counted as written (\"1.0\" and \"1\" differ): exactly (by\n"
        "64-bit hash) up to 65536 per field, then estimated with a HyperLogLog sketch\n"
        "(about 0.8% error), shown as ~N. The median is exact: describe holds the\n"
        "values of each numeric field in memory, 8 bytes per value. Whole numbers\n"
        "within 64 bits are shown digit for digit (a 19-digit id), others rounded.\n"
        "\n"
        "example:\n"
        "  viral describe datasets/example.csv\n"
        "  viral describe --json --json-path collector trending.json",
    .options = describe_options,
    .min_positional = 0,
    .max_positional = 1,
};

/* ---- formatting ---- */

/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (fractions of a second dropped). */
static const char *format_time(char buf[32], double t) {
  time_t secs = (time_t)floor(t);
  struct tm tm;
  if (!gmtime_r(&secs, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buf, 32, "%.0f", t);
  return buf;
}

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

static const char *format_name(viral_format f) {
  switch (f) {
  case VIRAL_FORMAT_CSV: return "csv";
  case VIRAL_FORMAT_JSONL: return "jsonl";
  case VIRAL_FORMAT_JSON: return "json";
  default: return "auto";
  }
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
    const char *text = s->type == VIRAL_FIELD_TIMESTAMP ? format_time(buf, v[i])
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

static int print_text(FILE *out, const char *path, viral_format format,
                      const viral_describe *d) {
  size_t n = viral_describe_field_count(d);
  table_row *rows = malloc((n + 1) * sizeof *rows);
  if (!rows) return VIRAL_ERR_NOMEM;
  static const char *header[COLS] = {"field", "type", "missing", "distinct", "min", "median", "max"};
  for (int c = 0; c < COLS; c++) snprintf(rows[0].cell[c], sizeof rows[0].cell[c], "%s", header[c]);
  for (size_t i = 0; i < n; i++) fill_row(&rows[i + 1], viral_describe_field(d, i));
  size_t nrows = viral_describe_rows(d);
  fprintf(out, "%s: %zu row%s, %zu field%s (%s)\n\n", path, nrows, nrows == 1 ? "" : "s", n,
          n == 1 ? "" : "s", format_name(format));
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
    ok = cJSON_AddStringToObject(o, "earliest", format_time(buf, s->min)) &&
         cJSON_AddStringToObject(o, "latest", format_time(buf, s->max));
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int print_json(FILE *out, const char *path, viral_format format, size_t skipped,
                      const viral_describe *d) {
  cJSON *root = cJSON_CreateObject();
  cJSON *fields = NULL;
  char *text = NULL;
  int rc = VIRAL_ERR_NOMEM;
  if (!root || !cJSON_AddStringToObject(root, "file", path) ||
      !cJSON_AddStringToObject(root, "format", format_name(format)) ||
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
  return rc;
}

/* ---- the command ---- */

/* A progress line on stderr, only on a terminal and only after a second. */
typedef struct progress {
  int enabled, shown;
  time_t start;
} progress;

static void progress_update(progress *p, size_t rows) {
  if (!p->enabled || rows % 65536 != 0) return;
  if (!p->shown && time(NULL) - p->start < 1) return;
  fprintf(stderr, "\rviral describe: %zu rows", rows);
  p->shown = 1;
}

static void progress_end(progress *p) {
  if (p->shown) fprintf(stderr, "\r%60s\r", "");
}

int cmd_describe(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_describe_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  viral_reader_options opts;
  if ((rc = cli_input_options(&args, NULL, &opts)) != CLI_CONTINUE) return rc;
  int quiet = cli_flag(&args, "quiet");
  const char *path = args.positional_count ? args.positional[0] : "-";
  const char *shown = strcmp(path, "-") == 0 ? "stdin" : path; /* as the reader names it */

  viral_error err;
  viral_error_clear(&err);
  viral_describe *d = NULL;
  viral_reader *reader = viral_reader_open(path, &opts, &err);
  if (!reader) return cli_data_error("describe", &err);
  if (!(d = viral_describe_create())) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    goto fail;
  }
  progress prog = {!quiet && isatty(STDERR_FILENO), 0, time(NULL)};
  const viral_record *rec;
  while ((rc = viral_reader_next(reader, &rec, &err)) == 1) {
    if (viral_describe_add(d, rec, &err) != VIRAL_OK) break;
    progress_update(&prog, viral_describe_rows(d));
  }
  progress_end(&prog);
  if (rc != 0 || viral_describe_finish(d, &err) != VIRAL_OK) goto fail;

  viral_format used = viral_reader_format(reader);
  size_t skipped = viral_reader_skipped(reader);
  rc = cli_flag(&args, "json") ? print_json(stdout, shown, used, skipped, d)
                               : print_text(stdout, shown, used, d);
  if (rc != VIRAL_OK) {
    viral_error_set(&err, rc, NULL, 0, "out of memory");
    goto fail;
  }
  if (opts.skip_bad_rows && !quiet)
    fprintf(stderr, "viral describe: %s: skipped %zu bad row%s\n", shown, skipped,
            skipped == 1 ? "" : "s");
  viral_describe_free(d);
  viral_reader_free(reader);
  return CLI_EXIT_OK;
fail:
  viral_describe_free(d);
  viral_reader_free(reader);
  return cli_data_error("describe", &err);
}
