/* test_stream.c - viral stream's engine: equivalence with `viral assemble`
 * records scored and learned in the documented event order, restart from a
 * checkpoint plus journal, replay idempotence, bad events, bounded state. */
#define _POSIX_C_SOURCE 200809L
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/reader.h"
#include "viral/record.h"
#include "viral/stream.h"

#define LABEL "views_final>=1000000"

/* ---- captured output ---- */

typedef struct outbuf {
  char **lines;
  size_t n, cap;
  size_t fail_at, attempts;
} outbuf;

/* emit: keeps every line; with fail_at N the Nth line (from 1) and every
 * later one fail to be written, as on a full disk. */
static int capture(void *ctx, const char *line) {
  outbuf *o = ctx;
  if (o->fail_at && ++o->attempts >= o->fail_at) {
    errno = ENOSPC;
    return -1;
  }
  if (o->n == o->cap) {
    o->cap = o->cap ? o->cap * 2 : 64;
    o->lines = realloc(o->lines, o->cap * sizeof *o->lines);
    ck_assert_ptr_nonnull(o->lines);
  }
  o->lines[o->n++] = strdup(line);
  return 0;
}

static void outbuf_release(outbuf *o) {
  for (size_t i = 0; i < o->n; i++) free(o->lines[i]);
  free(o->lines);
  memset(o, 0, sizeof *o);
}

/* warn: the messages, one a line. */
static void keep_warning(void *ctx, const char *message) {
  char **text = ctx;
  size_t n = *text ? strlen(*text) : 0;
  *text = realloc(*text, n + strlen(message) + 2);
  ck_assert_ptr_nonnull(*text);
  snprintf(*text + n, strlen(message) + 2, "%s\n", message);
}

static viral_model *default_model(void) {
  char path[4096];
  viral_error err;
  viral_model *m = viral_model_load(test_repo_path(path, sizeof path, "models/default.json"), &err);
  ck_assert_msg(m != NULL, "%s", err.message);
  return m;
}

static void options(viral_stream_options *o, outbuf *out, const char *state) {
  viral_stream_options_init(o);
  o->window_h = 2;
  o->horizon_h = 48;
  o->grace_h = 1;
  o->label = LABEL;
  o->state_dir = state;
  o->checkpoint_every = 500;
  o->fsync_every = 0;
  o->emit = capture;
  o->emit_ctx = out;
}

/* The generated log (200 videos over 2 days), as a file and its lines. */
static char *make_log(const char *dir, char *path, size_t size) {
  snprintf(path, size, "%s/log.jsonl", dir);
  char args[4200], *out = NULL, *errs = NULL;
  snprintf(args, sizeof args, "gen --log --format jsonl -n 200 --days 2 -s 5 -q -o %s", path);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &errs), 0);
  free(out);
  free(errs);
  char *text = test_read_file(path, NULL);
  ck_assert_ptr_nonnull(text);
  return text;
}

/* Feed lines [from, to) of text (line numbers from 1). */
static void feed_lines(viral_stream *s, const char *text, long from, long to) {
  long no = 0;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    no++;
    if (no >= from && no < to) {
      viral_error err;
      int rc = viral_stream_feed(s, p, len, no, &err);
      ck_assert_msg(rc == VIRAL_OK, "line %ld: %s", no, err.message);
    }
    p += len + (nl != NULL);
  }
}

static long count_lines(const char *text) {
  long n = 0;
  for (const char *p = text; *p; p++) n += *p == '\n';
  return n;
}

/* ---- the reference: assemble + progressive replay, written independently ---- */

typedef struct ref_video {
  char id[64];
  double posted, deadline;
  int scored, done;
} ref_video;

typedef struct action {
  int learn; /* 0: score */
  char id[64];
} action;

/* The documented event order (viral/stream.h), re-derived from the raw log:
 * closes by time at clock advances in (deadline, id) order, scores at the
 * first sighting at age >= window, learns at the first at age >= horizon. */
