/* record_internal.h - the record and its schema, as the readers fill them.
 * Only src/io includes this; everyone else sees viral/record.h. */
#ifndef VIRAL_IO_RECORD_INTERNAL_H
#define VIRAL_IO_RECORD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "viral/record.h"

/* Field names with a hash index (open addressing, FNV-1a). */
typedef struct record_schema {
  char **names;    /* [count], owned */
  size_t *lengths; /* [count] */
  size_t count, capacity;
  uint32_t *slots; /* [nslots]: field index + 1, 0 for an empty slot */
  size_t nslots;   /* a power of two, at least twice count */
  uint64_t id;     /* process-unique, renewed whenever a name is added */
} record_schema;

void record_schema_init(record_schema *schema);
void record_schema_release(record_schema *schema);
/* Index of name[0..len), or -1. */
long record_schema_find(const record_schema *schema, const char *name, size_t len);
/* Index of name[0..len), adding it when new (*added set to 1). Returns -1
 * when out of memory. */
long record_schema_add(record_schema *schema, const char *name, size_t len, int *added);

struct viral_record {
  const record_schema *schema;
  viral_value *values; /* [capacity]; entries >= schema->count are missing */
  size_t capacity;
  const char *source; /* file name for messages */
  long line;          /* first physical line, or 0 when not known */
};

/* An empty record over schema. */
void record_init(viral_record *rec, const record_schema *schema, const char *source);
void record_release(viral_record *rec);
/* Make room for every field of the schema; new slots are missing. Returns
 * VIRAL_OK or VIRAL_ERR_NOMEM. */
int record_reserve(viral_record *rec);
/* Mark every value missing. */
void record_clear(viral_record *rec);

/* A record made of n values under names rather than read: what a reader
 * gives for a JSON object of them (a number keeps the digits of its text),
 * said to come from source, line 1. Names, texts and source are copied;
 * the record has a schema of its own. NULL when out of memory; free with
 * viral_record_free_made_(). */
viral_record *viral_record_make_(const char *source, const char *const *names,
                                 const viral_value *values, size_t n);
/* NULL-safe. */
void viral_record_free_made_(viral_record *rec);

#endif
