/* dist.c - the processes of an MPI job (viral/dist.h). Every MPI call of
 * viral is in this file; built without MPI (VIRAL_MPI undefined) or run
 * without a launcher, it is a job of one process and each call is a no-op. */
#include "viral/dist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef VIRAL_MPI
#include <mpi.h>
#endif

static int joined; /* 1: MPI_Init was called */
static int rank_, size_ = 1;

int viral_dist_rank(void) { return rank_; }
int viral_dist_size(void) { return size_; }

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

/* Process 0's own part: mine, read from its start. */
static int rewind_mine(FILE *mine, FILE **parts, viral_error *err) {
  parts[0] = mine;
  if (fflush(mine) == 0 && fseek(mine, 0, SEEK_SET) == 0) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot read back the bytes to gather");
}

#ifdef VIRAL_MPI

static unsigned long long *lens_; /* [size_] the lengths of an allgather */
static int *counts_, *at_;        /* [size_] the same as MPI counts, and where each goes */

/* 1 when a launcher started this process as part of a job: Open MPI's
 * mpirun, MPICH's hydra and Slurm's PMI, or a PMIx launcher. A process
 * started alone never calls MPI_Init, which costs a third of a second and
 * a helper daemon even for a job of one. */
static int launched(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    if (getenv(vars[i])) return 1;
  return 0;
}

static int mpi_init(int *argc, char ***argv, viral_error *err) {
  if (!launched()) return VIRAL_OK;
  if (MPI_Init(argc, argv) != MPI_SUCCESS)
    return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot join the MPI job");
  joined = 1;
  /* errors come back as statuses, said by viral, rather than aborting the job */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  /* allocated here, so a gather never leaves the others waiting for want of
   * memory (a process that fails here exits, and mpirun ends the job) */
  lens_ = malloc((size_t)size_ * sizeof *lens_);
  counts_ = malloc((size_t)size_ * sizeof *counts_);
  at_ = malloc((size_t)size_ * sizeof *at_);
  return lens_ && counts_ && at_ ? VIRAL_OK : nomem(err);
}

static void mpi_finalize(void) {
  MPI_Finalize();
  free(lens_), free(counts_), free(at_);
  lens_ = NULL, counts_ = at_ = NULL;
}

static int mpi_failed(viral_error *err, const char *what) {
  return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "rank %d: MPI %s failed", rank_, what);
}

/* The failure the job agrees on: smallest key, then lowest rank. */
typedef struct failure {
  int code;
  char message[VIRAL_ERROR_MAX];
} failure;

static int mpi_agree(int status, int64_t key, viral_error *err) {
  /* MINLOC over (key, rank) */
  struct {
    long key;
    int rank;
  } mine = {LONG_MAX, rank_}, first; /* MPI_LONG_INT: LONG_MAX stands for "succeeded" */
  if (status < 0) mine.key = key < LONG_MAX ? (long)key : LONG_MAX - 1;
  if (MPI_Allreduce(&mine, &first, 1, MPI_LONG_INT, MPI_MINLOC, MPI_COMM_WORLD) != MPI_SUCCESS)
    return mpi_failed(err, "allreduce");
  if (first.key == LONG_MAX) return VIRAL_OK;
  failure f = {status, ""};
  if (rank_ == first.rank && err) snprintf(f.message, sizeof f.message, "%s", err->message);
  if (MPI_Bcast(&f, (int)sizeof f, MPI_BYTE, first.rank, MPI_COMM_WORLD) != MPI_SUCCESS)
    return mpi_failed(err, "broadcast");
  return viral_error_set(err, f.code < 0 ? f.code : VIRAL_ERR_IO, NULL, 0, "rank %d: %s", first.rank, f.message);
}

