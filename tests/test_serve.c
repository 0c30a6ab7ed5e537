/* test_serve.c - `viral serve` end to end on loopback, with a small HTTP
 * client over sockets: the answers equal `viral score`'s output byte for
 * byte (CSV, JSON Lines, a JSON array, one JSON object, with reasons), GET
 * /model equals `viral inspect --json`, a replaced model file is taken
 * (and a corrupt one is not), every kind of malformed request gets its 4xx
 * with a JSON error and leaves the server serving, and SIGTERM answers the
 * request in flight before the server exits 0.
 *
 * Nothing waits a fixed time: each wait polls (the server's log, /healthz)
 * until what it waits for happens or a generous deadline passes, so the
 * tests hold on a loaded machine and under the sanitizers. Each server
 * listens on a port the system chooses (--listen 127.0.0.1:0) and says it
 * on stderr, which goes to a log file the test reads. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define DEADLINE 120.0 /* seconds any one wait may take at most */
#define MODEL VIRAL_SOURCE_DIR "/models/default.json"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_briefly(void) {
  struct timespec ts = {0, 10 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

/* ---- an HTTP client ---- */

typedef struct response {
  int status;     /* 0: the connection closed without an answer */
  char *head;     /* status line and headers */
  char *body;
  size_t body_len;
} response;

static void response_free(response *r) {
  free(r->head);
  free(r->body);
  memset(r, 0, sizeof *r);
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void send_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    ck_assert_msg(n > 0, "send: %s", strerror(errno));
    data += n;
    len -= (size_t)n;
  }
}

/* The value of header name in head, or -1 for a number that is not there. */
static long header_number(const char *head, const char *name) {
  const char *p = strcasestr(head, name);
  return p ? atol(p + strlen(name)) : -1;
}

/* Read one answer from fd: the head, then Content-Length bytes of body (or
 * up to the end of the connection without one). The status is 0 when the
 * connection ends before a whole head. */
static response read_response_head(int fd, int head_only) {
  response r = {0};
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  ck_assert_ptr_nonnull(buf);
  double deadline = now() + DEADLINE;
  long need = -1; /* bytes of the whole answer, once known */
  size_t head_len = 0;
  for (;;) {
    if (head_len && ((need >= 0 && len >= (size_t)need) || head_only)) break;
    struct pollfd p = {fd, POLLIN, 0};
    int ready = poll(&p, 1, 100);
    ck_assert_msg(now() < deadline, "no answer within %g s", DEADLINE);
    if (ready <= 0) continue;
    if (len + 4096 > cap) ck_assert_ptr_nonnull(buf = realloc(buf, cap *= 2));
    ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* the end, or a reset after the answer */
    len += (size_t)n;
    buf[len] = '\0';
    char *end = head_len ? NULL : strstr(buf, "\r\n\r\n");
    if (end) {
      head_len = (size_t)(end - buf) + 4;
      long body = header_number(buf, "\r\nContent-Length:");
      need = body >= 0 ? (long)head_len + body : -1;
    }
  }
  if (head_len) {
    r.head = strndup(buf, head_len);
    r.status = atoi(buf + strlen("HTTP/1.1 "));
    size_t body = head_only ? 0 : need >= 0 ? (size_t)need - head_len : len - head_len;
    r.body = strndup(buf + head_len, body);
    r.body_len = body;
  }
  free(buf);
  return r;
}

static response read_response(int fd) { return read_response_head(fd, 0); }

/* METHOD path with body (may be NULL) of the given type (NULL: no
 * Content-Type), on a connection of its own. */
static response http(int port, const char *method, const char *path, const char *type, const char *body,
                     size_t len) {
  char head[1024];
  int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", method, path);
  if (type) n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\n", type);
  if (body) n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", len);
  n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
  int fd = connect_to(port);
  ck_assert_int_ge(fd, 0);
  send_all(fd, head, (size_t)n);
  if (body) send_all(fd, body, len);
  response r = read_response_head(fd, strcmp(method, "HEAD") == 0);
  close(fd);
  return r;
}

