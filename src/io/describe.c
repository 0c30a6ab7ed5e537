/* describe.c - per-field statistics of a dataset (viral/describe.h). */
#include "viral/describe.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/random.h"
#include "io/text.h"
#include "io/value_internal.h"
#include "viral/writer.h"

/* Candidate kinds a field may still be: a bit is cleared by the first value
 * that does not parse as that kind. Text is always possible. */
enum {
  CAN_BOOL = 1 << 0,
  CAN_NUMBER = 1 << 1,
  CAN_COUNT = 1 << 2,
  CAN_DURATION = 1 << 3,
  CAN_TIMESTAMP = 1 << 4,
  CAN_LIST = 1 << 5,
  CAN_NUMERIC = CAN_NUMBER | CAN_COUNT | CAN_DURATION | CAN_TIMESTAMP
};

/* The kinds parsed from text when a value is not a plain number. */
enum { EXTRA_COUNT, EXTRA_DURATION, EXTRA_TIMESTAMP, EXTRA_KINDS };

#define HLL_BITS 14
#define HLL_REGISTERS (1u << HLL_BITS)
#define LIST_CHECK_ITEMS 256
#define LIST_ITEM_WORDS 3
/* Real tag columns hold the odd long tag: a list allows this share of values
 * that do not fit (1 in 100); free text misses it by far. */
#define LIST_MISFITS_PER_100 1
/* ... and needs one value in ten with two or more items: a URL column with
 * the odd comma in it is not a list. */
#define LIST_MULTI_PER_100 10

/* A growable array of doubles: values: [count]. */
typedef struct values {
  double *v;
  size_t count, capacity;
} values;

/* The plain values of a field are held exactly while every one is a whole
 * number written as one (no point, no exponent) that fits 64 bits: ids and
 * counts beyond 2^53 keep every digit in min, median and max. The slots of
 * `plain` then hold int64 (SIGNED) or uint64 (UNSIGNED, once a value passed
 * INT64_MAX and none was negative) bits; the first other value turns them
 * all into the doubles they would have been. */
typedef enum exactness { EXACT_SIGNED, EXACT_UNSIGNED, INEXACT } exactness;

typedef struct field_state {
  char *name;
  size_t present;
  unsigned candidates;
  int bool_word;        /* a JSON bool or a word like "true" was seen */
  int seen0, seen1;     /* plain 0 and plain 1 were seen */
  size_t list_multi;    /* values with two or more list items (JSON arrays count) */
  size_t list_misfits;  /* text values with an item too long for a list */
  values plain;         /* plain numbers: the same value for every numeric kind */
  exactness exact;      /* how plain holds them */
  int has_negative;     /* a negative whole number is among them */
  values extra[EXTRA_KINDS]; /* values parsed as count/duration/timestamp only */
  /* distinct: an open-addressing set of 64-bit hashes (0 = empty slot) until
   * it would pass VIRAL_DESCRIBE_EXACT_DISTINCT, then a HyperLogLog sketch */
  uint64_t *set;        /* [set_capacity] */
  size_t set_count, set_capacity;
  uint8_t *hll;         /* [HLL_REGISTERS] once approximate, else NULL */
} field_state;

struct viral_describe {
  size_t rows;
  field_state *fields; /* [field_count] */
  size_t field_count, field_capacity;
  viral_field_summary *summaries; /* [field_count] after finish */
};

/* ---- small helpers ---- */

/* Room for one more value at a->v[a->count]. */
static int values_reserve(values *a) {
  if (a->count == a->capacity) {
    size_t cap = a->capacity ? a->capacity * 2 : 64;
    double *grown = realloc(a->v, cap * sizeof *grown);
    if (!grown) return VIRAL_ERR_NOMEM;
    a->v = grown;
    a->capacity = cap;
  }
  return VIRAL_OK;
}

