/* loadgen.c - a small HTTP/1.1 load generator for tools/bench/serve.sh:
 * C connections (one thread each, kept alive) send N requests in all,
 * POST PATH with the bytes of FILE as the body, and it prints one line:
 *
 *   requests=N errors=E seconds=S rps=R p50_ms=A p99_ms=B
 *
 *   loadgen HOST PORT PATH CONTENT-TYPE FILE CONNECTIONS REQUESTS
 *
 * Latency is from the first byte of a request sent to the last byte of its
 * answer read. An answer that is not 200, or a connection that fails, is an
 * error (the connection is opened again). Not installed; built by the
 * script that runs it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct worker {
  pthread_t thread;
  const struct sockaddr_in *addr;
  const char *request; /* head and body, len bytes */
  size_t len;
  size_t count;        /* requests this connection sends */
  double *latency;     /* [count] seconds */
  size_t errors;
} worker;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_connection(const struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int send_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read one answer whole: its status, or -1 when the connection failed. */
static int read_answer(int fd, char **buf, size_t *cap) {
  size_t len = 0, head = 0;
  long need = -1;
  int status = -1;
  for (;;) {
    if (len + 1 >= *cap) {
      char *grown = realloc(*buf, *cap * 2);
      if (!grown) return -1;
      *buf = grown;
      *cap *= 2;
    }
    ssize_t n = recv(fd, *buf + len, *cap - len - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    len += (size_t)n;
    (*buf)[len] = '\0';
    if (!head) {
      char *end = strstr(*buf, "\r\n\r\n");
      if (!end) continue;
      head = (size_t)(end - *buf) + 4;
      status = atoi(*buf + 9);
      char *cl = strcasestr(*buf, "\r\nContent-Length:");
      if (!cl || cl > end) return -1; /* MHD always says the length of ours */
      need = (long)head + atol(cl + 17);
    }
    if ((long)len >= need) return status;
  }
}

static void *run(void *arg) {
  worker *w = arg;
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  int fd = -1;
  for (size_t i = 0; buf && i < w->count; i++) {
    if (fd < 0 && (fd = open_connection(w->addr)) < 0) {
      w->errors++;
      w->latency[i] = -1;
      continue;
    }
    double t0 = now();
    int status = send_all(fd, w->request, w->len) == 0 ? read_answer(fd, &buf, &cap) : -1;
    w->latency[i] = now() - t0;
    if (status != 200) {
      w->errors++;
      w->latency[i] = -1;
      close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) close(fd);
  free(buf);
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The file's bytes, NUL-terminated, *len of them. */
static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *text = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len + 65536 + 1 > cap) {
      char *grown = realloc(text, cap = cap * 2 + 65536 + 1);
      if (!grown) break;
      text = grown;
    }
    size_t n = fread(text + *len, 1, cap - *len - 1, f);
    *len += n;
    if (n == 0) break;
  }
  fclose(f);
  if (text) text[*len] = '\0';
  return text;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: loadgen HOST PORT PATH CONTENT-TYPE FILE CONNECTIONS REQUESTS\n");
    return 2;
  }
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "loadgen: %s: not an IPv4 address\n", argv[1]);
    return 2;
  }
  size_t body_len;
  char *body = read_all(argv[5], &body_len);
  long connections = atol(argv[6]), requests = atol(argv[7]);
  if (!body || connections < 1 || requests < connections) {
    fprintf(stderr, "loadgen: bad FILE, CONNECTIONS or REQUESTS\n");
    return 2;
  }
  size_t cap = body_len + 512;
  char *request = malloc(cap);
  double *latency = calloc((size_t)requests, sizeof *latency);
  worker *w = calloc((size_t)connections, sizeof *w);
  if (!request || !latency || !w) return 1;
  int head = snprintf(request, cap, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                      argv[3], argv[1], argv[4], body_len);
  memcpy(request + head, body, body_len);
  size_t given = 0;
  double t0 = now();
  for (long i = 0; i < connections; i++) {
    w[i].addr = &addr;
    w[i].request = request;
    w[i].len = (size_t)head + body_len;
    w[i].count = (size_t)(requests / connections + (i < requests % connections));
    w[i].latency = latency + given;
    given += w[i].count;
    pthread_create(&w[i].thread, NULL, run, &w[i]);
  }
  size_t errors = 0;
  for (long i = 0; i < connections; i++) {
    pthread_join(w[i].thread, NULL);
    errors += w[i].errors;
  }
  double seconds = now() - t0;
  size_t ok = 0;
  for (long i = 0; i < requests; i++)
    if (latency[i] >= 0) latency[ok++] = latency[i];
  qsort(latency, ok, sizeof *latency, by_value);
  double p50 = ok ? latency[ok / 2] : 0, p99 = ok ? latency[(size_t)((double)(ok - 1) * 0.99)] : 0;
  printf("requests=%ld errors=%zu seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f\n", requests, errors, seconds,
         (double)ok / seconds, p50 * 1e3, p99 * 1e3);
  free(w);
  free(latency);
  free(request);
  free(body);
  return errors ? 1 : 0;
}
