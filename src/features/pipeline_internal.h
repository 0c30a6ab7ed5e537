/* pipeline_internal.h - the pipeline's insides, shared by spec.c (building,
 * serializing) and transform.c (per-row work). Not installed. */
#ifndef VIRAL_PIPELINE_INTERNAL_H
#define VIRAL_PIPELINE_INTERNAL_H

#include <regex.h>

#include <cJSON.h>

#include "io/text.h"
#include "viral/features.h"

/* Observation time of an outcome: after every window. */
#define OBSERVED_OUTCOME 1e300

typedef enum parse_rule {
  PARSE_NUMBER,
  PARSE_COUNT,     /* "1.4M"; negative is an error */
  PARSE_DURATION,  /* "mm:ss" */
  PARSE_BOOL,
  PARSE_TIMESTAMP, /* optional strptime format and tz offset */
  PARSE_TEXT,
  PARSE_LIST,      /* optional separators */
  PARSE_REGEX      /* first capture group of a POSIX extended regex */
} parse_rule;

static inline int rule_is_numeric_(parse_rule r) { return r <= PARSE_TIMESTAMP; }
static inline int rule_is_text_(parse_rule r) { return r == PARSE_TEXT || r == PARSE_REGEX; }

/* Limits on a spec's regular expressions (spec_regex.c says why; documented
 * in datasets/SPEC.md): the pattern's length, its size with repeats
 * expanded, and the length of a value it is matched against. */
#define VIRAL_REGEX_MAX_PATTERN 256
#define VIRAL_REGEX_MAX_SIZE 256
#define VIRAL_REGEX_MAX_SUBJECT 4096

/* 0 when pattern is within the limits and has no back-reference, else -1
 * with the problem in why (why_size bytes). Run it before regcomp(). */
int spec_regex_check(const char *pattern, char *why, size_t why_size);

typedef struct field_def {
  char *name;       /* canonical name */
  char *source;     /* column in the data (== name unless mapped) */
  parse_rule rule;
  char *format;     /* timestamp: strptime format, NULL: automatic */
  int tz_minutes;   /* timestamp: offset of naive times */
  double unit;      /* timestamp: seconds per unit of a number (1; ms 0.001; us 1e-6) */
  char *separators; /* list: NULL: the reader's default */
  char *pattern;    /* regex */
  regex_t re;
  int has_re;
  double observed;  /* hours after posting; OBSERVED_OUTCOME for outcomes; <0 unknown */
} field_def;

typedef enum transform_kind {
  T_IDENTITY, T_LOG1P, T_CLIP, T_LOGIT, T_BOOL, T_MISSING, T_RATIO, T_GROWTH, T_LOG_RATIO, T_TIMES_LOG1P,
  T_VELOCITY, T_ACCEL,
  T_LOG_VIEWS, T_HOUR, T_WEEKDAY, T_AGE, T_LENGTH, T_COUNT, T_MENTIONS,
  T_HASH, T_HASH_LIST, T_CROSS
} transform_kind;

typedef struct feature_def {
  transform_kind kind;
  char *name;       /* dense: column name; hashed: prefix of "name=value" */
  char *group;      /* namespace */
  int field[3];     /* indices into pipeline fields */
  int nfields;
  double lo, hi;    /* clip, logit: bounds */
  double on_zero;   /* ratio: value when the denominator is 0 */
  int has_fill;     /* missing policy */
  double fill;
  int indicator;
  int scale;        /* value column is scaled */
  uint32_t col;     /* first dense column */
  int ncols;        /* dense columns owned: values (+1 indicator) */
  uint32_t seed;    /* hashed: per-feature seed */
} feature_def;

/* What training saw of a dense column (profile.c): the spread of its value
 * in the vector, for inspect's importance, and the quantiles of the
 * feature's input (the ratio, not its log), for "top 4% of training". */
typedef struct col_profile {
  double mean, sd;   /* of the column's vector value over the profiled rows; NAN: none */
  double *q;         /* [PROFILE_QUANTILES] input at 0%, 1%, ... 100%, or NULL */
  /* while profiling: Welford over the rows, a reservoir of inputs */
  double n, m, m2;
  double *res;       /* [PROFILE_RESERVOIR] */
  uint64_t seen;     /* inputs offered to res */
} col_profile;

