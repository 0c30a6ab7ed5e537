/* gen.c - the generative model of short-video virality (viral/gen.h).
 *
 * Every constant below is documented, with its reason, in datasets/README.md;
 * change one here and there together. Times inside the simulation are hours
 * since posting ("age"); wall-clock times are unix seconds. */
#include "viral/gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/gen_random.h"

/* ---- model constants (datasets/README.md, "Parameters") ---- */

/* creators */
#define VIDEOS_PER_CREATOR 4.0
#define MIN_CREATORS 100
#define FOLLOWERS_MIN 50.0
#define FOLLOWERS_ALPHA 0.7
#define FOLLOWERS_CAP 1e8
#define VERIFIED_MAX 0.9
#define VERIFIED_HALF 1e5 /* followers at which half of VERIFIED_MAX is reached */
#define VERIFIED_SLOPE 1.0
#define SKILL_SD 0.5

/* videos */
#define APPEAL_SD 1.0
#define DURATION_MEDIAN 18.0
#define DURATION_SIGMA 0.8
#define DURATION_MIN 5.0
#define DURATION_MAX 180.0
#define ORIGINAL_SOUND_SHARE 0.4
#define SOUND_CATALOG 20000
#define SOUND_ZIPF 1.0
#define TRENDING_SOUNDS 10
#define TRENDING_SOUND_BOOST 0.3
#define TAG_CATALOG 50000
#define TAG_ZIPF 1.0
#define TAGS_MEAN 2.5
#define CHALLENGE_CATALOG 40
#define CHALLENGE_SHARE 0.12
#define TRENDING_CHALLENGES 3
#define TRENDING_CHALLENGE_BOOST 0.3
#define CAPTION_WORDS_MEAN 5.0
#define MENTION_SHARE 0.15
#define NO_CAPTION_PENALTY 0.15

/* engagement per organic view (at appeal 0, median duration) */
#define WATCH_LOGIT0 0.25
#define WATCH_APPEAL 0.55
#define WATCH_DURATION (-0.45)
#define WATCH_SD_FACTOR (1.0 / 3.0)
#define LIKE_RATE 0.025
#define LIKE_APPEAL 0.25
#define SHARE_RATE 0.001
#define SHARE_APPEAL 0.5
#define COMMENT_RATE 0.0003
#define COMMENT_APPEAL 0.3
#define COMMENT_PER_WORD 0.04
#define SAVE_RATE 0.001
#define SAVE_APPEAL 0.4
#define RATE_NOISE_SD 0.3
#define SOCIAL_PROOF 0.04
#define SOCIAL_PROOF_CAP 1.4

/* the feed's traffic pools */
#define POOL_LEVELS 9
static const double pool_base[POOL_LEVELS] = {0,     1500,   6000,    25000,   100000,
                                              400000, 1600000, 6000000, 20000000};
#define POOL_GROWTH 3.0
#define SEED_MIN 150.0
#define SEED_MAX 450.0
#define FOLLOWER_REACH_MIN 0.04
#define FOLLOWER_REACH_MAX 0.12
#define POOL_HOURS0 1.0
#define POOL_HOURS_GROWTH 1.6
#define THRESHOLD0 0.7
#define THRESHOLD_STEP 0.15
#define THRESHOLD_CURVE 0.08
#define DECISION_NOISE_SD 0.3
#define POOL_MATCH_SD 0.5
#define SCORE_WATCH 5.0
#define SCORE_LIKE 0.8
#define SCORE_SHARE 0.6
#define SCORE_COMMENT 0.3
#define SCORE_SAVE 0.4
#define DECAY_SHARE 0.5
#define DECAY_HOURS0 6.0
#define DECAY_HOURS_GROWTH 1.25
#define TRICKLE_SHARE 0.02
#define TRICKLE_HOURS 48.0

/* bought engagement */
#define BUYER_FACTOR 2.0
#define BOT_VIEWS_MEDIAN 3000.0
#define BOT_VIEWS_SIGMA 0.9
#define BOT_VIEWS_MIN 500.0
#define BOT_VIEWS_MAX 100000.0
#define BOT_START_MAX 0.5
#define BOT_HOURS_MIN 0.5
#define BOT_HOURS_MAX 2.5
#define BOT_LIKE_MIN 0.05
#define BOT_LIKE_MAX 0.2
#define BOT_COMMENT_RATE 0.001
#define BOT_SHARE_RATE 0.0002
#define BOT_WATCH_MIN 0.03
#define BOT_WATCH_MAX 0.15

/* simulation grid and log observations */
#define FINE_STEP_H 0.25
#define FINE_UNTIL_H 12.0
#define COARSE_STEP_H 1.0
#define OBS_GAP0_H 0.5
#define OBS_GAP_PER_AGE 0.5
#define OBS_MIN_GAP_S 60

