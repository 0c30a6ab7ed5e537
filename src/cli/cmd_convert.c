/* cmd_convert.c - `viral convert`: write feature vectors as LIBSVM or Vowpal
 * Wabbit text, for other tools.
 *
 * usage: viral convert [--spec FILE] [--to libsvm|vw] [options] [FILE|-]
 *
 * LIBSVM lines are "LABEL IDX:VAL ..." with labels 0/1 and 1-based indices in
 * ascending order (svm-train and liblinear-train accept both). VW lines are
 * "LABEL |namespace name:value ..." with labels -1/+1 (VW's logistic
 * convention) and one namespace per feature group. Values are printed so they
 * read back exactly. A spec that needs fitting (scaling, a quantile label) is
 * fitted on the whole input first, so the input must be a file, not stdin. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "viral/features.h"
#include "viral/reader.h"
#include "io/number_format.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"to", 't', "FORMAT", "libsvm (default) or vw"},
    CLI_SPEC_OPTIONS,
    CLI_INPUT_OPTIONS,
    {"output", 'o', "FILE", "write to FILE (atomically) instead of standard output"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_convert_spec = {
    "convert",
    "[options] [FILE|-]",
    "write feature vectors as LIBSVM or Vowpal Wabbit text",
    "Reads records (CSV, JSONL or JSON), turns each into its feature vector with\n"
    "the spec's pipeline and writes one line per record with its label:\n"
    "  libsvm: LABEL IDX:VAL ...        labels 0/1, indices from 1, ascending\n"
    "  vw:     LABEL |namespace name:value ...   labels -1/1, one namespace per group\n"
    "Rows whose label is missing are an error (skipped with --skip-bad-rows).\n"
    "A spec with scaling or a top:P% label is first fitted on the whole input\n"
    "(two passes), so FILE must then be a file, not standard input.",
    options,
    0,
    1,
};

enum { TO_LIBSVM, TO_VW };

/* ---- VW: collect a row's named coordinates, then print them by group ---- */

typedef struct vw_item {
  size_t group; /* index into groups */
  size_t name;  /* offset of the sanitized name in text */
  double value;
} vw_item;

typedef struct vw_row {
  vw_item *items;
  size_t count, cap;
  char *text;
  size_t used, text_cap;
  const char *groups[64];
  size_t ngroups;
  char *line; /* the output line */
  size_t line_cap;
} vw_row;

static int vw_push_text(vw_row *r, const char *s) {
  size_t n = strlen(s) + 1;
  if (r->used + n > r->text_cap) {
    size_t cap = (r->used + n) * 2;
    char *t = realloc(r->text, cap);
    if (!t) return VIRAL_ERR_NOMEM;
    r->text = t;
    r->text_cap = cap;
  }
  /* VW splits on space, ':' and '|': keep names in one piece */
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    r->text[r->used + i] = (c == ' ' || c == ':' || c == '|' || c == '\t' || c == '\n') ? '_' : c;
  }
  r->used += n;
  return VIRAL_OK;
}

static int vw_sink(void *ctx, uint32_t index, double value, const char *group, const char *name) {
  (void)index;
  vw_row *r = ctx;
  if (value == 0) return 0; /* as in the sparse vector */
  size_t g = 0;
  /* group names are the pipeline's: the same pointer for the same group */
  while (g < r->ngroups && r->groups[g] != group && strcmp(r->groups[g], group) != 0) g++;
  if (g == r->ngroups) {
    if (g == sizeof r->groups / sizeof r->groups[0]) return VIRAL_ERR_LIMIT;
    r->groups[r->ngroups++] = group; /* group names are owned by the pipeline */
  }
  if (r->count == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    vw_item *items = realloc(r->items, cap * sizeof *items);
    if (!items) return VIRAL_ERR_NOMEM;
    r->items = items;
    r->cap = cap;
  }
  size_t off = r->used;
  if (vw_push_text(r, name)) return VIRAL_ERR_NOMEM;
  r->items[r->count++] = (vw_item){g, off, value};
  return 0;
}

/* The line goes out with one fwrite, built in r->line: a name's sanitized
 * bytes, its ':' and at most 32 for the number bound each item. */
static int vw_write(FILE *out, vw_row *r, double label) {
  size_t need = 4 + r->used + r->count * 34;
  for (size_t g = 0; g < r->ngroups; g++) need += strlen(r->groups[g]) + 2;
  if (need > r->line_cap) {
    char *grown = realloc(r->line, need);
    if (!grown) return VIRAL_ERR_NOMEM;
    r->line = grown;
    r->line_cap = need;
  }
  char *p = r->line;
  if (label > 0) *p++ = '1';
  else *p++ = '-', *p++ = '1';
  for (size_t g = 0; g < r->ngroups; g++) {
    int opened = 0;
    for (size_t i = 0; i < r->count; i++) {
      if (r->items[i].group != g) continue;
      if (!opened) {
        size_t n = strlen(r->groups[g]);
        *p++ = ' ', *p++ = '|';
        memcpy(p, r->groups[g], n);
        p += n;
        opened = 1;
      }
      *p++ = ' ';
      size_t n = strlen(r->text + r->items[i].name);
      memcpy(p, r->text + r->items[i].name, n);
      p += n;
      if (r->items[i].value != 1) {
        *p++ = ':';
        p += viral_format_value_into_(p, r->items[i].value);
      }
    }
  }
  *p++ = '\n';
  fwrite(r->line, 1, (size_t)(p - r->line), out);
  return VIRAL_OK;
}

