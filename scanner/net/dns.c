/*
 * DNS through c-ares 1.18 on libuv: sock_state_cb -> one uv_poll_t per
 * socket, ares_timeout() -> a uv_timer, a token bucket and FIFO in front of
 * ares_query, and a per-query deadline. The lookups (TXT, MX, A+AAAA)
 * follow CNAMEs with core/dnsmsg.c, which also reads every answer.
 *
 * Life of a lookup: ms_dns_lookup_*() starts a follower, whose question is
 * queued in the FIFO; the pace timer moves it into c-ares when a token is
 * free (so nothing is sent, and nothing completes, inside the submitting
 * call); on_answer() hands the bytes to follow_result(), which either
 * finishes the follower or queues its next CNAME hop.
 *
 * Known limits (say so rather than hide them):
 * - A query abandoned by the deadline stays inside c-ares until c-ares
 *   times it out itself (there is no per-query cancel in 1.18), so the
 *   loop may run up to the c-ares total after the last callback; a late
 *   answer to it is discarded. ms_dns_free ends them at once.
 * - SO_RCVBUF is capped by net.core.rmem_max unless raised by the admin.
 * - ms_dns_free from inside a callback is deferred until c-ares returns:
 *   answers c-ares already read in that turn complete normally first.
 * - The token bucket runs on the loop's millisecond clock: above ~1000 qps
 *   queries leave in small bursts each tick rather than evenly spread.
 */
#include "net/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dnsmsg.h"
#include "util/slice.h"
#include "util/xalloc.h"

#define CLASS_IN      1
#define RCVBUF_BYTES  (4 * 1024 * 1024) /* pitfalls: bursts overflow 208 KiB */
#define EDNS_PAYLOAD  1232              /* DNS flag day 2020 */
#define DEFAULT_TMO   2000
#define DEFAULT_TRIES 2

_Static_assert(MS_DNSMSG_CHAIN_MAX == MS_CNAME_MAX, "chain caps differ");
_Static_assert(MS_DNSMSG_TXT_MAX <= MS_TXT_RECORD_MAX, "TXT caps differ");

struct follow;

/* One question: waiting for a token (FIFO), sent (in-flight list, ordered
 * by deadline because every query gets the same budget), or abandoned
 * (completed by the deadline; freed when c-ares finally calls back). */
struct query {
  struct ms_dns *dns;
  struct query *prev, *next;
  struct follow *f; /* NULL once abandoned */
  uint64_t deadline;
  int type;
  char name[MS_DNSMSG_NAME_MAX + 1];
};

struct qlist {
  struct query *head, *tail;
  size_t n;
};

/* The address cache: many domains share a few MX host names (a provider's
 * MX pair serves thousands of domains), so A+AAAA answers are kept by name
 * for the run, and a lookup of a name already in flight waits for it
 * instead of asking again. Bounded (ACACHE_MAX answers, least recently
 * used evicted); only final answers are kept (records, NODATA, NXDOMAIN),
 * never timeouts or failures, which stay per lookup. */
#define ACACHE_MAX     4096
#define ACACHE_BUCKETS 8192 /* power of two */

struct acache_waiter {
  struct ms_obs_addrs *res;  /* the caller's */
  ms_dns_done_cb cb;
  void *arg;
  struct ms_obs_addrs val;   /* a hit: its own copy, delivered later */
  struct acache_waiter *next;
};

struct acache_entry {
  struct ms_dns *dns;
  char *name;
  uint64_t hash;
  bool done;                       /* val holds the answer */
  struct ms_obs_addrs val;         /* owned (detail strings) */
  struct acache_waiter *waiters;   /* while the lookup runs */
  struct acache_entry *hnext;      /* bucket chain */
  struct acache_entry *older, *newer; /* LRU list of done entries */
};

struct acache {
  struct acache_entry *bucket[ACACHE_BUCKETS];
  struct acache_entry *oldest, *newest;
  size_t n_done;
  struct acache_waiter *ready, *ready_tail; /* hits waiting for the timer */
  uv_timer_t timer;                         /* delivers the hits */
  unsigned long hits, joined;
};

/* One c-ares socket watched by libuv. */
struct sock {
  uv_poll_t poll;
  struct ms_dns *dns;
  ares_socket_t fd;
  struct sock *next;
};

struct ms_dns {
  uv_loop_t *loop;
  ares_channel ch;
  uv_timer_t ares_timer; /* c-ares retransmits and timeouts */
  uv_timer_t pace_timer; /* drains the FIFO as tokens come in */
  uv_timer_t dl_timer;   /* the per-query deadline */
  struct sock *socks;
  struct qlist fifo, inflight;
  int qps;
  double tokens, burst;
  uint64_t last_refill;
  uint64_t budget_ms; /* timeout_ms * tries * servers */
  struct ms_dns_stats st;
  struct acache cache; /* A+AAAA answers by name, shared by the run */
  int in_ares; /* depth of calls into c-ares */
  bool in_drain;
  bool free_pending; /* ms_dns_free called from inside c-ares */
  bool closing;
  int open_handles; /* memory goes when this reaches 0 after closing */
};

/* ---- query lists -------------------------------------------------- */

/* Intrusive doubly-linked FIFO (libuv queue.h idea): O(1) push at either
 * end and O(1) removal from the middle when an answer arrives. */
static void ql_push(struct qlist *l, struct query *q)
{
  q->next = NULL;
  q->prev = l->tail;
  if (l->tail)
    l->tail->next = q;
  else
    l->head = q;
  l->tail = q;
  l->n++;
}