/* Audience activity by UTC hour: the posting rhythm and the speed at which
 * the feed delivers impressions. Mean 1 after normalisation. */
static const double hour_weight[24] = {0.6,  0.4,  0.3,  0.25, 0.25, 0.3, 0.5, 0.7,
                                       0.9,  1.0,  1.05, 1.15, 1.25, 1.15, 1.05, 1.05,
                                       1.15, 1.3,  1.5,  1.6,  1.6,  1.45, 1.2, 0.9};

static const char *const tag_words[] = {
    "fyp",    "foryou",  "foryoupage", "viral", "trending", "funny",   "comedy", "dance",
    "love",   "music",   "food",       "fashion", "beauty", "travel",  "pets",   "dog",
    "cat",    "fitness", "gaming",     "art",   "diy",      "lifehack", "cooking", "makeup",
    "asmr",   "sports",  "football",   "meme",  "couple",   "family",  "school", "study"};
#define TAG_WORDS (sizeof tag_words / sizeof tag_words[0])

static const char *const challenge_words[] = {"renegade", "flip", "silhouette", "savage",
                                              "buss",     "wipeit", "pillow",   "icebucket"};
#define CHALLENGE_WORDS (sizeof challenge_words / sizeof challenge_words[0])

static const char *const caption_words[] = {
    "wait", "for", "it", "the", "end", "pov", "when", "you", "my", "new", "day", "in",
    "life", "this", "is", "so", "good", "try", "not", "to", "laugh", "how", "i", "made",
    "best", "ever", "part", "2", "watch", "till", "me", "and", "friends", "why", "does",
    "nobody", "talk", "about", "easy", "recipe", "quick", "tutorial", "story", "time",
    "first", "look", "at", "our", "vibes", "today", "can", "we", "get", "real", "love",
    "that", "moment", "omg", "check", "out"};
#define CAPTION_WORDS (sizeof caption_words / sizeof caption_words[0])

/* Seeds of the independent streams (gen_rng_seed's third number). */
enum { STREAM_POSTING = 1, STREAM_VIDEO, STREAM_CREATOR, STREAM_CAPTION, STREAM_ORACLE };

/* ---- per-video hidden model ---- */

/* Attributes in compact form: strings are rebuilt from these on output, so a
 * log-mode generator holds thousands of videos in flight cheaply. */
typedef struct attrs {
  uint64_t index;
  int64_t posted_at;
  uint32_t creator;
  uint64_t followers;
  int verified;
  int32_t sound; /* catalog rank, or -1 for the creator's original sound */
  double duration;
  uint32_t tag_count;
  uint32_t tags[VIRAL_GEN_MAX_HASHTAGS]; /* catalog rank; >= TAG_CATALOG: challenge */
  uint32_t caption_words;
  uint32_t mention; /* 0: none, else a creator number + 1 */
  int bought;
} attrs;

/* What engagement and the feed depend on; fixed at posting. */
typedef struct hidden {
  double watch_logit;                    /* logit of the mean fraction watched per organic view */
  double p_like, p_share, p_comment, p_save;
  double seed_size;                      /* impressions of the first pool */
  double trickle0;                       /* follower/profile views per hour at age 0 */
  double bot_start, bot_end, bot_rate;   /* bought views: hours, hours, views per hour */
  double bot_like, bot_watch;
} hidden;

/* The simulation state at one age: everything the future depends on. */
typedef struct sim {
  double age;
  int level;            /* pool level being delivered, or the last one */
  int in_pool;          /* 0 once the feed stopped promoting: decay */
  double match;         /* how well this pool's audience suits the video, in appeal units */
  double pool_size, pool_rate, delivered;
  uint64_t pv, pl, ps, pc, pz; /* organic views and engagement in this pool */
  double pw;            /* organic watch sum in this pool */
  uint64_t pending;     /* organic views whose engagement is not drawn yet */
  double decay_rate, decay_factor1, trickle_rate;
  uint64_t views, likes, shares, comments, saves;
  double watch_sum;
  gen_rng rng;
} sim;

/* The heap holds its keys, so sifting never touches the (large, scattered)
 * flights: with a quarter of a million videos in flight that is most of the
 * log mode's time otherwise. */
typedef struct heap_item {
  int64_t at;     /* next look, unix seconds */
  uint64_t index; /* video, for ties */
  uint32_t id;    /* slot in flights */
} heap_item;

/* A video in flight in log mode. */
typedef struct flight {
  attrs a;
  hidden h;
  sim s;
  int64_t next_obs; /* unix seconds */
  int last;         /* next_obs is the horizon */
} flight;

struct viral_gen {
  viral_gen_params p;
  uint32_t creators;
  gen_table sounds, tags, challenges;
  double hour_cdf[25]; /* cumulative share of a day's posts by hour */
  double activity[24];
  double trickle_factor1, trickle_factor_fine;
  /* posting times: sorted uniforms drawn one at a time */
  gen_rng posting;
  uint64_t next_index;
  double quantile;
  int64_t last_posted;
  /* log mode: heap of videos in flight ordered by next observation */
  flight *flights;
  heap_item *heap;
  uint32_t *free_list;
  size_t flight_cap, heap_len, free_len;
};

