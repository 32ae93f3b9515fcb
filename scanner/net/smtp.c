/*
 * The STARTTLS probe engine (net/smtp.h): one state machine per (MX host,
 * address, port) in the shape of OpenSMTPD's smtp_client.c, driven by
 * libuv (uv_tcp_t, two timers) with TLS through OpenSSL memory BIOs, plus
 * the run-wide cache that shares each probe with every domain using that
 * MX, the per-address concurrency limit and pacing, and the port-25-blocked
 * detector. Replies are parsed by core/smtp_reply.c, certificate names are
 * checked by core/certname.c, chain and dates by net/tls.c's watch.
 *
 * Lifetimes. An entry (cache slot) lives from the first request for its
 * key until it is evicted (finished, beyond cache_max) or the engine is
 * freed. A probe lives from its connect until the close callbacks of its
 * three handles have run; it lets go of its entry when it enters DONE, so
 * the entry may be evicted while the probe is still closing. User
 * callbacks run only from the dispatch timer, never from ms_smtp_probe,
 * and may call ms_smtp_probe or ms_smtp_free.
 *
 * What a probe sends, and nothing else (RFC 5321, RFC 3207):
 *   EHLO <ehlo_name>   (HELO <ehlo_name> once, after a 5xx to EHLO)
 *   STARTTLS           (only when EHLO advertised it)
 *   a TLS ClientHello  (SNI = the MX host, TLS 1.0 to 1.3 offered)
 *   EHLO <ehlo_name>   (inside TLS)
 *   QUIT               (when the session is healthy; reply awaited 1 s)
 * Never MAIL, RCPT or DATA. ehlo_name must be printable ASCII without
 * spaces (ms_smtp_new refuses others), so no second command can ride on
 * it. Bytes kept per probe: one 16 KiB read buffer, the reply parser's
 * caps (core/smtp_reply.h), at most TLS_PENDING_MAX of ciphertext and
 * WRITE_QUEUE_MAX of unsent output; beyond those the probe ends.
 *
 * Weak points, said openly:
 * - A reply that arrives before we asked (an "early talker") is taken as
 *   the reply to the next command; a probe does not need more.
 * - The pacing timer walks every address that has queued probes on each
 *   tick: fine for the hundreds of MX addresses of a run, not for millions.
 * - Local socket failures (EMFILE) are reported as CONNECT_FAILED with a
 *   "local:" error text, but are kept out of the port-25-blocked counter.
 */
#include "net/smtp.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "core/certname.h"
#include "core/smtp_reply.h"
#include "util/container.h"
#include "util/slice.h"
#include "util/xalloc.h"

#define HOST_MAX           253   /* longest DNS name in text form */
#define EHLO_NAME_MAX      255   /* our own EHLO argument */
#define READ_CHUNK         16384 /* one uv read (a TLS record fits) */
#define TLS_PENDING_MAX    65536 /* ciphertext left unprocessed in the BIO */
#define WRITE_QUEUE_MAX    65536 /* bytes queued to a peer that never reads */
#define QUIT_WAIT_MS       1000  /* how long we wait for QUIT's reply */
#define BANNER_KEEP        256   /* octets of the greeting's first line */
#define BLOCKED_MIN_PROBES 8     /* smtp.h: "at least 8 probes made" */
#define CIPHERS            "ALL:!aNULL:!eNULL:@SECLEVEL=0"

/* Probe states (style 3.9). HELO is the one-time fallback after a 5xx to
 * EHLO; INIT only exists so the first probe_enter sees a change. */
enum probe_state {
  MS_PROBE_INIT,
  MS_PROBE_CONNECT,
  MS_PROBE_BANNER,
  MS_PROBE_EHLO,
  MS_PROBE_HELO,
  MS_PROBE_STARTTLS,
  MS_PROBE_HANDSHAKE,
  MS_PROBE_EHLO_TLS,
  MS_PROBE_QUIT,
  MS_PROBE_DONE,
  MS_PROBE_STATE_COUNT
};

/* Names for the trace line and the timeout texts. */
/* clang-format off */
static const char *const state_names[MS_PROBE_STATE_COUNT] = {
    [MS_PROBE_INIT] = "INIT",
    [MS_PROBE_CONNECT] = "CONNECT",
    [MS_PROBE_BANNER] = "BANNER",
    [MS_PROBE_EHLO] = "EHLO",
    [MS_PROBE_HELO] = "HELO",
    [MS_PROBE_STARTTLS] = "STARTTLS",
    [MS_PROBE_HANDSHAKE] = "HANDSHAKE",
    [MS_PROBE_EHLO_TLS] = "EHLO_TLS",
    [MS_PROBE_QUIT] = "QUIT",
    [MS_PROBE_DONE] = "DONE",
};
/* clang-format on */

/* Normalized I/O events (the ioev.h idea): probe_event maps them. */
enum probe_ev {
  MS_EV_CONNECTED,
  MS_EV_DATA,
  MS_EV_TLS_READY,
  MS_EV_TIMEOUT,
  MS_EV_EOF,
  MS_EV_ERROR
};

/* One request waiting for (or holding) its copy of a result. */
struct waiter {
  struct ms_obs_smtp *res; /* the caller's, filled before cb */
  ms_smtp_done_cb cb;
  void *arg;
  bool shared;
  struct waiter *next;
};

enum entry_state {
  ENT_QUEUED,  /* waiting for its address to allow a connect */
  ENT_RUNNING, /* a probe is under way */
  ENT_DONE     /* result final, kept for later requests */
};

struct addrstate;
struct probe;

/* One cache slot: (lower-case host, address, port). */
struct entry {
  char *host;
  struct ms_addr addr;
  uint64_t hash;
  enum entry_state state;
  struct ms_obs_smtp result;
  struct waiter *wait_head, *wait_tail;
  struct addrstate *as;
  struct probe *probe;       /* while RUNNING */
  struct entry *hnext;       /* hash chain */
  struct entry *prev, *next; /* as->pending (QUEUED) or e->done (DONE) */
};

/* Per-IP bookkeeping, counted across host names. */
struct addrstate {
  struct ms_addr addr;
  uint64_t hash;
  int active;            /* probes running to this IP */
  bool connected_once;   /* last_connect is meaningful */
  uint64_t last_connect; /* uv_now of the last connect */
  struct entry *pend_head, *pend_tail;
  bool listed; /* on e->pend_list */
  struct addrstate *hnext;
  struct addrstate *lprev, *lnext;
};

