/*
 * The JSON record of one domain (see record.h and ../shared/spec/output.md).
 * Every string that can carry bytes from the network or the input file goes
 * through ms_record_string, so an odd byte never makes jansson refuse a
 * string (json_string returns NULL on invalid UTF-8) and never drops a
 * member. jansson out-of-memory is fatal (style 3.6).
 */
#include "report/record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/findings.h"
#include "core/policy.h"
#include "util/err.h"
#include "util/slice.h"
#include "util/xalloc.h"

/* RFC 3339 limits: years 0000..9999 (seconds since the Unix epoch). */
#define TIME_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define TIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* ---- jansson helpers: a NULL from jansson can only mean OOM here ---- */

/* Every jansson constructor goes through must(): with valid UTF-8 input
 * (guaranteed by ms_record_string) NULL can only mean out of memory. */
static json_t *must(json_t *j)
{
  if (!j)
    ms_fatal("out of memory");
  return j;
}

/* Sets obj[key] = val, stealing the reference (json_object_set_new). */
static void put(json_t *obj, const char *key, json_t *val)
{
  if (json_object_set_new(obj, key, must(val)) != 0)
    ms_fatal("out of memory");
}

/* Appends val to arr, stealing the reference. */
static void push(json_t *arr, json_t *val)
{
  if (json_array_append_new(arr, must(val)) != 0)
    ms_fatal("out of memory");
}

/* A catalogue or name-table string: never NULL, always ASCII. */
static json_t *static_str(const char *s)
{
  MS_ASSERT(s != NULL);
  return must(json_string(s));
}

/* An optional owned C string of the observations: null when absent.
 * These may come from the network (headers, certificate names, library
 * messages), so they are escaped like any other foreign bytes. */
static json_t *cstr_or_null(const char *s)
{
  return s ? ms_record_string(s, strlen(s)) : json_null();
}

/* A parser slice (into obs memory, not NUL-terminated) as JSON. */
static json_t *slice_str(struct ms_slice s)
{
  return ms_record_string(s.ptr, s.len);
}

/* Counts are clamped to the array sizes of obs.h: a producer that
 * overcounts must not make the record read past an array. */
static size_t min_size(size_t a, size_t b)
{
  return a < b ? a : b;
}

/* ---- UTF-8 and strings ---- */

/* Length (1..4) of the well-formed UTF-8 sequence at p (n bytes left), or
 * 0 when the byte at p does not start one. RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    else if (c == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else {
    return 0; /* continuation byte, C0, C1, F5..FF */
  }
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++) {
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  }
  return len;
}

bool ms_record_utf8_valid(const char *p, size_t len)
{
  const unsigned char *u = (const unsigned char *)p;
  for (size_t i = 0; i < len;) {
    size_t n = utf8_seq(u + i, len - i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

json_t *ms_record_string(const char *p, size_t len)
{
  if (len == 0 || !p)
    return must(json_stringn("", 0));
  if (ms_record_utf8_valid(p, len))
    return must(json_stringn(p, len));
  /* Slow path, only for strings with stray bytes: the output is at most
   * twice the input (every byte may grow to two). */
  /* Each stray byte b (0x80..0xFF) becomes U+00b: two bytes in UTF-8. */
  const unsigned char *u = (const unsigned char *)p;
  char *buf = ms_xmalloc(len * 2);
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t n = utf8_seq(u + i, len - i);
    if (n > 0) {
      memcpy(buf + o, u + i, n);
      o += n;
      i += n;
      continue;
    }
    buf[o++] = (char)(0xC0 | (u[i] >> 6));
    buf[o++] = (char)(0x80 | (u[i] & 0x3F));
    i++;
  }
  json_t *s = json_stringn(buf, o);
  free(buf);
  return must(s);
}

/* Standard base64 (RFC 4648 section 4) with padding; a new JSON string. */
static json_t *base64_string(const char *p, size_t len)
{
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *u = (const unsigned char *)p;
  size_t cap = (len + 2) / 3 * 4;
  char *out = ms_xmalloc(cap + 1);
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)u[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)u[i + 1] << 8;
    if (i + 2 < len)
      v |= u[i + 2];
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? tab[v & 63] : '=';
  }
  json_t *s = json_stringn(out, o);
  free(out);
  return must(s);
}

