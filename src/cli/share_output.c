/* share_output.c - an output written in shares and merged (share_output.h). */
#include "share_output.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "viral/dist.h"

void cli_share_init(cli_share *s, FILE *out) {
  memset(s, 0, sizeof *s);
  s->out = out;
  s->share = (unsigned)viral_dist_rank();
  s->shares = (unsigned)viral_dist_size();
}

void cli_share_rows_options(const cli_share *s, viral_rows_options *o) {
  o->share = s->share;
  o->shares = s->shares;
  o->share_block = CLI_SHARE_BLOCK;
}

static int write_failed(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write a temporary file");
}

/* Close this share's blocks up to (not including) its block number upto. */
static int close_blocks(cli_share *s, size_t upto, viral_error *err) {
  while (s->count < upto) {
    if (s->count == s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 64;
      uint64_t *ends = realloc(s->ends, cap * sizeof *ends);
      if (!ends) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      s->ends = ends, s->cap = cap;
    }
    off_t at = ftello(s->out);
    if (at < 0) return write_failed(err);
    s->ends[s->count++] = (uint64_t)at;
  }
  return VIRAL_OK;
}

int cli_share_row(cli_share *s, uint64_t record, viral_error *err) {
  return close_blocks(s, (size_t)(record / CLI_SHARE_BLOCK / s->shares), err);
}

int cli_share_finish(cli_share *s, uint64_t records, viral_error *err) {
  uint64_t blocks = (records + CLI_SHARE_BLOCK - 1) / CLI_SHARE_BLOCK;
  uint64_t mine = blocks > s->share ? (blocks - s->share + s->shares - 1) / s->shares : 0;
  int rc = close_blocks(s, (size_t)mine, err);
  uint64_t count = s->count;
  if (rc == VIRAL_OK && ((s->count && fwrite(s->ends, sizeof *s->ends, s->count, s->out) != s->count) ||
                         fwrite(&count, sizeof count, 1, s->out) != 1 || fflush(s->out) != 0))
    rc = write_failed(err);
  return rc;
}

void cli_share_release(cli_share *s) {
  free(s->ends);
  memset(s, 0, sizeof *s);
}

/* The block ends at the tail of part into *ends (caller frees), *count. */
static int read_ends(FILE *part, uint64_t **ends, uint64_t *count) {
  *ends = NULL;
  if (fseeko(part, -(off_t)sizeof *count, SEEK_END) != 0 || fread(count, sizeof *count, 1, part) != 1) return -1;
  off_t tail = (off_t)((*count + 1) * sizeof **ends);
  if (*count > SIZE_MAX / sizeof **ends || !(*ends = malloc((size_t)(*count ? *count : 1) * sizeof **ends)) ||
      fseeko(part, -tail, SEEK_END) != 0 || fread(*ends, sizeof **ends, (size_t)*count, part) != *count ||
      fseeko(part, 0, SEEK_SET) != 0)
    return -1;
  return 0;
}

/* The bytes of part from where it is up to offset end, to out. */
static int copy_to(FILE *part, uint64_t end, FILE *out) {
  char buf[1 << 16];
  off_t at = ftello(part);
  if (at < 0 || (uint64_t)at > end) return -1;
  for (uint64_t left = end - (uint64_t)at; left > 0;) {
    size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
    if (fread(buf, 1, n, part) != n || fwrite(buf, 1, n, out) != n) return -1;
    left -= n;
  }
  return 0;
}

int cli_share_merge(FILE *const *parts, unsigned shares, FILE *out, viral_error *err) {
  uint64_t **ends = calloc(shares, sizeof *ends), *counts = calloc(shares, sizeof *counts);
  int rc = ends && counts ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (unsigned r = 0; r < shares && rc == VIRAL_OK; r++)
    if (read_ends(parts[r], &ends[r], &counts[r]) != 0)
      rc = viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot read the scores of rank %u back", r);
  for (uint64_t b = 0; rc == VIRAL_OK; b++) {
    unsigned r = (unsigned)(b % shares);
    uint64_t j = b / shares;
    if (j >= counts[r]) break;
    if (copy_to(parts[r], ends[r][j], out) != 0)
      rc = viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot copy the scores of rank %u", r);
  }
  for (unsigned r = 0; ends && r < shares; r++) free(ends[r]);
  free(ends), free(counts);
  return rc;
}
