/* vector_io.c - feature vectors as LIBSVM and Vowpal Wabbit text
 * (viral/vector_io.h). */
#include "viral/vector_io.h"

#include <stdlib.h>
#include <string.h>

#include "io/number_format.h"
#include "io/text.h"
#include "viral/error.h"

/* A line buffer that grows to need bytes. VIRAL_OK or VIRAL_ERR_NOMEM. */
static int reserve(char **line, size_t *cap, size_t need) {
  if (need <= *cap) return VIRAL_OK;
  char *grown = realloc(*line, need);
  if (!grown) return VIRAL_ERR_NOMEM;
  *line = grown;
  *cap = need;
  return VIRAL_OK;
}

/* ---- LIBSVM ---- */

struct viral_libsvm_writer {
  char *line;
  size_t cap;
};

viral_libsvm_writer *viral_libsvm_writer_create(void) { return calloc(1, sizeof(viral_libsvm_writer)); }

void viral_libsvm_writer_free(viral_libsvm_writer *w) {
  if (!w) return;
  free(w->line);
  free(w);
}

/* 32 bytes bound each number, so the line needs at most (count + 1) * 64
 * bytes. An index prints as the whole number it is (what formatting it as a
 * double gives). */
int viral_libsvm_writer_write(viral_libsvm_writer *w, FILE *out, const viral_sparse *v, double label) {
  if (reserve(&w->line, &w->cap, (v->count + 1) * 64) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  char *p = w->line;
  *p++ = label > 0 ? '1' : '0';
  for (size_t i = 0; i < v->count; i++) {
    *p++ = ' ';
    p += format_index(p, (uint64_t)v->items[i].index + 1);
    *p++ = ':';
    p += format_value_into(p, v->items[i].value);
  }
  *p++ = '\n';
  fwrite(w->line, 1, (size_t)(p - w->line), out);
  return VIRAL_OK;
}

/* ---- Vowpal Wabbit: collect a row's named coordinates, then print them by group ---- */

typedef struct vw_item {
  size_t group; /* index into groups */
  size_t name;  /* offset of the sanitized name in text */
  double value;
} vw_item;

struct viral_vw_writer {
  vw_item *items; /* [count] the row's coordinates */
  size_t count, cap;
  char *text;     /* the row's sanitized names, each NUL-terminated */
  size_t used, text_cap;
  char **groups;  /* [ngroups] copies, in the order first seen */
  size_t ngroups, groups_cap;
  char *line;     /* the output line */
  size_t line_cap;
};

viral_vw_writer *viral_vw_writer_create(void) { return calloc(1, sizeof(viral_vw_writer)); }

void viral_vw_writer_free(viral_vw_writer *w) {
  if (!w) return;
  for (size_t g = 0; g < w->ngroups; g++) free(w->groups[g]);
  free(w->groups);
  free(w->items);
  free(w->text);
  free(w->line);
  free(w);
}

void viral_vw_writer_begin(viral_vw_writer *w) { w->count = w->used = 0; }

static int push_name(viral_vw_writer *w, const char *s) {
  size_t n = strlen(s) + 1;
  if (w->used + n > w->text_cap && reserve(&w->text, &w->text_cap, (w->used + n) * 2) != VIRAL_OK)
    return VIRAL_ERR_NOMEM;
  /* VW splits on space, ':' and '|': keep names in one piece */
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    w->text[w->used + i] = (c == ' ' || c == ':' || c == '|' || c == '\t' || c == '\n') ? '_' : c;
  }
  w->used += n;
  return VIRAL_OK;
}

/* The index of group in w->groups, added when new; -1 when out of memory. */
static long group_index(viral_vw_writer *w, const char *group) {
  size_t g = 0;
  while (g < w->ngroups && strcmp(w->groups[g], group) != 0) g++;
  if (g < w->ngroups) return (long)g;
  if (g == w->groups_cap) {
    size_t cap = w->groups_cap ? w->groups_cap * 2 : 16;
    char **grown = realloc(w->groups, cap * sizeof *grown);
    if (!grown) return -1;
    w->groups = grown;
    w->groups_cap = cap;
  }
  if (!(w->groups[g] = text_dup(group))) return -1;
  w->ngroups++;
  return (long)g;
}

int viral_vw_writer_add(void *ctx, uint32_t index, double value, const char *group, const char *name) {
  (void)index;
  viral_vw_writer *w = ctx;
  if (value == 0) return 0; /* as in the sparse vector */
  long g = group_index(w, group);
  if (g < 0) return VIRAL_ERR_NOMEM;
  if (w->count == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    vw_item *items = realloc(w->items, cap * sizeof *items);
    if (!items) return VIRAL_ERR_NOMEM;
    w->items = items;
    w->cap = cap;
  }
  size_t off = w->used;
  if (push_name(w, name) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  w->items[w->count++] = (vw_item){(size_t)g, off, value};
  return 0;
}

/* The line goes out with one fwrite: a name's sanitized bytes, its ':'
 * and at most 32 for the number bound each item. */
int viral_vw_writer_write(viral_vw_writer *w, FILE *out, double label) {
  size_t need = 4 + w->used + w->count * 34;
  for (size_t g = 0; g < w->ngroups; g++) need += strlen(w->groups[g]) + 2;
  if (reserve(&w->line, &w->line_cap, need) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  char *p = w->line;
  if (label > 0) *p++ = '1';
  else *p++ = '-', *p++ = '1';
  for (size_t g = 0; g < w->ngroups; g++) {
    int opened = 0;
    for (size_t i = 0; i < w->count; i++) {
      if (w->items[i].group != g) continue;
      if (!opened) {
        size_t n = strlen(w->groups[g]);
        *p++ = ' ', *p++ = '|';
        memcpy(p, w->groups[g], n);
        p += n;
        opened = 1;
      }
      *p++ = ' ';
      size_t n = strlen(w->text + w->items[i].name);
      memcpy(p, w->text + w->items[i].name, n);
      p += n;
      if (w->items[i].value != 1) {
        *p++ = ':';
        p += format_value_into(p, w->items[i].value);
      }
    }
  }
  *p++ = '\n';
  fwrite(w->line, 1, (size_t)(p - w->line), out);
  viral_vw_writer_begin(w);
  return VIRAL_OK;
}
