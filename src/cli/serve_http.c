/* serve_http.c - `viral serve`'s HTTP side on libmicrohttpd (serve_http.h).
 *
 * libmicrohttpd runs a fixed pool of worker threads, each polling its own
 * connections; a request is handed to on_request() in the worker that owns
 * its connection: once when its headers are in, once per piece of body,
 * and once at its end. A request's state is a serve_request, made when its
 * request line arrives (on_request_line) and freed when it is done
 * (on_completed), which is also how requests in flight are counted.
 *
 * Answers: a refusal found with the headers goes at once when a body
 * follows (the body is not read; the connection then closes), else at the
 * end of the request (the connection stays open). A request that is too
 * slow gets its 408 written on the socket directly, since the library only
 * queues answers before or after a body: at the body piece that arrives
 * after --request-timeout, or when the connection has been silent for
 * --idle-timeout (the library then closes it). */
#include "serve_http.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "viral/writer.h"

/* A connection whose request's headers are awaited: the main thread closes
 * it (after a 408) when they are not in by the deadline, since
 * libmicrohttpd's own timeout only sees silence, not a sender that trickles
 * its headers a byte at a time (serve_http_expire). Listed from its start
 * to its close (the library's connection notices), under h->watch_lock. */
typedef struct watched {
  struct watched *prev, *next;
  MHD_socket fd;
  double deadline; /* monotonic seconds; 0: not waiting for headers */
} watched;

struct serve_http {
  struct MHD_Daemon *daemon;
  viral_scorer *scorer;
  serve_config c;
  unsigned port;
  pthread_mutex_t watch_lock;
  watched *watching;
  atomic_uint in_flight;
  atomic_int draining;
  atomic_uint_fast64_t reload_failures;
  atomic_uint_fast64_t requests, ok, refused, failed;
};

enum route { ROUTE_NONE, ROUTE_SCORE, ROUTE_HEALTHZ, ROUTE_MODEL };

static const struct {
  const char *path;
  enum route route;
  const char *methods; /* the Allow header of a 405 */
} routes[] = {
    {"/score", ROUTE_SCORE, "POST"},
    {"/healthz", ROUTE_HEALTHZ, "GET, HEAD"},
    {"/model", ROUTE_MODEL, "GET, HEAD"},
};
#define ROUTE_LIST "POST /score, GET /healthz, GET /model"

typedef struct serve_request {
  double started;       /* when its request line arrived (monotonic seconds) */
  watched *conn;        /* its connection's entry, or NULL */
  int headers_seen;     /* on_request has been called */
  int answered;         /* an answer is queued or written */
  enum route route;
  unsigned status;      /* a refusal to send at the end of the request, or 0 */
  const char *allow;    /* its Allow header (405) */
  char message[VIRAL_ERROR_MAX];
  viral_format format;
  size_t explain;
  int too_large;        /* the body went past --max-body: read and dropped */
  char *body;
  size_t len, cap;
} serve_request;

double serve_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- header deadlines ---- */

static void set_deadline(serve_http *h, watched *w, double deadline, int only_if_unset) {
  if (!w) return;
  pthread_mutex_lock(&h->watch_lock);
  if (!only_if_unset || w->deadline == 0) w->deadline = deadline;
  pthread_mutex_unlock(&h->watch_lock);
}

/* Connections come and go: listed while open, their headers due within
 * --request-timeout of their start. The library sends CLOSED before it
 * closes the socket, so a listed fd is always this connection's. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  serve_http *h = cls;
  watched *w = *socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info || !(w = calloc(1, sizeof *w))) return; /* unwatched: the idle timeout still holds */
    w->fd = info->connect_fd;
    w->deadline = serve_now() + h->c.request_timeout;
    pthread_mutex_lock(&h->watch_lock);
    w->next = h->watching;
    if (w->next) w->next->prev = w;
    h->watching = w;
    pthread_mutex_unlock(&h->watch_lock);
    *socket_context = w;
    return;
  }
  if (!w) return;
  pthread_mutex_lock(&h->watch_lock);
  if (w->prev) w->prev->next = w->next;
  else h->watching = w->next;
  if (w->next) w->next->prev = w->prev;
  pthread_mutex_unlock(&h->watch_lock);
  free(w);
  *socket_context = NULL;
}

