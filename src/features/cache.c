/* cache.c - the binary vector cache (viral/cache.h; datasets/FORMATS.md,
 * "Vector cache"): made by one pass of the row source over an input, read
 * back through the row source as a backend (rows_internal.h).
 *
 * The file: a header of HEADER_SIZE bytes (little-endian integers), the
 * rows, then the description (JSON: the pipeline as the pass left it, the
 * columns kept, the tally's warning, the records the reader skipped). A row
 * is a flags byte, then what the flags say is there; its vector is a count
 * and, per coordinate, a code (index delta << 2 | value tag) and the value
 * when the tag does not say it. */
#define _DEFAULT_SOURCE /* madvise */
#include "viral/cache.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "features/cache_internal.h"
#include "features/pipeline_internal.h"
#include "features/pipeline_json.h"
#include "features/rows_internal.h"
#include "io/array.h"
#include "viral/writer.h"

static const unsigned char MAGIC[8] = {'V', 'I', 'R', 'A', 'L', 'V', 'C', 0x1a};
#define HEADER_SIZE 128

/* header fields: byte offsets */
enum {
  H_VERSION = 8,       /* u32 */
  H_MODE = 12,         /* u32 */
  H_FILE_SIZE = 16,    /* u64: the whole file */
  H_KEY = 24,          /* u64: viral_cache_key */
  H_INPUT_SIZE = 32,   /* u64 */
  H_INPUT_MTIME = 40,  /* i64 seconds, then i64 nanoseconds at 48 */
  H_ROWS = 56,         /* u64: rows stored, bad rows included */
  H_ROWS_END = 64,     /* u64: where the rows end (they start at HEADER_SIZE) */
  H_META_LEN = 72,     /* u64: the description's length; it ends the file */
  H_CHECKSUM = 80      /* u64: of the file with this field zero */
};

/* row flags */
enum {
  F_LABEL_MASK = 3,    /* 0: label 0, 1: label 1, 2: none (NAN) */
  F_TIME = 4,          /* posted_at follows (f64) */
  F_ID = 8,            /* video_id follows (varint length, bytes) */
  F_COLUMNS = 16,      /* the columns follow (f64 each) */
  F_BAD = 32           /* a bad row skipped: its message follows (varint length, bytes) */
};

/* value tags */
enum { TAG_F64 = 0, TAG_ONE = 1, TAG_MINUS_ONE = 2, TAG_F32 = 3 };

/* ---- the checksum: 64-bit, four lanes (the rounds of xxHash64) ---- */

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

typedef struct hash64 {
  uint64_t lane[4];
  unsigned char tail[32];
  size_t tail_len;
  uint64_t total;
} hash64;

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static uint64_t round64(uint64_t acc, uint64_t in) { return rotl(acc + in * P2, 31) * P1; }

/* A little-endian u64 at p: one load on a little-endian machine. */
static inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline uint32_t load32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void hash_init(hash64 *h, uint64_t seed) {
  memset(h, 0, sizeof *h);
  h->lane[0] = seed + P1 + P2;
  h->lane[1] = seed + P2;
  h->lane[2] = seed;
  h->lane[3] = seed - P1;
}

static void hash_blocks(hash64 *h, const unsigned char *p, size_t blocks) {
  uint64_t a = h->lane[0], b = h->lane[1], c = h->lane[2], d = h->lane[3];
  for (size_t i = 0; i < blocks; i++, p += 32) {
    a = round64(a, load64(p));
    b = round64(b, load64(p + 8));
    c = round64(c, load64(p + 16));
    d = round64(d, load64(p + 24));
  }
  h->lane[0] = a, h->lane[1] = b, h->lane[2] = c, h->lane[3] = d;
}

static void hash_update(hash64 *h, const void *data, size_t n) {
  const unsigned char *p = data;
  h->total += n;
  if (h->tail_len) {
    size_t take = 32 - h->tail_len < n ? 32 - h->tail_len : n;
    memcpy(h->tail + h->tail_len, p, take);
    h->tail_len += take, p += take, n -= take;
    if (h->tail_len < 32) return;
    hash_blocks(h, h->tail, 1);
    h->tail_len = 0;
  }
  hash_blocks(h, p, n / 32);
  memcpy(h->tail, p + n / 32 * 32, n % 32);
  h->tail_len = n % 32;
}

static uint64_t hash_final(const hash64 *h) {
  uint64_t v = rotl(h->lane[0], 1) + rotl(h->lane[1], 7) + rotl(h->lane[2], 12) + rotl(h->lane[3], 18);
  v += h->total;
  for (size_t i = 0; i < h->tail_len; i++) v = rotl(v ^ (h->tail[i] * P5), 11) * P1;
  v ^= v >> 33;
  v *= P2;
  v ^= v >> 29;
  v *= P3;
  return v ^ (v >> 32);
}