struct probe {
  struct ms_smtp *e;
  struct entry *ent;       /* NULL once DONE */
  struct ms_obs_smtp *res; /* &ent->result, NULL once DONE */
  char host[HOST_MAX + 1];
  char addr_text[MS_ADDR_STR_MAX];
  struct ms_addr addr;
  enum probe_state state;
  uv_tcp_t tcp;
  uv_connect_t conn;
  uv_timer_t stage;
  uv_timer_t deadline;
  int open_handles;
  int connect_status; /* a synchronous connect failure, reported later */
  struct ms_smtp_reply reply;
  SSL *ssl;
  BIO *rbio, *wbio; /* owned by ssl once set */
  struct ms_tls_watch watch;
  bool tls_up;
  bool got_reply; /* any greeting seen (for the blocked detector) */
  bool local_failure;
  bool deadline_hit;
  int ehlo_refused; /* EHLO's 5xx code when HELO is tried */
  uint64_t started;
  const char *in; /* the bytes of the MS_EV_DATA being handled */
  size_t in_len;
  char buf[READ_CHUNK];
};

/* A write in flight: the bytes live until libuv calls back. */
struct wreq {
  uv_write_t req;
  struct probe *p;
  char data[];
};

struct ms_smtp {
  uv_loop_t *loop;
  struct ms_smtp_config cfg;
  char *ehlo_name;
  SSL_CTX *ctx;
  struct entry **ebucket;
  size_t n_ebucket, n_entries;
  struct addrstate **abucket;
  size_t n_abucket, n_as;
  struct addrstate *pend_list; /* addresses with queued entries */
  struct entry *done_head, *done_tail;
  size_t n_done;
  struct waiter *ready_head, *ready_tail;
  uv_timer_t dispatch; /* delivers ready waiters from the loop */
  uv_timer_t pace;     /* starts queued probes */
  int open_handles;
  bool timers_closing;
  size_t live_probes; /* probe structs not yet freed */
  struct ms_smtp_stats st;
  unsigned long n_finished, n_unanswered;
  bool blocked;
  bool freeing;
  bool dispatching;
  bool trace;
};

static void probe_enter(struct probe *p, enum probe_state next);
static void probe_event(struct probe *p, enum probe_ev ev, int status);
static void tls_step(struct probe *p);
static void pace_arm(struct ms_smtp *e, uint64_t delay);
static void maybe_finish(struct ms_smtp *e);

/* ---- small helpers ---- */

/* FNV-1a: the keys are short (a host name and 4 or 16 bytes) and come
 * from DNS answers we do not control, but an attacker can at worst make
 * one bucket long; the table is not an attack surface worth SipHash. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

/* Only the bytes the family uses: the rest of bytes[] is not defined. */
static uint64_t addr_hash(const struct ms_addr *a)
{
  uint64_t h = fnv(14695981039346656037ull, &a->family, sizeof(a->family));
  return fnv(h, a->bytes, a->family == 6 ? 16 : 4);
}

static bool addr_eq(const struct ms_addr *a, const struct ms_addr *b)
{
  return a->family == b->family &&
         memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4) == 0;
}

/* "10 s" or "2500 ms", for error texts that name the limit. */
static void fmt_ms(char *buf, size_t cap, int ms)
{
  if (ms % 1000 == 0)
    snprintf(buf, cap, "%d s", ms / 1000);
  else
    snprintf(buf, cap, "%d ms", ms);
}

/* Printable-ASCII copy of at most max bytes of s up to the first newline:
 * the greeting goes into the JSON record as is. */
