/* number_format.h - fast exact formatting of doubles (internal): the
 * shortest of 15, 16 or 17 significant digits that reads back to the same
 * double, found without three snprintf/strtod rounds in the common case.
 * viral_format_double() (viral/writer.h) is built on it; `viral convert`
 * calls it directly to skip a copy. */
#ifndef VIRAL_NUMBER_FORMAT_H
#define VIRAL_NUMBER_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* The reference: try %.15g, %.16g, %.17g with snprintf and keep the first
 * that strtod reads back exactly ("nan", "inf", "-inf" for the rest). */
char *format_double_slow(char buf[32], double x);

/* Format x into buf (32 bytes) so that strtod gives x back; returns a
 * pointer into buf (not always its start). Whole numbers below 1e15 print as
 * integers; values the fast path cannot prove exact go to
 * format_double_slow(). */
const char *format_value(char buf[32], double x);

/* The same text, always at buf's start; returns its length, so a writer
 * appending numbers needs no strlen. */
size_t format_value_into(char buf[32], double x);

/* printf's "%.17g" of x, the same text, at buf's start; returns its
 * length. By integer arithmetic from about 1e-11 to 1e17 in magnitude (a
 * model's optimizer state), snprintf elsewhere. */
size_t format_g17_into(char buf[32], double x);

/* The decimal digits of n at buf's start (NUL-terminated); returns their
 * count. */
size_t format_index(char buf[32], uint64_t n);

#endif
