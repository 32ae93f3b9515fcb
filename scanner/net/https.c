/*
 * The policy fetch (RFC 8461 section 3.3): one libcurl multi handle driven
 * by the libuv loop in the shape of curl's docs/examples/multi-uv.c (socket
 * callback -> one uv_poll_t per socket, timer callback -> one uv_timer_t,
 * curl_multi_info_read after every socket action). Certificates are
 * checked by net/tls.c's collecting verify callback, so a bad chain is an
 * observation with all its details rather than a failed transfer.
 *
 * Lifetimes. A request lives from ms_https_fetch until its callback runs
 * (or it is canceled); it is unlinked and freed *before* the user callback
 * runs, so the callback may start new fetches, cancel others or free the
 * whole fetcher. Poll contexts live from curl's first interest in a socket
 * to the uv close callback after CURL_POLL_REMOVE. The struct ms_https
 * itself is freed when the last uv handle (timer + polls) has closed and no
 * dispatch loop is running on it.
 *
 * Weak points, said openly:
 * - curl's own pending queue is not used for admission control: the caller
 *   (the scheduler) must cap how many fetches it starts (pitfalls.md).
 * - The "missing intermediate" / "unknown CA" distinction is a heuristic
 *   (see tls.c); no AIA fetching is done, as senders do not do it either.
 * - If uv_poll_init_socket fails (fd exhaustion), the transfer is left to
 *   its timeout rather than failed at once.
 */
#include "net/https.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "util/slice.h"
#include "util/xalloc.h"

#define MAXCONNECTS 8   /* RFC-free choice: every policy host differs */
#define HOST_MAX    253 /* longest DNS name in text form */

/* One socket curl asked us to watch. Freed in its uv close callback. */
struct pollctx {
  uv_poll_t poll;
  curl_socket_t fd;
  struct ms_https *h;
  struct pollctx *prev, *next;
};

/* One policy fetch. Everything curl's callbacks fill lives here until
 * fill_result moves it into the caller's struct ms_obs_fetch. */
struct ms_https_req {
  struct ms_https *h;
  CURL *easy;
  struct ms_obs_fetch *res;
  ms_https_done_cb cb;
  void *arg;
  char *host;
  struct curl_slist *resolve;
  struct ms_addr *allowed; /* the only addresses the socket guard admits */
  size_t n_allowed;
  bool guard_refused; /* curl asked for an address not in the list */
  char *body;         /* up to max_body bytes + NUL */
  size_t body_len, body_cap;
  bool truncated;
  bool headers_seen;
  char *location;
  struct ms_tls_watch watch;
  char errbuf[CURL_ERROR_SIZE];
  struct ms_https_req *prev, *next;
};

/* The fetcher: one multi handle, one timer, and the lists needed to tear
 * everything down without any callback (ms_https_free). */
struct ms_https {
  uv_loop_t *loop;
  CURLM *multi;
  struct ms_https_config cfg;
  uv_timer_t timer;
  struct ms_https_req *reqs; /* in flight */
  struct pollctx *polls;     /* open poll handles */
  unsigned open_handles;     /* timer + polls not yet closed */
  unsigned dispatching;      /* depth of check_done (user callbacks) */
  bool free_requested;
};

static void check_done(struct ms_https *h);

/* ---- libuv <-> libcurl plumbing (multi-uv.c) ---------------------------- */

/* Frees h once it was asked to, every uv handle has closed and no
 * check_done loop is still walking it (the user may free from a callback). */
static void maybe_release(struct ms_https *h)
{
  if (h->free_requested && h->open_handles == 0 && h->dispatching == 0)
    free(h);
}

/* uv close callback for the timer and the polls: a handle's memory may
 * only be released here (libuv docs/src/handle.rst). */
static void on_handle_closed(uv_handle_t *handle)
{
  struct ms_https *h;
  if (handle->type == UV_POLL) {
    struct pollctx *pc = handle->data;
    h = pc->h;
    free(pc);
  } else {
    h = handle->data;
  }
  h->open_handles--;
  maybe_release(h);
}

/* Stops watching one socket: unlink now, free in the close callback. */
static void poll_close(struct pollctx *pc)
{
  struct ms_https *h = pc->h;
  if (pc->prev)
    pc->prev->next = pc->next;
  else
    h->polls = pc->next;
  if (pc->next)
    pc->next->prev = pc->prev;
  uv_poll_stop(&pc->poll);
  uv_close((uv_handle_t *)&pc->poll, on_handle_closed);
}

