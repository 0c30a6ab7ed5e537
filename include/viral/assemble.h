/* viral/assemble.h - snapshot logs in, one record per video out.
 *
 * A snapshot log has one row per look at a video: its id, when it was looked
 * at (observed_at), when it was posted (posted_at), cumulative counters
 * (views, likes, ...) and attributes. The assembler groups the rows by video
 * and writes, per video:
 *
 *   video_id, posted_at                      from the earliest sighting
 *   attributes (--attr)                      from the earliest sighting only:
 *                                            later sightings would leak
 *   <counter>_<A>h, covered_<A>h             counters at age A, linear in time
 *                                            between the nearest sightings
 *                                            before and after A; never
 *                                            extrapolated: missing (and
 *                                            covered_<A>h = 0) when no
 *                                            sighting lies on each side
 *   age_s<K>_h, <counter>_s<K>               the K-th sighting, K = 1..first
 *   <counter>_final, <counter>_peak,         outcomes (see horizon below):
 *   age_last_h, sightings                    these are observed late and
 *                                            must never be features
 *   viral                                    0/1 by the label rule, if any
 *
 * Ages are hours since posted_at, in event time (observed_at), never the
 * clock of the machine.
 *
 * Horizon. Without one, the outcome is taken at the last sighting (final: the
 * counter at the last sighting, missing when that sighting lacks it; peak:
 * the largest value seen) and every record waits for the end of the log,
 * sorted by posted_at there: memory holds every video. With a horizon H,
 * only sightings up to the first one at age >= H count; final is the counter
 * interpolated at H (or, when no sighting brackets H, the last one before it),
 * and a video is closed as soon as a sighting at age >= H arrives or event
 * time passes posted_at + H + grace. Closed records leave in posted_at order
 * as soon as no later row can come before them, so memory is bounded by the
 * videos in flight; that needs the log sorted by observed_at, and an
 * unsorted log is refused with a message naming the row. A video first seen
 * after its horizon has no record. A video whose horizon was not reached by
 * the end of the log is unlabeled: kept with empty outcomes or dropped.
 *
 * Event times (event_times, with a horizon and a window): when a live
 * `viral stream` with the same window, horizon and grace scores the video
 * and learns from it, so `viral eval --progressive` replays the stream's
 * order (viral/stream.h defines it). Columns after sightings:
 *   scored_at, scored_seq     the first sighting at age >= window (its
 *                             observed_at and its row number in the log, 1-based)
 *   learned_at, learned_seq   the first sighting at age >= horizon, likewise
 * A video closed by time (event time reached posted_at + horizon + grace)
 * is closed when the first row at or past that time arrives, before that row
 * is applied: its *_at is the deadline and its *_seq that row's number - 0.5
 * (scored then too when it was not yet). Missing: it did not happen within
 * the log. Rows numbered are those with a readable id and times. Closing by
 * time is done as each row arrives, so a sighting after its video's
 * deadline is late (as in the stream), never a bracket. */
#ifndef VIRAL_ASSEMBLE_H
#define VIRAL_ASSEMBLE_H

#include <stddef.h>
#include <stdio.h>

#include "viral/error.h"
#include "viral/reader.h"
#include "viral/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a source field's value is read (the spec's parse rules). */
typedef enum viral_parse_rule {
  VIRAL_PARSE_TEXT = 0, /* as it is */
  VIRAL_PARSE_NUMBER,   /* viral_parse_number */
  VIRAL_PARSE_COUNT,    /* "1.4M", "63.6K videos" (viral_parse_count) */
  VIRAL_PARSE_DURATION, /* "mm:ss" -> seconds */
  VIRAL_PARSE_BOOL,     /* 0/1/true/false -> 0 or 1 */
  VIRAL_PARSE_TIMESTAMP /* -> unix seconds, naive times at the log's UTC offset */
} viral_parse_rule;

/* One output field taken from one source field. */
typedef struct viral_field_map {
  char *name;             /* output name ("views") */
  char *source;           /* source column or JSON key ("vid_nview") */
  viral_parse_rule parse;
} viral_field_map;