/* ---- time ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
 * days_from_civil inverse). Pure: no time_t range, no locale, no TZ. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  z += 719468;
  int64_t era = floor_div(z, 146097);
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

/* Writes "YYYY-MM-DDTHH:MM:SSZ" for Unix seconds t, clamped to years
 * 0000..9999 so the text stays RFC 3339. */
static void format_time(int64_t t, char *out, size_t cap)
{
  if (t < TIME_MIN)
    t = TIME_MIN;
  if (t > TIME_MAX)
    t = TIME_MAX;
  int64_t days = floor_div(t, 86400);
  unsigned secs = (unsigned)(t - days * 86400);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  int n = snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y, m,
                   d, secs / 3600, secs / 60 % 60, secs % 60);
  MS_ASSERT(n == 20);
}

static json_t *time_string(int64_t t)
{
  char buf[32];
  format_time(t, buf, sizeof(buf));
  return must(json_string(buf));
}

/* ---- evidence members ---- */

static json_t *string_array(char *const *items, size_t n)
{
  json_t *a = must(json_array());
  for (size_t i = 0; i < n; i++)
    push(a, cstr_or_null(items[i]));
  return a;
}

/* The TXT records of one lookup, as served (character-strings joined by
 * the DNS layer); record_len is authoritative since a record may hold
 * NUL bytes. */
static json_t *txt_records(const struct ms_obs_txt *t)
{
  json_t *a = must(json_array());
  size_t n = min_size(t->n_records, MS_TXT_RECORDS_MAX);
  for (size_t i = 0; i < n; i++)
    push(a, ms_record_string(t->records[i], t->record_len[i]));
  return a;
}

/* Address texts in lookup order (A before AAAA, as the DNS layer stored
 * them), including the ones the SSRF guard withheld: the record shows
 * what the name resolves to, the findings say what was not contacted. */
static json_t *addresses(const struct ms_obs_addrs *a)
{
  json_t *arr = must(json_array());
  size_t n = min_size(a->n_addr, MS_ADDRS_MAX);
  for (size_t i = 0; i < n; i++) {
    char buf[MS_ADDR_STR_MAX];
    buf[0] = '\0';
    ms_addr_format(&a->addr[i], buf, sizeof(buf));
    push(arr, ms_record_string(buf, strnlen(buf, sizeof(buf))));
  }
  return arr;
}

/* sts_record: the _mta-sts lookup as seen, plus what the verdict made
 * of it (id, usable). null when the lookup never ran (invalid input). */
static json_t *sts_member(const struct ms_obs *obs, const struct ms_verdict *v)
{
  const struct ms_obs_txt *t = &obs->sts;
  if (t->dns.outcome == MS_DNS_NOT_RUN)
    return json_null();
  json_t *o = must(json_object());
  put(o, "name", cstr_or_null(t->qname));
  put(o, "records", txt_records(t));
  if (t->records_dropped > 0)
    put(o, "records_dropped", json_integer((json_int_t)t->records_dropped));
  put(o, "id", v->sts.id.len > 0 ? slice_str(v->sts.id) : json_null());
  put(o, "cname_chain",
      string_array(t->cname_chain, min_size(t->n_cname, MS_CNAME_MAX)));
  put(o, "dns", static_str(ms_dns_outcome_name(t->dns.outcome)));
  put(o, "usable", json_boolean(v->sts.usable));
  return o;
}

/* policy: the fetch evidence, then the parsed fields. It is present as
 * soon as the host lookup ran, even when no fetch followed (no address,
 * SSRF guard), so the record shows why. Parsed fields are the values as
 * written (mode "[enforce|testing|none]" stays visible); max_age is a
 * number only when valid. */
