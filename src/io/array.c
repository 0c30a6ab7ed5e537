#include "io/array.h"

#include <stdint.h>
#include <stdlib.h>

int array_grow(void **p, size_t *cap, size_t need, size_t size, size_t first) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : (first ? first : 1);
  while (c < need) {
    if (c > SIZE_MAX / 3 * 2) return -1;
    c += c / 2 + 1;
  }
  if (size && c > SIZE_MAX / size) return -1;
  void *q = realloc(*p, c * size);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}
