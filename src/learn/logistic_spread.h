/* logistic_spread.h - internal: the online logistic learner (one pass)
 * over the processes of an MPI job (viral/dist.h). Each process learns its
 * share of the rows online; every so many rows of each (below) and at the
 * end the processes synchronise (logistic_spread_sync,
 * collective): the processes' models are averaged (iterative parameter
 * mixing, McDonald, Hall and Mann 2010): the weights, and each coordinate's
 * squared gradients gathered since the last synchronisation (so each
 * process's learning rates fall as one process's would on its share), the
 * optimizer's state seeded to give the averaged weights with them (as the
 * batch optimum seeds it: viral/logistic.h); the dense statistics become
 * those of all the rows seen (io/welford.h), the hashed scales their
 * maximum. Measured on 1M generated rows (tools/bench/mpi.sh), test AUC:
 * 0.9756 alone, 0.9759 over 2 processes, 0.9755 over 4. Summing the
 * processes' changes instead overshot (0.69 over 2: each makes the same
 * early progress on the intercept); summing the squared gradients but
 * averaging the weights gave 0.9758 and 0.9744.
 * Every process ends with the same state, bit for bit. */
#ifndef VIRAL_LOGISTIC_SPREAD_H
#define VIRAL_LOGISTIC_SPREAD_H

#include "learn/logistic_json.h"

/* Rows each process learns between synchronisations: FIRST, then twice
 * as many each time up to INTERVAL (the models part most at the start,
 * when every row moves them; a sync sends 2^bits doubles and more). */
#define LOGISTIC_SPREAD_FIRST 256
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
