/* viral/dist.h - one process among the processes of an MPI job.
 *
 * A program started by mpirun (or srun, or any launcher that sets Open
 * MPI's, MPICH's or PMIx's environment) joins its job with viral_dist_init;
 * the library then spreads the work of a cross-validation and of a grid
 * search over the processes (viral/eval.h), and the CLI scores shares of an
 * input. A program started any other way, or a libviral built without MPI
 * (VIRAL_MPI=OFF), is the only process of a job of one: every call below
 * then does nothing and returns at once, and nothing changes.
 *
 * The collective calls (agree, sum, allgather, gather_stream) must be made
 * by every process of the job, in the same order: a process that skips one
 * leaves the others waiting. So a process that fails keeps going to the next
 * collective call with its failure, and viral_dist_agree tells everyone. */
#ifndef VIRAL_DIST_H
#define VIRAL_DIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Join the MPI job this process was launched in, if any (MPI_Init);
 * argc and argv may be NULL. VIRAL_OK, or an error when the job cannot be
 * joined. Call once, before any other call here. */
int viral_dist_init(int *argc, char ***argv, viral_error *err);
/* Leave the job (MPI_Finalize). NULL-safe in spirit: nothing when none was
 * joined. */
void viral_dist_finalize(void);

/* This process's number, 0 to size - 1 (0 alone). */
int viral_dist_rank(void);
/* The processes of the job (1 alone). */
int viral_dist_size(void);

/* Collective: whether every process succeeded. status is this process's
 * (VIRAL_OK or a negative status with err set); key orders the failures:
 * when some failed, every process gets in err the message of the one with
 * the smallest key (the first bad row, the first fold; ties: the lowest
 * rank), prefixed "rank R: " when the job has several processes, and
 * returns its status. Returns VIRAL_OK when all succeeded. */
int viral_dist_agree(int status, int64_t key, viral_error *err);

/* Collective: v[n] summed over the processes, in place, on every process. */
int viral_dist_sum(uint64_t *v, size_t n, viral_error *err);

/* Collective: v[n] summed over the processes, in place: the same bits on
 * every process (summed on process 0, then sent to all), so the processes
 * of an iterative solver that sums its gradients here take the same steps.
 * The order of the terms is the MPI library's: a sum may differ from one
 * process's in its last bits, and may differ with the number of
 * processes, never from one run to the next of the same job. */
int viral_dist_sum_double(double *v, size_t n, viral_error *err);

/* Collective: v[n] replaced by the largest value of each element over the
 * processes, the same on every process (a maximum does not depend on the
 * order it is taken in). NaN elements are not to be compared. */
int viral_dist_max_double(double *v, size_t n, viral_error *err);

/* Collective: the len bytes at mine of every process, one after another in
 * rank order, on every process: *all (caller frees; NULL when the total is
 * 0) and *total. At most 2 GiB in all. VIRAL_OK or an error (the same on
 * every process). */
int viral_dist_allgather(const void *mine, size_t len, char **all, size_t *total, viral_error *err);

/* Collective: the bytes of mine from its start to its end, of every
 * process, to process 0: there parts[r] (parts has size entries) is a
 * readable stream at its start holding process r's bytes (parts[0] is mine,
 * rewound; the others are temporary files the caller closes). Elsewhere
 * parts is not used. Any size: the bytes travel in chunks. VIRAL_OK or this
 * process's error (agree on it after). */
int viral_dist_gather_stream(FILE *mine, FILE **parts, viral_error *err);

/* What this process's collective calls (agree, sums, maxima, allgather;
 * not gather_stream) have sent since it started: the number of calls and
 * the bytes of its own part in them (a sum of n doubles: 8 n, whatever the
 * MPI library moves on the wire to sum them). Zeros alone. */
typedef struct viral_dist_traffic_counts {
  uint64_t calls;
  uint64_t bytes;
} viral_dist_traffic_counts;
void viral_dist_traffic(viral_dist_traffic_counts *out);

#ifdef __cplusplus
}
#endif
#endif
