/* spec.c - reading and checking a feature spec, the leakage guard, the label
 * rule grammar, names of vector indices, and serialization of the fitted
 * pipeline (viral/features.h, pipeline_json.h).
 *
 * Spec errors read "SPEC: KEY: problem", KEY being a path into the document
 * such as features[2].transform, so a user can find the line to fix. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_internal.h"
#include "features/pipeline_json.h"
#include "io/json_number.h"
#include "io/json_path.h"
#include "io/read_file.h"
#include "io/value_internal.h"

/* ---- small helpers ---- */

static int spec_error(viral_error *err, const viral_pipeline *p, const char *key, const char *fmt,
                      ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#include <stdarg.h>
static int spec_error(viral_error *err, const viral_pipeline *p, const char *key, const char *fmt,
                      ...) {
  char msg[VIRAL_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return viral_error_set(err, VIRAL_ERR_INVALID, p->source, 0, "%s: %s", key, msg);
}

static int nomem(viral_error *err, const viral_pipeline *p) {
  return viral_error_set(err, VIRAL_ERR_NOMEM, p ? p->source : NULL, 0, "out of memory");
}

/* "2h", "90m", "1d", "0" -> hours (the one duration syntax,
 * viral_parse_interval); -1 when malformed. */
static double parse_hours(const char *s) {
  double h;
  return viral_parse_interval(s, strlen(s), 'h', 'h', &h) == VIRAL_OK ? h : -1;
}

/* Hours from a "_<H>h" suffix ("views_24h" -> 24), -1 when there is none. */
static double suffix_hours(const char *name) {
  size_t n = strlen(name);
  if (n < 3 || name[n - 1] != 'h') return -1;
  size_t i = n - 1;
  while (i > 0 && isdigit((unsigned char)name[i - 1])) i--;
  if (i == n - 1 || i == 0 || name[i - 1] != '_') return -1;
  return strtod(name + i, NULL);
}

static int has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Canonical fields of DESIGN.md section 2 known when the video is posted. */
static const char *const known_at_posting[] = {
    "video_id", "posted_at", "author_id", "author_followers", "author_verified", "duration_s",
    "music_id", "music_original", "hashtags", "caption", "category", NULL};

static int in_list(const char *name, const char *const *list) {
  for (; *list; list++)
    if (strcmp(name, *list) == 0) return 1;
  return 0;
}

static int is_outcome_name(const char *name) {
  return strcmp(name, "viral") == 0 || ends_with(name, "_final");
}

static double default_observed(const char *name) {
  double h = suffix_hours(name);
  if (h >= 0) return h;
  if (in_list(name, known_at_posting)) return 0;
  if (is_outcome_name(name)) return OBSERVED_OUTCOME;
  return -1;
}

static parse_rule default_rule(const char *name) {
  static const char *const counts[] = {"views_", "likes_", "shares_", "comments_", "saves_", NULL};
  for (const char *const *c = counts; *c; c++)
    if (has_prefix(name, *c)) return PARSE_COUNT;
  if (strcmp(name, "author_followers") == 0) return PARSE_COUNT;
  if (strcmp(name, "posted_at") == 0 || strcmp(name, "observed_at") == 0) return PARSE_TIMESTAMP;
  if (strcmp(name, "author_verified") == 0 || strcmp(name, "music_original") == 0 ||
      strcmp(name, "viral") == 0)
    return PARSE_BOOL;
  if (strcmp(name, "duration_s") == 0) return PARSE_DURATION;
  if (strcmp(name, "hashtags") == 0) return PARSE_LIST;
  if (strcmp(name, "video_id") == 0 || strcmp(name, "author_id") == 0 ||
      strcmp(name, "music_id") == 0 || strcmp(name, "caption") == 0 ||
      strcmp(name, "category") == 0)
    return PARSE_TEXT;
  return PARSE_NUMBER;
}

static const char *const rule_names[] = {"number", "count", "duration", "bool",
                                         "timestamp", "text", "list", "regex", NULL};


/* A spec error at member name of the object at path where ("features.3"). A
 * path longer than the buffer is cut: it only names the place in a message. */
static int member_error(viral_pipeline *p, const char *where, const char *name,
                        const char *message, viral_error *err) {
  char key[256];
  if (snprintf(key, sizeof key, "%s%s%s", where, *where ? "." : "", name) < 0) key[0] = '\0';
  return spec_error(err, p, key, "%s", message);
}

/* 1 when a member before c has c's key. */
static int key_seen_before(const cJSON *obj, const cJSON *c) {
  for (const cJSON *b = obj->child; b != c; b = b->next)
    if (strcmp(b->string, c->string) == 0) return 1;
  return 0;
}

/* Check that obj has only keys from allowed ("note" is always allowed), each
 * once: a second one would be ignored without a word. The duplicate search
 * only ever runs over known keys, a handful. */
static int check_keys(viral_pipeline *p, const cJSON *obj, const char *where,
                      const char *const *allowed, viral_error *err) {
  for (const cJSON *c = obj->child; c; c = c->next) {
    int known = strcmp(c->string, "note") == 0 || in_list(c->string, allowed);
    if (known && !key_seen_before(obj, c)) continue;
    return member_error(p, where, c->string, known ? "given twice" : "unknown key", err);
  }
  return VIRAL_OK;
}

/* A JSON number, or a raw number from viral_pipeline_to_json(): 1 and *out,
 * or 0 when item is neither. */
int pipeline_json_number(const cJSON *item, double *out) {
  if (cJSON_IsNumber(item)) {
    *out = item->valuedouble;
    return 1;
  }
  if (!cJSON_IsRaw(item) || !item->valuestring) return 0;
  char *end = NULL;
  double x = strtod(item->valuestring, &end);
  if (end == item->valuestring || *end) return 0;
  *out = x;
  return 1;
}

/* Replace every number in the tree by its exact raw form (cJSON's own
 * printing is not exact: io/json_number.h). */
static int exact_numbers(cJSON *node) {
  for (cJSON *c = node->child; c; c = c->next) {
    if (cJSON_IsNumber(c)) {
      cJSON *raw = viral_json_exact_number(c->valuedouble);
      if (!raw) return VIRAL_ERR_NOMEM;
      /* the member keeps its key, moved over; replaced by pointer, never by
       * name, which finds the first of two equal keys (and looped forever) */
      raw->string = c->string;
      raw->type |= c->type & cJSON_StringIsConst;
      c->string = NULL;
      cJSON_ReplaceItemViaPointer(node, c, raw);
      c = raw;
    } else if (exact_numbers(c) != VIRAL_OK) {
      return VIRAL_ERR_NOMEM;
    }
  }
  return VIRAL_OK;
}

/* The path of the first number in node that is not finite (1e999 reads as
 * infinity), appended to path[len, size); 1 when there is one. Nothing in a
 * spec may be infinite: it could not be written back. */
static int find_infinite(const cJSON *node, char *path, size_t len, size_t size) {
  size_t i = 0;
  for (const cJSON *c = node->child; c; c = c->next, i++) {
    size_t n = len;
    if (c->string) n += (size_t)snprintf(path + len, size - len, "%s%s", len ? "." : "", c->string);
    else n += (size_t)snprintf(path + len, size - len, "[%zu]", i);
    if (n >= size) n = size - 1;
    if (cJSON_IsNumber(c) ? !isfinite(c->valuedouble) : find_infinite(c, path, n, size)) return 1;
  }
  path[len] = '\0';
  return 0;
}

/* Typed getters: absent is fine (returns 0, leaves *out), wrong type an error. */
static int get_string(viral_pipeline *p, const cJSON *obj, const char *where, const char *name,
                      const char **out, viral_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsString(v)) {
    return member_error(p, where, name, "expected a string", err);
  }
  *out = v->valuestring;
  return 1;
}

static int get_number(viral_pipeline *p, const cJSON *obj, const char *where, const char *name,
                      double *out, viral_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v) return 0;
  if (!pipeline_json_number(v, out)) {
    return member_error(p, where, name, "expected a number", err);
  }
  return 1;
}

