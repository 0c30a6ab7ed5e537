/* input.c - does the input have the fields the pipeline reads (the tally of
 * viral/features.h): per field the rows that lacked it, the fields no record
 * had, and the messages that say so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_internal.h"
#include "io/value_internal.h"

/* tally_read[i] holds 1 for a field the pass reads, and this bit too when
 * its source is a JSON path with an array step. */
#define READ_BY_PATH 2

/* Names shown of the input's fields before "... (N in all)". */
#define SHOWN_COLUMNS 12
/* Absent fields named before "and N more". */
#define SHOWN_ABSENT 8

void pipeline_tally_free(viral_pipeline *p) {
  for (size_t i = 0; p->tally_miss && i < p->nfields; i++) free(p->tally_miss[i]);
  free(p->tally_miss);
  p->tally_miss = NULL;
  free(p->tally_missing);
  free(p->tally_read);
  free(p->tally_seen);
  free(p->tally_list);
  p->tally_list = NULL;
  p->tally_count = 0;
  free(p->tally_source);
  free(p->tally_columns);
  p->tally_missing = NULL;
  p->tally_read = p->tally_seen = NULL;
  p->tally_source = p->tally_columns = NULL;
  p->tally_on = 0;
}

void viral_pipeline_set_allow_missing(viral_pipeline *p, int on) { p->allow_missing = on; }

int viral_pipeline_tally_checked(const viral_pipeline *p) { return p->tally_checked; }

uint64_t pipeline_tally_rows(const viral_pipeline *p) { return p->tally_rows; }

/* [rows, missing[nfields], seen[nfields]]: sums of seen flags stay flags. */
size_t pipeline_tally_size(const viral_pipeline *p) { return p->tally_on ? 1 + 2 * p->nfields : 0; }

void pipeline_tally_save(const viral_pipeline *p, uint64_t *v) {
  if (!p->tally_on) return;
  v[0] = p->tally_rows;
  for (size_t i = 0; i < p->nfields; i++) {
    v[1 + i] = p->tally_missing[i];
    v[1 + p->nfields + i] = p->tally_seen[i];
  }
}

void pipeline_tally_load(viral_pipeline *p, const uint64_t *v) {
  if (!p->tally_on) return;
  p->tally_rows = v[0];
  for (size_t i = 0; i < p->nfields; i++) {
    p->tally_missing[i] = v[1 + i];
    p->tally_seen[i] = v[1 + p->nfields + i] > 0;
  }
}

static void mark_label_fields(viral_pipeline *p) {
  const label_rule *l = &p->label;
  if (l->kind == LABEL_NONE) return;
  p->tally_read[l->field] = 1;
  if (l->kind == LABEL_RATIO) p->tally_read[l->field2] = 1;
}

int viral_pipeline_tally_begin(viral_pipeline *p, int reads, viral_error *err) {
  pipeline_tally_free(p);
  size_t n = p->nfields ? p->nfields : 1;
  p->tally_missing = calloc(n, sizeof *p->tally_missing);
  p->tally_read = calloc(n, 1);
  p->tally_seen = calloc(n, 1);
  p->tally_list = calloc(n, sizeof *p->tally_list);
  p->tally_miss = calloc(n, sizeof *p->tally_miss);
  if (!p->tally_missing || !p->tally_read || !p->tally_seen || !p->tally_list || !p->tally_miss) {
    pipeline_tally_free(p);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  for (size_t i = 0; i < p->nfeatures; i++)
    for (int k = 0; k < p->features[i].nfields; k++) p->tally_read[p->features[i].field[k]] = 1;
  if (reads & VIRAL_READS_LABEL) mark_label_fields(p);
  if (reads & VIRAL_READS_ID) p->tally_read[p->id_field] = 1;
  for (size_t i = 0; i < p->nfields; i++) { /* each row looks at these only */
    if (!p->tally_read[i]) continue;
    p->tally_list[p->tally_count++] = i;
    if (strchr(p->fields[i].source, '[')) p->tally_read[i] |= READ_BY_PATH;
  }
  p->tally_rows = 0;
  p->tally_checked = 0;
  p->tally_has_schema = 0;
  p->tally_on = 1;
  return VIRAL_OK;
}

/* "a, b, c, ... (40 in all)": the record's field names, for messages. */
static char *list_columns(const viral_record *rec) {
  size_t n = viral_record_field_count(rec), cap = 64, used = 0;
  for (size_t i = 0; i < n && i < SHOWN_COLUMNS; i++) cap += strlen(viral_record_field_name(rec, i)) + 2;
  char *s = malloc(cap);
  if (!s) return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < n && i < SHOWN_COLUMNS; i++)
    used += (size_t)snprintf(s + used, cap - used, "%s%s", i ? ", " : "", viral_record_field_name(rec, i));
  if (n > SHOWN_COLUMNS) snprintf(s + used, cap - used, ", ... (%zu in all)", n);
  else if (n == 0) snprintf(s, cap, "no fields");
  return s;
}