typedef struct dense_col {
  char *name;
  const char *group;
  int scaled;
  double a, b;      /* fitted: mean/std or min/max */
  /* fit accumulators (Welford) */
  double n, mean, m2, min, max;
  size_t feature;   /* the feature that owns it (index into features) */
  int offset;       /* which of its columns: 0 value (sin for hour/weekday), 1 cos, last indicator */
  col_profile prof;
} dense_col;

enum { LABEL_NONE, LABEL_BOOL, LABEL_CMP, LABEL_TOP, LABEL_RATIO };
enum { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ, OP_NE };

typedef struct label_rule {
  int kind;
  char *text;
  int field, field2; /* indices into fields; field2 for ratio */
  int op;
  double threshold;  /* CMP/RATIO: given; TOP: fitted (NAN before) */
  double top_percent;
  /* TOP fitting: the training values */
  double *values;
  size_t nvalues, cap;
} label_rule;

/* A hashed coordinate of the row being profiled, noted when the row ends
 * (profile_row_end): its count and name are cache misses in tables of
 * 2^hash_bits, asked for when it is queued so that they arrive while the
 * rest of the row is worked out. */
typedef struct pending_note {
  uint32_t index;
  const feature_def *f;
  viral_strview a, b; /* b: a cross's second value (has_b) */
  int has_b;
} pending_note;

typedef struct name_entry {
  uint32_t index;
  int collided;
  char *group;
  char *name;
  uint64_t count;   /* profiled rows that had this index (0: not profiled) */
  uint32_t votes;   /* while profiling: the majority vote that keeps the most frequent name */
  size_t heap_pos;  /* while profiling: place in the heap of names by count */
} name_entry;

/* Per-row cache of a field's parsed value (in a viral_pipeline_scratch). */
typedef struct field_value {
  int state;        /* 0 not read, 1 present, 2 missing */
  double num;
  double lg;        /* log1p(num) once computed (has_lg) */
  int has_lg;
  viral_strview text;
  viral_strview *items;
  size_t count, cap;
  char *buf;        /* scratch: NUL-terminated copy for regex/strptime */
  size_t buf_cap;
} field_value;

/* What transforming a row writes, kept apart from the pipeline so that one
 * pipeline (a loaded model's) transforms rows in several threads at once,
 * each with its own scratch: the fields bound to a record schema's columns
 * and the row's parsed values. Made for any pipeline: it follows the one it
 * is used with (pipeline_id), growing when that one has more fields. */
struct viral_pipeline_scratch {
  uint64_t pipeline_id; /* the pipeline the bindings are of (viral_pipeline.id) */
  uint64_t schema_id;   /* the record schema they are of */
  int bound;
  size_t cap;           /* fields room is made for */
  long *cols;           /* [cap] bound record column of each field, -1 when absent */
  field_value *values;  /* [cap] the row's parsed values */
  char *namebuf;        /* "name=value" of a hashed coordinate */
  size_t namebuf_cap;
};

struct viral_pipeline {
  uint64_t id;      /* process-unique, what a scratch's bindings are of */
  char *source;     /* spec file name, for messages */
  cJSON *spec;      /* the spec document (with option overrides applied) */
  char *name;
  double window;
  int hash_bits;
  uint32_t hash_seed;
  int signed_hash;
  int scaling;      /* 0 none, 1 standard, 2 minmax */
  size_t names_max;
  int allow_leakage, leaks;
  viral_format input_format; /* the spec's "input": "format", VIRAL_FORMAT_AUTO when none */
  char *json_path;
  const char **field_paths; /* [nfield_paths]: the sources with an array step (into fields) */
  size_t nfield_paths;
  const char **assemble_names, **assemble_values; /* [nassemble]: the "assemble" section (into spec) */
  size_t nassemble;

  field_def *fields;
  size_t nfields;
  feature_def *features;
  size_t nfeatures;
  dense_col *cols;
  uint32_t ncols;
  int any_hashed;
  label_rule label;

