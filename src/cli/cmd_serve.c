/* cmd_serve.c - `viral serve`: score videos over HTTP with one model,
 * reloaded when its file is replaced.
 *
 *   viral serve [-m MODEL] [--listen ADDR:PORT] [--threads N] [...]
 *
 * The main thread starts the workers (serve_http.c), then waits for
 * signals, looking at the model file between them: SIGTERM or SIGINT drains
 * and stops, SIGHUP looks at the model file at once. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve_http.h"
#include "viral/score.h"

static const cli_option options[] = {
    {"model", 'm', "MODEL", "the model (default: $VIRAL_MODEL, else the bundled models/default.json)"},
    {"listen", 0, "ADDR:PORT", "where to listen (default 127.0.0.1:8080; port 0: a free one)"},
    {"threads", 0, "N", "worker threads answering requests (default: one per processor)"},
    {"max-body", 0, "BYTES", "longest request body (default 16777216, 16 MiB); a longer one gets 413"},
    {"max-connections", 0, "N", "connections open at once at most (default 256)"},
    {"idle-timeout", 0, "S", "close a connection silent for S seconds (default 30)"},
    {"request-timeout", 0, "S", "answer 408 to a request not in whole after S seconds (default 10)"},
    {"reload-interval", 0, "S", "look at the model file every S seconds (default 1; 0: on SIGHUP only)"},
    {"threshold", 't', "P", "probability at which a video counts as viral (default: the model's)"},
    CLI_ALLOW_MISSING_OPTION,
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_serve_spec = {
    "serve",
    "[options]",
    "score videos over HTTP, reloading the model when its file is replaced",
    "POST /score with records in the body answers what `viral score` writes for\n"
    "them, byte for byte: Content-Type text/csv gets CSV back, application/x-ndjson\n"
    "(JSON Lines) gets JSON Lines, application/json gets one object for one record,\n"
    "an array for an array, JSON Lines for objects one after another. ?explain=K\n"
    "adds the K reasons of each score (as score --explain K). A\n"
    "request is scored whole or refused: 400 for a body that is not valid in its\n"
    "format, 422 for records that cannot be scored (fields the model reads missing\n"
    "from the input unless --allow-missing, a row without video_id, a bad value),\n"
    "413 past --max-body, 415 for another Content-Type, 404 and 405 for other paths\n"
    "and methods; each with {\"error\": \"...\"}. 408 and the connection closed for\n"
    "a slow sender: headers not in within --request-timeout (of the connection's\n"
    "start, or of a later request's first line), a body not in whole by then, or a\n"
    "connection silent for --idle-timeout in the middle of a request.\n"
    "GET /healthz says {\"status\":\"ok\"} and the model's generation; GET /model\n"
    "says what `viral inspect --json MODEL` says.\n\n"
    "The model file is looked at every --reload-interval seconds (its inode, size\n"
    "and modification time) and on SIGHUP: a replaced file (write it elsewhere and\n"
    "rename it over, as train and update do) is loaded and checked in full before\n"
    "it takes over; requests under way finish on the model they started with. A\n"
    "file that does not load leaves the model as it is and says why on stderr.\n"
    "SIGTERM or SIGINT: stop taking connections, answer the requests under way (for\n"
    "up to --request-timeout seconds), exit 0. The address it listens on is said\n"
    "on stderr (\"listening on http://ADDR:PORT\"), the chosen port with port 0.\n\n"
    "examples:\n"
    "  viral serve -m model.json --listen 127.0.0.1:8080 &\n"
    "  curl -s -H 'Content-Type: text/csv' --data-binary @new.csv \\\n"
    "    'http://127.0.0.1:8080/score?explain=3'\n"
    "  curl -s -H 'Content-Type: application/x-ndjson' --data-binary @new.jsonl \\\n"
    "    http://127.0.0.1:8080/score\n"
    "  curl -s http://127.0.0.1:8080/model\n"
    "  viral serve --listen 0.0.0.0:8080 --threads 4 --max-body 1048576",
    options,
    0,
    0,
};

/* ---- options ---- */

