/* video_table.c - videos in flight by id and by deadline (video_table.h). */
#include "data/video_table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "viral/error.h"

static size_t hash_id(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)h;
}

int viral_vt_init(viral_vt *t) {
  memset(t, 0, sizeof *t);
  t->nbuckets = 1024;
  t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
  return t->buckets ? VIRAL_OK : VIRAL_ERR_NOMEM;
}

void viral_vt_release(viral_vt *t) {
  free(t->buckets);
  free(t->heap);
  memset(t, 0, sizeof *t);
}

static viral_vt_node **slot_of(const viral_vt *t, const char *id) {
  viral_vt_node **slot = &t->buckets[hash_id(id) % t->nbuckets];
  while (*slot && strcmp((*slot)->id, id) != 0) slot = &(*slot)->next;
  return slot;
}

viral_vt_node *viral_vt_find(const viral_vt *t, const char *id) { return *slot_of(t, id); }

static int grow_buckets(viral_vt *t) {
  size_t nb = t->nbuckets * 2;
  viral_vt_node **b = calloc(nb, sizeof *b);
  if (!b) return VIRAL_ERR_NOMEM;
  for (size_t i = 0; i < t->nbuckets; i++)
    for (viral_vt_node *v = t->buckets[i], *next; v; v = next) {
      next = v->next;
      size_t h = hash_id(v->id) % nb;
      v->next = b[h];
      b[h] = v;
    }
  free(t->buckets);
  t->buckets = b;
  t->nbuckets = nb;
  return VIRAL_OK;
}

/* ---- heap by (deadline, id) ---- */

static int before(const viral_vt_node *a, const viral_vt_node *b) {
  if (a->deadline != b->deadline) return a->deadline < b->deadline;
  return strcmp(a->id, b->id) < 0;
}

static void place(viral_vt *t, size_t i, viral_vt_node *n) {
  t->heap[i] = n;
  n->heap_at = i;
}

static void sift_up(viral_vt *t, size_t i) {
  viral_vt_node *n = t->heap[i];
  while (i > 0 && before(n, t->heap[(i - 1) / 2])) {
    place(t, i, t->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  place(t, i, n);
}

static void sift_down(viral_vt *t, size_t i) {
  viral_vt_node *n = t->heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= t->count) break;
    if (c + 1 < t->count && before(t->heap[c + 1], t->heap[c])) c++;
    if (!before(t->heap[c], n)) break;
    place(t, i, t->heap[c]);
    i = c;
  }
  place(t, i, n);
}

int viral_vt_add(viral_vt *t, viral_vt_node *n) {
  if (t->count >= 2 * t->nbuckets && grow_buckets(t) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  if (t->count == t->heap_cap) {
    size_t cap = t->heap_cap ? t->heap_cap * 2 : 256;
    viral_vt_node **h = realloc(t->heap, cap * sizeof *h);
    if (!h) return VIRAL_ERR_NOMEM;
    t->heap = h;
    t->heap_cap = cap;
  }
  viral_vt_node **slot = slot_of(t, n->id);
  n->next = NULL;
  *slot = n;
  t->heap[t->count] = n;
  n->heap_at = t->count++;
  sift_up(t, n->heap_at);
  return VIRAL_OK;
}

void viral_vt_remove(viral_vt *t, viral_vt_node *n) {
  viral_vt_node **slot = slot_of(t, n->id);
  if (*slot == n) *slot = n->next;
  size_t i = n->heap_at;
  viral_vt_node *last = t->heap[--t->count];
  if (i == t->count) return;
  place(t, i, last);
  if (i > 0 && before(last, t->heap[(i - 1) / 2])) sift_up(t, i);
  else sift_down(t, i);
}

viral_vt_node *viral_vt_first(const viral_vt *t) { return t->count ? t->heap[0] : NULL; }

viral_vt_node *viral_vt_due(const viral_vt *t, double now) {
  return t->count && t->heap[0]->deadline <= now ? t->heap[0] : NULL;
}

viral_vt_node *viral_vt_at(const viral_vt *t, size_t i) { return t->heap[i]; }