static void ql_remove(struct qlist *l, struct query *q)
{
  if (q->prev)
    q->prev->next = q->next;
  else
    l->head = q->next;
  if (q->next)
    q->next->prev = q->prev;
  else
    l->tail = q->prev;
  q->prev = q->next = NULL;
  l->n--;
}

static void ql_push_front(struct qlist *l, struct query *q)
{
  q->prev = NULL;
  q->next = l->head;
  if (l->head)
    l->head->prev = q;
  else
    l->tail = q;
  l->head = q;
  l->n++;
}

static struct query *ql_pop(struct qlist *l)
{
  struct query *q = l->head;
  if (q)
    ql_remove(l, q);
  return q;
}

/* ---- lookups: the CNAME follower shared by TXT, MX, A and AAAA ------- */

/* Called once per follower with the final outcome already in *out; m is
 * the answer holding the records (owned by the chain's tail) when the
 * outcome is MS_DNS_OK, else NULL. */
typedef void (*follow_done_fn)(struct follow *f, const struct ms_dnsmsg *m);

struct follow {
  struct ms_dns *dns;
  uint16_t type;
  struct ms_dnsmsg_chain chain;
  struct ms_obs_dns *out;
  follow_done_fn done;
};

static void follow_submit(struct follow *f);
static void dns_really_free(struct ms_dns *dns);
static void acache_free(struct ms_dns *dns);
/* Nothing readable: let c-ares handle its own timeouts and retries. */
static void on_ares_timer(uv_timer_t *t);
static void on_dl_timer(uv_timer_t *t);
static void on_pace_timer(uv_timer_t *t);

/* Records the outcome in the caller's ms_obs_dns (detail copied to the
 * heap) and hands over to the lookup's done function, exactly once. */
static void follow_finish(struct follow *f, enum ms_dns_outcome o, int status,
                          const char *detail, const struct ms_dnsmsg *m)
{
  ms_obs_dns_cleanup(f->out);
  f->out->outcome = o;
  f->out->status = status;
  f->out->detail = detail ? ms_xstrdup(detail) : NULL;
  f->done(f, o == MS_DNS_OK ? m : NULL);
}

/* The outcome mapping of the brief (c-ares status -> ms_dns_outcome). */
static enum ms_dns_outcome map_status(int status)
{
  switch (status) {
    case ARES_SUCCESS:
    case ARES_ENODATA:
      return MS_DNS_NODATA;
    case ARES_ENOTFOUND:
      return MS_DNS_NXDOMAIN;
    case ARES_ESERVFAIL:
      return MS_DNS_SERVFAIL;
    case ARES_EREFUSED:
      return MS_DNS_REFUSED;
    case ARES_ETIMEOUT:
    case ARES_ECONNREFUSED: /* resolver unreachable */
      return MS_DNS_TIMEOUT;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      return MS_DNS_CANCELED;
    default:
      return MS_DNS_BAD_REPLY;
  }
}

/* One answer (or failure) for the follower's current question. */
static void follow_result(struct follow *f, int status, const uint8_t *abuf,
                          size_t alen)
{
  struct ms_dnsmsg *m = NULL;
  bool parsed = false;

  /* c-ares hands over the answer even for NXDOMAIN/SERVFAIL: read it, so
   * a CNAME chain ending in NXDOMAIN is still recorded. */
  if (abuf && alen) {
    m = ms_xmalloc(sizeof(*m));
    parsed = ms_dnsmsg_parse(abuf, alen, m) == MS_OK;
  }
  if (status == ARES_SUCCESS && !parsed) {
    follow_finish(f, MS_DNS_BAD_REPLY, ARES_EBADRESP,
                  "malformed answer (core/dnsmsg rejected it)", NULL);
    free(m);
    return;
  }
  if (parsed) {
    size_t before = f->chain.n;
    switch (ms_dnsmsg_chase(m, f->type, &f->chain)) {
      case MS_DNSMSG_CHASE_FOUND:
        follow_finish(f, MS_DNS_OK, ARES_SUCCESS, NULL, m);
        free(m);
        return;
      case MS_DNSMSG_CHASE_LOOP:
        follow_finish(f, MS_DNS_CNAME_LOOP, status, "CNAME chain loops", NULL);
        free(m);
        return;
      case MS_DNSMSG_CHASE_TOO_LONG:
        follow_finish(f, MS_DNS_CNAME_LOOP, status, "more than 8 CNAME hops",
                      NULL);
        free(m);
        return;
      case MS_DNSMSG_CHASE_END:
        break;
    }
    /* The answer stops at an alias target without its records (typical of
     * an authoritative server for an out-of-zone target): ask for it.
     * With NXDOMAIN the rcode already speaks for the last name (RFC 6604). */
    bool noerror = m->rcode == MS_DNS_RCODE_NOERROR &&
                   (status == ARES_SUCCESS || status == ARES_ENODATA);
    free(m);
    if (f->chain.n > before && noerror) {
      follow_submit(f);
      return;
    }
  } else {
    free(m);
  }
  if (status == ARES_SUCCESS)
    status = ARES_ENODATA; /* NOERROR without records of the type */
  follow_finish(f, map_status(status), status, ares_strerror(status), NULL);
}

/* ---- c-ares <-> libuv plumbing ----------------------------------- */

/* Close callback of every handle we own. The struct ms_dns itself goes
 * with the last one: uv may still touch a handle until its close callback
 * ran, so freeing earlier would be a use-after-free (libuv handle.rst). */
static void on_handle_closed(uv_handle_t *h)
{
  struct ms_dns *dns = h->data;
  if (h->type == UV_POLL)
    free(h); /* the uv_poll_t is the first member of struct sock */
  if (--dns->open_handles == 0 && dns->closing)
    free(dns);
}