static action *reference_order(const char *text, double W, double H, double G, size_t *count) {
  ref_video *v = calloc(4096, sizeof *v);
  action *acts = calloc(8192, sizeof *acts);
  size_t nv = 0, na = 0;
  double clock = -INFINITY;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    cJSON *o = cJSON_ParseWithLength(p, len);
    ck_assert_ptr_nonnull(o);
    const char *id = cJSON_GetObjectItem(o, "video_id")->valuestring;
    const char *ot = cJSON_GetObjectItem(o, "observed_at")->valuestring;
    const char *pt = cJSON_GetObjectItem(o, "posted_at")->valuestring;
    double t, posted;
    ck_assert_int_eq(viral_parse_timestamp(ot, strlen(ot), 0, &t), VIRAL_OK);
    ck_assert_int_eq(viral_parse_timestamp(pt, strlen(pt), 0, &posted), VIRAL_OK);
    if (t > clock) {
      clock = t;
      for (;;) { /* smallest (deadline, id) among open videos past their deadline */
        ref_video *best = NULL;
        for (size_t i = 0; i < nv; i++)
          if (!v[i].done && v[i].deadline <= clock &&
              (!best || v[i].deadline < best->deadline ||
               (v[i].deadline == best->deadline && strcmp(v[i].id, best->id) < 0)))
            best = &v[i];
        if (!best) break;
        if (!best->scored) acts[na].learn = 0, strcpy(acts[na++].id, best->id);
        acts[na].learn = 1, strcpy(acts[na++].id, best->id);
        best->done = 1;
      }
    }
    ref_video *x = NULL;
    for (size_t i = 0; i < nv; i++)
      if (strcmp(v[i].id, id) == 0 && !v[i].done) x = &v[i];
    int known = 0;
    for (size_t i = 0; i < nv; i++) known |= strcmp(v[i].id, id) == 0;
    if (!x && !known && (t - posted) / 3600 < H) {
      x = &v[nv++];
      snprintf(x->id, sizeof x->id, "%s", id);
      x->posted = posted;
      x->deadline = posted + (H + G) * 3600;
    }
    if (x) {
      double age = (t - x->posted) / 3600;
      if (!x->scored && age >= W) x->scored = 1, acts[na].learn = 0, strcpy(acts[na++].id, id);
      if (age >= H) {
        if (!x->scored) x->scored = 1, acts[na].learn = 0, strcpy(acts[na++].id, id);
        acts[na].learn = 1, strcpy(acts[na++].id, id);
        x->done = 1;
      }
    }
    for (size_t i = 0; i < nv; i++) /* a score at a close-by-time counts as scored */
      if (v[i].done) v[i].scored = 1;
    cJSON_Delete(o);
    p += len + (nl != NULL);
  }
  free(v);
  *count = na;
  return acts;
}

static double stream_probability(const outbuf *out, const char *id) {
  for (size_t i = 0; i < out->n; i++) {
    cJSON *o = cJSON_Parse(out->lines[i]);
    ck_assert_ptr_nonnull(o);
    int hit = strcmp(cJSON_GetObjectItem(o, "video_id")->valuestring, id) == 0;
    double p = cJSON_GetObjectItem(o, "probability")->valuedouble;
    cJSON_Delete(o);
    if (hit) return p;
  }
  return NAN;
}