/* ---- small helpers ---- */

static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double uniform_in(gen_rng *r, double lo, double hi) {
  return lo + (hi - lo) * gen_rng_uniform(r);
}

/* ---- creators ---- */

typedef struct creator {
  uint64_t followers;
  int verified;
  double skill;
  double buy_draw;
} creator;

/* A creator is a pure function of (seed, number): no table, any count. */
static creator creator_get(const viral_gen *g, uint32_t id) {
  gen_rng r;
  gen_rng_seed(&r, g->p.seed, id, STREAM_CREATOR);
  creator c;
  double f = gen_rng_pareto(&r, FOLLOWERS_MIN, FOLLOWERS_ALPHA);
  c.followers = (uint64_t)floor(f < FOLLOWERS_CAP ? f : FOLLOWERS_CAP);
  double pv = VERIFIED_MAX / (1.0 + pow(VERIFIED_HALF / (double)c.followers, VERIFIED_SLOPE));
  c.verified = gen_rng_uniform(&r) < pv;
  c.skill = SKILL_SD * gen_rng_normal(&r);
  c.buy_draw = gen_rng_uniform(&r);
  return c;
}

/* ---- posting times ---- */

/* Next of params.videos sorted uniform quantiles, mapped through the posting
 * rhythm: videos come out in posting order without sorting. */
static int64_t next_posting_time(viral_gen *g) {
  uint64_t left = g->p.videos - g->next_index;
  double u = gen_rng_uniform(&g->posting);
  /* minimum of `left` uniforms on [quantile, 1) */
  g->quantile += (1.0 - g->quantile) * -expm1(log(u) / (double)left);
  /* rounding can carry the last quantile to 1: keep it inside the period */
  double x = (g->quantile < 1.0 - 1e-12 ? g->quantile : 1.0 - 1e-12) * g->p.days;
  double day = floor(x), frac = x - day;
  int h = 0;
  while (h < 23 && frac > g->hour_cdf[h + 1]) h++;
  double within = (frac - g->hour_cdf[h]) / (g->hour_cdf[h + 1] - g->hour_cdf[h]);
  double sec = day * 86400.0 + (h + clamp(within, 0, 1)) * 3600.0;
  int64_t t = g->p.start + (int64_t)floor(sec);
  if (g->next_index > 0 && t < g->last_posted) t = g->last_posted; /* rounding: stay sorted */
  g->last_posted = t;
  return t;
}

/* ---- attributes and hidden model of one video ---- */