/* Re-arms the c-ares timer from ares_timeout(), which answers "how long
 * until c-ares next needs ares_process_fd for a retransmit or timeout".
 * Called after every entry into c-ares, since any of them can change it. */
static void ares_timer_update(struct ms_dns *dns)
{
  struct timeval tv, *tvp;
  if (dns->closing)
    return;
  tvp = ares_timeout(dns->ch, NULL, &tv);
  if (!tvp) {
    uv_timer_stop(&dns->ares_timer);
    return;
  }
  uint64_t ms =
      (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) / 1000;
  /* libuv 1.44 runs a 0 ms timer re-armed in its own callback again in the
   * same pass: never ask for 0. */
  uv_timer_start(&dns->ares_timer, on_ares_timer, ms ? ms : 1, 0);
}

/* Leaves a c-ares call: performs a deferred ms_dns_free (c-ares must not
 * be destroyed from inside its own callbacks) and re-arms the timer. */
static void ares_leave(struct ms_dns *dns)
{
  if (--dns->in_ares == 0 && dns->free_pending && !dns->closing) {
    dns_really_free(dns);
    return;
  }
  ares_timer_update(dns);
}

static void on_ares_timer(uv_timer_t *t)
{
  struct ms_dns *dns = t->data;
  dns->in_ares++;
  ares_process_fd(dns->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  ares_leave(dns);
}

/* A c-ares socket is ready: let c-ares read/write it. */
static void on_poll(uv_poll_t *p, int status, int events)
{
  struct sock *s = (struct sock *)p;
  struct ms_dns *dns = s->dns;
  ares_socket_t fd = s->fd;
  ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;
  /* On a poll error let c-ares try both directions and see the error. */
  if (status < 0 || (events & UV_READABLE))
    rfd = fd;
  if (status < 0 || (events & UV_WRITABLE))
    wfd = fd;
  dns->in_ares++;
  ares_process_fd(dns->ch, rfd, wfd); /* may close s: do not touch it */
  ares_leave(dns);
}

/* c-ares' ARES_OPT_SOCK_STATE_CB: it tells which sockets it wants watched
 * and for what (not ares_getsock, capped at 16 sockets). Both flags clear
 * means the socket is about to be closed: c-ares calls this before
 * close(), so uv_poll_stop still works on a live descriptor. A list is
 * enough: c-ares keeps one UDP socket per server plus TCP fallbacks. */
static void on_sock_state(void *data, ares_socket_t fd, int readable,
                          int writable)
{
  struct ms_dns *dns = data;
  struct sock **pp = &dns->socks, *s;
  while (*pp && (*pp)->fd != fd)
    pp = &(*pp)->next;
  s = *pp;
  if (!readable && !writable) {
    if (s) {
      *pp = s->next;
      uv_close((uv_handle_t *)&s->poll, on_handle_closed);
    }
    return;
  }
  if (!s) {
    s = ms_xcalloc(1, sizeof(*s));
    s->dns = dns;
    s->fd = fd;
    if (uv_poll_init_socket(dns->loop, &s->poll, fd) != 0) {
      /* Unwatchable socket: its queries end by their deadline. */
      free(s);
      return;
    }
    s->poll.data = dns;
    dns->open_handles++;
    s->next = dns->socks;
    dns->socks = s;
  }
  int ev = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  uv_poll_start(&s->poll, ev, on_poll);
}

/* The c-ares completion of one sent query. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen)
{
  struct query *q = arg;
  struct ms_dns *dns = q->dns;
  struct follow *f = q->f;
  (void)timeouts;
  if (abuf)
    dns->st.answered++;
  if (!f) { /* already completed as a timeout by the deadline */
    free(q);
    return;
  }
  if (status == ARES_ETIMEOUT)
    dns->st.timeouts++;
  ql_remove(&dns->inflight, q);
  free(q);
  /* An idle deadline timer would keep the loop alive: stop it when the
   * last query is answered (otherwise it fires early and re-arms). */
  if (!dns->inflight.head && !dns->closing)
    uv_timer_stop(&dns->dl_timer);
  follow_result(f, status, abuf, alen > 0 ? (size_t)alen : 0);
}

/* ---- pacing (token bucket + FIFO) and deadlines ---------------------- */

/* Arms the deadline timer for the oldest query in flight (the list is in
 * send order and every query has the same budget, so it is the earliest). */
static void dl_timer_update(struct ms_dns *dns)
{
  struct query *q = dns->inflight.head;
  if (dns->closing)
    return;
  if (!q) {
    uv_timer_stop(&dns->dl_timer);
    return;
  }
  uint64_t now = uv_now(dns->loop);
  uint64_t ms = q->deadline > now ? q->deadline - now : 1;
  uv_timer_start(&dns->dl_timer, on_dl_timer, ms, 0);
}

/* Completes queries whose budget is spent. c-ares doubles the per-try
 * timeout once every server was tried (1.18: timeout << try/nservers), so
 * without this a 2000 ms x 2 tries query would live 6 s, not 4 s. */
static void on_dl_timer(uv_timer_t *t)
{
  struct ms_dns *dns = t->data;
  uint64_t now = uv_now(dns->loop);
  struct query *q;
  while (!dns->closing && (q = dns->inflight.head) && q->deadline <= now) {
    struct follow *f = q->f;
    ql_remove(&dns->inflight, q);
    q->f = NULL; /* freed by on_answer when c-ares lets go of it */
    dns->st.timeouts++;
    follow_result(f, ARES_ETIMEOUT, NULL, 0);
  }
  dl_timer_update(dns);
}

/* Moves one question from the FIFO into c-ares. Only ever called from the
 * pace timer, so completions c-ares delivers synchronously (bad name,
 * no memory) are already outside any submitting call. */