static int values_push(values *a, double x) {
  if (values_reserve(a) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  a->v[a->count++] = x;
  return VIRAL_OK;
}

static void values_release(values *a) {
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* FNV-1a over the bytes, then the splitmix64 finalizer so that every bit of
 * the result is usable by the sketch. */
static uint64_t hash_bytes(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  h = splitmix64_mix(h);
  return h ? h : 1; /* 0 marks an empty slot */
}

/* ---- distinct values ---- */

static void hll_add(uint8_t *hll, uint64_t h) {
  uint32_t index = (uint32_t)(h >> (64 - HLL_BITS));
  uint64_t rest = h << HLL_BITS; /* the remaining 50 bits, left-aligned */
  uint8_t rank = 1;
  while (rank <= 64 - HLL_BITS && !(rest & (1ull << 63))) {
    rank++;
    rest <<= 1;
  }
  if (rank > hll[index]) hll[index] = rank;
}

/* Flajolet et al. 2007, with linear counting for small cardinalities (64-bit
 * hashes need no large-range correction at these sizes). */
static size_t hll_estimate(const uint8_t *hll) {
  double m = HLL_REGISTERS, sum = 0;
  size_t zeros = 0;
  for (size_t i = 0; i < HLL_REGISTERS; i++) {
    sum += ldexp(1.0, -hll[i]);
    if (hll[i] == 0) zeros++;
  }
  double estimate = 0.7213 / (1 + 1.079 / m) * m * m / sum;
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * log(m / (double)zeros);
  return (size_t)llround(estimate);
}

/* Insert h (the set has room: load stays at most one half). Returns 1 when new. */
static int set_contains(const uint64_t *set, size_t capacity, uint64_t h) {
  size_t mask = capacity - 1;
  for (size_t i = (size_t)h & mask; set[i]; i = (i + 1) & mask)
    if (set[i] == h) return 1;
  return 0;
}

static int set_insert(uint64_t *set, size_t capacity, uint64_t h) {
  size_t mask = capacity - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    if (set[i] == h) return 0;
    if (set[i] == 0) {
      set[i] = h;
      return 1;
    }
  }
}

static int distinct_add(field_state *f, uint64_t h) {
  if (f->hll) {
    hll_add(f->hll, h);
    return VIRAL_OK;
  }
  if (2 * (f->set_count + 1) > f->set_capacity) {
    if (f->set_capacity && set_contains(f->set, f->set_capacity, h)) return VIRAL_OK;
    if (f->set_count + 1 > VIRAL_DESCRIBE_EXACT_DISTINCT) {
      /* One more than we keep: move to the sketch. */
      f->hll = calloc(HLL_REGISTERS, 1);
      if (!f->hll) return VIRAL_ERR_NOMEM;
      for (size_t i = 0; i < f->set_capacity; i++)
        if (f->set[i]) hll_add(f->hll, f->set[i]);
      free(f->set);
      f->set = NULL;
      f->set_capacity = 0;
      hll_add(f->hll, h);
      return VIRAL_OK;
    }
    size_t cap = f->set_capacity ? f->set_capacity * 2 : 16;
    uint64_t *grown = calloc(cap, sizeof *grown);
    if (!grown) return VIRAL_ERR_NOMEM;
    for (size_t i = 0; i < f->set_capacity; i++)
      if (f->set[i]) set_insert(grown, cap, f->set[i]);
    free(f->set);
    f->set = grown;
    f->set_capacity = cap;
  }
  f->set_count += (size_t)set_insert(f->set, f->set_capacity, h);
  return VIRAL_OK;
}

/* ---- exact whole numbers ---- */

/* s as a whole number: an optional '-' and digits, blanks around allowed;
 * sets its sign and magnitude. 0 when it is not one, does not fit 64 bits,
 * or is "-0" (a double keeps its sign). */
static int whole_number(const char *s, size_t len, int *neg, uint64_t *mag) {
  value_trim(&s, &len);
  size_t i = len > 0 && s[0] == '-';
  uint64_t m = 0;
  *neg = (int)i;
  if (i == len) return 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (m > (UINT64_MAX - d) / 10) return 0;
    m = m * 10 + d;
  }
  *mag = m;
  return !(*neg && m == 0);
}