static void make_video(const viral_gen *g, uint64_t index, int64_t posted_at, attrs *a, hidden *h,
                       sim *s) {
  gen_rng *r = &s->rng;
  gen_rng_seed(r, g->p.seed, index, STREAM_VIDEO);
  memset(a, 0, sizeof *a);
  a->index = index;
  a->posted_at = posted_at;
  a->creator = (uint32_t)(gen_rng_u64(r) % g->creators);
  creator c = creator_get(g, a->creator);
  a->followers = c.followers;
  a->verified = c.verified;

  /* Buyers are a share of creators; each of their videos buys with the
   * probability that makes the overall share bought_share. */
  double buyers = clamp(BUYER_FACTOR * g->p.bought_share, 0, 1);
  double buy_if_buyer = buyers > 0 ? g->p.bought_share / buyers : 0;
  a->bought = c.buy_draw < buyers && gen_rng_uniform(r) < buy_if_buyer;

  double appeal = APPEAL_SD * gen_rng_normal(r) + c.skill;
  a->duration = clamp(round(gen_rng_lognormal(r, log(DURATION_MEDIAN), DURATION_SIGMA) * 10) / 10,
                      DURATION_MIN, DURATION_MAX);
  double boost = 0;
  if (gen_rng_uniform(r) < ORIGINAL_SOUND_SHARE) {
    a->sound = -1;
  } else {
    a->sound = (int32_t)gen_table_draw(&g->sounds, r);
    if (a->sound < TRENDING_SOUNDS) boost += TRENDING_SOUND_BOOST;
  }
  uint32_t tags = (uint32_t)gen_rng_poisson(r, TAGS_MEAN);
  if (tags > VIRAL_GEN_MAX_HASHTAGS - 1) tags = VIRAL_GEN_MAX_HASHTAGS - 1;
  for (uint32_t i = 0; i < tags; i++) {
    uint32_t t = gen_table_draw(&g->tags, r);
    int dup = 0;
    for (uint32_t j = 0; j < a->tag_count; j++) dup |= a->tags[j] == t;
    if (!dup) a->tags[a->tag_count++] = t;
  }
  if (gen_rng_uniform(r) < CHALLENGE_SHARE) {
    uint32_t ch = gen_table_draw(&g->challenges, r);
    a->tags[a->tag_count++] = TAG_CATALOG + ch;
    if (ch < TRENDING_CHALLENGES) boost += TRENDING_CHALLENGE_BOOST;
  }
  a->caption_words = (uint32_t)gen_rng_poisson(r, CAPTION_WORDS_MEAN);
  if (a->caption_words > 40) a->caption_words = 40;
  if (gen_rng_uniform(r) < MENTION_SHARE) a->mention = 1 + (uint32_t)(gen_rng_u64(r) % g->creators);

  double q = appeal + boost - (a->caption_words == 0 ? NO_CAPTION_PENALTY : 0);
  h->watch_logit = WATCH_LOGIT0 + WATCH_APPEAL * q +
                   WATCH_DURATION * log(a->duration / DURATION_MEDIAN);
  h->p_like = LIKE_RATE * exp(LIKE_APPEAL * q + RATE_NOISE_SD * gen_rng_normal(r));
  h->p_share = SHARE_RATE * exp(SHARE_APPEAL * q + RATE_NOISE_SD * gen_rng_normal(r));
  h->p_comment = COMMENT_RATE * exp(COMMENT_APPEAL * q + RATE_NOISE_SD * gen_rng_normal(r)) *
                 (1.0 + COMMENT_PER_WORD * a->caption_words);
  h->p_save = SAVE_RATE * exp(SAVE_APPEAL * q + RATE_NOISE_SD * gen_rng_normal(r));
  h->seed_size = uniform_in(r, SEED_MIN, SEED_MAX) +
                 uniform_in(r, FOLLOWER_REACH_MIN, FOLLOWER_REACH_MAX) * (double)a->followers;
  h->trickle0 = TRICKLE_SHARE * (double)a->followers / TRICKLE_HOURS;
  h->bot_start = h->bot_end = h->bot_rate = h->bot_like = h->bot_watch = 0;
  if (a->bought) {
    double views = clamp(gen_rng_lognormal(r, log(BOT_VIEWS_MEDIAN), BOT_VIEWS_SIGMA),
                         BOT_VIEWS_MIN, BOT_VIEWS_MAX);
    h->bot_start = uniform_in(r, 0, BOT_START_MAX);
    h->bot_end = h->bot_start + uniform_in(r, BOT_HOURS_MIN, BOT_HOURS_MAX);
    h->bot_rate = views / (h->bot_end - h->bot_start);
    h->bot_like = uniform_in(r, BOT_LIKE_MIN, BOT_LIKE_MAX);
    h->bot_watch = uniform_in(r, BOT_WATCH_MIN, BOT_WATCH_MAX);
  }

  /* The first pool: the seed audience plus the followers it reaches. */
  s->age = 0;
  s->level = 0;
  s->in_pool = 1;
  s->pool_size = h->seed_size;
  s->pool_rate = s->pool_size / POOL_HOURS0;
  s->match = POOL_MATCH_SD * gen_rng_normal(r);
  s->delivered = 0;
  s->pv = s->pl = s->ps = s->pc = s->pz = 0;
  s->pw = 0;
  s->pending = 0;
  s->decay_rate = s->decay_factor1 = 0;
  s->trickle_rate = h->trickle0;
  s->views = s->likes = s->shares = s->comments = s->saves = 0;
  s->watch_sum = 0;
}

/* ---- the feed ---- */

/* Draw the engagement of the organic views seen since the last draw, at the
 * probabilities of now (social proof from the visible likes included). */
static void resolve(const hidden *h, sim *s) {
  uint64_t n = s->pending;
  if (n == 0) return;
  gen_rng *r = &s->rng;
  double proof = 1.0 + SOCIAL_PROOF * log1p((double)s->likes / 100.0);
  if (proof > SOCIAL_PROOF_CAP) proof = SOCIAL_PROOF_CAP;
  double m = s->match;
  uint64_t l = gen_rng_binomial(r, n, clamp(h->p_like * exp(LIKE_APPEAL * m) * proof, 0, 0.5));
  uint64_t sh = gen_rng_binomial(r, n, clamp(h->p_share * exp(SHARE_APPEAL * m) * proof, 0, 0.2));
  uint64_t c = gen_rng_binomial(r, n, clamp(h->p_comment * exp(COMMENT_APPEAL * m), 0, 0.1));
  uint64_t z = gen_rng_binomial(r, n, clamp(h->p_save * exp(SAVE_APPEAL * m), 0, 0.2));
  double dn = (double)n;
  double watch = clamp(sigmoid(h->watch_logit + WATCH_APPEAL * m), 0.03, 0.97);
  double w = dn * watch + sqrt(dn * watch * (1 - watch) * WATCH_SD_FACTOR) * gen_rng_normal(r);
  w = clamp(w, 0, dn);
  s->likes += l, s->shares += sh, s->comments += c, s->saves += z, s->watch_sum += w;
  s->pv += n, s->pl += l, s->ps += sh, s->pc += c, s->pz += z, s->pw += w;
  s->pending = 0;
}