/* ---- answers ---- */

static void count_answer(serve_http *h, unsigned status) {
  atomic_fetch_add(&h->requests, 1);
  if (status < 300) atomic_fetch_add(&h->ok, 1);
  else if (status < 500) atomic_fetch_add(&h->refused, 1);
  else atomic_fetch_add(&h->failed, 1);
}

/* {"error":"MESSAGE"} and a newline, in *len bytes (caller frees; NULL when
 * out of memory). */
static char *error_json(const char *message, size_t *len) {
  char *text = NULL;
  FILE *out = open_memstream(&text, len);
  if (!out) return NULL;
  fputs("{\"error\":", out);
  viral_json_write_string(out, message, strlen(message));
  fputs("}\n", out);
  if (fclose(out) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* Queue status with the len bytes at body (taken over: freed by the
 * library) of the given type, and the header name: value when name is not
 * NULL. */
static enum MHD_Result answer(serve_http *h, struct MHD_Connection *conn, serve_request *rq, unsigned status,
                              const char *type, char *body, size_t len, const char *name, const char *value) {
  static const char no_memory[] = "{\"error\":\"out of memory\"}\n";
  struct MHD_Response *resp = body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE) : NULL;
  if (!resp) {
    free(body);
    status = MHD_HTTP_SERVICE_UNAVAILABLE;
    type = "application/json";
    name = NULL;
    resp = MHD_create_response_from_buffer(sizeof no_memory - 1, (void *)no_memory, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (name) MHD_add_response_header(resp, name, value);
  if (atomic_load(&h->draining)) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ret = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  rq->answered = 1;
  count_answer(h, status);
  return ret;
}

static enum MHD_Result answer_error(serve_http *h, struct MHD_Connection *conn, serve_request *rq,
                                    unsigned status, const char *message, const char *allow) {
  size_t len = 0;
  char *body = error_json(message, &len);
  return answer(h, conn, rq, status, "application/json", body, len, allow ? MHD_HTTP_HEADER_ALLOW : NULL, allow);
}

/* A 408 with message written on the socket fd directly (see the top of
 * this file). */
static void send_timeout(MHD_socket fd, const char *message) {
  size_t len = 0;
  char *body = error_json(message, &len);
  char head[160];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                   len);
  if (body && n > 0 && (size_t)n < sizeof head) {
    /* the socket is non-blocking and empty of our bytes: both fit at once */
    send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    send(fd, body, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  free(body);
}

/* A 408 on the connection of rq, from the worker that owns it. */
static void write_timeout(serve_http *h, struct MHD_Connection *conn, serve_request *rq, const char *message) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info) send_timeout(info->connect_fd, message);
  rq->answered = 1;
  count_answer(h, MHD_HTTP_REQUEST_TIMEOUT);
}

/* A refusal found with the headers: at once when a body follows, else at
 * the end of the request. */
static enum MHD_Result refuse(serve_http *h, struct MHD_Connection *conn, serve_request *rq, unsigned status,
                              const char *allow, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
static enum MHD_Result refuse(serve_http *h, struct MHD_Connection *conn, serve_request *rq, unsigned status,
                              const char *allow, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rq->message, sizeof rq->message, fmt, ap);
  va_end(ap);
  const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  int has_body = (length && strcmp(length, "0") != 0) ||
                 MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  if (has_body) return answer_error(h, conn, rq, status, rq->message, allow);
  rq->status = status;
  rq->allow = allow;
  return MHD_YES;
}

/* ---- what a POST /score asks ---- */

typedef struct query_check {
  serve_request *rq;
  char problem[200];
} query_check;

/* Each query parameter: explain=K is the one there is. */
static enum MHD_Result check_parameter(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  query_check *q = ctx;
  if (strcmp(key, "explain") != 0) {
    snprintf(q->problem, sizeof q->problem, "unknown parameter '%.60s' (there is: explain)", key);
    return MHD_NO;
  }
  char *end = NULL;
  long k = value ? strtol(value, &end, 10) : -1;
  if (!value || !*value || *end || k < 0 || k > VIRAL_SCORE_MAX_EXPLAIN) {
    snprintf(q->problem, sizeof q->problem, "explain must be a whole number from 0 to %d, not '%.40s'",
             VIRAL_SCORE_MAX_EXPLAIN, value ? value : "");
    return MHD_NO;
  }
  q->rq->explain = (size_t)k;
  return MHD_YES;
}

/* The input format a Content-Type names (its parameters may only say the
 * text is UTF-8): VIRAL_OK, or VIRAL_ERR_INVALID. */
static int content_format(const char *type, viral_format *out) {
  static const struct {
    const char *name;
    viral_format format;
  } types[] = {
      {"text/csv", VIRAL_FORMAT_CSV},           {"application/json", VIRAL_FORMAT_JSON},
      {"application/x-ndjson", VIRAL_FORMAT_JSONL}, {"application/jsonl", VIRAL_FORMAT_JSONL},
      {"application/x-jsonlines", VIRAL_FORMAT_JSONL},
  };
  if (!type) return VIRAL_ERR_INVALID;
  size_t n = strcspn(type, "; \t");
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strlen(types[i].name) != n || strncasecmp(type, types[i].name, n) != 0) continue;
    const char *charset = strstr(type + n, "charset=");
    if (charset) {
      charset += strlen("charset=");
      if (*charset == '"') charset++;
      if (strncasecmp(charset, "utf-8", 5) != 0 && strncasecmp(charset, "utf8", 4) != 0) return VIRAL_ERR_INVALID;
    }
    *out = types[i].format;
    return VIRAL_OK;
  }
  return VIRAL_ERR_INVALID;
}