static char *first_line(const char *s, size_t len, size_t max)
{
  size_t n = 0;
  while (n < len && n < max && s[n] != '\n')
    n++;
  char *out = ms_xmalloc(n + 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  out[n] = '\0';
  return out;
}

/* Records the outcome and its human text: the first cause wins, so a
 * failure seen while closing cannot hide the real one. */
static void fail(struct probe *p, enum ms_smtp_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct probe *p, enum ms_smtp_outcome o, const char *fmt, ...)
{
  if (!p->res || p->res->outcome != MS_SMTP_NOT_RUN)
    return;
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  p->res->outcome = o;
  free(p->res->error);
  p->res->error = ms_xstrdup(text);
}

/* The latest OpenSSL reason as "TLS: wrong version number". The queue is
 * cleared before every SSL call (tls_step), so nothing stale shows. */
static void fail_tls(struct probe *p, const char *fallback)
{
  unsigned long err = ERR_peek_last_error();
  const char *why = err ? ERR_reason_error_string(err) : NULL;
  fail(p, MS_SMTP_TLS_FAILED, "TLS: %s", why ? why : fallback);
  ERR_clear_error();
}

/* ---- writing ---- */

/* One write done: its bytes can go. A failure means the peer is gone. */
static void on_write(uv_write_t *req, int status)
{
  struct wreq *w = ms_container_of(req, struct wreq, req);
  struct probe *p = w->p;
  free(w);
  /* UV_ECANCELED comes from our own uv_close: nothing to report. */
  if (status < 0 && status != UV_ECANCELED && p->state != MS_PROBE_DONE)
    probe_event(p, MS_EV_ERROR, status);
}

/* Queues bytes to the socket. False (with the outcome set) when libuv
 * refuses or the peer has stopped reading what we sent. */
static bool send_raw(struct probe *p, const char *data, size_t len)
{
  if (p->tcp.write_queue_size > WRITE_QUEUE_MAX) {
    fail(p, MS_SMTP_PROTOCOL_ERROR, "peer does not read what we send");
    return false;
  }
  struct wreq *w = ms_xmalloc(sizeof(*w) + len);
  w->p = p;
  memcpy(w->data, data, len);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
  int rc = uv_write(&w->req, (uv_stream_t *)&p->tcp, &b, 1, on_write);
  if (rc < 0) {
    free(w);
    fail(p, MS_SMTP_PROTOCOL_ERROR, "write: %s", uv_strerror(rc));
    return false;
  }
  return true;
}

/* Moves whatever OpenSSL produced (handshake records, encrypted commands)
 * from the write BIO to the socket. */
static bool flush_tls(struct probe *p)
{
  char out[READ_CHUNK];
  while (BIO_ctrl_pending(p->wbio) > 0) {
    int n = BIO_read(p->wbio, out, (int)sizeof(out));
    if (n <= 0)
      break;
    if (!send_raw(p, out, (size_t)n))
      return false;
  }
  return true;
}

/* Sends one command line, in clear or through TLS after STARTTLS. */
static bool send_cmd(struct probe *p, const char *verb, const char *arg)
{
  char line[EHLO_NAME_MAX + 16];
  int n = snprintf(line, sizeof(line), "%s%s%s\r\n", verb, arg ? " " : "",
                   arg ? arg : "");
  MS_ASSERT(n > 0 && (size_t)n < sizeof(line));
  if (!p->ssl)
    return send_raw(p, line, (size_t)n);
  ERR_clear_error();
  if (SSL_write(p->ssl, line, n) != n) {
    fail_tls(p, "write failed");
    return false;
  }
  return flush_tls(p);
}

/* ---- the TLS session ---- */

/* New SSL on two memory BIOs for this probe: SNI and the collecting watch
 * (net/tls.c). OpenSSL's own host check is removed again: core/certname
 * is the one source of truth for names (MS_CERT_NAME_MISMATCH). */
static bool tls_start(struct probe *p)
{
  p->ssl = SSL_new(p->e->ctx);
  if (!p->ssl)
    ms_fatal("out of memory (SSL_new)");
  p->rbio = BIO_new(BIO_s_mem());
  p->wbio = BIO_new(BIO_s_mem());
  if (!p->rbio || !p->wbio)
    ms_fatal("out of memory (BIO_new)");
  /* An empty memory BIO means "retry later", not EOF. */
  BIO_set_mem_eof_return(p->rbio, -1);
  BIO_set_mem_eof_return(p->wbio, -1);
  SSL_set_bio(p->ssl, p->rbio, p->wbio); /* ssl owns both now */
  SSL_set_connect_state(p->ssl);
  ms_tls_watch_init(&p->watch, &p->res->cert);
  if (ms_tls_ssl_setup(p->ssl, p->host, &p->watch) != MS_OK ||
      X509_VERIFY_PARAM_set1_host(SSL_get0_param(p->ssl), NULL, 0) != 1 ||
      SSL_set_tlsext_host_name(p->ssl, p->host) != 1) {
    fail_tls(p, "cannot set up the session");
    p->local_failure = true;
    return false;
  }
  return true;
}

/* RFC 8461 section 4.2 / RFC 6125: does any DNS-ID of the live leaf cover
 * the MX host? Every SAN counts, not only the MS_SAN_MAX kept for the
 * record, so the check reads the certificate itself; the raw bytes go in
 * as a slice, so an embedded NUL matches nothing. */
static bool leaf_name_ok(const struct probe *p)
{
  const X509 *x = SSL_get0_peer_certificate(p->ssl);
  if (!x)
    return false;
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  bool ok = false;
  for (int i = 0; !ok && gens && i < sk_GENERAL_NAME_num(gens); i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    if (g->type != GEN_DNS)
      continue;
    const ASN1_IA5STRING *v = g->d.dNSName;
    int len = ASN1_STRING_length(v);
    ok = len > 0 &&
         ms_certname_match(
             ms_slice_make((const char *)ASN1_STRING_get0_data(v), (size_t)len),
             ms_slice_cstr(p->host));
  }
  GENERAL_NAMES_free(gens);
  return ok;
}

/* After the handshake: what was negotiated, and the RFC 8461 section 4.2
 * name check on the leaf's DNS SANs (RFC 6125, no CN fallback). */
static void tls_done(struct probe *p)
{
  struct ms_obs_smtp *r = p->res;
  p->tls_up = true;
  ms_tls_capture(p->ssl, &p->watch);
  r->tls_protocol = ms_xstrdup(p->watch.protocol);
  r->tls_cipher = ms_xstrdup(p->watch.cipher);
  r->tls_version = SSL_version(p->ssl);
  struct ms_cert_info *c = &r->cert;
  if (!c->present) {
    c->errors |= MS_CERT_UNTRUSTED;
    if (!c->untrusted_reason)
      c->untrusted_reason = ms_xstrdup("no certificate");
    return;
  }
  if (!leaf_name_ok(p)) {
    c->errors |= MS_CERT_NAME_MISMATCH;
    if (c->verify_code == 0) {
      /* Same code and text as the HTTPS side, where OpenSSL finds it. */
      c->verify_code = X509_V_ERR_HOSTNAME_MISMATCH;
      free(c->verify_error);
      c->verify_error = ms_xstrdup(
          X509_verify_cert_error_string(X509_V_ERR_HOSTNAME_MISMATCH));
    }
  }
}

/* ---- reading ---- */

/* States in which a reply is expected. */
static bool wants_reply(enum probe_state s)
{
  return s == MS_PROBE_BANNER || s == MS_PROBE_EHLO || s == MS_PROBE_HELO ||
         s == MS_PROBE_STARTTLS || s == MS_PROBE_EHLO_TLS || s == MS_PROBE_QUIT;
}

static void probe_reply(struct probe *p);

/* Plaintext (before STARTTLS, or decrypted after it) into the reply
 * parser; each complete reply goes to probe_reply. Bytes left over after
 * the STARTTLS reply belong to the TLS session (probe_enter has made it). */
static void feed_plain(struct probe *p, const char *buf, size_t len)
{
  while (len > 0 && wants_reply(p->state)) {
    size_t used = 0;
    enum ms_smtp_reply_state st =
        ms_smtp_reply_feed(&p->reply, buf, len, &used);
    MS_ASSERT(used <= len);
    buf += used;
    len -= used;
    if (st == MS_SMTP_REPLY_ERROR) {
      if (p->state == MS_PROBE_BANNER)
        p->got_reply = true; /* it answered, even if with garbage */
      fail(p, MS_SMTP_PROTOCOL_ERROR, "%s", p->reply.error);
      probe_enter(p, MS_PROBE_DONE);
      return;
    }
    if (st != MS_SMTP_REPLY_COMPLETE)
      return; /* all used, more needed */
    probe_reply(p);
    ms_smtp_reply_init(&p->reply);
  }
  if (len > 0 && p->state == MS_PROBE_HANDSHAKE && p->ssl) {
    if (BIO_write(p->rbio, buf, (int)len) != (int)len)
      ms_fatal("out of memory (BIO_write)");
    tls_step(p);
  }
}

/* Advances the TLS session after new ciphertext: the handshake, then
 * decryption of whatever application data is buffered. */
static void tls_step(struct probe *p)
{
  if (p->state == MS_PROBE_HANDSHAKE) {
    ERR_clear_error();
    int rc = SSL_do_handshake(p->ssl);
    if (!flush_tls(p)) {
      probe_enter(p, MS_PROBE_DONE);
      return;
    }
    if (rc == 1) {
      probe_event(p, MS_EV_TLS_READY, 0);
    } else {
      int why = SSL_get_error(p->ssl, rc);
      if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE)
        return;
      fail_tls(p, "handshake failed");
      probe_enter(p, MS_PROBE_DONE);
      return;
    }
  }
  char plain[4096];
  while (p->tls_up && wants_reply(p->state)) {
    ERR_clear_error();
    int n = SSL_read(p->ssl, plain, (int)sizeof(plain));
    if (n > 0) {
      feed_plain(p, plain, (size_t)n);
      continue;
    }
    int why = SSL_get_error(p->ssl, n);
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
      if (!flush_tls(p)) /* e.g. a KeyUpdate answer */
        probe_enter(p, MS_PROBE_DONE);
      break;
    }
    if (why == SSL_ERROR_ZERO_RETURN) {
      probe_event(p, MS_EV_EOF, 0);
      break;
    }
    /* A TLS 1.3 server sends its verdict on us (an alert) after the
     * handshake: before any reply, that is still a TLS failure. */
    fail(p,
         p->state == MS_PROBE_EHLO_TLS ? MS_SMTP_TLS_FAILED
                                       : MS_SMTP_PROTOCOL_ERROR,
         "TLS: %s",
         ERR_peek_last_error() ? ERR_reason_error_string(ERR_peek_last_error())
                               : "read failed");
    ERR_clear_error();
    probe_enter(p, MS_PROBE_DONE);
    break;
  }
  if (p->state != MS_PROBE_DONE &&
      BIO_ctrl_pending(p->rbio) > TLS_PENDING_MAX) {
    fail(p, MS_SMTP_PROTOCOL_ERROR, "TLS: too much unprocessed data");
    probe_enter(p, MS_PROBE_DONE);
  }
}

