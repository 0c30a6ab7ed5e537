/* serve_http.h - the HTTP side of `viral serve`, on libmicrohttpd: the
 * routes (POST /score, GET /healthz, GET /model), the limits and timeouts,
 * JSON errors, and a drain before stopping. Scoring itself is the
 * library's (viral/score.h). */
#ifndef VIRAL_SERVE_HTTP_H
#define VIRAL_SERVE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "viral/score.h"

typedef struct serve_config {
  const struct sockaddr *addr; /* where to listen (IPv4 or IPv6; port 0: any free one) */
  unsigned threads;            /* workers answering requests */
  unsigned max_connections;
  size_t max_body;             /* bytes of a request body at most (413 beyond) */
  unsigned idle_timeout;       /* s: a connection silent this long is closed (a request
                                  under way on it is answered 408 first) */
  double request_timeout;      /* s: a request (headers and body) arriving slower than
                                  this in all is answered 408 */
} serve_config;

/* What the server answered, for the summary at the end. */
typedef struct serve_counts {
  uint64_t requests;  /* answered, by us (not the HTTP library's own refusals) */
  uint64_t ok;        /* 2xx */
  uint64_t refused;   /* 4xx */
  uint64_t failed;    /* 5xx */
} serve_counts;

typedef struct serve_http serve_http;

/* Monotonic seconds, for the deadlines. */
double serve_now(void);

/* Listen and answer with scorer s (borrowed; it must outlive the server).
 * NULL when it cannot listen (the HTTP library has said why on stderr). */
serve_http *serve_http_start(viral_scorer *s, const serve_config *c);
/* The port it listens on (the one given, or the one chosen for port 0). */
unsigned serve_http_port(const serve_http *h);
/* One more model file that failed to load (GET /healthz says how many). */
void serve_http_count_reload_failure(serve_http *h);
/* Stop taking connections; what is under way goes on, and each answer from
 * now on closes its connection. */
void serve_http_drain(serve_http *h);
/* Requests under way: their request line came, their answer has not gone. */
unsigned serve_http_in_flight(const serve_http *h);
/* Answer 408 to, and close, each connection whose request's headers are
 * not in within --request-timeout (of its start, or of the request line of
 * a later request on it). Called now and then by the main thread. */
void serve_http_expire(serve_http *h);
/* Close every connection, stop the workers and free; *counts (may be NULL)
 * gets what was answered. */
void serve_http_stop(serve_http *h, serve_counts *counts);

#endif
