/* hash.c - MurmurHash3_x86_32, written from the published algorithm
 * (viral/features.h). Byte order is fixed little-endian so hashed feature
 * indices are the same on every machine a model travels to. */
#include "viral/features.h"

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

uint32_t viral_murmur3_32(const void *key, size_t len, uint32_t seed) {
  const unsigned char *p = key;
  const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
  uint32_t h = seed, k;
  size_t blocks = len / 4;
  for (size_t i = 0; i < blocks; i++, p += 4) {
    k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5 + 0xe6546b64u;
  }
  k = 0;
  switch (len & 3) {
  case 3: k ^= (uint32_t)p[2] << 16; /* fall through */
  case 2: k ^= (uint32_t)p[1] << 8;  /* fall through */
  case 1:
    k ^= p[0];
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
  }
  h ^= (uint32_t)len;
  return fmix32(h);
}