static void send_query(struct ms_dns *dns, struct query *q)
{
  q->deadline = uv_now(dns->loop) + dns->budget_ms;
  ql_push(&dns->inflight, q);
  if (!uv_is_active((uv_handle_t *)&dns->dl_timer))
    dl_timer_update(dns);
  dns->st.sent++;
  dns->in_ares++;
  /* ares_query: class IN, no search list (ARES_FLAG_NOSEARCH as well). */
  ares_query(dns->ch, q->name, CLASS_IN, q->type, on_answer, q);
  ares_leave(dns);
}

/* Token bucket: refill at qps per second up to burst, send one question
 * per token, then sleep until the next token is due. With qps 0 the whole
 * FIFO goes at once (fine for a handful of lookups, lossy for thousands). */
static void drain(struct ms_dns *dns)
{
  if (dns->qps > 0) {
    uint64_t now = uv_now(dns->loop);
    dns->tokens += (double)(now - dns->last_refill) * dns->qps / 1000.0;
    if (dns->tokens > dns->burst)
      dns->tokens = dns->burst;
    dns->last_refill = now;
  }
  dns->in_drain = true;
  /* Queries submitted by completions inside this loop join the FIFO and
   * are picked up here too. */
  while (!dns->closing && dns->fifo.head) {
    if (dns->qps > 0) {
      if (dns->tokens < 1.0)
        break;
      dns->tokens -= 1.0;
    }
    send_query(dns, ql_pop(&dns->fifo));
  }
  dns->in_drain = false;
  if (!dns->closing && dns->fifo.head) {
    double wait = (1.0 - dns->tokens) * 1000.0 / dns->qps;
    uint64_t ms = wait < 1.0 ? 1 : (uint64_t)wait + 1;
    uv_timer_start(&dns->pace_timer, on_pace_timer, ms, 0);
  }
}

static void on_pace_timer(uv_timer_t *t)
{
  drain(t->data);
}

/* Queues the follower's next question (the chain's tail). Never sends
 * from here: the submitting call must not see its own completion. */
static void follow_submit(struct follow *f)
{
  struct ms_dns *dns = f->dns;
  if (dns->closing) {
    follow_finish(f, MS_DNS_CANCELED, ARES_EDESTRUCTION,
                  ares_strerror(ARES_EDESTRUCTION), NULL);
    return;
  }
  struct query *q = ms_xcalloc(1, sizeof(*q));
  q->dns = dns;
  q->f = f;
  q->type = f->type;
  memcpy(q->name, ms_dnsmsg_chain_tail(&f->chain), sizeof(q->name));
  /* A CNAME hop finishes work already started: it goes before the new
   * lookups, which keeps latency and memory bounded under a long queue. */
  if (f->chain.n > 0)
    ql_push_front(&dns->fifo, q);
  else
    ql_push(&dns->fifo, q);
  if (!dns->in_drain && !uv_is_active((uv_handle_t *)&dns->pace_timer))
    uv_timer_start(&dns->pace_timer, on_pace_timer, 0, 0);
}

/* ---- channel life ------------------------------------------------ */

/* One resolver entry: IPv4[:PORT], bare IPv6, or [IPv6][:PORT]. */
static bool server_ok(struct ms_slice item)
{
  char host[64];
  unsigned char bin[16];
  struct ms_slice h, port = {NULL, 0};
  bool found;
  uint64_t pv;

  if (item.len && item.ptr[0] == '[') {
    struct ms_slice in = ms_slice_make(item.ptr + 1, item.len - 1);
    struct ms_slice after = ms_slice_split(in, ']', &h, &found);
    if (!found)
      return false;
    if (after.len) {
      if (after.ptr[0] != ':')
        return false;
      port = ms_slice_make(after.ptr + 1, after.len - 1);
      if (port.len == 0)
        return false;
    }
  } else {
    struct ms_slice tail = ms_slice_split(item, ':', &h, &found);
    if (found && memchr(tail.ptr, ':', tail.len))
      h = item; /* two or more colons: a bare IPv6 address */
    else if (found) {
      port = tail;
      if (port.len == 0)
        return false;
    }
  }
  if (port.len && (!ms_slice_parse_u64(port, 5, &pv) || pv == 0 || pv > 65535))
    return false;
  if (h.len == 0 || h.len >= sizeof(host))
    return false;
  ms_slice_copy(h, host, sizeof(host));
  return inet_pton(AF_INET, host, bin) == 1 ||
         inet_pton(AF_INET6, host, bin) == 1;
}

/* Checks the whole comma-separated list before c-ares sees it: 1.18
 * accepts some junk (ports are read with atoi). */
static bool servers_valid(const char *csv, char *why, size_t whylen)
{
  struct ms_slice rest = ms_slice_cstr(csv), item;
  bool more = rest.len > 0;
  if (!more) {
    snprintf(why, whylen, "empty resolver list");
    return false;
  }
  while (more) {
    rest = ms_slice_split(rest, ',', &item, &more);
    item = ms_slice_trim_wsp(item);
    if (!server_ok(item)) {
      snprintf(why, whylen,
               "bad resolver \"%.*s\": expected IPv4[:PORT], IPv6 or "
               "[IPv6]:PORT",
               (int)(item.len > 80 ? 80 : item.len), item.len ? item.ptr : "");
      return false;
    }
  }
  return true;
}

/* Order matters: the server list is checked and the c-ares channel made
 * before any uv handle exists, so every failure path is a plain free()
 * and the caller never has to run the loop to clean up a failed create. */