/* Every read lands in the probe's own fixed buffer: the bytes are handled
 * before on_read returns, so nothing is ever buffered beyond the parser's
 * caps and one TLS record in the read BIO. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
  (void)hint;
  struct probe *p = ms_container_of(h, struct probe, tcp);
  *buf = uv_buf_init(p->buf, (unsigned)sizeof(p->buf));
}

/* Socket bytes into normalized events (EOF, ERROR, DATA). */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
  struct probe *p = ms_container_of(s, struct probe, tcp);
  if (p->state == MS_PROBE_DONE || nread == 0)
    return;
  if (nread == UV_EOF) {
    probe_event(p, MS_EV_EOF, 0);
    return;
  }
  if (nread < 0) {
    probe_event(p, MS_EV_ERROR, (int)nread);
    return;
  }
  p->in = buf->base;
  p->in_len = (size_t)nread;
  probe_event(p, MS_EV_DATA, 0);
}

/* ---- timers and connect ---- */

/* UV_ECANCELED comes from our own uv_close of a probe still connecting. */
static void on_connect(uv_connect_t *req, int status)
{
  struct probe *p = ms_container_of(req, struct probe, conn);
  if (status == UV_ECANCELED || p->state != MS_PROBE_CONNECT)
    return;
  probe_event(p, MS_EV_CONNECTED, status);
}

/* The per-stage timer: a stage's reply (or the handshake) is late. It also
 * carries a synchronous connect failure out of the call that started it. */
static void on_stage_timer(uv_timer_t *t)
{
  struct probe *p = ms_container_of(t, struct probe, stage);
  if (p->state == MS_PROBE_CONNECT && p->connect_status < 0) {
    probe_event(p, MS_EV_CONNECTED, p->connect_status);
    return;
  }
  probe_event(p, MS_EV_TIMEOUT, 0);
}

/* The whole-probe deadline: started once at connect, never reset, so no
 * peer can stretch a probe by dripping bytes. */
static void on_deadline(uv_timer_t *t)
{
  struct probe *p = ms_container_of(t, struct probe, deadline);
  p->deadline_hit = true;
  probe_event(p, MS_EV_TIMEOUT, 0);
}

/* (Re)starts the stage timer: once per state entry, never per byte. */
static void stage_timer(struct probe *p, int ms)
{
  uv_timer_start(&p->stage, on_stage_timer, (uint64_t)ms, 0);
}

/* uv_tcp_connect to the address; a synchronous failure is reported from
 * the stage timer so that no probe ends inside the call that started it. */
static void start_connect(struct probe *p)
{
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  uint16_t port = (uint16_t)p->e->cfg.port;
  if (p->addr.family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    memcpy(&s6->sin6_addr, p->addr.bytes, 16);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, p->addr.bytes, 4);
  }
  int rc = uv_tcp_connect(&p->conn, &p->tcp, (const struct sockaddr *)&ss,
                          on_connect);
  if (rc < 0) {
    p->connect_status = rc;
    p->local_failure = true;
    stage_timer(p, 0);
    return;
  }
  stage_timer(p, p->e->cfg.timeout_ms);
}

/* ---- the state machine ---- */

static void complete_entry(struct ms_smtp *e, struct entry *ent);
static void check_blocked(struct ms_smtp *e);
static void probe_close(struct probe *p);

/* On-entry actions; returns the state to go to next (itself to stay). */
static enum probe_state on_enter(struct probe *p)
{
  struct ms_smtp *e = p->e;
  switch (p->state) {
    case MS_PROBE_CONNECT:
      start_connect(p);
      return p->state;
    case MS_PROBE_BANNER:
      ms_smtp_reply_init(&p->reply);
      stage_timer(p, e->cfg.timeout_ms);
      return p->state;
    case MS_PROBE_EHLO:
    case MS_PROBE_EHLO_TLS:
      stage_timer(p, e->cfg.timeout_ms);
      return send_cmd(p, "EHLO", e->ehlo_name) ? p->state : MS_PROBE_DONE;
    case MS_PROBE_HELO:
      stage_timer(p, e->cfg.timeout_ms);
      return send_cmd(p, "HELO", e->ehlo_name) ? p->state : MS_PROBE_DONE;
    case MS_PROBE_STARTTLS:
      stage_timer(p, e->cfg.timeout_ms);
      return send_cmd(p, "STARTTLS", NULL) ? p->state : MS_PROBE_DONE;
    case MS_PROBE_HANDSHAKE:
      stage_timer(p, e->cfg.timeout_ms);
      if (!tls_start(p))
        return MS_PROBE_DONE;
      tls_step(p); /* sends the ClientHello */
      return p->state;
    case MS_PROBE_QUIT:
      /* RFC 5321 section 4.1.1.10: polite, but not worth a long wait. */
      stage_timer(p, e->cfg.timeout_ms < QUIT_WAIT_MS ? e->cfg.timeout_ms
                                                      : QUIT_WAIT_MS);
      return send_cmd(p, "QUIT", NULL) ? p->state : MS_PROBE_DONE;
    case MS_PROBE_DONE:
      probe_close(p);
      return p->state;
    case MS_PROBE_INIT:
    case MS_PROBE_STATE_COUNT:
      break;
  }
  MS_ASSERT(!"bad probe state");
  return MS_PROBE_DONE;
}

/* The only place p->state changes (style 3.1 principle 3). Transitions
 * chain by looping: an on-entry action may pick the next state at once. */
static void probe_enter(struct probe *p, enum probe_state next)
{
  while (next != p->state && p->state != MS_PROBE_DONE) {
    if (p->e->trace)
      fprintf(stderr, "mtasts-scan: smtp %s [%s]: %s -> %s\n", p->host,
              p->addr_text, state_names[p->state], state_names[next]);
    p->state = next;
    next = on_enter(p);
  }
}