START_TEST(equals_assemble_then_progressive_replay) {
  char dir[4096], logp[4200], recp[4200];
  test_tmpdir(dir, sizeof dir, "stream_equiv");
  char *text = make_log(dir, logp, sizeof logp);

  /* stream, no state directory */
  outbuf out = {0};
  viral_stream_options o;
  options(&o, &out, NULL);
  viral_error err;
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  feed_lines(s, text, 1, count_lines(text) + 1);

  /* reference: `viral assemble` records, scored and learned in the event order */
  snprintf(recp, sizeof recp, "%s/records.jsonl", dir);
  char args[16000], *so = NULL, *se = NULL;
  snprintf(args, sizeof args,
           "assemble --id video_id --observed-at observed_at --posted-at posted_at "
           "--counters views,likes,shares,comments,saves,watch_ratio:number "
           "--attrs author_id,author_followers:number,author_verified:bool,duration_s:number,"
           "music_id,music_original:bool,hashtags,caption --at 1h,2h --horizon 48h --grace 1h "
           "--label '" LABEL "' --unlabeled keep --format jsonl -q -o %s %s", recp, logp);
  ck_assert_msg(test_run_viral(args, NULL, &so, &se) == 0, "%s", se);
  free(so);
  free(se);
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_reader *r = viral_reader_open(recp, &ro, &err);
  ck_assert_ptr_nonnull(r);
  viral_model *ref = default_model();
  size_t na = 0;
  action *acts = reference_order(text, 2, 48, 1, &na);
  ck_assert_uint_gt(na, 300);
  size_t scores = 0, learned = 0;
  for (size_t a = 0; a < na; a++) {
    /* find the video's record (the reader is reopened: few hundred records) */
    viral_reader_free(r);
    r = viral_reader_open(recp, &ro, &err);
    const viral_record *rec = NULL, *x;
    while (viral_reader_next(r, &x, &err) == 1) {
      viral_strview id;
      ck_assert_int_eq(viral_record_text(x, (size_t)viral_record_find(x, "video_id"), &id, &err), VIRAL_OK);
      if (id.len == strlen(acts[a].id) && memcmp(id.ptr, acts[a].id, id.len) == 0) {
        rec = x;
        break;
      }
    }
    ck_assert_msg(rec != NULL, "no assembled record for %s", acts[a].id);
    if (!acts[a].learn) {
      viral_prediction pred;
      viral_model_scratch *scratch = viral_model_scratch_create();
      ck_assert_int_eq(viral_model_predict(ref, scratch, rec, &pred, NULL, 0, NULL, &err), VIRAL_OK);
      viral_model_scratch_free(scratch);
      double got = stream_probability(&out, acts[a].id);
      ck_assert_msg(got == pred.probability, "%s: stream %.17g, reference %.17g", acts[a].id, got,
                    pred.probability);
      scores++;
    } else {
      int rc = viral_model_learn(ref, rec, NAN, NULL, &err);
      ck_assert_msg(rc == VIRAL_OK, "%s: %s", acts[a].id, err.message);
      learned++;
    }
  }
  viral_reader_free(r);
  ck_assert_uint_eq(scores, out.n);
  viral_stream_stats st;
  viral_stream_stats_get(s, 1, &st);
  ck_assert_uint_eq(st.learned, learned);
  ck_assert_uint_gt(st.evicted, 0); /* some videos closed by the clock */
  char *a = viral_model_to_json_text(viral_stream_model(s), &err);
  char *b = viral_model_to_json_text(ref, &err);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  free(acts);
  viral_model_free(ref);
  viral_stream_free(s);
  outbuf_release(&out);
  free(text);
}
END_TEST

/* Stop after some events (no final checkpoint: a crash), reopen, replay the
 * whole input: same scores (after dropping repeats) and the same model. */
START_TEST(restart_from_checkpoint_and_journal) {
  char dir[4096], logp[4200], state[4200], state2[4200];
  test_tmpdir(dir, sizeof dir, "stream_restart");
  char *text = make_log(dir, logp, sizeof logp);
  long n = count_lines(text);
  snprintf(state, sizeof state, "%s/a", dir);
  snprintf(state2, sizeof state2, "%s/b", dir);
  viral_error err;
  outbuf ref = {0}, out = {0};
  viral_stream_options o;
  options(&o, &ref, state);
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  feed_lines(s, text, 1, n + 1);
  ck_assert_int_eq(viral_stream_checkpoint(s, &err), VIRAL_OK);

  options(&o, &out, state2);
  viral_stream *t = viral_stream_open(default_model(), &o, &err);
  feed_lines(t, text, 1, n / 2 + 123); /* past a checkpoint, into the journal */
  viral_stream_free(t);                /* "crash": no checkpoint */
  size_t before = out.n;
  t = viral_stream_open(NULL, &o, &err);
  ck_assert_msg(t != NULL, "%s", err.message);
  feed_lines(t, text, 1, n + 1);
  viral_stream_stats st;
  viral_stream_stats_get(t, 1, &st);
  ck_assert_uint_gt(st.skipped, (uint64_t)n / 2); /* the replayed input was skipped */
  ck_assert_uint_eq(st.applied, (uint64_t)n);
  /* every reference score appears, identical; the extra ones are repeats */
  for (size_t i = 0; i < ref.n; i++) {
    int found = 0;
    for (size_t j = 0; j < out.n && !found; j++) found = strcmp(ref.lines[i], out.lines[j]) == 0;
    ck_assert_msg(found, "missing after restart: %s", ref.lines[i]);
  }
  ck_assert_uint_ge(out.n, ref.n);
  ck_assert_uint_gt(before, 0);
  char *a = viral_model_to_json_text(viral_stream_model(s), &err);
  char *b = viral_model_to_json_text(viral_stream_model(t), &err);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  viral_stream_free(s);
  viral_stream_free(t);
  outbuf_release(&ref);
  outbuf_release(&out);
  free(text);
}
END_TEST