static response post(int port, const char *path, const char *type, const char *body) {
  return http(port, "POST", path, type, body, strlen(body));
}

static response get(int port, const char *path) { return http(port, "GET", path, NULL, NULL, 0); }

/* ---- a server ---- */

typedef struct server {
  pid_t pid;
  int port;
  char dir[4096];
  char log[4200];
} server;

static char *server_log(const server *s) {
  char *text = test_read_file(s->log, NULL);
  return text ? text : strdup("");
}

/* Wait until the server's log holds text: 1, or 0 when the server exited
 * first or the deadline passed. */
static int wait_log(const server *s, const char *text) {
  for (double deadline = now() + DEADLINE; now() < deadline; pause_briefly()) {
    char *log = server_log(s);
    int found = strstr(log, text) != NULL;
    free(log);
    if (found) return 1;
    if (waitpid(s->pid, NULL, WNOHANG) == s->pid) return 0;
  }
  return 0;
}

/* GET /healthz until its body holds text (e.g. "\"generation\":2"). */
static void wait_health(const server *s, const char *text) {
  for (double deadline = now() + DEADLINE;; pause_briefly()) {
    ck_assert_msg(now() < deadline, "/healthz never said %s", text);
    response r = get(s->port, "/healthz");
    int found = r.status == 200 && strstr(r.body, text);
    response_free(&r);
    if (found) return;
  }
}

/* Start `viral serve --listen 127.0.0.1:0 ARGS` with a directory of its own
 * (name under the tests' tmp); it dies with the test. */
static void server_start(server *s, const char *name, const char *args) {
  memset(s, 0, sizeof *s);
  test_tmpdir(s->dir, sizeof s->dir, name);
  snprintf(s->log, sizeof s->log, "%s/serve.log", s->dir);
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "exec '%s' serve --listen 127.0.0.1:0 %s", VIRAL_BINARY, args);
  s->pid = fork();
  ck_assert_int_ge(s->pid, 0);
  if (s->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int log = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644), null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(log, 2);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  const char *said = "listening on http://127.0.0.1:";
  if (!wait_log(s, said)) {
    char *log = server_log(s);
    ck_abort_msg("viral serve did not start: %s", log);
  }
  char *log = server_log(s);
  s->port = atoi(strstr(log, said) + strlen(said));
  free(log);
  ck_assert_int_gt(s->port, 0);
  wait_health(s, "\"status\":\"ok\"");
}

/* The exit status once the server has exited. */
static int server_wait(server *s) {
  int status = 0;
  for (double deadline = now() + DEADLINE;; pause_briefly()) {
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) break;
    ck_assert_msg(now() < deadline, "viral serve did not stop on SIGTERM");
  }
  ck_assert_msg(WIFEXITED(status), "viral serve ended by signal %d", WTERMSIG(status));
  return WEXITSTATUS(status);
}

/* SIGTERM, and the exit status. */
static int server_stop(server *s) {
  kill(s->pid, SIGTERM);
  return server_wait(s);
}

static void server_stop_ok(server *s) {
  int status = server_stop(s);
  char *log = server_log(s);
  ck_assert_msg(status == 0, "viral serve exited %d: %s", status, log);
  free(log);
}

/* ---- what `viral score` says ---- */

/* `viral gen` records in dir: g.csv and g.jsonl (the same 40 videos) and
 * g.json (their JSON lines as one array). */