ms_err_t ms_dns_new(uv_loop_t *loop, const struct ms_dns_config *cfg,
                    struct ms_dns **out, char *errbuf, size_t errlen)
{
  static bool lib_ready;
  struct ares_options opt;
  struct ms_dns *dns;
  int tmo = cfg && cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TMO;
  int tries = cfg && cfg->tries > 0 ? cfg->tries : DEFAULT_TRIES;
  int rc;

  *out = NULL;
  if (errlen)
    errbuf[0] = '\0';
  if (cfg && cfg->servers && !servers_valid(cfg->servers, errbuf, errlen))
    return MS_EINVAL;
  if (!lib_ready) {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
      snprintf(errbuf, errlen, "ares_library_init failed");
      return MS_ESYS;
    }
    lib_ready = true;
  }
  dns = ms_xcalloc(1, sizeof(*dns));
  dns->loop = loop;
  memset(&opt, 0, sizeof(opt));
  /* NOCHECKRESP: report SERVFAIL/REFUSED instead of retrying silently. */
  opt.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
  opt.ednspsz = EDNS_PAYLOAD;
  opt.timeout = tmo;
  opt.tries = tries;
  opt.sock_state_cb = on_sock_state;
  opt.sock_state_cb_data = dns;
  opt.socket_receive_buffer_size = RCVBUF_BYTES;
  rc = ares_init_options(&dns->ch, &opt,
                         ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ |
                             ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                             ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF);
  if (rc != ARES_SUCCESS) {
    snprintf(errbuf, errlen, "c-ares: %s", ares_strerror(rc));
    free(dns);
    return MS_ESYS;
  }
  if (cfg && cfg->servers) {
    rc = ares_set_servers_ports_csv(dns->ch, cfg->servers);
    if (rc != ARES_SUCCESS) {
      snprintf(errbuf, errlen, "bad resolver list \"%s\": %s", cfg->servers,
               ares_strerror(rc));
      ares_destroy(dns->ch);
      free(dns);
      return rc == ARES_ENOMEM ? MS_ESYS : MS_EINVAL;
    }
  }
  /* The lookup budget covers every try on every server. */
  struct ares_addr_port_node *list = NULL;
  uint64_t nserv = 0;
  if (ares_get_servers_ports(dns->ch, &list) == ARES_SUCCESS) {
    for (struct ares_addr_port_node *n = list; n; n = n->next)
      nserv++;
    ares_free_data(list);
  }
  dns->budget_ms = (uint64_t)tmo * (uint64_t)tries * (nserv ? nserv : 1);
  dns->qps = cfg && cfg->qps > 0 ? cfg->qps : 0;
  /* Burst of 50 ms worth of queries, at least one. */
  dns->burst = dns->qps > 20 ? dns->qps / 20.0 : 1.0;
  dns->tokens = dns->burst;
  dns->last_refill = uv_now(loop);

  uv_timer_init(loop, &dns->ares_timer);
  uv_timer_init(loop, &dns->pace_timer);
  uv_timer_init(loop, &dns->dl_timer);
  uv_timer_init(loop, &dns->cache.timer);
  dns->ares_timer.data = dns->pace_timer.data = dns->dl_timer.data = dns;
  dns->cache.timer.data = dns;
  dns->open_handles = 4;
  *out = dns;
  return MS_OK;
}

/* The teardown itself: cancel, destroy the channel, close every handle.
 * The memory is released by on_handle_closed after the loop ran. */
static void dns_really_free(struct ms_dns *dns)
{
  struct query *q;
  dns->closing = true;
  /* Not yet sent: complete them here. */
  while ((q = ql_pop(&dns->fifo))) {
    struct follow *f = q->f;
    free(q);
    follow_finish(f, MS_DNS_CANCELED, ARES_EDESTRUCTION,
                  ares_strerror(ARES_EDESTRUCTION), NULL);
  }
  /* In flight (and abandoned): c-ares calls back with ARES_EDESTRUCTION
   * and closes its sockets through on_sock_state. */
  ares_destroy(dns->ch);
  dns->ch = NULL;
  while (dns->socks) {
    struct sock *s = dns->socks;
    dns->socks = s->next;
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  }
  uv_close((uv_handle_t *)&dns->ares_timer, on_handle_closed);
  uv_close((uv_handle_t *)&dns->pace_timer, on_handle_closed);
  uv_close((uv_handle_t *)&dns->dl_timer, on_handle_closed);
  acache_free(dns);
  uv_close((uv_handle_t *)&dns->cache.timer, on_handle_closed);
}

void ms_dns_free(struct ms_dns *dns)
{
  if (!dns || dns->closing || dns->free_pending)
    return;
  dns->free_pending = true;
  if (dns->in_ares == 0)
    dns_really_free(dns);
}

void ms_dns_stats(const struct ms_dns *dns, struct ms_dns_stats *out)
{
  memset(out, 0, sizeof(*out));
  if (!dns)
    return;
  *out = dns->st;
  out->queued = (unsigned long)dns->fifo.n;
}

/* Validates and starts a follower; MS_OK means done() will run later. */
static ms_err_t follow_start(struct ms_dns *dns, struct follow *f,
                             const char *name, uint16_t type,
                             struct ms_obs_dns *out, follow_done_fn done)
{
  size_t n = name ? strlen(name) : 0;
  if (n > 0 && name[n - 1] == '.')
    n--;
  if (n == 0 || n > 253 || !ms_dnsmsg_chain_init(&f->chain, name))
    return MS_EINVAL;
  f->dns = dns;
  f->type = type;
  f->out = out;
  f->done = done;
  follow_submit(f);
  return MS_OK;
}

static bool usable(const struct ms_dns *dns)
{
  return dns && !dns->closing && !dns->free_pending;
}