static json_t *policy_member(const struct ms_obs *obs,
                             const struct ms_verdict *v)
{
  const struct ms_obs_fetch *f = &obs->policy;
  if (f->outcome == MS_FETCH_NOT_RUN && f->addrs.a.outcome == MS_DNS_NOT_RUN)
    return json_null();
  json_t *o = must(json_object());
  put(o, "url", cstr_or_null(f->url));
  put(o, "host", cstr_or_null(f->host));
  put(o, "addresses", addresses(&f->addrs));
  put(o, "fetch", static_str(ms_fetch_outcome_name(f->outcome)));
  put(o, "error", cstr_or_null(f->error));
  put(o, "connected_to", cstr_or_null(f->connected_to));
  put(o, "http_status",
      f->http_status > 0 ? json_integer((json_int_t)f->http_status)
                         : json_null());
  put(o, "content_type", cstr_or_null(f->content_type));
  put(o, "location", cstr_or_null(f->location));
  put(o, "bytes",
      f->body ? json_integer((json_int_t)f->body_len) : json_null());
  put(o, "truncated", json_boolean(f->body_truncated));
  put(o, "sha256", cstr_or_null(f->body_sha256));
  put(o, "body",
      f->body ? ms_record_string(f->body, f->body_len) : json_null());
  /* \u00XX keeps stray bytes readable but cannot be told from the same
   * code points sent as UTF-8; the exact bytes go alongside (output.md). */
  if (f->body && !ms_record_utf8_valid(f->body, f->body_len))
    put(o, "body_base64", base64_string(f->body, f->body_len));

  const struct ms_policy *p = &v->policy;
  json_t *mx = must(json_array());
  if (v->policy_parsed) {
    put(o, "version", p->has_version ? slice_str(p->version) : json_null());
    put(o, "mode",
        p->mode != MS_MODE_UNSET ? slice_str(p->mode_raw) : json_null());
    put(o, "max_age",
        p->max_age_ok ? json_integer((json_int_t)p->max_age) : json_null());
    size_t n = min_size(p->n_mx, MS_POLICY_MX_MAX);
    for (size_t i = 0; i < n; i++)
      push(mx, slice_str(p->mx[i].pattern));
  } else {
    put(o, "version", json_null());
    put(o, "mode", json_null());
    put(o, "max_age", json_null());
  }
  put(o, "mx", mx);
  return o;
}

/* The MS_CERT_* bits as names, in a fixed order. */
static json_t *cert_errors(unsigned bits)
{
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {
      {MS_CERT_EXPIRED, "expired"},
      {MS_CERT_NOT_YET_VALID, "not_yet_valid"},
      {MS_CERT_NAME_MISMATCH, "name_mismatch"},
      {MS_CERT_UNTRUSTED, "untrusted"},
      {MS_CERT_OTHER, "other"},
  };
  json_t *a = must(json_array());
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (bits & names[i].bit)
      push(a, static_str(names[i].name));
  }
  return a;
}

/* One certificate, or null when none was seen. days_left counts whole
 * days from the scan start, rounded down: -1 means expired within the
 * last day, 0 means it expires within the next 24 hours. */
static json_t *certificate(const struct ms_cert_info *c, int64_t now)
{
  if (!c->present)
    return json_null();
  json_t *o = must(json_object());
  put(o, "subject", cstr_or_null(c->subject));
  put(o, "issuer", cstr_or_null(c->issuer));
  put(o, "san", string_array(c->san, min_size(c->n_san, MS_SAN_MAX)));
  put(o, "not_before", time_string(c->not_before));
  put(o, "not_after", time_string(c->not_after));
  /* Clamped like the text, so the subtraction cannot overflow. */
  int64_t na = c->not_after < TIME_MIN   ? TIME_MIN
               : c->not_after > TIME_MAX ? TIME_MAX
                                         : c->not_after;
  put(o, "days_left", json_integer((json_int_t)floor_div(na - now, 86400)));
  put(o, "chain_verified", json_boolean(c->chain_verified));
  put(o, "verify_error", cstr_or_null(c->verify_error));
  put(o, "errors", cert_errors(c->errors));
  put(o, "untrusted_reason", cstr_or_null(c->untrusted_reason));
  return o;
}

/* The scan's own clock in Unix seconds (the start of the domain's scan),
 * clamped to the RFC 3339 range, for days_left. */
static int64_t scan_now(const struct ms_obs *obs)
{
  int64_t now = floor_div(obs->started_ms, 1000);
  if (now < TIME_MIN)
    now = TIME_MIN;
  if (now > TIME_MAX)
    now = TIME_MAX;
  return now;
}

