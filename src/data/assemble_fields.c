/* assemble_fields.c - field mappings, parse rules and the record writer of
 * `viral assemble` (viral/assemble.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/assemble_internal.h"
#include "io/text.h"
#include "viral/writer.h"

/* ---- mappings ---- */

static const char *const rule_names[] = {"text", "number", "count", "duration", "bool", "timestamp"};

void viral_field_maps_free(viral_field_map *maps, size_t count) {
  for (size_t i = 0; maps && i < count; i++) {
    free(maps[i].name);
    free(maps[i].source);
  }
  free(maps);
}

/* One "NAME=SOURCE[:RULE]" item of len bytes into m. */
static int parse_map(const char *s, size_t len, viral_parse_rule def, viral_field_map *m,
                     viral_error *err) {
  const char *eq = memchr(s, '=', len);
  const char *src = eq ? eq + 1 : s;
  size_t name_len = eq ? (size_t)(eq - s) : len;
  size_t src_len = len - (size_t)(src - s);
  m->parse = def;
  /* the rule is after the last ':' when it names a rule; column names may hold ':' */
  const char *colon = NULL;
  for (size_t i = 0; i < src_len; i++)
    if (src[i] == ':') colon = src + i;
  if (colon) {
    size_t rl = src_len - (size_t)(colon + 1 - src);
    for (size_t r = 0; r < sizeof rule_names / sizeof *rule_names; r++)
      if (strlen(rule_names[r]) == rl && memcmp(colon + 1, rule_names[r], rl) == 0) {
        m->parse = (viral_parse_rule)r;
        src_len = (size_t)(colon - src);
        if (!eq) name_len = src_len;
        break;
      }
  }
  if (name_len == 0 || src_len == 0)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "bad field mapping '%.*s': expected NAME=SOURCE[:RULE]", (int)len, s);
  m->name = text_dup_len(s, name_len);
  m->source = text_dup_len(src, src_len);
  if (!m->name || !m->source) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return VIRAL_OK;
}

int viral_field_maps_parse(const char *text, viral_parse_rule default_rule,
                           viral_field_map **maps, size_t *count, viral_error *err) {
  size_t n = 1;
  for (const char *p = text; *p; p++) n += *p == ',';
  viral_field_map *m = calloc(n, sizeof *m);
  if (!m) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  size_t k = 0;
  const char *s = text;
  for (;;) {
    size_t len = strcspn(s, ",");
    int rc = parse_map(s, len, default_rule, &m[k++], err);
    if (rc) {
      viral_field_maps_free(m, k);
      return rc;
    }
    if (!s[len]) break;
    s += len + 1;
  }
  *maps = m;
  *count = k;
  return VIRAL_OK;
}

/* ---- parse rules ---- */

int viral_assemble_read_field(const viral_record *rec, long field, viral_parse_rule rule,
                              int utc_offset_minutes, double *number, const char **text,
                              viral_error *err) {
  if (field < 0) return VIRAL_MISSING;
  size_t f = (size_t)field;
  int b = 0, rc;
  switch (rule) {
  case VIRAL_PARSE_TEXT: {
    viral_strview s;
    VIRAL_ASSERT(text);
    rc = viral_record_text(rec, f, &s, err);
    if (rc == VIRAL_OK) {
      char *copy = text_dup_len(s.ptr, s.len);
      if (!copy) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      /* a JSON list's items are joined by '\x1f': write them as a CSV list cell */
      for (char *c = copy; *c; c++)
        if (*c == '\x1f') *c = '|';
      *text = copy;
    }
    return rc;
  }
  case VIRAL_PARSE_NUMBER: return viral_record_number(rec, f, number, err);
  case VIRAL_PARSE_COUNT: return viral_record_count(rec, f, number, err);
  case VIRAL_PARSE_DURATION: return viral_record_duration(rec, f, number, err);
  case VIRAL_PARSE_TIMESTAMP:
    return viral_record_timestamp(rec, f, utc_offset_minutes, number, err);
  case VIRAL_PARSE_BOOL:
    rc = viral_record_bool(rec, f, &b, err);
    if (rc == VIRAL_OK) *number = b;
    return rc;
  }
  return VIRAL_ERR_INVALID;
}

char *viral_assemble_format_time(char buf[32], double t) {
  if (t == floor(t) && t >= VIRAL_TIME_MIN && t < VIRAL_TIME_MAX) return viral_format_timestamp(buf, t);
  return viral_format_double(buf, t);
}

/* ---- writer ---- */

void viral_assembler_write_header(const viral_assembler *a, FILE *out, int jsonl) {
  if (jsonl) return;
  for (size_t i = 0; i < viral_assembler_column_count(a); i++) {
    const char *name = viral_assembler_column_name(a, i);
    if (i) putc(',', out);
    viral_csv_write_cell(out, name, strlen(name));
  }
  putc('\n', out);
}

void viral_assembler_cell_value(const viral_assembler *a, const viral_assembled_value *row, size_t i,
                                char buf[32], viral_value *out) {
  const viral_assembled_value *v = &row[i];
  memset(out, 0, sizeof *out);
  out->text = "";
  if (v->text) {
    out->len = strlen(v->text);
    out->kind = out->len ? VIRAL_VALUE_TEXT : VIRAL_VALUE_MISSING; /* "" is missing, as a reader has it */
    out->text = v->text;
    return;
  }
  if (isnan(v->number)) return;
  /* posted_at (column 1) and the event times: times people can read */
  const char *name = viral_assembler_column_name(a, i);
  int is_time = i == 1 || strcmp(name, "scored_at") == 0 || strcmp(name, "learned_at") == 0;
  out->text = is_time ? viral_assemble_format_time(buf, v->number) : viral_format_double(buf, v->number);
  out->len = strlen(out->text);
  if (is_time && strchr(out->text, 'T')) {
    out->kind = VIRAL_VALUE_TEXT;
  } else {
    out->kind = VIRAL_VALUE_NUMBER;
    out->number = v->number;
  }
}

void viral_assembler_write_row(const viral_assembler *a, const viral_assembled_value *row,
                               FILE *out, int jsonl) {
  char buf[32];
  if (jsonl) putc('{', out);
  for (size_t i = 0; i < viral_assembler_column_count(a); i++) {
    if (i) putc(',', out);
    if (jsonl) {
      json_string_write(out, viral_assembler_column_name(a, i));
      putc(':', out);
    }
    viral_value v;
    viral_assembler_cell_value(a, row, i, buf, &v);
    if (v.kind == VIRAL_VALUE_NUMBER) fputs(v.text, out);
    else if (jsonl && v.kind == VIRAL_VALUE_MISSING && !row[i].text) fputs("null", out);
    else if (jsonl) json_string_write(out, v.text);
    else if (row[i].text) viral_csv_write_cell(out, v.text, v.len);
    else fputs(v.text, out); /* a time */
  }
  if (jsonl) putc('}', out);
  putc('\n', out);
}
