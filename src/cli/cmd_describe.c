/* cmd_describe.c - `viral describe [options] [FILE|-]`: check a dataset.
 *
 * Reads every record, then prints rows and, per field, the inferred type,
 * missing and distinct counts and min/median/max (earliest/latest for
 * timestamps). Everything is computed before anything is printed, so a bad
 * file leaves stdout empty. */
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
    {"format", 'f', "FMT", "csv, jsonl or json (default: from the file name, else the content)"},
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
  if ((cli_flag(&args, "json") ? viral_describe_write_json(d, shown, used, skipped, stdout, &err)
                                : viral_describe_write_text(d, shown, used, stdout, &err)) != VIRAL_OK)
    goto fail;
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
