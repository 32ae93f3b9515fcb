/*
 * Observations: everything the I/O layer saw for one domain, as plain data
 * (style 3.1 principle 2: remote misbehaviour is data). net/ fills these;
 * core/verdict.c turns them into findings; report/record.c into JSON.
 * Every pointer member is owned by the struct (heap, freed by
 * ms_obs_cleanup). Tests: tests/unit/test_verdict.c builds them by hand.
 */
#ifndef MS_CORE_OBS_H
#define MS_CORE_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

#define MS_TXT_RECORDS_MAX 16   /* TXT records kept per name */
#define MS_TXT_RECORD_MAX  4096 /* bytes of one joined record kept */
#define MS_CNAME_MAX       8    /* CNAME hops followed */
#define MS_MX_HOSTS_MAX    32   /* MX hosts kept per domain */
#define MS_ADDRS_MAX       16   /* addresses kept per host name */
#define MS_SAN_MAX         64   /* subjectAltName DNS entries kept */

/* Outcome of one DNS lookup, as seen from the scanner. */
enum ms_dns_outcome {
  MS_DNS_NOT_RUN = 0,
  MS_DNS_OK,       /* NOERROR with records of the asked type */
  MS_DNS_NODATA,   /* NOERROR, none of the asked type */
  MS_DNS_NXDOMAIN, /* name does not exist */
  MS_DNS_SERVFAIL,
  MS_DNS_REFUSED,
  MS_DNS_TIMEOUT,
  MS_DNS_CNAME_LOOP, /* alias chain loops or exceeds MS_CNAME_MAX */
  MS_DNS_BAD_REPLY,  /* malformed answer or other failure */
  MS_DNS_CANCELED    /* abandoned (deadline, shutdown) */
};

/* "ok", "nodata", "nxdomain", ... (static). */
const char *ms_dns_outcome_name(enum ms_dns_outcome o);
/* True for outcomes that mean the resolver, not the zone, is at fault:
 * SERVFAIL, REFUSED, TIMEOUT (and BAD_REPLY). */
bool ms_dns_outcome_is_resolver_fault(enum ms_dns_outcome o);

struct ms_obs_dns {
  enum ms_dns_outcome outcome;
  int status;       /* library status (ares), 0 when none */
  char *detail;     /* library message or NULL */
};

/* A TXT lookup with CNAMEs followed (used for _mta-sts and _smtp._tls). */
struct ms_obs_txt {
  char *qname;                          /* the name asked first */
  struct ms_obs_dns dns;                /* final outcome */
  char *records[MS_TXT_RECORDS_MAX];    /* joined character-strings */
  size_t record_len[MS_TXT_RECORDS_MAX];/* may contain NUL bytes */
  size_t n_records;
  size_t records_dropped;               /* beyond MS_TXT_RECORDS_MAX */
  size_t records_truncated;             /* cut at MS_TXT_RECORD_MAX */
  char *cname_chain[MS_CNAME_MAX];      /* alias targets, in order */
  size_t n_cname;
};

/* An A + AAAA lookup of one host name. */
struct ms_obs_addrs {
  struct ms_obs_dns a, aaaa;
  struct ms_addr addr[MS_ADDRS_MAX];
  size_t n_addr;
};

/* Certificate verify problems, collected without aborting the handshake. */
#define MS_CERT_EXPIRED       0x01u
#define MS_CERT_NOT_YET_VALID 0x02u
#define MS_CERT_NAME_MISMATCH 0x04u
#define MS_CERT_UNTRUSTED     0x08u /* self-signed, unknown CA, no issuer */
#define MS_CERT_OTHER         0x10u /* any other verify error */

struct ms_cert_info {
  bool present;          /* a peer certificate was seen */
  char *subject;         /* RFC 2253 text of the leaf */
  char *issuer;
  char *san[MS_SAN_MAX]; /* DNS subjectAltNames of the leaf */
  size_t n_san;
  int64_t not_before;    /* Unix seconds */
  int64_t not_after;
  bool chain_verified;   /* chain to a trusted root, dates and name ok */
  unsigned errors;       /* MS_CERT_* bits */
  int verify_code;       /* first X509_V_ERR_* seen, 0 when none */
  char *verify_error;    /* its text, NULL when none */
  char *untrusted_reason;/* "self-signed", "unknown issuer", ... or NULL */
};

/* Outcome of one STARTTLS probe of one (MX host, address) pair. */
enum ms_smtp_outcome {
  MS_SMTP_NOT_RUN = 0,
  MS_SMTP_OK,               /* STARTTLS + handshake + second EHLO done */
  MS_SMTP_CONNECT_FAILED,   /* refused, unreachable */
  MS_SMTP_TIMEOUT,          /* a stage did not complete in time */
  MS_SMTP_NO_BANNER,        /* closed before a greeting */
  MS_SMTP_BANNER_REJECTED,  /* greeting other than 220 (e.g. 554) */
  MS_SMTP_EHLO_FAILED,      /* EHLO (and HELO) refused */
  MS_SMTP_NO_STARTTLS,      /* EHLO does not advertise STARTTLS */
  MS_SMTP_STARTTLS_REFUSED, /* STARTTLS answered with other than 220 */
  MS_SMTP_TLS_FAILED,       /* handshake failed (not a certificate issue) */
  MS_SMTP_PROTOCOL_ERROR,   /* garbage, over-long line or reply, EOF */
  MS_SMTP_SKIPPED,          /* not probed (port 25 blocked, --no-smtp) */
  MS_SMTP_CANCELED
};

