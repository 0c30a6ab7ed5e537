/* video_table.h - videos in flight: a hash table by id and a min-heap by
 * (deadline, id). The one structure `viral assemble` (src/data/assemble.c)
 * and `viral stream` (src/stream/stream.c) keep their per-video state in,
 * so both close videos by time in the same order.
 *
 * A node is embedded as the first member of the caller's struct; the table
 * never allocates or frees nodes, only its own arrays. */
#ifndef VIRAL_DATA_VIDEO_TABLE_H
#define VIRAL_DATA_VIDEO_TABLE_H

#include <stddef.h>

typedef struct viral_vt_node {
  struct viral_vt_node *next; /* hash chain */
  const char *id;             /* the caller's, set before add, unchanged while in */
  double deadline;            /* set before add; INFINITY: never due */
  size_t heap_at;             /* position in the heap */
} viral_vt_node;

typedef struct viral_vt {
  viral_vt_node **buckets;
  size_t nbuckets;
  viral_vt_node **heap; /* [count], every node in the table */
  size_t count, heap_cap;
} viral_vt;

/* VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_vt_init(viral_vt *t);
/* Frees the arrays, not the nodes. */
void viral_vt_release(viral_vt *t);
/* The node with this id, or NULL. */
viral_vt_node *viral_vt_find(const viral_vt *t, const char *id);
/* Add n (its id not in the table yet). VIRAL_OK or VIRAL_ERR_NOMEM (then
 * not added). */
int viral_vt_add(viral_vt *t, viral_vt_node *n);
/* Take n out (the caller may then free it). */
void viral_vt_remove(viral_vt *t, viral_vt_node *n);
/* The first node in (deadline, id) order, or NULL when empty. */
viral_vt_node *viral_vt_first(const viral_vt *t);
/* The first node in (deadline, id) order when its deadline <= now, else NULL. */
viral_vt_node *viral_vt_due(const viral_vt *t, double now);
/* Node i, 0 <= i < count, in no useful order (to visit every node). */
viral_vt_node *viral_vt_at(const viral_vt *t, size_t i);

#endif
