/* record.c - records, their schema, and the typed getters (viral/record.h).
 *
 * Getters parse on demand: a CSV reader hands over text only, so a column
 * nobody asks for costs nothing. Error messages quote the offending value,
 * cut to VALUE_QUOTE_MAX bytes and with control bytes escaped, so each stays
 * on one line. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/record_internal.h"
#include "io/text.h"
#include "io/value_internal.h"

/* ---- schema ---- */

static _Atomic uint64_t schema_ids = 0;

static uint64_t next_schema_id(void) { return atomic_fetch_add(&schema_ids, 1) + 1; }

static uint32_t hash_name(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

void record_schema_init(record_schema *schema) {
  memset(schema, 0, sizeof *schema);
  schema->id = next_schema_id();
}

void record_schema_release(record_schema *schema) {
  if (!schema) return;
  for (size_t i = 0; i < schema->count; i++) free(schema->names[i]);
  free(schema->names);
  free(schema->lengths);
  free(schema->slots);
  memset(schema, 0, sizeof *schema);
}

long record_schema_find(const record_schema *schema, const char *name, size_t len) {
  if (schema->nslots == 0) return -1;
  size_t mask = schema->nslots - 1;
  for (size_t i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
    uint32_t slot = schema->slots[i];
    if (slot == 0) return -1;
    size_t k = slot - 1;
    if (schema->lengths[k] == len && memcmp(schema->names[k], name, len) == 0) return (long)k;
  }
}

static int rehash(record_schema *schema, size_t nslots) {
  uint32_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return VIRAL_ERR_NOMEM;
  for (size_t k = 0; k < schema->count; k++) {
    size_t i = hash_name(schema->names[k], schema->lengths[k]) & (nslots - 1);
    while (slots[i]) i = (i + 1) & (nslots - 1);
    slots[i] = (uint32_t)(k + 1);
  }
  free(schema->slots);
  schema->slots = slots;
  schema->nslots = nslots;
  return VIRAL_OK;
}

long record_schema_add(record_schema *schema, const char *name, size_t len, int *added) {
  *added = 0;
  long found = record_schema_find(schema, name, len);
  if (found >= 0) return found;
  if (schema->count == schema->capacity) {
    size_t cap = schema->capacity ? schema->capacity * 2 : 16;
    char **names = realloc(schema->names, cap * sizeof *names);
    if (!names) return -1;
    schema->names = names;
    size_t *lengths = realloc(schema->lengths, cap * sizeof *lengths);
    if (!lengths) return -1;
    schema->lengths = lengths;
    schema->capacity = cap;
  }
  char *copy = text_dup_len(name, len);
  if (!copy) return -1;
  schema->names[schema->count] = copy;
  schema->lengths[schema->count] = len;
  schema->count++;
  if (schema->count * 2 > schema->nslots) {
    if (rehash(schema, schema->nslots ? schema->nslots * 2 : 32) != VIRAL_OK) {
      free(copy);
      schema->count--;
      return -1;
    }
  } else {
    size_t mask = schema->nslots - 1;
    size_t i = hash_name(name, len) & mask;
    while (schema->slots[i]) i = (i + 1) & mask;
    schema->slots[i] = (uint32_t)schema->count;
  }
  schema->id = next_schema_id();
  *added = 1;
  return (long)(schema->count - 1);
}

/* ---- record ---- */

void record_init(viral_record *rec, const record_schema *schema, const char *source) {
  memset(rec, 0, sizeof *rec);
  rec->schema = schema;
  rec->source = source;
}

void record_release(viral_record *rec) {
  if (!rec) return;
  free(rec->values);
  rec->values = NULL;
  rec->capacity = 0;
}

int record_reserve(viral_record *rec) {
  size_t need = rec->schema->count;
  if (need <= rec->capacity) return VIRAL_OK;
  size_t cap = rec->capacity ? rec->capacity : 16;
  while (cap < need) cap *= 2;
  viral_value *values = realloc(rec->values, cap * sizeof *values);
  if (!values) return VIRAL_ERR_NOMEM;
  memset(values + rec->capacity, 0, (cap - rec->capacity) * sizeof *values);
  for (size_t i = rec->capacity; i < cap; i++) values[i].text = "";
  rec->values = values;
  rec->capacity = cap;
  return VIRAL_OK;
}

void record_clear(viral_record *rec) {
  for (size_t i = 0; i < rec->capacity; i++) {
    memset(&rec->values[i], 0, sizeof rec->values[i]);
    rec->values[i].text = "";
  }
}

/* ---- records made from values ---- */

/* The record first: a made record's address is the whole's. */
typedef struct made_record {
  viral_record rec;
  record_schema schema;
  char *source;
  char *texts; /* the values' texts, each NUL-terminated */
} made_record;

void viral_record_free_made_(viral_record *rec) {
  made_record *m = (made_record *)rec;
  if (!m) return;
  record_release(&m->rec);
  record_schema_release(&m->schema);
  free(m->source);
  free(m->texts);
  free(m);
}

viral_record *viral_record_make_(const char *source, const char *const *names,
                                 const viral_value *values, size_t n) {
  made_record *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  record_schema_init(&m->schema);
  size_t bytes = 1;
  for (size_t i = 0; i < n; i++) bytes += values[i].len + 1;
  m->source = malloc(strlen(source) + 1);
  m->texts = malloc(bytes);
  if (!m->source || !m->texts) goto fail;
  strcpy(m->source, source);
  record_init(&m->rec, &m->schema, m->source);
  m->rec.line = 1;
  char *t = m->texts;
  for (size_t i = 0; i < n; i++) {
    int added;
    long at = record_schema_add(&m->schema, names[i], strlen(names[i]), &added);
    if (at < 0 || record_reserve(&m->rec) != VIRAL_OK) goto fail;
    viral_value *v = &m->rec.values[at];
    *v = values[i];
    memcpy(t, values[i].text, values[i].len);
    t[values[i].len] = '\0';
    v->text = t;
    t += values[i].len + 1;
  }
  return &m->rec;
fail:
  viral_record_free_made_(&m->rec);
  return NULL;
}

size_t viral_record_field_count(const viral_record *rec) { return rec->schema->count; }

const char *viral_record_field_name(const viral_record *rec, size_t i) {
  return i < rec->schema->count ? rec->schema->names[i] : NULL;
}

long viral_record_find(const viral_record *rec, const char *name) {
  return record_schema_find(rec->schema, name, strlen(name));
}

static const viral_value missing_value = {VIRAL_VALUE_MISSING, "", 0, 0, 0};

/* viral_record_value, inline for the getters here. */
static inline const viral_value *value_at(const viral_record *rec, size_t i) {
  if (i >= rec->schema->count || i >= rec->capacity) return &missing_value;
  return &rec->values[i];
}

const viral_value *viral_record_value(const viral_record *rec, size_t i) { return value_at(rec, i); }

uint64_t viral_record_schema_id(const viral_record *rec) { return rec->schema->id; }
const char *viral_record_source(const viral_record *rec) { return rec->source; }
long viral_record_line(const viral_record *rec) { return rec->line; }

/* ---- typed getters ---- */

#define VALUE_QUOTE_MAX 60

static int bad_value(const viral_record *rec, size_t field, const char *what,
                     const viral_value *v, viral_error *err) {
  char quoted[VALUE_QUOTE_SIZE(VALUE_QUOTE_MAX)];
  value_quote(quoted, sizeof quoted, v->text ? v->text : "", v->text ? v->len : 0,
                   VALUE_QUOTE_MAX);
  return viral_error_set(err, VIRAL_ERR_PARSE, rec->source, rec->line,
                         "field '%s': bad %s '%s'", viral_record_field_name(rec, field), what,
                         quoted);
}

/* The value of field, or NULL when it is missing (absent, empty, blank). */
static inline const viral_value *present(const viral_record *rec, size_t field) {
  const viral_value *v = value_at(rec, field);
  if (v->kind == VIRAL_VALUE_MISSING) return NULL;
  if (v->kind == VIRAL_VALUE_TEXT && value_is_blank(v->text, v->len)) return NULL;
  return v;
}

typedef int (*number_parser)(const char *s, size_t len, double *out);

/* Shared by number, count and duration: JSON numbers pass through, booleans
 * are 0/1 when allow_bool, text goes through parse. */
static int get_number(const viral_record *rec, size_t field, double *out, viral_error *err,
                      number_parser parse, const char *what, int allow_bool) {
  const viral_value *v = present(rec, field);
  if (!v) return VIRAL_MISSING;
  if (v->kind == VIRAL_VALUE_NUMBER || (v->kind == VIRAL_VALUE_BOOL && allow_bool)) {
    *out = v->number;
    return VIRAL_OK;
  }
  if (v->kind == VIRAL_VALUE_TEXT && parse(v->text, v->len, out) == VIRAL_OK) return VIRAL_OK;
  return bad_value(rec, field, what, v, err);
}

/* 1 with *out set when field is a plain decimal cell (most CSV cells): no
 * blank check, no parser call. */
static inline int plain_cell(const viral_record *rec, size_t field, int allow_minus, double *out) {
  const viral_value *v = value_at(rec, field);
  return v->kind == VIRAL_VALUE_TEXT && value_parse_plain(v->text, v->len, allow_minus, out);
}

int viral_record_number(const viral_record *rec, size_t field, double *out, viral_error *err) {
  if (plain_cell(rec, field, 1, out)) return VIRAL_OK;
  return get_number(rec, field, out, err, viral_parse_number, "number", 1);
}

int viral_record_count(const viral_record *rec, size_t field, double *out, viral_error *err) {
  if (plain_cell(rec, field, 0, out)) return VIRAL_OK;
  return get_number(rec, field, out, err, viral_parse_count, "count", 0);
}

int viral_record_duration(const viral_record *rec, size_t field, double *out, viral_error *err) {
  if (plain_cell(rec, field, 0, out)) return VIRAL_OK;
  return get_number(rec, field, out, err, viral_parse_duration, "duration", 0);
}

int viral_record_bool(const viral_record *rec, size_t field, int *out, viral_error *err) {
  const viral_value *v = present(rec, field);
  if (!v) return VIRAL_MISSING;
  if ((v->kind == VIRAL_VALUE_BOOL || v->kind == VIRAL_VALUE_NUMBER) &&
      (v->number == 0 || v->number == 1)) {
    *out = v->number == 1;
    return VIRAL_OK;
  }
  if (v->kind == VIRAL_VALUE_TEXT && viral_parse_bool(v->text, v->len, out) == VIRAL_OK)
    return VIRAL_OK;
  return bad_value(rec, field, "bool", v, err);
}

/* A unix number out of VIRAL_TIME_MIN..MAX: milliseconds, most likely. */
static int not_seconds(const viral_record *rec, size_t field, const viral_value *v,
                       viral_error *err) {
  char quoted[VALUE_QUOTE_SIZE(VALUE_QUOTE_MAX)];
  /* a JSON number's text is its source digits (the JSON reader keeps them) */
  value_quote(quoted, sizeof quoted, v->text ? v->text : "", v->text ? v->len : 0,
                   VALUE_QUOTE_MAX);
  const char *name = viral_record_field_name(rec, field);
  return viral_error_set(err, VIRAL_ERR_PARSE, rec->source, rec->line,
                         "field '%s': timestamp '%s' is not unix seconds (it would be past the "
                         "year 3000, or before 1000): milliseconds need \"fields\": {\"%s\": "
                         "{\"unit\": \"ms\"}} in a spec, or the values divided by 1000",
                         name, quoted, name);
}

int viral_record_timestamp(const viral_record *rec, size_t field, int utc_offset_minutes,
                           double *out, viral_error *err) {
  const viral_value *v = present(rec, field);
  if (!v) return VIRAL_MISSING;
  if (v->kind == VIRAL_VALUE_NUMBER) {
    if (!(v->number >= VIRAL_TIME_MIN && v->number < VIRAL_TIME_MAX)) return not_seconds(rec, field, v, err);
    *out = v->number;
    return VIRAL_OK;
  }
  int rc = v->kind == VIRAL_VALUE_TEXT ? viral_parse_timestamp(v->text, v->len, utc_offset_minutes, out)
                                       : VIRAL_ERR_PARSE;
  if (rc == VIRAL_OK) return VIRAL_OK;
  if (rc == VIRAL_ERR_LIMIT) return not_seconds(rec, field, v, err);
  return bad_value(rec, field, "timestamp", v, err);
}

int viral_record_age_hours(const viral_record *rec, double posted_at, double observed_at,
                           double *hours, viral_error *err) {
  double h = (observed_at - posted_at) / 3600;
  if (h <= -VIRAL_AGE_SLACK_H) {
    char seen[32], posted[32];
    viral_format_timestamp(seen, observed_at);
    viral_format_timestamp(posted, posted_at);
    return viral_error_set(err, VIRAL_ERR_INVALID, rec ? rec->source : NULL, rec ? rec->line : 0,
                           "observed_at %s is before posted_at %s (age %.3gh): a video is seen "
                           "only after it is posted", seen, posted, h);
  }
  *hours = h;
  return VIRAL_OK;
}

int viral_record_text(const viral_record *rec, size_t field, viral_strview *out, viral_error *err) {
  (void)err;
  const viral_value *v = value_at(rec, field);
  if (v->kind == VIRAL_VALUE_MISSING) return VIRAL_MISSING;
  out->ptr = v->text;
  out->len = v->len;
  return VIRAL_OK;
}

int viral_record_list(const viral_record *rec, size_t field, const char *separators,
                      viral_strview *items, size_t max, size_t *count, viral_error *err) {
  (void)err;
  const viral_value *v = value_at(rec, field);
  if (v->kind == VIRAL_VALUE_MISSING) return VIRAL_MISSING;
  if (v->kind != VIRAL_VALUE_LIST) {
    *count = viral_parse_list(v->text, v->len, separators, items, max);
    return VIRAL_OK;
  }
  /* JSON arrays keep their items exactly: split only on the 0x1f joints */
  size_t n = 0, start = 0;
  for (size_t i = 0; v->count > 0 && i <= v->len; i++) {
    if (i < v->len && v->text[i] != '\x1f') continue;
    if (n < max) {
      items[n].ptr = v->text + start;
      items[n].len = i - start;
    }
    n++;
    start = i + 1;
  }
  *count = n;
  return VIRAL_OK;
}
