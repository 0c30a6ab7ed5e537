/* viral/stream.h - online learning from a stream of JSON Lines events, in
 * event time, with a journal and checkpoints so a crash loses nothing.
 *
 * Events (one JSON object per line):
 *   {"event":"observe","video_id","observed_at","posted_at",<counters>,<attrs>}
 *   {"event":"label","video_id","viral":0|1}
 *   {"event":"score",<a full record>}
 * An optional "seq" (a number increasing along the input) gives an event its
 * position; without it an observe's position is (observed_at, video_id).
 *
 * Event order (the one definition the stream and `viral eval --progressive`
 * share: `viral assemble --window` writes it as scored_seq/learned_seq, see
 * viral/assemble.h and datasets/STREAM.md). The clock
 * is the largest observed_at seen. For each observe event at time t:
 *   1. when t > clock: clock = t, and every video whose posted_at + horizon
 *      + grace <= clock closes by time, in (that deadline, video_id) order:
 *      it is scored (if it was not yet) and learned from, then forgotten;
 *   2. a video not in flight whose age t - posted_at is >= horizon is late:
 *      counted, ignored (as `viral assemble` does);
 *   3. the sighting joins its video; when its age is >= window and the video
 *      was not scored yet, the video is scored now ("its observations first
 *      cover the window": the counters at every age <= window are then what
 *      `viral assemble` interpolates from the whole log);
 *   4. when its age is >= horizon the video is learned from and forgotten.
 * A video whose sightings never reach the window age is scored when it closes
 * by time, just before it is learned from. Records are built by the assemble
 * library (viral/assemble.h) from the video's own sightings: for scoring from
 * those seen so far (no horizon: at that moment they end at the first
 * sighting at age >= window), for learning with horizon = the horizon
 * (closing by time: outcome at the last sighting, which is what
 * `viral assemble --horizon` gives when no sighting brackets the horizon). The label comes from the
 * assemble label rule (opts.label) or else the model's own rule.
 *
 * Output: one JSON line per score,
 *   {"seq":N,"video_id":..,"probability":..,"viral":0|1,"reasons":[..]}
 * where N is the ordinal of the input event (among those applied) that made
 * it; with trajectory ages (score_ages_h) every line has "age_h" after
 * "video_id", and a video has one line per age it reaches. Each video is scored once in a stream's life, but after a crash a score
 * written before the crash may be written again (journal replay): consumers
 * drop duplicates by video_id (or seq + video_id). "score" events answer
 * with "seq":null. A video counts as scored only once emit has delivered its
 * line: when emit fails, the event fails with VIRAL_ERR_IO, nothing marks the
 * video scored, and the stream refuses to go on or checkpoint (reopened from
 * its state directory, the journal replay writes the score again).
 *
 * Bad events. An event is checked in full before it is journaled: the line
 * must be at most max_event_bytes long and read as a record by the JSONL
 * record reader (valid UTF-8, one JSON object, nothing after it); an observe
 * needs video_id, observed_at, posted_at (no later than observed_at plus the
 * slack viral_record_age_hours allows, as `viral assemble`) and every
 * counter and attribute source field (null for an unknown value); its values
 * must parse by their rules (numbers finite, counts not negative), and the
 * record the assemble library makes of a video's first sighting (the one its
 * attributes come from; its counters at every age) must go through the
 * model's feature pipeline. A bad event is reported (the feed's status),
 * counted (stats.bad), and changes nothing. A journal written before these checks may still hold
 * one: replay skips it and reports it through warn. A video whose record
 * still fails when it is scored or learned from is dropped (stats.dropped,
 * warn; its later sightings are ignored until its deadline) and the event
 * being applied goes on.
 *
 * Order. An event at or before the applied position is not applied. Before
 * the stream has applied an event from its input (since open) it is a
 * replayed input (stats.skipped); afterwards it is out of order
 * (stats.out_of_order; the first one is reported through warn). Sort an
 * unsorted log by observed_at before streaming it (datasets/STREAM.md).
 *
 * Fields. The stream's records have video_id, posted_at, each counter at
 * each age (<counter>_<A>h, covered_<A>h), the outcomes (<counter>_final,
 * <counter>_peak, age_last_h, sightings), the attributes and, with a label
 * rule, viral. viral_stream_open refuses (VIRAL_ERR_MISSING, naming them and
 * what the records have) a model whose features read a field outside these,
 * unless allow_missing: every score would read it as missing. A label rule
 * reading a field outside them is said through warn: videos then learn from
 * label events only.
 *
 * Durability. With a state directory every event that changes state is
 * appended to the journal (journal-K.jsonl) before it is applied. A
 * checkpoint writes model-K.json (an ordinary model file), then
 * checkpoint.json (position, clock, per-video sightings, metrics) atomically,
 * then removes the previous journal and model. Opening a stream on a state
 * directory loads the last checkpoint and replays its journal, and removes
 * the stream's own files the checkpoint does not name (journals and models
 * of other numbers, temporary files of interrupted writes); other files are
 * left alone. The directory must belong to the user and not be writable by
 * others; state files are never opened through a symbolic link. */
#ifndef VIRAL_STREAM_H
#define VIRAL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "viral/assemble.h"
#include "viral/error.h"
#include "viral/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest event line accepted by default (the record reader's limit). */
#define VIRAL_STREAM_DEFAULT_MAX_EVENT_BYTES (1u << 20)

/* One score, as on_score receives it (pointers valid during the call). */
typedef struct viral_stream_score {
  double seq;                   /* ordinal of the applied event that made it; NAN: a score event */
  const char *video_id;
  double age_h;                 /* age scored at; NAN: the window score without trajectory ages */
  viral_prediction prediction;
  const viral_reason *reasons;
  size_t reason_count;
} viral_stream_score;

