/* main.c - `viral <command> [options] [FILE|-]`: dispatch to cmd_<name>.
 *
 * Exit codes: 0 ok, 1 data or runtime error, 2 usage error. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"
#include "viral/dist.h"
#include "viral/version.h"

/* Only commands that exist are listed: no stubs. */
const cli_command cli_commands[] = {
    {"describe", cmd_describe, &cmd_describe_spec},
    {"assemble", cmd_assemble, &cmd_assemble_spec},
    {"train", cmd_train, &cmd_train_spec},
    {"eval", cmd_eval, &cmd_eval_spec},
    {"tune", cmd_tune, &cmd_tune_spec},
    {"update", cmd_update, &cmd_update_spec},
    {"stream", cmd_stream, &cmd_stream_spec},
    {"score", cmd_score, &cmd_score_spec},
    {"serve", cmd_serve, &cmd_serve_spec},
    {"inspect", cmd_inspect, &cmd_inspect_spec},
    {"gen", cmd_gen, &cmd_gen_spec},
    {"convert", cmd_convert, &cmd_convert_spec},
    {NULL, NULL, NULL},
};

const cli_command *cli_find_command(const char *name) {
  for (const cli_command *c = cli_commands; c->name; c++)
    if (strcmp(c->name, name) == 0) return c;
  return NULL;
}

/* The usage error for a command that does not exist: with the one it was
 * most likely meant to be. Returns 2. */
static int unknown_command(const char *name) {
  const char *names[sizeof cli_commands / sizeof *cli_commands];
  size_t n = 0;
  for (const cli_command *c = cli_commands; c->name; c++) names[n++] = c->name;
  const char *near = cli_closest(name, names, n);
  if (near)
    fprintf(stderr, "viral: unknown command '%s'; did you mean '%s'? (try 'viral --help')\n", name, near);
  else
    fprintf(stderr, "viral: unknown command '%s' (try 'viral --help')\n", name);
  return CLI_EXIT_USAGE;
}

/* Hidden requests of the shell completion (tools/completion): `viral
 * --commands` lists the commands, `viral --options CMD` a command's
 * options (cli_print_option_table). -1 when argv is neither. */
static int completion_request(int argc, char **argv) {
  if (strcmp(argv[1], "--commands") == 0 && argc == 2) {
    for (const cli_command *c = cli_commands; c->name; c++) printf("%s\t%s\n", c->name, c->spec->summary);
    return CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "--options") != 0 || argc != 3) return -1;
  const cli_command *c = cli_find_command(argv[2]);
  if (!c) return unknown_command(argv[2]);
  cli_print_option_table(c->spec, stdout);
  return CLI_EXIT_OK;
}

static void print_main_help(FILE *out) {
  fprintf(out,
          "usage: viral <command> [options] [FILE|-]\n\n"
          "Predict, from the first hours of a short video's life, the probability\n"
          "that it goes viral.\n\ncommands:\n");
  for (const cli_command *c = cli_commands; c->name; c++)
    fprintf(out, "  %-10s %s\n", c->name, c->spec->summary);
  fprintf(out,
          "\n'viral help COMMAND' or 'viral COMMAND --help' shows a command's options.\n"
          "A FILE of '-' (or none) is standard input. Exit status: 0 ok, 1 data or\n"
          "runtime error, 2 usage error.\n\n"
          "examples:\n"
          "  viral assemble -s research-api -o videos.csv polls/\n"
          "  viral train -s research-api -o model.json videos.csv\n"
          "  viral score -m model.json new-videos.csv\n");
}

/* Data reaches stdout through stdio's buffer, so a full disk or a closed
 * descriptor may only show when it is flushed: check, for every command and
 * for --help and --version, before exiting. A command that already failed
 * has said why; one that succeeded now exits 1. Returns the exit status. */
static int close_stdout(const char *command, int status) {
  errno = 0;
  int failed = fflush(stdout) != 0 || ferror(stdout);
  int e = errno;
  /* EBADF: stdout was closed and nothing was written to it (flushed above) */
  if (fclose(stdout) != 0 && !failed && errno != EBADF) failed = 1, e = errno;
  if (!failed || status != CLI_EXIT_OK) return status;
  fprintf(stderr, "viral%s%s: write error%s%s\n", command ? " " : "", command ? command : "", e ? ": " : "",
          e ? strerror(e) : "");
  return CLI_EXIT_DATA;
}

/* The exit status of `viral ARGS...`, before stdout is checked. */
static int run(int argc, char **argv) {
  if (argc < 2) {
    print_main_help(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    print_main_help(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
    printf("viral %s\n", viral_version());
    return CLI_EXIT_OK;
  }
  if (strcmp(name, "help") == 0) {
    if (argc < 3) {
      print_main_help(stdout);
      return CLI_EXIT_OK;
    }
    const cli_command *c = cli_find_command(argv[2]);
    if (!c) return unknown_command(argv[2]);
    cli_print_help(c->spec, stdout);
    return CLI_EXIT_OK;
  }
  int rc = completion_request(argc, argv);
  if (rc >= 0) return rc;
  const cli_command *c = cli_find_command(name);
  if (!c && name[0] == '-') {
    static const char *const main_options[] = {"--help", "--version"};
    const char *near = cli_closest(name, main_options, 2);
    fprintf(stderr, "viral: unknown option '%s'%s%s%s (try 'viral --help')\n", name, near ? "; did you mean '" : "",
            near ? near : "", near ? "'?" : "");
    return CLI_EXIT_USAGE;
  }
  if (!c) return unknown_command(name);
  if (viral_dist_size() > 1 && !cli_runs_distributed(c->name))
    return cli_usage_error(c->name, "runs as one process: start it without mpirun (train, score, eval and tune run over MPI)");
  return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv) {
  /* Numbers are read and written in the C locale whatever the environment. */
  setlocale(LC_ALL, "C");
#ifdef __GLIBC__
  /* Arrays of 256 KiB and more are mapped and given back when freed. glibc
   * raises this threshold as large blocks are freed, and the per-fold
   * arrays of eval then stay in its heap: 10 MB more resident per fold on
   * 200k rows (tools/bench/eval_memory.sh). */
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
#endif
  viral_error err;
  viral_error_clear(&err);
  if (viral_dist_init(&argc, &argv, &err) != VIRAL_OK) {
    fprintf(stderr, "viral: %s\n", err.message);
    return CLI_EXIT_DATA;
  }
  /* In an MPI job process 0 writes the results; the others' stdout goes nowhere. */
  if (viral_dist_rank() != 0 && !freopen("/dev/null", "w", stdout)) return CLI_EXIT_DATA;
  const cli_command *c = argc >= 2 ? cli_find_command(argv[1]) : NULL;
  int status = close_stdout(c ? c->name : NULL, run(argc, argv));
  viral_dist_finalize();
  return status;
}