static int get_bool(viral_pipeline *p, const cJSON *obj, const char *where, const char *name,
                    int *out, viral_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!v) return 0;
  if (!cJSON_IsBool(v)) {
    return member_error(p, where, name, "expected true or false", err);
  }
  *out = cJSON_IsTrue(v);
  return 1;
}

/* ---- fields ---- */

static int find_field(const viral_pipeline *p, const char *name) {
  for (size_t i = 0; i < p->nfields; i++)
    if (strcmp(p->fields[i].name, name) == 0) return (int)i;
  return -1;
}

static int add_field(viral_pipeline *p, const char *name, viral_error *err) {
  field_def *grown = realloc(p->fields, (p->nfields + 1) * sizeof *grown);
  if (!grown) return nomem(err, p);
  p->fields = grown;
  field_def *f = &p->fields[p->nfields];
  memset(f, 0, sizeof *f);
  f->name = text_dup(name);
  f->source = text_dup(name);
  if (!f->name || !f->source) {
    free(f->name);
    free(f->source);
    return nomem(err, p);
  }
  f->rule = default_rule(name);
  f->observed = default_observed(name);
  f->unit = 1;
  return (int)p->nfields++;
}

/* Index of the field called name, adding a canonical one when the spec did
 * not map it. */
static int use_field(viral_pipeline *p, const char *name, viral_error *err) {
  int i = find_field(p, name);
  return i >= 0 ? i : add_field(p, name, err);
}

/* "+07:00", "-0530", "UTC", "Z" -> minutes east of UTC. */
static int parse_tz(const char *s, int *minutes) {
  if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
    *minutes = 0;
    return 0;
  }
  int sign = s[0] == '-' ? -1 : s[0] == '+' ? 1 : 0;
  if (!sign) return -1;
  int hh = 0, mm = 0;
  if (sscanf(s + 1, "%2d:%2d", &hh, &mm) != 2 && sscanf(s + 1, "%2d%2d", &hh, &mm) != 2) return -1;
  if (hh > 14 || mm > 59) return -1;
  *minutes = sign * (hh * 60 + mm);
  return 0;
}

/* A JSON path (datasets/FORMATS.md) must parse: a `from` with an array step
 * (only those are followed as paths, when only_arrays), or input.json_path. */
static int check_path(viral_pipeline *p, const char *key, const char *text, int only_arrays,
                      viral_error *err) {
  if (only_arrays && !json_path_has_array_step(text)) return VIRAL_OK;
  json_path path;
  char why[128];
  int rc = json_path_parse(&path, text, why, sizeof why);
  json_path_release(&path);
  if (rc == -1) return nomem(err, p);
  return rc ? spec_error(err, p, key, "json path '%s': %s", text, why) : VIRAL_OK;
}

/* The sources that are JSON paths with an array step, for the reader. */
static int list_field_paths(viral_pipeline *p, viral_error *err) {
  if (!(p->field_paths = calloc(p->nfields + 1, sizeof *p->field_paths))) return nomem(err, p);
  for (size_t i = 0; i < p->nfields; i++)
    if (json_path_has_array_step(p->fields[i].source)) p->field_paths[p->nfield_paths++] = p->fields[i].source;
  return VIRAL_OK;
}

static int parse_fields(viral_pipeline *p, const cJSON *fields, viral_error *err) {
  static const char *const keys[] = {"from", "parse", "format", "tz", "separator",
                                     "regex", "observed", "unit", NULL};
  if (!fields) return VIRAL_OK;
  if (!cJSON_IsObject(fields)) return spec_error(err, p, "fields", "expected an object");
  for (const cJSON *f = fields->child; f; f = f->next) {
    char where[256];
    snprintf(where, sizeof where, "fields.%s", f->string);
    if (!cJSON_IsObject(f)) return spec_error(err, p, where, "expected an object");
    if (find_field(p, f->string) >= 0) return spec_error(err, p, where, "field mapped twice");
    int rc = check_keys(p, f, where, keys, err);
    if (rc) return rc;
    int i = add_field(p, f->string, err);
    if (i < 0) return i;
    field_def *fd = &p->fields[i];
    const char *s = NULL;
    if ((rc = get_string(p, f, where, "from", &s, err)) < 0) return rc;
    if (rc) {
      char key[300];
      snprintf(key, sizeof key, "%s.from", where);
      if ((rc = check_path(p, key, s, 1, err))) return rc;
      free(fd->source);
      if (!(fd->source = text_dup(s))) return nomem(err, p);
    }
    s = NULL;
    if ((rc = get_string(p, f, where, "parse", &s, err)) < 0) return rc;
    if (rc) {
      int r = 0;
      while (rule_names[r] && strcmp(rule_names[r], s) != 0) r++;
      if (!rule_names[r]) {
        char key[300];
        snprintf(key, sizeof key, "%s.parse", where);
        return spec_error(err, p, key, "unknown parse rule '%s' (number, count, duration, bool, "
                                       "timestamp, text, list, regex)", s);
      }
      fd->rule = (parse_rule)r;
    }
    s = NULL;
    if ((rc = get_string(p, f, where, "format", &s, err)) < 0) return rc;
    if (rc && !(fd->format = text_dup(s))) return nomem(err, p);
    s = NULL;
    if ((rc = get_string(p, f, where, "tz", &s, err)) < 0) return rc;
    if (rc && parse_tz(s, &fd->tz_minutes) != 0) {
      char key[300];
      snprintf(key, sizeof key, "%s.tz", where);
      return spec_error(err, p, key, "bad time zone '%s' (UTC, +07:00, -0530)", s);
    }
    s = NULL;
    if ((rc = get_string(p, f, where, "unit", &s, err)) < 0) return rc;
    if (rc) {
      char key[300];
      snprintf(key, sizeof key, "%s.unit", where);
      fd->unit = strcmp(s, "s") == 0 ? 1 : strcmp(s, "ms") == 0 ? 1e-3 : strcmp(s, "us") == 0 ? 1e-6 : 0;
      if (!fd->unit) return spec_error(err, p, key, "expected 's', 'ms' or 'us', not '%s'", s);
      if (fd->rule != PARSE_TIMESTAMP || fd->format)
        return spec_error(err, p, key, "a unit is for timestamps given as numbers (parse "
                                       "'timestamp' without a format)");
    }
    s = NULL;
    if ((rc = get_string(p, f, where, "separator", &s, err)) < 0) return rc;
    if (rc && !(fd->separators = text_dup(s))) return nomem(err, p);
    s = NULL;
    if ((rc = get_string(p, f, where, "regex", &s, err)) < 0) return rc;
    if (rc) {
      char key[300];
      snprintf(key, sizeof key, "%s.regex", where);
      if (!(fd->pattern = text_dup(s))) return nomem(err, p);
      char why[160];
      if (spec_regex_check(s, why, sizeof why) != 0)
        return spec_error(err, p, key, "regular expression '%s': %s", s, why);
      if (regcomp(&fd->re, s, REG_EXTENDED) != 0)
        return spec_error(err, p, key, "bad regular expression '%s'", s);
      fd->has_re = 1;
      if (fd->re.re_nsub < 1) return spec_error(err, p, key, "the regex needs a capture group");
      if (fd->rule != PARSE_REGEX) fd->rule = PARSE_REGEX;
    } else if (fd->rule == PARSE_REGEX) {
      return spec_error(err, p, where, "parse 'regex' needs a \"regex\" key");
    }
    s = NULL;
    if ((rc = get_string(p, f, where, "observed", &s, err)) < 0) return rc;
    if (rc) {
      if (strcmp(s, "outcome") == 0) {
        fd->observed = OBSERVED_OUTCOME;
      } else if ((fd->observed = parse_hours(s)) < 0) {
        char key[300];
        snprintf(key, sizeof key, "%s.observed", where);
        return spec_error(err, p, key, "expected hours after posting ('0h', '24h') or 'outcome', "
                                       "not '%s'", s);
      }
    }
  }
  return VIRAL_OK;
}