/* A watched socket is ready: tell curl which way, then collect finished
 * transfers (curl only reports them through curl_multi_info_read). */
static void on_poll(uv_poll_t *p, int status, int events)
{
  struct pollctx *pc = p->data;
  struct ms_https *h = pc->h;
  int flags = 0;
  int running = 0;
  /* A poll error (e.g. the peer reset) must reach curl as an error. */
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(h->multi, pc->fd, flags, &running);
  check_done(h);
}

/* curl's single timeout expired: let it run its timers (connect and
 * transfer timeouts, happy-eyeballs fallbacks, the first kick-off). */
static void on_timer(uv_timer_t *t)
{
  struct ms_https *h = t->data;
  int running = 0;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(h);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching one socket. */
static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp,
                     void *socketp)
{
  struct ms_https *h = userp;
  struct pollctx *pc = socketp;
  (void)easy;
  if (action == CURL_POLL_REMOVE) {
    if (pc) {
      curl_multi_assign(h->multi, fd, NULL);
      poll_close(pc);
    }
    return 0;
  }
  if (!pc) {
    /* First interest in this socket: a poll handle, remembered by curl
     * (curl_multi_assign) so later calls find it in socketp. */
    pc = ms_xcalloc(1, sizeof(*pc));
    if (uv_poll_init_socket(h->loop, &pc->poll, fd) != 0) {
      free(pc);
      return -1; /* the transfer then ends by its timeout */
    }
    pc->fd = fd;
    pc->h = h;
    pc->poll.data = pc;
    pc->next = h->polls;
    if (h->polls)
      h->polls->prev = pc;
    h->polls = pc;
    h->open_handles++;
    curl_multi_assign(h->multi, fd, pc);
  }
  int events = 0;
  if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  uv_poll_start(&pc->poll, events, on_poll);
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
  struct ms_https *h = userp;
  (void)multi;
  if (timeout_ms < 0) {
    uv_timer_stop(&h->timer);
    return 0;
  }
  /* 0 means "as soon as possible", but never from inside this callback;
   * 1 ms also keeps a libuv timer from re-firing within one loop pass. */
  if (timeout_ms == 0)
    timeout_ms = 1;
  uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

/* Defaults follow https.h; curl_global_init is reference-counted by curl
 * and paired with curl_global_cleanup in ms_https_free. */
ms_err_t ms_https_new(uv_loop_t *loop, const struct ms_https_config *cfg,
                      struct ms_https **out)
{
  *out = NULL;
  if (!loop || !cfg)
    return MS_EINVAL;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return MS_ESYS;
  struct ms_https *h = ms_xcalloc(1, sizeof(*h));
  h->loop = loop;
  h->cfg = *cfg;
  if (h->cfg.timeout_ms <= 0)
    h->cfg.timeout_ms = 10000;
  if (h->cfg.connect_timeout_ms <= 0)
    h->cfg.connect_timeout_ms = h->cfg.timeout_ms;
  if (h->cfg.max_body == 0)
    h->cfg.max_body = 65536; /* MS_POLICY_MAX_BYTES, RFC 8461 has none */
  if (h->cfg.port <= 0 || h->cfg.port > 65535)
    h->cfg.port = 443;
  h->multi = curl_multi_init();
  if (!h->multi || uv_timer_init(loop, &h->timer) != 0) {
    if (h->multi)
      curl_multi_cleanup(h->multi);
    curl_global_cleanup();
    free(h);
    return MS_ESYS;
  }
  h->timer.data = h;
  h->open_handles = 1;
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)MAXCONNECTS);
  *out = h;
  return MS_OK;
}

/* ---- per-request callbacks ---------------------------------------------- */

/* The address curl is about to connect to, as core's plain value. */
static bool addr_from_sockaddr(const struct sockaddr *sa, struct ms_addr *a)
{
  memset(a, 0, sizeof(*a));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *v4 = (const void *)sa;
    a->family = 4;
    memcpy(a->bytes, &v4->sin_addr, 4);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const void *)sa;
    a->family = 6;
    memcpy(a->bytes, &v6->sin6_addr, 16);
    return true;
  }
  return false;
}

