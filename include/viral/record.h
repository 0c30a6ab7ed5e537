/* viral/record.h - one video record, whatever file format it came from, and
 * the value parsers that real scraped data needs.
 *
 * A record is a row of named fields. CSV cells arrive as text and are parsed
 * on demand by the typed getters; JSON values keep their JSON type. Field
 * names are the reader's schema: indices are stable for the life of a reader
 * (a JSON reader may append new names; viral_record_schema_id() changes when
 * it does, so callers can cache indices). */
#ifndef VIRAL_RECORD_H
#define VIRAL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returned by the typed getters when a field is absent or empty: not an
 * error, the caller applies its missing-value policy. */
#define VIRAL_MISSING 1

typedef enum viral_value_kind {
  VIRAL_VALUE_MISSING = 0, /* field absent, empty CSV cell, JSON null */
  VIRAL_VALUE_TEXT,        /* every CSV cell; JSON strings; other JSON as text */
  VIRAL_VALUE_NUMBER,      /* JSON number: text as written, number its double */
  VIRAL_VALUE_BOOL,        /* JSON true/false (number is 0 or 1) */
  VIRAL_VALUE_LIST         /* JSON array of strings, or of objects with "name" */
} viral_value_kind;

/* A borrowed view of a field's value, valid until the reader moves on. */
typedef struct viral_value {
  viral_value_kind kind;
  const char *text; /* TEXT: NUL-terminated bytes; LIST: items joined by '\x1f' */
  size_t len;       /* bytes in text */
  double number;    /* NUMBER and BOOL */
  size_t count;     /* LIST: number of items */
} viral_value;

/* A borrowed slice of a string (not NUL-terminated). */
typedef struct viral_strview {
  const char *ptr;
  size_t len;
} viral_strview;

typedef struct viral_record viral_record;

/* ---- fields ---- */

/* Number of fields in the schema this record belongs to. */
size_t viral_record_field_count(const viral_record *rec);
/* Name of field i (i < field_count). */
const char *viral_record_field_name(const viral_record *rec, size_t i);
/* Index of the field called name, or -1 when the schema has no such field. */
long viral_record_find(const viral_record *rec, const char *name);
/* Value of field i; a missing value for an index this record lacks. */
const viral_value *viral_record_value(const viral_record *rec, size_t i);
/* Changes whenever the schema gains a field: cache indices per schema id. */
uint64_t viral_record_schema_id(const viral_record *rec);
/* Where the record came from, for error messages: file name (or "-"/"stdin")
 * and the line of its first physical line. */
const char *viral_record_source(const viral_record *rec);
long viral_record_line(const viral_record *rec);

/* ---- typed getters ----
 * Each returns VIRAL_OK and fills *out, VIRAL_MISSING when the value is
 * absent, or a negative status with err set to
 * "FILE:LINE: field 'NAME': bad number 'VALUE'" (and the like). */
int viral_record_number(const viral_record *rec, size_t field, double *out, viral_error *err);
/* A count: plain number or with K/M/B suffix ("1.4M", "63.6K videos"). */
int viral_record_count(const viral_record *rec, size_t field, double *out, viral_error *err);
/* A duration in seconds: "ss", "mm:ss", "hh:mm:ss" or a JSON number. */
int viral_record_duration(const viral_record *rec, size_t field, double *out, viral_error *err);
int viral_record_bool(const viral_record *rec, size_t field, int *out, viral_error *err);
/* Unix seconds (UTC). Naive times are taken at utc_offset_minutes. */
int viral_record_timestamp(const viral_record *rec, size_t field, int utc_offset_minutes,
                           double *out, viral_error *err);
/* Text of a field; a JSON number's text is the digits it was written with
 * (a 19-digit id stays exact). */
int viral_record_text(const viral_record *rec, size_t field, viral_strview *out, viral_error *err);
/* Items of a list field: JSON arrays as they are, text split on separators
 * (NULL: ",| "), trimmed, a leading '#' stripped, empty items dropped. Fills
 * at most max items and returns VIRAL_OK with *count set to the number of
 * items found (which may exceed max). */
int viral_record_list(const viral_record *rec, size_t field, const char *separators,
                      viral_strview *items, size_t max, size_t *count, viral_error *err);

/* ---- value parsers ----
 * Pure functions on a byte slice; VIRAL_OK or VIRAL_ERR_PARSE. Leading and
 * trailing blanks are allowed; anything else left over is an error. */
int viral_parse_number(const char *s, size_t len, double *out);
int viral_parse_count(const char *s, size_t len, double *out);
int viral_parse_duration(const char *s, size_t len, double *out);
int viral_parse_bool(const char *s, size_t len, int *out);
/* Unix seconds; ISO-8601 with Z or +hh:mm, "YYYY-MM-DD HH:MM:SS",
 * "YYYY-MM-DDTHH", or plain unix seconds. Impossible dates and times
 * (February 30, hour 24) are VIRAL_ERR_PARSE; a time outside
 * [VIRAL_TIME_MIN, VIRAL_TIME_MAX) is VIRAL_ERR_LIMIT (a unix number that
 * large is milliseconds or microseconds, not seconds). */
