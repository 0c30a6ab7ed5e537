/* spill.h - internal: append-only arrays that may outgrow the process's
 * memory (a dataset's items, the rows a batch fit holds).
 *
 * Such an array grows on the heap, as array_grow does, up to a threshold
 * (SPILL_FROM_BYTES, 16 MiB; the environment variable
 * VIRAL_SPILL_FROM_BYTES sets another, for tests). Past it the array moves
 * into an unlinked temporary file in $TMPDIR (else /tmp), mapped shared:
 * the data is the file's, the kernel keeps it in its page cache while
 * memory allows and writes it out when it needs the memory. spill_let_go
 * drops the process's mapping of every page of it (they come back from the
 * page cache when read again, unchanged), and spill_touched does it every
 * 8 MiB touched, so a caller that says what it touches holds about that
 * much at once: the process's resident memory stays flat in the rows.
 * Pointers into the array stay valid across spill_let_go (not across a
 * growth).
 *
 * Spilling saves memory; it never makes a failure: where no file can be
 * made or grown (no space in $TMPDIR), the array stays on, or goes back
 * to, the heap. The file's blocks are reserved before they are written
 * (posix_fallocate), so a full disk is found there, not by a signal at a
 * write through the map. */
#ifndef VIRAL_IO_SPILL_H
#define VIRAL_IO_SPILL_H

#include <stddef.h>

#define SPILL_FROM_BYTES ((size_t)16 << 20)

/* Where an array past the threshold lives; NULL while it is on the heap. */
typedef struct viral_spill viral_spill;

/* Room for need elements of size bytes at *p (capacity *cap elements), as
 * array_grow gives it, in the file of *s once the array passes the
 * threshold (*s then made). 0, or -1 when memory ran out or the byte count
 * overflows (*p, *cap and *s then unchanged). */
int spill_grow(viral_spill **s, void **p, size_t *cap, size_t need, size_t size, size_t first);

/* Free the array p of s (heap or file). NULL-safe in both. */
void spill_free(viral_spill *s, void *p);

/* Drop the process's mapping of s's pages (the data stays); nothing for
 * NULL (an array on the heap). Safe from several threads at once. */
void spill_let_go(const viral_spill *s);

/* Say that bytes of s at at were just read or written: every
 * SPILL_LET_GO_BYTES (8 MiB) so counted, in any order and from any thread,
 * spill_let_go (a touch far from the last counts as the pages a fault maps
 * around it). A caller says it for each row it touches, and then holds
 * about that much of the array, whatever its access pattern. Nothing for
 * NULL. */
void spill_touched(const viral_spill *s, const void *at, size_t bytes);
#define SPILL_LET_GO_BYTES ((size_t)8 << 20)

/* 1 when s holds its array in a file. */
int spill_in_file(const viral_spill *s);

#endif
