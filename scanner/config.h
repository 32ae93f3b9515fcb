/*
 * struct ms_config: the run's settings, filled by cli.c from the command
 * line and read-only after start-up. Units and defaults on every field.
 */
#ifndef MS_CONFIG_H
#define MS_CONFIG_H

#include <stdbool.h>

enum ms_fail_on {
  MS_FAIL_NEVER = 0,
  MS_FAIL_WARNING, /* exit 1 when any finding is warning or error */
  MS_FAIL_ERROR    /* exit 1 when any finding is error */
};

struct ms_config {
  const char *input_file;  /* -f FILE, "-" for stdin; NULL: none */
  char **domains;          /* positional DOMAIN arguments (borrowed argv) */
  int n_domains;
  const char *output_file; /* -o FILE; NULL: stdout */
  const char *resolver;    /* --resolver LIST; NULL: /etc/resolv.conf */
  const char *ca_file;     /* --ca-file FILE; NULL: system trust store */
  int concurrency;         /* -j N domains in flight; default 200 */
  int timeout_ms;          /* --timeout SECONDS per operation; 10 s */
  int deadline_ms;         /* --deadline SECONDS per domain; 4 x timeout */
  int cert_warn_days;      /* --cert-warn-days N; default 14 */
  int qps;                 /* --qps N DNS queries per second; 0: no cap */
  bool allow_private;      /* --allow-private (SSRF guard off) */
  bool no_smtp;            /* --no-smtp (no STARTTLS probes) */
  bool probe_all;          /* --probe-all (probe every domain's MX) */
  int shard_k, shard_n;    /* --shard K/N; 0/0: no sharding */
  int progress;            /* --progress 1, --no-progress 0, auto -1 */
  enum ms_fail_on fail_on; /* --fail-on LEVEL */
  bool dry_run;            /* --dry-run: parse input, print, no network */
  const char *previous;    /* --previous FILE (history; later issue) */
  int smtp_port;           /* --smtp-port N; default 25 */
  const char *ehlo_name;   /* --ehlo-name NAME; default: the host name */
  const char *summary;     /* --summary FILE: run counters as JSON */
  const char *status_file; /* --status-file FILE: status JSON each second */
  bool resume;             /* --resume: append to -o, skip domains in it */
};

#endif