/* log of an observed rate over its expected rate, smoothed for small pools. */
static double lift(uint64_t count, uint64_t views, double rate) {
  return log(((double)count + 0.5) / ((double)views * rate + 0.5));
}

/* The pool is delivered: promote to a larger pool when organic engagement
 * beats this level's threshold, else let reach decay. Bot interactions never
 * count: the platform's integrity filter discounts them. */
static void evaluate_pool(const hidden *h, sim *s) {
  resolve(h, s);
  double n = s->pv > 0 ? (double)s->pv : 1.0;
  double score = SCORE_WATCH * (s->pw / n - sigmoid(WATCH_LOGIT0)) +
                 SCORE_LIKE * lift(s->pl, s->pv, LIKE_RATE) +
                 SCORE_SHARE * lift(s->ps, s->pv, SHARE_RATE) +
                 SCORE_COMMENT * lift(s->pc, s->pv, COMMENT_RATE) +
                 SCORE_SAVE * lift(s->pz, s->pv, SAVE_RATE) +
                 DECISION_NOISE_SD * gen_rng_normal(&s->rng);
  double threshold =
      THRESHOLD0 + THRESHOLD_STEP * s->level + THRESHOLD_CURVE * s->level * s->level;
  if (s->level + 1 < POOL_LEVELS && score > threshold) {
    s->level++;
    double next = POOL_GROWTH * s->pool_size;
    s->pool_size = next > pool_base[s->level] ? next : pool_base[s->level];
    s->pool_rate = s->pool_size / (POOL_HOURS0 * pow(POOL_HOURS_GROWTH, s->level));
    s->delivered = 0;
    s->match = POOL_MATCH_SD * gen_rng_normal(&s->rng);
    s->pv = s->pl = s->ps = s->pc = s->pz = 0;
    s->pw = 0;
    return;
  }
  double tau = DECAY_HOURS0 * pow(DECAY_HOURS_GROWTH, s->level);
  s->in_pool = 0;
  s->decay_rate = DECAY_SHARE * s->pool_size / tau;
  s->decay_factor1 = exp(-COARSE_STEP_H / tau);
}

static double activity_at(const viral_gen *g, int64_t posted_at, double age) {
  int64_t t = posted_at + (int64_t)(age * 3600.0);
  int64_t hour = (t / 3600) % 24;
  if (t % 3600 < 0) hour--; /* times before 1970: round towards the past */
  return g->activity[hour < 0 ? hour + 24 : hour];
}

/* Multiply a decaying rate by exp(-dt/tau); the one-hour factor is cached
 * because most steps are whole hours. */
static double decay_by(double rate, double factor1, double dt) {
  if (dt == COARSE_STEP_H) return rate * factor1;
  return rate * pow(factor1, dt / COARSE_STEP_H);
}

static void step(const viral_gen *g, const attrs *a, const hidden *h, sim *s, double dt) {
  double act = activity_at(g, a->posted_at, s->age);
  double mean = s->trickle_rate * act * dt;
  if (s->in_pool) mean += s->pool_rate * act * dt;
  else mean += s->decay_rate * act * dt;
  uint64_t n = gen_rng_poisson(&s->rng, mean);
  s->views += n;
  s->pending += n;
  if (s->in_pool) s->delivered += (double)n;
  else s->decay_rate = decay_by(s->decay_rate, s->decay_factor1, dt);
  s->trickle_rate = dt == COARSE_STEP_H ? s->trickle_rate * g->trickle_factor1
                    : dt == FINE_STEP_H ? s->trickle_rate * g->trickle_factor_fine
                                        : s->trickle_rate * exp(-dt / TRICKLE_HOURS);

  if (h->bot_rate > 0 && s->age < h->bot_end && s->age + dt > h->bot_start) {
    double from = s->age > h->bot_start ? s->age : h->bot_start;
    double to = s->age + dt < h->bot_end ? s->age + dt : h->bot_end;
    uint64_t b = gen_rng_poisson(&s->rng, h->bot_rate * (to - from));
    s->views += b;
    s->likes += gen_rng_binomial(&s->rng, b, h->bot_like);
    s->comments += gen_rng_binomial(&s->rng, b, BOT_COMMENT_RATE);
    s->shares += gen_rng_binomial(&s->rng, b, BOT_SHARE_RATE);
    s->watch_sum += (double)b * h->bot_watch;
  }
  s->age += dt;
  if (s->in_pool && s->delivered >= s->pool_size) evaluate_pool(h, s);
}