/* Parse "NAME=SOURCE[:RULE],NAME=SOURCE[:RULE],..." (RULE one of text,
 * number, count, duration, bool, timestamp; default_rule when left out; a
 * bare NAME means NAME=NAME). Fills *maps (free with viral_field_maps_free)
 * and *count. VIRAL_ERR_INVALID with err saying what is wrong. */
int viral_field_maps_parse(const char *text, viral_parse_rule default_rule,
                           viral_field_map **maps, size_t *count, viral_error *err);
/* Free what viral_field_maps_parse made. NULL-safe. */
void viral_field_maps_free(viral_field_map *maps, size_t count);

/* Options. Caller-owned; every pointer must outlive the assembler. */
typedef struct viral_assemble_options {
  const char *id_field;          /* required */
  const char *id_regex;          /* POSIX ERE; the id is group 1 (or the match) */
  const char *observed_at_field; /* required unless has_observed_time */
  int has_observed_time;         /* every row was observed at observed_time: a */
  double observed_time;          /* one snapshot whose time the log lacks */
  const char *posted_at_field;   /* required unless posted_at_from_id */
  int posted_at_from_id;         /* posted_at = (uint64 id) >> 32 (TikTok ids) */
  int utc_offset_minutes;        /* of naive timestamps */
  const viral_field_map *counters; /* [counter_count], cumulative counters */
  size_t counter_count;
  const viral_field_map *attrs;  /* [attr_count], from the earliest sighting */
  size_t attr_count;
  const double *ages_h;          /* [age_count], ascending, >= 0 */
  size_t age_count;
  size_t first;                  /* emit the first N sightings */
  double horizon_h;              /* > 0: outcome at this age; 0: at the last sighting */
  double grace_h;                /* >= 0: wait this long after the horizon */
  size_t min_sightings;          /* drop videos seen fewer times (within the horizon) */
  int keep_unlabeled;            /* 1: keep records without outcome/label */
  const char *label;             /* NULL, or a rule: FIELD>=X, FIELD>X, FIELD<=X,
                                    FIELD<X, FIELD==X, ratio:A/B>=X (missing when
                                    B is 0), top:P%:FIELD (1 at or above the
                                    ceil(P% n)-th largest; holds every record
                                    to the end); FIELD is an output column */
  int event_times;               /* 1 (needs a horizon): add the columns below */
  double window_h;               /* with event_times: the scoring age, < horizon */
} viral_assemble_options;

/* Zero everything (no horizon, no label, drop unlabeled). */
void viral_assemble_options_init(viral_assemble_options *opts);

/* What happened, for the summary line. */
typedef struct viral_assemble_stats {
  size_t rows;              /* log rows read */
  size_t videos;            /* distinct videos with a record started */
  size_t records;           /* records handed out */
  size_t positives;         /* records with viral = 1 */
  size_t unlabeled;         /* records without outcome or label (kept or dropped) */
  size_t few_sightings;     /* videos dropped by min_sightings */
  size_t late_rows;         /* rows after their video's horizon (ignored) */
} viral_assemble_stats;

typedef struct viral_assembler viral_assembler;

/* Check opts and build an assembler, or NULL with err set (VIRAL_ERR_INVALID:
 * a bad option or label rule, a label field that is not an output column).
 * Free with viral_assembler_free(). */
viral_assembler *viral_assembler_create(const viral_assemble_options *opts, viral_error *err);
/* Output columns, in order. */
size_t viral_assembler_column_count(const viral_assembler *a);
const char *viral_assembler_column_name(const viral_assembler *a, size_t i);
/* Take one log row. Errors name the row's file and line: a missing id or
 * time, a bad value, an unsorted row when a horizon is set. */
int viral_assembler_add(viral_assembler *a, const viral_record *rec, viral_error *err);
/* Rows added from now on were observed at time t (unix seconds): the time of
 * one poll file, when the rows do not carry it. The assembler must have
 * been created with has_observed_time; VIRAL_ERR_INVALID otherwise. */