/* "assemble": viral assemble's options by their long names, each a string
 * (the value as typed) or true (a flag); the names are viral assemble's to
 * check. The texts point into the spec document. */
static int parse_assemble(viral_pipeline *p, const cJSON *section, viral_error *err) {
  if (!section) return VIRAL_OK;
  if (!cJSON_IsObject(section)) return spec_error(err, p, "assemble", "expected an object");
  size_t n = (size_t)cJSON_GetArraySize(section);
  if (!(p->assemble_names = calloc(n + 1, sizeof *p->assemble_names)) ||
      !(p->assemble_values = calloc(n + 1, sizeof *p->assemble_values)))
    return nomem(err, p);
  for (const cJSON *o = section->child; o; o = o->next) {
    char where[300];
    snprintf(where, sizeof where, "assemble.%s", o->string);
    if (key_seen_before(section, o)) return spec_error(err, p, where, "given twice");
    if (!cJSON_IsString(o) && !cJSON_IsTrue(o))
      return spec_error(err, p, where, "expected a string (the option's value as typed) or true (a flag)");
    p->assemble_names[p->nassemble] = o->string;
    p->assemble_values[p->nassemble++] = cJSON_IsString(o) ? o->valuestring : "";
  }
  return VIRAL_OK;
}

size_t viral_pipeline_assemble_count(const viral_pipeline *p) { return p->nassemble; }

void viral_pipeline_assemble_option(const viral_pipeline *p, size_t i, const char **name,
                                    const char **value) {
  *name = i < p->nassemble ? p->assemble_names[i] : NULL;
  *value = i < p->nassemble ? p->assemble_values[i] : NULL;
}

/* ---- label rules ---- */

static const char *parse_op(const char *s, int *op) {
  if (s[0] == '>' && s[1] == '=') return *op = OP_GE, s + 2;
  if (s[0] == '<' && s[1] == '=') return *op = OP_LE, s + 2;
  if (s[0] == '=' && s[1] == '=') return *op = OP_EQ, s + 2;
  if (s[0] == '!' && s[1] == '=') return *op = OP_NE, s + 2;
  if (s[0] == '>') return *op = OP_GT, s + 1;
  if (s[0] == '<') return *op = OP_LT, s + 1;
  return NULL;
}

/* Length of a field name at s: letters, digits, '_', '.', '-'. */
static size_t name_len(const char *s) {
  size_t n = 0;
  while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.' || s[n] == '-') n++;
  return n;
}

static int label_field(viral_pipeline *p, const char *s, size_t n, int *out, viral_error *err) {
  char name[256];
  if (n == 0 || n >= sizeof name) return 1;
  memcpy(name, s, n);
  name[n] = '\0';
  int i = use_field(p, name, err);
  if (i < 0) return i;
  if (!rule_is_numeric_(p->fields[i].rule)) return 1;
  *out = i;
  return 0;
}

/* Rules: FIELD | FIELD OP NUMBER | top:P%:FIELD | ratio:A/B OP NUMBER. */
static int parse_label(viral_pipeline *p, const char *text, viral_error *err) {
  label_rule *l = &p->label;
  if (!(l->text = text_dup(text))) return nomem(err, p);
  l->threshold = NAN;
  if (!*text) {
    l->kind = LABEL_NONE;
    return VIRAL_OK;
  }
  const char *s = text;
  char *end = NULL;
  int rc = 1;
  if (has_prefix(s, "top:")) {
    s += 4;
    errno = 0;
    l->top_percent = strtod(s, &end);
    if (end == s || *end != '%' || end[1] != ':' || !(l->top_percent > 0) ||
        l->top_percent > 100)
      goto bad;
    s = end + 2;
    size_t n = name_len(s);
    if (s[n] || (rc = label_field(p, s, n, &l->field, err)) != 0) goto bad_or_rc;
    l->kind = LABEL_TOP;
    return VIRAL_OK;
  }
  int ratio = has_prefix(s, "ratio:");
  if (ratio) s += 6;
  size_t n = name_len(s);
  if ((rc = label_field(p, s, n, &l->field, err)) != 0) goto bad_or_rc;
  s += n;
  if (ratio) {
    if (*s++ != '/') goto bad;
    n = name_len(s);
    if ((rc = label_field(p, s, n, &l->field2, err)) != 0) goto bad_or_rc;
    s += n;
  } else if (!*s) {
    l->kind = LABEL_BOOL;
    return VIRAL_OK;
  }
  if (!(s = parse_op(s, &l->op))) goto bad;
  errno = 0;
  l->threshold = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(l->threshold)) goto bad;
  l->kind = ratio ? LABEL_RATIO : LABEL_CMP;
  return VIRAL_OK;
bad_or_rc:
  if (rc < 0) return rc;
bad:
  return spec_error(err, p, "label",
                    "bad label rule '%s' (FIELD, FIELD>=N, top:P%%:FIELD or ratio:A/B>=N, on "
                    "numeric fields)", text);
}

/* ---- features ---- */

typedef struct transform_info {
  const char *name;
  transform_kind kind;
  int nfields;   /* 0: implied (log_views) */
  int values;    /* dense value columns; 0 for hashed */
  int scale;     /* scaled by default */
  const char *group;
} transform_info;

static const transform_info transforms[] = {
    {"identity", T_IDENTITY, 1, 1, 1, "numeric"},
    {"log1p", T_LOG1P, 1, 1, 1, "numeric"},
    {"clip", T_CLIP, 1, 1, 1, "numeric"},
    {"logit", T_LOGIT, 1, 1, 1, "numeric"},
    {"bool", T_BOOL, 1, 1, 0, "numeric"},
    {"missing", T_MISSING, 1, 1, 0, "numeric"},
    {"ratio", T_RATIO, 2, 1, 1, "numeric"},
    {"growth", T_GROWTH, 2, 1, 1, "numeric"},
    {"log_ratio", T_LOG_RATIO, 2, 1, 1, "numeric"},
    {"times_log1p", T_TIMES_LOG1P, 2, 1, 1, "numeric"},
    {"velocity", T_VELOCITY, 2, 1, 1, "numeric"},
    {"acceleration", T_ACCEL, 3, 1, 1, "numeric"},
    {"log_views", T_LOG_VIEWS, 0, 1, 1, "numeric"},
    {"hour", T_HOUR, 1, 2, 0, "time"},
    {"weekday", T_WEEKDAY, 1, 2, 0, "time"},
    {"age", T_AGE, 2, 1, 1, "time"},
    {"length", T_LENGTH, 1, 1, 1, "text"},
    {"count", T_COUNT, 1, 1, 1, "text"},
    {"mentions", T_MENTIONS, 1, 1, 1, "text"},
    {"hash", T_HASH, 1, 0, 0, NULL},
    {"hash_list", T_HASH_LIST, 1, 0, 0, NULL},
    {"cross", T_CROSS, 2, 0, 0, "cross"},
};
#define N_TRANSFORMS (sizeof transforms / sizeof transforms[0])