/* A reply code, or null when that step never got an answer (0). */
static json_t *code_or_null(int code)
{
  return code > 0 ? json_integer(code) : json_null();
}

/* The text of probe j's address: the probe's own, else the lookup's. */
static json_t *probe_address(const struct ms_obs_mx_host *h, size_t j)
{
  const struct ms_obs_smtp *s = &h->smtp[j];
  size_t n = strnlen(s->address, sizeof(s->address));
  if (n > 0)
    return ms_record_string(s->address, n);
  char buf[MS_ADDR_STR_MAX];
  buf[0] = '\0';
  ms_addr_format(&h->addrs.addr[j], buf, sizeof(buf));
  return ms_record_string(buf, strnlen(buf, sizeof(buf)));
}

/* One probe of one (host, address) pair, every step's evidence. */
static json_t *probe_member(const struct ms_obs_mx_host *h, size_t j,
                            int64_t now)
{
  const struct ms_obs_smtp *s = &h->smtp[j];
  json_t *o = must(json_object());
  put(o, "address", probe_address(h, j));
  put(o, "outcome", static_str(ms_smtp_outcome_name(s->outcome)));
  put(o, "shared", json_boolean(s->shared));
  put(o, "banner_code", code_or_null(s->banner_code));
  put(o, "banner", cstr_or_null(s->banner));
  put(o, "ehlo_code", code_or_null(s->ehlo_code));
  put(o, "starttls_offered", json_boolean(s->starttls_offered));
  put(o, "starttls_code", code_or_null(s->starttls_code));
  put(o, "ehlo_tls_code", code_or_null(s->ehlo_tls_code));
  put(o, "protocol", cstr_or_null(s->tls_protocol));
  put(o, "cipher", cstr_or_null(s->tls_cipher));
  put(o, "certificate", certificate(&s->cert, now));
  put(o, "error", cstr_or_null(s->error));
  put(o, "duration_ms",
      json_integer(s->duration_ms > 0 ? (json_int_t)s->duration_ms : 0));
  return o;
}

/* mx[i].smtp: null when no probes were planned for the host, else a
 * summary over its addresses and the per-address evidence.
 *  - reachable: some address greeted with 220;
 *  - starttls: every address that answered EHLO after a 220 greeting
 *    offered STARTTLS; null when none got that far (a probe that timed
 *    out after the greeting tells nothing about STARTTLS);
 *  - protocol, cipher, certificate, verify_error: of the first address
 *    whose probe completed (outcome ok), else null;
 *  - tlsa: _25._tcp.<host> has TLSA records. */
static json_t *smtp_member(const struct ms_obs_mx_host *h, int64_t now)
{
  if (!h->smtp)
    return json_null();
  size_t n = min_size(h->addrs.n_addr, MS_ADDRS_MAX);
  bool reachable = false, any_ehlo = false, all_tls = true;
  const struct ms_obs_smtp *first_ok = NULL;
  json_t *addrs = must(json_array());
  for (size_t j = 0; j < n; j++) {
    const struct ms_obs_smtp *s = &h->smtp[j];
    if (s->banner_code == 220) {
      reachable = true;
      if (s->ehlo_code > 0) {
        any_ehlo = true;
        all_tls = all_tls && s->starttls_offered;
      }
    }
    if (!first_ok && s->outcome == MS_SMTP_OK)
      first_ok = s;
    push(addrs, probe_member(h, j, now));
  }
  json_t *o = must(json_object());
  put(o, "reachable", json_boolean(reachable));
  put(o, "starttls", any_ehlo ? json_boolean(all_tls) : json_null());
  put(o, "protocol",
      first_ok ? cstr_or_null(first_ok->tls_protocol) : json_null());
  put(o, "cipher", first_ok ? cstr_or_null(first_ok->tls_cipher) : json_null());
  put(o, "certificate",
      first_ok ? certificate(&first_ok->cert, now) : json_null());
  put(o, "verify_error",
      first_ok && first_ok->cert.present
          ? cstr_or_null(first_ok->cert.verify_error)
          : json_null());
  put(o, "tlsa", json_boolean(h->has_tlsa));
  put(o, "addresses", addrs);
  return o;
}

