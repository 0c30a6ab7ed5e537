/* document.h - the framing shared by every JSON file viral writes that must
 * survive a crash and be checked on load (models, stream checkpoints).
 *
 * A document is a cJSON object with "format" and "version" keys first and a
 * "checksum" member last:
 *
 *   {<body>,\n\t"checksum":\t"fnv1a64:<16 hex digits>"\n}\n
 *
 * The checksum is FNV-1a 64 over the exact bytes of <body> (everything after
 * the opening brace up to the comma before the checksum member). Hashing the
 * bytes rather than a re-printed tree matters: numbers are written as exact
 * raw text (io/json_number.h) that cJSON would not print back the same way.
 * Any edit, even of white space, invalidates the file. It guards against
 * truncation and accidental edits, not against an attacker: the loader
 * validates every value it reads regardless. Internal header: it uses cJSON
 * types, which never appear in include/viral/. */
#ifndef VIRAL_MODEL_DOCUMENT_H
#define VIRAL_MODEL_DOCUMENT_H

#include <cJSON.h>
#include <stdio.h>

#include "io/json_number.h"

#include "viral/error.h"

/* Largest document the loader accepts (a model with 2^24 non-zero weights is
 * well under this). */
#define VIRAL_DOCUMENT_MAX_BYTES (1024u * 1024u * 1024u)

/* Create an empty document object with "format" and "version" set. Caller
 * owns the result (cJSON_Delete). NULL when out of memory. */
cJSON *viral_document_create(const char *format, int version);

/* Print doc, append the checksum member and write it to path atomically
 * (temp file, fsync, rename, fsync of the directory). doc stays owned by the
 * caller and is not changed. doc must not itself have a "checksum" key. */
int viral_document_save(cJSON *doc, const char *path, viral_error *err);

/* A member whose text is produced while the document is written rather than
 * held in the cJSON tree (a model's coordinate table: a node per number
 * would cost tens of bytes each). write(ctx, emit, emit_ctx) must emit
 * exactly one JSON value and return 0, or -1 on failure. */
typedef struct viral_document_part {
  int (*write)(void *ctx, viral_text_emit emit, void *emit_ctx);
  void *ctx;
} viral_document_part;

#define VIRAL_DOCUMENT_MAX_PARTS 10

/* The item to put in the tree where parts[index] goes (index <
 * VIRAL_DOCUMENT_MAX_PARTS): a raw item holding a marker no printed JSON
 * value contains (control characters in strings are printed escaped). NULL
 * when out of memory. */
cJSON *viral_document_placeholder(unsigned index);

/* viral_document_save, with each placeholder replaced by the text of its
 * part, written straight to the file (and into the checksum). */
int viral_document_save_parts(cJSON *doc, const viral_document_part *parts, size_t count,
                              const char *path, viral_error *err);

/* The same text written to out (no atomicity of its own: the caller owns
 * out, usually a viral_atomic_file's stream). VIRAL_OK, or a negative status
 * with err set (no file name in the message). */
int viral_document_write_parts(cJSON *doc, const viral_document_part *parts, size_t count, FILE *out,
                               viral_error *err);

/* The document's text without the checksum member, placeholders replaced
 * (caller frees), or NULL with err set. */
char *viral_document_print_parts(cJSON *doc, const viral_document_part *parts, size_t count,
                                 viral_error *err);

/* Read path, parse it and check format, version (must equal version) and
 * checksum. Returns the document (caller frees with cJSON_Delete; the
 * checksum key is removed) or NULL with err = "PATH: problem". */
cJSON *viral_document_load(const char *path, const char *format, int version, viral_error *err);

/* The same checks on a document already in memory (text of len bytes);
 * name is used in messages. */
cJSON *viral_document_parse(const char *name, const char *text, size_t len, const char *format,
                            int version, viral_error *err);

/* The members a loader reads, so the others are skipped without building
 * them (an unknown array of numbers would cost a cJSON node per number,
 * about 40 times its text): an array ending with {NULL}. */
typedef struct viral_document_key {
  const char *name;
  /* the value's own known members when it is an object, or NULL: the
   * value is kept whole */
  const struct viral_document_key *members;
  /* 1: an array value cut out of the tree (an empty array in its place),
   * for the caller to read from the text itself */
  int cut;
} viral_document_key;

/* viral_document_load_versions, with every member not in known (at the
 * levels known describes) parsed as null, and the array value of the one
 * member marked cut (the model's "logistic"."coordinates", a number per
 * coordinate and column) cut out of the tree. *text holds the whole file
 * (caller frees, also on failure it is NULL) and the cut array's text is
 * (*text + *start, *len bytes); *len is 0 when there is no such member.
 * The checksum covers the whole file, skipped members included. */
cJSON *viral_document_load_known(const char *path, const char *format, int oldest, int newest,
                                 const viral_document_key *known, char **text, size_t *start,
                                 size_t *len, viral_error *err);

/* viral_document_load accepting any version from oldest to newest (a file
 * format that changed compatibly); the caller reads "version" from the
 * result to tell them apart. */
cJSON *viral_document_load_versions(const char *path, const char *format, int oldest, int newest,
                                    viral_error *err);

/* ---- reading members, for loaders ---- */

/* VIRAL_ERR_INVALID: "PATH: \"key\" what". */
int viral_document_bad(viral_error *err, const char *path, const char *key, const char *what);

/* The number at key of o into *out when it is within [lo, hi] (and whole
 * when integral is set), else VIRAL_ERR_INVALID: "PATH: \"key\" must be a
 * number from LO to HI" or "is missing or not a number". */
int viral_document_number(const cJSON *o, const char *key, double lo, double hi, int integral,
                          double *out, const char *path, viral_error *err);

/* FNV-1a 64-bit hash of len bytes. */
unsigned long long viral_fnv1a64(const void *data, size_t len);

#endif