static void make_records(const char *dir) {
  char args[9000], path[4200];
  snprintf(args, sizeof args, "gen -q --videos 40 --seed 7 -o '%s/g.csv'", dir);
  free(test_viral_out(args));
  snprintf(args, sizeof args, "gen -q --videos 40 --seed 7 --format jsonl -o '%s/g.jsonl'", dir);
  free(test_viral_out(args));
  snprintf(path, sizeof path, "%s/g.jsonl", dir);
  char *lines = test_read_file(path, NULL);
  ck_assert_ptr_nonnull(lines);
  size_t n = strlen(lines);
  char *array = malloc(n + 3);
  ck_assert_ptr_nonnull(array);
  array[0] = '[';
  memcpy(array + 1, lines, n);
  if (array[n] == '\n') n--;
  for (size_t i = 1; i <= n; i++)
    if (array[i] == '\n') array[i] = ',';
  memcpy(array + n + 1, "]", 2);
  snprintf(path, sizeof path, "%s/g.json", dir);
  test_write_file(path, array);
  free(array);
  free(lines);
}

static char *file_in(const char *dir, const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *text = test_read_file(path, NULL);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  return text;
}

/* The JSON lines of a `viral score --to jsonl` output as one array. */
static char *as_array(const char *lines) {
  size_t n = strlen(lines);
  char *out = malloc(n + 4);
  ck_assert_ptr_nonnull(out);
  out[0] = '[';
  memcpy(out + 1, lines, n + 1);
  if (n && out[n] == '\n') n--;
  for (size_t i = 1; i <= n; i++)
    if (out[i] == '\n') out[i] = ',';
  memcpy(out + n + 1, "]\n", 3);
  return out;
}

static void assert_answer(const response *r, int status, const char *type, const char *body) {
  ck_assert_msg(r->status == status, "status %d, expected %d: %s%s", r->status, status, r->head, r->body);
  if (type) ck_assert_msg(strstr(r->head, type), "not %s: %s", type, r->head);
  if (body) ck_assert_msg(strcmp(r->body, body) == 0, "body:\n%s\nexpected:\n%s", r->body, body);
}

/* ---- the same numbers as viral score ---- */

START_TEST(csv_like_score) {
  server s;
  server_start(&s, "serve_csv", "-m '" MODEL "'");
  make_records(s.dir);
  char *body = file_in(s.dir, "g.csv"), args[9000];
  snprintf(args, sizeof args, "score -m '%s' '%s/g.csv'", MODEL, s.dir);
  char *want = test_viral_out(args);
  response r = post(s.port, "/score", "text/csv", body);
  assert_answer(&r, 200, "Content-Type: text/csv", want);
  response_free(&r);
  free(want);
  snprintf(args, sizeof args, "score -m '%s' --explain 3 '%s/g.csv'", MODEL, s.dir);
  want = test_viral_out(args);
  r = post(s.port, "/score?explain=3", "text/csv; charset=utf-8", body);
  assert_answer(&r, 200, "Content-Type: text/csv", want);
  response_free(&r);
  free(want);
  free(body);
  server_stop_ok(&s);
}
END_TEST