static uint64_t hash_bytes(const void *data, size_t n, uint64_t seed) {
  hash64 h;
  hash_init(&h, seed);
  hash_update(&h, data, n);
  return hash_final(&h);
}

/* The checksum of a file: its header with the checksum field zero, then
 * the hash of the rest. */
static uint64_t checksum(const unsigned char *header, uint64_t body_hash) {
  unsigned char copy[HEADER_SIZE];
  memcpy(copy, header, HEADER_SIZE);
  store64(copy + H_CHECKSUM, 0);
  return hash_bytes(copy, HEADER_SIZE, body_hash ^ P4);
}

void cache_seal(unsigned char *file, size_t size) {
  if (size < HEADER_SIZE) return;
  store64(file + H_FILE_SIZE, size);
  store64(file + H_CHECKSUM, checksum(file, hash_bytes(file + HEADER_SIZE, size - HEADER_SIZE, 0)));
}

/* ---- the key ---- */

static void key_text(hash64 *h, const char *label, const char *text) {
  hash_update(h, label, strlen(label) + 1);
  hash_update(h, text ? text : "\x01(none)", strlen(text ? text : "\x01(none)") + 1);
}

static void key_number(hash64 *h, const char *label, uint64_t v) {
  unsigned char b[8];
  store64(b, v);
  hash_update(h, label, strlen(label) + 1);
  hash_update(h, b, 8);
}

int viral_cache_key(const viral_pipeline *p, const viral_reader_options *ro, const viral_cache_options *co,
                    uint64_t *key, viral_error *err) {
  cJSON *json = viral_pipeline_to_json(p, err);
  char *text = json ? cJSON_PrintUnformatted(json) : NULL;
  cJSON_Delete(json);
  if (!text) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  viral_reader_options def;
  viral_reader_options_init(&def);
  if (!ro) ro = &def;
  hash64 h;
  hash_init(&h, VIRAL_CACHE_VERSION);
  key_text(&h, "pipeline", text);
  free(text);
  key_number(&h, "mode", (uint64_t)co->mode);
  key_number(&h, "allow_missing", (uint64_t)p->allow_missing);
  for (size_t i = 0; i < co->column_count; i++) key_text(&h, "column", co->columns[i]);
  key_number(&h, "format", (uint64_t)ro->format);
  key_text(&h, "json_path", ro->json_path);
  for (size_t i = 0; i < ro->field_path_count; i++) key_text(&h, "field_path", ro->field_paths[i]);
  key_number(&h, "skip_bad_rows", (uint64_t)ro->skip_bad_rows);
  key_number(&h, "max_record_bytes", (uint64_t)ro->max_record_bytes);
  key_number(&h, "max_fields", (uint64_t)ro->max_fields);
  key_number(&h, "max_depth", (uint64_t)ro->max_depth);
  *key = hash_final(&h);
  return VIRAL_OK;
}

/* ---- writing ---- */

typedef struct cache_writer {
  FILE *f;
  unsigned char *buf; /* [cap] bytes not written yet */
  size_t len, cap;
  hash64 body;        /* of everything after the header */
  uint64_t written;   /* bytes after the header */
  uint64_t rows, bad_messages;
  size_t column_count;
  int nomem;
} cache_writer;

static void writer_flush(cache_writer *w) {
  if (!w->len) return;
  fwrite(w->buf, 1, w->len, w->f);
  hash_update(&w->body, w->buf, w->len);
  w->written += w->len;
  w->len = 0;
}

/* Room for n more bytes at w->buf + w->len; 0, or -1 without memory. */
static int writer_room(cache_writer *w, size_t n) {
  if (w->len + n <= w->cap) return 0;
  writer_flush(w);
  if (n <= w->cap) return 0;
  if (array_grow((void **)&w->buf, &w->cap, n, 1, 1 << 20) < 0) return w->nomem = 1, -1;
  return 0;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  return p;
}

static unsigned char *put_f64(unsigned char *p, double x) {
  uint64_t v;
  memcpy(&v, &x, 8);
  store64(p, v);
  return p + 8;
}

static unsigned char *put_bytes(unsigned char *p, const char *s, size_t n) {
  p = put_varint(p, n);
  memcpy(p, s, n);
  return p + n;
}

/* One coordinate: its index delta from the one expected (the last + 1) and
 * its value, by tag when the tag says it. */
static unsigned char *put_coordinate(unsigned char *p, uint64_t delta, double x) {
  float f = (float)x;
  if (x == 1.0) return put_varint(p, delta << 2 | TAG_ONE);
  if (x == -1.0) return put_varint(p, delta << 2 | TAG_MINUS_ONE);
  if ((double)f == x) {
    uint32_t v;
    memcpy(&v, &f, 4);
    p = put_varint(p, delta << 2 | TAG_F32);
    for (int i = 0; i < 4; i++) *p++ = (unsigned char)(v >> (8 * i));
    return p;
  }
  return put_f64(put_varint(p, delta << 2 | TAG_F64), x);
}

