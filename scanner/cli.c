/*
 * Option table, parsing and --help. Every option lives in opts[] once; the
 * getopt_long array, the help text and the man page OPTIONS section are
 * generated from it, so they cannot drift apart.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/optable.h"
#include "core/findings.h"

enum {
  OPT_RESOLVER = 256,
  OPT_CA_FILE,
  OPT_TIMEOUT,
  OPT_DEADLINE,
  OPT_CERT_WARN,
  OPT_QPS,
  OPT_NO_SMTP,
  OPT_PROBE_ALL,
  OPT_ALLOW_PRIVATE,
  OPT_PREVIOUS,
  OPT_SHARD,
  OPT_PROGRESS,
  OPT_NO_PROGRESS,
  OPT_FAIL_ON,
  OPT_DRY_RUN,
  OPT_LIST_FINDINGS,
  OPT_HELP_MAN,
  OPT_SMTP_PORT,
  OPT_EHLO_NAME,
  OPT_SUMMARY,
  OPT_STATUS_FILE,
  OPT_RESUME,
};


static const struct ms_opt opts[] = {
    {"file", 'f', required_argument, "FILE",
     "domains to scan, one per line; '-' reads stdin. Blank lines and '#' "
     "comments (also after a name) are skipped; surrounding whitespace, upper case and a "
     "trailing dot are normalised; IDN U-labels become A-labels; duplicates "
     "are scanned once"},
    {"output", 'o', required_argument, "FILE",
     "JSON Lines output, one record per domain (default: stdout)"},
    {"resolver", OPT_RESOLVER, required_argument, "LIST",
     "DNS resolver(s), comma-separated HOST[:PORT] where HOST is an IP "
     "address (IPv6 as [ADDR]:PORT); default: the system's resolv.conf"},
    {"ca-file", OPT_CA_FILE, required_argument, "FILE",
     "PEM trust anchors for HTTPS (and SMTP) certificate checks; default: "
     "the system trust store"},
    {"concurrency", 'j', required_argument, "N",
     "domains in flight at once (default 200; capped so that two file "
     "descriptors per domain fit under RLIMIT_NOFILE, which is raised to "
     "its hard limit). Measured on 2 cores with a loopback lab: throughput "
     "is flat from 50 to 400 (CPU-bound), memory grows about 0.1 MiB per "
     "slot, and above ~500 c-ares' per-event timeout scan makes it slower; "
     "200 leaves room for real network latency"},
    {"timeout", OPT_TIMEOUT, required_argument, "SECONDS",
     "limit for each network operation: a DNS lookup (all tries), a policy "
     "fetch (default 10)"},
    {"deadline", OPT_DEADLINE, required_argument, "SECONDS",
     "limit for all checks of one domain (default 6 x --timeout); then "
     "SCAN_DEADLINE and the partial results are written"},
    {"cert-warn-days", OPT_CERT_WARN, required_argument, "N",
     "warn about certificates expiring within N days (default 14)"},
    {"qps", OPT_QPS, required_argument, "N",
     "start at most N DNS queries per second (default 0: no cap)"},
    {"no-smtp", OPT_NO_SMTP, no_argument, NULL,
     "skip STARTTLS probing of MX hosts"},
    {"smtp-port", OPT_SMTP_PORT, required_argument, "N",
     "port of the STARTTLS probes (default 25; for labs)"},
    {"ehlo-name", OPT_EHLO_NAME, required_argument, "NAME",
     "name the probe sends in EHLO, so MX operators can identify the "
     "scanner (default: this machine's host name)"},
    {"probe-all", OPT_PROBE_ALL, no_argument, NULL,
     "probe the MX hosts of every domain, not only of domains that publish "
     "MTA-STS"},
    {"allow-private", OPT_ALLOW_PRIVATE, no_argument, NULL,
     "contact policy and MX hosts even when they resolve to loopback, "
     "private or link-local addresses (off by default: SSRF guard; labs on "
     "loopback need it)"},
    {"summary", OPT_SUMMARY, required_argument, "FILE",
     "write the run's counters (domains per status, input lines and "
     "duplicates, DNS queries, SMTP probes made and shared, wall time) as "
     "one JSON object to FILE"},
    {"status-file", OPT_STATUS_FILE, required_argument, "FILE",
     "rewrite FILE every second with the run's status as JSON (done, rate, "
     "in flight, errors, ETA) for dashboards"},
    {"resume", OPT_RESUME, no_argument, NULL,
     "continue an interrupted run: keep the records already in the -o file "
     "(a torn last line is cut), append, and scan only the domains not in "
     "it"},
    {"previous", OPT_PREVIOUS, required_argument, "FILE",
     "results of an earlier run (JSON Lines) for HISTORY_* findings"},
    {"shard", OPT_SHARD, required_argument, "K/N",
     "scan only the K-th (1..N) of N disjoint shards of the input (stable "
     "hash of the normalised domain)"},
    {"progress", OPT_PROGRESS, no_argument, NULL,
     "progress line on stderr (default: when stderr is a terminal)"},
    {"no-progress", OPT_NO_PROGRESS, no_argument, NULL,
     "no progress line"},
    {"fail-on", OPT_FAIL_ON, required_argument, "LEVEL",
     "exit 1 if any domain has a finding of LEVEL or worse (error|warning)"},
    {"dry-run", OPT_DRY_RUN, no_argument, NULL,
     "read and normalise the input, print one line per domain, touch no "
     "network"},
    {"list-findings", OPT_LIST_FINDINGS, no_argument, NULL,
     "print the finding catalogue (code, severity, RFC section, message)"},
    {"help-man", OPT_HELP_MAN, no_argument, NULL,
     "print the OPTIONS section of the man page (troff)"},
    {"version", 'V', no_argument, NULL, "print the version and exit"},
    {"help", 'h', no_argument, NULL, "print this help and exit"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *fp)
{
  fprintf(fp, "Usage: mtasts-scan [OPTIONS] [DOMAIN ...]\n"
              "Audits MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) deployments; "
              "writes one JSON line per domain.\n\nOptions:\n");
  ms_optable_help(fp, opts, N_OPTS);
  fprintf(fp,
          "\nExit status: 0 the scan ran to the end; 1 the scan ran and "
          "--fail-on was met;\n2 usage or configuration error (nothing "
          "scanned); 3 fatal runtime error.\n");
}

static void man_options(void)
{
  ms_optable_man(stdout, opts, N_OPTS);
}

static void list_findings(void)
{
  for (size_t i = 0; i < MS_F_COUNT; i++) {
    const struct ms_finding_info *fi = ms_finding_info((enum ms_finding)i);
    printf("%-32s %-15s %-11s %s\n", fi->code, ms_sev_name(fi->sev), fi->rfc,
           fi->message);
  }
}

/* Parses a whole decimal integer in [lo, hi]. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

/* Parses seconds, possibly fractional ("2.5"), into milliseconds. */
static bool parse_seconds(const char *s, int *ms)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v > 0) || v > 3600)
    return false;
  *ms = (int)(v * 1000.0 + 0.5);
  return *ms > 0;
}