static const transform_info *find_transform(const char *name) {
  for (size_t i = 0; i < N_TRANSFORMS; i++)
    if (strcmp(transforms[i].name, name) == 0) return &transforms[i];
  return NULL;
}

const char *pipeline_transform_name(transform_kind kind) {
  for (size_t i = 0; i < N_TRANSFORMS; i++)
    if (transforms[i].kind == kind) return transforms[i].name;
  return "?";
}

static int add_col(viral_pipeline *p, const char *name, const char *group, int scaled,
                   viral_error *err) {
  dense_col *grown = realloc(p->cols, (p->ncols + 1) * sizeof *grown);
  if (!grown) return nomem(err, p);
  p->cols = grown;
  dense_col *c = &p->cols[p->ncols];
  memset(c, 0, sizeof *c);
  if (!(c->name = text_dup(name))) return nomem(err, p);
  c->group = group;
  c->scaled = scaled && p->scaling != SCALING_NONE;
  c->a = 0;
  c->b = 1;
  p->ncols++;
  return VIRAL_OK;
}

/* The default display name of a feature (dense column or hashed prefix). */
static void default_name(const viral_pipeline *p, const feature_def *f, char *buf, size_t size) {
  const char *a = f->nfields > 0 ? p->fields[f->field[0]].name : "";
  const char *b = f->nfields > 1 ? p->fields[f->field[1]].name : "";
  const char *c = f->nfields > 2 ? p->fields[f->field[2]].name : "";
  switch (f->kind) {
  case T_IDENTITY: snprintf(buf, size, "%s", a); break;
  case T_LOG1P: case T_LOG_VIEWS: snprintf(buf, size, "log1p(%s)", a); break;
  case T_CLIP: snprintf(buf, size, "clip(%s,%g,%g)", a, f->lo, f->hi); break;
  case T_LOGIT: snprintf(buf, size, "logit(%s)", a); break;
  case T_BOOL: snprintf(buf, size, "bool(%s)", a); break;
  case T_MISSING: snprintf(buf, size, "missing(%s)", a); break;
  case T_RATIO: snprintf(buf, size, "%s/%s", a, b); break;
  case T_GROWTH: snprintf(buf, size, "growth(%s,%s)", a, b); break;
  case T_LOG_RATIO: snprintf(buf, size, "log_ratio(%s,%s)", a, b); break;
  case T_TIMES_LOG1P: snprintf(buf, size, "%s*log1p(%s)", a, b); break;
  case T_VELOCITY: snprintf(buf, size, "velocity(%s,%s)", a, b); break;
  case T_ACCEL: snprintf(buf, size, "acceleration(%s,%s,%s)", a, b, c); break;
  case T_HOUR: snprintf(buf, size, "hour(%s)", a); break;
  case T_WEEKDAY: snprintf(buf, size, "weekday(%s)", a); break;
  case T_AGE: snprintf(buf, size, "age_h(%s,%s)", a, b); break;
  case T_LENGTH: snprintf(buf, size, "length(%s)", a); break;
  case T_COUNT: snprintf(buf, size, "count(%s)", a); break;
  case T_MENTIONS: snprintf(buf, size, "mentions(%s)", a); break;
  case T_HASH: case T_HASH_LIST:
    snprintf(buf, size, "%s", strcmp(a, "music_id") == 0    ? "sound"
                              : strcmp(a, "author_id") == 0 ? "creator"
                              : strcmp(a, "hashtags") == 0  ? "hashtag"
                                                            : a);
    break;
  case T_CROSS: snprintf(buf, size, "%s^%s", a, b); break;
  }
}

static const char *default_hash_group(const char *field) {
  if (strcmp(field, "music_id") == 0) return "sound";
  if (strcmp(field, "author_id") == 0) return "creator";
  if (strcmp(field, "hashtags") == 0) return "hashtags";
  return field;
}

/* The leakage guard for one field read by what ("feature 'x'"): 0 when it
 * is observed within the window (or leakage is allowed: p then leaks), else
 * -1 with the reason in msg. */
static int guard_field(viral_pipeline *p, const char *what, const char *name, double observed,
                       char *msg, size_t size) {
  if (observed < 0) {
    snprintf(msg, size, "field '%s' has no observation time: map it under \"fields\" with "
                        "\"observed\" ('0h', '24h' or 'outcome')", name);
    return -1;
  }
  if (observed <= p->window + 1e-9) return 0;
  if (p->allow_leakage) {
    p->leaks = 1;
    return 0;
  }
  char when[64];
  if (observed == OBSERVED_OUTCOME) snprintf(when, sizeof when, "an outcome");
  else snprintf(when, sizeof when, "observed at %gh", observed);
  snprintf(msg, size, "%s uses field '%s' (%s) after the %gh window; --allow-leakage keeps it",
           what, name, when, p->window);
  return -1;
}

/* Leakage guard: every field a feature reads must be observed within the
 * window; outcomes never are. */
static int check_leakage(viral_pipeline *p, const feature_def *f, const char *where,
                         viral_error *err) {
  char what[300], msg[VIRAL_ERROR_MAX];
  snprintf(what, sizeof what, "feature '%s'", f->name);
  for (int i = 0; i < f->nfields; i++) {
    const field_def *fd = &p->fields[f->field[i]];
    if (guard_field(p, what, fd->name, fd->observed, msg, sizeof msg) != 0)
      return spec_error(err, p, where, "%s", msg);
  }
  return VIRAL_OK;
}

int viral_pipeline_check_observed(viral_pipeline *p, const char *name, const char *what,
                                  viral_error *err) {
  int i = find_field(p, name);
  double observed = i >= 0 ? p->fields[i].observed : default_observed(name);
  char msg[VIRAL_ERROR_MAX];
  if (guard_field(p, what, name, observed, msg, sizeof msg) == 0) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "%s", msg);
}

static int check_field_types(viral_pipeline *p, const feature_def *f, const char *tname,
                             const char *where, viral_error *err) {
  for (int i = 0; i < f->nfields; i++) {
    const field_def *fd = &p->fields[f->field[i]];
    const char *need = NULL;
    switch (f->kind) {
    case T_MISSING: break;
    case T_LENGTH: case T_MENTIONS: case T_HASH: case T_CROSS:
      if (!rule_is_text_(fd->rule)) need = "text";
      break;
    case T_COUNT: case T_HASH_LIST:
      if (fd->rule != PARSE_LIST) need = "list";
      break;
    default:
      if (!rule_is_numeric_(fd->rule)) need = "numeric";
    }
    if (need)
      return spec_error(err, p, where, "transform '%s' needs a %s field, and '%s' is parsed as %s",
                        tname, need, fd->name, rule_names[fd->rule]);
    if ((f->kind == T_VELOCITY || f->kind == T_ACCEL) &&
        (fd->observed < 0 || fd->observed == OBSERVED_OUTCOME))
      return spec_error(err, p, where, "transform '%s' needs snapshot fields with an observation "
                                       "time, and '%s' has none", tname, fd->name);
    if ((f->kind == T_VELOCITY || f->kind == T_ACCEL) && i > 0 &&
        !(fd->observed > p->fields[f->field[i - 1]].observed))
      return spec_error(err, p, where, "transform '%s' needs snapshots in increasing time order",
                        tname);
  }
  return VIRAL_OK;
}