static int write_row(cache_writer *w, const viral_row *row) {
  const viral_sparse *x = row->x;
  size_t most = 1 + 10 + 8 + 10 + row->id_len + 8 * w->column_count + 10 + x->count * (10 + 8);
  if (writer_room(w, most) < 0) return VIRAL_ERR_NOMEM;
  unsigned char *p = w->buf + w->len, *flags = p++;
  *flags = isnan(row->label) ? 2 : row->label > 0.5 ? 1 : 0;
  if (!isnan(row->posted_at)) *flags |= F_TIME, p = put_f64(p, row->posted_at);
  if (row->id) *flags |= F_ID, p = put_bytes(p, row->id, row->id_len);
  if (w->column_count) {
    *flags |= F_COLUMNS;
    for (size_t k = 0; k < w->column_count; k++) p = put_f64(p, row->columns[k]);
  }
  p = put_varint(p, x->count);
  uint64_t expected = 0;
  for (size_t i = 0; i < x->count; i++) {
    p = put_coordinate(p, x->items[i].index - expected, x->items[i].value);
    expected = (uint64_t)x->items[i].index + 1;
  }
  w->len = (size_t)(p - w->buf);
  w->rows++;
  return VIRAL_OK;
}

/* A bad row the pass skipped (the row source's skipped callback). */
static void write_bad_row(void *ctx, const viral_error *why) {
  cache_writer *w = ctx;
  size_t n = strlen(why->message);
  if (writer_room(w, 1 + 10 + n) < 0) return;
  unsigned char *p = w->buf + w->len;
  *p++ = F_BAD;
  p = put_bytes(p, why->message, n);
  w->len = (size_t)(p - w->buf);
  w->rows++;
  w->bad_messages++;
}

/* The description that ends the file. NULL when out of memory. */
static char *describe(const viral_pipeline *q, const viral_cache_options *co, uint64_t reader_skipped,
                      viral_error *err) {
  char warning[VIRAL_ERROR_MAX];
  viral_pipeline_tally_warning(q, warning, sizeof warning);
  cJSON *meta = cJSON_CreateObject(), *pipe = viral_pipeline_to_json(q, err);
  cJSON *columns = cJSON_CreateArray();
  int ok = meta && pipe && columns && cJSON_AddStringToObject(meta, "format", "viral-vector-cache") &&
           cJSON_AddItemToObject(meta, "pipeline", pipe) && (pipe = NULL, 1) &&
           cJSON_AddItemToObject(meta, "columns", columns) && (columns = NULL, 1) &&
           cJSON_AddStringToObject(meta, "warning", warning) &&
           cJSON_AddNumberToObject(meta, "reader_skipped", (double)reader_skipped);
  cJSON *list = cJSON_GetObjectItemCaseSensitive(meta, "columns");
  for (size_t i = 0; ok && i < co->column_count; i++) {
    cJSON *s = cJSON_CreateString(co->columns[i]);
    ok = s && cJSON_AddItemToArray(list, s);
    if (!ok) cJSON_Delete(s);
  }
  char *text = ok ? cJSON_PrintUnformatted(meta) : NULL;
  cJSON_Delete(meta);
  cJSON_Delete(pipe);
  cJSON_Delete(columns);
  if (!text) viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return text;
}

/* The row source the pass reads, with the options of co's mode. */
static viral_rows *build_rows(viral_pipeline *q, const char *input, const viral_reader_options *ro,
                              const viral_cache_options *co, cache_writer *w, viral_error *err) {
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.skipped = write_bad_row;
  o.skipped_ctx = w;
  switch (co->mode) {
  case VIRAL_CACHE_TRAIN:
    o.labels = VIRAL_ROWS_ANY_LABEL, o.ids = VIRAL_ROWS_ID, o.times = 1;
    o.columns = co->columns, o.column_count = co->column_count;
    break;
  case VIRAL_CACHE_UPDATE: o.labels = VIRAL_ROWS_ANY_LABEL, o.times = 1; break;
  default: o.labels = VIRAL_ROWS_NO_LABEL, o.ids = VIRAL_ROWS_ID_REQUIRED; break;
  }
  w->column_count = o.column_count;
  return viral_rows_open(q, input, ro, &o, err);
}

/* Turn on (on) or off what the mode's pass records in q. */
static int pass_records(viral_pipeline *q, viral_cache_mode mode, int on, int rc, viral_error *err) {
  viral_error ignored;
  viral_error *e = rc == VIRAL_OK ? err : &ignored;
  int r = VIRAL_OK;
  if (mode == VIRAL_CACHE_TRAIN) r = viral_pipeline_profile(q, on, e);
  if (mode == VIRAL_CACHE_UPDATE) r = viral_pipeline_collect_names(q, on, e);
  return rc != VIRAL_OK ? rc : r;
}

