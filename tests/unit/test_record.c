/*
 * report/record.c: hand-built observations + verdicts -> exact JSON lines
 * (sorted keys, compact), each also round-tripped through json_loads; the
 * byte escaping of ms_record_string; timestamps and days_left; severity
 * resolution; caps; the mx[].smtp probe evidence. Every expected record
 * here is also validated against data/schema/record.schema.json by
 * tests/schema_selftest.py, which reads the string literals of this file
 * that start with {"domain".
 */
#include "report/record.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/findings.h"
#include "util/xalloc.h"
#include "unit.h"

/* 2026-12-03T02:00:01Z, the spec's example time. */
#define T0 1796263201LL

/* ---- builders ---- */

static struct ms_verdict *verdict_new(void)
{
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  ms_findings_init(&v->findings);
  for (size_t i = 0; i < MS_MX_HOSTS_MAX; i++)
    v->mx_covered_by[i] = -1;
  return v;
}

static void txt_add(struct ms_obs_txt *t, const char *bytes, size_t len)
{
  t->records[t->n_records] = ms_xstrndup(bytes, len);
  t->record_len[t->n_records] = len;
  t->n_records++;
}

static void addr4(struct ms_obs_addrs *a, uint8_t w, uint8_t x, uint8_t y,
                  uint8_t z)
{
  struct ms_addr *p = &a->addr[a->n_addr++];
  memset(p, 0, sizeof(*p));
  p->family = 4;
  p->bytes[0] = w;
  p->bytes[1] = x;
  p->bytes[2] = y;
  p->bytes[3] = z;
}

/* 2001:db8::<last> (documentation prefix). */
static void addr6(struct ms_obs_addrs *a, uint8_t last)
{
  struct ms_addr *p = &a->addr[a->n_addr++];
  memset(p, 0, sizeof(*p));
  p->family = 6;
  p->bytes[0] = 0x20;
  p->bytes[1] = 0x01;
  p->bytes[2] = 0x0d;
  p->bytes[3] = 0xb8;
  p->bytes[15] = last;
}

/* A slice over the first occurrence of needle in len bytes of hay (the
 * verdict's slices point into the observations). */
static struct ms_slice within(const char *hay, size_t len, const char *needle)
{
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++) {
    if (memcmp(hay + i, needle, n) == 0)
      return ms_slice_make(hay + i, n);
  }
  CU_FAIL("test bug: needle not in haystack");
  return ms_slice_make(hay, 0);
}

static void mx_host(struct ms_obs_mx *mx, const char *host, uint16_t pref)
{
  struct ms_obs_mx_host *h = &mx->host[mx->n_host++];
  h->host = ms_xstrdup(host);
  h->preference = pref;
  h->addrs.a.outcome = MS_DNS_OK;
  h->addrs.aaaa.outcome = MS_DNS_NODATA;
}

static void policy_host(struct ms_obs_fetch *f, const char *domain)
{
  char buf[300];
  snprintf(buf, sizeof(buf), "mta-sts.%s", domain);
  f->host = ms_xstrdup(buf);
  snprintf(buf, sizeof(buf), "https://mta-sts.%s/.well-known/mta-sts.txt",
           domain);
  f->url = ms_xstrdup(buf);
}

static void body_set(struct ms_obs_fetch *f, const char *bytes, size_t len)
{
  f->body = ms_xstrndup(bytes, len);
  f->body_len = len;
}

/* ---- the record cases ---- */

/* A rejected input line: domain is the line trimmed and lower-cased, with
 * an odd byte kept as U+00FF; input is the line as given. */
static void build_invalid(struct ms_obs *o, struct ms_verdict *v)
{
  o->input = ms_xstrdup("  Bad_Name!.EXAMPLE\xff\t\r\n");
  o->input_invalid = true;
  o->started_ms = T0 * 1000 + 999;
  v->status = MS_STATUS_ERROR;
  ms_findings_add(&v->findings, MS_F_INPUT_INVALID_NAME, MS_SEV_DEFAULT, NULL,
                  "illegal character '%c'", '_');
}

/* Expect: the 0xFF byte as U+00FF (UTF-8 C3 BF) in both members, the
 * control characters of the line escaped by jansson, every evidence
 * member null, the catalogue severity for a DEFAULT item. */
static const char want_invalid[] =
    "{\"domain\":\"bad_name!.example\xc3\xbf\",\"duration_ms\":0,"
    "\"findings\":[{\"code\":\"INPUT_INVALID_NAME\",\"detail\":\"illegal "
    "character '_'\",\"message\":\"the input line is not a valid domain "
    "name\",\"severity\":\"error\"}],\"input\":\"  Bad_Name!.EXAMPLE\xc3\xbf"
    "\\t\\r\\n\",\"mode\":null,\"mx\":null,\"policy\":null,\"policy_tls\":"
    "null,\"scanned_at\":\"2026-12-03T02:00:01Z\",\"status\":\"error\","
    "\"sts_record\":null,\"tlsrpt\":null}\n";

/* No _mta-sts record, no policy host; input differs from the domain. */
static void build_none(struct ms_obs *o, struct ms_verdict *v)
{
  snprintf(o->domain, sizeof(o->domain), "example.org");
  o->input = ms_xstrdup("Example.ORG.");
  o->started_ms = 1709210096000LL; /* 2024-02-29T12:34:56Z */
  o->duration_ms = 37;
  o->sts.qname = ms_xstrdup("_mta-sts.example.org");
  o->sts.dns.outcome = MS_DNS_NXDOMAIN;
  o->tlsrpt.qname = ms_xstrdup("_smtp._tls.example.org");
  o->tlsrpt.dns.outcome = MS_DNS_OK;
  txt_add(&o->tlsrpt, "v=spf1 -all", 11);
  o->mx.dns.outcome = MS_DNS_OK;
  mx_host(&o->mx, "mx.example.org", 10);
  addr4(&o->mx.host[0].addrs, 192, 0, 2, 25);
  policy_host(&o->policy, "example.org");
  o->policy.addrs.a.outcome = MS_DNS_NXDOMAIN;
  o->policy.addrs.aaaa.outcome = MS_DNS_NXDOMAIN;
  o->policy.outcome = MS_FETCH_NO_ADDRESS;
  v->status = MS_STATUS_NONE;
  ms_findings_add(&v->findings, MS_F_STS_RECORD_MISSING, MS_SEV_DEFAULT, NULL,
                  NULL);
  ms_findings_add(&v->findings, MS_F_TLSRPT_MISSING, MS_SEV_INFO, NULL, NULL);
}

/* Expect: input present (it differs), sts_record with no records and a
 * null id, a policy member although no fetch ran (the host lookup did),
 * covered_by null without a policy. */
