/* viral/features.h - the feature pipeline: spec file, transforms, hashing,
 * scaling, label rules and the leakage guard (DESIGN.md section 3).
 *
 * A pipeline is built from a JSON spec (datasets/default.spec.json when none
 * is given), optionally fitted on training rows (scaling statistics, quantile
 * label thresholds, names of hashed features), and then turns each record into
 * a sparse vector and a label. The fitted pipeline serializes to JSON (inside
 * the model file) and reads back to the same bits, so training, scoring and
 * evaluation apply exactly the same transformation.
 *
 * Typical batch use:
 *   p = viral_pipeline_load_spec(path, &opts, &err);
 *   viral_pipeline_fit_begin(p, &err);
 *   for each training record: viral_pipeline_fit_record(p, rec, &err);
 *   viral_pipeline_fit_end(p, &err);
 *   for each record: viral_pipeline_transform(p, rec, &vec, &label, &err);
 * Online use (scaling "none" and no quantile label): viral_pipeline_needs_fit()
 * is 0 and transform works at once; fit_record may still be called in the same
 * pass to collect names of hashed features for explanations.
 *
 * Vector layout (dimension viral_pipeline_dim()):
 *   [0, k)      the k dense columns, in spec order (a feature may own several:
 *               sin and cos, or a value and its missing indicator);
 *   [k, 2^b)    hashed one-hot features (categorical values, list elements,
 *               crosses): index = k + h mod (2^b - k), h = MurmurHash3_x86_32
 *               of the value with a per-feature seed derived from the spec's
 *               hash_seed and the feature's name. With signed_hash the value is
 *               -1 when bit 31 of h is set, else +1.
 *   When the spec has no hashed feature the dimension is k. No intercept: that
 *   is the learner's job.
 *
 * Threads: what transforming a row writes (the row's parsed fields, the
 * field bindings of a record schema) lives in a viral_pipeline_scratch.
 * viral_pipeline_transform_with() and viral_pipeline_transform_named_with()
 * take a const pipeline and a scratch: one fitted pipeline transforms rows
 * in several threads at once, each with its own scratch. The other calls
 * (transform, fitting, the input tally, single fields) use a scratch inside
 * the pipeline and change it: one thread at a time. */
#ifndef VIRAL_FEATURES_H
#define VIRAL_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/reader.h"
#include "viral/record.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hashing ---- */

/* MurmurHash3_x86_32 (Austin Appleby's algorithm) of len bytes at key. */
uint32_t viral_murmur3_32(const void *key, size_t len, uint32_t seed);

/* The most hash_bits a spec may ask for: 2^24 buckets, the weight space the
 * logistic learner holds (VIRAL_LOGISTIC_MAX_BITS), so that whatever train
 * writes, score, inspect and update read. A spec asking for more is refused
 * when it is loaded, before any training. */
#define VIRAL_PIPELINE_MAX_HASH_BITS 24

/* ---- building a pipeline ---- */

typedef struct viral_pipeline viral_pipeline;

typedef struct viral_pipeline_options {
  const char *label;  /* label rule overriding the spec's ("top:10%:views_final"), NULL: keep */
  int allow_leakage;  /* accept features observed after the window; reports must say so */
  const char *scaling; /* overrides the spec's scaling ("none" for the online learner,
                          which normalizes in its own single pass), NULL: keep */
  int allow_missing;  /* an input without some field the spec reads is read anyway (see
                         viral_pipeline_tally_check); not saved with the model */
} viral_pipeline_options;

/* No label override, leakage refused. */
void viral_pipeline_options_init(viral_pipeline_options *opts);

/* Read and check the spec at path; NULL loads the built-in default spec (the
 * same document as datasets/default.spec.json). opts may be NULL. Errors name
 * the file, the key and the problem: "s.json: features[2].transform: unknown
 * transform 'log2'". Free with viral_pipeline_free(). */
viral_pipeline *viral_pipeline_load_spec(const char *path, const viral_pipeline_options *opts,
                                         viral_error *err);