static uint64_t slot_bits(const values *a, size_t i) {
  uint64_t bits;
  memcpy(&bits, &a->v[i], sizeof bits);
  return bits;
}

static int64_t bits_signed(uint64_t bits) {
  int64_t x;
  memcpy(&x, &bits, sizeof x);
  return x;
}

/* The plain values as doubles from now on. */
static void make_inexact(field_state *f) {
  if (f->exact == INEXACT) return;
  for (size_t i = 0; i < f->plain.count; i++) {
    uint64_t bits = slot_bits(&f->plain, i);
    f->plain.v[i] = f->exact == EXACT_SIGNED ? (double)bits_signed(bits) : (double)bits;
  }
  f->exact = INEXACT;
}

/* Hold the plain value x, written as text[0..len). */
static int plain_push(field_state *f, double x, const char *text, size_t len) {
  int neg;
  uint64_t mag;
  if (f->exact != INEXACT && whole_number(text, len, &neg, &mag)) {
    if (!neg && mag > INT64_MAX && f->exact == EXACT_SIGNED && !f->has_negative)
      f->exact = EXACT_UNSIGNED; /* the bits of the values so far stay the same */
    int fits = f->exact == EXACT_UNSIGNED ? !neg
               : neg                      ? mag <= (uint64_t)INT64_MAX + 1
                                          : mag <= INT64_MAX;
    if (fits) {
      uint64_t bits = neg ? 0 - mag : mag; /* two's complement of -mag */
      if (values_reserve(&f->plain) != VIRAL_OK) return VIRAL_ERR_NOMEM;
      memcpy(&f->plain.v[f->plain.count++], &bits, sizeof bits);
      f->has_negative |= neg;
      return VIRAL_OK;
    }
  }
  make_inexact(f);
  return values_push(&f->plain, x);
}

/* ---- type inference ---- */

static void drop_candidates(field_state *f, unsigned bits) {
  f->candidates &= ~bits;
  if (!(f->candidates & CAN_NUMERIC)) values_release(&f->plain);
  if (!(f->candidates & CAN_COUNT)) values_release(&f->extra[EXTRA_COUNT]);
  if (!(f->candidates & CAN_DURATION)) values_release(&f->extra[EXTRA_DURATION]);
  if (!(f->candidates & CAN_TIMESTAMP)) values_release(&f->extra[EXTRA_TIMESTAMP]);
}

/* Words in an item, separated by blanks. */
static size_t count_words(const char *s, size_t len) {
  size_t words = 0;
  int in_word = 0;
  for (size_t i = 0; i < len; i++) {
    int blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
    if (!blank && !in_word) words++;
    in_word = !blank;
  }
  return words;
}

/* Text fits a list when it splits on ',' or '|' into short items (tags are a
 * word or a few: "fyp", "kỷ niệm xưa"); captions and titles do not. */
static void check_list(field_state *f, const char *s, size_t len) {
  viral_strview items[LIST_CHECK_ITEMS];
  size_t n = viral_parse_list(s, len, ",|", items, LIST_CHECK_ITEMS);
  size_t checked = n < LIST_CHECK_ITEMS ? n : LIST_CHECK_ITEMS;
  for (size_t i = 0; i < checked; i++)
    if (count_words(items[i].ptr, items[i].len) > LIST_ITEM_WORDS) {
      f->list_misfits++;
      return;
    }
  if (n >= 2) f->list_multi++;
}