/* --checkpoint-every 6h: a checkpoint each time the event clock has moved 6h
 * past the last one's (the first period starts at the first event's time).
 * The expected count is re-derived from the log's observed_at column. */
START_TEST(checkpoints_by_event_time) {
  char dir[4096], logp[4200], state[4200];
  test_tmpdir(dir, sizeof dir, "stream_ckpt_time");
  char *text = make_log(dir, logp, sizeof logp);
  snprintf(state, sizeof state, "%s/state", dir);
  size_t expected = 0;
  double clock = -INFINITY, mark = NAN;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    cJSON *o = cJSON_ParseWithLength(p, len);
    const char *ot = cJSON_GetObjectItem(o, "observed_at")->valuestring;
    double t;
    ck_assert_int_eq(viral_parse_timestamp(ot, strlen(ot), 0, &t), VIRAL_OK);
    if (t > clock) clock = t;
    if (isnan(mark)) mark = clock;
    if (clock - mark >= 6 * 3600) expected++, mark = clock;
    cJSON_Delete(o);
    p += len + (nl != NULL);
  }
  ck_assert_uint_ge(expected, 6); /* a 2-day log */
  outbuf out = {0};
  viral_stream_options o;
  options(&o, &out, state);
  o.checkpoint_every = 0;
  o.checkpoint_every_h = 6;
  viral_error err;
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  feed_lines(s, text, 1, count_lines(text) + 1);
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  ck_assert_uint_eq(st.checkpoints, expected);
  viral_stream_free(s);
  /* the last checkpoint restores: reopening replays only its journal */
  outbuf again = {0};
  options(&o, &again, state);
  s = viral_stream_open(NULL, &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  viral_stream_stats_get(s, 0, &st);
  ck_assert_uint_eq(st.checkpoints, expected);
  ck_assert_uint_eq(st.applied, (uint64_t)count_lines(text));
  viral_stream_free(s);
  outbuf_release(&out);
  outbuf_release(&again);
  free(text);
}
END_TEST

START_TEST(bad_events_are_reported_and_skipped) {
  outbuf out = {0};
  viral_stream_options o;
  options(&o, &out, NULL);
  viral_error err;
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  const char *bad[] = {"{not json", "[1,2]", "{\"event\":\"dance\",\"video_id\":\"x\"}",
                       "{\"event\":\"observe\",\"video_id\":\"x\"}",
                       "{\"event\":\"label\",\"video_id\":\"x\",\"viral\":7}"};
  for (long i = 0; i < 5; i++) {
    ck_assert_int_ne(viral_stream_feed(s, bad[i], strlen(bad[i]), i + 1, &err), VIRAL_OK);
    ck_assert_msg(strstr(err.message, ":") != NULL, "%s", err.message);
  }
  /* the stream goes on: a score event answers with seq null */
  const char *score = "{\"event\":\"score\",\"video_id\":\"q\",\"views_1h\":10,\"views_2h\":20}";
  ck_assert_int_eq(viral_stream_feed(s, score, strlen(score), 6, &err), VIRAL_OK);
  ck_assert_uint_eq(out.n, 1);
  ck_assert_ptr_nonnull(strstr(out.lines[0], "\"seq\":null,\"video_id\":\"q\""));
  /* a label for a video in flight learns at once and closes it */
  const char *obs = "{\"event\":\"observe\",\"video_id\":\"z\",\"observed_at\":7200,\"posted_at\":0,"
                    "\"views\":5,\"likes\":1,\"shares\":0,\"comments\":0,\"saves\":0,\"watch_ratio\":0.5,"
                    "\"author_id\":\"u\",\"author_followers\":3,\"author_verified\":false,\"duration_s\":9,"
                    "\"music_id\":\"m\",\"music_original\":true,\"hashtags\":[\"a\"],\"caption\":\"c\"}";
  const char *lab = "{\"event\":\"label\",\"video_id\":\"z\",\"viral\":1}";
  ck_assert_int_eq(viral_stream_feed(s, obs, strlen(obs), 7, &err), VIRAL_OK);
  ck_assert_int_eq(viral_stream_feed(s, lab, strlen(lab), 8, &err), VIRAL_OK);
  viral_stream_stats st;
  viral_stream_stats_get(s, 1, &st);
  ck_assert_uint_eq(st.scored, 1); /* z: age 2h = window */
  ck_assert_uint_eq(st.learned, 1);
  ck_assert_uint_eq(st.in_flight, 0);
  ck_assert_uint_eq(st.window_n, 1); /* one outcome: AUC undefined */
  ck_assert(isnan(st.auc));
  viral_stream_free(s);
  outbuf_release(&out);
}
END_TEST