/* The same from a spec held in memory; name is used in messages. */
viral_pipeline *viral_pipeline_parse_spec(const char *name, const char *text, size_t len,
                                          const viral_pipeline_options *opts, viral_error *err);

/* The built-in default spec text (static, do not free). */
const char *viral_pipeline_default_spec(void);

/* A deep copy (fitted state, allowing missing fields and the leakage it
 * reports included). NULL on no memory. */
viral_pipeline *viral_pipeline_copy(const viral_pipeline *p, viral_error *err);

/* NULL-safe. */
void viral_pipeline_free(viral_pipeline *p);

/* ---- fitting (training rows only) ---- */

/* 1 when transform needs a fitted pipeline: scaling other than "none", or a
 * quantile label rule. */
int viral_pipeline_needs_fit(const viral_pipeline *p);
/* 1 once fit_end has succeeded (or the pipeline was loaded fitted). */
int viral_pipeline_is_fitted(const viral_pipeline *p);

/* Start (or restart) fitting: forget previous statistics. */
int viral_pipeline_fit_begin(viral_pipeline *p, viral_error *err);
/* Accumulate one training record: unscaled values of the dense columns, the
 * label field for quantile rules, names of hashed features (at most the
 * spec's names_max). A record whose features cannot be computed is an error,
 * as in transform. */
int viral_pipeline_fit_record(viral_pipeline *p, const viral_record *rec, viral_error *err);
/* Finish: compute scaling parameters and quantile thresholds. Fails when a
 * quantile rule saw no labelled row. */
int viral_pipeline_fit_end(viral_pipeline *p, viral_error *err);

/* Name hashed features as transform meets them (on = 1), for the online
 * learner, which never runs a fitting pass; on = 0 stops and makes the names
 * available to viral_pipeline_feature_name() again. Names already known are
 * kept; at most the spec's names_max in all. */
int viral_pipeline_collect_names(viral_pipeline *p, int on, viral_error *err);

/* ---- transforming ---- */

/* Turn rec into a finished sparse vector (out is cleared first) and, when
 * label is not NULL, its 0/1 label (NAN when the label field is missing or
 * the label cannot be computed, e.g. ratio with a zero denominator). Returns
 * VIRAL_OK or a negative status with err naming the record's file and line
 * and the field ("data.csv:12: field 'views_1h': negative count -5"). A
 * missing value follows the feature's policy; a missing value with no policy
 * is a VIRAL_ERR_MISSING error, never a silent 0. */
int viral_pipeline_transform(viral_pipeline *p, const viral_record *rec, viral_sparse *out,
                             double *label, viral_error *err);

/* Per-thread working memory of a transform (see the top of this file). It
 * fits any pipeline. NULL when out of memory; free with
 * viral_pipeline_scratch_free() (NULL-safe). */
typedef struct viral_pipeline_scratch viral_pipeline_scratch;
viral_pipeline_scratch *viral_pipeline_scratch_create(void);
void viral_pipeline_scratch_free(viral_pipeline_scratch *s);

/* viral_pipeline_transform on a pipeline that is not changed (a hashed
 * feature's name is never collected), working in s: threads that share p
 * give each its own s. The same vector and label, bit for bit. */
int viral_pipeline_transform_with(const viral_pipeline *p, viral_pipeline_scratch *s,
                                  const viral_record *rec, viral_sparse *out, double *label,
                                  viral_error *err);

/* Receives each coordinate as transform computes it (before duplicates are
 * summed): group is the namespace ("numeric", "time", "sound", "creator",
 * "hashtags", "text", "cross" or the spec's "group"), name the readable name
 * ("log1p(views_1h)", "hashtag=fyp"). Strings are valid during the call. */
typedef int (*viral_feature_sink)(void *ctx, uint32_t index, double value, const char *group,
                                  const char *name);

/* The slow, explaining path: the same coordinates as transform, with names
 * taken from the record itself (so values never seen in training are named
 * too). A non-zero return from sink stops and is returned. */
int viral_pipeline_transform_named(viral_pipeline *p, const viral_record *rec,
                                   viral_feature_sink sink, void *ctx, double *label,
                                   viral_error *err);
