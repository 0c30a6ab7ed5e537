/* learner.c - the learner table (viral/learner.h, learn/learner.h) and the
 * training options every learner shares: which learner, the seed, the
 * class weights. A new learner is one more row here. */
#include "learn/learner.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ---- */

static const viral_learner *const table[] = {
    &viral_logistic_learner_, /* the first is the default */
    &viral_svm_learner_,
    &viral_gbt_learner_,
};

#define LEARNERS (sizeof table / sizeof table[0])

const viral_learner *viral_learner_at(size_t i) { return i < LEARNERS ? table[i] : NULL; }
const viral_learner *viral_learner_default(void) { return table[0]; }
const char *viral_learner_name(const viral_learner *l) { return l->name; }
int viral_learner_online(const viral_learner *l) { return l->create != NULL && l->learn != NULL; }
const char *viral_learner_scaling(const viral_learner *l) { return l->scaling; }

const viral_learner *viral_learner_find(const char *name) {
  for (size_t i = 0; i < LEARNERS; i++)
    if (strcmp(table[i]->name, name) == 0) return table[i];
  return NULL;
}

void viral_learner_list(char *buf, size_t size, int quoted, int online) {
  const viral_learner *listed[LEARNERS];
  size_t n = 0, used = 0;
  for (size_t i = 0; i < LEARNERS; i++)
    if (!online || viral_learner_online(table[i])) listed[n++] = table[i];
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
    int k = snprintf(buf + used, size - used, quoted ? "%s\"%s\"" : "%s%s", sep, listed[i]->name);
    if (k < 0) break;
    used += (size_t)k;
  }
}

/* ---- options every learner shares ---- */

/* The options viral_train_options_parse reads itself; a learner lists the
 * ones that apply to it (with a NULL help) where the help shows them. */
static const viral_option shared_options[] = {
    {"seed", "N", "seed of the shuffle and of libsvm's random generator (default 1)"},
    {"class-weight", "W", "balanced, or W0:W1 importances of the two classes"},
    {NULL, NULL, NULL},
};

static const viral_option *shared_option(const char *name) {
  for (const viral_option *o = shared_options; o->name; o++)
    if (strcmp(o->name, name) == 0) return o;
  return NULL;
}

int viral_option_error(viral_error *err, const char *fmt, ...) {
  char msg[VIRAL_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "%s", msg);
}

int viral_option_number(viral_option_get get, void *ctx, const char *name, double *out, viral_error *err) {
  const char *v = get(ctx, name);
  if (!v) return VIRAL_OK;
  char *end = NULL;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end != '\0' || errno == ERANGE)
    return viral_option_error(err, "--%s needs a number, not '%s'", name, v);
  *out = x;
  return VIRAL_OK;
}

int viral_option_whole(viral_option_get get, void *ctx, const char *name, long *out, viral_error *err) {
  const char *v = get(ctx, name);
  if (!v) return VIRAL_OK;
  char *end = NULL;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (end == v || *end != '\0' || errno == ERANGE)
    return viral_option_error(err, "--%s needs a whole number, not '%s'", name, v);
  *out = x;
  return VIRAL_OK;
}

/* --class-weight balanced | W0:W1 */
static int class_weights(viral_train_options *o, viral_option_get get, void *ctx, viral_error *err) {
  const char *w = get(ctx, "class-weight");
  if (!w) return VIRAL_OK;
  if (strcmp(w, "balanced") == 0) {
    o->balanced = 1;
    return VIRAL_OK;
  }
  char *end = NULL;
  double w0 = strtod(w, &end), w1 = -1;
  if (end != w && *end == ':') {
    const char *second = end + 1;
    w1 = strtod(second, &end);
    if (end == second || *end) w1 = -1;
  }
  if (!(w0 >= 0 && w1 >= 0 && w0 + w1 > 0))
    return viral_option_error(err, "--class-weight must be 'balanced' or W0:W1 such as 1:5, not '%s'", w);
  o->weight0 = w0;
  o->weight1 = w1;
  return VIRAL_OK;
}

/* ---- training options ---- */

_Static_assert(VIRAL_TRAIN_PARAMS_SIZE >= 128, "room for a learner's parameters");

void viral_train_options_set_learner(viral_train_options *o, const viral_learner *l) {
  o->learner = l;
  memset(&o->params, 0, sizeof o->params);
  l->params_init(o->params.bytes);
}