static const char want_none[] =
    "{\"domain\":\"example.org\",\"duration_ms\":37,\"findings\":[{\"code\":"
    "\"STS_RECORD_MISSING\",\"message\":\"no MTA-STS TXT record at "
    "_mta-sts.<domain>\",\"severity\":\"info\"},{\"code\":\"TLSRPT_MISSING\","
    "\"message\":\"no TLS-RPT record at _smtp._tls.<domain> (warning when the "
    "mode is testing)\",\"severity\":\"info\"}],\"input\":\"Example.ORG.\","
    "\"mode\":null,\"mx\":[{\"addresses\":[\"192.0.2.25\"],\"covered_by\":"
    "null,\"host\":\"mx.example.org\",\"implicit\":false,\"preference\":10,"
    "\"smtp\":null}],\"policy\":{\"addresses\":[],\"body\":null,\"bytes\":"
    "null,\"connected_to\":null,\"content_type\":null,\"error\":null,"
    "\"fetch\":\"no_address\",\"host\":\"mta-sts.example.org\","
    "\"http_status\":null,\"location\":null,\"max_age\":null,\"mode\":null,"
    "\"mx\":[],\"sha256\":null,\"truncated\":false,\"url\":"
    "\"https://mta-sts.example.org/.well-known/mta-sts.txt\",\"version\":"
    "null},\"policy_tls\":null,\"scanned_at\":\"2024-02-29T12:34:56Z\","
    "\"status\":\"none\",\"sts_record\":{\"cname_chain\":[],\"dns\":"
    "\"nxdomain\",\"id\":null,\"name\":\"_mta-sts.example.org\",\"records\":"
    "[],\"usable\":false},\"tlsrpt\":{\"dns\":\"ok\",\"records\":"
    "[\"v=spf1 -all\"],\"rua\":[]}}\n";

/* A complete deployment (CNAME'd record, CRLF policy without a final line
 * terminator, verified certificate, one MX not covered, TLS-RPT). */