/* The same on a pipeline that is not changed, working in s (see
 * viral_pipeline_transform_with). */
int viral_pipeline_transform_named_with(const viral_pipeline *p, viral_pipeline_scratch *s,
                                        const viral_record *rec, viral_feature_sink sink,
                                        void *ctx, double *label, viral_error *err);

/* ---- shape and names ---- */

/* Vector dimension: 2^hash_bits, or the dense count when nothing is hashed. */
uint32_t viral_pipeline_dim(const viral_pipeline *p);
/* Number of dense columns k (indices 0..k-1). */
uint32_t viral_pipeline_dense_count(const viral_pipeline *p);

/* Readable name of a vector index into buf (always NUL-terminated): the dense
 * column's name, the name of the hashed value seen in training at that index
 * ("hashtag=fyp", with " (+collisions)" when several were), or "hash[INDEX]".
 * Returns the length the full name needs, like snprintf. */
int viral_pipeline_feature_name(const viral_pipeline *p, uint32_t index, char *buf,
                                size_t size);
/* Namespace of a vector index ("numeric", "hashtags", ...; "hashed" for an
 * unnamed hashed index). Static or owned by p. */
const char *viral_pipeline_feature_group(const viral_pipeline *p, uint32_t index);

/* ---- the training profile, and coordinates in words ---- *
 *
 * While training, the pipeline profiles the rows it transforms (in the same
 * pass, in memory flat in the rows): for each dense column the mean and
 * standard deviation of its value in the vector, and 101 quantiles (0%, 1%,
 * ... 100%) of its feature's input before the transform (the ratio
 * shares/views, not its log), from a seeded reservoir of 4096 inputs; for the
 * hashed indices, how many rows had each, and the names of the names_max most
 * frequent (each the most frequent name met at its index). The profile is
 * saved with the model ("profile" in the pipeline; datasets/FORMATS.md). A
 * model file without one loads and explains without "where it stands". */

/* Start (on = 1, forgetting any earlier profile and names) or finish (on =
 * 0: quantiles computed, names kept by frequency and sorted) profiling the
 * rows viral_pipeline_transform() transforms. VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_pipeline_profile(viral_pipeline *p, int on, viral_error *err);
/* Collective over the processes of an MPI job (viral/dist.h), while
 * profiling, before finishing: the profiles of the processes' shares made
 * the profile of all their rows, on every process (spreads as one process
 * would find them but for the last bits; quantiles from a uniform sample
 * of the union, another one than one process draws; the hashed names kept
 * by any process, by their summed counts). Nothing when not profiling or
 * alone. VIRAL_OK, or an error (the same on every process). */
int viral_pipeline_profile_merge(viral_pipeline *p, viral_error *err);

/* Rows behind p's profile (0: it has none). */
uint64_t viral_pipeline_profile_rows(const viral_pipeline *p);

/* How an input reads (viral_feature_input.kind). */
typedef enum viral_input_kind {
  VIRAL_INPUT_NUMBER = 0, /* a quantity with an order: a count, a ratio, a length */
  VIRAL_INPUT_YESNO,      /* value 1 yes, 0 no (a bool field) */
  VIRAL_INPUT_MISSING,    /* the input is missing (a missing indicator, or a filled value) */
  VIRAL_INPUT_HOUR,       /* value the hour of the day, UTC, in [0, 24) */
  VIRAL_INPUT_WEEKDAY,    /* value the day of the week, 0 Monday .. 6 Sunday */
  VIRAL_INPUT_CATEGORY,   /* a hashed value: the label says it ("music_id = snd_12") */
  VIRAL_INPUT_PRESENT     /* the input is there (a missing indicator at 0) */
} viral_input_kind;