/* CURLOPT_OPENSOCKETFUNCTION: defence in depth behind the SSRF guard. Even
 * if a RESOLVE entry were ignored, curl can only open sockets to the
 * addresses the caller vetted. */
static curl_socket_t opensocket_cb(void *clientp, curlsocktype purpose,
                                   struct curl_sockaddr *sa)
{
  struct ms_https_req *req = clientp;
  struct ms_addr a;
  (void)purpose;
  if (!addr_from_sockaddr(&sa->addr, &a))
    goto refuse;
  for (size_t i = 0; i < req->n_allowed; i++) {
    size_t n = a.family == 4 ? 4 : 16;
    if (req->allowed[i].family == a.family &&
        memcmp(req->allowed[i].bytes, a.bytes, n) == 0)
      return socket(sa->family, sa->socktype, sa->protocol);
  }
refuse:
  req->guard_refused = true;
  return CURL_SOCKET_BAD;
}

/* Keeps the live SSL's details; curl closes the connection before
 * CURLMSG_DONE (FORBID_REUSE), so this must happen during the transfer. */
static void capture_tls(struct ms_https_req *req)
{
  struct curl_tlssessioninfo *ti = NULL;
  if (req->watch.captured)
    return;
  if (curl_easy_getinfo(req->easy, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK &&
      ti && ti->backend == CURLSSLBACKEND_OPENSSL && ti->internals)
    ms_tls_capture(ti->internals, &req->watch);
}

/* CURLOPT_HEADERFUNCTION: one header line per call, CRLF included. */
static size_t header_cb(char *buf, size_t size, size_t nitems, void *userp)
{
  struct ms_https_req *req = userp;
  size_t n = size * nitems;
  struct ms_slice line = ms_slice_make(buf, n);
  req->headers_seen = true;
  capture_tls(req);
  /* A new status line (after a 1xx) starts a new header block. */
  if (ms_slice_starts_with(line, "HTTP/")) {
    free(req->location);
    req->location = NULL;
    return n;
  }
  struct ms_slice name;
  bool found = false;
  struct ms_slice value = ms_slice_split(line, ':', &name, &found);
  if (found && ms_slice_eq_nocase(name, ms_slice_cstr("location"))) {
    while (value.len > 0 && (value.ptr[value.len - 1] == '\n' ||
                             value.ptr[value.len - 1] == '\r'))
      value.len--;
    value = ms_slice_trim_wsp(value);
    free(req->location);
    req->location = ms_xstrndup(value.ptr, value.len);
  }
  return n;
}

/* CURLOPT_WRITEFUNCTION: keeps the first max_body bytes. More than that
 * aborts the transfer (CURLE_WRITE_ERROR): CURLOPT_MAXFILESIZE does not
 * stop a body without Content-Length in 7.88. */
static size_t write_cb(char *buf, size_t size, size_t nitems, void *userp)
{
  struct ms_https_req *req = userp;
  size_t n = size * nitems;
  size_t cap = req->h->cfg.max_body;
  size_t room = cap - req->body_len;
  size_t take = n < room ? n : room;
  capture_tls(req);
  if (take > 0) {
    if (req->body_len + take + 1 > req->body_cap) {
      size_t want = req->body_cap ? req->body_cap * 2 : 4096;
      while (want < req->body_len + take + 1)
        want *= 2;
      if (want > cap + 1)
        want = cap + 1;
      req->body = ms_xrealloc(req->body, want);
      req->body_cap = want;
    }
    memcpy(req->body + req->body_len, buf, take);
    req->body_len += take;
  }
  if (take < n) {
    req->truncated = true;
    return 0;
  }
  return n;
}

/* CURLOPT_SSL_CTX_FUNCTION: curl made a fresh SSL_CTX for this connection;
 * hand it to tls.c (shared store, host name, collecting verify callback). */
static CURLcode sslctx_cb(CURL *easy, void *sslctx, void *userp)
{
  struct ms_https_req *req = userp;
  (void)easy;
  if (ms_tls_ctx_setup(req->h->cfg.store, sslctx, req->host, &req->watch) !=
      MS_OK)
    return CURLE_SSL_CERTPROBLEM;
  return CURLE_OK;
}

/* ---- results ------------------------------------------------------------ */

/* CURLcode -> the outcome core/verdict.c reasons about. Only this file
 * knows CURLcodes (style 3.7); the code itself is kept as lib_code. A
 * connect timeout is CURLE_OPERATION_TIMEDOUT too, hence TIMEOUT. */
static enum ms_fetch_outcome outcome_of(CURLcode rc, bool truncated)
{
  switch (rc) {
    case CURLE_OK:
      return MS_FETCH_OK;
    case CURLE_COULDNT_CONNECT:
      return MS_FETCH_CONNECT_FAILED;
    case CURLE_OPERATION_TIMEDOUT:
      return MS_FETCH_TIMEOUT;
    case CURLE_WRITE_ERROR:
      return truncated ? MS_FETCH_TOO_LARGE : MS_FETCH_ERROR;
    /* The TLS layer failed before any HTTP: a handshake problem. */
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return MS_FETCH_TLS_FAILED;
    default:
      return MS_FETCH_ERROR;
  }
}

/* Lower-case hex SHA-256 of the kept bytes (the report shows it so two
 * scans can tell whether a policy changed without storing bodies). */
static char *sha256_hex(const char *p, size_t n)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  static const char hex[] = "0123456789abcdef";
  if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1)
    return NULL;
  char *out = ms_xmalloc(2 * (size_t)mdlen + 1);
  for (unsigned i = 0; i < mdlen; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 0x0f];
  }
  out[2 * mdlen] = '\0';
  return out;
}