/* logit's "min" and "max" (default 0.01, 0.99): the proportion is clipped
 * to them so that 0 and 1 (a watch ratio of a handful of views) stay finite. */
static int parse_logit_bounds(viral_pipeline *p, const cJSON *js, const char *where, feature_def *f,
                              viral_error *err) {
  f->lo = 0.01;
  f->hi = 0.99;
  int rc;
  if ((rc = get_number(p, js, where, "min", &f->lo, err)) < 0) return rc;
  if ((rc = get_number(p, js, where, "max", &f->hi, err)) < 0) return rc;
  if (!(0 < f->lo && f->lo <= f->hi && f->hi < 1))
    return spec_error(err, p, where, "logit needs 0 < \"min\" <= \"max\" < 1");
  return 0;
}

static int parse_feature(viral_pipeline *p, const cJSON *js, size_t index, double def_fill,
                         int def_has_fill, int def_indicator, viral_error *err) {
  static const char *const keys[] = {"transform", "field", "fields", "name", "group", "min",
                                     "max", "on_zero", "fill", "indicator", "scale", NULL};
  char where[64], key[96];
  snprintf(where, sizeof where, "features[%zu]", index);
  if (!cJSON_IsObject(js)) return spec_error(err, p, where, "expected an object");
  int rc = check_keys(p, js, where, keys, err);
  if (rc) return rc;
  const char *tname = NULL;
  if ((rc = get_string(p, js, where, "transform", &tname, err)) < 0) return rc;
  snprintf(key, sizeof key, "%s.transform", where);
  if (!rc) return spec_error(err, p, key, "missing");
  const transform_info *ti = find_transform(tname);
  if (!ti) return spec_error(err, p, key, "unknown transform '%s'", tname);

  feature_def *grown = realloc(p->features, (p->nfeatures + 1) * sizeof *grown);
  if (!grown) return nomem(err, p);
  p->features = grown;
  feature_def *f = &p->features[p->nfeatures++];
  memset(f, 0, sizeof *f);
  f->kind = ti->kind;
  f->scale = ti->scale;
  f->has_fill = def_has_fill;
  f->fill = def_fill;
  f->indicator = def_indicator;

  /* fields: "field" for one, "fields" for several */
  const cJSON *one = cJSON_GetObjectItemCaseSensitive(js, "field");
  const cJSON *many = cJSON_GetObjectItemCaseSensitive(js, "fields");
  if (ti->nfields == 0) {
    if (one || many) return spec_error(err, p, where, "transform '%s' takes no field", tname);
    char name[64];
    snprintf(name, sizeof name, "views_%gh", p->window);
    if ((f->field[0] = use_field(p, name, err)) < 0) return f->field[0];
    f->nfields = 1;
  } else if (ti->nfields == 1) {
    snprintf(key, sizeof key, "%s.field", where);
    if (!one || !cJSON_IsString(one))
      return spec_error(err, p, key, one ? "expected a string" : "missing");
    if ((f->field[0] = use_field(p, one->valuestring, err)) < 0) return f->field[0];
    f->nfields = 1;
  } else {
    snprintf(key, sizeof key, "%s.fields", where);
    if (!many || !cJSON_IsArray(many) || cJSON_GetArraySize(many) != ti->nfields)
      return spec_error(err, p, key, "expected an array of %d field names", ti->nfields);
    for (const cJSON *c = many->child; c; c = c->next) {
      if (!cJSON_IsString(c)) return spec_error(err, p, key, "expected an array of field names");
      if ((f->field[f->nfields] = use_field(p, c->valuestring, err)) < 0) return -1;
      f->nfields++;
    }
  }
  if ((rc = check_field_types(p, f, tname, where, err)) != 0) return rc;

  if (f->kind == T_CLIP) {
    int has_lo = get_number(p, js, where, "min", &f->lo, err);
    if (has_lo < 0) return has_lo;
    int has_hi = get_number(p, js, where, "max", &f->hi, err);
    if (has_hi < 0) return has_hi;
    if (!has_lo || !has_hi || !(f->lo <= f->hi))
      return spec_error(err, p, where, "clip needs numbers \"min\" <= \"max\"");
  }
  if (f->kind == T_LOGIT && (rc = parse_logit_bounds(p, js, where, f, err)) != 0) return rc;
  f->on_zero = 0;
  if ((rc = get_number(p, js, where, "on_zero", &f->on_zero, err)) < 0) return rc;
  if ((rc = get_number(p, js, where, "fill", &f->fill, err)) < 0) return rc;
  if (rc) f->has_fill = 1;
  if ((rc = get_bool(p, js, where, "indicator", &f->indicator, err)) < 0) return rc;
  if ((rc = get_bool(p, js, where, "scale", &f->scale, err)) < 0) return rc;

  char name[256];
  const char *s = NULL;
  if ((rc = get_string(p, js, where, "name", &s, err)) < 0) return rc;
  if (rc) snprintf(name, sizeof name, "%s", s);
  else default_name(p, f, name, sizeof name);
  if (!(f->name = text_dup(name))) return nomem(err, p);
  s = ti->group ? ti->group : default_hash_group(p->fields[f->field[0]].name);
  if ((rc = get_string(p, js, where, "group", &s, err)) < 0) return rc;
  if (!(f->group = text_dup(s))) return nomem(err, p);

  if ((rc = check_leakage(p, f, where, err)) != 0) return rc;

  if (ti->values == 0) {
    p->any_hashed = 1;
    f->seed = viral_murmur3_32(f->name, strlen(f->name), p->hash_seed);
    return VIRAL_OK;
  }
  f->col = p->ncols;
  f->ncols = ti->values;
  if (f->kind == T_HOUR || f->kind == T_WEEKDAY) {
    const char *unit = f->kind == T_HOUR ? "hour" : "weekday";
    const char *field = p->fields[f->field[0]].name;
    snprintf(name, sizeof name, "%s_sin(%s)", unit, field);
    if ((rc = add_col(p, name, f->group, f->scale, err))) return rc;
    snprintf(name, sizeof name, "%s_cos(%s)", unit, field);
    if ((rc = add_col(p, name, f->group, f->scale, err))) return rc;
  } else if ((rc = add_col(p, f->name, f->group, f->scale, err))) {
    return rc;
  }
  if (f->kind != T_MISSING && f->indicator) {
    snprintf(name, sizeof name, "missing(%s)", f->name);
    if ((rc = add_col(p, name, f->group, 0, err))) return rc;
    f->ncols++;
  }
  return VIRAL_OK;
}

/* ---- the whole spec ---- */

