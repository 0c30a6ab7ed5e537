#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "io/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

int array_capacity(size_t cap, size_t need, size_t size, size_t first, size_t *out) {
  size_t c = cap ? cap : (first ? first : 1);
  while (c < need) {
    if (c > SIZE_MAX / 3 * 2) return -1;
    c += c / 2 + 1;
  }
  if (size && c > SIZE_MAX / size) return -1;
  *out = c;
  return 0;
}

int array_grow(void **p, size_t *cap, size_t need, size_t size, size_t first) {
  if (need <= *cap) return 0;
  size_t c;
  if (array_capacity(*cap, need, size, first, &c) < 0) return -1;
  void *q = realloc(*p, c * size);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *table_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t bytes = n * size;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= HUGE_PAGE / 2 && bytes <= 128 * HUGE_PAGE) {
    size_t whole = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, whole) != 0) return NULL;
    (void)madvise(p, whole, MADV_HUGEPAGE); /* a request: refused, the table works as well */
    memset(p, 0, bytes);
    return p;
  }
#endif
  return calloc(n ? n : 1, size ? size : 1);
}