static bool bad(const char *opt, const char *val, const char *why)
{
  fprintf(stderr, "mtasts-scan: invalid value '%s' for --%s: %s\n", val, opt,
          why);
  return false;
}

enum ms_cli_result ms_cli_parse(int argc, char **argv, struct ms_config *cfg)
{
  struct option longopts[N_OPTS + 1];
  char shortopts[64];
  memset(cfg, 0, sizeof(*cfg));
  cfg->concurrency = 200;
  cfg->timeout_ms = 10000;
  cfg->deadline_ms = 0;
  cfg->cert_warn_days = 14;
  cfg->progress = -1;
  cfg->smtp_port = 25;
  ms_optable_getopt(opts, N_OPTS, longopts, shortopts, sizeof(shortopts));

  opterr = 1;
  argv[0] = (char *)"mtasts-scan"; /* getopt's messages name the program */
  int c;
  long v;
  bool ok = true;
  while (ok && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
      case 'f':
        cfg->input_file = optarg;
        break;
      case 'o':
        cfg->output_file = optarg;
        break;
      case OPT_RESOLVER:
        cfg->resolver = optarg;
        break;
      case OPT_CA_FILE:
        cfg->ca_file = optarg;
        break;
      case 'j':
        if (parse_int(optarg, 1, 100000, &v))
          cfg->concurrency = (int)v;
        else
          ok = bad("concurrency", optarg, "a whole number from 1 to 100000");
        break;
      case OPT_TIMEOUT:
        if (!parse_seconds(optarg, &cfg->timeout_ms))
          ok = bad("timeout", optarg, "seconds, more than 0, at most 3600");
        break;
      case OPT_DEADLINE:
        if (!parse_seconds(optarg, &cfg->deadline_ms))
          ok = bad("deadline", optarg, "seconds, more than 0, at most 3600");
        break;
      case OPT_CERT_WARN:
        if (parse_int(optarg, 0, 3650, &v))
          cfg->cert_warn_days = (int)v;
        else
          ok = bad("cert-warn-days", optarg, "a whole number from 0 to 3650");
        break;
      case OPT_QPS:
        if (parse_int(optarg, 0, 10000000, &v))
          cfg->qps = (int)v;
        else
          ok = bad("qps", optarg, "a whole number, 0 for no cap");
        break;
      case OPT_NO_SMTP:
        cfg->no_smtp = true;
        break;
      case OPT_PROBE_ALL:
        cfg->probe_all = true;
        break;
      case OPT_ALLOW_PRIVATE:
        cfg->allow_private = true;
        break;
      case OPT_SMTP_PORT:
        if (parse_int(optarg, 1, 65535, &v))
          cfg->smtp_port = (int)v;
        else
          ok = bad("smtp-port", optarg, "a port number from 1 to 65535");
        break;
      case OPT_EHLO_NAME:
        if (optarg[0] && strlen(optarg) <= 253 && !strpbrk(optarg, " \t\r\n"))
          cfg->ehlo_name = optarg;
        else
          ok = bad("ehlo-name", optarg, "a host name without spaces");
        break;
      case OPT_SUMMARY:
        cfg->summary = optarg;
        break;
      case OPT_STATUS_FILE:
        cfg->status_file = optarg;
        break;
      case OPT_RESUME:
        cfg->resume = true;
        break;
      case OPT_PREVIOUS:
        cfg->previous = optarg;
        break;
      case OPT_SHARD: {
        long k, n;
        const char *slash = strchr(optarg, '/');
        char kbuf[16];
        size_t kl = slash ? (size_t)(slash - optarg) : 0;
        if (!slash || kl == 0 || kl >= sizeof(kbuf)) {
          ok = bad("shard", optarg, "K/N with 1 <= K <= N");
          break;
        }
        memcpy(kbuf, optarg, kl);
        kbuf[kl] = '\0';
        if (!parse_int(kbuf, 1, 1000000, &k) ||
            !parse_int(slash + 1, 1, 1000000, &n) || k > n) {
          ok = bad("shard", optarg, "K/N with 1 <= K <= N");
          break;
        }
        cfg->shard_k = (int)k;
        cfg->shard_n = (int)n;
        break;
      }
      case OPT_PROGRESS:
        cfg->progress = 1;
        break;
      case OPT_NO_PROGRESS:
        cfg->progress = 0;
        break;
      case OPT_FAIL_ON:
        if (strcmp(optarg, "error") == 0)
          cfg->fail_on = MS_FAIL_ERROR;
        else if (strcmp(optarg, "warning") == 0)
          cfg->fail_on = MS_FAIL_WARNING;
        else
          ok = bad("fail-on", optarg, "error or warning");
        break;
      case OPT_DRY_RUN:
        cfg->dry_run = true;
        break;
      case OPT_LIST_FINDINGS:
        list_findings();
        return MS_CLI_EXIT;
      case OPT_HELP_MAN:
        man_options();
        return MS_CLI_EXIT;
      case 'V':
        printf("mtasts-scan %s\n", MS_VERSION);
        return MS_CLI_EXIT;
      case 'h':
        usage(stdout);
        return MS_CLI_EXIT;
      default: /* getopt_long printed the problem */
        fprintf(stderr, "Try 'mtasts-scan --help' for more information.\n");
        return MS_CLI_USAGE;
    }
  }
  if (!ok)
    return MS_CLI_USAGE;
  cfg->domains = argv + optind;
  cfg->n_domains = argc - optind;
  if (!cfg->input_file && cfg->n_domains == 0) {
    fprintf(stderr, "mtasts-scan: no domains: give -f FILE or DOMAIN "
                    "arguments (see --help)\n");
    return MS_CLI_USAGE;
  }
  if (cfg->resume &&
      (!cfg->output_file || strcmp(cfg->output_file, "-") == 0)) {
    fprintf(stderr, "mtasts-scan: --resume needs -o FILE (the output of the "
                    "interrupted run)\n");
    return MS_CLI_USAGE;
  }
  if (cfg->deadline_ms == 0) {
    /* Discovery (DNS, then the fetch) and the probes (up to 3 stages) may
     * each take a timeout; 6 x leaves room for all of them. */
    long d = 6L * cfg->timeout_ms;
    cfg->deadline_ms = d > INT_MAX ? INT_MAX : (int)d;
  }
  return MS_CLI_RUN;
}