START_TEST(json_like_score) {
  server s;
  server_start(&s, "serve_json", "-m '" MODEL "'");
  make_records(s.dir);
  char args[9000];
  snprintf(args, sizeof args, "score -m '%s' --to jsonl '%s/g.jsonl'", MODEL, s.dir);
  char *lines = test_viral_out(args), *jsonl = file_in(s.dir, "g.jsonl");
  response r = post(s.port, "/score", "application/x-ndjson", jsonl);
  assert_answer(&r, 200, "Content-Type: application/x-ndjson", lines);
  response_free(&r);
  /* an array gets the array of the same objects: what score says of the file */
  snprintf(args, sizeof args, "score -m '%s' --to jsonl '%s/g.json'", MODEL, s.dir);
  char *from_array = test_viral_out(args), *array = file_in(s.dir, "g.json");
  ck_assert_str_eq(from_array, lines);
  char *want = as_array(lines);
  r = post(s.port, "/score", "application/json", array);
  assert_answer(&r, 200, "Content-Type: application/json", want);
  response_free(&r);
  free(want);
  /* objects one after another as application/json get JSON Lines back, not
     the objects joined by commas */
  r = post(s.port, "/score", "application/json", jsonl);
  assert_answer(&r, 200, "Content-Type: application/x-ndjson", lines);
  response_free(&r);
  /* one object gets one object: the first line */
  char *first = strndup(jsonl, (size_t)(strchr(jsonl, '\n') - jsonl));
  want = strndup(lines, (size_t)(strchr(lines, '\n') - lines) + 1);
  r = post(s.port, "/score", "application/json", first);
  assert_answer(&r, 200, "Content-Type: application/json", want);
  response_free(&r);
  free(want);
  /* with reasons */
  snprintf(args, sizeof args, "score -m '%s' --to jsonl --explain 5 '%s/g.jsonl'", MODEL, s.dir);
  char *explained = test_viral_out(args);
  r = post(s.port, "/score?explain=5", "application/jsonl", jsonl);
  assert_answer(&r, 200, NULL, explained);
  response_free(&r);
  want = as_array(explained);
  r = post(s.port, "/score?explain=5", "application/json", array);
  assert_answer(&r, 200, NULL, want);
  response_free(&r);
  free(want);
  free(explained);
  free(first);
  free(from_array);
  free(array);
  free(jsonl);
  free(lines);
  server_stop_ok(&s);
}
END_TEST

/* The bundled examples (datasets/example.csv, .jsonl: they lack fields the
 * default spec reads, so both sides take --allow-missing) with a model
 * trained here: CSV, JSON Lines and a JSON array, with and without reasons. */