/* ADDR:PORT ([ADDR]:PORT for IPv6) into *out. CLI_CONTINUE or exit 2. */
static int parse_listen(const char *given, struct sockaddr_storage *out) {
  char host[256];
  const char *text = given;
  const char *colon = text[0] == '[' ? strstr(text, "]:") : strrchr(text, ':');
  size_t host_len = colon ? (size_t)(colon - text) : 0;
  const char *port = colon ? colon + (text[0] == '[' ? 2 : 1) : NULL;
  if (text[0] == '[') text++, host_len = host_len ? host_len - 1 : 0;
  if (!colon || host_len == 0 || host_len >= sizeof host || !*port || strspn(port, "0123456789") != strlen(port) ||
      atol(port) > 65535)
    return cli_usage_error("serve", "--listen must be ADDR:PORT ([ADDR]:PORT for IPv6), not '%s'", given);
  memcpy(host, text, host_len);
  host[host_len] = '\0';
  struct addrinfo hints = {0}, *found = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int rc = getaddrinfo(host, port, &hints, &found);
  if (rc != 0 || !found)
    return cli_usage_error("serve", "--listen: cannot resolve '%s': %s", host, gai_strerror(rc));
  memcpy(out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return CLI_CONTINUE;
}

static int positive_long(const cli_args *args, const char *name, long def, long max, long *out) {
  int rc = cli_get_long(args, name, def, out);
  if (rc != CLI_CONTINUE) return rc;
  if (*out < 1 || *out > max) return cli_usage_error("serve", "--%s must be from 1 to %ld", name, max);
  return CLI_CONTINUE;
}

/* The server's configuration from the options. CLI_CONTINUE or exit 2. */
static int read_config(const cli_args *args, struct sockaddr_storage *addr, serve_config *c, double *interval) {
  long threads, max_body, max_connections, idle;
  long processors = sysconf(_SC_NPROCESSORS_ONLN);
  int rc;
  const char *listen = cli_get(args, "listen") ? cli_get(args, "listen") : "127.0.0.1:8080";
  if ((rc = parse_listen(listen, addr)) != CLI_CONTINUE ||
      (rc = positive_long(args, "threads", processors > 0 ? processors : 1, 1024, &threads)) != CLI_CONTINUE ||
      (rc = positive_long(args, "max-body", 16L << 20, 1L << 30, &max_body)) != CLI_CONTINUE ||
      (rc = positive_long(args, "max-connections", 256, 65536, &max_connections)) != CLI_CONTINUE ||
      (rc = positive_long(args, "idle-timeout", 30, 86400, &idle)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "request-timeout", 10, &c->request_timeout)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "reload-interval", 1, interval)) != CLI_CONTINUE)
    return rc;
  if (!(c->request_timeout > 0 && c->request_timeout <= 86400))
    return cli_usage_error("serve", "--request-timeout must be more than 0 seconds, up to 86400");
  if (!(*interval >= 0 && *interval <= 86400))
    return cli_usage_error("serve", "--reload-interval must be from 0 to 86400 seconds");
  c->addr = (const struct sockaddr *)addr;
  c->threads = (unsigned)threads;
  c->max_body = (size_t)max_body;
  c->max_connections = (unsigned)max_connections;
  c->idle_timeout = (unsigned)idle;
  return CLI_CONTINUE;
}

/* ---- the model file ---- */

/* What tells that the file at a path was replaced or rewritten. */
typedef struct file_id {
  int found;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
} file_id;

static file_id identify(const char *path) {
  file_id id = {0};
  struct stat st;
  if (stat(path, &st) != 0) return id;
  id.found = 1;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime = st.st_mtim;
  return id;
}