/* One complete reply: record it and pick the next state. */
static void probe_reply(struct probe *p)
{
  const struct ms_smtp_reply *r = &p->reply;
  struct ms_obs_smtp *res = p->res;
  int code = r->code;
  enum probe_state next = p->state;
  switch (p->state) {
    case MS_PROBE_BANNER:
      p->got_reply = true;
      res->banner_code = code;
      free(res->banner);
      res->banner = first_line(r->text, r->text_len, BANNER_KEEP);
      if (code == 220) {
        next = MS_PROBE_EHLO;
      } else {
        /* RFC 5321 section 3.1: a 554 greeting still wants QUIT. */
        fail(p, MS_SMTP_BANNER_REJECTED, "greeting refused: %d", code);
        next = MS_PROBE_QUIT;
      }
      break;
    case MS_PROBE_EHLO:
      res->ehlo_code = code;
      if (code / 100 == 2) {
        res->starttls_offered = r->starttls;
        if (r->starttls) {
          next = MS_PROBE_STARTTLS;
        } else {
          fail(p, MS_SMTP_NO_STARTTLS, "STARTTLS not advertised");
          next = MS_PROBE_QUIT;
        }
      } else if (code / 100 == 5) {
        p->ehlo_refused = code; /* RFC 5321 section 4.1.4: fall back */
        next = MS_PROBE_HELO;
      } else {
        fail(p, MS_SMTP_EHLO_FAILED, "EHLO refused: %d", code);
        next = MS_PROBE_QUIT;
      }
      break;
    case MS_PROBE_HELO:
      if (code / 100 == 2)
        fail(p, MS_SMTP_NO_STARTTLS,
             "EHLO refused (%d), HELO accepted: no ESMTP, so no STARTTLS",
             p->ehlo_refused);
      else
        fail(p, MS_SMTP_EHLO_FAILED, "EHLO refused (%d), HELO refused (%d)",
             p->ehlo_refused, code);
      next = MS_PROBE_QUIT;
      break;
    case MS_PROBE_STARTTLS:
      res->starttls_code = code;
      if (code == 220) {
        next = MS_PROBE_HANDSHAKE;
      } else {
        fail(p, MS_SMTP_STARTTLS_REFUSED, "STARTTLS refused: %d", code);
        next = MS_PROBE_QUIT;
      }
      break;
    case MS_PROBE_EHLO_TLS:
      res->ehlo_tls_code = code;
      if (code / 100 == 2) {
        if (res->outcome == MS_SMTP_NOT_RUN)
          res->outcome = MS_SMTP_OK;
      } else {
        fail(p, MS_SMTP_EHLO_FAILED, "EHLO after STARTTLS refused: %d", code);
      }
      next = MS_PROBE_QUIT;
      break;
    case MS_PROBE_QUIT:
      next = MS_PROBE_DONE;
      break;
    default:
      break;
  }
  probe_enter(p, next);
}

/* Timeout text for the stage that did not complete. */
static void fail_timeout(struct probe *p)
{
  char lim[32];
  if (p->deadline_hit) {
    fmt_ms(lim, sizeof(lim), p->e->cfg.probe_deadline_ms);
    fail(p, MS_SMTP_TIMEOUT, "probe deadline of %s exceeded in %s", lim,
         state_names[p->state]);
    return;
  }
  fmt_ms(lim, sizeof(lim), p->e->cfg.timeout_ms);
  switch (p->state) {
    case MS_PROBE_CONNECT:
      fail(p, MS_SMTP_TIMEOUT, "connect timed out after %s", lim);
      break;
    case MS_PROBE_BANNER:
      fail(p, MS_SMTP_TIMEOUT, "no greeting within %s", lim);
      break;
    case MS_PROBE_HANDSHAKE:
      fail(p, MS_SMTP_TIMEOUT, "TLS handshake not done within %s", lim);
      break;
    case MS_PROBE_EHLO_TLS:
      fail(p, MS_SMTP_TIMEOUT, "no reply to EHLO after STARTTLS within %s",
           lim);
      break;
    default:
      fail(p, MS_SMTP_TIMEOUT, "no reply to %s within %s",
           state_names[p->state], lim);
      break;
  }
}

/* Normalized events into replies and transitions. */
static void probe_event(struct probe *p, enum probe_ev ev, int status)
{
  if (p->state == MS_PROBE_DONE)
    return;
  switch (ev) {
    case MS_EV_CONNECTED:
      if (status < 0) {
        fail(p, MS_SMTP_CONNECT_FAILED, "%s%s",
             p->local_failure ? "local: " : "", uv_strerror(status));
        probe_enter(p, MS_PROBE_DONE);
        return;
      }
      uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
      probe_enter(p, MS_PROBE_BANNER);
      return;
    case MS_EV_DATA: {
      /* Bytes from on_read (p->in): ciphertext once STARTTLS is done. */
      const char *in = p->in;
      size_t n = p->in_len;
      p->in = NULL;
      p->in_len = 0;
      if (p->ssl) {
        if (BIO_write(p->rbio, in, (int)n) != (int)n)
          ms_fatal("out of memory (BIO_write)");
        tls_step(p);
      } else {
        feed_plain(p, in, n);
      }
      return;
    }
    case MS_EV_TLS_READY:
      tls_done(p);
      probe_enter(p, MS_PROBE_EHLO_TLS);
      return;
    case MS_EV_TIMEOUT:
      if (p->state != MS_PROBE_QUIT)
        fail_timeout(p);
      probe_enter(p, MS_PROBE_DONE);
      return;
    case MS_EV_EOF:
    case MS_EV_ERROR: {
      const char *why =
          ev == MS_EV_EOF ? "connection closed" : uv_strerror(status);
      if (p->state == MS_PROBE_BANNER && !p->got_reply)
        fail(p, MS_SMTP_NO_BANNER, "%s before the greeting", why);
      else if (p->state == MS_PROBE_HANDSHAKE)
        fail(p, MS_SMTP_TLS_FAILED, "TLS: %s during the handshake", why);
      else
        fail(p, MS_SMTP_PROTOCOL_ERROR, "%s in %s", why, state_names[p->state]);
      probe_enter(p, MS_PROBE_DONE);
      return;
    }
  }
}

/* ---- probe lifetime ---- */

/* Last close callback: the SSL (with both BIOs) and the struct go, and the
 * engine may now finish a pending ms_smtp_free. */
static void probe_free(struct probe *p)
{
  struct ms_smtp *e = p->e;
  if (p->ssl) {
    SSL_set_info_callback(p->ssl, NULL);
    SSL_free(p->ssl); /* frees both BIOs */
  }
  free(p);
  MS_ASSERT(e->live_probes > 0);
  e->live_probes--;
  maybe_finish(e);
}

static void on_probe_close(uv_handle_t *h)
{
  struct probe *p = h->data;
  if (--p->open_handles == 0)
    probe_free(p);
}

/* On entering DONE: the result is final, the entry gets it, the handles
 * close (the struct goes in the last close callback). */
