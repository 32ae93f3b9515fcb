/*
 * DNS through c-ares on the libuv loop (sock_state_cb -> uv_poll, the
 * ares timeout -> uv_timer), paced by a token bucket, and the lookups the
 * scanner needs on top of it: TXT with CNAMEs followed, MX, A+AAAA, TLSA.
 * Owns <ares.h>: nothing else includes it. Does not interpret records
 * (core/ does). Tests: the lab (tests/lab), core/dnsmsg.c in unit tests.
 *
 * Contract (style 3.1 principle 4): when a lookup function returns MS_OK,
 * its callback runs exactly once, later, from the loop (never inside the
 * call); on any error it never runs. The result struct handed to the
 * callback is the caller's own (passed in), filled in place.
 */
#ifndef MS_NET_DNS_H
#define MS_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/obs.h"
#include "util/err.h"

struct ms_dns;

struct ms_dns_config {
  const char *servers; /* "host[:port],[v6]:port"; NULL: /etc/resolv.conf */
  int timeout_ms;      /* per try; default 2000 */
  int tries;           /* default 2 */
  int qps;             /* queries started per second; 0: unlimited */
};

/* Creates the resolver on loop. MS_EINVAL for a bad server list (message
 * in errbuf), MS_ESYS when c-ares cannot start. */
ms_err_t ms_dns_new(uv_loop_t *loop, const struct ms_dns_config *cfg,
                    struct ms_dns **out, char *errbuf, size_t errlen);
/* Cancels every outstanding query (their callbacks run with
 * MS_DNS_CANCELED from within this call's loop turn) and starts closing the
 * uv handles; the memory goes once they are closed. NULL-safe. */
void ms_dns_free(struct ms_dns *dns);

/* Counters for the status line and benchmarks. */
struct ms_dns_stats {
  unsigned long sent, answered, timeouts, queued;
};
void ms_dns_stats(const struct ms_dns *dns, struct ms_dns_stats *out);

typedef void (*ms_dns_done_cb)(void *arg);

/* TXT lookup of name with CNAMEs followed (at most MS_CNAME_MAX hops,
 * loops detected). Fills *res (qname, dns outcome, records joined per RR,
 * cname_chain). res must stay valid until cb runs. */
ms_err_t ms_dns_lookup_txt(struct ms_dns *dns, const char *name,
                           struct ms_obs_txt *res, ms_dns_done_cb cb,
                           void *arg);

/* MX lookup of domain. Fills res->dns, res->host[] (host, preference;
 * addresses not looked up), res->null_mx. Implicit MX is the caller's
 * business. res must stay valid until cb runs. */
ms_err_t ms_dns_lookup_mx(struct ms_dns *dns, const char *domain,
                          struct ms_obs_mx *res, ms_dns_done_cb cb, void *arg);

/* A and AAAA lookups of name (in parallel); cb runs once both are done.
 * Fills res->a, res->aaaa and res->addr[] (IPv4 first). */
ms_err_t ms_dns_lookup_addrs(struct ms_dns *dns, const char *name,
                             struct ms_obs_addrs *res, ms_dns_done_cb cb,
                             void *arg);

/* The same for a name asked once per run (mta-sts.<domain>: domains are
 * deduplicated): no address cache, whose bounded room is for the MX host
 * names many domains share (a one-time name there only costs memory). */
ms_err_t ms_dns_lookup_addrs_once(struct ms_dns *dns, const char *name,
                                  struct ms_obs_addrs *res, ms_dns_done_cb cb,
                                  void *arg);

/* TLSA lookup of name (e.g. "_25._tcp.mx.example.org"), CNAMEs followed.
 * Fills *res and sets *has_tlsa when at least one TLSA record exists. */
ms_err_t ms_dns_lookup_tlsa(struct ms_dns *dns, const char *name,
                            struct ms_obs_dns *res, bool *has_tlsa,
                            ms_dns_done_cb cb, void *arg);

#endif
