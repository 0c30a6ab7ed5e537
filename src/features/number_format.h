/* number_format.h - fast exact formatting of the values `viral convert`
 * writes (internal). The result is what viral_format_double() gives, the
 * shortest of 15, 16 or 17 significant digits that reads back to the same
 * double, found without its three snprintf/strtod rounds in the common case. */
#ifndef VIRAL_NUMBER_FORMAT_H
#define VIRAL_NUMBER_FORMAT_H

/* Format x into buf (32 bytes) so that strtod gives x back; returns a
 * pointer into buf (not always its start). Whole numbers below 1e15 print as
 * integers; values the fast path cannot prove exact go to
 * viral_format_double(). */
const char *viral_format_value_(char buf[32], double x);

#endif