/* ---- bad events (tests/data/stream: one malformed event before two good
 * ones of another video, after the reproducers of a poisoned journal) ---- */

static char *stream_data(const char *name) {
  char rel[256], path[4096];
  snprintf(rel, sizeof rel, "tests/data/stream/%s", name);
  char *text = test_read_file(test_repo_path(path, sizeof path, rel), NULL);
  ck_assert_msg(text != NULL, "cannot read %s", rel);
  return text;
}

/* The options of the reproducers: horizon 24h, label views_final>=1000. */
static void small_options(viral_stream_options *o, outbuf *out, const char *state, char **warnings) {
  options(o, out, state);
  o->horizon_h = 24;
  o->label = "views_final>=1000";
  o->warn = keep_warning;
  o->warn_ctx = warnings;
}

/* The clean stream's scores (tests/data/stream/clean.jsonl) into ref; returns
 * the clean text (caller frees). */
static char *clean_reference(outbuf *ref) {
  char *clean = stream_data("clean.jsonl");
  viral_stream_options o;
  viral_error err;
  small_options(&o, ref, NULL, NULL);
  o.warn = NULL;
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  feed_lines(s, clean, 1, 3);
  viral_stream_free(s);
  ck_assert_uint_eq(ref->n, 1);
  return clean;
}

/* Each bad event is rejected before the journal, said with its line and
 * counted; the other video's score is the one a stream without it gives,
 * and the journal holds the good events only. Before, the bad one was
 * journaled (a restart then failed on it every time) and, closing by time,
 * its failure cut the next event short: v2's probability changed. */
START_TEST(bad_event_is_rejected_before_the_journal) {
  static const char *const bad[] = {"bad_count.jsonl", "bad_missing_saves.jsonl", "bad_missing_attr.jsonl",
                                    "bad_utf8.jsonl", "bad_trailing.jsonl", "bad_negative_age.jsonl",
                                    "bad_model_value.jsonl"};
  char dir[4096], state[4200], jpath[4300];
  test_tmpdir(dir, sizeof dir, "stream_bad_event");
  outbuf ref = {0};
  char *clean = clean_reference(&ref), *warnings = NULL;
  viral_stream_options o;
  viral_error err;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *line = stream_data(bad[i]);
    line[strcspn(line, "\n")] = '\0';
    snprintf(state, sizeof state, "%s/%zu", dir, i);
    outbuf out = {0};
    small_options(&o, &out, state, &warnings);
    viral_stream *s = viral_stream_open(default_model(), &o, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    ck_assert_int_ne(viral_stream_feed(s, line, strlen(line), 1, &err), VIRAL_OK);
    ck_assert_msg(strncmp(err.message, "stdin:1: ", 9) == 0, "%s: %s", bad[i], err.message);
    ck_assert_int_eq(viral_stream_failed(s), 0);
    feed_lines(s, clean, 1, 3);
    viral_stream_stats st;
    viral_stream_stats_get(s, 0, &st);
    ck_assert_uint_eq(st.bad, 1);
    ck_assert_uint_eq(st.applied, 2);
    ck_assert_uint_eq(out.n, 1);
    ck_assert_msg(strcmp(out.lines[0], ref.lines[0]) == 0, "%s: %s", bad[i], out.lines[0]);
    snprintf(jpath, sizeof jpath, "%s/journal-0.jsonl", state);
    char *journal = test_read_file(jpath, NULL);
    ck_assert_str_eq(journal, clean);
    free(journal);
    viral_stream_free(s);
    outbuf_release(&out);
    free(line);
  }
  ck_assert_ptr_null(warnings);
  outbuf_release(&ref);
  free(clean);
}
END_TEST

/* A journal written before the checks, holding a bad event (the
 * reproducer's state after a kill), replays: the bad event is said and
 * skipped, the others give the clean stream's score. It failed every time. */