/* Simulate up to the given age. */
static void advance(const viral_gen *g, const attrs *a, const hidden *h, sim *s, double age) {
  while (s->age < age - 1e-9) {
    double dt = s->age < FINE_UNTIL_H - 1e-9 ? FINE_STEP_H : COARSE_STEP_H;
    /* land exactly on grid points and on the target */
    double grid = s->age < FINE_UNTIL_H - 1e-9 ? FINE_STEP_H : COARSE_STEP_H;
    double next_grid = (floor(s->age / grid + 1e-9) + 1) * grid;
    if (next_grid - s->age < dt) dt = next_grid - s->age;
    if (age - s->age < dt) dt = age - s->age;
    step(g, a, h, s, dt);
  }
}

static viral_gen_counters counters_of(const hidden *h, sim *s) {
  resolve(h, s);
  viral_gen_counters c;
  c.views = s->views, c.likes = s->likes, c.shares = s->shares;
  c.comments = s->comments, c.saves = s->saves;
  double wr = s->views > 0 ? s->watch_sum / (double)s->views : 0;
  c.watch_ratio = round(clamp(wr, 0, 1) * 1e4) / 1e4;
  return c;
}

/* ---- strings ---- */

/* prefix followed by n in decimal, into out (size VIRAL_GEN_TAG_MAX or more):
 * faster than snprintf, which dominated log mode. */
static void put_id(char *out, const char *prefix, uint64_t n) {
  size_t len = strlen(prefix);
  memcpy(out, prefix, len);
  char digits[24];
  size_t d = 0;
  do {
    digits[d++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  while (d) out[len++] = digits[--d];
  out[len] = '\0';
}

static void format_tag(uint32_t t, char out[VIRAL_GEN_TAG_MAX]) {
  if (t >= TAG_CATALOG) {
    uint32_t ch = t - TAG_CATALOG;
    if (ch < CHALLENGE_WORDS) snprintf(out, VIRAL_GEN_TAG_MAX, "%schallenge", challenge_words[ch]);
    else put_id(out, "challenge", ch);
  } else if (t < TAG_WORDS) {
    strcpy(out, tag_words[t]);
  } else {
    put_id(out, "tag", t);
  }
}

static void append(char *buf, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > VIRAL_GEN_CAPTION_MAX) return;
  memcpy(buf + *len, s, n + 1);
  *len += n;
}

static void fill_video(const viral_gen *g, const attrs *a, viral_gen_video *v) {
  v->index = a->index;
  put_id(v->video_id, "v", a->index + 1);
  v->posted_at = a->posted_at;
  put_id(v->author_id, "u", (uint64_t)a->creator + 1);
  v->author_followers = a->followers;
  v->author_verified = a->verified;
  v->duration_s = a->duration;
  if (a->sound < 0) {
    put_id(v->music_id, "orig_", a->index + 1);
    v->music_original = 1;
  } else {
    put_id(v->music_id, "snd_", (uint64_t)a->sound + 1);
    v->music_original = 0;
  }
  v->hashtag_count = a->tag_count;
  for (uint32_t i = 0; i < a->tag_count; i++) format_tag(a->tags[i], v->hashtags[i]);

  /* The caption's words come from their own stream so they cost nothing to
   * the simulation's. */
  gen_rng r;
  gen_rng_seed(&r, g->p.seed, a->index, STREAM_CAPTION);
  size_t len = 0;
  v->caption[0] = '\0';
  for (uint32_t i = 0; i < a->caption_words; i++) {
    if (len) append(v->caption, &len, " ");
    append(v->caption, &len, caption_words[gen_rng_u64(&r) % CAPTION_WORDS]);
  }
  for (uint32_t i = 0; i < a->tag_count; i++) {
    if (len) append(v->caption, &len, " ");
    append(v->caption, &len, "#");
    append(v->caption, &len, v->hashtags[i]);
  }
  if (a->mention) {
    char m[VIRAL_GEN_ID_MAX];
    put_id(m, len ? " @u" : "@u", a->mention);
    append(v->caption, &len, m);
  }
  v->hidden_bought = a->bought;
  v->oracle_p = -1;
}

/* ---- parameters ---- */

void viral_gen_params_init(viral_gen_params *p) {
  memset(p, 0, sizeof *p);
  p->videos = 10000;
  p->seed = 1;
  p->start = 1772323200; /* 2026-03-01T00:00:00Z */
  p->days = 30;
  p->hour_count = 4;
  p->hours[0] = 1, p->hours[1] = 2, p->hours[2] = 3, p->hours[3] = 6;
  p->horizon_h = 168;
  p->window_h = 0;
  p->oracle = 0;
  p->viral_views = 1000000;
  p->bought_share = 0.05;
  p->log = 0;
}

int viral_gen_params_check(const viral_gen_params *p, viral_error *err) {
  if (p->videos == 0 || p->videos > (uint64_t)1 << 40)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "videos must be between 1 and 2^40");
  if (p->days < 1 || p->days > 3650)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "days must be between 1 and 3650");
  if (p->hour_count < 1 || p->hour_count > VIRAL_GEN_MAX_SNAPSHOTS)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "between 1 and %d snapshot hours needed",
                           VIRAL_GEN_MAX_SNAPSHOTS);
  for (size_t i = 0; i < p->hour_count; i++) {
    if (p->hours[i] <= 0)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "snapshot hour %d is not positive",
                             p->hours[i]);
    if (i > 0 && p->hours[i] <= p->hours[i - 1])
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "snapshot hours must increase (%d after %d)", p->hours[i],
                             p->hours[i - 1]);
  }
  double last = p->hours[p->hour_count - 1];
  if (!(p->horizon_h > last) || p->horizon_h > 24.0 * 365)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "horizon (%g h) must be after the last snapshot hour (%g) and at most a year",
                           p->horizon_h, last);
  if (p->window_h > p->horizon_h || p->window_h != p->window_h)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "window (%g h) must be before the horizon (%g h)", p->window_h,
                           p->horizon_h);
  if (p->oracle < 0 || p->oracle > 1000000)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "oracle must be between 0 and 1000000");
  if (p->oracle > 0 && p->log)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the oracle needs record mode, not a log");
  if (!(p->bought_share >= 0 && p->bought_share <= 1))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "bought share must be in [0, 1]");
  return VIRAL_OK;
}