/* One coordinate of a record, for people. */
typedef struct viral_feature_input {
  char name[160];    /* the coordinate's name, as viral_feature_sink gets it ("log1p(views_1h)") */
  char label[160];   /* the input in words: "shares/views at 2h", "views at 1h",
                        "music_id = snd_12", "posting hour" */
  int kind;          /* viral_input_kind */
  double value;      /* the input before its transform (the ratio 0.031, not its log); NAN
                        when there is none to show (a category, a missing input) */
  double percentile; /* NUMBER: share of the profiled rows whose input was lower (ties
                        count half), in [0, 1]; NAN without a profile */
  double share;      /* YESNO, MISSING, PRESENT, CATEGORY: share of the profiled rows where it held
                        (yes, missing, present, that value); NAN without a profile */
} viral_feature_input;

/* Describe the coordinates index[0..n) of rec's vector into out[0..n),
 * working in s (the same coordinates transform computes; an index the row
 * does not have gets the pipeline's name for it and NAN values). VIRAL_OK
 * or the error transform would give. */
int viral_pipeline_describe_with(const viral_pipeline *p, viral_pipeline_scratch *s,
                                 const viral_record *rec, const uint32_t *index, size_t n,
                                 viral_feature_input *out, viral_error *err);

/* A vector index in words, without a record, into buf (always
 * NUL-terminated): a dense column's input ("shares/views at 2h", "views at
 * 1h missing", "posting hour (sin)"), a hashed index's name from training
 * ("hashtag=fyp"), or "hash[INDEX]". Returns the length the full text needs. */
int viral_pipeline_feature_label(const viral_pipeline *p, uint32_t index, char *buf, size_t size);

/* The standard deviation of index's value in the vectors of the profiled
 * rows (a hashed index: sqrt(f (1 - f)), f the share of rows that had it);
 * NAN when the profile does not know it (no profile, an unnamed index). */
double viral_pipeline_spread(const viral_pipeline *p, uint32_t index);

/* ---- single fields ---- */

/* A canonical field of rec read through the spec's field mapping (so
 * "video_id" comes out of vid_url's regex when the spec says so); a field the
 * spec does not map is read from the record column of that name. Returns
 * VIRAL_OK, VIRAL_MISSING, or a negative status with err set. The text
 * borrows from rec or from p and is valid until the next call on either. */
int viral_pipeline_field_text(viral_pipeline *p, const viral_record *rec, const char *name,
                              viral_strview *out, viral_error *err);
/* The same for a time field (unix seconds, UTC). */
int viral_pipeline_field_timestamp(viral_pipeline *p, const viral_record *rec, const char *name,
                                   double *out, viral_error *err);

/* ---- does the input have what the pipeline reads ---- *
 *
 * A pass over a file tallies, for every field the pipeline reads, the rows
 * that lack it, so that an input of another shape (a Research API file fed
 * to a model of canonical fields) is an error instead of a column of equal
 * scores. A field is absent from the input when no record has it: no CSV
 * column of its name (known from the header), no JSON record with the key
 * (known at the end of the pass), a spec "from" that matches nothing. An
 * absent field is an error unless allowed; a field present but missing in
 * more than VIRAL_MISSING_WARN_SHARE of the rows gets a warning. */

/* What a pass reads besides the features' own fields. */
enum {
  VIRAL_READS_LABEL = 1, /* the label rule's fields (train, update, eval, convert) */
  VIRAL_READS_ID = 2     /* video_id, which keys every output row (score) */
};

/* A present field missing in more than this share of the rows is warned of. */
#define VIRAL_MISSING_WARN_SHARE 0.5

/* Start a tally (forgetting any earlier one): reads is a mask of
 * VIRAL_READS_* for the fields read besides the features'. */
int viral_pipeline_tally_begin(viral_pipeline *p, int reads, viral_error *err);

/* Count one record of reader r (r may be NULL). With a CSV reader the first
 * record also checks the header (viral_pipeline_tally_check): returns that
 * check's error, else VIRAL_OK. A field read through a JSON path with an
 * array step counts as in the input once r has seen all of its steps in a
 * record, and r says which step no record had (viral_reader_path_miss). */
int viral_pipeline_tally_record(viral_pipeline *p, const viral_reader *r, const viral_record *rec,
                                viral_error *err);