START_TEST(journal_holding_a_bad_event_replays) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "stream_old_journal");
  outbuf ref = {0}, out = {0};
  char *journal = stream_data("old_journal/journal-0.jsonl"), *clean = clean_reference(&ref);
  char *warnings = NULL;
  snprintf(path, sizeof path, "%s/journal-0.jsonl", dir);
  test_write_file(path, journal);
  viral_stream_options o;
  viral_error err;
  small_options(&o, &out, dir, &warnings);
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_uint_eq(out.n, 1);
  ck_assert_str_eq(out.lines[0], ref.lines[0]);
  ck_assert_ptr_nonnull(warnings);
  ck_assert_msg(strstr(warnings, "journal-0.jsonl:1: field 'views': bad count 'abc' (a bad event in the journal: skipped)"),
                "%s", warnings);
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  ck_assert_uint_eq(st.bad, 1);
  ck_assert_int_eq(viral_stream_checkpoint(s, &err), VIRAL_OK);
  viral_stream_free(s);
  free(warnings);
  free(journal);
  free(clean);
  outbuf_release(&ref);
  outbuf_release(&out);
}
END_TEST

/* A score emit could not deliver fails the event (VIRAL_ERR_IO), leaves the
 * video unscored, and stops the stream: no more events, no checkpoint. The
 * restart replays the journal and delivers it. Before, the failure was not
 * seen and the checkpoint marked the video scored: the score was lost. */