/* The pass: every row of the input into w. */
static int write_rows(viral_pipeline *q, viral_rows *s, const viral_cache_options *co, cache_writer *w,
                      uint64_t *reader_skipped, viral_error *err) {
  int rc = co->mode == VIRAL_CACHE_TRAIN && viral_pipeline_needs_fit(q) ? viral_rows_fit(s, err) : VIRAL_OK;
  rc = rc == VIRAL_OK ? pass_records(q, co->mode, 1, VIRAL_OK, err) : rc;
  const viral_row *row;
  while (rc == VIRAL_OK && (rc = viral_rows_next(s, &row, err)) == 1) rc = write_row(w, row);
  if (rc == VIRAL_OK && w->nomem) rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  rc = pass_records(q, co->mode, 0, rc < 0 ? rc : VIRAL_OK, err);
  viral_rows_counts counts;
  viral_rows_get_counts(s, &counts);
  *reader_skipped = counts.bad_rows - w->bad_messages;
  return rc;
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* The header of a file whose rows and description w wrote. */
static void make_header(unsigned char *h, const cache_writer *w, const viral_cache_options *co, uint64_t key,
                        const struct stat *in, uint64_t meta_len) {
  memset(h, 0, HEADER_SIZE);
  memcpy(h, MAGIC, sizeof MAGIC);
  put_u32(h + H_VERSION, VIRAL_CACHE_VERSION);
  put_u32(h + H_MODE, (uint32_t)co->mode);
  store64(h + H_FILE_SIZE, HEADER_SIZE + w->written);
  store64(h + H_KEY, key);
  store64(h + H_INPUT_SIZE, (uint64_t)in->st_size);
  store64(h + H_INPUT_MTIME, (uint64_t)(int64_t)in->st_mtim.tv_sec);
  store64(h + H_INPUT_MTIME + 8, (uint64_t)(int64_t)in->st_mtim.tv_nsec);
  store64(h + H_ROWS, w->rows);
  store64(h + H_ROWS_END, HEADER_SIZE + w->written - meta_len);
  store64(h + H_META_LEN, meta_len);
  store64(h + H_CHECKSUM, checksum(h, hash_final(&w->body)));
}

static int stdin_input(const char *input) { return !input || strcmp(input, "-") == 0; }

int viral_cache_build(const viral_pipeline *p, const char *input, const viral_reader_options *ro,
                      const viral_cache_options *co, const char *path, viral_error *err) {
  struct stat in;
  if (stdin_input(input))
    return viral_error_set(err, VIRAL_ERR_INVALID, "stdin", 0, "a vector cache is made from a file, not standard input");
  if (stat(input, &in) != 0) return viral_error_set(err, VIRAL_ERR_IO, input, 0, "cannot open: %s", strerror(errno));
  uint64_t key;
  int rc = viral_cache_key(p, ro, co, &key, err);
  viral_pipeline *q = rc == VIRAL_OK ? viral_pipeline_copy(p, err) : NULL;
  if (!q) return rc != VIRAL_OK ? rc : err ? err->code : VIRAL_ERR_NOMEM;
  cache_writer w = {0};
  hash_init(&w.body, 0);
  viral_rows *s = build_rows(q, input, ro, co, &w, err);
  viral_atomic_file *file = s ? viral_atomic_open(path, err) : NULL;
  rc = file ? VIRAL_OK : err ? err->code : VIRAL_ERR_IO;
  unsigned char header[HEADER_SIZE] = {0};
  if (rc == VIRAL_OK) {
    w.f = viral_atomic_stream(file);
    rc = fwrite(header, 1, HEADER_SIZE, w.f) == HEADER_SIZE && writer_room(&w, 1 << 20) == 0
             ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_IO, path, 0, "write error");
  }
  uint64_t reader_skipped = 0;
  if (rc == VIRAL_OK) rc = write_rows(q, s, co, &w, &reader_skipped, err);
  char *meta = rc == VIRAL_OK ? describe(q, co, reader_skipped, err) : NULL;
  if (rc == VIRAL_OK && !meta) rc = VIRAL_ERR_NOMEM;
  if (rc == VIRAL_OK) {
    size_t n = strlen(meta);
    writer_flush(&w);
    fwrite(meta, 1, n, w.f);
    hash_update(&w.body, meta, n);
    w.written += n;
    make_header(header, &w, co, key, &in, n);
    if (fseek(w.f, 0, SEEK_SET) != 0 || fwrite(header, 1, HEADER_SIZE, w.f) != HEADER_SIZE)
      rc = viral_error_set(err, VIRAL_ERR_IO, path, 0, "write error: %s", strerror(errno));
  }
  if (rc == VIRAL_OK) rc = viral_atomic_commit(file, err);
  else viral_atomic_abort(file);
  free(meta);
  free(w.buf);
  viral_rows_free(s);
  viral_pipeline_free(q);
  return rc;
}

