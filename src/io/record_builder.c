/* record_builder.c - records built from values in C (viral/record.h): the
 * values a JSON reader would give for the same members, without the JSON
 * text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/record_internal.h"
#include "io/text.h"
#include "viral/writer.h"

struct viral_record_builder {
  record_schema schema;
  viral_record record;
  char *source;
  char **bytes;    /* [nbytes] each field's own copy of its text, reused from record to record */
  size_t *cap;     /* [nbytes] */
  size_t nbytes;
};

viral_record_builder *viral_record_builder_create(const char *source) {
  viral_record_builder *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  record_schema_init(&b->schema);
  if (!(b->source = text_dup(source ? source : "record"))) {
    free(b);
    return NULL;
  }
  record_init(&b->record, &b->schema, b->source);
  return b;
}

void viral_record_builder_free(viral_record_builder *b) {
  if (!b) return;
  for (size_t i = 0; i < b->nbytes; i++) free(b->bytes[i]);
  free(b->bytes);
  free(b->cap);
  record_release(&b->record);
  record_schema_release(&b->schema);
  free(b->source);
  free(b);
}

void viral_record_builder_clear(viral_record_builder *b, long line) {
  record_clear(&b->record);
  b->record.line = line;
}

const viral_record *viral_record_builder_record(const viral_record_builder *b) { return &b->record; }

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

/* The value of the field called name, added to the schema when new, with
 * room for len bytes of text (and a NUL) in *bytes. NULL when out of memory. */
static viral_value *field(viral_record_builder *b, const char *name, size_t len, char **bytes) {
  int added;
  long i = record_schema_add(&b->schema, name, strlen(name), &added);
  if (i < 0 || record_reserve(&b->record) != VIRAL_OK) return NULL;
  size_t k = (size_t)i;
  if (k >= b->nbytes) {
    size_t n = b->schema.capacity;
    char **grown = realloc(b->bytes, n * sizeof *grown);
    if (grown) b->bytes = grown;
    size_t *caps = realloc(b->cap, n * sizeof *caps);
    if (caps) b->cap = caps;
    if (!grown || !caps) return NULL;
    for (size_t j = b->nbytes; j < n; j++) b->bytes[j] = NULL, b->cap[j] = 0;
    b->nbytes = n;
  }
  if (len + 1 > b->cap[k]) {
    char *t = realloc(b->bytes[k], len + 1);
    if (!t) return NULL;
    b->bytes[k] = t;
    b->cap[k] = len + 1;
  }
  *bytes = b->bytes[k];
  viral_value *v = &b->record.values[k];
  memset(v, 0, sizeof *v);
  v->text = "";
  return v;
}

int viral_record_builder_set_text(viral_record_builder *b, const char *name, const char *text, size_t len,
                                  viral_error *err) {
  char *bytes;
  viral_value *v = field(b, name, len, &bytes);
  if (!v) return nomem(err);
  if (len == 0) return VIRAL_OK; /* "" is missing, as in CSV and JSON */
  memcpy(bytes, text, len);
  bytes[len] = '\0';
  v->kind = VIRAL_VALUE_TEXT;
  v->text = bytes;
  v->len = len;
  return VIRAL_OK;
}

int viral_record_builder_set_number(viral_record_builder *b, const char *name, double x, viral_error *err) {
  if (!isfinite(x))
    return viral_error_set(err, VIRAL_ERR_INVALID, b->source, b->record.line, "field '%s': %g is not a number a record can hold", name, x);
  char *bytes, digits[32];
  size_t len = strlen(viral_format_double(digits, x));
  viral_value *v = field(b, name, len, &bytes);
  if (!v) return nomem(err);
  memcpy(bytes, digits, len + 1);
  v->kind = VIRAL_VALUE_NUMBER;
  v->text = bytes;
  v->len = len;
  v->number = x;
  return VIRAL_OK;
}

int viral_record_builder_set_bool(viral_record_builder *b, const char *name, int value, viral_error *err) {
  char *bytes;
  viral_value *v = field(b, name, 0, &bytes);
  if (!v) return nomem(err);
  v->kind = VIRAL_VALUE_BOOL;
  v->number = value != 0;
  v->text = value ? "true" : "false";
  v->len = strlen(v->text);
  return VIRAL_OK;
}

int viral_record_builder_set_list(viral_record_builder *b, const char *name, const char *const *items,
                                  size_t count, viral_error *err) {
  size_t len = 0;
  for (size_t i = 0; i < count; i++) {
    if (strchr(items[i], '\x1f'))
      return viral_error_set(err, VIRAL_ERR_INVALID, b->source, b->record.line,
                             "field '%s': a list item holds the byte 0x1f that separates items", name);
    len += strlen(items[i]) + (i > 0);
  }
  char *bytes;
  viral_value *v = field(b, name, len, &bytes);
  if (!v) return nomem(err);
  char *p = bytes;
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(items[i]);
    if (i) *p++ = '\x1f';
    memcpy(p, items[i], n);
    p += n;
  }
  *p = '\0';
  v->kind = VIRAL_VALUE_LIST;
  v->text = bytes;
  v->len = len;
  v->count = count;
  return VIRAL_OK;
}

int viral_record_builder_set_missing(viral_record_builder *b, const char *name, viral_error *err) {
  char *bytes;
  return field(b, name, 0, &bytes) ? VIRAL_OK : nomem(err);
}
