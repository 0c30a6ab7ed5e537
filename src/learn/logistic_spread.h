/* logistic_spread.h - internal: the online logistic learner (one pass)
 * over the processes of an MPI job (viral/dist.h). Each process learns its
 * share of the rows online; every LOGISTIC_SPREAD_INTERVAL rows of each
 * and at the end the processes synchronise (logistic_spread_sync,
 * collective): the weights become their average over the processes (model
 * averaging: iterative parameter mixing, McDonald, Hall and Mann 2010),
 * each coordinate's squared gradients the sum of every process's since the
 * last synchronisation (what one process learning every row would have
 * gathered, so the learning rates fall as one process's would) with the
 * optimizer's state seeded to give the averaged weights with it (as the
 * batch optimum seeds it: viral/logistic.h), the dense statistics those of
 * all the rows seen (io/welford.h), the hashed scales their maximum.
 * Every process ends with the same state, bit for bit. */
#ifndef VIRAL_LOGISTIC_SPREAD_H
#define VIRAL_LOGISTIC_SPREAD_H

#include "learn/logistic_json.h"

/* Rows each process learns between synchronisations. */
#define LOGISTIC_SPREAD_INTERVAL 16384

typedef struct logistic_spread {
  double *base; /* the state at the last synchronisation (logistic_spread.c) */
  size_t size;
} logistic_spread;

/* Remember m's state (every process's is the same: a new learner, or one
 * just synchronised). VIRAL_OK or VIRAL_ERR_NOMEM with err set. */
int logistic_spread_start(logistic_spread *s, const viral_logistic *m, viral_error *err);
/* Collective: the processes' changes since the last synchronisation
 * merged into m on every process (above). VIRAL_OK or an error (the same
 * on every process). */
int logistic_spread_sync(logistic_spread *s, viral_logistic *m, viral_error *err);
void logistic_spread_release(logistic_spread *s);

#endif