/* A value that is not a plain number: try the kinds that need parsing. */
static int observe_text(field_state *f, const char *s, size_t len) {
  static const struct {
    unsigned bit;
    int extra;
    int (*parse)(const char *, size_t, double *);
  } kinds[] = {{CAN_COUNT, EXTRA_COUNT, viral_parse_count},
               {CAN_DURATION, EXTRA_DURATION, viral_parse_duration},
               {CAN_TIMESTAMP, EXTRA_TIMESTAMP, NULL}};
  unsigned drop = CAN_NUMBER;
  int b;
  if (f->candidates & CAN_BOOL) {
    if (viral_parse_bool(s, len, &b) == VIRAL_OK) f->bool_word = 1;
    else drop |= CAN_BOOL;
  }
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    if (!(f->candidates & kinds[k].bit)) continue;
    double x;
    int rc = kinds[k].parse ? kinds[k].parse(s, len, &x) : viral_parse_timestamp(s, len, 0, &x);
    if (rc != VIRAL_OK || !isfinite(x)) drop |= kinds[k].bit;
    else if (values_push(&f->extra[kinds[k].extra], x) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  }
  if (f->candidates & CAN_LIST) check_list(f, s, len);
  drop_candidates(f, drop);
  return VIRAL_OK;
}

/* A plain number is a valid value of every numeric kind (a count without a
 * suffix, a duration in seconds, a timestamp in unix seconds), and a list of
 * one item (a tag "2024"). */
static int observe_number(field_state *f, double x, const char *text, size_t len) {
  unsigned drop = 0;
  if (x == 0) f->seen0 = 1;
  else if (x == 1) f->seen1 = 1;
  else drop |= CAN_BOOL;
  if ((f->candidates & CAN_NUMERIC) && plain_push(f, x, text, len) != VIRAL_OK)
    return VIRAL_ERR_NOMEM;
  drop_candidates(f, drop);
  return VIRAL_OK;
}

static int observe(field_state *f, const viral_value *v) {
  const char *text = v->text;
  size_t len = v->len;
  int rc = VIRAL_OK;
  double x;
  f->present++;
  switch (v->kind) {
  case VIRAL_VALUE_BOOL:
    f->bool_word = 1;
    drop_candidates(f, CAN_NUMERIC | CAN_LIST);
    text = v->number != 0 ? "true" : "false";
    len = strlen(text);
    break;
  case VIRAL_VALUE_LIST:
    f->list_multi++;
    drop_candidates(f, CAN_NUMERIC | CAN_BOOL);
    break;
  case VIRAL_VALUE_NUMBER:
    /* a JSON number's text is as written: 48200 in JSON and "48200" in CSV
     * count alike, and two ids a double cannot tell apart stay two */
    rc = isfinite(v->number) ? observe_number(f, v->number, text, len) : observe_text(f, text, len);
    break;
  default:
    if (viral_parse_number(text, len, &x) == VIRAL_OK && isfinite(x))
      rc = observe_number(f, x, text, len);
    else rc = observe_text(f, text, len);
    break;
  }
  if (rc != VIRAL_OK) return rc;
  return distinct_add(f, hash_bytes(text ? text : "", text ? len : 0));
}

/* ---- public API ---- */

const char *viral_field_type_name(viral_field_type type) {
  switch (type) {
  case VIRAL_FIELD_EMPTY: return "empty";
  case VIRAL_FIELD_BOOL: return "bool";
  case VIRAL_FIELD_NUMBER: return "number";
  case VIRAL_FIELD_COUNT: return "count";
  case VIRAL_FIELD_DURATION: return "duration";
  case VIRAL_FIELD_TIMESTAMP: return "timestamp";
  case VIRAL_FIELD_LIST: return "list";
  case VIRAL_FIELD_TEXT: return "text";
  }
  return "unknown";
}

viral_describe *viral_describe_create(void) { return calloc(1, sizeof(viral_describe)); }