/* VIRAL_OK, or VIRAL_ERR_MISSING when some field the pipeline reads was in
 * no record so far and the pipeline does not allow missing fields:
 * "f.json: the input lacks fields the spec reads: video_id, views_1h (the
 * input has: id, create_time, ...); map them in the spec's "fields", or
 * --allow-missing". No records, or no tally: VIRAL_OK. */
int viral_pipeline_tally_check(viral_pipeline *p, viral_error *err);

/* The read fields no record had so far, as a list for messages ("saves_2h,
 * watch_ratio_1h and 3 more", names as the check's error gives them) into
 * buf (always NUL-terminated); returns how many there are (0: none, or no
 * tally). */
size_t viral_pipeline_tally_absent(const viral_pipeline *p, char *buf, size_t size);

/* For a row that failed before the tally was checked: when some field read
 * is absent from every record so far (the likelier cause, and the better
 * message), replaces err with the check's error and returns 1 (the pass
 * should stop); else 0 with err as it was. */
int viral_pipeline_tally_explain(viral_pipeline *p, viral_error *err);

/* 1 once a check has passed (a CSV header, or an explicit check). */
int viral_pipeline_tally_checked(const viral_pipeline *p);

/* The warning of the tally in buf (always NUL-terminated), or "" when there
 * is none: "f.csv: fields missing in more than half of the 40 rows:
 * caption 72.5%, saves_2h absent (--allow-missing)". Returns 1 when there
 * is a warning. */
int viral_pipeline_tally_warning(const viral_pipeline *p, char *buf, size_t size);

/* What the tally saw of the label rule's fields, for "no labelled rows"
 * messages: "the label rule 'viral' reads 'viral', missing in 40 of 40
 * rows" (or "not in the input (it has: ...)"). Always NUL-terminated. */
void viral_pipeline_tally_label(const viral_pipeline *p, char *buf, size_t size);

/* Allow (on = 1) or refuse absent fields from now on, e.g. for a model's
 * pipeline loaded from a file. */
void viral_pipeline_set_allow_missing(viral_pipeline *p, int on);

/* The leakage guard for a field read outside the features (the views
 * baseline of an evaluation): VIRAL_OK when the field called name is
 * observed within the window (its "observed" mapping, else its "_<H>h"
 * suffix, else the canonical fields' times), or when the pipeline allows
 * leakage (it then reports that it leaks); else VIRAL_ERR_INVALID with err
 * naming the field, what reads it (what: "the views baseline") and when it
 * is observed. */
int viral_pipeline_check_observed(viral_pipeline *p, const char *name, const char *what,
                                  viral_error *err);

/* ---- label, window, leakage ---- */

/* The label rule as text ("top:10%:views_final"), or "" when the spec has none. */
const char *viral_pipeline_label_rule(const viral_pipeline *p);
/* The fitted (or given) threshold of the label rule; NAN for a bool field rule
 * or before a quantile rule is fitted. */
double viral_pipeline_label_threshold(const viral_pipeline *p);
/* Observation window in hours. */
double viral_pipeline_window_hours(const viral_pipeline *p);
/* 1 when built with allow_leakage and some feature uses a field observed
 * after the window (every report must say so). */
int viral_pipeline_leaks(const viral_pipeline *p);
/* Spec name ("default", "tiktok-trending-2020"). */
const char *viral_pipeline_name(const viral_pipeline *p);

/* Reader options the spec asks for ("input": {"format", "json_path"}):
 * fills the format and json_path of opts when the spec sets them, and the
 * field paths (the fields' `from` with an array step, "hashtags[].name"),
 * and leaves the rest. json_path and field_paths point into p. */
void viral_pipeline_reader_options(const viral_pipeline *p, viral_reader_options *opts);

/* The spec's "assemble" section (a preset's: datasets/PRESETS.md): `viral
 * assemble` options by their long names, each value as typed ("" for a
 * flag). The count, and option i's name and value (pointing into p). */
size_t viral_pipeline_assemble_count(const viral_pipeline *p);
void viral_pipeline_assemble_option(const viral_pipeline *p, size_t i, const char **name,
                                    const char **value);

#ifdef __cplusplus
}
#endif
#endif
