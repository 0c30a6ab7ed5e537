/* gen_write.c - CSV and JSONL output of generated videos (viral/gen.h).
 *
 * Hand-rolled number printing: a million videos make tens of millions of
 * numbers, and printf dominates otherwise. Counts are integers; watch ratios
 * and durations are already rounded to 4 and 1 decimals by the generator, so
 * printing those decimals reads back to the very same double. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "io/text.h"
#include "io/value_internal.h"
#include "viral/gen.h"
#include "viral/writer.h"

static void put_u64(FILE *out, uint64_t x) {
  char buf[24];
  size_t i = sizeof buf;
  do {
    buf[--i] = (char)('0' + x % 10);
    x /= 10;
  } while (x);
  fwrite(buf + i, 1, sizeof buf - i, out);
}

/* x >= 0 printed with at most `decimals` decimals, trailing zeros dropped. */
static void put_fixed(FILE *out, double x, int decimals) {
  double scale = 1;
  for (int i = 0; i < decimals; i++) scale *= 10;
  uint64_t units = (uint64_t)llround(x * scale), whole = units / (uint64_t)scale;
  uint64_t frac = units % (uint64_t)scale;
  put_u64(out, whole);
  if (frac == 0) return;
  char buf[16];
  int n = decimals;
  while (frac % 10 == 0) frac /= 10, n--;
  for (int i = n - 1; i >= 0; i--) buf[i] = (char)('0' + frac % 10), frac /= 10;
  putc('.', out);
  fwrite(buf, 1, (size_t)n, out);
}

static void put_iso(FILE *out, int64_t t) {
  int64_t days = (t >= 0 ? t : t - 86399) / 86400, sec = t - days * 86400;
  long year;
  int m, d;
  civil_from_days((long)days, &year, &m, &d); /* the calendar of io/value.c */
  int y = (int)year;
  if (y < 0 || y > 9999) { /* outside what the fixed layout below holds */
    fprintf(out, "%d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600),
            (int)(sec / 60 % 60), (int)(sec % 60));
    return;
  }
  char b[20];
  const int parts[6] = {y / 100, y % 100, m, d, (int)(sec / 3600), (int)(sec / 60 % 60)};
  for (int i = 0; i < 6; i++) b[2 * i] = (char)('0' + parts[i] / 10), b[2 * i + 1] = (char)('0' + parts[i] % 10);
  char iso[21] = {b[0], b[1], b[2], b[3], '-', b[4], b[5], '-', b[6], b[7], 'T', b[8], b[9], ':',
                  b[10], b[11], ':', (char)('0' + sec % 60 / 10), (char)('0' + sec % 10), 'Z', 0};
  fwrite(iso, 1, 20, out);
}

static void put_cell(FILE *out, const char *s) { viral_csv_write_cell(out, s, strlen(s)); }

/* ---- CSV ---- */

static const char *const counter_names[] = {"views", "likes", "shares", "comments", "saves",
                                            "watch_ratio"};

static void csv_counters(FILE *out, const viral_gen_counters *c) {
  put_u64(out, c->views), putc(',', out);
  put_u64(out, c->likes), putc(',', out);
  put_u64(out, c->shares), putc(',', out);
  put_u64(out, c->comments), putc(',', out);
  put_u64(out, c->saves), putc(',', out);
  put_fixed(out, c->watch_ratio, 4);
}

static void csv_hashtags(FILE *out, const viral_gen_video *v) {
  char joined[VIRAL_GEN_MAX_HASHTAGS * VIRAL_GEN_TAG_MAX];
  size_t len = 0;
  for (size_t i = 0; i < v->hashtag_count; i++) {
    size_t n = strlen(v->hashtags[i]);
    if (i) joined[len++] = '|';
    memcpy(joined + len, v->hashtags[i], n);
    len += n;
  }
  viral_csv_write_cell(out, joined, len);
}

/* author_id .. caption: the attributes, in the order of the header. */
static void csv_attributes(FILE *out, const viral_gen_video *v) {
  put_cell(out, v->author_id), putc(',', out);
  put_u64(out, v->author_followers), putc(',', out);
  putc(v->author_verified ? '1' : '0', out), putc(',', out);
  put_fixed(out, v->duration_s, 1), putc(',', out);
  put_cell(out, v->music_id), putc(',', out);
  putc(v->music_original ? '1' : '0', out), putc(',', out);
  csv_hashtags(out, v), putc(',', out);
  put_cell(out, v->caption);
}

static const char attribute_header[] =
    "author_id,author_followers,author_verified,duration_s,music_id,music_original,hashtags,caption";

