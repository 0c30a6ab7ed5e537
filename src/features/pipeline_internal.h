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
  T_IDENTITY, T_LOG1P, T_CLIP, T_BOOL, T_MISSING, T_RATIO, T_GROWTH, T_LOG_RATIO, T_VELOCITY, T_ACCEL,
  T_LOG_VIEWS, T_HOUR, T_WEEKDAY, T_AGE, T_LENGTH, T_COUNT, T_MENTIONS,
  T_HASH, T_HASH_LIST, T_CROSS
} transform_kind;

typedef struct feature_def {
  transform_kind kind;
  char *name;       /* dense: column name; hashed: prefix of "name=value" */
  char *group;      /* namespace */
  int field[3];     /* indices into pipeline fields */
  int nfields;
  double lo, hi;    /* clip bounds */
  double on_zero;   /* ratio: value when the denominator is 0 */
  int has_fill;     /* missing policy */
  double fill;
  int indicator;
  int scale;        /* value column is scaled */
  uint32_t col;     /* first dense column */
  int ncols;        /* dense columns owned: values (+1 indicator) */
  uint32_t seed;    /* hashed: per-feature seed */
} feature_def;

typedef struct dense_col {
  char *name;
  const char *group;
  int scaled;
  double a, b;      /* fitted: mean/std or min/max */
  /* fit accumulators (Welford) */
  double n, mean, m2, min, max;
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

typedef struct name_entry {
  uint32_t index;
  int collided;
  char *group;
  char *name;
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

  /* read-only while transforming, filled when the pipeline is built */
  double *log1p_table; /* [LOG1P_TABLE]: log1p(i); NULL without memory (then computed) */
  double weekday_table[7][2]; /* sin, cos of each day's angle */
  /* the scratch of the transforms given a pipeline they may change (viral_pipeline_transform) */
  viral_pipeline_scratch own;

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
/* transform.c */
/* The tables transform reads (log1p of small counts, weekday circle), when p is built. */
void pipeline_tables(viral_pipeline *p);
/* Drop the lookup structures over names[] (name_slots, names_done): after
 * sorting names[], or to start collecting again. */
void pipeline_drop_name_slots(viral_pipeline *p);
/* Bind p's fields to rec's columns in s (cached per pipeline and schema);
 * VIRAL_OK or VIRAL_ERR_NOMEM (s grows to p's fields). */
int pipeline_bind(const viral_pipeline *p, viral_pipeline_scratch *s, const viral_record *rec);
/* Free what s holds (not s itself). */
void pipeline_scratch_release(viral_pipeline_scratch *s);
/* input.c */
void pipeline_tally_free(viral_pipeline *p);
/* Records tallied so far. */
uint64_t pipeline_tally_rows(const viral_pipeline *p);

#endif
