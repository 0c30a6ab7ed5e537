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

#endif