START_TEST(examples_like_score) {
  char dir[4096], model[4200], args[9000];
  test_tmpdir(dir, sizeof dir, "serve_examples_model");
  snprintf(model, sizeof model, "%s/model.json", dir);
  snprintf(args, sizeof args, "train -q --allow-missing --seed 5 -o '%s' '%s/datasets/sample.csv'", model,
           VIRAL_SOURCE_DIR);
  free(test_viral_out(args));
  server s;
  snprintf(args, sizeof args, "-m '%s' --allow-missing", model);
  server_start(&s, "serve_examples", args);
  static const struct {
    const char *file, *type, *query, *score_args;
  } cases[] = {
      {"example.csv", "text/csv", "/score", ""},
      {"example.csv", "text/csv", "/score?explain=3", "--explain 3"},
      {"example.jsonl", "application/x-ndjson", "/score", "--to jsonl"},
      {"example.jsonl", "application/x-ndjson", "/score?explain=4", "--to jsonl --explain 4"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(args, sizeof args, "score -q -m '%s' --allow-missing %s '%s/datasets/%s'", model, cases[i].score_args,
             VIRAL_SOURCE_DIR, cases[i].file);
    char *want = test_viral_out(args), *body = file_in(VIRAL_SOURCE_DIR "/datasets", cases[i].file);
    response r = post(s.port, cases[i].query, cases[i].type, body);
    assert_answer(&r, 200, cases[i].type, want);
    ck_assert_msg(strstr(r.head, "X-Viral-Warning: body: not in the input"), "no warning: %s", r.head);
    response_free(&r);
    if (strcmp(cases[i].type, "application/x-ndjson") == 0) { /* the same lines as one array */
      char *array = as_array(body), *want_array = as_array(want);
      r = post(s.port, cases[i].query, "application/json", array);
      assert_answer(&r, 200, "application/json", want_array);
      response_free(&r);
      free(want_array);
      free(array);
    }
    free(body);
    free(want);
  }
  server_stop_ok(&s);
}
END_TEST

START_TEST(model_like_inspect) {
  server s;
  server_start(&s, "serve_model", "-m '" MODEL "'");
  char *want = test_viral_out("inspect --json '" MODEL "'");
  response r = get(s.port, "/model");
  assert_answer(&r, 200, "Content-Type: application/json", want);
  response_free(&r);
  r = http(s.port, "HEAD", "/model", NULL, NULL, 0);
  ck_assert_int_eq(r.status, 200);
  response_free(&r);
  free(want);
  server_stop_ok(&s);
}
END_TEST

/* Two requests on one connection (keep-alive), the second sent in pieces
 * with chunked transfer encoding. */
START_TEST(keep_alive_and_chunks) {
  server s;
  server_start(&s, "serve_keepalive", "-m '" MODEL "'");
  make_records(s.dir);
  char args[9000];
  snprintf(args, sizeof args, "score -m '%s' '%s/g.csv'", MODEL, s.dir);
  char *want = test_viral_out(args), *body = file_in(s.dir, "g.csv");
  int fd = connect_to(s.port);
  ck_assert_int_ge(fd, 0);
  char head[256];
  int n = snprintf(head, sizeof head, "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %zu\r\n\r\n",
                   strlen(body));
  send_all(fd, head, (size_t)n);
  send_all(fd, body, strlen(body));
  response r = read_response(fd);
  assert_answer(&r, 200, NULL, want);
  response_free(&r);
  const char *chunked = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n";
  send_all(fd, chunked, strlen(chunked));
  size_t len = strlen(body), half = len / 2;
  n = snprintf(head, sizeof head, "%zx\r\n", half);
  send_all(fd, head, (size_t)n);
  send_all(fd, body, half);
  n = snprintf(head, sizeof head, "\r\n%zx\r\n", len - half);
  send_all(fd, head, (size_t)n);
  send_all(fd, body + half, len - half);
  send_all(fd, "\r\n0\r\n\r\n", 7);
  r = read_response(fd);
  assert_answer(&r, 200, NULL, want);
  response_free(&r);
  close(fd);
  free(body);
  free(want);
  server_stop_ok(&s);
}
END_TEST

/* ---- reloading ---- */

START_TEST(reload_on_rename) {
  server s;
  char dir[4096], model[4200], other[4200], bad[4200], data[4200], args[9000];
  test_tmpdir(dir, sizeof dir, "serve_reload_files");
  snprintf(model, sizeof model, "%s/model.json", dir);
  snprintf(other, sizeof other, "%s/other.json", dir);
  snprintf(bad, sizeof bad, "%s/bad.json", dir);
  snprintf(data, sizeof data, "%s/sample.csv", VIRAL_SOURCE_DIR "/datasets");
  test_replace_file(MODEL, model);
  snprintf(args, sizeof args, "-m '%s' --reload-interval 0.05", model);
  server_start(&s, "serve_reload", args);
  make_records(s.dir);
  char *body = file_in(s.dir, "g.csv");
  snprintf(args, sizeof args, "score -m '%s' --explain 2 '%s/g.csv'", model, s.dir);
  char *first = test_viral_out(args);
  response r = post(s.port, "/score?explain=2", "text/csv", body);
  assert_answer(&r, 200, NULL, first);
  response_free(&r);

  /* another model, written elsewhere and renamed over the served one */
  snprintf(args, sizeof args, "train -q --l2 30 -o '%s' '%s'", other, data);
  free(test_viral_out(args));
  snprintf(args, sizeof args, "score -m '%s' --explain 2 '%s/g.csv'", other, s.dir);
  char *second = test_viral_out(args);
  ck_assert_str_ne(first, second);
  ck_assert_int_eq(rename(other, model), 0);
  wait_health(&s, "\"generation\":2");
  r = post(s.port, "/score?explain=2", "text/csv", body);
  assert_answer(&r, 200, NULL, second);
  response_free(&r);

  /* a corrupt file does not take over, and the log says why */
  char *text = test_read_file(model, NULL);
  char *digit = strstr(text, "\"rows\":");
  ck_assert_ptr_nonnull(digit);
  digit += strcspn(digit, "0123456789");
  *digit ^= 1; /* another digit: the checksum no longer matches */
  test_write_file(bad, text);
  free(text);
  ck_assert_int_eq(rename(bad, model), 0);
  wait_health(&s, "\"reload_failures\":1");
  r = post(s.port, "/score?explain=2", "text/csv", body);
  assert_answer(&r, 200, NULL, second);
  response_free(&r);
  wait_health(&s, "\"generation\":2");
  char *log = server_log(&s);
  ck_assert_msg(strstr(log, "model.json") && strstr(log, "still serving generation 2"), "log: %s", log);
  free(log);
  free(first);
  free(second);
  free(body);
  server_stop_ok(&s);
}
END_TEST

/* ---- malformed requests ---- */

static void assert_refused(const response *r, int status, const char *says) {
  ck_assert_msg(r->status == status, "status %d, expected %d: %s%s", r->status, status, r->head, r->body);
  ck_assert_msg(strstr(r->head, "Content-Type: application/json"), "not JSON: %s", r->head);
  ck_assert_msg(strncmp(r->body, "{\"error\":\"", 10) == 0, "not a JSON error: %s", r->body);
  ck_assert_msg(strstr(r->body, says), "the error does not say '%s': %s", says, r->body);
}

START_TEST(malformed_requests) {
  server s;
  server_start(&s, "serve_malformed", "-m '" MODEL "' --max-body 4000");
  make_records(s.dir);
  char *csv = file_in(s.dir, "g.csv"), *jsonl = file_in(s.dir, "g.jsonl");
  response r;
  /* bad JSON, bad CSV */
  r = post(s.port, "/score", "application/json", "{\"video_id\": \"v1\", ");
  assert_refused(&r, 400, "body:1: truncated JSON");
  response_free(&r);
  r = post(s.port, "/score", "application/x-ndjson", "{\"video_id\" \"v1\"}\n");
  assert_refused(&r, 400, "body:1: invalid JSON");
  response_free(&r);
  r = post(s.port, "/score", "text/csv", "video_id,views_1h\n\"v1,3\n");
  assert_refused(&r, 400, "body:");
  response_free(&r);
  r = post(s.port, "/score", "text/csv", "");
  assert_refused(&r, 400, "empty body");
  response_free(&r);
  /* too large: said by Content-Length, or found while reading chunks */
  r = post(s.port, "/score", "text/csv", csv);
  assert_refused(&r, 413, "--max-body");
  response_free(&r);
  int fd = connect_to(s.port);
  const char *chunked = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n";
  send_all(fd, chunked, strlen(chunked));
  char size[32];
  int n = snprintf(size, sizeof size, "%zx\r\n", strlen(csv));
  send_all(fd, size, (size_t)n);
  send_all(fd, csv, strlen(csv));
  send_all(fd, "\r\n0\r\n\r\n", 7);
  r = read_response(fd);
  close(fd);
  assert_refused(&r, 413, "--max-body");
  response_free(&r);
  /* wrong or no content type */
  r = post(s.port, "/score", "application/x-www-form-urlencoded", "video_id=v1");
  assert_refused(&r, 415, "text/csv");
  response_free(&r);
  r = post(s.port, "/score", NULL, "video_id\nv1\n");
  assert_refused(&r, 415, "missing");
  response_free(&r);
  r = post(s.port, "/score", "text/csv; charset=latin1", "video_id\nv1\n");
  assert_refused(&r, 415, "UTF-8");
  response_free(&r);
  /* fields the model reads missing, a row without video_id, a bad value */
  r = post(s.port, "/score", "text/csv", "video_id,views_1h\nv1,3\n");
  assert_refused(&r, 422, "the input lacks fields the spec reads: ");
  ck_assert_msg(strstr(r.body, "views_2h"), "the missing fields are not named: %s", r.body);
  response_free(&r);
  char *line2 = strchr(strchr(jsonl, '\n') + 1, '\n') + 1;
  char *no_id = strndup(jsonl, (size_t)(line2 - jsonl));
  char *id = strstr(strchr(no_id, '\n'), "\"video_id\"");
  memcpy(id, "\"video_ix\"", 10);
  r = post(s.port, "/score", "application/x-ndjson", no_id);
  assert_refused(&r, 422, "body:2: no video_id");
  response_free(&r);
  char *bad_value = strstr(no_id, "\"views_1h\":");
  ck_assert_ptr_nonnull(bad_value);
  memcpy(bad_value + strlen("\"views_1h\":"), "-", 1);
  memcpy(id, "\"video_id\"", 10);
  r = post(s.port, "/score", "application/x-ndjson", no_id);
  assert_refused(&r, 422, "body:1: field 'views_1h'");
  response_free(&r);
  free(no_id);
  /* parameters */
  r = post(s.port, "/score?explain=101", "text/csv", "video_id\nv1\n");
  assert_refused(&r, 400, "explain must be");
  response_free(&r);
  r = post(s.port, "/score?explian=3", "text/csv", "video_id\nv1\n");
  assert_refused(&r, 400, "unknown parameter 'explian'");
  response_free(&r);
  /* paths and methods */
  r = get(s.port, "/scores");
  assert_refused(&r, 404, "no such path '/scores'");
  response_free(&r);
  r = get(s.port, "/score");
  assert_refused(&r, 405, "method not allowed");
  ck_assert_msg(strstr(r.head, "Allow: POST"), "no Allow: %s", r.head);
  response_free(&r);
  r = post(s.port, "/healthz", "text/csv", "video_id\nv1\n");
  assert_refused(&r, 405, "method not allowed");
  response_free(&r);
  r = http(s.port, "DELETE", "/model", NULL, NULL, 0);
  assert_refused(&r, 405, "method not allowed");
  response_free(&r);
  /* not HTTP at all: the HTTP library's own 400 */
  fd = connect_to(s.port);
  send_all(fd, "hello there\r\n\r\n", 15);
  r = read_response(fd);
  close(fd);
  ck_assert_msg(r.status == 0 || r.status == 400, "status %d", r.status);
  response_free(&r);
  /* still serving */
  char small[4096];
  snprintf(small, sizeof small, "%.*s", (int)(strchr(jsonl, '\n') - jsonl + 1), jsonl);
  r = post(s.port, "/score", "application/x-ndjson", small);
  ck_assert_int_eq(r.status, 200);
  response_free(&r);
  free(csv);
  free(jsonl);
  server_stop_ok(&s);
}
END_TEST

/* A sender that stops in the middle of its body: 408 when the connection
 * has been silent for --idle-timeout. */
START_TEST(stalled_sender) {
  server s;
  server_start(&s, "serve_stalled", "-m '" MODEL "' --idle-timeout 1 --request-timeout 600");
  int fd = connect_to(s.port);
  const char *head = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 100\r\n\r\nvideo_id";
  send_all(fd, head, strlen(head));
  response r = read_response(fd);
  close(fd);
  assert_refused(&r, 408, "--idle-timeout");
  response_free(&r);
  wait_health(&s, "\"in_flight\":1"); /* the health request alone */
  server_stop_ok(&s);
}
END_TEST

/* Send head, then a byte every 50 ms until the server answers or ends the
 * connection (*ended set), or the deadline passes: its answer, if any. */
static response dribble(int port, const char *head, int *ended) {
  int fd = connect_to(port);
  ck_assert_int_ge(fd, 0);
  send_all(fd, head, strlen(head));
  response r = {0};
  *ended = 0;
  for (double deadline = now() + DEADLINE; now() < deadline;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0 || send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
      r = read_response(fd);
      *ended = 1;
      break;
    }
  }
  close(fd);
  return r;
}