static void probe_close(struct probe *p)
{
  struct ms_smtp *e = p->e;
  struct entry *ent = p->ent;
  struct ms_obs_smtp *res = p->res;
  uv_timer_stop(&p->stage);
  uv_timer_stop(&p->deadline);
  uv_read_stop((uv_stream_t *)&p->tcp);
  if (res->outcome == MS_SMTP_NOT_RUN)
    fail(p, MS_SMTP_PROTOCOL_ERROR, "probe ended without an outcome");
  if (p->ssl)
    ms_tls_watch_finish(&p->watch);
  p->watch.cert = NULL; /* the entry may go before the SSL does */
  res->duration_ms = (int64_t)(uv_now(e->loop) - p->started);

  switch (res->outcome) {
    case MS_SMTP_OK:
      e->st.ok++;
      break;
    case MS_SMTP_TIMEOUT:
      e->st.timeouts++;
      break;
    case MS_SMTP_CONNECT_FAILED:
      e->st.connect_failed++;
      break;
    default:
      e->st.other_failures++;
      break;
  }
  if (!p->local_failure && res->outcome != MS_SMTP_CANCELED) {
    e->n_finished++;
    if (!p->got_reply && (res->outcome == MS_SMTP_TIMEOUT ||
                          res->outcome == MS_SMTP_CONNECT_FAILED))
      e->n_unanswered++;
  }
  ent->as->active--;
  ent->probe = NULL;
  p->ent = NULL;
  p->res = NULL;
  complete_entry(e, ent);
  check_blocked(e);
  if (!e->freeing)
    pace_arm(e, 0); /* its address may take the next one */

  uv_close((uv_handle_t *)&p->tcp, on_probe_close);
  uv_close((uv_handle_t *)&p->stage, on_probe_close);
  uv_close((uv_handle_t *)&p->deadline, on_probe_close);
}

/* Makes the probe for a queued or new entry and connects. The deadline
 * starts here and is never restarted (smtp.h: no peer extends it). The
 * caller has checked the per-address limit and pacing. */
static void probe_start(struct ms_smtp *e, struct entry *ent)
{
  struct probe *p = ms_xcalloc(1, sizeof(*p));
  p->e = e;
  p->ent = ent;
  p->res = &ent->result;
  p->addr = ent->addr;
  snprintf(p->host, sizeof(p->host), "%s", ent->host);
  snprintf(p->addr_text, sizeof(p->addr_text), "%s", ent->result.address);
  p->state = MS_PROBE_INIT;
  p->started = uv_now(e->loop);
  ms_smtp_reply_init(&p->reply);
  uv_tcp_init(e->loop, &p->tcp);
  uv_timer_init(e->loop, &p->stage);
  uv_timer_init(e->loop, &p->deadline);
  p->tcp.data = p->stage.data = p->deadline.data = p;
  p->open_handles = 3;
  e->live_probes++;
  e->st.probes++;
  ent->state = ENT_RUNNING;
  ent->probe = p;
  ent->as->active++;
  ent->as->connected_once = true;
  ent->as->last_connect = p->started;
  uv_timer_start(&p->deadline, on_deadline, (uint64_t)e->cfg.probe_deadline_ms,
                 0);
  probe_enter(p, MS_PROBE_CONNECT);
}

/* ---- dispatch: user callbacks, from the loop only ---- */

/* Runs every ready callback. A waiter is unlinked and freed before its
 * callback, so the callback may start probes (they join the queue and run
 * in this same loop) or free the engine (the rest then still run). */
static void on_dispatch(uv_timer_t *t)
{
  struct ms_smtp *e = ms_container_of(t, struct ms_smtp, dispatch);
  e->dispatching = true;
  while (e->ready_head) {
    struct waiter *w = e->ready_head;
    e->ready_head = w->next;
    if (!e->ready_head)
      e->ready_tail = NULL;
    ms_smtp_done_cb cb = w->cb;
    void *arg = w->arg;
    free(w);
    cb(arg); /* may probe again or free the engine */
  }
  e->dispatching = false;
  maybe_finish(e);
}

/* Queues a filled waiter; the dispatch timer (0 ms) runs it from the loop,
 * which is how ms_smtp_probe never calls back from inside itself. */
static void push_ready(struct ms_smtp *e, struct waiter *w)
{
  w->next = NULL;
  if (e->ready_tail)
    e->ready_tail->next = w;
  else
    e->ready_head = w;
  e->ready_tail = w;
  if (!e->dispatching)
    uv_timer_start(&e->dispatch, on_dispatch, 0, 0);
}

/* ---- the cache ---- */

/* Cache key: (lower-case host, address); the port is the engine's. */
static uint64_t key_hash(const char *host, const struct ms_addr *a)
{
  uint64_t h = addr_hash(a);
  return fnv(h, host, strlen(host));
}

static struct entry *cache_find(struct ms_smtp *e, const char *host,
                                const struct ms_addr *a, uint64_t h)
{
  for (struct entry *x = e->ebucket[h % e->n_ebucket]; x; x = x->hnext) {
    if (x->hash == h && addr_eq(&x->addr, a) && strcmp(x->host, host) == 0)
      return x;
  }
  return NULL;
}

/* Doubles the bucket array when the load passes 1 (entries move over). */
static void cache_grow(struct ms_smtp *e)
{
  size_t n = e->n_ebucket * 2;
  struct entry **b = ms_xcalloc(n, sizeof(*b));
  for (size_t i = 0; i < e->n_ebucket; i++) {
    struct entry *x = e->ebucket[i];
    while (x) {
      struct entry *nx = x->hnext;
      x->hnext = b[x->hash % n];
      b[x->hash % n] = x;
      x = nx;
    }
  }
  free(e->ebucket);
  e->ebucket = b;
  e->n_ebucket = n;
}

static void entry_free(struct entry *x)
{
  free(x->host);
  ms_obs_smtp_cleanup(&x->result);
  free(x);
}

/* Drops the oldest finished entry (the done list is in finishing order). */
static void cache_evict_one(struct ms_smtp *e)
{
  struct entry *x = e->done_head;
  e->done_head = x->next;
  if (e->done_head)
    e->done_head->prev = NULL;
  else
    e->done_tail = NULL;
  e->n_done--;
  struct entry **pp = &e->ebucket[x->hash % e->n_ebucket];
  while (*pp != x)
    pp = &(*pp)->hnext;
  *pp = x->hnext;
  e->n_entries--;
  entry_free(x);
}

/* The per-IP record for a, made on first use and kept until the engine
 * goes (one per distinct address of the run, a few dozen bytes each). */
static struct addrstate *addr_get(struct ms_smtp *e, const struct ms_addr *a)
{
  uint64_t h = addr_hash(a);
  size_t i = h % e->n_abucket;
  for (struct addrstate *s = e->abucket[i]; s; s = s->hnext) {
    if (s->hash == h && addr_eq(&s->addr, a))
      return s;
  }
  if (e->n_as >= e->n_abucket) {
    size_t n = e->n_abucket * 2;
    struct addrstate **b = ms_xcalloc(n, sizeof(*b));
    for (size_t j = 0; j < e->n_abucket; j++) {
      struct addrstate *s = e->abucket[j];
      while (s) {
        struct addrstate *ns = s->hnext;
        s->hnext = b[s->hash % n];
        b[s->hash % n] = s;
        s = ns;
      }
    }
    free(e->abucket);
    e->abucket = b;
    e->n_abucket = n;
    i = h % n;
  }
  struct addrstate *s = ms_xcalloc(1, sizeof(*s));
  s->addr = *a;
  s->hash = h;
  s->hnext = e->abucket[i];
  e->abucket[i] = s;
  e->n_as++;
  return s;
}

