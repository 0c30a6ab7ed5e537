/* reader.c - opening a reader (file, stdin or memory), reading input in
 * chunks, and choosing the format (viral/reader.h). The formats themselves
 * are in csv_reader.c and json_reader.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/reader_internal.h"
#include "io/text.h"

void viral_reader_options_init(viral_reader_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->format = VIRAL_FORMAT_AUTO;
  opts->max_record_bytes = VIRAL_DEFAULT_MAX_RECORD_BYTES;
  opts->max_fields = VIRAL_DEFAULT_MAX_FIELDS;
  opts->max_depth = VIRAL_DEFAULT_MAX_DEPTH;
}

/* ---- input ---- */

int reader_source_read(viral_reader *r, int keep, viral_error *err) {
  if (r->eof) return 0;
  if (r->memory) { /* the whole buffer was handed over at open */
    r->eof = 1;
    return 0;
  }
  size_t kept = keep ? r->len - r->pos : 0;
  if (kept > 0 && r->pos > 0) memmove(r->buffer, r->buffer + r->pos, kept);
  r->pos = 0;
  r->len = kept;
  if (r->buffer_cap - kept < VIRAL_READ_CHUNK) {
    size_t cap = r->buffer_cap ? r->buffer_cap : VIRAL_READ_CHUNK;
    while (cap - kept < VIRAL_READ_CHUNK) cap *= 2;
    char *grown = realloc(r->buffer, cap);
    if (!grown) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
    r->buffer = grown;
    r->buffer_cap = cap;
  }
  r->data = r->buffer;
  for (;;) {
    /* read() rather than fread(): a pipe hands over what it has, so a
     * streaming consumer sees each line as soon as it is written */
    ssize_t n = read(r->fd, r->buffer + kept, r->buffer_cap - kept);
    if (n > 0) {
      r->len = kept + (size_t)n;
      r->read_end += (uint64_t)n;
      return 1;
    }
    if (n == 0) {
      r->eof = 1;
      return 0;
    }
    if (errno != EINTR)
      return viral_error_set(err, VIRAL_ERR_IO, r->name, 0, "read error: %s", strerror(errno));
  }
}

/* ---- UTF-8 ---- */

/* 1 when the bytes s[0..avail) are all a character starting at s[0] can
 * continue with: the second in [lo, hi], later ones 10xxxxxx. */
static int utf8_continues(const unsigned char *s, size_t avail, unsigned lo, unsigned hi) {
  if (avail > 1 && (s[1] < lo || s[1] > hi)) return 0;
  for (size_t k = 2; k < avail; k++)
    if ((s[k] & 0xC0) != 0x80) return 0;
  return 1;
}

size_t utf8_prefix(const char *str, size_t len, int *cut) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  *cut = 0;
  while (i < len) {
    /* ASCII runs are the common case: eight bytes at a time */
    while (i + 8 <= len) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= len) break;
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;             /* no overlong forms */
    else if (c == 0xED) n = 2, hi = 0x9F;             /* no surrogates */
    else if (c >= 0xE1 && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;             /* nothing past U+10FFFF */
    else return i;
    if (i + n >= len) { /* cut short */
      *cut = utf8_continues(s + i, len - i, lo, hi);
      return i;
    }
    if (!utf8_continues(s + i, n + 1, lo, hi)) return i;
    i += n + 1;
  }
  return len;
}

int utf8_valid(const char *s, size_t len) {
  int cut;
  return utf8_prefix(s, len, &cut) == len;
}

/* ---- opening ---- */

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  if (n < m) return 0;
  for (size_t i = 0; i < m; i++) {
    char c = s[n - m + i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != suffix[i]) return 0;
  }
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Make sure data[pos..len) holds a non-blank byte (or the input ended), and
 * return its offset from pos, or -1 when there is none. */
static long first_nonblank(viral_reader *r, viral_error *err, int *status) {
  size_t i = r->pos;
  for (;;) {
    for (; i < r->len; i++)
      if (!is_space(r->data[i])) return (long)(i - r->pos);
    size_t seen = i - r->pos;
    int rc = reader_source_read(r, 1, err);
    if (rc < 0) *status = rc;
    if (rc <= 0) return -1;
    i = r->pos + seen;
  }
}

