/* spill.c - arrays that move into a temporary file past a threshold
 * (io/spill.h). */
#define _DEFAULT_SOURCE /* madvise, mkstemp */
#include "io/spill.h"
#include "io/array.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct viral_spill {
  int fd;
  void *map;    /* [bytes] the whole file, mapped shared */
  size_t bytes;
  atomic_size_t touched; /* bytes counted touched since the last let go */
  atomic_uintptr_t last; /* where the last touch ended */
};

/* The threshold: SPILL_FROM_BYTES, or the environment's. */
static size_t threshold(void) {
  const char *e = getenv("VIRAL_SPILL_FROM_BYTES");
  if (e && *e) {
    char *end;
    unsigned long long v = strtoull(e, &end, 10);
    if (*end == '\0' && v <= SIZE_MAX) return (size_t)v;
  }
  return SPILL_FROM_BYTES;
}

/* A new temporary file, already unlinked (nothing is left behind, whatever
 * ends the process): its descriptor, or -1. */
static int temp_file(void) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  char path[4096];
  if ((size_t)snprintf(path, sizeof path, "%s/viral-spill-XXXXXX", dir) >= sizeof path) return -1;
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  unlink(path);
  return fd;
}

/* The first bytes of fd's file, reserved on disk first, mapped into *map:
 * 0, or -1 (no space, no mapping). */
static int map_file(int fd, size_t bytes, void **map) {
  if (bytes > (size_t)INT64_MAX || posix_fallocate(fd, 0, (off_t)bytes) != 0) return -1;
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return -1;
  *map = m;
  return 0;
}

static void unmap(viral_spill *s) {
  munmap(s->map, s->bytes);
  close(s->fd);
  free(s);
}

/* The heap array *p of cap elements moved into a new file of bytes: 0, or
 * -1 with nothing changed. */
static int move_to_file(viral_spill **s, void **p, size_t cap, size_t size, size_t bytes) {
  viral_spill *n = malloc(sizeof *n);
  int fd = n ? temp_file() : -1;
  void *m;
  if (fd < 0 || map_file(fd, bytes, &m) < 0) {
    if (fd >= 0) close(fd);
    free(n);
    return -1;
  }
  if (cap) memcpy(m, *p, cap * size);
  free(*p);
  n->fd = fd;
  n->map = m;
  n->bytes = bytes;
  atomic_init(&n->touched, 0);
  atomic_init(&n->last, 0);
  *s = n;
  *p = m;
  return 0;
}

/* The file's array of cap elements moved back to a heap array of bytes
 * (the file could not grow): 0, or -1 with nothing changed. */
static int move_to_heap(viral_spill **s, void **p, size_t cap, size_t size, size_t bytes) {
  void *h = malloc(bytes);
  if (!h) return -1;
  memcpy(h, (*s)->map, cap * size);
  unmap(*s);
  *s = NULL;
  *p = h;
  return 0;
}

int spill_grow(viral_spill **s, void **p, size_t *cap, size_t need, size_t size, size_t first) {
  if (need <= *cap) return 0;
  size_t c;
  if (array_capacity(*cap, need, size, first, &c) < 0) return -1;
  size_t bytes = c * size;
  if (!*s) {
    if (bytes <= threshold() || move_to_file(s, p, *cap, size, bytes) < 0)
      return array_grow(p, cap, need, size, first);
    *cap = c;
    return 0;
  }
  void *m;
  if (map_file((*s)->fd, bytes, &m) == 0) { /* the data is the file's: map it whole again */
    munmap((*s)->map, (*s)->bytes);
    (*s)->map = m;
    (*s)->bytes = bytes;
    *p = m;
  } else if (move_to_heap(s, p, *cap, size, bytes) < 0) {
    return -1;
  }
  *cap = c;
  return 0;
}

void spill_free(viral_spill *s, void *p) {
  if (s) unmap(s);
  else free(p);
}

void spill_let_go(const viral_spill *s) {
  if (s) (void)madvise(s->map, s->bytes, MADV_DONTNEED);
}

int spill_in_file(const viral_spill *s) { return s != NULL; }

/* A read fault maps the pages around the one faulted too, when they are
 * in the page cache (Linux's fault-around, 64 KiB by default): so a touch
 * counts the gap after the last one as well (up to that much), and a jump
 * back counts that much. A walk in order counts what it maps; one at
 * random or with a stride, no less than it maps. */
#define FAULT_AROUND_BYTES ((size_t)64 << 10)

void spill_touched(const viral_spill *s, const void *at, size_t bytes) {
  if (!s) return;
  /* the counters are the mutable part of a spill read through a const array */
  atomic_size_t *touched = (atomic_size_t *)&s->touched;
  atomic_uintptr_t *last = (atomic_uintptr_t *)&s->last;
  uintptr_t a = (uintptr_t)at, before_end = atomic_exchange_explicit(last, a + bytes, memory_order_relaxed);
  size_t count = bytes;
  if (a >= before_end) count += a - before_end < FAULT_AROUND_BYTES ? a - before_end : FAULT_AROUND_BYTES;
  else if (before_end - a > FAULT_AROUND_BYTES && count < FAULT_AROUND_BYTES) count = FAULT_AROUND_BYTES;
  size_t before = atomic_fetch_add_explicit(touched, count, memory_order_relaxed);
  if (before + count >= SPILL_LET_GO_BYTES) {
    atomic_store_explicit(touched, 0, memory_order_relaxed);
    spill_let_go(s);
  }
}