/* Make room for the fields of rec's schema (a JSON reader's schema grows). */
static int add_fields(viral_describe *d, const viral_record *rec) {
  size_t n = viral_record_field_count(rec);
  if (n <= d->field_count) return VIRAL_OK;
  if (n > d->field_capacity) {
    size_t cap = d->field_capacity ? d->field_capacity : 16;
    while (cap < n) cap *= 2;
    field_state *grown = realloc(d->fields, cap * sizeof *grown);
    if (!grown) return VIRAL_ERR_NOMEM;
    d->fields = grown;
    d->field_capacity = cap;
  }
  for (size_t i = d->field_count; i < n; i++) {
    field_state *f = &d->fields[i];
    const char *name = viral_record_field_name(rec, i);
    size_t len = strlen(name);
    memset(f, 0, sizeof *f);
    f->candidates = CAN_BOOL | CAN_NUMERIC | CAN_LIST;
    if (!(f->name = text_dup_len(name, len))) return VIRAL_ERR_NOMEM;
    d->field_count = i + 1;
  }
  return VIRAL_OK;
}

int viral_describe_add(viral_describe *d, const viral_record *rec, viral_error *err) {
  VIRAL_ASSERT(!d->summaries);
  if (add_fields(d, rec) != VIRAL_OK) goto nomem;
  size_t n = viral_record_field_count(rec);
  for (size_t i = 0; i < n; i++) {
    const viral_value *v = viral_record_value(rec, i);
    if (v->kind == VIRAL_VALUE_MISSING) continue;
    if (observe(&d->fields[i], v) != VIRAL_OK) goto nomem;
  }
  d->rows++;
  return VIRAL_OK;
nomem:
  return viral_error_set(err, VIRAL_ERR_NOMEM, viral_record_source(rec), viral_record_line(rec),
                         "out of memory");
}

