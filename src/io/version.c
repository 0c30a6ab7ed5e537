/* version.c - the version of the library linked (viral/version.h). */
#include "viral/version.h"

const char *viral_version(void) { return VIRAL_VERSION; }