static const char full_body[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\n"
    "mx: *.example.net\r\nmax_age: 604800";

static void build_full(struct ms_obs *o, struct ms_verdict *v)
{
  snprintf(o->domain, sizeof(o->domain), "example.org");
  o->input = ms_xstrdup("example.org");
  o->started_ms = T0 * 1000;
  o->duration_ms = 412;
  struct ms_obs_txt *t = &o->sts;
  t->qname = ms_xstrdup("_mta-sts.example.org");
  t->dns.outcome = MS_DNS_OK;
  txt_add(t, "v=STSv1; id=20190125;", 21);
  t->cname_chain[t->n_cname++] = ms_xstrdup("_mta-sts.example.net");
  v->has_sts = true;
  v->sts.state = MS_STS_OK;
  v->sts.id = within(t->records[0], t->record_len[0], "20190125");
  v->sts.id_valid = true;
  v->sts.usable = true;

  struct ms_obs_fetch *f = &o->policy;
  policy_host(f, "example.org");
  f->addrs.a.outcome = MS_DNS_OK;
  f->addrs.aaaa.outcome = MS_DNS_OK;
  addr4(&f->addrs, 192, 0, 2, 80);
  addr6(&f->addrs, 0x80);
  f->outcome = MS_FETCH_OK;
  f->connected_to = ms_xstrdup("192.0.2.80");
  f->http_status = 200;
  f->content_type = ms_xstrdup("text/plain; charset=utf-8");
  body_set(f, full_body, sizeof(full_body) - 1);
  f->body_sha256 = ms_xstrdup(
      "7e020874714f67449f261a794015dd7382c274de7bed64c509559c4bfa83f866");
  f->tls_protocol = ms_xstrdup("TLSv1.3");
  f->tls_cipher = ms_xstrdup("TLS_AES_256_GCM_SHA384");
  struct ms_cert_info *c = &f->cert;
  c->present = true;
  c->subject = ms_xstrdup("CN=mta-sts.example.org");
  c->issuer = ms_xstrdup("CN=Lab CA,O=mtasts-scan lab");
  c->san[c->n_san++] = ms_xstrdup("mta-sts.example.org");
  c->san[c->n_san++] = ms_xstrdup("*.example.org");
  c->not_before = T0 - 30 * 86400;
  c->not_after = T0 + 60 * 86400 + 3600;
  c->chain_verified = true;

  v->policy_served = true;
  v->policy_parsed = true;
  v->policy_usable = true;
  struct ms_policy *p = &v->policy;
  p->has_version = true;
  p->version = within(f->body, f->body_len, "STSv1");
  p->version_ok = true;
  p->mode = MS_MODE_ENFORCE;
  p->mode_raw = within(f->body, f->body_len, "enforce");
  p->has_max_age = true;
  p->max_age_ok = true;
  p->max_age = 604800;
  p->mx[p->n_mx++].pattern = within(f->body, f->body_len, "mail.example.org");
  p->mx[p->n_mx++].pattern = within(f->body, f->body_len, "*.example.net");
  p->usable = true;
  v->mode = MS_MODE_ENFORCE;

  o->mx.dns.outcome = MS_DNS_OK;
  mx_host(&o->mx, "mail.example.org", 10);
  addr4(&o->mx.host[0].addrs, 192, 0, 2, 25);
  mx_host(&o->mx, "backup.example.com", 20);
  addr6(&o->mx.host[1].addrs, 0x25);
  v->mx_covered_by[0] = 0;
  v->mx_covered_by[1] = -1;

  static const char rpt[] = "v=TLSRPTv1; rua=mailto:tlsrpt@example.org,"
                            "https://report.example.org/tlsrpt";
  o->tlsrpt.qname = ms_xstrdup("_smtp._tls.example.org");
  o->tlsrpt.dns.outcome = MS_DNS_OK;
  txt_add(&o->tlsrpt, rpt, sizeof(rpt) - 1);
  const char *r0 = o->tlsrpt.records[0];
  v->tlsrpt.present = true;
  v->tlsrpt.valid = true;
  v->tlsrpt.rua[v->tlsrpt.n_rua++] =
      within(r0, sizeof(rpt) - 1, "mailto:tlsrpt@example.org");
  v->tlsrpt.rua[v->tlsrpt.n_rua++] =
      within(r0, sizeof(rpt) - 1, "https://report.example.org/tlsrpt");

  v->status = MS_STATUS_INVALID;
  ms_findings_add(&v->findings, MS_F_MX_NOT_COVERED, MS_SEV_ERROR,
                  "backup.example.com", NULL);
  /* An unresolved mode-dependent item must not leak "mode-dependent". */
  ms_findings_add(&v->findings, MS_F_SMTP_STARTTLS_MISSING, MS_SEV_MODE,
                  "mail.example.org", NULL);
  ms_findings_add(&v->findings, MS_F_STS_RECORD_CNAME, MS_SEV_DEFAULT, NULL,
                  "%s", "_mta-sts.example.net");
}

/* Expect: the CRLF body escaped (\r\n), mx patterns and mode as
 * written, covered_by from mx_covered_by, days_left 60 (60 days and an
 * hour), the unresolved MODE item written as info, sorted keys. */
static const char want_full[] =
    "{\"domain\":\"example.org\",\"duration_ms\":412,\"findings\":[{\"code\":"
    "\"MX_NOT_COVERED\",\"message\":\"an MX host matches no policy mx "
    "pattern; enforce-mode senders will refuse to deliver to it\","
    "\"severity\":\"error\",\"subject\":\"backup.example.com\"},{\"code\":"
    "\"SMTP_STARTTLS_MISSING\",\"message\":\"the MX host does not offer "
    "STARTTLS (or refuses it)\",\"severity\":\"info\",\"subject\":"
    "\"mail.example.org\"},{\"code\":\"STS_RECORD_CNAME\",\"detail\":"
    "\"_mta-sts.example.net\",\"message\":\"_mta-sts.<domain> is an alias "
    "(CNAME); the chain is reported\",\"severity\":\"info\"}],\"mode\":"
    "\"enforce\",\"mx\":[{\"addresses\":[\"192.0.2.25\"],\"covered_by\":"
    "\"mail.example.org\",\"host\":\"mail.example.org\",\"implicit\":false,"
    "\"preference\":10,\"smtp\":null},{\"addresses\":[\"2001:db8::25\"],"
    "\"covered_by\":null,\"host\":\"backup.example.com\",\"implicit\":false,"
    "\"preference\":20,\"smtp\":null}],\"policy\":{\"addresses\":"
    "[\"192.0.2.80\",\"2001:db8::80\"],\"body\":\"version: STSv1\\r\\nmode: "
    "enforce\\r\\nmx: mail.example.org\\r\\nmx: *.example.net\\r\\nmax_age: "
    "604800\",\"bytes\":87,\"connected_to\":\"192.0.2.80\",\"content_type\":"
    "\"text/plain; charset=utf-8\",\"error\":null,\"fetch\":\"ok\",\"host\":"
    "\"mta-sts.example.org\",\"http_status\":200,\"location\":null,"
    "\"max_age\":604800,\"mode\":\"enforce\",\"mx\":[\"mail.example.org\","
    "\"*.example.net\"],\"sha256\":\"7e020874714f67449f261a794015dd7382c274de"
    "7bed64c509559c4bfa83f866\",\"truncated\":false,\"url\":"
    "\"https://mta-sts.example.org/.well-known/mta-sts.txt\",\"version\":"
    "\"STSv1\"},\"policy_tls\":{\"certificate\":{\"chain_verified\":true,"
    "\"days_left\":60,\"errors\":[],\"issuer\":\"CN=Lab CA,O=mtasts-scan "
    "lab\",\"not_after\":\"2027-02-01T03:00:01Z\",\"not_before\":"
    "\"2026-11-03T02:00:01Z\",\"san\":[\"mta-sts.example.org\","
    "\"*.example.org\"],\"subject\":\"CN=mta-sts.example.org\","
    "\"untrusted_reason\":null,\"verify_error\":null},\"cipher\":"
    "\"TLS_AES_256_GCM_SHA384\",\"protocol\":\"TLSv1.3\"},\"scanned_at\":"
    "\"2026-12-03T02:00:01Z\",\"status\":\"invalid\",\"sts_record\":"
    "{\"cname_chain\":[\"_mta-sts.example.net\"],\"dns\":\"ok\",\"id\":"
    "\"20190125\",\"name\":\"_mta-sts.example.org\",\"records\":[\"v=STSv1; "
    "id=20190125;\"],\"usable\":true},\"tlsrpt\":{\"dns\":\"ok\",\"records\":"
    "[\"v=TLSRPTv1; rua=mailto:tlsrpt@example.org,"
    "https://report.example.org/tlsrpt\"],\"rua\":[\"mailto:tlsrpt@example."
    "org\",\"https://report.example.org/tlsrpt\"]}}\n";

/* Bytes that are not UTF-8 (and a NUL) in a TXT record, the policy body,
 * a finding subject; a record with literal quote characters; a template
 * policy (BOM, placeholder mode, word max_age, trailing-dot mx, trailing
 * blank line). Stray bytes become U+00XX, the body's exact bytes go to
 * body_base64. */
static const char odd_txt[] = "v=STSv1; id=2024\xff\x00Z";
static const char odd_body[] =
    "\xef\xbb\xbfversion: STSv1\nmode: [enforce|testing|none]\n"
    "mx: mail.example.net.\nmax_age: enforce\n"
    "note: caf\xe9 \xc0\xaf \xed\xa0\x80 \xf0\x9f\x93\xab\x00\n\n";

static void build_bytes(struct ms_obs *o, struct ms_verdict *v)
{
  snprintf(o->domain, sizeof(o->domain), "example.net");
  o->started_ms = T0 * 1000;
  o->duration_ms = 5;
  o->sts.qname = ms_xstrdup("_mta-sts.example.net");
  o->sts.dns.outcome = MS_DNS_OK;
  txt_add(&o->sts, odd_txt, sizeof(odd_txt) - 1);
  txt_add(&o->sts, "\"v=STSv1; id=1\"", 15);
  v->has_sts = true;
  v->sts.state = MS_STS_MALFORMED;

  struct ms_obs_fetch *f = &o->policy;
  policy_host(f, "example.net");
  f->addrs.a.outcome = MS_DNS_OK;
  addr4(&f->addrs, 198, 51, 100, 7);
  f->outcome = MS_FETCH_OK;
  f->http_status = 200;
  f->content_type = ms_xstrdup("text/html");
  body_set(f, odd_body, sizeof(odd_body) - 1);
  f->tls_protocol = ms_xstrdup("TLSv1.2");

  v->policy_served = true;
  v->policy_parsed = true;
  struct ms_policy *p = &v->policy;
  p->has_version = true;
  p->version = within(f->body, f->body_len, "STSv1");
  p->version_ok = true;
  p->mode = MS_MODE_INVALID;
  p->mode_raw = within(f->body, f->body_len, "[enforce|testing|none]");
  p->has_max_age = true;
  p->max_age_ok = false;
  p->mx[p->n_mx++].pattern = within(f->body, f->body_len, "mail.example.net.");

  o->mx.dns.outcome = MS_DNS_NODATA;
  o->mx.implicit = true;
  mx_host(&o->mx, "example.net", 0);
  v->mx_covered_by[0] = 5; /* out of range: treated as "not covered" */

  v->status = MS_STATUS_INVALID;
  ms_findings_add(&v->findings, MS_F_POLICY_ENCODING, MS_SEV_DEFAULT, "caf\xc3",
                  "%s", "byte 0xe9 at offset 93");
}

/* Expect: stray bytes as U+00XX, the NUL as \u0000, the BOM and the
 * valid 4-byte sequence untouched, body_base64 with the exact bytes, the
 * out-of-range covered_by index as null, mode null at the top level but
 * the raw mode value in policy.mode. */
static const char want_bytes[] =
    "{\"domain\":\"example.net\",\"duration_ms\":5,\"findings\":[{\"code\":"
    "\"POLICY_ENCODING\",\"detail\":\"byte 0xe9 at offset 93\",\"message\":"
    "\"the policy contains a byte order mark, NUL or control characters, or "
    "invalid UTF-8\",\"severity\":\"error\",\"subject\":\"caf\xc3\x83\"}],"
    "\"mode\":null,\"mx\":[{\"addresses\":[],\"covered_by\":null,\"host\":"
    "\"example.net\",\"implicit\":true,\"preference\":0,\"smtp\":null}],"
    "\"policy\":{\"addresses\":[\"198.51.100.7\"],\"body\":\"\xef\xbb\xbf"
    "version: STSv1\\nmode: [enforce|testing|none]\\nmx: mail.example.net."
    "\\nmax_age: enforce\\nnote: caf\xc3\xa9 \xc3\x80\xc2\xaf \xc3\xad\xc2\xa0"
    "\xc2\x80 \xf0\x9f\x93\xab\\u0000\\n\\n\",\"body_base64\":\"77u/dmVyc2lv"
    "bjogU1RTdjEKbW9kZTogW2VuZm9yY2V8dGVzdGluZ3xub25lXQpteDogbWFpbC5leGFtcG"
    "xlLm5ldC4KbWF4X2FnZTogZW5mb3JjZQpub3RlOiBjYWbpIMCvIO2ggCDwn5OrAAoK\","
    "\"bytes\":111,\"connected_to\":null,\"content_type\":\"text/html\","
    "\"error\":null,\"fetch\":\"ok\",\"host\":\"mta-sts.example.net\","
    "\"http_status\":200,\"location\":null,\"max_age\":null,\"mode\":"
    "\"[enforce|testing|none]\",\"mx\":[\"mail.example.net.\"],\"sha256\":"
    "null,\"truncated\":false,\"url\":\"https://mta-sts.example.net/"
    ".well-known/mta-sts.txt\",\"version\":\"STSv1\"},\"policy_tls\":"
    "{\"certificate\":null,\"cipher\":null,\"protocol\":\"TLSv1.2\"},"
    "\"scanned_at\":\"2026-12-03T02:00:01Z\",\"status\":\"invalid\","
    "\"sts_record\":{\"cname_chain\":[],\"dns\":\"ok\",\"id\":null,\"name\":"
    "\"_mta-sts.example.net\",\"records\":[\"v=STSv1; id=2024\xc3\xbf"
    "\\u0000Z\",\"\\\"v=STSv1; id=1\\\"\"],\"usable\":false},\"tlsrpt\":"
    "null}\n";

/* A resolver timeout, a redirect without body, a bad certificate with
 * every error bit, a null MX and a SERVFAIL'd TLS-RPT lookup. */
static void build_broken(struct ms_obs *o, struct ms_verdict *v)
{
  snprintf(o->domain, sizeof(o->domain), "example.com");
  o->input = ms_xstrdup("example.com");
  o->started_ms = T0 * 1000 + 500;
  o->duration_ms = 10000;
  o->sts.qname = ms_xstrdup("_mta-sts.example.com");
  o->sts.dns.outcome = MS_DNS_TIMEOUT;
  struct ms_obs_fetch *f = &o->policy;
  policy_host(f, "example.com");
  f->addrs.a.outcome = MS_DNS_OK;
  addr4(&f->addrs, 203, 0, 113, 1);
  f->outcome = MS_FETCH_OK;
  f->connected_to = ms_xstrdup("203.0.113.1");
  f->http_status = 301;
  f->content_type = ms_xstrdup("text/html");
  f->location = ms_xstrdup("https://www.example.com/.well-known/mta-sts.txt");
  f->tls_protocol = ms_xstrdup("TLSv1.3");
  f->tls_cipher = ms_xstrdup("TLS_AES_128_GCM_SHA256");
  struct ms_cert_info *c = &f->cert;
  c->present = true;
  c->not_before = 0;
  c->not_after = T0 - 3 * 86400 - 1;
  c->errors = MS_CERT_EXPIRED | MS_CERT_NOT_YET_VALID | MS_CERT_NAME_MISMATCH |
              MS_CERT_UNTRUSTED | MS_CERT_OTHER;
  c->verify_code = 10;
  c->verify_error = ms_xstrdup("certificate has expired");
  c->untrusted_reason = ms_xstrdup("self-signed");
  o->mx.dns.outcome = MS_DNS_OK;
  o->mx.null_mx = true;
  mx_host(&o->mx, "", 0);
  o->tlsrpt.qname = ms_xstrdup("_smtp._tls.example.com");
  o->tlsrpt.dns.outcome = MS_DNS_SERVFAIL;
  v->status = MS_STATUS_ERROR;
  ms_findings_add(&v->findings, MS_F_DNS_TIMEOUT, MS_SEV_DEFAULT,
                  "TXT _mta-sts.example.com", NULL);
  ms_findings_add(&v->findings, MS_F_POLICY_REDIRECT, MS_SEV_DEFAULT, NULL,
                  "Location: %s", f->location);
}

/* Expect: mx [] for the null MX, bytes/body null without a body, all
 * five error names in order, days_left -4 (3 days and 1 second ago),
 * not_before at the epoch. */
static const char want_broken[] =
    "{\"domain\":\"example.com\",\"duration_ms\":10000,\"findings\":"
    "[{\"code\":\"DNS_TIMEOUT\",\"message\":\"the configured resolver did "
    "not answer a query the verdict depends on\",\"severity\":\"error\","
    "\"subject\":\"TXT _mta-sts.example.com\"},{\"code\":\"POLICY_REDIRECT\","
    "\"detail\":\"Location: https://www.example.com/.well-known/mta-sts.txt\","
    "\"message\":\"the policy URL answered with a redirect; senders must not "
    "follow redirects\",\"severity\":\"error\"}],\"mode\":null,\"mx\":[],"
    "\"policy\":{\"addresses\":[\"203.0.113.1\"],\"body\":null,\"bytes\":"
    "null,\"connected_to\":\"203.0.113.1\",\"content_type\":\"text/html\","
    "\"error\":null,\"fetch\":\"ok\",\"host\":\"mta-sts.example.com\","
    "\"http_status\":301,\"location\":\"https://www.example.com/.well-known/"
    "mta-sts.txt\",\"max_age\":null,\"mode\":null,\"mx\":[],\"sha256\":null,"
    "\"truncated\":false,\"url\":\"https://mta-sts.example.com/.well-known/"
    "mta-sts.txt\",\"version\":null},\"policy_tls\":{\"certificate\":"
    "{\"chain_verified\":false,\"days_left\":-4,\"errors\":[\"expired\","
    "\"not_yet_valid\",\"name_mismatch\",\"untrusted\",\"other\"],\"issuer\":"
    "null,\"not_after\":\"2026-11-30T02:00:00Z\",\"not_before\":"
    "\"1970-01-01T00:00:00Z\",\"san\":[],\"subject\":null,"
    "\"untrusted_reason\":\"self-signed\",\"verify_error\":\"certificate has "
    "expired\"},\"cipher\":\"TLS_AES_128_GCM_SHA256\",\"protocol\":"
    "\"TLSv1.3\"},\"scanned_at\":\"2026-12-03T02:00:01Z\",\"status\":"
    "\"error\",\"sts_record\":{\"cname_chain\":[],\"dns\":\"timeout\",\"id\":"
    "null,\"name\":\"_mta-sts.example.com\",\"records\":[],\"usable\":false},"
    "\"tlsrpt\":{\"dns\":\"servfail\",\"records\":[],\"rua\":[]}}\n";

/* The STARTTLS probe evidence: a host with a completed probe and a
 * refused address (and TLSA), a host without STARTTLS whose second
 * address the SSRF guard withheld (no address text from the probe: the
 * lookup's is used), a host whose only probe timed out before greeting
 * (starttls null), and a host that was not probed (smtp null). */
static void probe_ok(struct ms_obs_smtp *s, const char *addr)
{
  snprintf(s->address, sizeof(s->address), "%s", addr);
  s->outcome = MS_SMTP_OK;
  s->banner_code = 220;
  s->banner = ms_xstrdup("mail.example.org ESMTP Postfix");
  s->ehlo_code = 250;
  s->starttls_offered = true;
  s->starttls_code = 220;
  s->ehlo_tls_code = 250;
  s->tls_protocol = ms_xstrdup("TLSv1.2");
  s->tls_cipher = ms_xstrdup("ECDHE-RSA-AES256-GCM-SHA384");
  s->tls_version = 0x0303;
  s->duration_ms = 41;
  struct ms_cert_info *c = &s->cert;
  c->present = true;
  c->subject = ms_xstrdup("CN=mail.example.org");
  c->issuer = ms_xstrdup("CN=Lab CA");
  c->san[c->n_san++] = ms_xstrdup("mail.example.org");
  c->not_before = T0 - 10 * 86400;
  c->not_after = T0 + 5 * 86400;
  c->chain_verified = false;
  c->errors = MS_CERT_UNTRUSTED;
  c->verify_code = 20;
  c->verify_error = ms_xstrdup("unable to get local issuer certificate");
  c->untrusted_reason = ms_xstrdup("unknown issuer");
}

static void build_probes(struct ms_obs *o, struct ms_verdict *v)
{
  snprintf(o->domain, sizeof(o->domain), "example.org");
  o->started_ms = T0 * 1000;
  o->duration_ms = 2500;
  o->mx.dns.outcome = MS_DNS_OK;

  struct ms_obs_mx_host *h = &o->mx.host[0];
  mx_host(&o->mx, "mail.example.org", 10);
  addr4(&h->addrs, 192, 0, 2, 25);
  addr6(&h->addrs, 0x25);
  h->probed = true;
  h->has_tlsa = true;
  h->tlsa.outcome = MS_DNS_OK;
  h->smtp = ms_xcalloc(2, sizeof(*h->smtp));
  probe_ok(&h->smtp[0], "192.0.2.25");
  struct ms_obs_smtp *s = &h->smtp[1];
  snprintf(s->address, sizeof(s->address), "2001:db8::25");
  s->outcome = MS_SMTP_CONNECT_FAILED;
  s->error = ms_xstrdup("connection refused");
  s->duration_ms = 1;

  h = &o->mx.host[1];
  mx_host(&o->mx, "backup.example.org", 20);
  addr4(&h->addrs, 192, 0, 2, 26);
  addr4(&h->addrs, 10, 0, 0, 26);
  o->mx.host[1].n_private = 1;
  h->probed = true;
  h->smtp = ms_xcalloc(2, sizeof(*h->smtp));
  s = &h->smtp[0];
  snprintf(s->address, sizeof(s->address), "192.0.2.26");
  s->outcome = MS_SMTP_NO_STARTTLS;
  s->shared = true;
  s->banner_code = 220;
  s->banner = ms_xstrdup("backup ESMTP caf\xe9"); /* a Latin-1 byte */
  s->ehlo_code = 250;
  s->duration_ms = 12;
  /* smtp[1] stays NOT_RUN with no address text. */

  h = &o->mx.host[2];
  mx_host(&o->mx, "slow.example.org", 30);
  addr4(&h->addrs, 192, 0, 2, 27);
  h->probed = true;
  h->smtp = ms_xcalloc(1, sizeof(*h->smtp));
  s = &h->smtp[0];
  snprintf(s->address, sizeof(s->address), "192.0.2.27");
  s->outcome = MS_SMTP_TIMEOUT;
  s->error = ms_xstrdup("no greeting within 10 s");
  s->duration_ms = 10000;

  mx_host(&o->mx, "old.example.org", 40);
  addr4(&o->mx.host[3].addrs, 192, 0, 2, 28);

  v->status = MS_STATUS_WARNING;
  ms_findings_add(&v->findings, MS_F_SMTP_UNREACHABLE, MS_SEV_DEFAULT,
                  "mail.example.org", "2001:db8::25: connection refused");
}

/* Expect: reachable from the 220 of 192.0.2.25; starttls false from the
 * backup host (it answered EHLO without STARTTLS) and null for the host
 * that never greeted; the summary certificate is the completed probe's;
 * reply codes null where the step was never answered; the withheld
 * address as "not_run" with the lookup's text; the Latin-1 banner byte
 * as U+00E9; old.example.org not probed (smtp null). */
static const char want_probes[] =
    "{\"domain\":\"example.org\",\"duration_ms\":2500,\"findings\":[{\"code"
    "\":\"SMTP_UNREACHABLE\",\"detail\":\"2001:db8::25: connection refused"
    "\",\"message\":\"the MX host could not be reached on port 25 (refused,"
    " timed out or no banner)\",\"severity\":\"warning\",\"subject\":\"mail"
    ".example.org\"}],\"mode\":null,\"mx\":[{\"addresses\":[\"192.0.2.25\","
    "\"2001:db8::25\"],\"covered_by\":null,\"host\":\"mail.example.org\",\""
    "implicit\":false,\"preference\":10,\"smtp\":{\"addresses\":[{\"address"
    "\":\"192.0.2.25\",\"banner\":\"mail.example.org ESMTP Postfix\",\"bann"
    "er_code\":220,\"certificate\":{\"chain_verified\":false,\"days_left\":"
    "5,\"errors\":[\"untrusted\"],\"issuer\":\"CN=Lab CA\",\"not_after\":\""
    "2026-12-08T02:00:01Z\",\"not_before\":\"2026-11-23T02:00:01Z\",\"san\""
    ":[\"mail.example.org\"],\"subject\":\"CN=mail.example.org\",\"untruste"
    "d_reason\":\"unknown issuer\",\"verify_error\":\"unable to get local i"
    "ssuer certificate\"},\"cipher\":\"ECDHE-RSA-AES256-GCM-SHA384\",\"dura"
    "tion_ms\":41,\"ehlo_code\":250,\"ehlo_tls_code\":250,\"error\":null,\""
    "outcome\":\"ok\",\"protocol\":\"TLSv1.2\",\"shared\":false,\"starttls_"
    "code\":220,\"starttls_offered\":true},{\"address\":\"2001:db8::25\",\""
    "banner\":null,\"banner_code\":null,\"certificate\":null,\"cipher\":nul"
    "l,\"duration_ms\":1,\"ehlo_code\":null,\"ehlo_tls_code\":null,\"error"
    "\":\"connection refused\",\"outcome\":\"connect_failed\",\"protocol\":"
    "null,\"shared\":false,\"starttls_code\":null,\"starttls_offered\":fals"
    "e}],\"certificate\":{\"chain_verified\":false,\"days_left\":5,\"errors"
    "\":[\"untrusted\"],\"issuer\":\"CN=Lab CA\",\"not_after\":\"2026-12-08"
    "T02:00:01Z\",\"not_before\":\"2026-11-23T02:00:01Z\",\"san\":[\"mail.e"
    "xample.org\"],\"subject\":\"CN=mail.example.org\",\"untrusted_reason\""
    ":\"unknown issuer\",\"verify_error\":\"unable to get local issuer cert"
    "ificate\"},\"cipher\":\"ECDHE-RSA-AES256-GCM-SHA384\",\"protocol\":\"T"
    "LSv1.2\",\"reachable\":true,\"starttls\":true,\"tlsa\":true,\"verify_e"
    "rror\":\"unable to get local issuer certificate\"}},{\"addresses\":[\""
    "192.0.2.26\",\"10.0.0.26\"],\"covered_by\":null,\"host\":\"backup.exam"
    "ple.org\",\"implicit\":false,\"preference\":20,\"smtp\":{\"addresses\""
    ":[{\"address\":\"192.0.2.26\",\"banner\":\"backup ESMTP caf\xc3\xa9\","
    "\"banner_code\":220,\"certificate\":null,\"cipher\":null,\"duration_ms"
    "\":12,\"ehlo_code\":250,\"ehlo_tls_code\":null,\"error\":null,\"outcom"
    "e\":\"no_starttls\",\"protocol\":null,\"shared\":true,\"starttls_code"
    "\":null,\"starttls_offered\":false},{\"address\":\"10.0.0.26\",\"banne"
    "r\":null,\"banner_code\":null,\"certificate\":null,\"cipher\":null,\"d"
    "uration_ms\":0,\"ehlo_code\":null,\"ehlo_tls_code\":null,\"error\":nul"
    "l,\"outcome\":\"not_run\",\"protocol\":null,\"shared\":false,\"starttl"
    "s_code\":null,\"starttls_offered\":false}],\"certificate\":null,\"ciph"
    "er\":null,\"protocol\":null,\"reachable\":true,\"starttls\":false,\"tl"
    "sa\":false,\"verify_error\":null}},{\"addresses\":[\"192.0.2.27\"],\"c"
    "overed_by\":null,\"host\":\"slow.example.org\",\"implicit\":false,\"pr"
    "eference\":30,\"smtp\":{\"addresses\":[{\"address\":\"192.0.2.27\",\"b"
    "anner\":null,\"banner_code\":null,\"certificate\":null,\"cipher\":null"
    ",\"duration_ms\":10000,\"ehlo_code\":null,\"ehlo_tls_code\":null,\"err"
    "or\":\"no greeting within 10 s\",\"outcome\":\"timeout\",\"protocol\":"
    "null,\"shared\":false,\"starttls_code\":null,\"starttls_offered\":fals"
    "e}],\"certificate\":null,\"cipher\":null,\"protocol\":null,\"reachable"
    "\":false,\"starttls\":null,\"tlsa\":false,\"verify_error\":null}},{\"a"
    "ddresses\":[\"192.0.2.28\"],\"covered_by\":null,\"host\":\"old.example"
    ".org\",\"implicit\":false,\"preference\":40,\"smtp\":null}],\"policy\""
    ":null,\"policy_tls\":null,\"scanned_at\":\"2026-12-03T02:00:01Z\",\"st"
    "atus\":\"warning\",\"sts_record\":null,\"tlsrpt\":null}\n";

static const struct {
  const char *name;
  void (*build)(struct ms_obs *, struct ms_verdict *);
  const char *want;
  size_t want_len;
} record_cases[] = {
    {"invalid input", build_invalid, want_invalid, sizeof(want_invalid) - 1},
    {"no record", build_none, want_none, sizeof(want_none) - 1},
    {"full deployment", build_full, want_full, sizeof(want_full) - 1},
    {"non-UTF-8 bytes", build_bytes, want_bytes, sizeof(want_bytes) - 1},
    {"broken everything", build_broken, want_broken, sizeof(want_broken) - 1},
    {"STARTTLS probes", build_probes, want_probes, sizeof(want_probes) - 1},
};

/* Dumps rec, checks it parses back to an equal value (NULs allowed). */
static void check_roundtrip(const char *name, const json_t *rec,
                            const char *line, size_t len)
{
  json_error_t err;
  json_t *back = json_loadb(line, len, JSON_ALLOW_NUL, &err);
  MS_CHECK_ROW(back != NULL, "%s: json_loads: %s", name, err.text);
  if (back)
    MS_CHECK_ROW(json_equal(back, rec), "%s: round trip differs", name);
  json_decref(back);
}

static void test_records(void)
{
  for (size_t i = 0; i < sizeof(record_cases) / sizeof(record_cases[0]); i++) {
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    record_cases[i].build(&obs, v);
    json_t *rec = ms_record_build(&obs, v);
    size_t len = 0;
    char *line = ms_record_dump(rec, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    bool same = len == record_cases[i].want_len &&
                memcmp(line, record_cases[i].want, len) == 0;
    MS_CHECK_ROW(same, "%s:\n   got %s  want %s", record_cases[i].name, line,
                 record_cases[i].want);
    MS_CHECK_ROW(strlen(line) == len && line[len - 1] == '\n' &&
                     memchr(line, '\n', len - 1) == NULL,
                 "%s: not one line", record_cases[i].name);
    check_roundtrip(record_cases[i].name, rec, line, len);
    free(line);
    json_decref(rec);
    free(v);
    ms_obs_cleanup(&obs);
  }
}

/* ---- ms_record_string ---- */

static const struct {
  const char *in;
  size_t in_len;
  const char *out; /* UTF-8 of the resulting JSON string */
  size_t out_len;
} string_cases[] = {
#define S(in, out)                                                             \
  {                                                                            \
    in, sizeof(in) - 1, out, sizeof(out) - 1                                   \
  }
    S("", ""),
    S("plain ascii", "plain ascii"),
    S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xab", /* 2, 3, 4 bytes */
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xab"),
    S("\xef\xbb\xbfversion", "\xef\xbb\xbfversion"), /* BOM is UTF-8 */
    S("a\x00"
      "b",
      "a\x00"
      "b"),                /* NUL kept */
    S("\x80", "\xc2\x80"), /* lone continuation */
    S("\xff", "\xc3\xbf"),
    S("caf\xe9", "caf\xc3\xa9"),                   /* Latin-1 */
    S("\xc0\xaf", "\xc3\x80\xc2\xaf"),             /* overlong '/' */
    S("\xc1\xbf", "\xc3\x81\xc2\xbf"),             /* overlong */
    S("\xe0\x80\xaf", "\xc3\xa0\xc2\x80\xc2\xaf"), /* overlong, 3 bytes */
    S("\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80"), /* surrogate D800 */
    S("\xed\x9f\xbf", "\xed\x9f\xbf"),             /* U+D7FF is fine */
    S("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),     /* U+10FFFF */
    S("\xf4\x90\x80\x80", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80"), /* > max */
    S("\xf5\x80", "\xc3\xb5\xc2\x80"),
    S("x\xe2\x82", "x\xc3\xa2\xc2\x82"), /* truncated at end */
    S("\xe2\x82"
      "a",
      "\xc3\xa2\xc2\x82"
      "a"),                                /* truncated inside */
    S("\xc3\xc3\xa9", "\xc3\x83\xc3\xa9"), /* bad then good */
#undef S
};

static void test_string(void)
{
  for (size_t i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
    json_t *s = ms_record_string(string_cases[i].in, string_cases[i].in_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    size_t n = json_string_length(s);
    bool same = n == string_cases[i].out_len &&
                memcmp(json_string_value(s), string_cases[i].out, n) == 0;
    MS_CHECK_ROW(same, "row %zu (%zu bytes in, %zu out)", i,
                 string_cases[i].in_len, n);
    bool valid =
        ms_record_utf8_valid(string_cases[i].in, string_cases[i].in_len);
    bool unchanged = string_cases[i].in_len == string_cases[i].out_len &&
                     memcmp(string_cases[i].in, string_cases[i].out,
                            string_cases[i].in_len) == 0;
    MS_CHECK_ROW(valid == unchanged, "row %zu: utf8_valid %d", i, valid);
    json_decref(s);
  }
  json_t *s = ms_record_string(NULL, 0);
  CU_ASSERT(s && json_string_length(s) == 0);
  json_decref(s);
}

/* ---- timestamps, days_left, severities, input, caps ---- */

static json_t *build_simple(struct ms_obs *o, struct ms_verdict *v)
{
  if (!o->domain[0])
    snprintf(o->domain, sizeof(o->domain), "example.org");
  return ms_record_build(o, v);
}

static void test_scanned_at(void)
{
  static const struct {
    int64_t ms;
    const char *want;
  } rows[] = {
      {0, "1970-01-01T00:00:00Z"},
      {999, "1970-01-01T00:00:00Z"},
      {-1, "1969-12-31T23:59:59Z"},
      {951782400000LL, "2000-02-29T00:00:00Z"},
      {951868799999LL, "2000-02-29T23:59:59Z"},
      {-2203891200000LL, "1900-03-01T00:00:00Z"},
      {T0 * 1000, "2026-12-03T02:00:01Z"},
      {253402300799000LL, "9999-12-31T23:59:59Z"},
      {253402300800000LL, "9999-12-31T23:59:59Z"}, /* clamped */
      {INT64_MAX, "9999-12-31T23:59:59Z"},
      {INT64_MIN, "0000-01-01T00:00:00Z"},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    obs.started_ms = rows[i].ms;
    json_t *rec = build_simple(&obs, v);
    const char *got = json_string_value(json_object_get(rec, "scanned_at"));
    MS_CHECK_ROW(got && strcmp(got, rows[i].want) == 0, "%lld: got %s",
                 (long long)rows[i].ms, got ? got : "(null)");
    json_decref(rec);
    free(v);
  }
}

static void test_days_left(void)
{
  static const struct {
    int64_t started_ms;
    int64_t not_after;
    long long want;
  } rows[] = {
      {T0 * 1000, T0, 0},
      {T0 * 1000, T0 + 86399, 0},
      {T0 * 1000, T0 + 86400, 1},
      {T0 * 1000, T0 - 1, -1},
      {T0 * 1000, T0 - 86400, -1},
      {T0 * 1000, T0 - 86401, -2},
      {T0 * 1000 + 999, T0 + 86400, 1}, /* now = floor(ms / 1000) */
      {T0 * 1000, INT64_MAX, (253402300799LL - T0) / 86400},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    obs.started_ms = rows[i].started_ms;
    obs.policy.cert.present = true;
    obs.policy.cert.not_after = rows[i].not_after;
    json_t *rec = build_simple(&obs, v);
    json_t *cert =
        json_object_get(json_object_get(rec, "policy_tls"), "certificate");
    json_t *d = json_object_get(cert, "days_left");
    MS_CHECK_ROW(json_is_integer(d) && json_integer_value(d) == rows[i].want,
                 "row %zu: got %lld want %lld", i,
                 d ? (long long)json_integer_value(d) : -999999LL,
                 rows[i].want);
    json_decref(rec);
    free(v);
    ms_obs_cleanup(&obs);
  }
}

static void test_severity(void)
{
  static const struct {
    enum ms_finding code;
    enum ms_sev sev;
    const char *want;
  } rows[] = {
      {MS_F_POLICY_REDIRECT, MS_SEV_DEFAULT, "error"},
      {MS_F_HISTORY_STATUS_REGRESSED, MS_SEV_DEFAULT, "warning"},
      {MS_F_POLICY_MODE_NONE, MS_SEV_DEFAULT, "info"},
      {MS_F_MX_NOT_COVERED, MS_SEV_DEFAULT, "info"}, /* unresolved MODE */
      {MS_F_MX_NOT_COVERED, MS_SEV_MODE, "info"},
      {MS_F_MX_NOT_COVERED, MS_SEV_WARNING, "warning"},
      {MS_F_MX_NOT_COVERED, MS_SEV_ERROR, "error"},
      {MS_F_POLICY_MAX_AGE_SHORT, MS_SEV_ERROR, "error"}, /* max_age 0 */
      {MS_F_TLSRPT_MISSING, MS_SEV_WARNING, "warning"},
  };
  struct ms_obs obs;
  ms_obs_init(&obs);
  struct ms_verdict *v = verdict_new();
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
    ms_findings_add(&v->findings, rows[i].code, rows[i].sev, NULL, NULL);
  json_t *rec = build_simple(&obs, v);
  json_t *arr = json_object_get(rec, "findings");
  CU_ASSERT_EQUAL(json_array_size(arr), sizeof(rows) / sizeof(rows[0]));
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *it = json_array_get(arr, i);
    const char *code = json_string_value(json_object_get(it, "code"));
    const char *sev = json_string_value(json_object_get(it, "severity"));
    const char *msg = json_string_value(json_object_get(it, "message"));
    const struct ms_finding_info *info = ms_finding_info(rows[i].code);
    MS_CHECK_ROW(code && strcmp(code, info->code) == 0, "row %zu code", i);
    MS_CHECK_ROW(sev && strcmp(sev, rows[i].want) == 0, "%s: got %s",
                 info->code, sev ? sev : "(null)");
    MS_CHECK_ROW(msg && strcmp(msg, info->message) == 0, "%s message",
                 info->code);
    MS_CHECK_ROW(json_object_size(it) == 3, "%s: no subject/detail expected",
                 info->code);
  }
  json_decref(rec);
  free(v);
}

/* When `input` appears: the line differs from the domain, or was rejected. */
static void test_input_member(void)
{
  static const struct {
    const char *domain;
    const char *input; /* NULL: no input line */
    bool invalid;
    const char *want_domain;
    const char *want_input; /* NULL: member absent */
  } rows[] = {
      {"example.org", NULL, false, "example.org", NULL},
      {"example.org", "example.org", false, "example.org", NULL},
      {"example.org", "EXAMPLE.org", false, "example.org", "EXAMPLE.org"},
      {"example.org", "example.org.", false, "example.org", "example.org."},
      {"example.org", " example.org", false, "example.org", " example.org"},
      {"example.org", "example.or", false, "example.org", "example.or"},
      {"xn--caf-dma.example", "caf\xc3\xa9.example", false,
       "xn--caf-dma.example", "caf\xc3\xa9.example"},
      {"", "192.0.2.1", true, "192.0.2.1", "192.0.2.1"},
      {"", " \tA..B \r\n", true, "a..b", " \tA..B \r\n"},
      {"", "", true, "", ""},
      {"", NULL, true, "", ""},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    snprintf(obs.domain, sizeof(obs.domain), "%s", rows[i].domain);
    obs.input = ms_xstrdup(rows[i].input);
    obs.input_invalid = rows[i].invalid;
    json_t *rec = ms_record_build(&obs, v);
    const char *d = json_string_value(json_object_get(rec, "domain"));
    const char *in = json_string_value(json_object_get(rec, "input"));
    MS_CHECK_ROW(d && strcmp(d, rows[i].want_domain) == 0, "row %zu: domain %s",
                 i, d ? d : "(null)");
    if (rows[i].want_input)
      MS_CHECK_ROW(in && strcmp(in, rows[i].want_input) == 0,
                   "row %zu: input %s", i, in ? in : "(absent)");
    else
      MS_CHECK_ROW(json_object_get(rec, "input") == NULL,
                   "row %zu: input should be absent", i);
    json_decref(rec);
    free(v);
    ms_obs_cleanup(&obs);
  }
}

/* Caps: findings beyond MS_FINDINGS_MAX are counted in findings_dropped;
 * TXT records beyond the cap in records_dropped; neither when zero. */
static void test_caps(void)
{
  static const size_t adds[] = {0, 1, MS_FINDINGS_MAX, MS_FINDINGS_MAX + 4};
  for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    for (size_t k = 0; k < adds[i]; k++)
      ms_findings_add(&v->findings, MS_F_POLICY_FIELD_UNKNOWN, MS_SEV_DEFAULT,
                      "key", NULL);
    obs.sts.dns.outcome = MS_DNS_OK;
    obs.sts.records_dropped = adds[i] > MS_FINDINGS_MAX ? 3 : 0;
    json_t *rec = build_simple(&obs, v);
    size_t kept = adds[i] < MS_FINDINGS_MAX ? adds[i] : MS_FINDINGS_MAX;
    size_t dropped = adds[i] - kept;
    MS_CHECK_ROW(json_array_size(json_object_get(rec, "findings")) == kept,
                 "%zu added", adds[i]);
    json_t *fd = json_object_get(rec, "findings_dropped");
    json_t *rd =
        json_object_get(json_object_get(rec, "sts_record"), "records_dropped");
    if (dropped)
      MS_CHECK_ROW(json_integer_value(fd) == (json_int_t)dropped &&
                       json_integer_value(rd) == 3,
                   "%zu added: dropped counts", adds[i]);
    else
      MS_CHECK_ROW(fd == NULL && rd == NULL, "%zu added: no counts", adds[i]);
    json_decref(rec);
    free(v);
    ms_obs_cleanup(&obs);
  }
  size_t len = 99;
  CU_ASSERT_PTR_NULL(ms_record_dump(NULL, &len));
}

/* Evidence members are null exactly when their step did not run. */
static void test_null_members(void)
{
  struct ms_obs obs;
  ms_obs_init(&obs);
  struct ms_verdict *v = verdict_new();
  static const char *const members[] = {"sts_record", "policy", "policy_tls",
                                        "mx", "tlsrpt"};
  json_t *rec = build_simple(&obs, v);
  for (size_t i = 0; i < 5; i++)
    MS_CHECK_ROW(json_is_null(json_object_get(rec, members[i])), "%s not null",
                 members[i]);
  CU_ASSERT(json_is_null(json_object_get(rec, "mode")));
  json_decref(rec);
  /* Only the policy host lookup ran: the policy member is there. */
  obs.policy.addrs.a.outcome = MS_DNS_TIMEOUT;
  rec = build_simple(&obs, v);
  json_t *p = json_object_get(rec, "policy");
  CU_ASSERT(json_is_object(p));
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "fetch")),
                         "not_run");
  CU_ASSERT(json_is_null(json_object_get(p, "url")));
  json_decref(rec);
  free(v);
  ms_obs_cleanup(&obs);
}