/* The checks of a POST /score with its headers: parameters, type, size. */
static enum MHD_Result begin_score(serve_http *h, struct MHD_Connection *conn, serve_request *rq) {
  query_check q = {rq, ""};
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_parameter, &q);
  if (q.problem[0]) return refuse(h, conn, rq, MHD_HTTP_BAD_REQUEST, NULL, "%s", q.problem);
  const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  if (content_format(type, &rq->format) != VIRAL_OK)
    return refuse(h, conn, rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                  "Content-Type %.80s%s%s: records go as text/csv, application/json (one object or an array) "
                  "or application/x-ndjson (JSON Lines), in UTF-8",
                  type ? "'" : "", type ? type : "missing", type ? "'" : "");
  const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (length && strtoull(length, NULL, 10) > h->c.max_body)
    return refuse(h, conn, rq, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "body of %.30s bytes, more than the %zu of --max-body",
                  length, h->c.max_body);
  return MHD_YES;
}

/* ---- the request's life ---- */

static enum MHD_Result begin(serve_http *h, struct MHD_Connection *conn, serve_request *rq, const char *url,
                             const char *method) {
  rq->headers_seen = 1;
  set_deadline(h, rq->conn, 0, 0);
  if (serve_now() - rq->started > h->c.request_timeout)
    return answer_error(h, conn, rq, MHD_HTTP_REQUEST_TIMEOUT, "the request's headers took longer than --request-timeout", NULL);
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (strcmp(url, routes[i].path) != 0) continue;
    rq->route = routes[i].route;
    int allowed = rq->route == ROUTE_SCORE ? strcmp(method, "POST") == 0
                                           : strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!allowed)
      return refuse(h, conn, rq, MHD_HTTP_METHOD_NOT_ALLOWED, routes[i].methods, "%.20s %.100s: method not allowed (%s)",
                    method, url, routes[i].methods);
    return rq->route == ROUTE_SCORE ? begin_score(h, conn, rq) : MHD_YES;
  }
  return refuse(h, conn, rq, MHD_HTTP_NOT_FOUND, NULL, "no such path '%.100s' (there are: " ROUTE_LIST ")", url);
}

/* A piece of body: kept, up to --max-body. */
static enum MHD_Result take_body(serve_http *h, struct MHD_Connection *conn, serve_request *rq, const char *data,
                                 size_t *size) {
  size_t n = *size;
  *size = 0;
  if (serve_now() - rq->started > h->c.request_timeout) {
    write_timeout(h, conn, rq, "the request took longer than --request-timeout");
    return MHD_NO; /* close: the rest of the body is not waited for */
  }
  if (rq->status || rq->too_large) return MHD_YES;
  if (n > h->c.max_body - rq->len) {
    rq->too_large = 1;
    free(rq->body);
    rq->body = NULL;
    return MHD_YES;
  }
  if (rq->len + n > rq->cap) {
    size_t cap = rq->cap ? rq->cap : 4096;
    while (cap < rq->len + n) cap *= 2;
    char *grown = realloc(rq->body, cap);
    if (!grown) {
      rq->status = MHD_HTTP_SERVICE_UNAVAILABLE;
      snprintf(rq->message, sizeof rq->message, "out of memory");
      return MHD_YES;
    }
    rq->body = grown;
    rq->cap = cap;
  }
  memcpy(rq->body + rq->len, data, n);
  rq->len += n;
  return MHD_YES;
}