/* policy_tls: protocol, cipher and certificate of the policy fetch; null
 * when the handshake never got that far. */
static json_t *policy_tls_member(const struct ms_obs *obs)
{
  const struct ms_obs_fetch *f = &obs->policy;
  if (!f->tls_protocol && !f->cert.present)
    return json_null();
  json_t *o = must(json_object());
  put(o, "protocol", cstr_or_null(f->tls_protocol));
  put(o, "cipher", cstr_or_null(f->tls_cipher));
  put(o, "certificate", certificate(&f->cert, scan_now(obs)));
  return o;
}

/* mx: every MX host in answer order with the first policy pattern that
 * covers it (v->mx_covered_by, checked against the pattern count). A null
 * MX gives [], since there is nothing to deliver to. smtp is the STARTTLS
 * probe evidence (smtp_member), null when the host was not probed. */
static json_t *mx_member(const struct ms_obs *obs, const struct ms_verdict *v)
{
  const struct ms_obs_mx *mx = &obs->mx;
  if (mx->dns.outcome == MS_DNS_NOT_RUN)
    return json_null();
  json_t *a = must(json_array());
  if (mx->null_mx)
    return a;
  size_t n = min_size(mx->n_host, MS_MX_HOSTS_MAX);
  for (size_t i = 0; i < n; i++) {
    const struct ms_obs_mx_host *h = &mx->host[i];
    int idx = v->mx_covered_by[i];
    json_t *o = must(json_object());
    put(o, "host", ms_record_string(h->host, h->host ? strlen(h->host) : 0));
    put(o, "preference", json_integer(h->preference));
    put(o, "addresses", addresses(&h->addrs));
    bool covered = v->policy_parsed && idx >= 0 &&
                   (size_t)idx < min_size(v->policy.n_mx, MS_POLICY_MX_MAX);
    put(o, "covered_by",
        covered ? slice_str(v->policy.mx[idx].pattern) : json_null());
    put(o, "implicit", json_boolean(mx->implicit));
    put(o, "smtp", smtp_member(h, scan_now(obs)));
    push(a, o);
  }
  return a;
}

/* tlsrpt: the _smtp._tls lookup and the rua URIs the parser found. */
static json_t *tlsrpt_member(const struct ms_obs *obs,
                             const struct ms_verdict *v)
{
  const struct ms_obs_txt *t = &obs->tlsrpt;
  if (t->dns.outcome == MS_DNS_NOT_RUN)
    return json_null();
  json_t *o = must(json_object());
  put(o, "records", txt_records(t));
  json_t *rua = must(json_array());
  size_t n = min_size(v->tlsrpt.n_rua, MS_TLSRPT_RUA_MAX);
  for (size_t i = 0; i < n; i++)
    push(rua, slice_str(v->tlsrpt.rua[i]));
  put(o, "rua", rua);
  put(o, "dns", static_str(ms_dns_outcome_name(t->dns.outcome)));
  return o;
}

/* findings, in the verdict's order. The message is always the
 * catalogue's; subject and detail are omitted when empty. A severity the
 * verdict left unresolved (DEFAULT of a MODE entry, or MODE) is written
 * as info, the contract's value "when no usable policy exists", so a
 * record never says "mode-dependent". */
static json_t *findings_member(const struct ms_findings *f)
{
  json_t *a = must(json_array());
  size_t n = min_size(f->n, MS_FINDINGS_MAX);
  for (size_t i = 0; i < n; i++) {
    const struct ms_finding_item *it = &f->item[i];
    const struct ms_finding_info *info = ms_finding_info(it->code);
    MS_ASSERT(info != NULL);
    enum ms_sev sev = it->sev == MS_SEV_DEFAULT ? info->sev : it->sev;
    if (sev == MS_SEV_MODE || sev == MS_SEV_DEFAULT)
      sev = MS_SEV_INFO; /* the verdict should have resolved it */
    json_t *o = must(json_object());
    put(o, "code", static_str(info->code));
    put(o, "severity", static_str(ms_sev_name(sev)));
    put(o, "message", static_str(info->message));
    size_t sl = strnlen(it->subject, sizeof(it->subject));
    if (sl > 0)
      put(o, "subject", ms_record_string(it->subject, sl));
    size_t dl = strnlen(it->detail, sizeof(it->detail));
    if (dl > 0)
      put(o, "detail", ms_record_string(it->detail, dl));
    push(a, o);
  }
  return a;
}

