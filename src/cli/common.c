/* common.c - option handling shared by the commands that read data. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_input_options(const cli_args *args, const viral_pipeline *p, viral_reader_options *opts) {
  viral_reader_options_init(opts);
  if (p) viral_pipeline_reader_options(p, opts);
  const char *format = cli_get(args, "format");
  if (format) {
    if (strcmp(format, "csv") == 0) opts->format = VIRAL_FORMAT_CSV;
    else if (strcmp(format, "jsonl") == 0) opts->format = VIRAL_FORMAT_JSONL;
    else if (strcmp(format, "json") == 0) opts->format = VIRAL_FORMAT_JSON;
    else
      return cli_usage_error(args->spec->command, "--format must be csv, jsonl or json, not '%s'",
                             format);
  }
  if (cli_get(args, "json-path")) opts->json_path = cli_get(args, "json-path");
  if (cli_flag(args, "skip-bad-rows")) opts->skip_bad_rows = 1;
  return CLI_CONTINUE;
}

viral_pipeline *cli_load_pipeline(const cli_args *args, const char *scaling, viral_error *err) {
  viral_pipeline_options popts;
  viral_pipeline_options_init(&popts);
  popts.label = cli_get(args, "label");
  popts.allow_leakage = cli_flag(args, "allow-leakage");
  popts.scaling = scaling;
  return viral_pipeline_load_spec(cli_get(args, "spec"), &popts, err);
}

int cli_show_progress(const cli_args *args) {
  for (int i = 0; args->spec->options[i].name; i++)
    if (strcmp(args->spec->options[i].name, "quiet") == 0 && cli_flag(args, "quiet")) return 0;
  return isatty(STDERR_FILENO);
}