  int fitted, fitting;
  int collecting_names; /* transform also notes names of hashed features */
  name_entry *names; /* sorted by index once fitted */
  size_t nnames, names_cap;
  uint32_t *name_slots; /* fitting: open addressing over names (index+1, 0 empty) */
  size_t slots_cap;
  /* [2^hash_bits / 64] with name_slots: bit i set when index i has nothing
   * left to note (its name collided, or it is unnamed and names[] is full),
   * so the rows after need no lookup there */
  uint64_t *names_done;

  /* the training profile (profile.c): rows behind it (0: none, e.g. a model
   * file older than it), and what profiling needs while it runs */
  uint64_t profile_rows;
  int profiling;
  uint64_t profile_rng;
  double *row_x, *row_in;   /* [ncols] the row being profiled: vector value, input (NAN: none) */
  uint32_t *bucket_count;   /* [2^hash_bits] rows that had each hashed index */
  uint32_t *bucket_entry;   /* [2^hash_bits] names[] index + 1 of the index's name, 0: none */
  uint32_t *heap;           /* [names_max] names[] indices, min-heap by bucket_count */
  uint32_t *heap_counts;    /* [names_max] bucket_count of each heap place's index */
  pending_note *pending;    /* [npending] the row's hashed coordinates, in order */
  size_t npending, pending_cap;

  /* read-only while transforming, filled when the pipeline is built */
  double *log1p_table; /* [LOG1P_TABLE]: log1p(i); NULL without memory (then computed) */
  double weekday_table[7][2]; /* sin, cos of each day's angle */
  /* the scratch of the transforms given a pipeline they may change (viral_pipeline_transform) */
  viral_pipeline_scratch own;

  /* the last names find_field was asked for and their fields (transform.c):
   * callers ask for the same ones (video_id, posted_at) on every row */
  struct {
    char name[32];  /* "" unused */
    int index;      /* -1: not a field of the pipeline */
    size_t nfields; /* the fields there were then */
  } found[2];
  int found_next;

  /* input tally (input.c) */
  int allow_missing;
  int id_field;           /* index of video_id in fields */
  int tally_on, tally_checked;
  uint64_t tally_rows;
  uint64_t tally_schema;  /* schema id the columns below were taken from */
  int tally_has_schema;
  uint64_t *tally_missing; /* [nfields] rows that lacked the field */
  unsigned char *tally_read; /* [nfields] 1: the pass reads it */
  size_t *tally_list;     /* [tally_count] the indices of the fields read */
  size_t tally_count;
  unsigned char *tally_seen; /* [nfields] 1: some record had its column (a path: all its steps) */
  char **tally_miss;      /* [nfields] a path field not seen: the step no record had, or NULL */
  char *tally_source;     /* the records' file, for messages */
  char *tally_columns;    /* the input's field names, for messages */
};

/* Whole numbers below this get log1p from a table (8 KiB). */
#define LOG1P_TABLE 1024

enum { SCALING_NONE, SCALING_STANDARD, SCALING_MINMAX };

/* spec.c */
int pipeline_sort_names(viral_pipeline *p, viral_error *err);
/* A JSON number, or a raw number from viral_pipeline_to_json(): 1 and *out,
 * or 0 when item is neither. */
int pipeline_json_number(const cJSON *item, double *out);
/* The spec's name of a transform ("log_ratio"). */
const char *pipeline_transform_name(transform_kind kind);
/* The name entry of hashed index, NULL when none (or while names change). */
const name_entry *pipeline_lookup_name(const viral_pipeline *p, uint32_t index);
/* transform.c */
/* The tables transform reads (log1p of small counts, weekday circle), when p is built. */
void pipeline_tables(viral_pipeline *p);
/* Drop the lookup structures over names[] (name_slots, names_done): after
 * sorting names[], or to start collecting again. */
void pipeline_drop_name_slots(viral_pipeline *p);
/* Free names[] (none left) and the lookup over it. */
void pipeline_forget_names(viral_pipeline *p);
/* Bind p's fields to rec's columns in s (cached per pipeline and schema);
 * VIRAL_OK or VIRAL_ERR_NOMEM (s grows to p's fields). */
