/* report_internal.h - the text tables the fold report (report.c) and the
 * progressive report (report_progressive.c) share (internal). */
#ifndef VIRAL_EVAL_REPORT_INTERNAL_H
#define VIRAL_EVAL_REPORT_INTERNAL_H

#include <stdio.h>

#include "viral/report.h"

/* The predictors' column heads of a table, for those in have. */
void report_text_heads(FILE *out, const int have[VIRAL_REPORT_PREDICTORS]);
/* One table cell: the number to 4 decimals, or "undefined" for NAN. */
void report_text_cell(FILE *out, double x);
/* s with HTML's special characters escaped. */
void report_html_escape(FILE *f, const char *s);
/* The importance bar chart of the HTML report (report_importance.c); nothing
 * when r has no importance. */
void report_importance_chart(FILE *f, const viral_report *r);

#endif
