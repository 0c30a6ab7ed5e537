/* reader_options.c - reader options that own their strings (reader_options.h). */
#include "io/reader_options.h"

#include <stdlib.h>

#include "io/text.h"

void reader_options_copy_release(reader_options_copy *c) {
  for (size_t i = 0; c->field_paths && i < c->opts.field_path_count; i++) free(c->field_paths[i]);
  free(c->field_paths);
  free(c->json_path);
  c->field_paths = NULL;
  c->json_path = NULL;
  c->opts.field_paths = NULL;
  c->opts.field_path_count = 0;
  c->opts.json_path = NULL;
}

int reader_options_copy_init(reader_options_copy *c, const viral_reader_options *given) {
  viral_reader_options_init(&c->opts);
  if (given) c->opts = *given;
  const char *const *paths = c->opts.field_paths;
  size_t n = paths ? c->opts.field_path_count : 0;
  c->opts.field_paths = NULL;
  c->opts.field_path_count = 0;
  c->field_paths = NULL;
  c->json_path = NULL;
  if (c->opts.json_path && !(c->json_path = text_dup(c->opts.json_path))) goto nomem;
  c->opts.json_path = c->json_path;
  if (n && !(c->field_paths = calloc(n, sizeof *c->field_paths))) goto nomem;
  for (size_t i = 0; i < n; i++) {
    if (!(c->field_paths[i] = text_dup(paths[i] ? paths[i] : ""))) goto nomem;
    c->opts.field_path_count++; /* what release frees */
  }
  c->opts.field_paths = (const char *const *)c->field_paths;
  return VIRAL_OK;
nomem:
  reader_options_copy_release(c);
  return VIRAL_ERR_NOMEM;
}
