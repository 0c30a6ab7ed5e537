/* viral/version.h - the library's version: numbers for the preprocessor,
 * and viral_version() for the library a program actually runs with (a
 * shared library may be newer than the headers it was compiled against).
 * CMakeLists.txt reads the three numbers from this file: it is the one
 * place the version is written. */
#ifndef VIRAL_VERSION_H
#define VIRAL_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define VIRAL_VERSION_MAJOR 0
#define VIRAL_VERSION_MINOR 1
#define VIRAL_VERSION_PATCH 0

#define VIRAL_VERSION_TEXT_(a, b, c) #a "." #b "." #c
#define VIRAL_VERSION_TEXT(a, b, c) VIRAL_VERSION_TEXT_(a, b, c)
/* "MAJOR.MINOR.PATCH" */
#define VIRAL_VERSION VIRAL_VERSION_TEXT(VIRAL_VERSION_MAJOR, VIRAL_VERSION_MINOR, VIRAL_VERSION_PATCH)
/* One number that compares: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define VIRAL_VERSION_NUMBER (VIRAL_VERSION_MAJOR * 10000 + VIRAL_VERSION_MINOR * 100 + VIRAL_VERSION_PATCH)

/* VIRAL_VERSION of the library linked (static). */
const char *viral_version(void);

#ifdef __cplusplus
}
#endif
#endif
