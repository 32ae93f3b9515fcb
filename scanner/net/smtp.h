/*
 * The MX transport audit: STARTTLS probes on the libuv loop, shared by
 * every domain of the run. One probe per (MX host, address, port) per run:
 * a second request for a pair already probed (or being probed) waits for
 * and copies that result. Per-address concurrency limit and pacing keep
 * big shared providers from being hammered. The probe: connect, greeting,
 * EHLO <name>, STARTTLS, TLS handshake with SNI = MX host (memory BIOs,
 * the shared trust store, every certificate problem recorded), EHLO again,
 * QUIT. It never sends MAIL, RCPT or DATA. Owns the SMTP sockets.
 * Tests: tests/lab (postfix, hostile peers), core/smtp_reply in unit tests.
 *
 * Contract: when ms_smtp_probe returns MS_OK, cb runs exactly once, later,
 * from the loop (never inside the call).
 */
#ifndef MS_NET_SMTP_H
#define MS_NET_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/addr.h"
#include "core/obs.h"
#include "net/tls.h"
#include "util/err.h"

struct ms_smtp;

struct ms_smtp_config {
  struct ms_tls_store *store; /* borrowed; outlives the engine */
  const char *ehlo_name;      /* EHLO argument; default: the host name */
  int port;                   /* default 25 */
  int timeout_ms;             /* per stage (connect, each reply, TLS);
                                 default 10000 */
  int probe_deadline_ms;      /* whole probe; default 3 x timeout_ms */
  int per_addr_concurrency;   /* probes at once to one IP; default 2 */
  int per_addr_interval_ms;   /* min gap between connects to one IP;
                                 default 100 */
  size_t cache_max;           /* finished results kept; default 100000 */
};

/* Counters for benchmarks, tests and the summary. */
struct ms_smtp_stats {
  unsigned long requests;   /* ms_smtp_probe calls */
  unsigned long probes;     /* connections actually made */
  unsigned long shared;     /* requests answered from another's probe */
  unsigned long ok, timeouts, connect_failed, other_failures;
};

ms_err_t ms_smtp_new(uv_loop_t *loop, const struct ms_smtp_config *cfg,
                     struct ms_smtp **out);
/* Cancels outstanding probes (their callbacks run with outcome CANCELED,
 * from the loop) and frees once every handle is closed. NULL-safe. */
void ms_smtp_free(struct ms_smtp *e);
void ms_smtp_stats(const struct ms_smtp *e, struct ms_smtp_stats *out);
/* True once outbound port 25 looks blocked: at least 8 probes made, every
 * one timed out or failed to connect, none reached a greeting. From then
 * on new requests complete at once (from the loop) with MS_SMTP_SKIPPED. */
bool ms_smtp_blocked(const struct ms_smtp *e);

typedef void (*ms_smtp_done_cb)(void *arg);

/* Probes host (the MX name, used for SNI and the certificate check) at
 * addr, or joins the probe already made or under way for that pair.
 * Fills *res (a deep copy; res->shared says whether it came from another
 * request). res must stay valid until cb runs. */
ms_err_t ms_smtp_probe(struct ms_smtp *e, const char *host,
                       const struct ms_addr *addr, struct ms_obs_smtp *res,
                       ms_smtp_done_cb cb, void *arg);

#endif