/* 1 when field i is read through a JSON path that reader r follows: r,
 * not the schema, knows whether the input has it. */
static int read_by_path(const viral_pipeline *p, const viral_reader *r, size_t i) {
  return (p->tally_read[i] & READ_BY_PATH) && r && viral_reader_format(r) != VIRAL_FORMAT_CSV;
}

/* A new schema: which read fields have a column now, and the names for
 * messages (the file named as reader r names it, else as rec does). */
static int note_schema(viral_pipeline *p, const viral_reader *r, const viral_record *rec) {
  p->tally_schema = viral_record_schema_id(rec);
  p->tally_has_schema = 1;
  for (size_t i = 0; i < p->nfields; i++)
    if (p->own.cols[i] >= 0 && !read_by_path(p, r, i)) p->tally_seen[i] = 1;
  const char *src = r ? viral_reader_name(r) : viral_record_source(rec);
  if (!src) src = "input";
  if (!p->tally_source || strcmp(p->tally_source, src) != 0) {
    char *source = text_dup(src);
    if (!source) return VIRAL_ERR_NOMEM;
    free(p->tally_source);
    p->tally_source = source;
  }
  char *columns = list_columns(rec);
  if (!columns) return VIRAL_ERR_NOMEM;
  free(p->tally_columns);
  p->tally_columns = columns;
  return VIRAL_OK;
}

/* 1 when field i has no value in rec (no column, empty, blank, null). */
static int lacks(const viral_pipeline *p, const viral_record *rec, size_t i) {
  long col = p->own.cols[i];
  if (col < 0) return 1;
  const viral_value *v = viral_record_value(rec, (size_t)col);
  return v->kind == VIRAL_VALUE_MISSING ||
         (v->kind == VIRAL_VALUE_TEXT && value_is_blank(v->text, v->len));
}

/* Field i, read through a path r follows and not seen yet: seen once r has
 * seen every step, else keep r's word on the step no record had. */
static int note_path(viral_pipeline *p, const viral_reader *r, size_t i) {
  const char *miss = viral_reader_path_miss(r, p->fields[i].source);
  if (!miss) {
    p->tally_seen[i] = p->own.cols[i] >= 0;
    return VIRAL_OK;
  }
  if (p->tally_miss[i] && strcmp(p->tally_miss[i], miss) == 0) return VIRAL_OK;
  char *copy = text_dup(miss);
  if (!copy) return VIRAL_ERR_NOMEM;
  free(p->tally_miss[i]);
  p->tally_miss[i] = copy;
  return VIRAL_OK;
}

