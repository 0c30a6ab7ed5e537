/* csv_reader.c - RFC 4180 CSV through libcsv, one record at a time.
 *
 * libcsv is fed one piece at a time, a piece ending at the first CR or LF or
 * after 64 KiB. A record ends only at an unquoted CR or LF, so a piece
 * completes at most one record: the reader stops there, hands the record out
 * and resumes with the next piece. Feeding pieces also tells us the physical
 * line each record starts on (libcsv does not), counting every LF, quoted or
 * not, and keeps the bytes libcsv buffers bounded by max_record_bytes.
 *
 * Most lines need none of libcsv's byte-at-a-time work: a whole line without
 * a quote, met between records, is split at its commas with memchr
 * (split_unquoted). Quoted cells, lines cut by the end of a chunk, and the
 * rest of a record libcsv has started stay with libcsv.
 *
 * Memory is flat in the number of rows: the cells of a record are copied
 * into one reused row buffer, and the record's values point into it. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"

#define PIECE_MAX ((size_t)64 * 1024)

typedef struct csv_state {
  struct csv_parser parser;
  int parser_live;

  char *row; /* the cells of the current record, each NUL-terminated */
  size_t row_len, row_cap;
  size_t *cell_off, *cell_len; /* [cells_cap] */
  size_t cells_cap;
  size_t ncells;    /* cells in the current record (may exceed max_store) */
  size_t max_store; /* cells kept: the header's count, or max_fields + 1 */
  long bad_utf8;    /* first cell that is not UTF-8, or -1 (once the record is read) */
  int nomem;
  int row_ready;

  long line;       /* physical line of data[pos] */
  long rec_line;   /* line the current record started on */
  uint64_t rec_start; /* offset in the input where it started */
  size_t rec_bytes; /* bytes of the current record fed so far */
  int in_record;   /* a record has started and not ended */
  int skip_line;   /* after a quoting error: drop input up to the next line end */
  int finished;    /* csv_fini has run */
  size_t header_count;
} csv_state;

/* Cells are taken verbatim: blanks around an unquoted cell belong to it.
 * (libcsv would drop them, and counts nothing as a blank with this: its
 * trimming state stays at zero, which read_record relies on.) */
static int no_space(unsigned char c) {
  (void)c;
  return 0;
}