typedef struct viral_stream_options {
  double window_h;                  /* score age (default 2) */
  double horizon_h;                 /* outcome age (default 168) */
  double grace_h;                   /* wait past the horizon for a sighting (default 1) */
  const viral_field_map *counters;  /* as viral_assemble_options; NULL: the gen log's */
  size_t counter_count;
  const viral_field_map *attrs;     /* NULL: the gen log's attributes */
  size_t attr_count;
  const double *ages_h;             /* NULL: 1,2,3,6 cut at the window */
  size_t age_count;
  const char *label;                /* assemble label rule, or NULL: the model's rule */
  int allow_missing;                /* the model may read fields the stream's records lack
                                       (read as missing); else viral_stream_open refuses it */
  const char *state_dir;            /* NULL: no journal, no checkpoints */
  uint64_t checkpoint_every;        /* applied events between checkpoints (0: never) */
  double checkpoint_every_h;        /* or event time: checkpoint when the clock has moved
                                       this many hours past the last checkpoint's (0: not
                                       by time); either trigger checkpoints */
  uint64_t fsync_every;             /* fsync the journal every N appends (0: never) */
  size_t reasons;                   /* reasons per score (default 3) */
  size_t metrics_window;            /* outcomes in the sliding metrics (default 10000) */
  size_t max_event_bytes;           /* longer events are bad (0: the default above) */
  const char *source;               /* input name in messages (NULL: "stdin") */
  /* Trajectories (datasets/STREAM.md, "Scores at several ages"): score each
   * video again at these ages (ascending; each >= the model's window and <
   * horizon; window_h must be the model's window), and/or at each sighting
   * at age >= the model's window (score_looks). At age A the record is the
   * one the window would have, with every counter age of ages_h moved by
   * A - window: the model reads the last window's counters up to A. */
  const double *score_ages_h;
  size_t score_age_count;
  int score_looks;
  int no_learning;                  /* score only (any model): never learn, no window score of
                                       its own; a video is forgotten at its horizon */
  int refuse_out_of_order;          /* an event at or before the applied position is a bad event
                                       (the input is one log, never replayed) */
  /* When set, called with each score instead of emit (which then is unused). */
  int (*on_score)(void *ctx, const struct viral_stream_score *score);
  void *on_score_ctx;
  /* Called with each output line (no newline). Returns 0 when the line was
   * delivered, nonzero (errno saying why) when it could not be written. */
  int (*emit)(void *ctx, const char *line);
  void *emit_ctx;
  /* Called with each problem the stream goes past without a status to return
   * it with: a bad event in a replayed journal, a dropped video, the first
   * out-of-order event (may be NULL). */
  void (*warn)(void *ctx, const char *message);
  void *warn_ctx;
} viral_stream_options;

/* Defaults as documented above. */
void viral_stream_options_init(viral_stream_options *opts);

/* Counters and running metrics. */
typedef struct viral_stream_stats {
  uint64_t lines;        /* events read (all kinds) */
  uint64_t applied;      /* state events applied (the seq of the last one) */
  uint64_t skipped;      /* at or before the applied position, before any was applied
                            since open (a replayed input) */
  uint64_t out_of_order; /* at or before the applied position after one was applied
                            since open: dropped */
  uint64_t bad;          /* events rejected since open (never journaled) */
  uint64_t dropped;      /* videos whose record could not be scored or learned from */
  uint64_t scored;       /* videos scored */
  uint64_t learned;      /* videos learned from */
  uint64_t unlabeled;    /* closed videos without a label */
  uint64_t late;         /* sightings after their video's horizon */
  uint64_t evicted;      /* videos closed by time (event clock past horizon + grace) */
  uint64_t labels_unknown; /* label events for no video in flight */
  uint64_t in_flight;    /* videos held now */
  uint64_t checkpoints;  /* written in the stream's life (the number of the last one) */
  double clock;          /* unix seconds, NAN before the first observe */
  /* over the last metrics_window outcomes (NAN when undefined) */
  size_t window_n;
  double auc, log_loss, calibration; /* calibration: mean p - mean y */
} viral_stream_stats;

typedef struct viral_stream viral_stream;

/* Open a stream. model is taken over (freed with the stream, or on failure);
 * when state_dir holds a checkpoint the model from the checkpoint is used
 * instead (model may then be NULL) and the journal is replayed (its scores
 * are emitted again). Returns NULL with err set. Free with viral_stream_free. */
viral_stream *viral_stream_open(viral_model *model, const viral_stream_options *opts,
                                viral_error *err);

/* Process one input line (without its newline; line_no for messages).
 * Returns VIRAL_OK, or a negative status with err set: for a bad event the
 * stream is unchanged and may go on; after a failure to write the journal or
 * a score (VIRAL_ERR_IO) or out of memory while applying an event it may
 * not: viral_stream_failed() is then 1 and feed and checkpoint refuse. */
int viral_stream_feed(viral_stream *s, const char *line, size_t len, long line_no,
                      viral_error *err);

/* Write a checkpoint now (no-op without a state directory). */
int viral_stream_checkpoint(viral_stream *s, viral_error *err);

/* 1 when an event failed half-applied (see viral_stream_feed): free the
 * stream without a checkpoint and reopen it from its state directory. */
int viral_stream_failed(const viral_stream *s);

/* Counters now; with with_metrics also the sliding-window metrics (a sort of
 * up to metrics_window outcomes: not for every event). */
void viral_stream_stats_get(viral_stream *s, int with_metrics, viral_stream_stats *out);

/* The model (owned by the stream). */
const viral_model *viral_stream_model(const viral_stream *s);

/* NULL-safe. Does not checkpoint. */
void viral_stream_free(viral_stream *s);

#ifdef __cplusplus
}
#endif
#endif
