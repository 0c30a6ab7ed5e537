/* assemble_internal.h - what assemble.c shares with assemble_fields.c. */
#ifndef VIRAL_DATA_ASSEMBLE_INTERNAL_H
#define VIRAL_DATA_ASSEMBLE_INTERNAL_H

#include "viral/assemble.h"

/* Read field index field of rec (-1: the schema lacks it) by rule: a number
 * into *number, or, for VIRAL_PARSE_TEXT, a new string into *text (caller
 * frees; text may only be NULL for non-text rules). The one place parse
 * rules are applied, so a feature spec's rules can take over here. Returns
 * VIRAL_OK, VIRAL_MISSING (outputs untouched) or a negative status with err
 * naming the row and field. */
int viral_assemble_read_field(const viral_record *rec, long field, viral_parse_rule rule,
                              int utc_offset_minutes, double *number, const char **text,
                              viral_error *err);

/* "YYYY-MM-DDTHH:MM:SSZ" for whole seconds, else the exact number. */
char *viral_assemble_format_time(char buf[32], double t);

/* Linear interpolation at t of the points (times[i], values[i]), times
 * ascending, NAN values skipped: the nearest point at or before t and the
 * nearest at or after t. Returns the value, or NAN when t is not covered
 * (no point on one side): never extrapolates. */
double interpolate_at(const double *times, const double *values, size_t n, double t);

/* Cell i of row as the value a JSON reader gives for it in the row's JSON
 * line (viral_assembler_write_row writes the one from the other): a text
 * ("" is missing), posted_at and the event times as ISO-8601 text (a
 * number when not whole seconds in range), other numbers with their exact
 * digits (in buf), NaN missing. The text borrows from row or buf. */
void viral_assembler_cell_value(const viral_assembler *a, const viral_assembled_value *row, size_t i,
                                char buf[32], viral_value *out);

#endif