static int mpi_sum(uint64_t *v, size_t n, viral_error *err) {
  if (n > INT_MAX) return viral_error_set(err, VIRAL_ERR_LIMIT, NULL, 0, "too many counts to sum over MPI");
  if (MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
    return mpi_failed(err, "allreduce");
  return VIRAL_OK;
}

/* Not MPI_Allreduce: MPI only advises, without promising, that every
 * process gets the same bits of a floating-point sum; a reduction to one
 * process and a broadcast of its result promises it. */
static int mpi_sum_double(double *v, size_t n, viral_error *err) {
  if (n > INT_MAX) return viral_error_set(err, VIRAL_ERR_LIMIT, NULL, 0, "too many numbers to sum over MPI");
  if (MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : v, v, (int)n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
    return mpi_failed(err, "reduce");
  if (MPI_Bcast(v, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return mpi_failed(err, "broadcast");
  return VIRAL_OK;
}

static int mpi_max_double(double *v, size_t n, viral_error *err) {
  if (n > INT_MAX) return viral_error_set(err, VIRAL_ERR_LIMIT, NULL, 0, "too many numbers to compare over MPI");
  if (MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
    return mpi_failed(err, "allreduce");
  return VIRAL_OK;
}

static int mpi_allgather(const void *mine, size_t len, char **all, size_t *total, viral_error *err) {
  unsigned long long my_len = len, sum = 0;
  int rc = VIRAL_OK;
  if (MPI_Allgather(&my_len, 1, MPI_UNSIGNED_LONG_LONG, lens_, 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD) != MPI_SUCCESS)
    return mpi_failed(err, "allgather");
  for (int r = 0; r < size_ && rc == VIRAL_OK; r++) {
    at_[r] = (int)sum;
    sum += lens_[r];
    if (sum > INT_MAX) rc = viral_error_set(err, VIRAL_ERR_LIMIT, NULL, 0, "more than 2 GiB to gather over MPI");
    else counts_[r] = (int)lens_[r];
  }
  /* every process saw the same lengths: the same verdict, no need to agree */
  if (rc == VIRAL_OK && sum && !(*all = malloc((size_t)sum))) rc = nomem(err);
  if ((rc = mpi_agree(rc, 0, err)) == VIRAL_OK &&
      MPI_Allgatherv(mine, (int)len, MPI_BYTE, *all, counts_, at_, MPI_BYTE, MPI_COMM_WORLD) != MPI_SUCCESS)
    rc = mpi_failed(err, "allgatherv");
  if (rc == VIRAL_OK) *total = (size_t)sum;
  else free(*all), *all = NULL;
  return rc;
}

#define CHUNK (1 << 20)
#define STREAM_TAG 7301

/* Process r > 0: the bytes of mine to process 0, in chunks; an empty
 * message ends them (also after a read error, so process 0 never waits). */
static int send_stream(FILE *mine, char *buf, viral_error *err) {
  int rc = buf && fseek(mine, 0, SEEK_SET) == 0 ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot read back the bytes to gather");
  size_t n;
  while (rc == VIRAL_OK && (n = fread(buf, 1, CHUNK, mine)) > 0)
    if (MPI_Send(buf, (int)n, MPI_BYTE, 0, STREAM_TAG, MPI_COMM_WORLD) != MPI_SUCCESS) return mpi_failed(err, "send");
  if (rc == VIRAL_OK && ferror(mine)) rc = viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot read back the bytes to gather");
  if (MPI_Send(buf, 0, MPI_BYTE, 0, STREAM_TAG, MPI_COMM_WORLD) != MPI_SUCCESS) return mpi_failed(err, "send");
  return rc;
}

/* Process 0: process r's chunks into a temporary file (*part); after a
 * failure the chunks are still received, and dropped. */
static int receive_stream(int r, FILE **part, char *buf, viral_error *err) {
  int rc = buf && (*part = tmpfile()) ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot create a temporary file");
  for (;;) {
    MPI_Status st;
    int n = 0;
    static char none[1];
    if (MPI_Recv(buf ? buf : none, buf ? CHUNK : 0, MPI_BYTE, r, STREAM_TAG, MPI_COMM_WORLD, &st) != MPI_SUCCESS)
      return mpi_failed(err, "receive");
    MPI_Get_count(&st, MPI_BYTE, &n);
    if (n == 0) break;
    if (rc == VIRAL_OK && fwrite(buf, 1, (size_t)n, *part) != (size_t)n)
      rc = viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write a temporary file");
  }
  if (rc == VIRAL_OK && (fflush(*part) != 0 || fseek(*part, 0, SEEK_SET) != 0))
    rc = viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write a temporary file");
  return rc;
}

static int mpi_gather_stream(FILE *mine, FILE **parts, viral_error *err) {
  if (rank_ != 0) {
    char *buf = malloc(CHUNK);
    int rc = send_stream(mine, buf, err);
    free(buf);
    return rc;
  }
  int rc = rewind_mine(mine, parts, err);
  char *buf = malloc(CHUNK);
  for (int r = 1; r < size_; r++) {
    parts[r] = NULL;
    int one = receive_stream(r, &parts[r], buf, rc == VIRAL_OK ? err : NULL);
    if (rc == VIRAL_OK) rc = one;
  }
  free(buf);
  return rc;
}

#else /* built without MPI: always a job of one, the calls below are never made */

static int mpi_init(int *argc, char ***argv, viral_error *err) {
  (void)argc, (void)argv, (void)err;
  return VIRAL_OK;
}
static void mpi_finalize(void) {}
static int mpi_agree(int status, int64_t key, viral_error *err) {
  (void)key, (void)err;
  return status;
}
static int mpi_sum(uint64_t *v, size_t n, viral_error *err) {
  (void)v, (void)n, (void)err;
  return VIRAL_OK;
}
static int mpi_sum_double(double *v, size_t n, viral_error *err) {
  (void)v, (void)n, (void)err;
  return VIRAL_OK;
}
static int mpi_max_double(double *v, size_t n, viral_error *err) {
  (void)v, (void)n, (void)err;
  return VIRAL_OK;
}
static int mpi_allgather(const void *mine, size_t len, char **all, size_t *total, viral_error *err) {
  (void)mine, (void)len, (void)all, (void)total, (void)err;
  return VIRAL_OK;
}
static int mpi_gather_stream(FILE *mine, FILE **parts, viral_error *err) {
  (void)mine, (void)parts, (void)err;
  return VIRAL_OK;
}

#endif

/* ---- the API: a job of one answers here, without MPI ---- */

int viral_dist_init(int *argc, char ***argv, viral_error *err) {
  if (joined) return VIRAL_OK;
  return mpi_init(argc, argv, err);
}

void viral_dist_finalize(void) {
  if (joined) mpi_finalize();
  joined = 0;
}

/* What this process's collective calls sent (viral_dist_traffic). */
static viral_dist_traffic_counts traffic_;

static void count(size_t bytes) {
  traffic_.calls++;
  traffic_.bytes += bytes;
}

void viral_dist_traffic(viral_dist_traffic_counts *out) { *out = traffic_; }

int viral_dist_agree(int status, int64_t key, viral_error *err) {
  if (size_ == 1) return status < 0 ? status : VIRAL_OK;
  count(sizeof status + sizeof key);
  return mpi_agree(status, key, err);
}

int viral_dist_sum(uint64_t *v, size_t n, viral_error *err) {
  if (size_ == 1 || n == 0) return VIRAL_OK;
  count(n * sizeof *v);
  return mpi_sum(v, n, err);
}

int viral_dist_sum_double(double *v, size_t n, viral_error *err) {
  if (size_ == 1 || n == 0) return VIRAL_OK;
  count(n * sizeof *v);
  return mpi_sum_double(v, n, err);
}

int viral_dist_max_double(double *v, size_t n, viral_error *err) {
  if (size_ == 1 || n == 0) return VIRAL_OK;
  count(n * sizeof *v);
  return mpi_max_double(v, n, err);
}

int viral_dist_allgather(const void *mine, size_t len, char **all, size_t *total, viral_error *err) {
  *all = NULL;
  *total = 0;
  if (size_ > 1) count(len);
  if (size_ > 1) return mpi_allgather(mine, len, all, total, err);
  if (len && !(*all = malloc(len))) return nomem(err);
  if (len) memcpy(*all, mine, len);
  *total = len;
  return VIRAL_OK;
}

int viral_dist_gather_stream(FILE *mine, FILE **parts, viral_error *err) {
  return size_ > 1 ? mpi_gather_stream(mine, parts, err) : rewind_mine(mine, parts, err);
}
