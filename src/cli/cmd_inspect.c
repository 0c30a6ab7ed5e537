/* cmd_inspect.c - `viral inspect`: what a model file holds, checked.
 *
 *   viral inspect [--top K] [--json] MODEL */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "viral/model.h"

static const cli_option options[] = {
    {"top", 0, "K", "show the K features of largest effect (default 10)"},
    {"json", 0, NULL, "print a JSON summary, with the whole spec, instead of text"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_inspect_spec = {
    "inspect",
    "[options] MODEL",
    "print a model's metadata, spec, label rule and top features by effect",
    "Loading the model checks it completely (format, version, checksum, shapes\n"
    "and values): a model that inspect prints is one score can use. Weights are\n"
    "on the features' raw values (logistic) or the SVM's equivalent linear\n"
    "weights; an RBF SVM has none and shows its support vector count.\n\n"
    "example:\n"
    "  viral inspect models/default.json",
    options,
    1,
    1,
};

int cmd_inspect(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_inspect_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  long top = 10;
  if ((rc = cli_get_long(&args, "top", 10, &top)) != CLI_CONTINUE) return rc;
  if (top < 0) return cli_usage_error("inspect", "--top must be 0 or more");
  viral_error err;
  viral_error_clear(&err);
  const char *path = args.positional[0];
  viral_model *m = viral_model_load(path, &err);
  if (!m) return cli_data_error("inspect", &err);
  rc = CLI_EXIT_OK;
  if (cli_flag(&args, "json")) {
    char *text = viral_model_inspect_json(m, path, (size_t)top, &err);
    if (text) puts(text);
    else rc = cli_data_error("inspect", &err);
    free(text);
  } else if (viral_model_inspect_text(m, path, (size_t)top, stdout, &err) != VIRAL_OK) {
    rc = cli_data_error("inspect", &err);
  }
  viral_model_free(m);
  return rc;
}