int pipeline_bind(const viral_pipeline *p, viral_pipeline_scratch *s, const viral_record *rec);
/* Free what s holds (not s itself). */
void pipeline_scratch_release(viral_pipeline_scratch *s);
/* input.c */
void pipeline_tally_free(viral_pipeline *p);
/* profile.c */
#define PROFILE_QUANTILES 101
#define PROFILE_RESERVOIR 4096
/* Tie each dense column to the feature that owns it (when p is built). */
void profile_link_columns(viral_pipeline *p);
/* Free the profile and what profiling holds. */
void profile_release(viral_pipeline *p);
/* The input of present feature f in the row of s, before its transform
 * (the ratio of a log_ratio, the raw count of a log1p; value: its first
 * transformed value), NAN when it has none to show; *kind its
 * viral_input_kind. */
double profile_input(const viral_pipeline_scratch *s, const feature_def *f, double value, int *kind);
/* While profiling: a row starts, a coordinate of its hashed feature f
 * (values a, b, in the row of s) is queued, and the row ends well
 * (profile_row_end) or not (profile_row_fail: the coordinates queued before
 * its error still count). The queue is noted at either end, in order;
 * VIRAL_ERR_NOMEM without memory. */
void profile_row_begin(viral_pipeline *p);
int profile_queue_hashed(viral_pipeline *p, uint32_t index, const feature_def *f, viral_strview a,
                         const viral_strview *b);
int profile_row_end(viral_pipeline *p, viral_pipeline_scratch *s);
int profile_row_fail(viral_pipeline *p, viral_pipeline_scratch *s);
/* Describe into out: column offset of dense feature f (present or not,
 * input and kind as profile_input gave them); hashed coordinate index of f
 * named name (values a, b); an index by the pipeline alone. */
void profile_describe_dense(const viral_pipeline *p, const feature_def *f, int offset, int present,
                            double input, int kind, viral_feature_input *out);
void profile_describe_hashed(const viral_pipeline *p, const feature_def *f, uint32_t index,
                             const char *name, viral_strview a, const viral_strview *b,
                             viral_feature_input *out);
void profile_describe_index(const viral_pipeline *p, uint32_t index, viral_feature_input *out);
/* The "profile" member of the pipeline's JSON (NULL when p has none, or
 * with *nomem set when memory ran out), and reading it back (json NULL:
 * no profile). */
cJSON *profile_to_json(const viral_pipeline *p, int *nomem);
int profile_from_json(viral_pipeline *p, const cJSON *json, const char *source, viral_error *err);
/* transform.c, for profile.c */
/* "name=value" (or "name=a^b") of a hashed coordinate in s->namebuf; NULL without memory. */
const char *pipeline_hashed_name(viral_pipeline_scratch *s, const feature_def *f, viral_strview a,
                                 const viral_strview *b);
/* 1 when name is pipeline_hashed_name's for (f, a, b). */
int pipeline_name_is(const char *name, const feature_def *f, viral_strview a, const viral_strview *b);
/* Records tallied so far. */
uint64_t pipeline_tally_rows(const viral_pipeline *p);
/* The tally as numbers to sum over the processes of a job (viral_rows_sum_shares):
 * pipeline_tally_size of them, saved into v, and loaded back from the sums. */
size_t pipeline_tally_size(const viral_pipeline *p);
void pipeline_tally_save(const viral_pipeline *p, uint64_t *v);
void pipeline_tally_load(viral_pipeline *p, const uint64_t *v);

/* Name hashed index as another process of a job named it (fit_pool.c):
 * as the fit notes names, and collided when that process saw a collision. */
int pipeline_pool_name(viral_pipeline *p, uint32_t index, const char *group, const char *name,
                       int collided);

/* fit_pool.c: collective over the job's processes (viral/dist.h), between
 * the fit of each process's records and viral_pipeline_fit_end: every
 * process gets what all fitted (the label values of a quantile rule, the
 * scaling statistics, combined in rank order, the names of hashed indices,
 * noted in rank order). VIRAL_OK or an error, the same on every process. */
int pipeline_fit_pool(viral_pipeline *p, viral_error *err);

#endif