void viral_gen_write_header(FILE *out, const viral_gen_params *p, viral_gen_format format) {
  if (format != VIRAL_GEN_CSV) return;
  if (p->log) {
    fprintf(out, "video_id,observed_at,posted_at,views,likes,shares,comments,saves,watch_ratio,%s,"
                 "hidden_bought\n", attribute_header);
    return;
  }
  fprintf(out, "video_id,posted_at,%s", attribute_header);
  for (size_t i = 0; i < p->hour_count; i++)
    for (size_t k = 0; k < 6; k++) fprintf(out, ",%s_%dh", counter_names[k], p->hours[i]);
  fputs(",views_final,viral,hidden_bought", out);
  if (p->oracle > 0) fputs(",oracle_p", out);
  putc('\n', out);
}

static void write_csv(FILE *out, const viral_gen_params *p, const viral_gen_video *v) {
  put_cell(out, v->video_id), putc(',', out);
  if (p->log) {
    put_iso(out, v->observed_at), putc(',', out);
    put_iso(out, v->posted_at), putc(',', out);
    csv_counters(out, &v->observed), putc(',', out);
    csv_attributes(out, v);
    fputs(v->hidden_bought ? ",1\n" : ",0\n", out);
    return;
  }
  put_iso(out, v->posted_at), putc(',', out);
  csv_attributes(out, v);
  for (size_t i = 0; i < p->hour_count; i++) putc(',', out), csv_counters(out, &v->snapshots[i]);
  putc(',', out), put_u64(out, v->views_final);
  fputs(v->viral ? ",1" : ",0", out);
  fputs(v->hidden_bought ? ",1" : ",0", out);
  if (p->oracle > 0) {
    char buf[32];
    putc(',', out), fputs(viral_format_double(buf, v->oracle_p), out);
  }
  putc('\n', out);
}

/* ---- JSONL ---- */

static void json_key(FILE *out, const char *key) {
  fprintf(out, ",\"%s\":", key);
}

static void json_attributes(FILE *out, const viral_gen_video *v) {
  json_key(out, "author_id"), json_string_write(out, v->author_id);
  json_key(out, "author_followers"), put_u64(out, v->author_followers);
  json_key(out, "author_verified"), fputs(v->author_verified ? "true" : "false", out);
  json_key(out, "duration_s"), put_fixed(out, v->duration_s, 1);
  json_key(out, "music_id"), json_string_write(out, v->music_id);
  json_key(out, "music_original"), fputs(v->music_original ? "true" : "false", out);
  json_key(out, "hashtags"), putc('[', out);
  for (size_t i = 0; i < v->hashtag_count; i++) {
    if (i) putc(',', out);
    json_string_write(out, v->hashtags[i]);
  }
  putc(']', out);
  json_key(out, "caption"), json_string_write(out, v->caption);
  json_key(out, "hidden_bought"), putc(v->hidden_bought ? '1' : '0', out);
}

static void json_counters(FILE *out, const viral_gen_counters *c, const char *suffix) {
  const uint64_t counts[5] = {c->views, c->likes, c->shares, c->comments, c->saves};
  for (size_t k = 0; k < 6; k++) {
    fprintf(out, ",\"%s%s\":", counter_names[k], suffix);
    if (k < 5) put_u64(out, counts[k]);
    else put_fixed(out, c->watch_ratio, 4);
  }
}

static void write_jsonl(FILE *out, const viral_gen_params *p, const viral_gen_video *v) {
  if (p->log) {
    fputs("{\"event\":\"observe\",\"video_id\":", out);
    json_string_write(out, v->video_id);
    json_key(out, "observed_at"), putc('"', out), put_iso(out, v->observed_at), putc('"', out);
    json_key(out, "posted_at"), putc('"', out), put_iso(out, v->posted_at), putc('"', out);
    json_counters(out, &v->observed, "");
    json_attributes(out, v);
    fputs("}\n", out);
    return;
  }
  fputs("{\"video_id\":", out);
  json_string_write(out, v->video_id);
  json_key(out, "posted_at"), putc('"', out), put_iso(out, v->posted_at), putc('"', out);
  json_attributes(out, v);
  for (size_t i = 0; i < p->hour_count; i++) {
    char suffix[16];
    snprintf(suffix, sizeof suffix, "_%dh", p->hours[i]);
    json_counters(out, &v->snapshots[i], suffix);
  }
  json_key(out, "views_final"), put_u64(out, v->views_final);
  json_key(out, "viral"), putc(v->viral ? '1' : '0', out);
  if (p->oracle > 0) {
    char buf[32];
    json_key(out, "oracle_p"), fputs(viral_format_double(buf, v->oracle_p), out);
  }
  fputs("}\n", out);
}

void viral_gen_write_video(FILE *out, const viral_gen_params *p, viral_gen_format format,
                           const viral_gen_video *v) {
  if (format == VIRAL_GEN_JSONL) write_jsonl(out, p, v);
  else write_csv(out, p, v);
}