void viral_train_options_init(viral_train_options *o) {
  memset(o, 0, sizeof *o);
  viral_train_options_set_learner(o, viral_learner_default());
  o->seed = 1;
  o->weight0 = o->weight1 = 1;
  o->threshold = 0.5;
  o->calibration_fraction = 0.2;
}

int viral_train_options_parse(viral_train_options *o, viral_option_get get, void *ctx, viral_error *err) {
  const char *name = get(ctx, "learner");
  const viral_learner *chosen = name ? viral_learner_find(name) : o->learner;
  if (!chosen) {
    char list[256];
    viral_learner_list(list, sizeof list, 0, 0);
    return viral_option_error(err, "--learner must be %s, not '%s'", list, name);
  }
  if (chosen != o->learner) viral_train_options_set_learner(o, chosen);
  /* every learner reads its options, so that a bad value is an error
   * whichever learner runs; the chosen one keeps what it read */
  for (size_t i = 0; i < LEARNERS; i++) {
    viral_train_options scratch = *o;
    if (table[i] != chosen) viral_train_options_set_learner(&scratch, table[i]);
    int rc = table[i]->params_parse(scratch.params.bytes, get, ctx, err);
    if (rc != VIRAL_OK) return rc;
    if (table[i] == chosen) o->params = scratch.params;
  }
  long seed = o->seed;
  int rc = viral_option_whole(get, ctx, "seed", &seed, err);
  if (rc != VIRAL_OK) return rc;
  if (seed < 0 || seed > 4294967295L) return viral_option_error(err, "--seed must be from 0 to 4294967295");
  o->seed = (uint32_t)seed;
  if ((rc = class_weights(o, get, ctx, err)) != VIRAL_OK) return rc;
  const char *why = chosen->params_check(o);
  return why ? viral_option_error(err, "%s", why) : VIRAL_OK;
}

void viral_train_options_describe(const viral_train_options *t, char *buf, size_t size) {
  char params[400];
  t->learner->params_describe(t, params, sizeof params);
  int n = snprintf(buf, size, "%s (%s%s", t->learner->name, params, t->balanced ? ", balanced" : "");
  if (n < 0 || (size_t)n >= size) return;
  if (t->calibrate != VIRAL_CALIBRATION_NONE)
    n += snprintf(buf + n, size - (size_t)n, ", calibrated %s on %g of the training part",
                  viral_calibration_name(t->calibrate), t->calibration_fraction);
  if (n >= 0 && (size_t)n < size) snprintf(buf + n, size - (size_t)n, ")");
}

/* ---- the options a command line lists ---- */

#define MAX_LISTED 64

static viral_option listed[MAX_LISTED + 1];
static char learner_help[256];
static pthread_once_t listed_once = PTHREAD_ONCE_INIT;

static int is_listed(const char *name, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(listed[i].name, name) == 0) return 1;
  return 0;
}

/* "logistic (default, batch optimum, then online) or svm (...)": each learner's name and
 * the first words of its own description. */
static void describe_learners(void) {
  size_t used = 0;
  for (size_t i = 0; i < LEARNERS && used < sizeof learner_help; i++) {
    const char *sep = i == 0 ? "" : i + 1 == LEARNERS ? " or " : ", ";
    int n = snprintf(learner_help + used, sizeof learner_help - used, "%s%s (%s%s)", sep, table[i]->name,
                     i == 0 ? "default, " : "", table[i]->summary);
    if (n < 0) break;
    used += (size_t)n;
  }
}

static void list_options(void) {
  size_t n = 0;
  describe_learners();
  listed[n++] = (viral_option){"learner", "NAME", learner_help};
  for (size_t i = 0; i < LEARNERS; i++)
    for (const viral_option *o = table[i]->options; o->name && n < MAX_LISTED; o++)
      if (!is_listed(o->name, n)) listed[n++] = o->help ? *o : *shared_option(o->name);
  for (const viral_option *o = shared_options; o->name && n < MAX_LISTED; o++)
    if (!is_listed(o->name, n)) listed[n++] = *o;
  listed[n] = (viral_option){NULL, NULL, NULL};
}

const viral_option *viral_train_option_list(void) {
  pthread_once(&listed_once, list_options);
  return listed;
}