static int parse_spec(viral_pipeline *p, const viral_pipeline_options *opts, viral_error *err) {
  static const char *const keys[] = {"name", "window", "label", "hash_bits", "hash_seed",
                                     "signed_hash", "scaling", "names_max", "missing", "input",
                                     "fields", "features", "assemble", NULL};
  const cJSON *spec = p->spec;
  if (!cJSON_IsObject(spec)) return spec_error(err, p, "(top)", "expected a JSON object");
  char path[256] = "";
  if (find_infinite(spec, path, 0, sizeof path))
    return spec_error(err, p, path, "number out of range (beyond +-1.8e308)");
  int rc = check_keys(p, spec, "", keys, err);
  if (rc) return rc;
  const char *s = "spec";
  if ((rc = get_string(p, spec, "", "name", &s, err)) < 0) return rc;
  if (!(p->name = text_dup(s))) return nomem(err, p);
  s = NULL;
  if ((rc = get_string(p, spec, "", "window", &s, err)) < 0) return rc;
  if (!rc) return spec_error(err, p, "window", "missing (e.g. \"window\": \"2h\")");
  if ((p->window = parse_hours(s)) < 0)
    return spec_error(err, p, "window", "expected hours such as '2h', not '%s'", s);
  double x = 18;
  if ((rc = get_number(p, spec, "", "hash_bits", &x, err)) < 0) return rc;
  if (x != floor(x) || x < 1 || x > VIRAL_PIPELINE_MAX_HASH_BITS)
    return spec_error(err, p, "hash_bits", "expected a whole number from 1 to %d",
                      VIRAL_PIPELINE_MAX_HASH_BITS);
  p->hash_bits = (int)x;
  x = 0;
  if ((rc = get_number(p, spec, "", "hash_seed", &x, err)) < 0) return rc;
  if (x != floor(x) || x < 0 || x > 4294967295.0)
    return spec_error(err, p, "hash_seed", "expected a whole number from 0 to 4294967295");
  p->hash_seed = (uint32_t)x;
  if ((rc = get_bool(p, spec, "", "signed_hash", &p->signed_hash, err)) < 0) return rc;
  x = 10000;
  if ((rc = get_number(p, spec, "", "names_max", &x, err)) < 0) return rc;
  if (x != floor(x) || x < 0 || x > 1e7)
    return spec_error(err, p, "names_max", "expected a whole number from 0 to 10000000");
  p->names_max = (size_t)x;
  s = "none";
  if ((rc = get_string(p, spec, "", "scaling", &s, err)) < 0) return rc;
  if (opts && opts->scaling) s = opts->scaling;
  if (strcmp(s, "none") == 0) p->scaling = SCALING_NONE;
  else if (strcmp(s, "standard") == 0) p->scaling = SCALING_STANDARD;
  else if (strcmp(s, "minmax") == 0) p->scaling = SCALING_MINMAX;
  else return spec_error(err, p, "scaling", "expected 'none', 'standard' or 'minmax', not '%s'", s);

  const cJSON *input = cJSON_GetObjectItemCaseSensitive(spec, "input");
  if (input) {
    static const char *const ikeys[] = {"format", "json_path", NULL};
    if (!cJSON_IsObject(input)) return spec_error(err, p, "input", "expected an object");
    if ((rc = check_keys(p, input, "input", ikeys, err))) return rc;
    s = NULL;
    if ((rc = get_string(p, input, "input", "format", &s, err)) < 0) return rc;
    if (rc) {
      if (viral_format_parse(s, &p->input_format) != VIRAL_OK)
        return spec_error(err, p, "input.format", "expected 'csv', 'jsonl' or 'json'");
    }
    s = NULL;
    if ((rc = get_string(p, input, "input", "json_path", &s, err)) < 0) return rc;
    if (rc && (rc = check_path(p, "input.json_path", s, 0, err))) return rc;
    if (s && !(p->json_path = text_dup(s))) return nomem(err, p);
  }

  if ((rc = parse_assemble(p, cJSON_GetObjectItemCaseSensitive(spec, "assemble"), err))) return rc;

  /* spec-wide missing-value policy, which each feature may override */
  double fill = 0;
  int has_fill = 0, indicator = 0;
  const cJSON *missing = cJSON_GetObjectItemCaseSensitive(spec, "missing");
  if (missing) {
    static const char *const mkeys[] = {"fill", "indicator", NULL};
    if (!cJSON_IsObject(missing)) return spec_error(err, p, "missing", "expected an object");
    if ((rc = check_keys(p, missing, "missing", mkeys, err))) return rc;
    if ((has_fill = get_number(p, missing, "missing", "fill", &fill, err)) < 0) return has_fill;
    if ((rc = get_bool(p, missing, "missing", "indicator", &indicator, err)) < 0) return rc;
  }

  if ((rc = parse_fields(p, cJSON_GetObjectItemCaseSensitive(spec, "fields"), err))) return rc;

  const char *label = "";
  if ((rc = get_string(p, spec, "", "label", &label, err)) < 0) return rc;
  if (opts && opts->label) label = opts->label;
  if ((rc = parse_label(p, label, err))) return rc;

  const cJSON *features = cJSON_GetObjectItemCaseSensitive(spec, "features");
  if (!features) return spec_error(err, p, "features", "missing");
  if (!cJSON_IsArray(features)) return spec_error(err, p, "features", "expected an array");
  size_t i = 0;
  for (const cJSON *f = features->child; f; f = f->next, i++)
    if ((rc = parse_feature(p, f, i, fill, has_fill, indicator, err))) return rc;
  if (p->ncols == 0 && !p->any_hashed) return spec_error(err, p, "features", "no features");
  if (p->any_hashed && ((uint64_t)1 << p->hash_bits) <= p->ncols + 1u)
    return spec_error(err, p, "hash_bits", "2^%d buckets leave no room for hashed features after "
                                           "%u dense columns", p->hash_bits, (unsigned)p->ncols);
  /* video_id keys every output row: the input tally checks it like a feature's field */
  if ((p->id_field = use_field(p, "video_id", err)) < 0) return p->id_field;
  if ((rc = list_field_paths(p, err))) return rc;
  pipeline_tables(p);
  return VIRAL_OK;
}

static _Atomic uint64_t pipeline_ids = 0;

/* A process-unique id: scratches know whose bindings they hold. */
static uint64_t next_pipeline_id(void) { return atomic_fetch_add(&pipeline_ids, 1) + 1; }

/* Build a pipeline around spec (taken over: freed with the pipeline). */
static viral_pipeline *build(const char *source, cJSON *spec, const viral_pipeline_options *opts,
                             viral_error *err) {
  viral_pipeline *p = calloc(1, sizeof *p);
  if (!p) {
    cJSON_Delete(spec);
    viral_error_set(err, VIRAL_ERR_NOMEM, source, 0, "out of memory");
    return NULL;
  }
  p->id = next_pipeline_id();
  p->spec = spec;
  p->allow_leakage = opts ? opts->allow_leakage : 0;
  p->allow_missing = opts ? opts->allow_missing : 0;
  if (!(p->source = text_dup(source ? source : "spec"))) {
    nomem(err, p);
    goto fail;
  }
  if (parse_spec(p, opts, err) != VIRAL_OK) goto fail;
  profile_link_columns(p);
  /* The stored spec carries the label actually used, so a saved model applies
   * the training-time rule even when it came from --label. */
  if (opts && opts->label) {
    cJSON *l = cJSON_CreateString(opts->label);
    if (!l) {
      nomem(err, p);
      goto fail;
    }
    if (cJSON_GetObjectItemCaseSensitive(spec, "label")) cJSON_ReplaceItemInObjectCaseSensitive(spec, "label", l);
    else cJSON_AddItemToObject(spec, "label", l);
  }
  /* Likewise the scaling actually used. */
  if (opts && opts->scaling) {
    cJSON *sc = cJSON_CreateString(opts->scaling);
    if (!sc) {
      nomem(err, p);
      goto fail;
    }
    if (cJSON_GetObjectItemCaseSensitive(spec, "scaling")) cJSON_ReplaceItemInObjectCaseSensitive(spec, "scaling", sc);
    else cJSON_AddItemToObject(spec, "scaling", sc);
  }
  return p;
fail:
  viral_pipeline_free(p);
  return NULL;
}

