/* cache_internal.h - for the cache's fuzz harness (tests/fuzz/fuzz_cache.c):
 * make a file's header agree with its bytes, so that mutations reach the
 * rows and the description rather than stop at the checksum. Internal. */
#ifndef VIRAL_FEATURES_CACHE_INTERNAL_H
#define VIRAL_FEATURES_CACHE_INTERNAL_H

#include <stddef.h>

/* When file (size bytes) is at least a header long: its size field set to
 * size and its checksum to the one of its bytes. */
void cache_seal(unsigned char *file, size_t size);

#endif