static viral_field_type decide_type(const field_state *f) {
  unsigned c = f->candidates;
  if (f->present == 0) return VIRAL_FIELD_EMPTY;
  if ((c & CAN_BOOL) && (f->bool_word || (f->seen0 && f->seen1))) return VIRAL_FIELD_BOOL;
  if (c & CAN_NUMBER) return VIRAL_FIELD_NUMBER;
  if (c & CAN_COUNT) return VIRAL_FIELD_COUNT;
  if (c & CAN_DURATION) return VIRAL_FIELD_DURATION;
  if (c & CAN_TIMESTAMP) return VIRAL_FIELD_TIMESTAMP;
  if ((c & CAN_LIST) && f->list_multi * 100 >= f->present * LIST_MULTI_PER_100 &&
      f->list_misfits * 100 <= f->present * LIST_MISFITS_PER_100)
    return VIRAL_FIELD_LIST;
  return VIRAL_FIELD_TEXT;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int compare_signed(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int compare_unsigned(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* x (int64 bits when is_signed) as decimal text in buf[24]; returns x as a double. */
static double whole_text(char *buf, uint64_t x, int is_signed) {
  if (is_signed) {
    snprintf(buf, 24, "%lld", (long long)bits_signed(x));
    return (double)bits_signed(x);
  }
  snprintf(buf, 24, "%llu", (unsigned long long)x);
  return (double)x;
}

/* The mean of lo <= hi exactly, as text in buf[24] ("-1.5" is between -2
 * and -1); returns it as a double. */
static double whole_mean(char *buf, uint64_t lo, uint64_t hi, int is_signed) {
  uint64_t diff = hi - lo; /* fits: hi - lo < 2^64 in either reading */
  uint64_t mid = lo + diff / 2; /* rounded toward lo */
  double x = whole_text(buf, mid, is_signed);
  if (!(diff & 1)) return x;
  if (is_signed && bits_signed(mid) < 0) { /* mid + 0.5 = -(|mid| - 0.5) */
    snprintf(buf, 24, "-%llu.5", (unsigned long long)(0 - mid - 1));
    return x + 0.5;
  }
  strcat(buf, ".5");
  return x + 0.5;
}

/* min, median and max of exact plain values, digit for digit. */
static int summarize_exact(field_state *f, viral_field_summary *s) {
  size_t n = f->plain.count;
  int is_signed = f->exact == EXACT_SIGNED;
  uint64_t *all = malloc((n ? n : 1) * sizeof *all);
  if (!all) return VIRAL_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) all[i] = slot_bits(&f->plain, i);
  qsort(all, n, sizeof *all, is_signed ? compare_signed : compare_unsigned);
  s->has_range = 1;
  s->min = whole_text(s->min_text, all[0], is_signed);
  s->max = whole_text(s->max_text, all[n - 1], is_signed);
  s->median = n % 2 ? whole_text(s->median_text, all[n / 2], is_signed)
                    : whole_mean(s->median_text, all[n / 2 - 1], all[n / 2], is_signed);
  free(all);
  return VIRAL_OK;
}

/* min, median and max of the plain values and the extra ones of kind. */
static int summarize_range(field_state *f, int extra, viral_field_summary *s) {
  values *more = extra >= 0 ? &f->extra[extra] : NULL;
  if (more && more->count) make_inexact(f);
  if (f->exact != INEXACT && f->plain.count) return summarize_exact(f, s);
  size_t n = f->plain.count + (more ? more->count : 0);
  double *all = malloc((n ? n : 1) * sizeof *all);
  if (!all) return VIRAL_ERR_NOMEM;
  if (f->plain.count) memcpy(all, f->plain.v, f->plain.count * sizeof *all);
  if (more && more->count) memcpy(all + f->plain.count, more->v, more->count * sizeof *all);
  qsort(all, n, sizeof *all, compare_doubles);
  s->has_range = 1;
  s->min = all[0];
  s->max = all[n - 1];
  s->median = n % 2 ? all[n / 2] : all[n / 2 - 1] + (all[n / 2] - all[n / 2 - 1]) / 2;
  free(all);
  return VIRAL_OK;
}

int viral_describe_finish(viral_describe *d, viral_error *err) {
  VIRAL_ASSERT(!d->summaries);
  d->summaries = calloc(d->field_count ? d->field_count : 1, sizeof *d->summaries);
  if (!d->summaries) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t i = 0; i < d->field_count; i++) {
    field_state *f = &d->fields[i];
    viral_field_summary *s = &d->summaries[i];
    s->name = f->name;
    s->type = decide_type(f);
    s->present = f->present;
    s->missing = d->rows - f->present;
    s->distinct_exact = f->hll == NULL;
    s->distinct = f->hll ? hll_estimate(f->hll) : f->set_count;
    int extra = -2;
    if (s->type == VIRAL_FIELD_NUMBER) extra = -1;
    else if (s->type == VIRAL_FIELD_COUNT) extra = EXTRA_COUNT;
    else if (s->type == VIRAL_FIELD_DURATION) extra = EXTRA_DURATION;
    else if (s->type == VIRAL_FIELD_TIMESTAMP) extra = EXTRA_TIMESTAMP;
    if (extra > -2 && summarize_range(f, extra, s) != VIRAL_OK)
      return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    /* The values are no longer needed: give the memory back early. */
    drop_candidates(f, CAN_NUMERIC);
    free(f->set);
    f->set = NULL;
    free(f->hll);
    f->hll = NULL;
  }
  return VIRAL_OK;
}

size_t viral_describe_rows(const viral_describe *d) { return d->rows; }

size_t viral_describe_field_count(const viral_describe *d) { return d->field_count; }

const viral_field_summary *viral_describe_field(const viral_describe *d, size_t i) {
  VIRAL_ASSERT(d->summaries && i < d->field_count);
  return &d->summaries[i];
}

void viral_describe_free(viral_describe *d) {
  if (!d) return;
  for (size_t i = 0; i < d->field_count; i++) {
    field_state *f = &d->fields[i];
    free(f->name);
    values_release(&f->plain);
    for (int k = 0; k < EXTRA_KINDS; k++) values_release(&f->extra[k]);
    free(f->set);
    free(f->hll);
  }
  free(d->fields);
  free(d->summaries);
  free(d);
}