/* A sender that keeps sending a byte now and then: 408 once the request
 * has taken longer than --request-timeout. */
START_TEST(dribbling_sender) {
  server s;
  server_start(&s, "serve_dribble", "-m '" MODEL "' --idle-timeout 600 --request-timeout 0.5");
  int ended = 0;
  response r = dribble(s.port, "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n",
                       &ended);
  assert_refused(&r, 408, "--request-timeout");
  response_free(&r);
  wait_health(&s, "\"in_flight\":1");
  server_stop_ok(&s);
}
END_TEST

/* A sender that trickles its headers a byte at a time, never silent for
 * long (libmicrohttpd's timeout sees no idleness): closed with a 408 once
 * they have taken longer than --request-timeout. Before the header
 * deadline it held the connection for as long as it kept sending. */
START_TEST(dribbling_headers) {
  server s;
  server_start(&s, "serve_dribble_headers", "-m '" MODEL "' --idle-timeout 600 --request-timeout 0.5");
  int ended = 0;
  response r = dribble(s.port, "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nX-Slow: ", &ended);
  ck_assert_msg(ended, "the connection was still open after %g s of trickled headers", DEADLINE);
  /* the 408 may be lost to a reset when bytes of ours were still unread */
  if (r.status) assert_refused(&r, 408, "headers took longer than --request-timeout");
  response_free(&r);
  wait_health(&s, "\"in_flight\":1");
  server_stop_ok(&s);
}
END_TEST

