/* array.h - growing a heap array (internal): the one place where the
 * library's append-only buffers (dataset rows, LIBLINEAR and XGBoost rows,
 * parsed JSON text) find room, so each grows by half (a 1 GiB batch
 * overshoots by at most 0.5 GiB, not 1) and checks the
 * size multiplication the same way. */
#ifndef VIRAL_IO_ARRAY_H
#define VIRAL_IO_ARRAY_H

#include <stddef.h>

/* Room for at least need elements of size bytes at *p, whose capacity in
 * elements is *cap: nothing when there is room, else the capacity grows by half
 * (starting at first) until need fits and *p is reallocated. Returns 0, or
 * -1 when memory ran out or the byte count overflows (then *p and *cap are
 * unchanged). */
int array_grow(void **p, size_t *cap, size_t need, size_t size, size_t first);
/* The capacity array_grow would grow cap to for need (need > cap) into
 * *out: 0, or -1 when the byte count overflows. */
int array_capacity(size_t cap, size_t need, size_t size, size_t first, size_t *out);

/* calloc(n, size) for a table read at random indices (a learner's 2^bits
 * weights, the training profile's counts), freed with free(). From 1 MiB
 * to 256 MiB it is rounded up to and aligned on 2 MiB and, on Linux, asks
 * for transparent huge pages (where the system grants them on request):
 * one TLB entry per 2 MiB instead of 512, as each row touches the table at
 * a few random places. Such a table is zeroed at once, so all of it is
 * resident from the start; others stay calloc's, resident as touched. */
void *table_calloc(size_t n, size_t size);

#endif