/* One line per row, written with one fwrite: 32 bytes bound each number,
 * so the line buffer holds (count + 1) * 64 bytes. An index prints as the
 * whole number it is (what formatting it as a double gives). */
static int libsvm_write(FILE *out, const viral_sparse *v, double label, char **line,
                        size_t *cap) {
  size_t need = (v->count + 1) * 64;
  if (need > *cap) {
    char *grown = realloc(*line, need);
    if (!grown) return VIRAL_ERR_NOMEM;
    *line = grown;
    *cap = need;
  }
  char *p = *line;
  *p++ = label > 0 ? '1' : '0';
  for (size_t i = 0; i < v->count; i++) {
    *p++ = ' ';
    p += viral_format_index_(p, (uint64_t)v->items[i].index + 1);
    *p++ = ':';
    p += viral_format_value_into_(p, v->items[i].value);
  }
  *p++ = '\n';
  fwrite(*line, 1, (size_t)(p - *line), out);
  return VIRAL_OK;
}

/* ---- the command ---- */

typedef struct convert_job {
  const char *input;
  viral_reader_options ropts;
  viral_pipeline *pipe;
  int to;
  size_t written, skipped;
} convert_job;

static void vw_begin(void *ctx) {
  vw_row *r = ctx;
  r->count = r->used = 0;
}

/* Write every row of s: held back until the input is known to have the
 * fields the spec reads. */
static int write_rows(convert_job *job, viral_rows *s, vw_row *row, FILE *out, viral_error *err) {
  cli_held_output held;
  int rc = cli_hold_begin(&held, out, err);
  char *line = NULL;
  size_t line_cap = 0;
  const viral_row *r;
  while (rc == VIRAL_OK && (rc = viral_rows_next(s, &r, err)) == 1) {
    if ((rc = cli_hold_update(&held, s, err)) != VIRAL_OK) break;
    if (job->to == TO_VW ? vw_write(held.out, row, r->label) != VIRAL_OK
                         : libsvm_write(held.out, r->x, r->label, &line, &line_cap) != VIRAL_OK) {
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      break;
    }
    job->written++;
  }
  if (rc == 0) rc = cli_hold_update(&held, NULL, err);
  cli_hold_end(&held);
  free(line);
  return rc;
}

/* The input's rows, the spec's pipeline fitted on them first when it needs
 * it (VW rows are named into row). NULL with err set. */
static viral_rows *open_rows(convert_job *job, vw_row *row, viral_error *err) {
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_LABEL_REQUIRED;
  o.check_after = CLI_HOLD_ROWS;
  if (job->to == TO_VW) {
    o.sink = vw_sink;
    o.sink_begin = vw_begin;
    o.sink_ctx = row;
  }
  viral_rows *s = viral_rows_open(job->pipe, job->input, &job->ropts, &o, err);
  if (s && viral_pipeline_needs_fit(job->pipe) && viral_rows_fit(s, err) != VIRAL_OK) {
    viral_rows_free(s);
    s = NULL;
  }
  return s;
}

int cmd_convert(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_convert_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  convert_job job;
  memset(&job, 0, sizeof job);
  job.input = args.positional_count ? args.positional[0] : "-";
  const char *to = cli_get(&args, "to");
  if (!to || strcmp(to, "libsvm") == 0) job.to = TO_LIBSVM;
  else if (strcmp(to, "vw") == 0) job.to = TO_VW;
  else return cli_usage_error("convert", "--to must be libsvm or vw, not '%s'", to);
  viral_error err;
  viral_error_clear(&err);
  job.pipe = cli_load_pipeline(&args, NULL, &err);
  if (!job.pipe) return cli_data_error("convert", &err);
  if ((rc = cli_input_options(&args, job.pipe, &job.ropts)) != CLI_CONTINUE) {
    viral_pipeline_free(job.pipe);
    return rc;
  }
  if (!*viral_pipeline_label_rule(job.pipe)) {
    viral_pipeline_free(job.pipe);
    return cli_usage_error("convert", "the spec has no label rule: give one with --label");
  }

  if (viral_pipeline_needs_fit(job.pipe) && strcmp(job.input, "-") == 0) {
    viral_pipeline_free(job.pipe);
    return cli_usage_error("convert", "the spec needs fitting (scaling or a quantile label), "
                                      "which reads the input twice: give a FILE, not stdin");
  }
  if (viral_pipeline_leaks(job.pipe))
    fprintf(stderr, "viral convert: warning: --allow-leakage: features use fields observed after "
                    "the %gh window\n", viral_pipeline_window_hours(job.pipe));

  int status = CLI_EXIT_OK;
  viral_atomic_file *af = NULL;
  vw_row row;
  memset(&row, 0, sizeof row);
  viral_rows *rows = open_rows(&job, &row, &err);
  if (!rows) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  const char *path = cli_get(&args, "output") ? cli_get(&args, "output") : "-";
  if (!(af = viral_atomic_open(path, &err))) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  if (write_rows(&job, rows, &row, viral_atomic_stream(af), &err) != VIRAL_OK) {
    status = cli_data_error("convert", &err);
    viral_atomic_abort(af);
    goto done;
  }
  if (viral_atomic_commit(af, &err) != VIRAL_OK) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  cli_input_warning("convert", job.pipe);
  viral_rows_counts counts;
  viral_rows_get_counts(rows, &counts);
  job.skipped = counts.bad_rows;
  if (job.skipped)
    fprintf(stderr, "viral convert: %zu rows written, %zu bad rows skipped\n", job.written,
            job.skipped);
done:
  viral_rows_free(rows);
  free(row.items);
  free(row.text);
  free(row.line);
  viral_pipeline_free(job.pipe);
  return status;
}