/* ---- stopping ---- */

START_TEST(sigterm_answers_request_in_flight) {
  server s;
  /* the request's clock (and the drain's) runs while the test takes its
     steps: generous, for a loaded machine */
  server_start(&s, "serve_stop", "-m '" MODEL "' --request-timeout 120");
  make_records(s.dir);
  char args[9000];
  snprintf(args, sizeof args, "score -m '%s' '%s/g.csv'", MODEL, s.dir);
  char *want = test_viral_out(args), *body = file_in(s.dir, "g.csv");
  int fd = connect_to(s.port);
  char head[256];
  size_t len = strlen(body);
  int n = snprintf(head, sizeof head, "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %zu\r\n\r\n",
                   len);
  send_all(fd, head, (size_t)n);
  send_all(fd, body, len / 2);
  wait_health(&s, "\"in_flight\":2"); /* this request, and the health request */
  kill(s.pid, SIGTERM);
  ck_assert_msg(wait_log(&s, "viral serve: stopping: "), "no stopping line");
  /* ours is in flight; the health request may still be too, its answer
     read by us but its end not yet seen by the server */
  char *said = server_log(&s);
  long in_flight = atol(strstr(said, "stopping: ") + strlen("stopping: "));
  ck_assert_msg(in_flight == 1 || in_flight == 2, "log: %s", said);
  free(said);
  /* new connections are turned away; the one in flight is answered */
  int other = connect_to(s.port);
  ck_assert_int_lt(other, 0);
  send_all(fd, body + len / 2, len - len / 2);
  response r = read_response(fd);
  close(fd);
  assert_answer(&r, 200, "Connection: close", want);
  response_free(&r);
  int status = server_wait(&s);
  char *log = server_log(&s);
  ck_assert_msg(status == 0 && strstr(log, "refused, 0 failed)"), "exit %d: %s", status, log);
  free(log);
  free(body);
  free(want);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("serve");
  TCase *tc = tcase_create("answers");
  tcase_add_test(tc, csv_like_score);
  tcase_add_test(tc, json_like_score);
  tcase_add_test(tc, examples_like_score);
  tcase_add_test(tc, model_like_inspect);
  tcase_add_test(tc, keep_alive_and_chunks);
  suite_add_tcase(s, tc);
  tc = tcase_create("reload");
  tcase_add_test(tc, reload_on_rename);
  suite_add_tcase(s, tc);
  tc = tcase_create("malformed");
  tcase_add_test(tc, malformed_requests);
  tcase_add_test(tc, stalled_sender);
  tcase_add_test(tc, dribbling_sender);
  tcase_add_test(tc, dribbling_headers);
  suite_add_tcase(s, tc);
  tc = tcase_create("stop");
  tcase_add_test(tc, sigterm_answers_request_in_flight);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