/* Score the body: the scores in the request's format, or why not. */
static enum MHD_Result score(serve_http *h, struct MHD_Connection *conn, serve_request *rq) {
  if (rq->len == 0) return answer_error(h, conn, rq, MHD_HTTP_BAD_REQUEST, "empty body: no records to score", NULL);
  viral_score_request req = {"body", rq->body, rq->len, rq->format, rq->explain};
  viral_score_result res;
  viral_error err;
  viral_error_clear(&err);
  if (viral_scorer_score(h->scorer, &req, &res, &err) != VIRAL_OK) {
    unsigned status = err.code == VIRAL_ERR_NOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                      : res.unreadable            ? MHD_HTTP_BAD_REQUEST
                                                  : MHD_HTTP_UNPROCESSABLE_CONTENT;
    return answer_error(h, conn, rq, status, err.message, NULL);
  }
  const char *type = res.format == VIRAL_FORMAT_CSV     ? "text/csv; charset=utf-8"
                     : res.format == VIRAL_FORMAT_JSONL ? "application/x-ndjson"
                                                        : "application/json";
  return answer(h, conn, rq, MHD_HTTP_OK, type, res.text, res.len, res.warning[0] ? "X-Viral-Warning" : NULL,
                res.warning);
}

static enum MHD_Result healthz(serve_http *h, struct MHD_Connection *conn, serve_request *rq) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  int draining = atomic_load(&h->draining);
  if (out) {
    fprintf(out, "{\"status\":\"%s\",\"generation\":%llu,\"reload_failures\":%llu,\"in_flight\":%u}\n",
            draining ? "stopping" : "ok", (unsigned long long)viral_scorer_generation(h->scorer),
            (unsigned long long)atomic_load(&h->reload_failures), atomic_load(&h->in_flight));
    if (fclose(out) != 0) {
      free(text);
      text = NULL;
    }
  }
  return answer(h, conn, rq, draining ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, "application/json", text, len,
                NULL, NULL);
}

/* What `viral inspect --json MODEL` prints, newline included. */
static enum MHD_Result model(serve_http *h, struct MHD_Connection *conn, serve_request *rq) {
  char *json = viral_scorer_model_json(h->scorer, NULL);
  size_t len = json ? strlen(json) : 0;
  char *text = json ? realloc(json, len + 2) : NULL;
  if (!text) free(json);
  else memcpy(text + len, "\n", 2);
  return answer(h, conn, rq, MHD_HTTP_OK, "application/json", text, len + 1, NULL, NULL);
}

static enum MHD_Result finish(serve_http *h, struct MHD_Connection *conn, serve_request *rq) {
  if (rq->status) return answer_error(h, conn, rq, rq->status, rq->message, rq->allow);
  if (rq->too_large) {
    char message[120];
    snprintf(message, sizeof message, "body longer than the %zu bytes of --max-body", h->c.max_body);
    return answer_error(h, conn, rq, MHD_HTTP_CONTENT_TOO_LARGE, message, NULL);
  }
  switch (rq->route) {
  case ROUTE_SCORE: return score(h, conn, rq);
  case ROUTE_HEALTHZ: return healthz(h, conn, rq);
  case ROUTE_MODEL: return model(h, conn, rq);
  case ROUTE_NONE: break;
  }
  return MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **ctx) {
  (void)version;
  serve_http *h = cls;
  serve_request *rq = *ctx;
  if (!rq) return MHD_NO; /* no memory for it when its request line came */
  if (rq->answered) {     /* an early answer: the body is dropped */
    *size = 0;
    return MHD_YES;
  }
  if (!rq->headers_seen) return begin(h, conn, rq, url, method);
  if (*size) return take_body(h, conn, rq, data, size);
  return finish(h, conn, rq);
}