/* ---- TXT ---------------------------------------------------------- */

/* RFC 8461 3.1 discovery record (and RFC 8460 TLS-RPT): the follower's
 * chain becomes res->cname_chain, the final owner's TXT RRs the records. */
struct txt_lookup {
  struct follow f; /* first member: the follower is the lookup */
  struct ms_obs_txt *res;
  ms_dns_done_cb cb;
  void *arg;
};

static void txt_done(struct follow *f, const struct ms_dnsmsg *m)
{
  struct txt_lookup *l = (struct txt_lookup *)f;
  struct ms_obs_txt *res = l->res;
  const char *tail = ms_dnsmsg_chain_tail(&f->chain);
  ms_dns_done_cb cb = l->cb;
  void *arg = l->arg;

  for (size_t i = 0; i < f->chain.n; i++)
    res->cname_chain[res->n_cname++] = ms_xstrdup(f->chain.name[i]);
  for (size_t i = 0; m && i < m->n_rr; i++) {
    const struct ms_dnsmsg_rr *rr = &m->rr[i];
    if (rr->type != MS_DNS_T_TXT || strcmp(rr->owner, tail) != 0)
      continue;
    if (res->n_records == MS_TXT_RECORDS_MAX) {
      res->records_dropped++;
      continue;
    }
    /* One entry per RR, its strings already joined (RFC 8461 3.1). */
    if (rr->txt_truncated)
      res->records_truncated++; /* cut at the reader's cap */
    res->records[res->n_records] =
        ms_xstrndup(m->txtbuf + rr->txt_off, rr->txt_len);
    res->record_len[res->n_records++] = rr->txt_len;
  }
  if (m)
    res->records_dropped += m->rr_dropped;
  free(l);
  cb(arg);
}

ms_err_t ms_dns_lookup_txt(struct ms_dns *dns, const char *name,
                           struct ms_obs_txt *res, ms_dns_done_cb cb, void *arg)
{
  if (!usable(dns))
    return dns ? MS_ECANCELED : MS_EINVAL;
  if (!res || !cb)
    return MS_EINVAL;
  struct txt_lookup *l = ms_xcalloc(1, sizeof(*l));
  l->res = res;
  l->cb = cb;
  l->arg = arg;
  /* Reset what this lookup fills, so a reused struct does not leak. */
  ms_obs_txt_cleanup(res);
  ms_err_t err =
      follow_start(dns, &l->f, name, MS_DNS_T_TXT, &res->dns, txt_done);
  if (err != MS_OK) {
    free(l);
    return err;
  }
  res->qname = ms_xstrdup(l->f.chain.qname);
  return MS_OK;
}

/* ---- MX ----------------------------------------------------------- */

/* RFC 5321 5.1 MX set; sorting, dedup and null MX live in core/dnsmsg. */
struct mx_lookup {
  struct follow f;
  struct ms_obs_mx *res;
  ms_dns_done_cb cb;
  void *arg;
};

static void mx_done(struct follow *f, const struct ms_dnsmsg *m)
{
  struct mx_lookup *l = (struct mx_lookup *)f;
  struct ms_obs_mx *res = l->res;
  ms_dns_done_cb cb = l->cb;
  void *arg = l->arg;

  if (m) {
    struct ms_dnsmsg_mx hosts[MS_MX_HOSTS_MAX];
    size_t n = ms_dnsmsg_mx_collect(m, ms_dnsmsg_chain_tail(&f->chain), hosts,
                                    MS_MX_HOSTS_MAX, &res->hosts_dropped,
                                    &res->null_mx);
    for (size_t i = 0; i < n; i++) {
      res->host[i].host = ms_xstrdup(hosts[i].host);
      res->host[i].preference = hosts[i].preference;
    }
    res->n_host = n;
  }
  free(l);
  cb(arg);
}

ms_err_t ms_dns_lookup_mx(struct ms_dns *dns, const char *domain,
                          struct ms_obs_mx *res, ms_dns_done_cb cb, void *arg)
{
  if (!usable(dns))
    return dns ? MS_ECANCELED : MS_EINVAL;
  if (!res || !cb)
    return MS_EINVAL;
  struct mx_lookup *l = ms_xcalloc(1, sizeof(*l));
  l->res = res;
  l->cb = cb;
  l->arg = arg;
  ms_err_t err =
      follow_start(dns, &l->f, domain, MS_DNS_T_MX, &res->dns, mx_done);
  if (err != MS_OK)
    free(l);
  return err;
}

/* ---- A + AAAA ----------------------------------------------------- */

/* Two followers (A and AAAA) sharing one result; pending counts down. */
struct addrs_lookup {
  struct follow fa, faaaa;
  struct ms_obs_addrs *res;
  struct ms_addr v4[MS_ADDRS_MAX], v6[MS_ADDRS_MAX];
  size_t n4, n6;
  int pending;
  ms_dns_done_cb cb;
  void *arg;
};

static void addrs_collect(const struct ms_dnsmsg *m, const char *owner,
                          uint16_t type, struct ms_addr *dst, size_t *n)
{
  for (size_t i = 0; m && i < m->n_rr; i++) {
    const struct ms_dnsmsg_rr *rr = &m->rr[i];
    bool dup = false;
    if (rr->type != type || strcmp(rr->owner, owner) != 0)
      continue;
    for (size_t j = 0; j < *n && !dup; j++)
      dup = memcmp(dst[j].bytes, rr->addr.bytes, sizeof(rr->addr.bytes)) == 0;
    if (!dup && *n < MS_ADDRS_MAX)
      dst[(*n)++] = rr->addr;
  }
}

/* One of the two followers is done: keep its addresses; the second one
 * to finish merges them and calls the user back. */