int viral_assembler_set_observed_time(viral_assembler *a, double t);
/* An input ended: r read it. A mapped field given as a JSON path with an
 * array step ("hashtags[].name", the reader following it as one of its
 * field_paths) counts as in the input only once some reader saw every step
 * of it, and r's word on the step no record had goes into the error of
 * viral_assembler_finish. Other fields are unaffected. */
void viral_assembler_input_done(viral_assembler *a, const viral_reader *r);
/* The source fields the assembler reads (id, times, counters, attributes),
 * for the reader's field_paths: [*count] pointers into the options, valid
 * while the assembler lives. */
const char *const *viral_assembler_sources(const viral_assembler *a, size_t *count);
/* The log has ended: close every video. VIRAL_ERR_MISSING when a counter's
 * or attribute's source field was in none of the rows' schemas (a typo). */
int viral_assembler_finish(viral_assembler *a, viral_error *err);

/* One cell of an output row: text when text is not NULL, else number (NAN
 * when missing). */
typedef struct viral_assembled_value {
  const char *text;
  double number;
} viral_assembled_value;

/* Next ready record in posted_at order (ties: by video_id): returns 1 and
 * sets *row ([column_count] cells, owned by the assembler, valid until the
 * next call), or 0 when none is ready yet. Call after each add and after
 * finish. */
int viral_assembler_next(viral_assembler *a, const viral_assembled_value **row);

void viral_assembler_stats(const viral_assembler *a, viral_assemble_stats *stats);

/* ---- many poll files, one log ---- */

/* One input file of a run and, when its rows do not carry the time they
 * were observed, that time. */
typedef struct viral_assemble_input {
  char *path;    /* "-" is standard input */
  int has_time;
  double time;   /* unix seconds */
  size_t order;  /* place in the list as given (ties in time keep it) */
} viral_assemble_input;

/* The time in a file's name: the first place in its base name (after the
 * last '/'; at its start or after a byte that is not a digit) where pattern
 * matches: a strptime format such as "%Y%m%dT%H%M%S" (naive times at
 * utc_offset_minutes; text after the match is ignored), or one "%s" (unix
 * seconds) among literal text ("poll-%s.json"). VIRAL_ERR_PARSE naming the
 * file when the name holds no such time, VIRAL_ERR_INVALID for a pattern
 * without a conversion. */
int viral_assemble_time_in_name(const char *path, const char *pattern, int utc_offset_minutes,
                                double *out, viral_error *err);

/* The files to read for paths[npaths], in order: a directory gives the
 * files in it (not those whose name starts with '.'), sorted by name. Each
 * gets a time when the rows' time comes from outside them: times[i] for the
 * files of paths[i] (ntimes == npaths), or times[0] for all (ntimes == 1),
 * or the time name_pattern finds in its name (viral_assemble_time_in_name); with
 * times, the list is then sorted by time (ties in the order given), so the
 * polls are read in the order they were taken. Fills *inputs (free with
 * viral_assemble_inputs_free) and *count; an error names the path. */
int viral_assemble_inputs(const char *const *paths, size_t npaths, const char *name_pattern,
                          const double *times, size_t ntimes, int utc_offset_minutes,
                          viral_assemble_input **inputs, size_t *count, viral_error *err);
void viral_assemble_inputs_free(viral_assemble_input *inputs, size_t count);
/* NULL-safe. */
void viral_assembler_free(viral_assembler *a);

/* Write the CSV header line (jsonl: nothing), or one row as a CSV line or a
 * JSON object line (missing values: empty cell, null). Numbers exact;
 * posted_at as ISO-8601 UTC. */
void viral_assembler_write_header(const viral_assembler *a, FILE *out, int jsonl);
void viral_assembler_write_row(const viral_assembler *a, const viral_assembled_value *row,
                               FILE *out, int jsonl);

#ifdef __cplusplus
}
#endif

#endif