/* Queue of entries waiting for their address. */
static void pend_push(struct ms_smtp *e, struct entry *x)
{
  struct addrstate *s = x->as;
  x->prev = s->pend_tail;
  x->next = NULL;
  if (s->pend_tail)
    s->pend_tail->next = x;
  else
    s->pend_head = x;
  s->pend_tail = x;
  if (!s->listed) {
    s->listed = true;
    s->lprev = NULL;
    s->lnext = e->pend_list;
    if (e->pend_list)
      e->pend_list->lprev = s;
    e->pend_list = s;
  }
}

/* Takes the oldest queued entry of s; s leaves the pending list when its
 * queue is empty. */
static struct entry *pend_pop(struct ms_smtp *e, struct addrstate *s)
{
  struct entry *x = s->pend_head;
  s->pend_head = x->next;
  if (s->pend_head)
    s->pend_head->prev = NULL;
  else
    s->pend_tail = NULL;
  x->prev = x->next = NULL;
  if (!s->pend_head && s->listed) {
    s->listed = false;
    if (s->lprev)
      s->lprev->lnext = s->lnext;
    else
      e->pend_list = s->lnext;
    if (s->lnext)
      s->lnext->lprev = s->lprev;
    s->lprev = s->lnext = NULL;
  }
  return x;
}

/* Final result: every waiter gets its copy (delivered from the loop), the
 * entry joins the done list, and the oldest finished ones beyond cache_max
 * go. */
static void complete_entry(struct ms_smtp *e, struct entry *ent)
{
  struct waiter *w = ent->wait_head;
  ent->wait_head = ent->wait_tail = NULL;
  while (w) {
    struct waiter *nx = w->next;
    ms_obs_smtp_copy(w->res, &ent->result);
    w->res->shared = w->shared;
    push_ready(e, w);
    w = nx;
  }
  ent->state = ENT_DONE;
  ent->prev = e->done_tail;
  ent->next = NULL;
  if (e->done_tail)
    e->done_tail->next = ent;
  else
    e->done_head = ent;
  e->done_tail = ent;
  e->n_done++;
  /* Not while freeing: ms_smtp_free walks the table. */
  while (!e->freeing && e->n_done > e->cfg.cache_max)
    cache_evict_one(e);
}

/* A queued entry that will not be probed (blocked, shutting down). */
static void complete_unprobed(struct ms_smtp *e, struct entry *ent,
                              enum ms_smtp_outcome o, const char *why)
{
  ent->result.outcome = o;
  ent->result.error = ms_xstrdup(why);
  complete_entry(e, ent);
}

/* Whether s may take one more connect now; *wait gets the delay if not. */
static bool addr_ready(const struct ms_smtp *e, const struct addrstate *s,
                       uint64_t now, uint64_t *wait)
{
  *wait = 0;
  if (s->active >= e->cfg.per_addr_concurrency)
    return false; /* a finishing probe re-arms the pace timer */
  uint64_t gap = (uint64_t)e->cfg.per_addr_interval_ms;
  if (s->connected_once && now < s->last_connect + gap) {
    *wait = s->last_connect + gap - now;
    return false;
  }
  return true;
}

/* Starts whatever the limits allow and re-arms for the earliest next one. */
static void on_pace(uv_timer_t *t)
{
  struct ms_smtp *e = ms_container_of(t, struct ms_smtp, pace);
  uint64_t now = uv_now(e->loop);
  uint64_t next = 0;
  struct addrstate *s = e->pend_list;
  while (s) {
    struct addrstate *ns = s->lnext;
    uint64_t wait = 0;
    while (s->pend_head && addr_ready(e, s, now, &wait))
      probe_start(e, pend_pop(e, s)); /* may unlist s; ns stays valid */
    if (s->pend_head && wait > 0 && (next == 0 || wait < next))
      next = wait;
    s = ns;
  }
  if (next > 0)
    pace_arm(e, next);
}

static void pace_arm(struct ms_smtp *e, uint64_t delay)
{
  if (e->freeing || !e->pend_list)
    return;
  /* Keep an earlier pending wake-up: restarting only moves it forward
   * when the new delay is shorter. */
  if (uv_is_active((uv_handle_t *)&e->pace) &&
      uv_timer_get_due_in(&e->pace) <= delay)
    return;
  uv_timer_start(&e->pace, on_pace, delay, 0);
}

/* Once every probe made so far went unanswered, say so once and stop. */
static void check_blocked(struct ms_smtp *e)
{
  if (e->blocked || e->n_finished < BLOCKED_MIN_PROBES ||
      e->n_unanswered != e->n_finished)
    return;
  e->blocked = true;
  fprintf(stderr,
          "mtasts-scan: outbound port %d appears to be blocked here (%lu "
          "probes, none answered); skipping the remaining SMTP probes\n",
          e->cfg.port, e->n_finished);
  while (e->pend_list) {
    struct entry *x = pend_pop(e, e->pend_list);
    complete_unprobed(e, x, MS_SMTP_SKIPPED, "outbound port 25 blocked");
  }
}

/* ---- public API ---- */

/* A name we can put after EHLO: printable ASCII, no space (no injection
 * of a second command through CR LF). */
static bool ehlo_name_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > EHLO_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < 0x21 || s[i] > 0x7e)
      return false;
  }
  return true;
}

/* Fills in the defaults of smtp.h, refuses an EHLO name that could inject
 * a command, and makes the one SSL_CTX every probe shares. */
ms_err_t ms_smtp_new(uv_loop_t *loop, const struct ms_smtp_config *cfg,
                     struct ms_smtp **out)
{
  struct ms_smtp_config c = {0};
  char hostname[256];
  *out = NULL;
  if (!loop)
    return MS_EINVAL;
  if (cfg)
    c = *cfg;
  if (c.port <= 0)
    c.port = 25;
  if (c.port > 65535)
    return MS_EINVAL;
  if (c.timeout_ms <= 0)
    c.timeout_ms = 10000;
  if (c.probe_deadline_ms <= 0)
    c.probe_deadline_ms = 3 * c.timeout_ms;
  if (c.per_addr_concurrency <= 0)
    c.per_addr_concurrency = 2;
  if (c.per_addr_interval_ms == 0)
    c.per_addr_interval_ms = 100;
  else if (c.per_addr_interval_ms < 0)
    c.per_addr_interval_ms = 0; /* negative: no pacing (labs) */
  if (c.cache_max == 0)
    c.cache_max = 100000;
  const char *name = c.ehlo_name;
  if (!name) {
    size_t len = sizeof(hostname);
    name = uv_os_gethostname(hostname, &len) == 0 ? hostname : "localhost";
  }
  if (!ehlo_name_ok(name))
    return MS_EINVAL;

  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    return MS_ESYS;
  /* Observe old protocols and ciphers so they can be reported: TLS 1.0
   * and up, security level 0. No anonymous suites: a sender that checks
   * certificates never offers them, and a server must not be able to
   * pick one and hide its certificate. No session cache or tickets: a
   * resumed session would skip verification. Legacy renegotiation is
   * allowed only so that old servers can be seen (we never renegotiate). */
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_LEGACY_SERVER_CONNECT);
  if (SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1) {
    SSL_CTX_free(ctx);
    return MS_ESYS;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  if (c.store)
    SSL_CTX_set1_cert_store(ctx, ms_tls_store_x509(c.store));

  struct ms_smtp *e = ms_xcalloc(1, sizeof(*e));
  e->loop = loop;
  e->ctx = ctx;
  e->ehlo_name = ms_xstrdup(name);
  c.ehlo_name = e->ehlo_name;
  e->cfg = c;
  e->n_ebucket = 64;
  e->ebucket = ms_xcalloc(e->n_ebucket, sizeof(*e->ebucket));
  e->n_abucket = 64;
  e->abucket = ms_xcalloc(e->n_abucket, sizeof(*e->abucket));
  uv_timer_init(loop, &e->dispatch);
  uv_timer_init(loop, &e->pace);
  e->open_handles = 2;
  const char *tr = getenv("MS_TRACE");
  e->trace = tr && *tr;
  *out = e;
  return MS_OK;
}

