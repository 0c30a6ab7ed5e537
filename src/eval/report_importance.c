/* report_importance.c - the HTML report's chart of the model's most
 * important features (viral_report.importance): one horizontal bar per
 * feature from a zero line, positive to the right, negative to the left,
 * self-contained SVG like the report's other charts. */
#include <math.h>
#include <stdio.h>

#include "eval/report_internal.h"

#define BAR_W 760.0   /* the whole chart */
#define BAR_LABEL 300.0 /* room for the feature's words */
#define BAR_ROW 20.0
#define BAR_TOP 44.0

void report_importance_chart(FILE *f, const viral_report *r) {
  if (!r->importance_count) return;
  double most = 0;
  for (size_t i = 0; i < r->importance_count; i++)
    if (fabs(r->importance[i].value) > most) most = fabs(r->importance[i].value);
  if (!(most > 0)) return;
  int signs = 0; /* bars both ways need the zero line in the middle */
  for (size_t i = 0; i < r->importance_count; i++) signs |= r->importance[i].value < 0;
  double span = BAR_W - BAR_LABEL - 70, zero = BAR_LABEL + 10 + (signs ? span / 2 : 0);
  double scale = (signs ? span / 2 : span) / most;
  double h = BAR_TOP + BAR_ROW * (double)r->importance_count + 30;
  fprintf(f, "<figure><svg width=\"%g\" height=\"%g\" role=\"img\" aria-label=\"feature importance\">\n",
          BAR_W, h);
  fprintf(f, "<text x=\"%g\" y=\"18\" font-size=\"13\" text-anchor=\"middle\">feature importance "
             "(mean over the folds' models)</text>\n", BAR_W / 2);
  fprintf(f, "<text x=\"%g\" y=\"34\" font-size=\"11\" text-anchor=\"middle\">", BAR_W / 2);
  report_html_escape(f, r->importance_measure ? r->importance_measure : "");
  fprintf(f, "</text>\n");
  for (size_t i = 0; i < r->importance_count; i++) {
    const viral_report_feature *e = &r->importance[i];
    double y = BAR_TOP + BAR_ROW * (double)i, w = fabs(e->value) * scale;
    double x = e->value < 0 ? zero - w : zero;
    fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"end\">", BAR_LABEL, y + 13);
    report_html_escape(f, e->label);
    fprintf(f, "</text>\n<rect x=\"%.1f\" y=\"%g\" width=\"%.1f\" height=\"%g\" fill=\"%s\"/>\n", x, y + 3, w,
            BAR_ROW - 6, e->value < 0 ? "#d62728" : "#1f77b4");
    fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"%s\">%+.3g</text>\n",
            e->value < 0 ? x - 3 : x + w + 3, y + 13, e->value < 0 ? "end" : "start", e->value);
  }
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#444\"/>\n", zero, BAR_TOP, zero,
          BAR_TOP + BAR_ROW * (double)r->importance_count);
  fprintf(f, "</svg><figcaption>feature importance</figcaption></figure>\n");
}
