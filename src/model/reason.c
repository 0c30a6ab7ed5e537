/* reason.c - a reason behind a score, for people and for programs
 * (viral/model.h): the one place its words and its JSON are made, for
 * `viral score`, `viral stream` and `viral serve` alike. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "viral/model.h"
#include "viral/writer.h"

/* A value rounded for people: whole numbers whole, others to 3 significant
 * digits (2 below 1: 0.031). */
static void format_value(char *buf, size_t size, double v) {
  double a = fabs(v);
  if (v == 0) snprintf(buf, size, "0");
  else if ((v == floor(v) && a < 1e15) || a >= 1000) snprintf(buf, size, "%.0f", v);
  else if (a >= 1) snprintf(buf, size, "%.3g", v);
  else snprintf(buf, size, "%.2g", v);
}

/* A share (0..1) as a percentage: "12%", "0.3%". */
static void format_share(char *buf, size_t size, double share) {
  double pct = share * 100;
  if (pct > 0 && pct < 1) snprintf(buf, size, "%.1g%%", pct);
  else snprintf(buf, size, "%.0f%%", pct);
}

/* " = VALUE" as the input's kind reads it ("" when it has none). */
static void format_input_value(char *buf, size_t size, const viral_feature_input *in) {
  static const char *const days[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                     "Saturday", "Sunday"};
  char num[64];
  buf[0] = '\0';
  if (isnan(in->value)) return;
  switch (in->kind) {
  case VIRAL_INPUT_YESNO: snprintf(buf, size, " = %s", in->value != 0 ? "yes" : "no"); return;
  case VIRAL_INPUT_HOUR: {
    int minutes = (int)floor(in->value * 60 + 0.5) % (24 * 60);
    snprintf(buf, size, " = %02d:%02d UTC", minutes / 60, minutes % 60);
    return;
  }
  case VIRAL_INPUT_WEEKDAY:
    if (in->value >= 0 && in->value < 7) snprintf(buf, size, " = %s", days[(int)in->value]);
    return;
  case VIRAL_INPUT_NUMBER:
    format_value(num, sizeof num, in->value);
    snprintf(buf, size, " = %s", num);
    return;
  default: return;
  }
}

/* " (top 4% of training)", " (12% of training)" or "" without a profile. */
static void format_standing(char *buf, size_t size, const viral_feature_input *in) {
  char pct[32];
  buf[0] = '\0';
  if (in->kind == VIRAL_INPUT_NUMBER && !isnan(in->percentile)) {
    int top = in->percentile >= 0.5;
    double x = floor((top ? 1 - in->percentile : in->percentile) * 100 + 0.5);
    snprintf(buf, size, " (%s %.0f%% of training)", top ? "top" : "bottom", x < 1 ? 1 : x);
    return;
  }
  if (isnan(in->share)) return;
  double share = in->share;
  /* a "no" stands among the rows where it was no */
  if (in->kind == VIRAL_INPUT_YESNO && in->value == 0) share = 1 - share;
  format_share(pct, sizeof pct, share);
  snprintf(buf, size, " (%s of training)", pct);
}

int viral_reason_text(const viral_reason *r, char *buf, size_t size) {
  const viral_feature_input *in = &r->input;
  char value[80], standing[64];
  format_input_value(value, sizeof value, in);
  format_standing(standing, sizeof standing, in);
  const char *label = in->label[0] ? in->label : r->name;
  const char *state = in->kind == VIRAL_INPUT_MISSING ? " missing" : in->kind == VIRAL_INPUT_PRESENT ? " present" : "";
  return snprintf(buf, size, "%s%s%s%s -> %+.3g", label, state, value, standing, r->contribution);
}

/* A number, or null when it is NAN. */
static void json_number(FILE *out, double x, double scale) {
  char num[32];
  if (isnan(x)) fputs("null", out);
  else fputs(viral_format_double(num, x * scale), out);
}

void viral_reasons_write_json(FILE *out, const viral_reason *reasons, size_t n) {
  char num[32], text[VIRAL_REASON_TEXT_MAX];
  fputc('[', out);
  for (size_t i = 0; i < n; i++) {
    const viral_reason *r = &reasons[i];
    fputs(i ? ",{\"feature\":" : "{\"feature\":", out);
    viral_json_write_string(out, r->name, strlen(r->name));
    fprintf(out, ",\"value\":%s,", viral_format_double(num, r->value));
    fprintf(out, "\"contribution\":%s,\"input\":", viral_format_double(num, r->contribution));
    viral_json_write_string(out, r->input.label, strlen(r->input.label));
    fputs(",\"input_value\":", out);
    json_number(out, r->input.value, 1);
    fputs(",\"percentile\":", out);
    json_number(out, r->input.percentile, 100);
    fputs(",\"share\":", out);
    json_number(out, r->input.share, 100);
    viral_reason_text(r, text, sizeof text);
    fputs(",\"text\":", out);
    viral_json_write_string(out, text, strlen(text));
    fputc('}', out);
  }
  fputc(']', out);
}