/* Every policy of the shared corpus survives as a body: the JSON string
 * equals the bytes when they are UTF-8, else body_base64 is present and
 * the string keeps one code point per stray byte. Skipped without the
 * corpus. */
static void test_corpus_bodies(void)
{
  const char *corpus = ms_test_corpus_dir();
  if (!corpus)
    return;
  char dir[4200];
  snprintf(dir, sizeof(dir), "%s/policies", corpus);
  DIR *d = opendir(dir);
  if (!d)
    return;
  size_t seen = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t nl = strlen(e->d_name);
    if (nl < 5 || strcmp(e->d_name + nl - 4, ".txt") != 0)
      continue;
    char path[4500];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    size_t len = 0;
    char *bytes = ms_test_read_file(path, &len);
    if (!bytes)
      continue;
    seen++;
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    obs.policy.outcome = MS_FETCH_OK;
    obs.policy.http_status = 200;
    body_set(&obs.policy, bytes, len);
    json_t *rec = build_simple(&obs, v);
    size_t dl = 0;
    char *line = ms_record_dump(rec, &dl);
    check_roundtrip(e->d_name, rec, line, dl);
    json_t *p = json_object_get(rec, "policy");
    json_t *body = json_object_get(p, "body");
    bool utf8 = ms_record_utf8_valid(bytes, len);
    if (utf8)
      MS_CHECK_ROW(json_string_length(body) == len &&
                       memcmp(json_string_value(body), bytes, len) == 0 &&
                       json_object_get(p, "body_base64") == NULL,
                   "%s: body not kept verbatim", e->d_name);
    else
      MS_CHECK_ROW(json_string_length(body) > len &&
                       json_is_string(json_object_get(p, "body_base64")),
                   "%s: stray bytes not escaped", e->d_name);
    MS_CHECK_ROW(json_integer_value(json_object_get(p, "bytes")) ==
                     (json_int_t)len,
                 "%s: bytes", e->d_name);
    free(line);
    json_decref(rec);
    free(v);
    ms_obs_cleanup(&obs);
    free(bytes);
  }
  closedir(d);
  CU_ASSERT(seen > 0);
}

