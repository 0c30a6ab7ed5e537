/* reader_range.c - byte ranges of an input (io/reader_range.h). */
#include "io/reader_range.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/reader_internal.h"

int reader_can_cut(const viral_reader *r) {
  struct stat st;
  if (!r->own_fd || r->fd < 0 || fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if (r->format == VIRAL_FORMAT_CSV) return 1;
  return r->format == VIRAL_FORMAT_JSONL && !(r->opts.json_path && *r->opts.json_path);
}

static int read_failed(const viral_reader *r, viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_IO, r->name, 0, "read error: %s", strerror(errno));
}

/* pread of up to n bytes at offset into buf: the bytes read (0 at the end),
 * or -1. */
static ssize_t read_at(const viral_reader *r, char *buf, size_t n, uint64_t offset) {
  ssize_t got;
  do got = pread(r->fd, buf, n, (off_t)offset);
  while (got < 0 && errno == EINTR);
  return got;
}

/* The first line start at or after offset (a line starts at body_start
 * and after each LF), or size when there is none: into *out. */
static int line_start_from(const viral_reader *r, uint64_t offset, uint64_t size, uint64_t *out,
                           viral_error *err) {
  char buf[VIRAL_READ_CHUNK];
  if (offset <= r->body_start) {
    *out = r->body_start;
    return VIRAL_OK;
  }
  for (uint64_t at = offset - 1; at < size;) { /* the byte before offset may end a line */
    ssize_t got = read_at(r, buf, sizeof buf, at);
    if (got < 0) return read_failed(r, err);
    if (got == 0) break;
    const char *nl = memchr(buf, '\n', (size_t)got);
    if (nl) {
      *out = at + (uint64_t)(nl - buf) + 1;
      return VIRAL_OK;
    }
    at += (uint64_t)got;
  }
  *out = size;
  return VIRAL_OK;
}

/* The line of the byte at offset: 1 + the LFs before it. */
static int line_of(const viral_reader *r, uint64_t offset, long *line, viral_error *err) {
  char buf[VIRAL_READ_CHUNK];
  long lfs = 0;
  for (uint64_t at = 0; at < offset;) {
    size_t want = offset - at < sizeof buf ? (size_t)(offset - at) : sizeof buf;
    ssize_t got = read_at(r, buf, want, at);
    if (got < 0) return read_failed(r, err);
    if (got == 0) break;
    for (const char *p = buf, *end = buf + got; (p = memchr(p, '\n', (size_t)(end - p))); p++) lfs++;
    at += (uint64_t)got;
  }
  *line = lfs + 1;
  return VIRAL_OK;
}

/* The start of range k: body_start + k/shares of the bytes after it,
 * moved forward to a line's start. */
static int cut_at(const viral_reader *r, unsigned shares, unsigned k, uint64_t size, uint64_t *out,
                  viral_error *err) {
  uint64_t body = size > r->body_start ? size - r->body_start : 0;
  uint64_t split = r->body_start + body / shares * k + body % shares * k / shares;
  return line_start_from(r, split, size, out, err);
}

int reader_share_range(const viral_reader *r, unsigned shares, unsigned k, reader_range *out,
                       viral_error *err) {
  struct stat st;
  if (fstat(r->fd, &st) != 0) return read_failed(r, err);
  uint64_t size = (uint64_t)st.st_size;
  int rc = cut_at(r, shares, k, size, &out->start, err);
  out->end = UINT64_MAX;
  if (rc == VIRAL_OK && k + 1 < shares) rc = cut_at(r, shares, k + 1, size, &out->end, err);
  if (rc == VIRAL_OK) rc = line_of(r, out->start, &out->line, err);
  return rc;
}

int reader_set_range(viral_reader *r, const reader_range *range, viral_error *err) {
  r->range_end = range->end;
  if (range->start == reader_offset(r)) return VIRAL_OK;
  if (lseek(r->fd, (off_t)range->start, SEEK_SET) < 0) return read_failed(r, err);
  r->pos = r->len = 0;
  r->eof = 0;
  r->read_end = range->start;
  r->at_line(r, range->line);
  return VIRAL_OK;
}

int reader_cut_inside(const viral_reader *r) { return r->cut_inside; }

int reader_past_range(viral_reader *r) {
  if (r->range_end == UINT64_MAX || reader_offset(r) < r->range_end) return 0;
  r->pos = r->len; /* and nothing more comes */
  r->eof = 1;
  return 1;
}

int reader_check_cut(viral_reader *r, uint64_t start, long line, viral_error *err) {
  if (r->range_end == UINT64_MAX || start >= r->range_end || reader_offset(r) <= r->range_end)
    return VIRAL_OK;
  r->cut_inside = 1;
  return viral_error_set(err, VIRAL_ERR_PARSE, NULL, 0,
                         "cannot cut %s at byte %llu for the processes: a quoted field spans a "
                         "line end there (the record of line %ld); read it with one process, or "
                         "give each process a file of its own",
                         r->name, (unsigned long long)r->range_end, line);
}
