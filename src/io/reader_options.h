/* reader_options.h - reader options that own the text they point at
 * (internal): what a reader, a row source or eval data keeps of a caller's
 * viral_reader_options, so that it can open the input again after the
 * caller's strings (a spec's field paths in a pipeline freed since) are gone. */
#ifndef VIRAL_IO_READER_OPTIONS_H
#define VIRAL_IO_READER_OPTIONS_H

#include "viral/reader.h"

typedef struct reader_options_copy {
  viral_reader_options opts; /* json_path and field_paths point at the copies below */
  char *json_path;
  char **field_paths; /* [opts.field_path_count] */
} reader_options_copy;

/* Copy given (NULL: the defaults) into c, strings and all. VIRAL_OK, or
 * VIRAL_ERR_NOMEM with c holding nothing. */
int reader_options_copy_init(reader_options_copy *c, const viral_reader_options *given);
/* Free the copies (not c itself). */
void reader_options_copy_release(reader_options_copy *c);

#endif
