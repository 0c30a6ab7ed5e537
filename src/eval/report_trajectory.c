/* report_trajectory.c - the trajectories page (viral/report.h): a few
 * videos' probability against their age, from `viral score --log`. One
 * self-contained section of its own, apart from the evaluation pages. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "viral/report.h"

/* chart: [CW x CH] pixels, the plot inside a margin of CM */
#define CW 640.0
#define CH 360.0
#define CM 48.0

static const char *const palette[] = {"#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad",
                                      "#d35400", "#16a085", "#7f8c8d", "#b7950b"};
#define PALETTE (sizeof palette / sizeof *palette)

/* One video's points: points[first .. first + count) of the sorted copy. */
typedef struct video_run {
  size_t first, count;
  double peak;
  const char *id;
} video_run;

static int by_id_then_age(const void *a, const void *b) {
  const viral_trajectory_point *x = a, *y = b;
  int c = strcmp(x->video_id, y->video_id);
  return c ? c : (x->age_h > y->age_h) - (x->age_h < y->age_h);
}

static int by_peak(const void *a, const void *b) {
  const video_run *x = a, *y = b;
  if (x->peak != y->peak) return x->peak < y->peak ? 1 : -1;
  return strcmp(x->id, y->id);
}

/* Text for element content and attribute values alike. */
static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*s, f);
    }
  }
}

/* The age axis' end: the first of a few round hours at or past max_age. */
static double axis_end(double max_age) {
  static const double ends[] = {1, 2, 3, 6, 12, 24, 48, 72, 96, 168, 336, 720};
  for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
    if (max_age <= ends[i]) return ends[i];
  return ceil(max_age / 720) * 720;
}

static double px(double age, double end) { return CM + age / end * (CW - 2 * CM); }
static double py(double p) { return CH - CM - p * (CH - 2 * CM); }

static void axes(FILE *f, double end) {
  fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n", CM, CM,
          CW - 2 * CM, CH - 2 * CM);
  for (int i = 0; i <= 6; i++) {
    double age = end * i / 6;
    fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">%gh</text>\n", px(age, end),
            CH - CM + 14, age);
  }
  for (int i = 0; i <= 4; i++)
    fprintf(f, "<text x=\"%g\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.2f</text>\n", CM - 4,
            py(i / 4.0) + 3, i / 4.0);
  fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\">age (hours since posted)</text>\n",
          CW / 2, CH - 10);
  fprintf(f, "<text x=\"12\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 %g)\">"
             "probability of going viral</text>\n", CH / 2, CH / 2);
}

/* One video's line and points, in its color. */
static void video_line(FILE *f, const viral_trajectory_point *p, const video_run *v, double end, const char *color) {
  fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
  for (size_t i = v->first; i < v->first + v->count; i++)
    fprintf(f, "%.1f,%.1f%s", px(p[i].age_h, end), py(p[i].probability), i + 1 < v->first + v->count ? " " : "");
  fputs("\"/>\n", f);
  for (size_t i = v->first; i < v->first + v->count; i++)
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", px(p[i].age_h, end),
            py(p[i].probability), color);
}

/* The table under the chart: each video's first, last and highest score. */
static void table(FILE *f, const viral_trajectory_point *p, const video_run *v, size_t shown) {
  fputs("<table><tr><th>video</th><th>scores</th><th>first (age: probability)</th>"
        "<th>last</th><th>highest</th></tr>\n", f);
  for (size_t k = 0; k < shown; k++) {
    const viral_trajectory_point *a = &p[v[k].first], *z = &p[v[k].first + v[k].count - 1];
    fprintf(f, "<tr><td style=\"color:%s;text-align:left\">&#9632; ", palette[k % PALETTE]);
    put_escaped(f, a->video_id);
    fprintf(f, "</td><td>%zu</td><td>%.4gh: %.4f</td><td>%.4gh: %.4f</td><td>%.4f</td></tr>\n", v[k].count,
            a->age_h, a->probability, z->age_h, z->probability, v[k].peak);
  }
  fputs("</table>\n", f);
}

/* Group the sorted points by video: *runs (free it), *count. */
static int group(const viral_trajectory_point *p, size_t n, video_run **runs, size_t *count) {
  *count = 0;
  if (!(*runs = malloc((n ? n : 1) * sizeof **runs))) return VIRAL_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || strcmp(p[i].video_id, p[i - 1].video_id) != 0)
      (*runs)[(*count)++] = (video_run){i, 0, -INFINITY, p[i].video_id};
    video_run *v = &(*runs)[*count - 1];
    v->count++;
    if (p[i].probability > v->peak) v->peak = p[i].probability;
  }
  return VIRAL_OK;
}

static void page(FILE *f, const viral_trajectory_point *p, const video_run *v, size_t videos, size_t shown,
                 const char *description) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>viral: probability as videos grow</title>\n<style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style>"
        "</head><body>\n<h1>Probability as videos grow</h1>\n", f);
  if (description) {
    fputs("<p>", f);
    put_escaped(f, description);
    fputs("</p>\n", f);
  }
  fprintf(f, "<p>%zu of %zu videos: those of highest probability at any age. At an age A past the model's "
             "window W the model reads its counters moved by A - W (datasets/STREAM.md).</p>\n", shown, videos);
  double max_age = 0;
  for (size_t k = 0; k < shown; k++) {
    double last = p[v[k].first + v[k].count - 1].age_h;
    if (last > max_age) max_age = last;
  }
  double end = axis_end(max_age);
  fprintf(f, "<figure><svg width=\"%g\" height=\"%g\" role=\"img\" aria-label=\"probability by age\">\n", CW, CH);
  axes(f, end);
  for (size_t k = 0; k < shown; k++) video_line(f, p, &v[k], end, palette[k % PALETTE]);
  fputs("</svg></figure>\n", f);
  table(f, p, v, shown);
  fputs("</body></html>\n", f);
}

int viral_report_write_trajectories_html(const viral_trajectory_point *points, size_t n, size_t max_videos,
                                         const char *description, FILE *out, viral_error *err) {
  viral_trajectory_point *p = malloc((n ? n : 1) * sizeof *p);
  video_run *runs = NULL;
  size_t videos = 0;
  if (p && n) memcpy(p, points, n * sizeof *p);
  if (p) qsort(p, n, sizeof *p, by_id_then_age);
  if (!p || group(p, n, &runs, &videos) != VIRAL_OK) {
    free(p);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  qsort(runs, videos, sizeof *runs, by_peak);
  page(out, p, runs, videos, videos < max_videos ? videos : max_videos, description);
  free(runs);
  free(p);
  return ferror(out) ? viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write the report") : VIRAL_OK;
}