/* mx[].smtp summary over a host's probes: reachable, starttls (true,
 * false or null), the completed probe's protocol. Each row is one host;
 * a probe is "banner ehlo offered ok" (ok: outcome OK with TLSv1.3). */
static void test_smtp_summary(void)
{
  static const struct {
    const char *name;
    int probe[3][4]; /* banner_code, ehlo_code, starttls offered, ok */
    size_t n;
    const char *want; /* reachable/starttls/protocol, compact JSON */
  } cases[] = {
      {"all good",
       {{220, 250, 1, 1}, {220, 250, 1, 1}},
       2,
       "{\"protocol\":\"TLSv1.3\",\"reachable\":true,\"starttls\":true}"},
      {"one without STARTTLS",
       {{220, 250, 1, 1}, {220, 250, 0, 0}},
       2,
       "{\"protocol\":\"TLSv1.3\",\"reachable\":true,\"starttls\":false}"},
      {"EHLO refused counts as no STARTTLS",
       {{220, 502, 0, 0}},
       1,
       "{\"protocol\":null,\"reachable\":true,\"starttls\":false}"},
      {"greeted, then silence",
       {{220, 0, 0, 0}},
       1,
       "{\"protocol\":null,\"reachable\":true,\"starttls\":null}"},
      {"greeting 554 is not reachable",
       {{554, 0, 0, 0}},
       1,
       "{\"protocol\":null,\"reachable\":false,\"starttls\":null}"},
      {"nothing answered",
       {{0, 0, 0, 0}, {0, 0, 0, 0}},
       2,
       "{\"protocol\":null,\"reachable\":false,\"starttls\":null}"},
      {"second address completes",
       {{0, 0, 0, 0}, {220, 250, 1, 1}},
       2,
       "{\"protocol\":\"TLSv1.3\",\"reachable\":true,\"starttls\":true}"},
      {"no addresses at all",
       {{0}},
       0,
       "{\"protocol\":null,\"reachable\":false,\"starttls\":null}"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct ms_obs obs;
    ms_obs_init(&obs);
    struct ms_verdict *v = verdict_new();
    snprintf(obs.domain, sizeof(obs.domain), "example.org");
    obs.mx.dns.outcome = MS_DNS_OK;
    mx_host(&obs.mx, "mx.example.org", 10);
    struct ms_obs_mx_host *h = &obs.mx.host[0];
    h->smtp = ms_xcalloc(cases[i].n ? cases[i].n : 1, sizeof(*h->smtp));
    for (size_t j = 0; j < cases[i].n; j++) {
      const int *p = cases[i].probe[j];
      addr4(&h->addrs, 192, 0, 2, (uint8_t)(1 + j));
      struct ms_obs_smtp *s = &h->smtp[j];
      s->banner_code = p[0];
      s->ehlo_code = p[1];
      s->starttls_offered = p[2] != 0;
      s->outcome = p[3] ? MS_SMTP_OK : MS_SMTP_TIMEOUT;
      if (p[3])
        s->tls_protocol = ms_xstrdup("TLSv1.3");
    }
    json_t *rec = ms_record_build(&obs, v);
    json_t *smtp =
        json_object_get(json_array_get(json_object_get(rec, "mx"), 0), "smtp");
    json_t *sub = json_pack("{s:O,s:O,s:O}", "reachable",
                            json_object_get(smtp, "reachable"), "starttls",
                            json_object_get(smtp, "starttls"), "protocol",
                            json_object_get(smtp, "protocol"));
    char *got = sub ? json_dumps(sub, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    MS_CHECK_ROW(got && strcmp(got, cases[i].want) == 0, "%s: got %s, want %s",
                 cases[i].name, got ? got : "(null)", cases[i].want);
    MS_CHECK_ROW(json_array_size(json_object_get(smtp, "addresses")) ==
                     cases[i].n,
                 "%s: addresses", cases[i].name);
    free(got);
    json_decref(sub);
    json_decref(rec);
    free(v);
    ms_obs_cleanup(&obs);
  }
}

CU_TestInfo ms_tests_record[] = {
    {"exact records and round trip", test_records},
    {"ms_record_string escaping", test_string},
    {"scanned_at RFC 3339", test_scanned_at},
    {"certificate days_left", test_days_left},
    {"finding severities", test_severity},
    {"input member", test_input_member},
    {"caps and dropped counts", test_caps},
    {"null evidence members", test_null_members},
    {"corpus policy bodies", test_corpus_bodies},
    {"smtp summary", test_smtp_summary},
    CU_TEST_INFO_NULL,
};