const char *ms_smtp_outcome_name(enum ms_smtp_outcome o);

struct ms_obs_smtp {
  enum ms_smtp_outcome outcome;
  char address[MS_ADDR_STR_MAX]; /* the address probed */
  bool shared;          /* the result came from another domain's probe */
  int banner_code;      /* 0 when none */
  char *banner;         /* first line of the greeting (capped) or NULL */
  int ehlo_code;
  bool starttls_offered;
  int starttls_code;    /* reply to STARTTLS, 0 when not sent */
  int ehlo_tls_code;    /* reply to the EHLO after TLS, 0 when not sent */
  char *tls_protocol;   /* "TLSv1.3" or NULL */
  char *tls_cipher;
  int tls_version;      /* numeric (0x0304 for TLS 1.3), 0 when none */
  struct ms_cert_info cert;
  char *error;          /* what went wrong, for the record */
  int64_t duration_ms;
};

void ms_obs_smtp_cleanup(struct ms_obs_smtp *s);
/* Deep copy of src into dst (dst is overwritten, not freed first). */
void ms_obs_smtp_copy(struct ms_obs_smtp *dst, const struct ms_obs_smtp *src);
void ms_cert_info_copy(struct ms_cert_info *dst,
                       const struct ms_cert_info *src);

struct ms_obs_mx_host {
  char *host;          /* lower case, no trailing dot */
  uint16_t preference;
  struct ms_obs_addrs addrs;
  size_t n_private;    /* addresses withheld by the SSRF guard */
  /* STARTTLS probes: NULL when none were planned, else an array of
   * addrs.n_addr entries (smtp[i] is for addrs.addr[i]); an entry's outcome
   * is NOT_RUN when that address was not probed (private address). */
  struct ms_obs_smtp *smtp;
  bool probed;         /* probes were planned for this host */
  struct ms_obs_dns tlsa; /* TLSA _25._tcp.<host>; NOT_RUN when skipped */
  bool has_tlsa;       /* at least one TLSA record */
};

struct ms_obs_mx {
  struct ms_obs_dns dns;
  bool null_mx;        /* a single "MX 0 ." */
  bool implicit;       /* no MX: the domain itself is the MX (RFC 5321) */
  struct ms_obs_mx_host host[MS_MX_HOSTS_MAX];
  size_t n_host;
  size_t hosts_dropped;
};


enum ms_fetch_outcome {
  MS_FETCH_NOT_RUN = 0,
  MS_FETCH_OK,             /* an HTTP response was received (any status) */
  MS_FETCH_NO_ADDRESS,     /* the host has no usable address */
  MS_FETCH_BLOCKED,        /* every address withheld by the SSRF guard */
  MS_FETCH_CONNECT_FAILED,
  MS_FETCH_TIMEOUT,
  MS_FETCH_TLS_FAILED,     /* handshake failed (not a certificate issue) */
  MS_FETCH_TOO_LARGE,      /* body over the cap: stopped reading */
  MS_FETCH_ERROR,          /* other transfer failure (bad HTTP, ...) */
  MS_FETCH_CANCELED
};

const char *ms_fetch_outcome_name(enum ms_fetch_outcome o);

/* The HTTPS GET of https://mta-sts.<domain>/.well-known/mta-sts.txt. */
struct ms_obs_fetch {
  char *host;                /* mta-sts.<domain> */
  char *url;
  struct ms_obs_addrs addrs; /* the host's A/AAAA lookup */
  size_t n_private;          /* addresses withheld by the SSRF guard */
  enum ms_fetch_outcome outcome;
  int lib_code;              /* CURLcode, 0 when none */
  char *error;               /* library message or NULL */
  char *connected_to;        /* address text of the connection, or NULL */
  long http_status;          /* 0 when no response */
  char *content_type;        /* header value or NULL */
  char *location;            /* Location header of a 3xx or NULL */
  char *body;                /* NUL-terminated copy (may hold NULs) */
  size_t body_len;           /* bytes kept (<= cap) */
  bool body_truncated;       /* the server sent more than the cap */
  char *body_sha256;         /* lower-case hex SHA-256 of body, or NULL */
  char *tls_protocol;        /* "TLSv1.3" or NULL */
  char *tls_cipher;
  struct ms_cert_info cert;
};

struct ms_obs {
  char domain[254];
  bool smtp_blocked;       /* probes skipped: outbound port 25 blocked */        /* normalised name ("" when input invalid) */
  char *input;             /* the input line as given */
  bool input_invalid;
  char input_why[128];     /* why the line is not a domain name */
  int64_t started_ms;      /* wall clock, Unix milliseconds */
  int64_t duration_ms;
  bool deadline_hit;       /* the per-domain deadline expired */
  struct ms_obs_txt sts;   /* _mta-sts.<domain> TXT */
  struct ms_obs_txt tlsrpt;/* _smtp._tls.<domain> TXT */
  struct ms_obs_mx mx;
  struct ms_obs_fetch policy;
};

void ms_obs_init(struct ms_obs *o);
/* Frees every owned member and re-initialises (idempotent, NULL-safe). */
void ms_obs_cleanup(struct ms_obs *o);
void ms_obs_txt_cleanup(struct ms_obs_txt *t);
void ms_obs_dns_cleanup(struct ms_obs_dns *d);
void ms_obs_addrs_cleanup(struct ms_obs_addrs *a);
void ms_obs_fetch_cleanup(struct ms_obs_fetch *f);
void ms_cert_info_cleanup(struct ms_cert_info *c);

#endif