static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn) {
  (void)uri;
  serve_http *h = cls;
  serve_request *rq = calloc(1, sizeof *rq);
  if (!rq) return NULL;
  rq->started = serve_now();
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  rq->conn = info ? info->socket_context : NULL;
  /* the first request's clock runs from the connection's start; a later
     one's (keep-alive) from its request line */
  set_deadline(h, rq->conn, rq->started + h->c.request_timeout, 1);
  atomic_fetch_add(&h->in_flight, 1);
  return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_RequestTerminationCode why) {
  serve_http *h = cls;
  serve_request *rq = *ctx;
  if (!rq) return;
  if (why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && !rq->answered)
    write_timeout(h, conn, rq, "no bytes of the request for --idle-timeout");
  free(rq->body);
  free(rq);
  *ctx = NULL;
  atomic_fetch_sub(&h->in_flight, 1);
}

static void on_library_message(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char text[VIRAL_ERROR_MAX];
  vsnprintf(text, sizeof text, fmt, ap);
  /* our own way of closing a connection after a 408 written by hand */
  if (strncmp(text, "Application reported internal error", 35) == 0) return;
  fprintf(stderr, "viral serve: microhttpd: %s%s", text, text[0] && text[strlen(text) - 1] == '\n' ? "" : "\n");
}

/* ---- the server ---- */

serve_http *serve_http_start(viral_scorer *s, const serve_config *c) {
  serve_http *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->scorer = s;
  h->c = *c;
  pthread_mutex_init(&h->watch_lock, NULL);
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (c->addr->sa_family == AF_INET6) flags |= MHD_USE_IPv6;
  /* one worker is the polling thread alone, without a pool */
  struct MHD_OptionItem pool[] = {{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)c->threads, NULL},
                                  {MHD_OPTION_END, 0, NULL}};
  h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
                               MHD_OPTION_EXTERNAL_LOGGER, on_library_message, h, /* first: for every message */
                               MHD_OPTION_SOCK_ADDR, c->addr,
                               MHD_OPTION_ARRAY, c->threads > 1 ? pool : pool + 1,
                               MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
                               MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout,
                               MHD_OPTION_URI_LOG_CALLBACK, on_request_line, h,
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                               MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                               MHD_OPTION_END);
  const union MHD_DaemonInfo *info = h->daemon ? MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
  if (!info) {
    if (h->daemon) MHD_stop_daemon(h->daemon);
    pthread_mutex_destroy(&h->watch_lock);
    free(h);
    return NULL;
  }
  h->port = info->port;
  return h;
}

unsigned serve_http_port(const serve_http *h) { return h->port; }

void serve_http_count_reload_failure(serve_http *h) { atomic_fetch_add(&h->reload_failures, 1); }

void serve_http_drain(serve_http *h) {
  atomic_store(&h->draining, 1);
  MHD_socket listener = MHD_quiesce_daemon(h->daemon);
  if (listener != MHD_INVALID_SOCKET) close(listener);
}

unsigned serve_http_in_flight(const serve_http *h) { return atomic_load(&h->in_flight); }

void serve_http_expire(serve_http *h) {
  double now = serve_now();
  pthread_mutex_lock(&h->watch_lock);
  for (watched *w = h->watching; w; w = w->next) {
    if (w->deadline == 0 || now < w->deadline) continue;
    w->deadline = 0;
    /* the worker that owns the connection only reads from it now: the
       answer goes first, then the library sees the end and closes it */
    send_timeout(w->fd, "the request's headers took longer than --request-timeout");
    shutdown(w->fd, SHUT_RDWR);
    count_answer(h, MHD_HTTP_REQUEST_TIMEOUT);
  }
  pthread_mutex_unlock(&h->watch_lock);
}

void serve_http_stop(serve_http *h, serve_counts *counts) {
  if (!h) return;
  MHD_stop_daemon(h->daemon);
  pthread_mutex_destroy(&h->watch_lock);
  if (counts) {
    counts->requests = atomic_load(&h->requests);
    counts->ok = atomic_load(&h->ok);
    counts->refused = atomic_load(&h->refused);
    counts->failed = atomic_load(&h->failed);
  }
  free(h);
}