/* ---- generator ---- */

viral_gen *viral_gen_create(const viral_gen_params *params, viral_error *err) {
  if (viral_gen_params_check(params, err) != VIRAL_OK) return NULL;
  viral_gen *g = calloc(1, sizeof *g);
  if (!g) goto nomem;
  g->p = *params;
  uint64_t creators = (uint64_t)((double)params->videos / VIDEOS_PER_CREATOR);
  g->creators = creators < MIN_CREATORS ? MIN_CREATORS
                : creators > UINT32_MAX - 1 ? UINT32_MAX - 1
                                            : (uint32_t)creators;
  if (gen_table_zipf(&g->sounds, SOUND_CATALOG, SOUND_ZIPF) ||
      gen_table_zipf(&g->tags, TAG_CATALOG, TAG_ZIPF) ||
      gen_table_zipf(&g->challenges, CHALLENGE_CATALOG, 1.0))
    goto nomem;
  double total = 0;
  for (int h = 0; h < 24; h++) total += hour_weight[h];
  g->hour_cdf[0] = 0;
  for (int h = 0; h < 24; h++) {
    g->hour_cdf[h + 1] = g->hour_cdf[h] + hour_weight[h] / total;
    g->activity[h] = hour_weight[h] * 24.0 / total;
  }
  g->hour_cdf[24] = 1.0;
  g->trickle_factor1 = exp(-COARSE_STEP_H / TRICKLE_HOURS);
  g->trickle_factor_fine = exp(-FINE_STEP_H / TRICKLE_HOURS);
  gen_rng_seed(&g->posting, params->seed, 0, STREAM_POSTING);
  return g;
nomem:
  viral_gen_free(g);
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return NULL;
}

void viral_gen_free(viral_gen *g) {
  if (!g) return;
  gen_table_release(&g->sounds);
  gen_table_release(&g->tags);
  gen_table_release(&g->challenges);
  free(g->flights);
  free(g->heap);
  free(g->free_list);
  free(g);
}

/* Share of n continuations from state s that end viral. */
static double oracle_p(const viral_gen *g, const attrs *a, const hidden *h, const sim *s) {
  int hits = 0;
  for (int i = 0; i < g->p.oracle; i++) {
    sim c = *s;
    gen_rng_seed(&c.rng, g->p.seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull), a->index,
                 STREAM_ORACLE);
    advance(g, a, h, &c, g->p.horizon_h);
    hits += c.views >= g->p.viral_views;
  }
  return (double)hits / g->p.oracle;
}

static void next_record(viral_gen *g, viral_gen_video *v) {
  attrs a;
  hidden h;
  sim s;
  uint64_t index = g->next_index;
  int64_t posted = next_posting_time(g);
  g->next_index++;
  make_video(g, index, posted, &a, &h, &s);
  fill_video(g, &a, v);
  double window = g->p.window_h > 0 ? g->p.window_h : g->p.hours[g->p.hour_count - 1];
  int window_done = g->p.oracle == 0;
  for (size_t i = 0; i < g->p.hour_count; i++) {
    if (!window_done && window <= g->p.hours[i]) {
      advance(g, &a, &h, &s, window);
      v->oracle_p = oracle_p(g, &a, &h, &s);
      window_done = 1;
    }
    advance(g, &a, &h, &s, g->p.hours[i]);
    v->snapshots[i] = counters_of(&h, &s);
  }
  if (!window_done) {
    advance(g, &a, &h, &s, window);
    v->oracle_p = oracle_p(g, &a, &h, &s);
  }
  advance(g, &a, &h, &s, g->p.horizon_h);
  v->views_final = s.views;
  v->viral = s.views >= g->p.viral_views;
}

