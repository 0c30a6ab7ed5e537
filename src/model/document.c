/* document.c - checked, atomically written JSON documents (document.h). */
#include "model/document.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/writer.h"

#define CHECKSUM_KEY "checksum"
#define CHECKSUM_PREFIX "fnv1a64:"

unsigned long long viral_fnv1a64(const void *data, size_t len) {
  const unsigned char *p = data;
  unsigned long long h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

cJSON *viral_document_create(const char *format, int version) {
  cJSON *doc = cJSON_CreateObject();
  if (!doc) return NULL;
  if (!cJSON_AddStringToObject(doc, "format", format) ||
      !cJSON_AddNumberToObject(doc, "version", version)) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

/* Checksum text "fnv1a64:<16 hex digits>" of doc as it is now (without a
 * checksum key). Returns VIRAL_OK or VIRAL_ERR_NOMEM. */
static int checksum_of(const cJSON *doc, char out[32]) {
  char *compact = cJSON_PrintUnformatted(doc);
  if (!compact) return VIRAL_ERR_NOMEM;
  snprintf(out, 32, CHECKSUM_PREFIX "%016llx", viral_fnv1a64(compact, strlen(compact)));
  free(compact);
  return VIRAL_OK;
}

int viral_document_save(cJSON *doc, const char *path, viral_error *err) {
  char sum[32];
  cJSON_DeleteItemFromObjectCaseSensitive(doc, CHECKSUM_KEY);
  if (checksum_of(doc, sum) != VIRAL_OK || !cJSON_AddStringToObject(doc, CHECKSUM_KEY, sum))
    return viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
  char *text = cJSON_Print(doc);
  cJSON_DeleteItemFromObjectCaseSensitive(doc, CHECKSUM_KEY);
  if (!text) return viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
  viral_atomic_file *f = viral_atomic_open(path, err);
  if (!f) {
    free(text);
    return err ? err->code : VIRAL_ERR_IO;
  }
  FILE *out = viral_atomic_stream(f);
  fputs(text, out);
  fputc('\n', out);
  free(text);
  return viral_atomic_commit(f, err);
}

/* 1 when text ends inside a string or with brackets still open: the usual
 * shape of a file cut short by a crash or a full disk. */
static int looks_truncated(const char *text, size_t len) {
  long depth = 0;
  int in_string = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = 0;
    } else if (c == '"') {
      in_string = 1;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return in_string || depth > 0;
}

cJSON *viral_document_parse(const char *name, const char *text, size_t len, const char *format,
                            int version, viral_error *err) {
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!doc) {
    if (looks_truncated(text, len))
      viral_error_set(err, VIRAL_ERR_PARSE, name, 0, "not valid JSON: truncated");
    else
      viral_error_set(err, VIRAL_ERR_PARSE, name, 0, "not valid JSON near byte %ld",
                      end ? (long)(end - text) : 0L);
    return NULL;
  }
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");
  cJSON *sum = cJSON_DetachItemFromObjectCaseSensitive(doc, CHECKSUM_KEY);
  char want[32];
  if (!cJSON_IsObject(doc) || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, format) != 0) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "not a %s file (no \"format\": \"%s\")", format, format);
  } else if (!cJSON_IsNumber(ver) || ver->valuedouble != version) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "unsupported %s version (this viral reads version %d)",
                    format, version);
  } else if (!cJSON_IsString(sum)) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "no checksum");
  } else if (checksum_of(doc, want) != VIRAL_OK) {
    viral_error_set(err, VIRAL_ERR_NOMEM, name, 0, "out of memory");
  } else if (strcmp(want, sum->valuestring) != 0) {
    viral_error_set(err, VIRAL_ERR_INVALID, name, 0, "checksum mismatch: the file was changed or damaged");
  } else {
    cJSON_Delete(sum);
    return doc;
  }
  cJSON_Delete(sum);
  cJSON_Delete(doc);
  return NULL;
}

cJSON *viral_document_load(const char *path, const char *format, int version, viral_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot open: %s", strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, len = 0, got;
  char *text = malloc(cap);
  while (text && (got = fread(text + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      if (cap >= VIRAL_DOCUMENT_MAX_BYTES) {
        free(text);
        fclose(f);
        viral_error_set(err, VIRAL_ERR_LIMIT, path, 0, "file larger than %u bytes",
                        VIRAL_DOCUMENT_MAX_BYTES);
        return NULL;
      }
      char *grown = realloc(text, cap * 2);
      if (!grown) {
        free(text);
        text = NULL;
        break;
      }
      text = grown;
      cap *= 2;
    }
  }
  int read_failed = ferror(f);
  fclose(f);
  if (!text) {
    viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
    return NULL;
  }
  if (read_failed) {
    free(text);
    viral_error_set(err, VIRAL_ERR_IO, path, 0, "read failed");
    return NULL;
  }
  if (len == 0) {
    free(text);
    viral_error_set(err, VIRAL_ERR_PARSE, path, 0, "empty file");
    return NULL;
  }
  cJSON *doc = viral_document_parse(path, text, len, format, version, err);
  free(text);
  return doc;
}