/* Replaces *dst with a copy of src; an empty or NULL src gives NULL. */
static void set_str(char **dst, const char *src)
{
  free(*dst);
  *dst = (src && *src) ? ms_xstrdup(src) : NULL;
}

/* Moves everything the request saw into res. canceled: abandoned. */
static void fill_result(struct ms_https_req *req, CURLcode rc, bool canceled)
{
  struct ms_obs_fetch *res = req->res;
  char *s = NULL;
  long status = 0;

  capture_tls(req);
  ms_tls_watch_finish(&req->watch);
  if (req->watch.captured) {
    set_str(&res->tls_protocol, req->watch.protocol);
    set_str(&res->tls_cipher, req->watch.cipher);
  }
  if (canceled) {
    res->outcome = MS_FETCH_CANCELED;
    res->lib_code = 0;
  } else {
    res->outcome = outcome_of(rc, req->truncated);
    res->lib_code = (int)rc;
    if (rc != CURLE_OK) {
      const char *msg = req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc);
      set_str(&res->error, msg);
      if (req->guard_refused && rc == CURLE_COULDNT_CONNECT) {
        free(res->error);
        res->error = ms_xstrdup("address refused by the socket guard");
      }
    }
  }
  /* Status and headers stay meaningful after a timeout mid-body. */
  if (curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
    res->http_status = status;
  s = NULL;
  if (curl_easy_getinfo(req->easy, CURLINFO_PRIMARY_IP, &s) == CURLE_OK)
    set_str(&res->connected_to, s);
  s = NULL;
  if (req->headers_seen &&
      curl_easy_getinfo(req->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK)
    set_str(&res->content_type, s);
  /* RFC 8461 section 3.3: redirects are not followed, only recorded. */
  if (status >= 300 && status < 400) {
    if (req->location)
      set_str(&res->location, req->location);
    else if (curl_easy_getinfo(req->easy, CURLINFO_REDIRECT_URL, &s) ==
             CURLE_OK)
      set_str(&res->location, s);
  }
  /* The body: a response was seen, or bytes arrived before a failure. */
  if (req->headers_seen || req->body_len > 0) {
    free(res->body);
    free(res->body_sha256);
    res->body = ms_xmalloc(req->body_len + 1);
    if (req->body_len)
      memcpy(res->body, req->body, req->body_len);
    res->body[req->body_len] = '\0';
    res->body_len = req->body_len;
    res->body_truncated = req->truncated;
    res->body_sha256 = sha256_hex(res->body, res->body_len);
  }
}

/* Detaches req from curl and the list, and frees it. */
static void req_free(struct ms_https_req *req)
{
  struct ms_https *h = req->h;
  if (req->prev)
    req->prev->next = req->next;
  else
    h->reqs = req->next;
  if (req->next)
    req->next->prev = req->prev;
  /* Removing an unfinished transfer closes its connection at once
   * (FORBID_REUSE), so no TLS callback can reach req after this. */
  if (req->easy) {
    curl_multi_remove_handle(h->multi, req->easy);
    curl_easy_cleanup(req->easy);
  }
  curl_slist_free_all(req->resolve);
  free(req->allowed);
  free(req->host);
  free(req->body);
  free(req->location);
  free(req);
}

/* Drains curl's finished transfers; each user callback runs once, after
 * its request is gone, so it may start, cancel or even free. */
static void check_done(struct ms_https *h)
{
  CURLMsg *msg;
  int left = 0;
  h->dispatching++;
  while (!h->free_requested &&
         (msg = curl_multi_info_read(h->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    char *priv = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    struct ms_https_req *req = (struct ms_https_req *)(void *)priv;
    if (!req)
      continue;
    CURLcode rc = msg->data.result;
    ms_https_done_cb cb = req->cb;
    void *arg = req->arg;
    fill_result(req, rc, false);
    req_free(req);
    cb(arg);
  }
  h->dispatching--;
  maybe_release(h);
}

/* ---- public API --------------------------------------------------------- */

/* A host name curl may put in a URL and a RESOLVE entry unchanged: the
 * caller passes A-labels (core/domain.c), anything else is a bug upstream
 * and refused with MS_EINVAL rather than escaped. */
static bool host_ok(const char *host)
{
  size_t n = strlen(host);
  if (n == 0 || n > HOST_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)host[i];
    if (!ms_ascii_is_alnum(c) && c != '-' && c != '.' && c != '_')
      return false;
  }
  return true;
}

/* "+HOST:PORT:a1,[v6],..." ("+": the entry expires like a DNS answer). */
static struct curl_slist *resolve_entry(const char *host, int port,
                                        const struct ms_addr *addrs, size_t n)
{
  size_t cap = strlen(host) + 16 + n * (MS_ADDR_STR_MAX + 3);
  char *line = ms_xmalloc(cap);
  size_t off = (size_t)snprintf(line, cap, "+%s:%d:", host, port);
  for (size_t i = 0; i < n; i++) {
    char txt[MS_ADDR_STR_MAX];
    int af = addrs[i].family == 6 ? AF_INET6 : AF_INET;
    if (!inet_ntop(af, addrs[i].bytes, txt, sizeof(txt)))
      continue;
    off +=
        (size_t)snprintf(line + off, cap - off,
                         af == AF_INET6 ? "%s[%s]" : "%s%s", i ? "," : "", txt);
  }
  struct curl_slist *l = curl_slist_append(NULL, line);
  free(line);
  return l;
}

#define SETOPT(opt, val)                                                       \
  do {                                                                         \
    if (curl_easy_setopt(e, opt, val) != CURLE_OK)                             \
      goto fail;                                                               \
  } while (0)

ms_err_t ms_https_fetch(struct ms_https *h, const char *host,
                        const struct ms_addr *addrs, size_t n,
                        struct ms_obs_fetch *res, ms_https_done_cb cb,
                        void *arg, struct ms_https_req **req_out)
{
  if (req_out)
    *req_out = NULL;
  if (!h || !host || !addrs || n == 0 || !res || !cb)
    return MS_EINVAL;
  if (h->free_requested)
    return MS_ECANCELED;
  if (!host_ok(host))
    return MS_EINVAL;
  for (size_t i = 0; i < n; i++) {
    if (addrs[i].family != 4 && addrs[i].family != 6)
      return MS_EINVAL;
  }

  /* From here on every failure goes through fail: (no callback). */
  struct ms_https_req *req = ms_xcalloc(1, sizeof(*req));
  req->h = h;
  req->res = res;
  req->cb = cb;
  req->arg = arg;
  req->host = ms_xstrdup(host);
  req->allowed = ms_xmalloc(n * sizeof(*addrs));
  memcpy(req->allowed, addrs, n * sizeof(*addrs));
  req->n_allowed = n;
  ms_tls_watch_init(&req->watch, &res->cert);
  /* Linked first so req_free can always unlink it. */
  req->next = h->reqs;
  if (h->reqs)
    h->reqs->prev = req;
  h->reqs = req;

  int port = h->cfg.port;
  char url[HOST_MAX + 64];
  if (port == 443)
    snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
  else
    snprintf(url, sizeof(url), "https://%s:%d/.well-known/mta-sts.txt", host,
             port);
  set_str(&res->url, url);
  res->outcome = MS_FETCH_NOT_RUN;

  req->resolve = resolve_entry(host, port, addrs, n);
  CURL *e = req->easy = curl_easy_init();
  if (!e || !req->resolve)
    goto fail;
  SETOPT(CURLOPT_URL, url);
  SETOPT(CURLOPT_PRIVATE, (void *)req);
  SETOPT(CURLOPT_ERRORBUFFER, req->errbuf);
  /* Addresses pinned: curl never resolves (style 3.9, SSRF guard). */
  SETOPT(CURLOPT_RESOLVE, req->resolve);
  /* Each RESOLVE entry lands in the multi handle's shared DNS cache, which
   * curl prunes by walking all of it: with the default 60 s a long run
   * holds every policy host of the last minute (CPU and memory growing
   * with the rate). 2 s keeps it small and still covers the moment the
   * entry is used (the same turn it is loaded; the age is whole seconds,
   * so 1 could expire it at a second boundary). */
  SETOPT(CURLOPT_DNS_CACHE_TIMEOUT, 2L);
  SETOPT(CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
  SETOPT(CURLOPT_OPENSOCKETDATA, (void *)req);
  SETOPT(CURLOPT_PROTOCOLS_STR, "https");
  SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  /* RFC 8461 section 3.3: HTTP 3xx redirects MUST NOT be followed. */
  SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  SETOPT(CURLOPT_FORBID_REUSE, 1L);
  /* The receive buffer of each transfer (16 KiB by default): a policy is
   * a few hundred bytes, and 200 transfers in flight hold one each. */
  SETOPT(CURLOPT_BUFFERSIZE, 4096L);
  /* A resumed TLS session skips verification: always a full handshake. */
  SETOPT(CURLOPT_SSL_SESSIONID_CACHE, 0L);
  SETOPT(CURLOPT_TIMEOUT_MS, (long)h->cfg.timeout_ms);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)h->cfg.connect_timeout_ms);
  /* Ignore http(s)_proxy and friends in the environment. */
  SETOPT(CURLOPT_PROXY, "");
  SETOPT(CURLOPT_NOPROXY, "*");
  /* No CA files per connection (44 ms of CPU each, pitfalls.md): the one
   * shared store comes in through the SSL_CTX callback. */
  SETOPT(CURLOPT_CAINFO, NULL);
  SETOPT(CURLOPT_CAPATH, NULL);
  SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
  SETOPT(CURLOPT_SSL_CTX_FUNCTION, sslctx_cb);
  SETOPT(CURLOPT_SSL_CTX_DATA, (void *)req);
  SETOPT(CURLOPT_USERAGENT, "mtasts-scan/" MS_VERSION);
  SETOPT(CURLOPT_ACCEPT_ENCODING, NULL); /* the bytes as served */
  SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
  SETOPT(CURLOPT_HEADERDATA, (void *)req);
  SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
  SETOPT(CURLOPT_WRITEDATA, (void *)req);
  if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
    goto fail;
  if (req_out)
    *req_out = req;
  return MS_OK;
fail:
  /* Not added to the multi (or add failed): just free, no callback. */
  if (req->easy) {
    curl_easy_cleanup(req->easy);
    req->easy = NULL;
  }
  req_free(req);
  return MS_ESYS;
}

/* res keeps what was seen so far (TLS details, status), with outcome
 * MS_FETCH_CANCELED; the callback never runs. */
void ms_https_cancel(struct ms_https_req *req)
{
  if (!req)
    return;
  fill_result(req, CURLE_OK, true);
  req_free(req);
}

/* Safe from inside a completion callback: check_done stops reading
 * messages, and the memory goes when the last uv handle has closed. The
 * loop must run once more for that (uv_run after this call). */
void ms_https_free(struct ms_https *h)
{
  if (!h || h->free_requested)
    return;
  h->free_requested = true;
  while (h->reqs)
    ms_https_cancel(h->reqs);
  /* Closing cached connections may call socket_cb(REMOVE) once more. */
  curl_multi_cleanup(h->multi);
  h->multi = NULL;
  curl_global_cleanup(); /* pairs with ms_https_new's curl_global_init */
  while (h->polls)
    poll_close(h->polls);
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, on_handle_closed);
}
