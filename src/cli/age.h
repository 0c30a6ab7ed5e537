/* age.h - the one parser of ages and durations on the command line
 * (assemble --at/--horizon/--grace, stream --window/--horizon/--at,
 * eval --horizon and --gap, stream --checkpoint-every). */
#ifndef VIRAL_CLI_AGE_H
#define VIRAL_CLI_AGE_H

#include <stddef.h>

/* "90m", "6h", "2d", "30s" or "6" (a bare number: hours), the first len
 * bytes of s, into hours; -1 when malformed or negative. */
double cli_parse_hours(const char *s, size_t len);

/* The same syntax in seconds, where a bare number is seconds ("7d", "36h",
 * "90"): eval --gap. -1 when malformed or negative. */
double cli_parse_seconds(const char *s);

/* A comma-separated list of strictly increasing ages ("1h,2h,3h,6h") into a
 * new array (caller frees) of *count hours. 0, or -1 when malformed. */
int cli_parse_hours_list(const char *text, double **ages, size_t *count);

/* 1 when s ends in a unit letter (s, m, h, d): a duration, not a count. */
int cli_has_time_unit(const char *s);

#endif