/* ---- opening ---- */

struct viral_cache {
  char *path;
  unsigned char *map;
  size_t size;
  uint64_t key, rows;
  const unsigned char *rows_begin, *rows_end;
  cJSON *meta;
  const char *warning;
  char **columns;     /* [column_count] owned by meta */
  size_t column_count;
  uint64_t reader_skipped;
};

int viral_cache_is(const char *path) {
  unsigned char head[sizeof MAGIC];
  FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "rb") : NULL;
  int is = f && fread(head, 1, sizeof head, f) == sizeof head && memcmp(head, MAGIC, sizeof MAGIC) == 0;
  if (f) fclose(f);
  return is;
}

static int bad(viral_error *err, const char *path, const char *what) {
  return viral_error_set(err, VIRAL_ERR_PARSE, path, 0, "%s", what);
}

/* The header's checks that need no more than the header: VIRAL_OK or an error. */
static int check_header(const unsigned char *h, size_t have, const char *path, viral_error *err) {
  if (have < sizeof MAGIC || memcmp(h, MAGIC, sizeof MAGIC) != 0)
    return bad(err, path, "not a viral vector cache (no magic)");
  if (have < HEADER_SIZE)
    return viral_error_set(err, VIRAL_ERR_PARSE, path, 0, "truncated: %zu bytes, not even the %d of the header",
                           have, HEADER_SIZE);
  uint32_t version = load32(h + H_VERSION);
  if (version != VIRAL_CACHE_VERSION)
    return viral_error_set(err, VIRAL_ERR_PARSE, path, 0,
                           "vector cache format version %u, this viral reads version %d: make it again",
                           version, VIRAL_CACHE_VERSION);
  return VIRAL_OK;
}

/* The description: its columns, warning and counts. */
static int read_meta(viral_cache *c, const unsigned char *text, size_t len, viral_error *err) {
  c->meta = cJSON_ParseWithLength((const char *)text, len);
  cJSON *m = c->meta;
  const cJSON *columns = cJSON_GetObjectItemCaseSensitive(m, "columns");
  const cJSON *warning = cJSON_GetObjectItemCaseSensitive(m, "warning");
  const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(m, "reader_skipped");
  if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m, "pipeline")) || !cJSON_IsArray(columns) ||
      !cJSON_IsString(warning) || !cJSON_IsNumber(skipped) || !(skipped->valuedouble >= 0) ||
      skipped->valuedouble > 9007199254740992.0)
    return bad(err, c->path, "bad description (pipeline, columns, warning, reader_skipped)");
  c->warning = warning->valuestring;
  c->reader_skipped = (uint64_t)skipped->valuedouble;
  c->column_count = (size_t)cJSON_GetArraySize(columns);
  if (c->column_count && !(c->columns = calloc(c->column_count, sizeof *c->columns)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  size_t k = 0;
  for (const cJSON *s = columns->child; s; s = s->next, k++) {
    if (!cJSON_IsString(s)) return bad(err, c->path, "bad description (a column name is not a string)");
    c->columns[k] = s->valuestring;
  }
  return VIRAL_OK;
}

/* Mapped pages are read once and dropped: the pass's memory stays flat in
 * the rows (the page cache keeps the file). */
#define RELEASE_BYTES ((size_t)8 << 20)

/* Let the pages of c's map in [from, to) go (whole pages inside it). */
static void release_pages(const viral_cache *c, const unsigned char *from, const unsigned char *to) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t a = ((size_t)(from - c->map) + page - 1) / page * page, b = (size_t)(to - c->map) / page * page;
  if (b > a) madvise(c->map + a, b - a, MADV_DONTNEED);
}

/* Map the pages of [from, from + n) in one call rather than a fault per
 * page, where the kernel can (Linux 5.14); else they fault in as read. */
static void populate(const unsigned char *from, size_t n, const unsigned char *end) {
#ifdef MADV_POPULATE_READ
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = (uintptr_t)from / page * page;
  if ((size_t)(end - from) < n) n = (size_t)(end - from);
  if (n) madvise((void *)a, (uintptr_t)from + n - a, MADV_POPULATE_READ);
#else
  (void)from, (void)n, (void)end;
#endif
}

/* The hash of everything after the header, read in slices let go behind. */
static uint64_t hash_mapped(const viral_cache *c) {
  hash64 h;
  hash_init(&h, 0);
  const unsigned char *p = c->map + HEADER_SIZE, *end = c->map + c->size;
  while (p < end) {
    size_t n = (size_t)(end - p) < RELEASE_BYTES ? (size_t)(end - p) : RELEASE_BYTES;
    populate(p, n, end);
    hash_update(&h, p, n);
    release_pages(c, p, p + n);
    p += n;
  }
  return hash_final(&h);
}