START_TEST(undelivered_score_is_not_marked_scored) {
  char dir[4096], logp[4200], state[4200];
  test_tmpdir(dir, sizeof dir, "stream_undelivered");
  char *text = make_log(dir, logp, sizeof logp), *warnings = NULL;
  snprintf(state, sizeof state, "%s/state", dir);
  outbuf ref = {0}, out = {0};
  viral_stream_options o;
  viral_error err;
  options(&o, &ref, NULL);
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  feed_lines(s, text, 1, 400);
  viral_stream_free(s);
  ck_assert_uint_gt(ref.n, 3);
  options(&o, &out, state);
  o.warn = keep_warning;
  o.warn_ctx = &warnings;
  out.fail_at = 3;
  s = viral_stream_open(default_model(), &o, &err);
  long no = 0, failed_at = 0;
  for (const char *p = text; *p && !failed_at;) {
    size_t len = strcspn(p, "\n");
    if (viral_stream_feed(s, p, len, ++no, &err) != VIRAL_OK) failed_at = no;
    p += len + (p[len] == '\n');
  }
  ck_assert_int_gt(failed_at, 0);
  ck_assert_int_eq(err.code, VIRAL_ERR_IO);
  ck_assert_msg(strstr(err.message, "cannot write the score of video") != NULL, "%s", err.message);
  ck_assert_int_eq(viral_stream_failed(s), 1);
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  ck_assert_uint_eq(st.scored, 2); /* the third was not delivered */
  ck_assert_int_ne(viral_stream_checkpoint(s, &err), VIRAL_OK);
  const char *next = "{}";
  ck_assert_int_ne(viral_stream_feed(s, next, 2, no + 1, &err), VIRAL_OK);
  viral_stream_free(s);
  ck_assert_uint_eq(out.n, 2);
  /* the restart delivers it: the journal holds the event that made it */
  out.fail_at = 0;
  s = viral_stream_open(default_model(), &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_uint_eq(out.n, 5); /* the two again, and the third */
  for (size_t i = 0; i < 3; i++) ck_assert_str_eq(out.lines[2 + i], ref.lines[i]);
  viral_stream_free(s);
  ck_assert_ptr_null(warnings);
  outbuf_release(&ref);
  outbuf_release(&out);
  free(text);
}
END_TEST

/* A video whose record the model refuses when it is scored (here a feature
 * without a missing-value policy on views_1h, which no sighting of "a"
 * covers: the event checks cannot see it) is dropped, said and counted once;
 * its later sightings are ignored; the event that scored it and every other
 * video go on as without it. Before, the failure stopped the event at hand. */
START_TEST(video_the_model_refuses_is_dropped) {
  static const char spec[] = "{\"name\":\"t\",\"window\":\"2h\",\"label\":\"viral\",\"scaling\":\"none\","
                             "\"features\":[{\"transform\":\"log1p\",\"field\":\"views_1h\"}]}";
  const char *a = "{\"event\":\"observe\",\"video_id\":\"a\",\"observed_at\":10800,\"posted_at\":0,"
                  "\"views\":5,\"likes\":1,\"shares\":0,\"comments\":0,\"saves\":0,\"watch_ratio\":0.5,"
                  "\"author_id\":\"u\",\"author_followers\":3,\"author_verified\":false,\"duration_s\":9,"
                  "\"music_id\":\"m\",\"music_original\":true,\"hashtags\":[\"a\"],\"caption\":\"c\"}";
  char *clean = stream_data("clean.jsonl"), *warnings = NULL;
  outbuf ref = {0}, out = {0};
  viral_stream_options o;
  viral_error err;
  viral_train_options to;
  viral_train_options_init(&to);
  for (int with_a = 0; with_a < 2; with_a++) {
    viral_pipeline *p = viral_pipeline_parse_spec("t.spec.json", spec, strlen(spec), NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    viral_model *m = viral_model_create(p, &to, &err);
    viral_pipeline_free(p); /* the model has its copy */
    ck_assert_msg(m != NULL, "%s", err.message);
    small_options(&o, with_a ? &out : &ref, NULL, &warnings);
    viral_stream *s = viral_stream_open(m, &o, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    if (with_a) { /* a at 3h, dropped; a at 4h: ignored, not started again */
      ck_assert_int_eq(viral_stream_feed(s, a, strlen(a), 1, &err), VIRAL_OK);
      char *later = strdup(a);
      memcpy(strstr(later, "10800"), "14400", 5);
      ck_assert_int_eq(viral_stream_feed(s, later, strlen(later), 2, &err), VIRAL_OK);
      free(later);
    }
    feed_lines(s, clean, 1, 3);
    viral_stream_stats st;
    viral_stream_stats_get(s, 0, &st);
    ck_assert_uint_eq(st.dropped, (uint64_t)with_a);
    ck_assert_uint_eq(st.in_flight, 1); /* v2, short of its horizon */
    viral_stream_free(s);
  }
  ck_assert_uint_eq(out.n, 1);
  ck_assert_str_eq(out.lines[0] + strcspn(out.lines[0], ","), ref.lines[0] + strcspn(ref.lines[0], ","));
  ck_assert_msg(warnings && strstr(warnings, "video 'a' dropped: ") && strstr(warnings, "views_1h"), "%s",
                warnings ? warnings : "no warning");
  free(warnings);
  free(clean);
  outbuf_release(&ref);
  outbuf_release(&out);
}
END_TEST

/* An event before the applied position: while the stream has applied
 * nothing from its input yet it is a replayed input (skipped, silent), after
 * that it is out of order (dropped, counted, the first one said). Before,
 * both were "skipped" in silence. */
START_TEST(out_of_order_events_are_counted_and_said) {
  char dir[4096], logp[4200];
  test_tmpdir(dir, sizeof dir, "stream_out_of_order");
  char *text = make_log(dir, logp, sizeof logp), *warnings = NULL;
  outbuf out = {0};
  viral_stream_options o;
  viral_error err;
  options(&o, &out, NULL);
  o.warn = keep_warning;
  o.warn_ctx = &warnings;
  viral_stream *s = viral_stream_open(default_model(), &o, &err);
  feed_lines(s, text, 1, 101);
  feed_lines(s, text, 1, 11); /* ten old events again */
  viral_stream_stats st;
  viral_stream_stats_get(s, 0, &st);
  ck_assert_uint_eq(st.applied, 100);
  ck_assert_uint_eq(st.out_of_order, 10);
  ck_assert_uint_eq(st.skipped, 0);
  ck_assert_msg(warnings && strstr(warnings, "stdin:1: observe of video 'v") && strstr(warnings, "out of order, dropped") &&
                    !strchr(strchr(warnings, '\n') + 1, '\n'),
                "%s", warnings ? warnings : "no warning");
  viral_stream_free(s);
  free(warnings);
  outbuf_release(&out);
  free(text);
}
END_TEST

/* ---- trajectories ---- */

typedef struct scores_seen {
  char ids[64][8];
  double ages[64], seqs[64];
  size_t n;
} scores_seen;

static int keep_score(void *ctx, const viral_stream_score *sc) {
  scores_seen *o = ctx;
  ck_assert_uint_lt(o->n, 64);
  snprintf(o->ids[o->n], sizeof o->ids[o->n], "%s", sc->video_id);
  o->ages[o->n] = sc->age_h;
  o->seqs[o->n++] = sc->seq;
  return 0;
}

/* A scoring-only stream (viral score --log) hands each (video, age) to
 * on_score once, in time order, learns nothing, and refuses a line back in
 * time as a bad event: the stream without refuse_out_of_order drops it. */
START_TEST(scoring_only_stream_gives_each_age_once) {
  char *text = stream_data("trajectory.jsonl");
  static const double ages[] = {2, 6, 24};
  scores_seen seen = {0};
  viral_stream_options o;
  viral_error err;
  viral_stream_options_init(&o);
  o.no_learning = 1;
  o.refuse_out_of_order = 1;
  o.horizon_h = 30;
  o.score_ages_h = ages;
  o.score_age_count = 3;
  o.on_score = keep_score;
  o.on_score_ctx = &seen;
  viral_model *m = default_model();
  uint64_t positives = viral_model_positives(m);
  viral_stream *s = viral_stream_open(m, &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  feed_lines(s, text, 1, 1000);
  ck_assert_uint_eq(seen.n, 12); /* 4 videos at 3 ages: each reaches 24h */
  for (size_t i = 0; i < seen.n; i++)
    for (size_t j = 0; j < i; j++) {
      ck_assert(seen.seqs[j] <= seen.seqs[i]);
      if (strcmp(seen.ids[i], seen.ids[j]) == 0) ck_assert(seen.ages[j] < seen.ages[i]);
    }
  ck_assert_uint_eq(viral_model_positives(viral_stream_model(s)), positives);
  const char *first = text, *second = strchr(first, '\n') + 1;
  ck_assert_int_eq(viral_stream_feed(s, first, (size_t)(second - first - 1), 99, &err), VIRAL_ERR_PARSE);
  ck_assert_msg(strstr(err.message, "stdin:99: observe of video 'v1' at 2026-03-01T07:48:11Z is before the last "
                                    "applied one at") && strstr(err.message, "the log goes back in time"),
                "%s", err.message);
  ck_assert_int_eq(viral_stream_failed(s), 0);
  viral_stream_free(s);
  free(text);
}
END_TEST

/* What a model cannot be asked is refused at open, before any event. */
START_TEST(impossible_trajectory_ages_are_refused) {
  static const double before[] = {1, 2}, past[] = {2, 48}, down[] = {6, 2};
  static const struct {
    const double *ages;
    size_t count;
    int looks, no_learning;
    double window;
    const char *says;
  } cases[] = {
      {before, 2, 0, 0, 2, "score age 1h is before the model's 2h window"},
      {past, 2, 0, 0, 2, "score age 48h is not before the 48h horizon"},
      {down, 2, 0, 1, 2, "score ages must be ascending"},
      {past + 1, 1, 0, 1, 3, "score age 48h is not before"}, /* a scoring run has no window of its own */
      {NULL, 0, 1, 0, 2, "scores at each sighting are for scoring runs only"},
      {down + 1, 1, 0, 0, 3, "the stream's window must be the model's (--window 2h, not 3h)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    outbuf out = {0};
    viral_stream_options o;
    viral_error err;
    options(&o, &out, NULL);
    o.window_h = cases[i].window;
    o.score_ages_h = cases[i].ages;
    o.score_age_count = cases[i].count;
    o.score_looks = cases[i].looks;
    o.no_learning = cases[i].no_learning;
    ck_assert_ptr_null(viral_stream_open(default_model(), &o, &err));
    ck_assert_int_eq(err.code, VIRAL_ERR_INVALID);
    ck_assert_msg(strstr(err.message, cases[i].says), "case %zu: %s", i, err.message);
  }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("stream");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, equals_assemble_then_progressive_replay);
  tcase_add_test(tc, restart_from_checkpoint_and_journal);
  tcase_add_test(tc, bad_events_are_reported_and_skipped);
  tcase_add_test(tc, checkpoints_by_event_time);
  tcase_add_test(tc, bad_event_is_rejected_before_the_journal);
  tcase_add_test(tc, journal_holding_a_bad_event_replays);
  tcase_add_test(tc, undelivered_score_is_not_marked_scored);
  tcase_add_test(tc, video_the_model_refuses_is_dropped);
  tcase_add_test(tc, out_of_order_events_are_counted_and_said);
  tcase_add_test(tc, scoring_only_stream_gives_each_age_once);
  tcase_add_test(tc, impossible_trajectory_ages_are_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