/* Largest spec file read (a spec is a page of JSON). */
#define SPEC_MAX_BYTES (64u << 20)

/* Bytes of the spec quoted after a JSON syntax error. */
#define JSON_NEAR_MAX 20

/* Line of the byte at offset in text (1-based), for JSON syntax errors. */
static long line_of(const char *text, size_t offset) {
  long line = 1;
  for (size_t i = 0; i < offset; i++)
    if (text[i] == '\n') line++;
  return line;
}

viral_pipeline *viral_pipeline_parse_spec(const char *name, const char *text, size_t len,
                                          const viral_pipeline_options *opts, viral_error *err) {
  const char *end = NULL;
  cJSON *spec = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!spec) {
    /* text need not end with a NUL: the snippet stops at len */
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    char near[VALUE_QUOTE_SIZE(JSON_NEAR_MAX)];
    value_quote(near, sizeof near, text + at, len - at, JSON_NEAR_MAX);
    if (at < len)
      viral_error_set(err, VIRAL_ERR_PARSE, name, line_of(text, at), "bad json near '%s'", near);
    else
      viral_error_set(err, VIRAL_ERR_PARSE, name, line_of(text, at), "bad json: empty or cut short");
    return NULL;
  }
  size_t after = (size_t)(end - text);
  while (after < len && isspace((unsigned char)text[after])) after++;
  if (after < len) { /* two specs run together, or a stray edit */
    cJSON_Delete(spec);
    viral_error_set(err, VIRAL_ERR_PARSE, name, line_of(text, after), "text after the json");
    return NULL;
  }
  return build(name, spec, opts, err);
}

viral_pipeline *viral_pipeline_load_spec(const char *path, const viral_pipeline_options *opts,
                                         viral_error *err) {
  if (!path) {
    const char *text = viral_pipeline_default_spec();
    return viral_pipeline_parse_spec("default.spec.json", text, strlen(text), opts, err);
  }
  char *buf = NULL;
  size_t n = 0;
  if (viral_read_file(path, SPEC_MAX_BYTES, &buf, &n, err) != VIRAL_OK) return NULL;
  viral_pipeline *p = viral_pipeline_parse_spec(path, buf, n, opts, err);
  free(buf);
  return p;
}

void viral_pipeline_options_init(viral_pipeline_options *opts) {
  memset(opts, 0, sizeof *opts);
}

void viral_pipeline_free(viral_pipeline *p) {
  if (!p) return;
  for (size_t i = 0; i < p->nfields; i++) {
    field_def *f = &p->fields[i];
    free(f->name);
    free(f->source);
    free(f->format);
    free(f->separators);
    free(f->pattern);
    if (f->has_re) regfree(&f->re);
  }
  pipeline_scratch_release(&p->own);
  profile_release(p);
  free(p->fields);
  pipeline_tally_free(p);
  for (size_t i = 0; i < p->nfeatures; i++) {
    free(p->features[i].name);
    free(p->features[i].group);
  }
  free(p->features);
  for (uint32_t i = 0; i < p->ncols; i++) free(p->cols[i].name);
  free(p->cols);
  free(p->label.text);
  free(p->label.values);
  free(p->log1p_table);
  for (size_t i = 0; i < p->nnames; i++) {
    free(p->names[i].name);
    free(p->names[i].group);
  }
  free(p->names);
  pipeline_drop_name_slots(p);
  free(p->name);
  free(p->json_path);
  free(p->field_paths);
  free(p->assemble_names);
  free(p->assemble_values);
  free(p->source);
  cJSON_Delete(p->spec);
  free(p);
}

/* ---- queries ---- */

uint32_t viral_pipeline_dim(const viral_pipeline *p) {
  return p->any_hashed ? (uint32_t)1 << p->hash_bits : p->ncols;
}

uint32_t viral_pipeline_dense_count(const viral_pipeline *p) { return p->ncols; }

int viral_pipeline_needs_fit(const viral_pipeline *p) {
  return p->scaling != SCALING_NONE || p->label.kind == LABEL_TOP;
}

int viral_pipeline_is_fitted(const viral_pipeline *p) { return p->fitted; }

const char *viral_pipeline_label_rule(const viral_pipeline *p) { return p->label.text; }

double viral_pipeline_label_threshold(const viral_pipeline *p) { return p->label.threshold; }

double viral_pipeline_window_hours(const viral_pipeline *p) { return p->window; }

int viral_pipeline_leaks(const viral_pipeline *p) { return p->leaks; }

const char *viral_pipeline_name(const viral_pipeline *p) { return p->name; }

void viral_pipeline_reader_options(const viral_pipeline *p, viral_reader_options *opts) {
  if (p->input_format != VIRAL_FORMAT_AUTO) opts->format = p->input_format;
  if (p->json_path) opts->json_path = p->json_path;
  opts->field_paths = p->field_paths;
  opts->field_path_count = p->nfield_paths;
}

static int by_name_index(const void *a, const void *b) {
  uint32_t x = ((const name_entry *)a)->index, y = ((const name_entry *)b)->index;
  return (x > y) - (x < y);
}

int pipeline_sort_names(viral_pipeline *p, viral_error *err) {
  (void)err;
  if (p->nnames) qsort(p->names, p->nnames, sizeof *p->names, by_name_index);
  pipeline_drop_name_slots(p);
  return VIRAL_OK;
}

const name_entry *pipeline_lookup_name(const viral_pipeline *p, uint32_t index) {
  if (!p->nnames || p->fitting || p->collecting_names || p->profiling) return NULL;
  name_entry key = {index, 0, NULL, NULL, 0, 0, 0};
  return bsearch(&key, p->names, p->nnames, sizeof *p->names, by_name_index);
}

int viral_pipeline_feature_name(const viral_pipeline *p, uint32_t index, char *buf, size_t size) {
  if (index < p->ncols) return snprintf(buf, size, "%s", p->cols[index].name);
  const name_entry *e = pipeline_lookup_name(p, index);
  if (e) return snprintf(buf, size, "%s%s", e->name, e->collided ? " (+collisions)" : "");
  return snprintf(buf, size, "hash[%u]", (unsigned)index);
}

const char *viral_pipeline_feature_group(const viral_pipeline *p, uint32_t index) {
  if (index < p->ncols) return p->cols[index].group;
  const name_entry *e = pipeline_lookup_name(p, index);
  return e ? e->group : "hashed";
}

/* ---- serialization ---- */