/* Every check of a mapped file. */
static int check_file(viral_cache *c, viral_error *err) {
  const unsigned char *h = c->map;
  int rc = check_header(h, c->size, c->path, err);
  if (rc != VIRAL_OK) return rc;
  uint64_t size = load64(h + H_FILE_SIZE), rows_end = load64(h + H_ROWS_END), meta = load64(h + H_META_LEN);
  if (c->size < size)
    return viral_error_set(err, VIRAL_ERR_PARSE, c->path, 0, "truncated: %zu of its %llu bytes", c->size,
                           (unsigned long long)size);
  if (c->size > size)
    return viral_error_set(err, VIRAL_ERR_PARSE, c->path, 0, "%zu bytes where the header says %llu",
                           c->size, (unsigned long long)size);
  uint64_t sum = checksum(h, hash_mapped(c));
  if (sum != load64(h + H_CHECKSUM)) return bad(err, c->path, "checksum mismatch: the file is corrupt");
  if (rows_end < HEADER_SIZE || rows_end > size || meta != size - rows_end)
    return bad(err, c->path, "bad header (sections out of place)");
  c->key = load64(h + H_KEY);
  c->rows = load64(h + H_ROWS);
  c->rows_begin = h + HEADER_SIZE;
  c->rows_end = h + rows_end;
  return read_meta(c, c->rows_end, (size_t)meta, err);
}

void viral_cache_free(viral_cache *c) {
  if (!c) return;
  if (c->map) munmap(c->map, c->size);
  cJSON_Delete(c->meta);
  free(c->columns);
  free(c->path);
  free(c);
}

viral_cache *viral_cache_open(const char *path, viral_error *err) {
  viral_cache *c = calloc(1, sizeof *c);
  if (!c || !(c->path = text_dup(path))) {
    free(c);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  int fd = open(path, O_RDONLY);
  struct stat st;
  int rc = fd < 0 || fstat(fd, &st) != 0 ? viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot open: %s", strerror(errno))
                                         : VIRAL_OK;
  if (rc == VIRAL_OK && st.st_size > 0) {
    c->size = (size_t)st.st_size;
    void *m = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) rc = viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot map: %s", strerror(errno));
    else c->map = m, posix_madvise(m, c->size, POSIX_MADV_SEQUENTIAL);
  }
  if (fd >= 0) close(fd);
  if (rc == VIRAL_OK) rc = check_file(c, err);
  if (rc != VIRAL_OK) {
    viral_cache_free(c);
    return NULL;
  }
  return c;
}

int viral_cache_check_key(const viral_cache *c, uint64_t key, viral_error *err) {
  if (c->key == key) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_INVALID, c->path, 0,
                         "the vector cache was made with another spec, options or command: make it again "
                         "(viral convert --to cache, or --cache with the input)");
}

viral_pipeline *viral_cache_pipeline(const viral_cache *c, viral_error *err) {
  return viral_pipeline_from_json(cJSON_GetObjectItemCaseSensitive(c->meta, "pipeline"), c->path, err);
}

const char *viral_cache_warning(const viral_cache *c) { return c->warning; }
uint64_t viral_cache_rows(const viral_cache *c) { return c->rows; }

/* ---- freshness ---- */

int viral_cache_fresh(const char *path, const char *input, uint64_t key, char *why, size_t why_size,
                      viral_error *err) {
  unsigned char h[HEADER_SIZE];
  FILE *f = fopen(path, "rb");
  if (!f && errno == ENOENT) return snprintf(why, why_size, "missing"), 0;
  if (!f) return viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot open: %s", strerror(errno));
  size_t have = fread(h, 1, sizeof h, f);
  fclose(f);
  if (have >= sizeof MAGIC && memcmp(h, MAGIC, sizeof MAGIC) == 0 && have >= HEADER_SIZE &&
      load32(h + H_VERSION) != VIRAL_CACHE_VERSION)
    return snprintf(why, why_size, "made by format version %u", load32(h + H_VERSION)), 0;
  int rc = check_header(h, have, path, err);
  if (rc != VIRAL_OK) return rc;
  struct stat in;
  if (stat(input, &in) != 0) return viral_error_set(err, VIRAL_ERR_IO, input, 0, "cannot open: %s", strerror(errno));
  if (load64(h + H_INPUT_SIZE) != (uint64_t)in.st_size ||
      load64(h + H_INPUT_MTIME) != (uint64_t)(int64_t)in.st_mtim.tv_sec ||
      load64(h + H_INPUT_MTIME + 8) != (uint64_t)(int64_t)in.st_mtim.tv_nsec)
    return snprintf(why, why_size, "input changed"), 0;
  if (load64(h + H_KEY) != key) return snprintf(why, why_size, "spec changed"), 0;
  return 1;
}

