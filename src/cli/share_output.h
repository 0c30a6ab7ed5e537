/* share_output.h - one output written in shares by the processes of an MPI
 * job and put back together, in input order, by process 0 (viral score
 * under mpirun).
 *
 * Each process owns the blocks of CLI_SHARE_BLOCK records whose number is
 * its rank modulo the job's size (the row source's share options), writes
 * the rows of its blocks to its part, and notes where each block ends. A
 * part is the rows, then the end offset of each of its blocks and their
 * count (uint64 each): process 0 reads the block ends back and copies block
 * 0 from part 0, block 1 from part 1, and so on. */
#ifndef VIRAL_CLI_SHARE_OUTPUT_H
#define VIRAL_CLI_SHARE_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "viral/error.h"
#include "viral/rows.h"

#define CLI_SHARE_BLOCK 256

typedef struct cli_share {
  FILE *out;      /* this process's part */
  unsigned share, shares;
  uint64_t *ends; /* [count] where each of its blocks ends in out */
  size_t count, cap;
} cli_share;

/* This process's share (viral_dist_rank of viral_dist_size), written to out
 * (borrowed). */
void cli_share_init(cli_share *s, FILE *out);
/* The row source options that read this share. */
void cli_share_rows_options(const cli_share *s, viral_rows_options *o);
/* Before writing the row of record: close the blocks before its block. */
int cli_share_row(cli_share *s, uint64_t record, viral_error *err);
/* After the last row, records being every record of the input: close the
 * blocks left and write the block ends. */
int cli_share_finish(cli_share *s, uint64_t records, viral_error *err);
void cli_share_release(cli_share *s);

/* The shares parts[0..shares) (each at its start) into out, in input
 * order. VIRAL_OK or an error. */
int cli_share_merge(FILE *const *parts, unsigned shares, FILE *out, viral_error *err);

#endif