/* Everything the engine owns, once no handle and no probe is left. */
static void engine_destroy(struct ms_smtp *e)
{
  for (size_t i = 0; i < e->n_ebucket; i++) {
    struct entry *x = e->ebucket[i];
    while (x) {
      struct entry *nx = x->hnext;
      entry_free(x);
      x = nx;
    }
  }
  for (size_t i = 0; i < e->n_abucket; i++) {
    struct addrstate *s = e->abucket[i];
    while (s) {
      struct addrstate *ns = s->hnext;
      free(s);
      s = ns;
    }
  }
  free(e->ebucket);
  free(e->abucket);
  free(e->ehlo_name);
  SSL_CTX_free(e->ctx);
  free(e);
}

static void on_engine_close(uv_handle_t *h)
{
  struct ms_smtp *e = h->data;
  if (--e->open_handles == 0)
    engine_destroy(e);
}

/* Freed once the user has let go, every callback has run and every probe
 * has closed; the two timers close last. */
static void maybe_finish(struct ms_smtp *e)
{
  if (!e->freeing || e->dispatching || e->ready_head || e->live_probes > 0 ||
      e->timers_closing)
    return;
  e->timers_closing = true;
  e->dispatch.data = e->pace.data = e;
  uv_close((uv_handle_t *)&e->dispatch, on_engine_close);
  uv_close((uv_handle_t *)&e->pace, on_engine_close);
}

void ms_smtp_free(struct ms_smtp *e)
{
  if (!e || e->freeing)
    return;
  e->freeing = true;
  uv_timer_stop(&e->pace);
  while (e->pend_list) {
    struct entry *x = pend_pop(e, e->pend_list);
    complete_unprobed(e, x, MS_SMTP_CANCELED, "canceled");
  }
  /* Running probes: DONE with CANCELED; their waiters join the ready
   * queue. Walk the table, as probe_close moves entries to the done list
   * but never frees a RUNNING one (eviction only takes finished ones). */
  for (size_t i = 0; i < e->n_ebucket; i++) {
    for (struct entry *x = e->ebucket[i]; x; x = x->hnext) {
      if (x->state != ENT_RUNNING || !x->probe)
        continue;
      struct probe *p = x->probe;
      fail(p, MS_SMTP_CANCELED, "canceled");
      probe_enter(p, MS_PROBE_DONE);
    }
  }
  maybe_finish(e);
}

/* A snapshot of the counters (zeros for NULL). */
void ms_smtp_stats(const struct ms_smtp *e, struct ms_smtp_stats *out)
{
  memset(out, 0, sizeof(*out));
  if (e)
    *out = e->st;
}

bool ms_smtp_blocked(const struct ms_smtp *e)
{
  return e && e->blocked;
}

/* Lower case, one trailing dot dropped; false when not a usable name. */
static bool norm_host(const char *host, char *out, size_t cap)
{
  size_t n = strlen(host);
  if (n > 0 && host[n - 1] == '.')
    n--;
  if (n == 0 || n > HOST_MAX || n >= cap)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (host[i] < 0x21 || host[i] > 0x7e)
      return false;
    out[i] = (char)ms_ascii_lower((unsigned char)host[i]);
  }
  out[n] = '\0';
  return true;
}

/* Three ways in: port 25 blocked (SKIPPED at once), a key already known
 * (join the waiters, or copy the finished result), or a new key (start now
 * when the address allows it, else queue for the pacing timer). */
ms_err_t ms_smtp_probe(struct ms_smtp *e, const char *host,
                       const struct ms_addr *addr, struct ms_obs_smtp *res,
                       ms_smtp_done_cb cb, void *arg)
{
  char name[HOST_MAX + 1];
  if (!e || !host || !addr || !res || !cb)
    return MS_EINVAL;
  if (e->freeing)
    return MS_ECANCELED;
  if ((addr->family != 4 && addr->family != 6) ||
      !norm_host(host, name, sizeof(name)))
    return MS_EINVAL;
  e->st.requests++;
  struct waiter *w = ms_xcalloc(1, sizeof(*w));
  w->res = res;
  w->cb = cb;
  w->arg = arg;

  if (e->blocked) {
    memset(res, 0, sizeof(*res));
    res->outcome = MS_SMTP_SKIPPED;
    ms_addr_format(addr, res->address, sizeof(res->address));
    res->error = ms_xstrdup("outbound port 25 blocked");
    push_ready(e, w);
    return MS_OK;
  }
  uint64_t h = key_hash(name, addr);
  struct entry *ent = cache_find(e, name, addr, h);
  if (ent) {
    /* Joined another request's probe: shared, and never a new one. */
    e->st.shared++;
    w->shared = true;
    if (ent->state == ENT_DONE) {
      ms_obs_smtp_copy(res, &ent->result);
      res->shared = true;
      push_ready(e, w);
      return MS_OK;
    }
    if (ent->wait_tail)
      ent->wait_tail->next = w;
    else
      ent->wait_head = w;
    ent->wait_tail = w;
    return MS_OK;
  }

  if (e->n_entries >= e->n_ebucket)
    cache_grow(e);
  ent = ms_xcalloc(1, sizeof(*ent));
  ent->host = ms_xstrdup(name);
  ent->addr = *addr;
  ent->hash = h;
  ent->state = ENT_QUEUED;
  ms_addr_format(addr, ent->result.address, sizeof(ent->result.address));
  ent->wait_head = ent->wait_tail = w;
  ent->hnext = e->ebucket[h % e->n_ebucket];
  e->ebucket[h % e->n_ebucket] = ent;
  e->n_entries++;
  ent->as = addr_get(e, addr);

  uint64_t wait = 0;
  if (!ent->as->pend_head && addr_ready(e, ent->as, uv_now(e->loop), &wait)) {
    probe_start(e, ent); /* connect only: it cannot finish in here */
    return MS_OK;
  }
  pend_push(e, ent);
  pace_arm(e, wait);
  return MS_OK;
}