viral_cache *viral_cache_prepare(const char *path, const char *input, const viral_pipeline *p,
                                 const viral_reader_options *ro, const viral_cache_options *co,
                                 char *note, size_t note_size, viral_error *err) {
  note[0] = '\0';
  uint64_t key;
  if (viral_cache_key(p, ro, co, &key, err) != VIRAL_OK) return NULL;
  const char *open_path = path;
  if (viral_cache_is(input)) {
    open_path = input;
  } else if (!path || stdin_input(input)) {
    viral_error_set(err, VIRAL_ERR_INVALID, "stdin", 0, "--cache needs the input as a file, not standard input");
    return NULL;
  } else {
    char why[64];
    int fresh = viral_cache_fresh(path, input, key, why, sizeof why, err);
    if (fresh < 0) return NULL;
    if (!fresh && viral_cache_build(p, input, ro, co, path, err) != VIRAL_OK) return NULL;
    if (!fresh) snprintf(note, note_size, "made the vector cache %s (%s)", path, why);
  }
  viral_cache *c = viral_cache_open(open_path, err);
  if (c && viral_cache_check_key(c, key, err) != VIRAL_OK) {
    viral_cache_free(c);
    return NULL;
  }
  return c;
}

/* ---- reading: the row source's backend ---- */

typedef struct cache_rows {
  const viral_cache *c;
  const unsigned char *at;  /* the next row */
  const unsigned char *kept; /* the pages from here on are not let go yet */
  uint64_t index;           /* its position */
  viral_sparse x;
  double *columns;          /* [c->column_count] */
  size_t *pick;             /* [asked] which stored column each asked one is */
  size_t asked;
  double *picked;           /* [asked] */
} cache_rows;

static void cache_rows_free(void *ctx) {
  cache_rows *r = ctx;
  if (!r) return;
  viral_sparse_release(&r->x);
  free(r->columns);
  free(r->pick);
  free(r->picked);
  free(r);
}

static int corrupt(const cache_rows *r, viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_PARSE, r->c->path, 0, "row %llu: corrupt", (unsigned long long)r->index + 1);
}

/* A varint at *p before end: 1 and *v, or 0 when it runs past end or 64 bits. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  const unsigned char *q = *p;
  if (q < end && *q < 0x80) return *v = *q, *p = q + 1, 1;
  uint64_t x = 0;
  for (int shift = 0; q < end && shift < 64; shift += 7) {
    unsigned char b = *q++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (b < 0x80) return *v = x, *p = q, 1;
  }
  return 0;
}

static double get_f64(const unsigned char *p) {
  uint64_t v = load64(p);
  double x;
  memcpy(&x, &v, 8);
  return x;
}

/* n length-prefixed bytes at *p: 1 (*s, *n set), or 0 past end. */
static int get_bytes(const unsigned char **p, const unsigned char *end, const char **s, size_t *n) {
  uint64_t len;
  if (!get_varint(p, end, &len) || len > (uint64_t)(end - *p)) return 0;
  *s = (const char *)*p;
  *n = (size_t)len;
  *p += len;
  return 1;
}

/* The vector at *p into r->x: 1, 0 when corrupt, -1 without memory. */
static int get_vector(cache_rows *r, const unsigned char **pp, const unsigned char *end) {
  const unsigned char *p = *pp;
  uint64_t count, expected = 0;
  if (!get_varint(&p, end, &count) || count > (uint64_t)(end - p)) return 0;
  viral_sparse *x = &r->x;
  if (count > x->capacity &&
      array_grow((void **)&x->items, &x->capacity, (size_t)count, sizeof *x->items, 64) < 0)
    return -1;
  viral_feature *it = x->items;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t code;
    if (p < end && *p < 0x80) code = *p++; /* most: a one-byte code */
    else if (!get_varint(&p, end, &code)) return 0;
    uint64_t index = expected + (code >> 2);
    if (index > UINT32_MAX || index < expected) return 0;
    double v;
    switch (code & 3) {
    case TAG_ONE: v = 1.0; break;
    case TAG_MINUS_ONE: v = -1.0; break;
    case TAG_F32: {
      if (end - p < 4) return 0;
      uint32_t b = load32(p);
      float f;
      memcpy(&f, &b, 4);
      v = f;
      p += 4;
      break;
    }
    default:
      if (end - p < 8) return 0;
      v = get_f64(p);
      p += 8;
    }
    it[i].index = (uint32_t)index;
    it[i].value = v;
    expected = index + 1;
  }
  x->count = (size_t)count;
  *pp = p;
  return 1;
}