/* A ".json" file that starts with '{' is JSON Lines when its first line is
 * a whole object by itself and another line follows; a pretty-printed or
 * one-line document is not. Only the first chunk is looked at. */
static int looks_like_json_lines(const viral_reader *r, size_t start) {
  const char *p = r->data + r->pos + start, *end = r->data + r->len;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  if (!nl) return 0;
  for (const char *q = nl; q < end; q++)
    if (!is_space(*q)) goto more;
  return 0;
more:;
  /* the first line must close its object: count braces outside strings */
  int depth = 0, in_string = 0;
  const char *q = p;
  for (; q < nl; q++) {
    char c = *q;
    if (in_string) {
      if (c == '\\') q++;
      else if (c == '"') in_string = 0;
    } else if (c == '"') in_string = 1;
    else if (c == '{' || c == '[') depth++;
    else if (c == '}' || c == ']') {
      if (--depth == 0) break;
    }
  }
  if (q >= nl) return 0;
  for (q++; q < nl; q++)
    if (!is_space(*q)) return 0;
  return 1;
}

static int detect_format(viral_reader *r, const char *path, viral_error *err) {
  if (r->opts.format != VIRAL_FORMAT_AUTO) {
    r->format = r->opts.format;
    return VIRAL_OK;
  }
  int by_name = path && strcmp(path, "-") != 0;
  if (by_name && ends_with(path, ".csv")) r->format = VIRAL_FORMAT_CSV;
  else if (by_name && (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")))
    r->format = VIRAL_FORMAT_JSONL;
  if (r->format != VIRAL_FORMAT_AUTO) return VIRAL_OK;
  int status = VIRAL_OK;
  long at = first_nonblank(r, err, &status);
  if (status < 0) return status;
  char c = at < 0 ? '\0' : r->data[r->pos + (size_t)at];
  if (by_name && ends_with(path, ".json")) {
    r->format = c == '{' && !r->opts.json_path && looks_like_json_lines(r, (size_t)at)
                    ? VIRAL_FORMAT_JSONL
                    : VIRAL_FORMAT_JSON;
  } else if (c == '{') {
    r->format = r->opts.json_path ? VIRAL_FORMAT_JSON : VIRAL_FORMAT_JSONL;
  } else if (c == '[') {
    r->format = VIRAL_FORMAT_JSON;
  } else {
    r->format = VIRAL_FORMAT_CSV;
  }
  return VIRAL_OK;
}

static viral_reader *reader_new(const char *name, const viral_reader_options *opts,
                                viral_error *err) {
  viral_reader *r = calloc(1, sizeof *r);
  if (!r) goto nomem;
  r->fd = -1;
  r->range_end = UINT64_MAX;
  if (reader_options_copy_init(&r->given, opts) != VIRAL_OK) goto nomem;
  r->opts = r->given.opts;
  if (!r->opts.max_record_bytes) r->opts.max_record_bytes = VIRAL_DEFAULT_MAX_RECORD_BYTES;
  if (!r->opts.max_fields) r->opts.max_fields = VIRAL_DEFAULT_MAX_FIELDS;
  if (r->opts.max_depth <= 0) r->opts.max_depth = VIRAL_DEFAULT_MAX_DEPTH;
  if (!(r->name = text_dup(name))) goto nomem;
  record_schema_init(&r->schema);
  record_init(&r->record, &r->schema, r->name);
  return r;
nomem:
  viral_error_set(err, VIRAL_ERR_NOMEM, name, 0, "out of memory");
  if (r) {
    reader_options_copy_release(&r->given);
    free(r->name);
    free(r);
  }
  return NULL;
}

/* Detect the format, skip a UTF-8 byte order mark, start the format reader. */
static viral_reader *reader_start(viral_reader *r, const char *path, viral_error *err) {
  int rc = VIRAL_OK;
  /* wait for more bytes only while what came may still be a BOM: a pipe
   * that sends "a\n" and pauses must not block the reader */
  while (r->len - r->pos < 3 &&
         (r->len == r->pos || memcmp(r->data + r->pos, "\xEF\xBB\xBF", r->len - r->pos) == 0) &&
         (rc = reader_source_read(r, 1, err)) > 0) {
  }
  if (rc < 0) goto fail;
  if (r->len - r->pos >= 3 && memcmp(r->data + r->pos, "\xEF\xBB\xBF", 3) == 0) r->pos += 3;
  if ((rc = detect_format(r, path, err)) < 0) goto fail;
  rc = r->format == VIRAL_FORMAT_CSV ? csv_reader_init(r, err)
                                     : json_reader_init(r, err);
  if (rc < 0) goto fail;
  r->body_start = r->format == VIRAL_FORMAT_JSON ? 0 : reader_offset(r);
  return r;
fail:
  viral_reader_free(r);
  return NULL;
}

viral_reader *viral_reader_open(const char *path, const viral_reader_options *opts,
                                viral_error *err) {
  int is_stdin = !path || strcmp(path, "-") == 0;
  viral_reader *r = reader_new(is_stdin ? "stdin" : path, opts, err);
  if (!r) return NULL;
  if (is_stdin) {
    r->fd = STDIN_FILENO;
  } else {
    r->fd = open(path, O_RDONLY);
    if (r->fd < 0) {
      viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot open: %s", strerror(errno));
      viral_reader_free(r);
      return NULL;
    }
    r->own_fd = 1;
  }
  return reader_start(r, is_stdin ? NULL : path, err);
}

viral_reader *viral_reader_open_memory(const char *name, const char *data, size_t len,
                                       const viral_reader_options *opts, viral_error *err) {
  viral_reader *r = reader_new(name ? name : "memory", opts, err);
  if (!r) return NULL;
  r->memory = data ? data : "";
  r->memory_len = data ? len : 0;
  r->data = r->memory;
  r->len = r->memory_len;
  r->read_end = r->memory_len;
  return reader_start(r, name, err);
}

int viral_reader_next(viral_reader *r, const viral_record **rec, viral_error *err) {
  if (r->failed) {
    if (err) *err = r->failure;
    return r->failure.code;
  }
  int rc = r->next(r, err);
  if (rc == 1) {
    r->rows++;
    *rec = &r->record;
  } else if (rc < 0) {
    r->failed = 1;
    if (err) r->failure = *err;
    else viral_error_set(&r->failure, rc, r->name, 0, "%s", viral_status_name(rc));
  }
  return rc;
}

size_t viral_reader_rows(const viral_reader *r) { return r->rows; }
size_t viral_reader_skipped(const viral_reader *r) { return r->skipped; }
const char *viral_reader_name(const viral_reader *reader) { return reader->name; }

viral_format viral_reader_format(const viral_reader *r) { return r->format; }

const char *viral_reader_path_miss(const viral_reader *r, const char *path) {
  return r->path_miss && path ? r->path_miss(r, path) : NULL;
}

static const char *const format_names[] = {"auto", "csv", "jsonl", "json"};

const char *viral_format_name(viral_format format) {
  return format >= VIRAL_FORMAT_CSV && format <= VIRAL_FORMAT_JSON ? format_names[format] : "auto";
}

int viral_format_parse(const char *name, viral_format *out) {
  for (int f = VIRAL_FORMAT_CSV; f <= VIRAL_FORMAT_JSON; f++)
    if (strcmp(name, format_names[f]) == 0) {
      *out = (viral_format)f;
      return VIRAL_OK;
    }
  return VIRAL_ERR_INVALID;
}

void viral_reader_free(viral_reader *r) {
  if (!r) return;
  if (r->free_impl) r->free_impl(r);
  if (r->own_fd && r->fd >= 0) close(r->fd);
  record_release(&r->record);
  record_schema_release(&r->schema);
  free(r->buffer);
  reader_options_copy_release(&r->given);
  free(r->name);
  free(r);
}