static int same_file(const file_id *a, const file_id *b) {
  return a->found == b->found && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Load the model at path when it changed since *seen, once per change. */
static void watch_model(viral_scorer *s, serve_http *h, const char *path, file_id *seen) {
  file_id now = identify(path);
  if (same_file(&now, seen)) return;
  *seen = now;
  viral_error err;
  viral_error_clear(&err);
  if (viral_scorer_reload(s, &err) == VIRAL_OK) {
    fprintf(stderr, "viral serve: %s: reloaded, generation %llu\n", path,
            (unsigned long long)viral_scorer_generation(s));
    return;
  }
  serve_http_count_reload_failure(h);
  fprintf(stderr, "viral serve: %s (still serving generation %llu)\n", err.message,
          (unsigned long long)viral_scorer_generation(s));
}

/* ---- running ---- */

static struct timespec seconds_to_timespec(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  return ts;
}

/* Wait for a signal of set, at most `seconds` (< 0: for ever): the
 * signal, or 0 when the time ran out. */
static int wait_signal(const sigset_t *set, double seconds) {
  for (;;) {
    struct timespec ts = seconds_to_timespec(seconds);
    int sig = seconds < 0 ? sigwaitinfo(set, NULL) : sigtimedwait(set, NULL, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
  }
}

/* Stop taking connections and let the requests under way finish, for up
 * to `seconds`, or until a second SIGTERM/SIGINT. */
static void drain(serve_http *h, const sigset_t *set, double seconds) {
  unsigned in_flight = serve_http_in_flight(h);
  serve_http_drain(h);
  fprintf(stderr, "viral serve: stopping: %u request%s in flight\n", in_flight, in_flight == 1 ? "" : "s");
  double deadline = serve_now() + seconds;
  while (serve_http_in_flight(h) > 0 && serve_now() < deadline) {
    int sig = wait_signal(set, 0.01);
    if (sig == SIGTERM || sig == SIGINT) break;
  }
}

/* "http://HOST:PORT" of addr with port into buf. */
static void describe_address(const struct sockaddr *addr, unsigned port, char *buf, size_t size) {
  char host[INET6_ADDRSTRLEN] = "?";
  socklen_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  getnameinfo(addr, len, host, sizeof host, NULL, 0, NI_NUMERICHOST);
  int v6 = addr->sa_family == AF_INET6;
  snprintf(buf, size, "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

int cmd_serve(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_serve_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  struct sockaddr_storage addr;
  serve_config config;
  double interval;
  if ((rc = read_config(&args, &addr, &config, &interval)) != CLI_CONTINUE) return rc;
  viral_scorer_options so;
  viral_scorer_options_init(&so);
  if ((rc = cli_get_double(&args, "threshold", -1, &so.threshold)) != CLI_CONTINUE) return rc;
  if (cli_get(&args, "threshold") && !(so.threshold >= 0 && so.threshold <= 1))
    return cli_usage_error("serve", "--threshold must be a probability from 0 to 1");
  so.allow_missing = cli_flag(&args, "allow-missing");
  so.check_after = CLI_HOLD_ROWS; /* as `viral score` checks the input */

  /* signals are waited for by this thread alone: the workers inherit the mask */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  const char *path = cli_get(&args, "model") ? cli_get(&args, "model") : cli_default_model();
  file_id seen = identify(path);
  viral_error err;
  viral_error_clear(&err);
  viral_scorer *scorer = viral_scorer_create(path, &so, &err);
  if (!scorer) return cli_data_error("serve", &err);
  serve_http *h = serve_http_start(scorer, &config);
  char where[INET6_ADDRSTRLEN + 32];
  if (!h) {
    describe_address(config.addr, 0, where, sizeof where);
    fprintf(stderr, "viral serve: cannot listen on %s\n", cli_get(&args, "listen") ? cli_get(&args, "listen") : where);
    viral_scorer_free(scorer);
    return CLI_EXIT_DATA;
  }
  describe_address(config.addr, serve_http_port(h), where, sizeof where);
  fprintf(stderr, "viral serve: listening on %s (model %s, %u threads)\n", where, path, config.threads);

  /* a tick: header deadlines at a tenth of --request-timeout (at most a
     second), the model file every --reload-interval, and at once on SIGHUP */
  double tick = config.request_timeout / 10 < 1 ? config.request_timeout / 10 : 1;
  if (interval > 0 && interval < tick) tick = interval;
  double next_look = serve_now() + interval;
  for (;;) {
    int sig = wait_signal(&set, tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    serve_http_expire(h);
    if (sig == SIGHUP || (interval > 0 && serve_now() >= next_look)) {
      watch_model(scorer, h, path, &seen);
      next_look = serve_now() + interval;
    }
  }
  drain(h, &set, config.request_timeout);
  serve_counts counts;
  serve_http_stop(h, &counts);
  viral_scorer_free(scorer);
  fprintf(stderr, "viral serve: stopped: %llu requests answered (%llu ok, %llu refused, %llu failed)\n",
          (unsigned long long)counts.requests, (unsigned long long)counts.ok, (unsigned long long)counts.refused,
          (unsigned long long)counts.failed);
  return CLI_EXIT_OK;
}