cJSON *viral_pipeline_to_json(const viral_pipeline *p, viral_error *err) {
  cJSON *o = cJSON_CreateObject();
  if (!o) goto fail;
  cJSON *spec = cJSON_Duplicate(p->spec, 1);
  if (!spec || exact_numbers(spec) != VIRAL_OK || !cJSON_AddItemToObject(o, "spec", spec)) {
    cJSON_Delete(spec);
    goto fail;
  }
  if (!cJSON_AddBoolToObject(o, "allow_leakage", p->allow_leakage) ||
      !cJSON_AddBoolToObject(o, "fitted", p->fitted))
    goto fail;
  cJSON *scaling = cJSON_AddArrayToObject(o, "scaling");
  if (!scaling) goto fail;
  for (uint32_t i = 0; i < p->ncols; i++) {
    cJSON *pair = cJSON_CreateArray();
    if (!pair || !cJSON_AddItemToArray(scaling, pair)) {
      cJSON_Delete(pair);
      goto fail;
    }
    if (viral_json_append_number(pair, p->cols[i].a) || viral_json_append_number(pair, p->cols[i].b))
      goto fail;
  }
  cJSON *threshold = isnan(p->label.threshold) ? cJSON_CreateNull()
                                                : viral_json_exact_number(p->label.threshold);
  if (!threshold || !cJSON_AddItemToObject(o, "label_threshold", threshold)) {
    cJSON_Delete(threshold);
    goto fail;
  }
  cJSON *names = cJSON_AddArrayToObject(o, "names");
  if (!names) goto fail;
  /* a profiled pipeline's names carry their row counts */
  int counted = p->profile_rows > 0, nomem = 0;
  for (size_t i = 0; i < p->nnames && !p->fitting && !p->profiling; i++) {
    const name_entry *e = &p->names[i];
    cJSON *row = cJSON_CreateArray();
    if (!row || !cJSON_AddItemToArray(names, row)) {
      cJSON_Delete(row);
      goto fail;
    }
    cJSON *items[5] = {cJSON_CreateNumber(e->index), cJSON_CreateBool(e->collided),
                       cJSON_CreateString(e->group), cJSON_CreateString(e->name),
                       counted ? cJSON_CreateNumber((double)e->count) : NULL};
    for (int k = 0; k < 4 + counted; k++)
      if (!items[k] || !cJSON_AddItemToArray(row, items[k])) {
        for (int j = k; j < 4 + counted; j++) cJSON_Delete(items[j]);
        goto fail;
      }
  }
  cJSON *profile = p->profiling ? NULL : profile_to_json(p, &nomem);
  if (nomem || (profile && !cJSON_AddItemToObject(o, "profile", profile))) {
    cJSON_Delete(profile);
    goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  viral_error_set(err, VIRAL_ERR_NOMEM, p->source, 0, "out of memory");
  return NULL;
}

static int json_error(viral_error *err, const char *source, const char *what) {
  return viral_error_set(err, VIRAL_ERR_INVALID, source, 0, "pipeline: %s", what);
}

viral_pipeline *viral_pipeline_from_json(const cJSON *json, const char *source, viral_error *err) {
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(json, "spec");
  const cJSON *leak = cJSON_GetObjectItemCaseSensitive(json, "allow_leakage");
  const cJSON *fitted = cJSON_GetObjectItemCaseSensitive(json, "fitted");
  const cJSON *scaling = cJSON_GetObjectItemCaseSensitive(json, "scaling");
  const cJSON *threshold = cJSON_GetObjectItemCaseSensitive(json, "label_threshold");
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(json, "names");
  if (!cJSON_IsObject(spec) || !cJSON_IsBool(leak) || !cJSON_IsBool(fitted) ||
      !cJSON_IsArray(scaling) || !(cJSON_IsNull(threshold) || pipeline_json_number(threshold, &(double){0})) ||
      !cJSON_IsArray(names)) {
    json_error(err, source, "missing or mistyped key (spec, allow_leakage, fitted, scaling, "
                            "label_threshold, names)");
    return NULL;
  }
  viral_pipeline_options opts;
  viral_pipeline_options_init(&opts);
  opts.allow_leakage = cJSON_IsTrue(leak);
  cJSON *copy = cJSON_Duplicate(spec, 1);
  if (!copy) {
    viral_error_set(err, VIRAL_ERR_NOMEM, source, 0, "out of memory");
    return NULL;
  }
  viral_pipeline *p = build(source, copy, &opts, err);
  if (!p) return NULL;
  if ((uint32_t)cJSON_GetArraySize(scaling) != p->ncols) {
    json_error(err, source, "scaling has the wrong number of columns");
    goto fail;
  }
  uint32_t i = 0;
  for (const cJSON *pair = scaling->child; pair; pair = pair->next, i++) {
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
        !pipeline_json_number(pair->child, &p->cols[i].a) || !pipeline_json_number(pair->child->next, &p->cols[i].b)) {
      json_error(err, source, "scaling entries must be [a, b] number pairs");
      goto fail;
    }
    if (!(p->cols[i].b != 0) || !isfinite(p->cols[i].a) || !isfinite(p->cols[i].b)) {
      json_error(err, source, "scaling divisor must be finite and non-zero");
      goto fail;
    }
  }
  pipeline_json_number(threshold, &p->label.threshold); /* null keeps the rule's own */
  if (isinf(p->label.threshold)) {
    json_error(err, source, "label_threshold must be finite");
    goto fail;
  }
  size_t n = (size_t)cJSON_GetArraySize(names);
  if (n > 0 && !(p->names = calloc(n, sizeof *p->names))) {
    viral_error_set(err, VIRAL_ERR_NOMEM, source, 0, "out of memory");
    goto fail;
  }
  p->names_cap = n;
  uint32_t dim = viral_pipeline_dim(p);
  for (const cJSON *row = names->child; row; row = row->next) {
    const cJSON *ix = cJSON_GetArrayItem(row, 0), *col = cJSON_GetArrayItem(row, 1),
                *grp = cJSON_GetArrayItem(row, 2), *nm = cJSON_GetArrayItem(row, 3),
                *count = cJSON_GetArrayItem(row, 4);
    if (!cJSON_IsNumber(ix) || !cJSON_IsBool(col) || !cJSON_IsString(grp) ||
        !cJSON_IsString(nm) || ix->valuedouble < p->ncols || ix->valuedouble >= dim ||
        ix->valuedouble != floor(ix->valuedouble) ||
        (count && (!cJSON_IsNumber(count) || !(count->valuedouble >= 0) ||
                   count->valuedouble != floor(count->valuedouble) || count->valuedouble > 9007199254740992.0))) {
      json_error(err, source, "names entries must be [index, collided, group, name] or [index, "
                              "collided, group, name, count] with a hashed index");
      goto fail;
    }
    name_entry *e = &p->names[p->nnames++];
    e->count = count ? (uint64_t)count->valuedouble : 0;
    e->index = (uint32_t)ix->valuedouble;
    e->collided = cJSON_IsTrue(col);
    e->group = text_dup(grp->valuestring);
    e->name = text_dup(nm->valuestring);
    if (!e->group || !e->name) {
      viral_error_set(err, VIRAL_ERR_NOMEM, source, 0, "out of memory");
      goto fail;
    }
  }
  pipeline_sort_names(p, err);
  if (profile_from_json(p, cJSON_GetObjectItemCaseSensitive(json, "profile"), source, err) != VIRAL_OK)
    goto fail;
  p->fitted = cJSON_IsTrue(fitted);
  if (p->fitted && p->label.kind == LABEL_TOP && isnan(p->label.threshold)) {
    json_error(err, source, "a fitted quantile label needs label_threshold");
    goto fail;
  }
  return p;
fail:
  viral_pipeline_free(p);
  return NULL;
}

viral_pipeline *viral_pipeline_copy(const viral_pipeline *p, viral_error *err) {
  cJSON *j = viral_pipeline_to_json(p, err);
  if (!j) return NULL;
  viral_pipeline *q = viral_pipeline_from_json(j, p->source, err);
  cJSON_Delete(j);
  if (q) {
    q->allow_missing = p->allow_missing;
    q->leaks |= p->leaks; /* a field read beside the features (the views baseline) too */
  }
  return q;
}