/* The rejected input line, trimmed (SP, HTAB, CR, LF) and ASCII
 * lower-cased: the `domain` of an invalid-input record. */
static json_t *invalid_domain(const char *input)
{
  if (!input)
    return ms_record_string("", 0);
  size_t len = strlen(input), b = 0;
  while (b < len &&
         (ms_ascii_is_wsp(input[b]) || input[b] == '\r' || input[b] == '\n'))
    b++;
  while (len > b && (ms_ascii_is_wsp(input[len - 1]) ||
                     input[len - 1] == '\r' || input[len - 1] == '\n'))
    len--;
  char *low = ms_xstrndup(input + b, len - b);
  for (size_t i = 0; i < len - b; i++)
    low[i] = (char)ms_ascii_lower((unsigned char)low[i]);
  json_t *s = ms_record_string(low, len - b);
  free(low);
  return s;
}

json_t *ms_record_build(const struct ms_obs *obs, const struct ms_verdict *v)
{
  MS_ASSERT(obs != NULL && v != NULL);
  json_t *rec = must(json_object());
  size_t dlen = strnlen(obs->domain, sizeof(obs->domain));
  /* domain: the normalised name; for a rejected line (obs->domain is
   * "") the line itself, trimmed and lower-cased, so dashboards keyed on
   * domain still see something. input: only when it tells more. */
  if (obs->input_invalid) {
    put(rec, "domain", invalid_domain(obs->input));
    put(rec, "input",
        ms_record_string(obs->input, obs->input ? strlen(obs->input) : 0));
  } else {
    put(rec, "domain", ms_record_string(obs->domain, dlen));
    if (obs->input && (strlen(obs->input) != dlen ||
                       memcmp(obs->input, obs->domain, dlen) != 0))
      put(rec, "input", cstr_or_null(obs->input));
  }
  put(rec, "status", static_str(ms_status_name(v->status)));
  const char *mode = ms_mode_name(v->mode);
  put(rec, "mode", mode ? json_string(mode) : json_null());
  /* Times: floor division, so a negative (pre-1970) clock still gives
   * the second that contains it. */
  put(rec, "scanned_at", time_string(floor_div(obs->started_ms, 1000)));
  put(rec, "duration_ms",
      json_integer(obs->duration_ms > 0 ? (json_int_t)obs->duration_ms : 0));
  put(rec, "findings", findings_member(&v->findings));
  if (v->findings.dropped > 0)
    put(rec, "findings_dropped", json_integer((json_int_t)v->findings.dropped));
  put(rec, "sts_record", sts_member(obs, v));
  put(rec, "policy", policy_member(obs, v));
  put(rec, "policy_tls", policy_tls_member(obs));
  put(rec, "mx", mx_member(obs, v));
  put(rec, "tlsrpt", tlsrpt_member(obs, v));
  return rec;
}

/* One serialisation pass into a growing buffer (json_dumpb would need
 * two: one for the size, one for the bytes), so the line and its newline
 * are one buffer from our allocator, written with a single write(). */
struct dump_buf {
  char *p;
  size_t len, cap;
};

static int dump_cb(const char *s, size_t n, void *arg)
{
  struct dump_buf *b = arg;
  if (n + 2 > b->cap - b->len) {
    size_t cap = b->cap;
    while (n + 2 > cap - b->len)
      cap *= 2;
    b->p = ms_xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  return 0;
}

char *ms_record_dump(const json_t *rec, size_t *len)
{
  if (!rec)
    return NULL;
  struct dump_buf b = {ms_xmalloc(4096), 0, 4096};
  if (json_dump_callback(rec, dump_cb, &b, JSON_SORT_KEYS | JSON_COMPACT) !=
          0 ||
      b.len == 0) {
    free(b.p);
    return NULL; /* not encodable */
  }
  b.p[b.len] = '\n';
  b.p[b.len + 1] = '\0';
  if (len)
    *len = b.len + 1;
  return b.p;
}