/* ---- log mode ---- */

static int item_before(const heap_item *a, const heap_item *b) {
  return a->at != b->at ? a->at < b->at : a->index < b->index;
}

static void heap_swap(viral_gen *g, size_t i, size_t j) {
  heap_item t = g->heap[i];
  g->heap[i] = g->heap[j];
  g->heap[j] = t;
}

static void heap_up(viral_gen *g, size_t i) {
  while (i > 0 && item_before(&g->heap[i], &g->heap[(i - 1) / 2])) {
    heap_swap(g, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void heap_down(viral_gen *g, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < g->heap_len && item_before(&g->heap[l], &g->heap[m])) m = l;
    if (r < g->heap_len && item_before(&g->heap[r], &g->heap[m])) m = r;
    if (m == i) return;
    heap_swap(g, i, m);
    i = m;
  }
}

/* Schedule a flight's next look: gaps grow with age (a scraper revisits new
 * videos often, old ones rarely); the last look is at the horizon. */
static void schedule(const viral_gen *g, flight *f) {
  double age = f->s.age;
  double gap = gen_rng_exponential(&f->s.rng, OBS_GAP0_H + OBS_GAP_PER_AGE * age);
  int64_t at = f->a.posted_at + (int64_t)floor((age + gap) * 3600.0);
  int64_t prev = f->a.posted_at + (int64_t)ceil(age * 3600.0 - 1e-6);
  if (at < prev + OBS_MIN_GAP_S) at = prev + OBS_MIN_GAP_S;
  int64_t horizon = f->a.posted_at + (int64_t)floor(g->p.horizon_h * 3600.0);
  f->last = at >= horizon;
  f->next_obs = f->last ? horizon : at;
}

static int add_flight(viral_gen *g, viral_error *err) {
  if (g->free_len == 0) {
    size_t cap = g->flight_cap ? 2 * g->flight_cap : 1024;
    flight *fl = realloc(g->flights, cap * sizeof *fl);
    if (!fl) goto nomem;
    g->flights = fl;
    heap_item *heap = realloc(g->heap, cap * sizeof *heap);
    if (!heap) goto nomem;
    g->heap = heap;
    uint32_t *free_list = realloc(g->free_list, cap * sizeof *free_list);
    if (!free_list) goto nomem;
    g->free_list = free_list;
    for (size_t i = cap; i > g->flight_cap; i--) g->free_list[g->free_len++] = (uint32_t)(i - 1);
    g->flight_cap = cap;
  }
  uint32_t id = g->free_list[--g->free_len];
  flight *f = &g->flights[id];
  uint64_t index = g->next_index;
  int64_t posted = next_posting_time(g);
  g->next_index++;
  make_video(g, index, posted, &f->a, &f->h, &f->s);
  schedule(g, f);
  g->heap[g->heap_len++] = (heap_item){f->next_obs, index, id};
  heap_up(g, g->heap_len - 1);
  return VIRAL_OK;
nomem:
  return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
}

static int next_observation(viral_gen *g, viral_gen_video *v, viral_error *err) {
  /* Post videos until the earliest pending look is not after the latest
   * posting time: every later video is posted at or after that time and
   * first looked at a minute later, so the look can go out in order. */
  while (g->next_index < g->p.videos &&
         (g->heap_len == 0 || g->heap[0].at > g->last_posted)) {
    int rc = add_flight(g, err);
    if (rc != VIRAL_OK) return rc;
  }
  if (g->heap_len == 0) return 0;
  uint32_t id = g->heap[0].id;
  flight *f = &g->flights[id];
  double age = (double)(f->next_obs - f->a.posted_at) / 3600.0;
  advance(g, &f->a, &f->h, &f->s, age);
  fill_video(g, &f->a, v);
  v->observed_at = f->next_obs;
  v->observed = counters_of(&f->h, &f->s);
  if (f->last) {
    g->heap[0] = g->heap[--g->heap_len];
    g->free_list[g->free_len++] = id;
  } else {
    schedule(g, f);
    g->heap[0].at = f->next_obs;
  }
  if (g->heap_len > 0) {
    heap_down(g, 0);
#if defined(__GNUC__)
    /* The next look's flight is a cache miss; fetch it while the caller
     * writes this row. */
    const char *next = (const char *)&g->flights[g->heap[0].id];
    for (size_t off = 0; off < sizeof(flight); off += 64) __builtin_prefetch(next + off);
#endif
  }
  return 1;
}

int viral_gen_next(viral_gen *g, viral_gen_video *out, viral_error *err) {
  if (g->p.log) return next_observation(g, out, err);
  if (g->next_index >= g->p.videos) return 0;
  next_record(g, out);
  return 1;
}