/* The row at r->at: 1, 2 for a bad row (its message in err), or an error. */
static int decode_row(cache_rows *r, viral_row *row, viral_error *err) {
  const unsigned char *p = r->at, *end = r->c->rows_end;
  unsigned flags = *p++;
  if (flags & F_BAD) {
    const char *msg;
    size_t n;
    if (flags != F_BAD || !get_bytes(&p, end, &msg, &n)) return corrupt(r, err);
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "%.*s", (int)(n < VIRAL_ERROR_MAX ? n : VIRAL_ERROR_MAX), msg);
    r->at = p;
    return 2;
  }
  if ((flags & F_LABEL_MASK) == 3 || flags >= 64) return corrupt(r, err);
  row->label = (flags & F_LABEL_MASK) == 2 ? NAN : (double)(flags & F_LABEL_MASK);
  row->weight = 1;
  row->posted_at = NAN;
  if (flags & F_TIME) {
    if (end - p < 8) return corrupt(r, err);
    row->posted_at = get_f64(p);
    p += 8;
  }
  row->id = NULL;
  row->id_len = 0;
  if ((flags & F_ID) && !get_bytes(&p, end, &row->id, &row->id_len)) return corrupt(r, err);
  if (flags & F_COLUMNS) {
    if ((uint64_t)(end - p) < 8 * (uint64_t)r->c->column_count) return corrupt(r, err);
    for (size_t k = 0; k < r->c->column_count; k++, p += 8) r->columns[k] = get_f64(p);
  } else {
    for (size_t k = 0; k < r->c->column_count; k++) r->columns[k] = NAN;
  }
  int v = get_vector(r, &p, end);
  if (v < 0) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (v == 0) return corrupt(r, err);
  for (size_t k = 0; k < r->asked; k++) r->picked[k] = r->columns[r->pick[k]];
  if (r->asked) row->columns = r->picked;
  row->x = &r->x;
  r->at = p;
  return 1;
}

static int cache_row(void *ctx, uint64_t index, viral_row *row, viral_error *err) {
  cache_rows *r = ctx;
  if (index == 0) {
    r->at = r->kept = r->c->rows_begin;
    populate(r->at, RELEASE_BYTES, r->c->rows_end);
  }
  r->index = index;
  if ((size_t)(r->at - r->kept) >= RELEASE_BYTES) {
    release_pages(r->c, r->kept, r->at);
    r->kept = r->at;
    populate(r->at, RELEASE_BYTES, r->c->rows_end);
  }
  if (r->at >= r->c->rows_end) {
    if (index != r->c->rows)
      return viral_error_set(err, VIRAL_ERR_PARSE, r->c->path, 0, "%llu rows where the header says %llu",
                             (unsigned long long)index, (unsigned long long)r->c->rows);
    return 0;
  }
  return decode_row(r, row, err);
}

static uint64_t cache_reader_skipped(void *ctx) { return ((const cache_rows *)ctx)->c->reader_skipped; }

static const char *cache_name(void *ctx) { return ((const cache_rows *)ctx)->c->path; }

static const viral_rows_backend cache_backend = {"cache", cache_row, cache_rows_free, cache_reader_skipped,
                                                 cache_name};

/* Which stored column each asked one is: VIRAL_OK or an error. */
static int pick_columns(cache_rows *r, const viral_rows_options *o, viral_error *err) {
  const viral_cache *c = r->c;
  r->asked = o ? o->column_count : 0;
  if ((c->column_count && !(r->columns = calloc(c->column_count, sizeof *r->columns))) ||
      (r->asked && (!(r->pick = calloc(r->asked, sizeof *r->pick)) ||
                    !(r->picked = calloc(r->asked, sizeof *r->picked)))))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t k = 0; k < r->asked; k++) {
    size_t j = 0;
    while (j < c->column_count && strcmp(c->columns[j], o->columns[k]) != 0) j++;
    if (j == c->column_count)
      return viral_error_set(err, VIRAL_ERR_INVALID, c->path, 0, "the vector cache does not keep the column '%s'",
                             o->columns[k]);
    r->pick[k] = j;
  }
  return VIRAL_OK;
}

viral_rows *viral_rows_open_cache(const viral_cache *c, const viral_rows_options *o, viral_error *err) {
  if (o && (o->records || o->sink || (o->shares > 1 && o->share_block > 0))) {
    viral_error_set(err, VIRAL_ERR_INVALID, c->path, 0, "a vector cache gives all its rows as vectors: "
                                                        "no chosen records, shares or named coordinates");
    return NULL;
  }
  cache_rows *r = calloc(1, sizeof *r);
  if (!r) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  r->c = c;
  viral_sparse_init(&r->x);
  if (pick_columns(r, o, err) != VIRAL_OK) {
    cache_rows_free(r);
    return NULL;
  }
  return viral_rows_open_backend_(&cache_backend, r, o, err);
}