static void addrs_done(struct follow *f, const struct ms_dnsmsg *m)
{
  struct addrs_lookup *l;
  if (f->type == MS_DNS_T_A) {
    l = (struct addrs_lookup *)f;
    addrs_collect(m, ms_dnsmsg_chain_tail(&f->chain), MS_DNS_T_A, l->v4,
                  &l->n4);
  } else {
    l = (struct addrs_lookup *)((char *)f -
                                offsetof(struct addrs_lookup, faaaa));
    addrs_collect(m, ms_dnsmsg_chain_tail(&f->chain), MS_DNS_T_AAAA, l->v6,
                  &l->n6);
  }
  if (--l->pending > 0)
    return;
  /* Both answers in: IPv4 first, then IPv6, within MS_ADDRS_MAX. */
  struct ms_obs_addrs *res = l->res;
  res->n_addr = 0;
  for (size_t i = 0; i < l->n4 && res->n_addr < MS_ADDRS_MAX; i++)
    res->addr[res->n_addr++] = l->v4[i];
  for (size_t i = 0; i < l->n6 && res->n_addr < MS_ADDRS_MAX; i++)
    res->addr[res->n_addr++] = l->v6[i];
  ms_dns_done_cb cb = l->cb;
  void *arg = l->arg;
  free(l);
  cb(arg);
}

/* Starts the two followers of one name (no cache). */
static ms_err_t addrs_start(struct ms_dns *dns, const char *name,
                            struct ms_obs_addrs *res, ms_dns_done_cb cb,
                            void *arg)
{
  struct addrs_lookup *l = ms_xcalloc(1, sizeof(*l));
  l->res = res;
  l->cb = cb;
  l->arg = arg;
  l->pending = 2;
  ms_obs_addrs_cleanup(res);
  /* Both followers only queue here, so neither can finish before the
   * second is started. */
  ms_err_t err =
      follow_start(dns, &l->fa, name, MS_DNS_T_A, &res->a, addrs_done);
  if (err != MS_OK) {
    free(l);
    return err;
  }
  follow_start(dns, &l->faaaa, name, MS_DNS_T_AAAA, &res->aaaa, addrs_done);
  return MS_OK;
}

/* ---- the address cache (see struct acache) ------------------------- */

