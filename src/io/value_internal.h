/* value_internal.h - helpers value.c shares with the rest of src/io. */
#ifndef VIRAL_IO_VALUE_INTERNAL_H
#define VIRAL_IO_VALUE_INTERNAL_H

#include <stddef.h>

/* Narrow (*s, *len) past leading and trailing blanks (space, tab, CR, LF, VT, FF). */
void viral_trim(const char **s, size_t *len);
/* 1 when s holds nothing but blanks (or is empty). */
int viral_is_blank_text(const char *s, size_t len);
/* The common cell, [-]digits[.digits] (the minus only when allow_minus)
 * with nothing around it: 1 with *out set to the double every parser of
 * viral/record.h gives for it, 0 when their general path must decide. */
int viral_parse_plain_(const char *s, size_t len, int allow_minus, double *out);
/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); m in 1..12. */
long viral_days_from_civil(long y, int m, int d);

#endif