static int parser_start(csv_state *s) {
  if (csv_init(&s->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) return VIRAL_ERR_NOMEM;
  csv_set_space_func(&s->parser, no_space);
  s->parser_live = 1;
  return VIRAL_OK;
}

/* Room for cell i in cell_off/cell_len; 0 (and nomem) when out of memory. */
static int cell_room(csv_state *s, size_t i) {
  if (i < s->cells_cap) return 1;
  size_t cap = s->cells_cap ? s->cells_cap * 2 : 64;
  size_t *off = realloc(s->cell_off, cap * sizeof *off);
  if (off) s->cell_off = off;
  size_t *lens = off ? realloc(s->cell_len, cap * sizeof *lens) : NULL;
  if (!lens) {
    s->nomem = 1;
    return 0;
  }
  s->cell_len = lens;
  s->cells_cap = cap;
  return 1;
}

/* Room for extra more bytes in the row buffer; 0 (and nomem) when out of
 * memory. */
static int row_room(csv_state *s, size_t extra) {
  if (s->row_len + extra <= s->row_cap) return 1;
  size_t cap = s->row_cap ? s->row_cap : 4096;
  while (cap < s->row_len + extra) cap *= 2;
  char *grown = realloc(s->row, cap);
  if (!grown) {
    s->nomem = 1;
    return 0;
  }
  s->row = grown;
  s->row_cap = cap;
  return 1;
}

/* Count a cell of the current record and, while fewer than max_store are
 * kept, record where it lies in the row buffer. Returns 0 when the cell is
 * not kept. */
static int note_cell(csv_state *s, size_t off, size_t len) {
  size_t i = s->ncells++;
  if (i >= s->max_store || s->nomem || !cell_room(s, i)) return 0;
  s->cell_off[i] = off;
  s->cell_len[i] = len;
  return 1;
}

static void on_cell(void *field, size_t len, void *data) {
  csv_state *s = data;
  if (!note_cell(s, s->row_len, len)) return;
  if (!row_room(s, len + 1)) return;
  if (len) memcpy(s->row + s->row_len, field, len);
  s->row[s->row_len + len] = '\0';
  s->row_len += len + 1;
}

/* The fast path: a whole line with no quote, read while no record is open
 * (libcsv is between records), splits at every comma and nothing else: with
 * blanks kept (no_space), that is exactly the cells libcsv would hand over
 * (tests/test_reader.c compares the two on every dataset). The line is
 * copied once and each comma becomes its cell's NUL. */
static void split_unquoted(csv_state *s, const char *line, size_t len) {
  if (!row_room(s, len + 1)) return;
  char *row = s->row, *start = row, *stop = row + len;
  memcpy(row, line, len);
  *stop = '\0';
  s->row_len = len + 1;
  for (;;) {
    char *comma = memchr(start, ',', (size_t)(stop - start));
    char *cell_end = comma ? comma : stop;
    note_cell(s, (size_t)(start - row), (size_t)(cell_end - start));
    if (!comma) break;
    *comma = '\0';
    start = comma + 1;
  }
}

int csv_fast_path = 1;

/* The first stored cell that is not UTF-8, or -1. The whole row is checked
 * at once (the NULs between cells are ASCII, and a sequence cut at a cell's
 * end meets one), cell by cell only when it fails: one call per record
 * instead of one per cell. */
static long first_bad_cell(const csv_state *s) {
  if (utf8_valid(s->row, s->row_len)) return -1;
  size_t stored = s->ncells < s->max_store ? s->ncells : s->max_store;
  for (size_t i = 0; i < stored; i++)
    if (!utf8_valid(s->row + s->cell_off[i], s->cell_len[i])) return (long)i;
  return -1;
}

static void on_row(int c, void *data) {
  (void)c;
  csv_state *s = data;
  s->row_ready = 1;
  s->in_record = 0;
}

static void reset_row(csv_state *s) {
  s->row_len = 0;
  s->ncells = 0;
  s->bad_utf8 = -1;
  s->row_ready = 0;
}

/* read_record's status for a quoting error a caller may skip: the rest of
 * the line is dropped and reading can go on (err is set). */
#define QUOTING_ERROR 2

/* Parse until one record is complete. Returns 1 with the cells in s, 0 at
 * the end of input, QUOTING_ERROR, or a negative status (fatal). */
static int read_record(viral_reader *r, csv_state *s, viral_error *err) {
  size_t max = r->opts.max_record_bytes;
  reset_row(s);
  while (!s->row_ready) {
    if (r->pos == r->len) {
      int rc = reader_source_read(r, 0, err);
      if (rc < 0) return rc;
      if (rc == 0) {
        if (s->finished) return 0;
        s->finished = 1;
        if (csv_fini(&s->parser, on_cell, on_row, s) != 0) {
          if (csv_error(&s->parser) == CSV_EPARSE)
            return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->rec_line,
                                   "unterminated quoted cell (the file ends inside quotes)");
          return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, s->rec_line, "out of memory");
        }
        if (!s->row_ready) return 0;
        break;
      }
      continue;
    }
    /* the next piece: up to and including the first CR or LF */
    const char *p = r->data + r->pos;
    size_t avail = r->len - r->pos, n = avail < PIECE_MAX ? avail : PIECE_MAX;
    const char *end = memchr(p, '\n', n);
    size_t content = end ? (size_t)(end - p) : n;
    const char *cr = memchr(p, '\r', content);
    if (cr) content = (size_t)(cr - p), end = cr;
    size_t piece = end ? content + 1 : content;
    int lf = end && *end == '\n';

    if (s->skip_line) {
      if (end) s->skip_line = 0;
    } else if (!s->in_record && content > 0 && reader_past_range(r)) {
      return 0;
    } else if (end && content > 0 && !s->in_record && csv_fast_path &&
               !memchr(p, '"', content)) {
      s->rec_line = s->line;
      s->rec_start = reader_offset(r);
      if (content > max)
        return viral_error_set(err, VIRAL_ERR_LIMIT, r->name, s->rec_line,
                               "record longer than %zu bytes", max);
      split_unquoted(s, p, content);
      s->row_ready = 1;
    } else {
      if (!s->in_record && content > 0) {
        s->in_record = 1;
        s->rec_line = s->line;
        s->rec_start = reader_offset(r);
        s->rec_bytes = 0;
      }
      if (s->in_record && s->rec_bytes + content > max)
        return viral_error_set(err, VIRAL_ERR_LIMIT, r->name, s->rec_line,
                               "record longer than %zu bytes", max);
      /* libcsv calls a space function for every byte of an unquoted cell;
       * its built-in test (space or tab) gives the same cells when the
       * piece has neither, and costs no call */
      int blanks = memchr(p, ' ', piece) || memchr(p, '\t', piece);
      csv_set_space_func(&s->parser, blanks ? no_space : NULL);
      size_t used = csv_parse(&s->parser, p, piece, on_cell, on_row, s);
      s->rec_bytes += piece;
      if (used != piece) {
        int e = csv_error(&s->parser);
        if (e != CSV_EPARSE)
          return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, s->rec_line, "out of memory");
        /* restart the parser past this line, so skip_bad_rows can go on */
        csv_free(&s->parser);
        s->parser_live = 0;
        if (parser_start(s) != VIRAL_OK)
          return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, s->rec_line, "out of memory");
        s->in_record = 0;
        s->skip_line = !end;
        r->pos += piece;
        if (lf) s->line++;
        viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->rec_line,
                        "misplaced quote (a '\"' inside an unquoted cell, or text after a "
                        "closing quote)");
        return QUOTING_ERROR;
      }
    }
    r->pos += piece;
    if (lf) s->line++;
  }
  if (s->nomem) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, s->rec_line, "out of memory");
  int rc = reader_check_cut(r, s->rec_start, s->rec_line, err);
  if (rc != VIRAL_OK) return rc;
  s->bad_utf8 = first_bad_cell(s);
  return 1;
}

