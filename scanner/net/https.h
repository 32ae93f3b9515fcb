/*
 * The policy fetch: libcurl multi on the libuv loop (curl's multi-uv.c
 * shape), HTTPS only, HTTP/1.1, no redirects followed (RFC 8461 section
 * 3.3), addresses pinned with CURLOPT_RESOLVE (curl never resolves names),
 * the body capped in the write callback, certificate details and every
 * verify problem recorded even when verification fails (VERIFYPEER off,
 * our own store and verify callback on). Owns <curl/curl.h>.
 * Tests: the lab.
 *
 * Contract: when ms_https_fetch returns MS_OK, cb runs exactly once, later,
 * from the loop, unless ms_https_cancel is called first (then never).
 */
#ifndef MS_NET_HTTPS_H
#define MS_NET_HTTPS_H

#include <stddef.h>
#include <uv.h>

#include "core/addr.h"
#include "core/obs.h"
#include "net/tls.h"
#include "util/err.h"

struct ms_https;
struct ms_https_req;

struct ms_https_config {
  struct ms_tls_store *store; /* borrowed; outlives the ms_https */
  int timeout_ms;             /* whole transfer; default 10000 */
  int connect_timeout_ms;     /* default = timeout_ms */
  size_t max_body;            /* default MS_POLICY_MAX_BYTES (65536) */
  int port;                   /* default 443 (labs may override) */
};

ms_err_t ms_https_new(uv_loop_t *loop, const struct ms_https_config *cfg,
                      struct ms_https **out);
/* Cancels outstanding requests (no callbacks) and frees once the uv
 * handles are closed. NULL-safe. */
void ms_https_free(struct ms_https *h);

typedef void (*ms_https_done_cb)(void *arg);

/* GETs https://<host>/.well-known/mta-sts.txt connecting only to the n
 * addresses given (already filtered by the SSRF guard). Fills res (url,
 * outcome, lib_code, error, connected_to, http_status, content_type,
 * location, body, body_len, body_truncated, tls_*, cert); res->host and
 * res->addrs are the caller's. res must stay valid until cb runs or the
 * request is canceled. *req_out (may be NULL) receives a handle for
 * ms_https_cancel, valid until cb runs. */
ms_err_t ms_https_fetch(struct ms_https *h, const char *host,
                        const struct ms_addr *addrs, size_t n,
                        struct ms_obs_fetch *res, ms_https_done_cb cb,
                        void *arg, struct ms_https_req **req_out);
/* Abandons a request: res keeps what was filled so far, cb never runs. */
void ms_https_cancel(struct ms_https_req *req);

#endif
