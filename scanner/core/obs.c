/* Observation structs: names of outcomes and cleanup (see obs.h). */
#include "core/obs.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

const char *ms_dns_outcome_name(enum ms_dns_outcome o)
{
  static const char *const names[] = {
      [MS_DNS_NOT_RUN] = "not_run",     [MS_DNS_OK] = "ok",
      [MS_DNS_NODATA] = "nodata",       [MS_DNS_NXDOMAIN] = "nxdomain",
      [MS_DNS_SERVFAIL] = "servfail",   [MS_DNS_REFUSED] = "refused",
      [MS_DNS_TIMEOUT] = "timeout",     [MS_DNS_CNAME_LOOP] = "cname_loop",
      [MS_DNS_BAD_REPLY] = "bad_reply", [MS_DNS_CANCELED] = "canceled",
  };
  if ((unsigned)o >= sizeof(names) / sizeof(names[0]))
    return "unknown";
  return names[o];
}

bool ms_dns_outcome_is_resolver_fault(enum ms_dns_outcome o)
{
  return o == MS_DNS_SERVFAIL || o == MS_DNS_REFUSED ||
         o == MS_DNS_TIMEOUT || o == MS_DNS_BAD_REPLY;
}

const char *ms_fetch_outcome_name(enum ms_fetch_outcome o)
{
  static const char *const names[] = {
      [MS_FETCH_NOT_RUN] = "not_run",
      [MS_FETCH_OK] = "ok",
      [MS_FETCH_NO_ADDRESS] = "no_address",
      [MS_FETCH_BLOCKED] = "blocked",
      [MS_FETCH_CONNECT_FAILED] = "connect_failed",
      [MS_FETCH_TIMEOUT] = "timeout",
      [MS_FETCH_TLS_FAILED] = "tls_failed",
      [MS_FETCH_TOO_LARGE] = "too_large",
      [MS_FETCH_ERROR] = "error",
      [MS_FETCH_CANCELED] = "canceled",
  };
  if ((unsigned)o >= sizeof(names) / sizeof(names[0]))
    return "unknown";
  return names[o];
}

void ms_obs_dns_cleanup(struct ms_obs_dns *d)
{
  free(d->detail);
  memset(d, 0, sizeof(*d));
}

void ms_obs_txt_cleanup(struct ms_obs_txt *t)
{
  free(t->qname);
  ms_obs_dns_cleanup(&t->dns);
  for (size_t i = 0; i < t->n_records; i++)
    free(t->records[i]);
  for (size_t i = 0; i < t->n_cname; i++)
    free(t->cname_chain[i]);
  memset(t, 0, sizeof(*t));
}

void ms_obs_addrs_cleanup(struct ms_obs_addrs *a)
{
  ms_obs_dns_cleanup(&a->a);
  ms_obs_dns_cleanup(&a->aaaa);
  memset(a, 0, sizeof(*a));
}

void ms_cert_info_cleanup(struct ms_cert_info *c)
{
  free(c->subject);
  free(c->issuer);
  for (size_t i = 0; i < c->n_san; i++)
    free(c->san[i]);
  free(c->verify_error);
  free(c->untrusted_reason);
  memset(c, 0, sizeof(*c));
}

void ms_obs_fetch_cleanup(struct ms_obs_fetch *f)
{
  free(f->host);
  free(f->url);
  ms_obs_addrs_cleanup(&f->addrs);
  free(f->error);
  free(f->connected_to);
  free(f->content_type);
  free(f->location);
  free(f->body);
  free(f->body_sha256);
  free(f->tls_protocol);
  free(f->tls_cipher);
  ms_cert_info_cleanup(&f->cert);
  memset(f, 0, sizeof(*f));
}

const char *ms_smtp_outcome_name(enum ms_smtp_outcome o)
{
  static const char *const names[] = {
      [MS_SMTP_NOT_RUN] = "not_run",
      [MS_SMTP_OK] = "ok",
      [MS_SMTP_CONNECT_FAILED] = "connect_failed",
      [MS_SMTP_TIMEOUT] = "timeout",
      [MS_SMTP_NO_BANNER] = "no_banner",
      [MS_SMTP_BANNER_REJECTED] = "banner_rejected",
      [MS_SMTP_EHLO_FAILED] = "ehlo_failed",
      [MS_SMTP_NO_STARTTLS] = "no_starttls",
      [MS_SMTP_STARTTLS_REFUSED] = "starttls_refused",
      [MS_SMTP_TLS_FAILED] = "tls_failed",
      [MS_SMTP_PROTOCOL_ERROR] = "protocol_error",
      [MS_SMTP_SKIPPED] = "skipped",
      [MS_SMTP_CANCELED] = "canceled",
  };
  if ((unsigned)o >= sizeof(names) / sizeof(names[0]))
    return "unknown";
  return names[o];
}

void ms_obs_smtp_cleanup(struct ms_obs_smtp *s)
{
  free(s->banner);
  free(s->tls_protocol);
  free(s->tls_cipher);
  free(s->error);
  ms_cert_info_cleanup(&s->cert);
  memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *s)
{
  return s ? ms_xstrdup(s) : NULL;
}

void ms_cert_info_copy(struct ms_cert_info *dst,
                       const struct ms_cert_info *src)
{
  *dst = *src;
  dst->subject = dup_or_null(src->subject);
  dst->issuer = dup_or_null(src->issuer);
  for (size_t i = 0; i < src->n_san; i++)
    dst->san[i] = dup_or_null(src->san[i]);
  dst->verify_error = dup_or_null(src->verify_error);
  dst->untrusted_reason = dup_or_null(src->untrusted_reason);
}

void ms_obs_smtp_copy(struct ms_obs_smtp *dst, const struct ms_obs_smtp *src)
{
  *dst = *src;
  dst->banner = dup_or_null(src->banner);
  dst->tls_protocol = dup_or_null(src->tls_protocol);
  dst->tls_cipher = dup_or_null(src->tls_cipher);
  dst->error = dup_or_null(src->error);
  ms_cert_info_copy(&dst->cert, &src->cert);
}

void ms_obs_init(struct ms_obs *o)
{
  memset(o, 0, sizeof(*o));
}

void ms_obs_cleanup(struct ms_obs *o)
{
  if (!o)
    return;
  free(o->input);
  ms_obs_txt_cleanup(&o->sts);
  ms_obs_txt_cleanup(&o->tlsrpt);
  ms_obs_dns_cleanup(&o->mx.dns);
  for (size_t i = 0; i < o->mx.n_host; i++) {
    free(o->mx.host[i].host);
    if (o->mx.host[i].smtp) {
      for (size_t j = 0; j < o->mx.host[i].addrs.n_addr; j++)
        ms_obs_smtp_cleanup(&o->mx.host[i].smtp[j]);
      free(o->mx.host[i].smtp);
    }
    ms_obs_addrs_cleanup(&o->mx.host[i].addrs);
    ms_obs_dns_cleanup(&o->mx.host[i].tlsa);
  }
  ms_obs_fetch_cleanup(&o->policy);
  ms_obs_init(o);
}