static int read_header(viral_reader *r, csv_state *s, viral_error *err) {
  s->max_store = r->opts.max_fields + 1;
  int rc = read_record(r, s, err);
  if (rc == 0) return viral_error_set(err, VIRAL_ERR_PARSE, r->name, 0, "empty file, no header");
  if (rc == QUOTING_ERROR) return VIRAL_ERR_PARSE;
  if (rc < 0) return rc;
  if (s->ncells > r->opts.max_fields)
    return viral_error_set(err, VIRAL_ERR_LIMIT, r->name, s->rec_line,
                           "%zu fields, more than the limit of %zu", s->ncells,
                           r->opts.max_fields);
  if (s->bad_utf8 >= 0)
    return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->rec_line,
                           "column %ld: invalid UTF-8 in the header", s->bad_utf8 + 1);
  for (size_t i = 0; i < s->ncells; i++) {
    int added;
    long k = record_schema_add(&r->schema, s->row + s->cell_off[i], s->cell_len[i], &added);
    if (k < 0) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
    if (!added)
      return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->rec_line,
                             "duplicate column name '%s' (columns %ld and %zu)",
                             r->schema.names[k], k + 1, i + 1);
  }
  s->header_count = s->ncells;
  s->max_store = s->ncells;
  if (record_reserve(&r->record) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  return VIRAL_OK;
}

static int csv_next(viral_reader *r, viral_error *err) {
  csv_state *s = r->impl;
  for (;;) {
    int rc = read_record(r, s, err);
    if (rc == 0) return 0;
    if (rc == QUOTING_ERROR) {
      if (!r->opts.skip_bad_rows) return VIRAL_ERR_PARSE;
      r->skipped++;
      continue;
    }
    if (rc < 0) return rc;
    if (s->ncells != s->header_count) {
      if (r->opts.skip_bad_rows) {
        r->skipped++;
        continue;
      }
      return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->rec_line,
                             "row has %zu cells, header has %zu", s->ncells, s->header_count);
    }
    if (s->bad_utf8 >= 0) {
      if (r->opts.skip_bad_rows) {
        r->skipped++;
        continue;
      }
      return viral_error_set(err, VIRAL_ERR_PARSE, r->name, s->rec_line,
                             "field '%s': invalid UTF-8", r->schema.names[s->bad_utf8]);
    }
    viral_value *v = r->record.values;
    for (size_t i = 0; i < s->ncells; i++) {
      size_t len = s->cell_len[i];
      v[i].kind = len ? VIRAL_VALUE_TEXT : VIRAL_VALUE_MISSING;
      v[i].text = s->row + s->cell_off[i];
      v[i].len = len;
    }
    r->record.line = s->rec_line;
    return 1;
  }
}

static void csv_at_line(viral_reader *r, long line) { ((csv_state *)r->impl)->line = line; }

static void csv_free_impl(viral_reader *r) {
  csv_state *s = r->impl;
  if (!s) return;
  if (s->parser_live) csv_free(&s->parser);
  free(s->row);
  free(s->cell_off);
  free(s->cell_len);
  free(s);
  r->impl = NULL;
}

int csv_reader_init(viral_reader *r, viral_error *err) {
  csv_state *s = calloc(1, sizeof *s);
  if (!s) return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  r->impl = s;
  r->next = csv_next;
  r->free_impl = csv_free_impl;
  r->at_line = csv_at_line;
  s->line = 1;
  s->bad_utf8 = -1;
  if (parser_start(s) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, r->name, 0, "out of memory");
  return read_header(r, s, err);
}