int viral_pipeline_tally_record(viral_pipeline *p, const viral_reader *r, const viral_record *rec,
                                viral_error *err) {
  if (!p->tally_on) return VIRAL_OK;
  if (pipeline_bind(p, &p->own, rec) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if ((!p->tally_has_schema || viral_record_schema_id(rec) != p->tally_schema) &&
      note_schema(p, r, rec) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  p->tally_rows++;
  for (size_t k = 0; k < p->tally_count; k++) {
    size_t i = p->tally_list[k];
    p->tally_missing[i] += (uint64_t)lacks(p, rec, i);
  }
  for (size_t k = 0; p->nfield_paths && k < p->tally_count; k++) { /* a spec without paths skips it */
    size_t i = p->tally_list[k];
    if (!p->tally_seen[i] && read_by_path(p, r, i) && note_path(p, r, i) != VIRAL_OK)
      return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  if (!p->tally_checked && r && viral_reader_format(r) == VIRAL_FORMAT_CSV)
    return viral_pipeline_tally_check(p, err); /* the header is all there is to know */
  return VIRAL_OK;
}

/* "views_1h" or, for a mapped field, "video_id (from 'vid_url')", and for a
 * path no record had all of, the step: "caption (from 'challenges[].title':
 * no record has 'title' in 'challenges[]')". */
static int field_label(const viral_pipeline *p, size_t i, char *buf, size_t size) {
  const field_def *f = &p->fields[i];
  const char *miss = p->tally_miss && !p->tally_seen[i] ? p->tally_miss[i] : NULL;
  if (strcmp(f->name, f->source) == 0) return snprintf(buf, size, "%s", f->name);
  return snprintf(buf, size, "%s (from '%s'%s%s)", f->name, f->source, miss ? ": " : "",
                  miss ? miss : "");
}

static size_t append(char *buf, size_t size, size_t used, const char *fmt, const char *a) {
  if (used >= size) return used;
  int n = snprintf(buf + used, size - used, fmt, a);
  return n < 0 ? used : used + (size_t)n;
}

/* The read fields no record had, as a list ("a, b and 3 more"); their count. */
static size_t absent_fields(const viral_pipeline *p, char *buf, size_t size) {
  size_t count = 0, used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < p->nfields; i++) {
    if (!p->tally_read[i] || p->tally_seen[i]) continue;
    if (count++ < SHOWN_ABSENT) {
      char name[400];
      field_label(p, i, name, sizeof name);
      used = append(buf, size, used, count > 1 ? ", %s" : "%s", name);
    }
  }
  if (count > SHOWN_ABSENT) {
    char more[32];
    snprintf(more, sizeof more, "%zu", count - SHOWN_ABSENT);
    append(buf, size, used, " and %s more", more);
  }
  return count;
}

size_t viral_pipeline_tally_absent(const viral_pipeline *p, char *buf, size_t size) {
  if (size) buf[0] = '\0';
  return p->tally_on && size ? absent_fields(p, buf, size) : 0;
}

int viral_pipeline_tally_check(viral_pipeline *p, viral_error *err) {
  if (!p->tally_on || p->tally_rows == 0) return VIRAL_OK;
  char absent[600];
  if (absent_fields(p, absent, sizeof absent) == 0 || p->allow_missing) {
    p->tally_checked = 1;
    return VIRAL_OK;
  }
  return viral_error_set(err, VIRAL_ERR_MISSING, p->tally_source, 0,
                         "the input lacks fields the spec reads: %s (the input has: %s); map them "
                         "under the spec's \"fields\", or --allow-missing reads it without them",
                         absent, p->tally_columns ? p->tally_columns : "no fields");
}

int viral_pipeline_tally_explain(viral_pipeline *p, viral_error *err) {
  if (!p->tally_on || p->tally_checked || p->allow_missing) return 0;
  viral_error check;
  viral_error_clear(&check);
  if (viral_pipeline_tally_check(p, &check) == VIRAL_OK) return 0;
  if (err) *err = check;
  return 1;
}

/* The read fields of one kind as "a, b 72.5%" after head into buf at used:
 * absent ones (sparse 0) or present ones missing in more than the warning
 * share (sparse 1), after "; " when buf has grown past start. Returns the
 * new used. */
static size_t warn_list(const viral_pipeline *p, int sparse, const char *head, char *buf,
                        size_t size, size_t start, size_t used) {
  size_t count = 0;
  for (size_t i = 0; i < p->nfields; i++) {
    if (!p->tally_read[i] || p->tally_seen[i] != sparse) continue;
    double share = (double)p->tally_missing[i] / (double)p->tally_rows;
    if (sparse && !(share > VIRAL_MISSING_WARN_SHARE)) continue;
    char item[456], name[400];
    field_label(p, i, name, sizeof name);
    if (sparse) snprintf(item, sizeof item, "%s (%.1f%%)", name, 100 * share);
    else snprintf(item, sizeof item, "%s", name);
    if (!count++) used = append(buf, size, append(buf, size, used, "%s", used > start ? "; " : ""), "%s", head);
    used = append(buf, size, used, count > 1 ? ", %s" : "%s", item);
  }
  return used;
}

int viral_pipeline_tally_warning(const viral_pipeline *p, char *buf, size_t size) {
  buf[0] = '\0';
  if (!p->tally_on || p->tally_rows == 0) return 0;
  char head[160];
  size_t used = (size_t)snprintf(buf, size, "%s: ", p->tally_source ? p->tally_source : "input");
  size_t start = used;
  used = warn_list(p, 0, "not in the input, read as missing (--allow-missing): ", buf, size, start, used);
  snprintf(head, sizeof head, "missing in more than %g%% of the %llu rows: ",
           100 * VIRAL_MISSING_WARN_SHARE, (unsigned long long)p->tally_rows);
  used = warn_list(p, 1, head, buf, size, start, used);
  if (used == start) {
    buf[0] = '\0';
    return 0;
  }
  return 1;
}

void viral_pipeline_tally_label(const viral_pipeline *p, char *buf, size_t size) {
  const label_rule *l = &p->label;
  buf[0] = '\0';
  if (l->kind == LABEL_NONE) {
    snprintf(buf, size, "the spec has no label rule");
    return;
  }
  size_t used = (size_t)snprintf(buf, size, "the label rule '%s' reads", l->text);
  int fields[2] = {l->field, l->kind == LABEL_RATIO ? l->field2 : -1};
  for (int k = 0; k < 2 && fields[k] >= 0 && used < size; k++) {
    size_t i = (size_t)fields[k];
    char name[400], what[600];
    field_label(p, i, name, sizeof name);
    if (!p->tally_on || !p->tally_read[i])
      snprintf(what, sizeof what, "'%s'", name);
    else if (!p->tally_seen[i])
      snprintf(what, sizeof what, "'%s', which is not in the input (it has: %s)", name,
               p->tally_columns ? p->tally_columns : "no fields");
    else
      snprintf(what, sizeof what, "'%s', missing in %llu of %llu rows", name,
               (unsigned long long)p->tally_missing[i], (unsigned long long)p->tally_rows);
    used = append(buf, size, used, k ? " and %s" : " %s", what);
  }
}
