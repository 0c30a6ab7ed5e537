/* viral/gen.h - a seeded, deterministic generative model of short-video
 * virality (the model and every parameter: datasets/README.md).
 *
 * Creators post videos; a recommendation feed shows each video to traffic
 * pools of growing size and promotes it while its organic engagement beats a
 * threshold; a share of videos bought fake engagement. The generator yields
 * either one record per video (attributes, cumulative snapshots at fixed
 * ages, final views, label, optionally the oracle probability) or, in log
 * mode, the raw snapshot log: one observation of one video at a time, in
 * observed_at order.
 *
 * Same parameters and seed give the same output, whatever the machine's load;
 * video i's attributes and history depend only on (seed, i, parameters). */
#ifndef VIRAL_GEN_H
#define VIRAL_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIRAL_GEN_MAX_SNAPSHOTS 32
#define VIRAL_GEN_MAX_HASHTAGS 12
#define VIRAL_GEN_ID_MAX 32
#define VIRAL_GEN_TAG_MAX 32
#define VIRAL_GEN_CAPTION_MAX 512

/* What the caller chooses; the model's own constants live in gen.c and are
 * documented in datasets/README.md. */
typedef struct viral_gen_params {
  uint64_t videos;            /* number of videos to generate */
  uint64_t seed;
  int64_t start;              /* unix seconds: posting times span [start, start + days) */
  int days;                   /* length of the posting period, in days */
  size_t hour_count;          /* snapshot ages ... */
  int hours[VIRAL_GEN_MAX_SNAPSHOTS]; /* ... in hours, strictly increasing, > 0 */
  double horizon_h;           /* age of views_final, hours; > last snapshot hour */
  double window_h;            /* oracle observation window, hours; <= 0: last snapshot hour */
  int oracle;                 /* continuations per video for oracle_p; 0: no oracle */
  uint64_t viral_views;       /* label rule: viral = views_final >= viral_views */
  double bought_share;        /* expected share of videos with bought engagement, [0, 1] */
  int log;                    /* 1: yield snapshot-log observations instead of records */
} viral_gen_params;

/* Cumulative public counters of one video at one moment. */
typedef struct viral_gen_counters {
  uint64_t views, likes, shares, comments, saves;
  double watch_ratio; /* mean fraction watched over all views, in [0,1]; rounded to 1e-4 */
} viral_gen_counters;

/* One video (record mode) or one observation of it (log mode). Caller-owned,
 * filled by viral_gen_next(); holds no pointers. */
typedef struct viral_gen_video {
  uint64_t index;              /* 0-based, in posting order */
  char video_id[VIRAL_GEN_ID_MAX];
  int64_t posted_at;           /* unix seconds */
  char author_id[VIRAL_GEN_ID_MAX];
  uint64_t author_followers;
  int author_verified;
  double duration_s;           /* rounded to 0.1 s */
  char music_id[VIRAL_GEN_ID_MAX];
  int music_original;
  size_t hashtag_count;
  char hashtags[VIRAL_GEN_MAX_HASHTAGS][VIRAL_GEN_TAG_MAX]; /* without '#' */
  char caption[VIRAL_GEN_CAPTION_MAX];
  int hidden_bought;           /* hidden truth: bought engagement (models must not use it) */
  /* record mode */
  viral_gen_counters snapshots[VIRAL_GEN_MAX_SNAPSHOTS]; /* [params.hour_count] */
  uint64_t views_final;        /* views at the horizon */
  int viral;                   /* views_final >= params.viral_views */
  double oracle_p;             /* share of continuations from the window that went viral; -1 without oracle */
  /* log mode */
  int64_t observed_at;         /* unix seconds */
  viral_gen_counters observed; /* counters at observed_at */
} viral_gen_video;

typedef struct viral_gen viral_gen;

/* Defaults: 10,000 videos, seed 1, start 2026-03-01T00:00:00Z, 30 days,
 * hours 1,2,3,6, horizon 168 h, window = last hour, no oracle, viral at
 * 1,000,000 final views, 5% bought, record mode. */
void viral_gen_params_init(viral_gen_params *params);

/* VIRAL_OK, or VIRAL_ERR_INVALID with err saying which parameter is wrong. */
int viral_gen_params_check(const viral_gen_params *params, viral_error *err);

/* A generator for params (copied). NULL with err set on bad parameters or
 * out of memory. Free with viral_gen_free(). */
viral_gen *viral_gen_create(const viral_gen_params *params, viral_error *err);

/* Next video (record mode, in posting order) or next observation (log mode,
 * in observed_at order, ties by video): returns 1 and fills *out, 0 at the
 * end, or a negative status with err set (out of memory in log mode). */
int viral_gen_next(viral_gen *gen, viral_gen_video *out, viral_error *err);

/* NULL-safe. */
void viral_gen_free(viral_gen *gen);

/* ---- writing ---- */

typedef enum viral_gen_format { VIRAL_GEN_CSV = 0, VIRAL_GEN_JSONL } viral_gen_format;

/* Header line (CSV only; nothing for JSONL) of what viral_gen_write_video()
 * writes for params. */
void viral_gen_write_header(FILE *out, const viral_gen_params *params, viral_gen_format format);

/* One CSV row or JSON line: a record, or in log mode an observation (JSONL:
 * an {"event":"observe",...} object that `viral stream` consumes). */
void viral_gen_write_video(FILE *out, const viral_gen_params *params, viral_gen_format format,
                           const viral_gen_video *video);

#ifdef __cplusplus
}
#endif
#endif