static uint64_t name_hash(const char *s)
{
  uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

/* A deep copy (the detail strings are the copy's own). */
static void addrs_copy(struct ms_obs_addrs *dst, const struct ms_obs_addrs *src)
{
  *dst = *src;
  dst->a.detail = src->a.detail ? ms_xstrdup(src->a.detail) : NULL;
  dst->aaaa.detail = src->aaaa.detail ? ms_xstrdup(src->aaaa.detail) : NULL;
}

/* Answers worth keeping for the run: what the zone says, not what the
 * network did (a timeout or SERVFAIL may be gone on the next ask). */
static bool outcome_final(enum ms_dns_outcome o)
{
  return o == MS_DNS_OK || o == MS_DNS_NODATA || o == MS_DNS_NXDOMAIN;
}

static struct acache_entry **acache_slot(struct acache *c, const char *name,
                                         uint64_t h)
{
  struct acache_entry **pp = &c->bucket[h & (ACACHE_BUCKETS - 1)];
  while (*pp && ((*pp)->hash != h || strcmp((*pp)->name, name) != 0))
    pp = &(*pp)->hnext;
  return pp;
}

static void lru_unlink(struct acache *c, struct acache_entry *e)
{
  if (e->older)
    e->older->newer = e->newer;
  else
    c->oldest = e->newer;
  if (e->newer)
    e->newer->older = e->older;
  else
    c->newest = e->older;
  e->older = e->newer = NULL;
}

static void lru_push(struct acache *c, struct acache_entry *e)
{
  e->newer = NULL;
  e->older = c->newest;
  if (c->newest)
    c->newest->newer = e;
  else
    c->oldest = e;
  c->newest = e;
}

/* Unlinks e from its bucket (and the LRU list when done) and frees it. */
static void acache_drop(struct acache *c, struct acache_entry *e)
{
  struct acache_entry **pp = acache_slot(c, e->name, e->hash);
  if (*pp == e)
    *pp = e->hnext;
  if (e->done) {
    lru_unlink(c, e);
    c->n_done--;
  }
  ms_obs_addrs_cleanup(&e->val);
  free(e->name);
  free(e);
}

/* Hands a result (moved) to one waiter and calls it back. */
static void waiter_deliver(struct acache_waiter *w)
{
  ms_obs_addrs_cleanup(w->res);
  *w->res = w->val;
  ms_dns_done_cb cb = w->cb;
  void *arg = w->arg;
  free(w);
  cb(arg);
}

/* The one lookup of a name finished: every waiter gets its own copy. The
 * entry stays (as the newest, the oldest evicted beyond ACACHE_MAX) when
 * the answer is final, else it goes, so the next ask of that name tries
 * the network again. Everything is settled before the first callback:
 * callbacks may start lookups that evict entries, even this one. */
static void acache_done(void *arg)
{
  struct acache_entry *e = arg;
  struct acache *c = &e->dns->cache;
  struct acache_waiter *w = e->waiters, *next;
  e->waiters = NULL;
  for (struct acache_waiter *x = w; x; x = x->next)
    addrs_copy(&x->val, &e->val);
  if (outcome_final(e->val.a.outcome) && outcome_final(e->val.aaaa.outcome) &&
      !e->dns->closing) {
    e->done = true;
    c->n_done++;
    lru_push(c, e);
    while (c->n_done > ACACHE_MAX)
      acache_drop(c, c->oldest);
  } else {
    acache_drop(c, e);
  }
  for (; w; w = next) {
    next = w->next;
    waiter_deliver(w);
  }
}

/* Delivers the cache hits queued since the last turn. */
static void on_acache_timer(uv_timer_t *t)
{
  struct ms_dns *dns = t->data;
  struct acache_waiter *w = dns->cache.ready, *next;
  dns->cache.ready = dns->cache.ready_tail = NULL;
  for (; w; w = next) {
    next = w->next;
    waiter_deliver(w);
  }
}

static struct acache_waiter *waiter_new(struct ms_obs_addrs *res,
                                        ms_dns_done_cb cb, void *arg)
{
  struct acache_waiter *w = ms_xcalloc(1, sizeof(*w));
  w->res = res;
  w->cb = cb;
  w->arg = arg;
  return w;
}

/* The checks both address lookups start with: MS_OK when they may go. */
static ms_err_t addrs_args(const struct ms_dns *dns, const char *name,
                           const struct ms_obs_addrs *res, ms_dns_done_cb cb)
{
  if (!usable(dns))
    return dns ? MS_ECANCELED : MS_EINVAL;
  return res && cb && name ? MS_OK : MS_EINVAL;
}

ms_err_t ms_dns_lookup_addrs_once(struct ms_dns *dns, const char *name,
                                  struct ms_obs_addrs *res, ms_dns_done_cb cb,
                                  void *arg)
{
  ms_err_t err = addrs_args(dns, name, res, cb);
  return err != MS_OK ? err : addrs_start(dns, name, res, cb, arg);
}

ms_err_t ms_dns_lookup_addrs(struct ms_dns *dns, const char *name,
                             struct ms_obs_addrs *res, ms_dns_done_cb cb,
                             void *arg)
{
  ms_err_t err = addrs_args(dns, name, res, cb);
  if (err != MS_OK)
    return err;
  struct acache *c = &dns->cache;
  uint64_t h = name_hash(name);
  struct acache_entry **pp = acache_slot(c, name, h), *e = *pp;
  ms_obs_addrs_cleanup(res);
  if (e && e->done) {
    /* A hit: a copy now, the callback from the loop (a 0 ms timer). */
    struct acache_waiter *w = waiter_new(res, cb, arg);
    addrs_copy(&w->val, &e->val);
    if (c->ready_tail)
      c->ready_tail->next = w;
    else
      c->ready = w;
    c->ready_tail = w;
    lru_unlink(c, e);
    lru_push(c, e);
    c->hits++;
    if (!uv_is_active((uv_handle_t *)&c->timer))
      uv_timer_start(&c->timer, on_acache_timer, 0, 0);
    return MS_OK;
  }
  if (e) {
    /* Already asked: wait for that answer. */
    struct acache_waiter *w = waiter_new(res, cb, arg);
    w->next = e->waiters;
    e->waiters = w;
    c->joined++;
    return MS_OK;
  }
  e = ms_xcalloc(1, sizeof(*e));
  e->dns = dns;
  e->name = ms_xstrdup(name);
  e->hash = h;
  err = addrs_start(dns, name, &e->val, acache_done, e);
  if (err != MS_OK) {
    free(e->name);
    free(e);
    return err;
  }
  e->waiters = waiter_new(res, cb, arg);
  e->hnext = NULL;
  *pp = e;
  return MS_OK;
}

/* Teardown: the pending lookups were canceled (their waiters called back);
 * queued hits are delivered, then every entry goes. */
static void acache_free(struct ms_dns *dns)
{
  struct acache *c = &dns->cache;
  on_acache_timer(&c->timer);
  for (size_t i = 0; i < ACACHE_BUCKETS; i++) {
    while (c->bucket[i]) {
      struct acache_entry *e = c->bucket[i];
      c->bucket[i] = e->hnext;
      ms_obs_addrs_cleanup(&e->val);
      free(e->name);
      free(e);
    }
  }
  c->oldest = c->newest = NULL;
  c->n_done = 0;
}

/* ---- TLSA --------------------------------------------------------- */

/* DANE TLSA records of an MX host (RFC 7672): only their presence matters
 * to the scanner (SMTP_DANE_TLSA). */
struct tlsa_lookup {
  struct follow f;
  bool *has_tlsa;
  ms_dns_done_cb cb;
  void *arg;
};

static void tlsa_done(struct follow *f, const struct ms_dnsmsg *m)
{
  struct tlsa_lookup *l = (struct tlsa_lookup *)f;
  const char *tail = ms_dnsmsg_chain_tail(&f->chain);
  ms_dns_done_cb cb = l->cb;
  void *arg = l->arg;
  *l->has_tlsa = false;
  for (size_t i = 0; m && i < m->n_rr; i++) {
    if (m->rr[i].type == MS_DNS_T_TLSA && strcmp(m->rr[i].owner, tail) == 0)
      *l->has_tlsa = true;
  }
  free(l);
  cb(arg);
}

ms_err_t ms_dns_lookup_tlsa(struct ms_dns *dns, const char *name,
                            struct ms_obs_dns *res, bool *has_tlsa,
                            ms_dns_done_cb cb, void *arg)
{
  if (!usable(dns))
    return dns ? MS_ECANCELED : MS_EINVAL;
  if (!res || !has_tlsa || !cb)
    return MS_EINVAL;
  struct tlsa_lookup *l = ms_xcalloc(1, sizeof(*l));
  l->has_tlsa = has_tlsa;
  l->cb = cb;
  l->arg = arg;
  ms_err_t err = follow_start(dns, &l->f, name, MS_DNS_T_TLSA, res, tlsa_done);
  if (err != MS_OK)
    free(l);
  return err;
}