int viral_parse_timestamp(const char *s, size_t len, int utc_offset_minutes, double *out);

/* The times a timestamp may be: from 1000-01-01 to before 3000-01-01 UTC
 * (unix seconds). Epoch milliseconds of any date after 1971-01-14 lie above
 * the upper end, so they are refused instead of read as seconds. */
#define VIRAL_TIME_MIN (-30610224000.0)
#define VIRAL_TIME_MAX 32503680000.0

/* The one calendar every time parser uses: unix seconds of the civil time
 * year-month-day hour:minute:second at utc_offset_minutes east of UTC
 * (proleptic Gregorian, no time zone database). VIRAL_ERR_PARSE for an
 * impossible date or time (month 13, April 31, February 29 of a common
 * year, hour 24, second 60), VIRAL_ERR_LIMIT outside the range above. */
int viral_civil_time(long year, int month, int day, int hour, int minute, double second,
                     int utc_offset_minutes, double *out);

/* "YYYY-MM-DDTHH:MM:SSZ" of unix seconds t (fractions of a second dropped)
 * into buf; t outside the range above, or not finite, as a number. Returns
 * buf. */
char *viral_format_timestamp(char buf[32], double t);

/* A duration: a non-negative decimal number and an optional unit letter, s
 * m h or d ("90m", "36h", "7d"), a bare number being in unit bare; the
 * result in unit out (a letter of the same set). The one duration syntax of
 * specs ("window") and command lines (--gap, --at, --horizon). VIRAL_OK or
 * VIRAL_ERR_PARSE (signs, blanks, other units, inf, nan). */
int viral_parse_interval(const char *s, size_t len, char bare, char out_unit, double *out);

/* How far before posting a sighting may be and still count: observation
 * times coarser than posting times (Reddit's hourly "YYYY-MM-DDTHH" buckets)
 * put a post made at 00:00:18 in the 00:00 snapshot. Earlier is an error. */
#define VIRAL_AGE_SLACK_H 1.0

/* Hours from posted_at to observed_at (unix seconds), the age of the
 * sighting in rec (slightly negative within VIRAL_AGE_SLACK_H); a sighting
 * more than that before its video was posted is an error naming rec's file
 * and line ("log.csv:7: observed_at 2026-03-01T10:00:00Z is before
 * posted_at 2026-03-01T12:36:00Z (age -2.6h)"). */
int viral_record_age_hours(const viral_record *rec, double posted_at, double observed_at,
                           double *hours, viral_error *err);
/* Split s into items as viral_record_list does; returns the item count. */
size_t viral_parse_list(const char *s, size_t len, const char *separators,
                        viral_strview *items, size_t max);

/* ---- building a record from values ----
 *
 * A record made in C, for a service that has its values at hand (no text to
 * write and read back): set fields by name, then hand
 * viral_record_builder_record() to a pipeline like any reader's record. The
 * values are those a JSON reader gives for the same members:
 *   text    a JSON string ("" is missing, as in CSV and JSON)
 *   number  a JSON number written as viral_format_double writes it (the
 *           shortest text that reads back to x; what viral_record_text
 *           returns for it); not finite: VIRAL_ERR_INVALID
 *   bool    true or false
 *   list    an array of strings (no item may hold the byte 0x1f, which
 *           separates items)
 *   missing null
 * so a record built from the values of a CSV row or a JSON line gives the
 * same vector as the row read from the file. Field names are kept from
 * record to record (a pipeline's bindings stay valid); a field set again
 * replaces its value. */
typedef struct viral_record_builder viral_record_builder;

/* A builder whose records are named source in messages (copied; NULL:
 * "record"). NULL when out of memory. */
viral_record_builder *viral_record_builder_create(const char *source);
/* NULL-safe. */
void viral_record_builder_free(viral_record_builder *b);
/* Start the next record: every field missing; line is the record's line in
 * messages (0: none). */
void viral_record_builder_clear(viral_record_builder *b, long line);
/* Set field name. VIRAL_OK, VIRAL_ERR_NOMEM, or VIRAL_ERR_INVALID (above),
 * with err set. */
int viral_record_builder_set_text(viral_record_builder *b, const char *name, const char *text, size_t len,
                                  viral_error *err);
int viral_record_builder_set_number(viral_record_builder *b, const char *name, double x, viral_error *err);
int viral_record_builder_set_bool(viral_record_builder *b, const char *name, int value, viral_error *err);
int viral_record_builder_set_list(viral_record_builder *b, const char *name, const char *const *items,
                                  size_t count, viral_error *err);
int viral_record_builder_set_missing(viral_record_builder *b, const char *name, viral_error *err);
/* The record built so far, owned by b: valid, and unchanged, until the next
 * call that changes b. */
const viral_record *viral_record_builder_record(const viral_record_builder *b);

#ifdef __cplusplus
}
#endif
#endif
