/* json_scan.h - what the JSON reader needs to know about the bytes that yajl
 * does not tell it (internal): lines and columns, where the last token
 * started, how deep the brackets are, and whether \u escapes pair their
 * surrogates.
 *
 * A pass over bytes, not a parser: it follows strings and escapes, so on any
 * text yajl accepts it agrees with yajl on where each bracket closes. That
 * lets the reader hand yajl a document up to the end of one record at a
 * time, and put a line and column on yajl's errors. */
#ifndef VIRAL_IO_JSON_SCAN_H
#define VIRAL_IO_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_scan {
  uint64_t offset;     /* bytes scanned */
  long line;           /* line of the next byte, from 1 */
  uint64_t line_start; /* offset of that line's first byte */
  long last_line;      /* line of the last byte that is not a blank or LF; 0 before any */
  int depth;           /* brackets open outside strings */
  int max_depth;       /* the most that were open at once */
  int in_string, escape, in_word;
  long token_line;       /* where the last token (string, bracket, ':', ',' or */
  uint64_t token_column; /* bare word such as 12 or tru) started; column from 1 */
} json_scan;

/* A scan at the start of text whose first line is first_line. */
void json_scan_init(json_scan *s, long first_line);

/* Scan p[0..n). With stop_depth >= 0, stop right after a closing bracket
 * that leaves depth <= stop_depth. Returns the bytes scanned. */
size_t json_scan_run(json_scan *s, const char *p, size_t n, int stop_depth);

/* The first backslash escape in p[0..n) that is not valid JSON text for a
 * string: a \u escape of a lone surrogate (or a high one followed by
 * anything but a low one), or a \u without four hex digits. Returns its
 * offset, or n when there is none. *whole is set to the length of the
 * longest prefix that does not end inside an escape, so text cut at *whole
 * can be checked piece by piece. Backslashes are taken as escapes wherever
 * they are: outside strings they are a syntax error anyway. */
size_t json_check_escapes(const char *p, size_t n, size_t *whole);

#endif
