/*
 * OpenSSL helpers for every TLS client of the scanner: the one trust store,
 * the verify callback that records each certificate problem and lets the
 * handshake complete, and the export of the peer's details into core's
 * struct ms_cert_info. Used by net/https.c (inside curl's SSL_CTX) and,
 * later, by the SMTP probe (its own SSL on memory BIOs).
 *
 * Why not let OpenSSL abort on a bad chain: RFC 8461 section 4.2 problems
 * are findings the auditor wants with all their details (which name, which
 * dates, which issuer), so verification runs in "record and continue" mode
 * (SSL_VERIFY_NONE plus a callback returning 1) and the verdict is ours.
 * A resumed session would skip verification: callers must disable session
 * reuse (https.c sets CURLOPT_SSL_SESSIONID_CACHE 0).
 */
#include "net/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/xalloc.h"

/* One X509_STORE for the whole run: loading the system bundle costs
 * milliseconds, sharing it makes each handshake pay only for the chain. */
struct ms_tls_store {
  X509_STORE *st;
};

/* Ex-data indexes, allocated once per process (single-threaded start-up).
 * -1 until first use. */
static int ctx_idx = -1;
static int ssl_idx = -1;

static bool ensure_indexes(void)
{
  if (ctx_idx < 0)
    ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  if (ssl_idx < 0)
    ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  return ctx_idx >= 0 && ssl_idx >= 0;
}

/* Puts OpenSSL's latest queued error (or fallback) into errbuf. */
static void ssl_error_text(char *errbuf, size_t errlen, const char *what,
                           const char *fallback)
{
  unsigned long e = ERR_get_error();
  char detail[256];
  if (e != 0)
    ERR_error_string_n(e, detail, sizeof(detail));
  else
    snprintf(detail, sizeof(detail), "%s", fallback);
  ERR_clear_error();
  if (errbuf && errlen > 0)
    snprintf(errbuf, errlen, "%s: %s", what, detail);
}

/* Number of certificates (not CRLs) the store holds: a --ca-file that
 * parses but holds only a key or a CRL must be refused, or every chain
 * would silently come out untrusted. */
static int store_cert_count(X509_STORE *st)
{
  STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
  int n = 0;
  for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
    if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509)
      n++;
  }
  return n;
}

/* Single exit (style 3.7): st is NULL once handed over to *out. */
ms_err_t ms_tls_store_new(const char *ca_file, struct ms_tls_store **out,
                          char *errbuf, size_t errlen)
{
  X509_STORE *st = NULL;
  ms_err_t err = MS_OK;

  *out = NULL;
  if (errbuf && errlen > 0)
    errbuf[0] = '\0';
  if (!ensure_indexes()) {
    ssl_error_text(errbuf, errlen, "OpenSSL", "no ex-data index");
    return MS_ESYS;
  }
  st = X509_STORE_new();
  if (!st) {
    ssl_error_text(errbuf, errlen, "X509_STORE_new", "out of memory");
    return MS_ESYS;
  }
  if (ca_file) {
    /* --ca-file: exactly these anchors, and at least one of them. */
    if (X509_STORE_load_file(st, ca_file) != 1) {
      ssl_error_text(errbuf, errlen, ca_file, "cannot load");
      err = MS_EINVAL;
      goto done;
    }
    if (store_cert_count(st) == 0) {
      ssl_error_text(errbuf, errlen, ca_file, "no certificate in file");
      err = MS_EINVAL;
      goto done;
    }
  } else {
    /* The system bundle, read once into memory (honours SSL_CERT_FILE).
     * Only when that fails, the default paths: the hash directory would
     * then be consulted lazily, per unknown issuer. */
    const char *file = getenv(X509_get_default_cert_file_env());
    if (!file || !*file)
      file = X509_get_default_cert_file();
    if (X509_STORE_load_file(st, file) != 1 || store_cert_count(st) == 0) {
      ERR_clear_error();
      if (X509_STORE_set_default_paths(st) != 1) {
        ssl_error_text(errbuf, errlen, "default trust store", "cannot load");
        err = MS_EINVAL;
        goto done;
      }
    }
  }
  *out = ms_xcalloc(1, sizeof(**out));
  (*out)->st = st;
  st = NULL;
done:
  X509_STORE_free(st);
  return err;
}

void ms_tls_store_free(struct ms_tls_store *s)
{
  if (!s)
    return;
  X509_STORE_free(s->st);
  free(s);
}

void *ms_tls_store_x509(struct ms_tls_store *s)
{
  return s ? s->st : NULL;
}

void ms_tls_watch_init(struct ms_tls_watch *w, struct ms_cert_info *cert)
{
  memset(w, 0, sizeof(*w));
  w->cert = cert;
  w->verify_result = -1;
}

/* The watch of the connection ssl belongs to: SSL ex-data first (shared
 * contexts), then SSL_CTX ex-data (one context per connection). */
static struct ms_tls_watch *watch_of(const SSL *ssl)
{
  struct ms_tls_watch *w = NULL;
  if (!ssl)
    return NULL;
  if (ssl_idx >= 0)
    w = SSL_get_ex_data(ssl, ssl_idx);
  if (!w && ctx_idx >= 0)
    w = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
  return w;
}

/* Maps an X509_V_ERR_* code to one MS_CERT_* bit. The UNTRUSTED group is
 * every way a chain can fail to reach a trust anchor; the rest (bad
 * signature, invalid CA, path length, purpose...) is OTHER and keeps its
 * OpenSSL text in verify_error when it comes first. */
static unsigned classify(int code)
{
  switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return MS_CERT_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return MS_CERT_NOT_YET_VALID;
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return MS_CERT_NAME_MISMATCH;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return MS_CERT_UNTRUSTED;
    default:
      return MS_CERT_OTHER;
  }
}

/* Words for an untrusted chain. Without AIA fetching, a leaf sent alone
 * whose issuer we do not know is either a missing intermediate or a
 * private CA: we cannot tell which, so the text says both. */
static const char *untrusted_reason(int code, int depth, int n_sent)
{
  switch (code) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "self-signed";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "untrusted root";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      if (depth == 0 && n_sent <= 1)
        return "missing intermediate or unknown issuer";
      return "unknown issuer";
    default:
      return "root not trusted for this purpose";
  }
}

/* Called by OpenSSL for every certificate of the chain and every error.
 * Records the error and returns 1: the handshake completes and the verdict
 * is ours to make (RFC 8461 section 4.2 problems are findings). */
static int verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
  if (preverify_ok)
    return 1;
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct ms_tls_watch *w = watch_of(ssl);
  if (!w || !w->cert)
    return 1;
  struct ms_cert_info *c = w->cert;
  int code = X509_STORE_CTX_get_error(x);
  unsigned bit = classify(code);
  c->errors |= bit;
  if (c->verify_code == 0) {
    c->verify_code = code;
    free(c->verify_error);
    c->verify_error = ms_xstrdup(X509_verify_cert_error_string(code));
  }
  /* The reason text is about the first trust failure only; the bits say
   * everything that went wrong. */
  if (bit == MS_CERT_UNTRUSTED && !c->untrusted_reason) {
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(x);
    int n_sent = sent ? sk_X509_num(sent) : 0;
    c->untrusted_reason = ms_xstrdup(
        untrusted_reason(code, X509_STORE_CTX_get_error_depth(x), n_sent));
  }
  return 1;
}

/* Exports the details when the handshake is done, while the SSL lives:
 * a server that never answers the request still leaves its certificate. */
static void info_cb(const SSL *ssl, int where, int ret)
{
  (void)ret;
  if (!(where & SSL_CB_HANDSHAKE_DONE))
    return;
  struct ms_tls_watch *w = watch_of(ssl);
  if (w)
    ms_tls_capture(ssl, w);
}

/* The host goes on the context's verify param: SSL_new copies it into
 * the SSL curl creates, and OpenSSL checks it in check_id() as part of
 * chain verification (X509_V_ERR_HOSTNAME_MISMATCH, code 62). */
ms_err_t ms_tls_ctx_setup(struct ms_tls_store *s, void *ssl_ctx,
                          const char *host, struct ms_tls_watch *w)
{
  SSL_CTX *ctx = ssl_ctx;
  if (!ensure_indexes())
    return MS_ESYS;
  if (s)
    SSL_CTX_set1_cert_store(ctx, s->st); /* takes a reference */
  X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
    return MS_ESYS;
  if (SSL_CTX_set_ex_data(ctx, ctx_idx, w) != 1)
    return MS_ESYS;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, verify_cb);
  SSL_CTX_set_info_callback(ctx, info_cb);
  /* Hundreds of connections wait on the network at once: OpenSSL's 16 KiB
   * read and write buffers go back whenever a connection is idle. */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return MS_OK;
}

/* Per-SSL variant for a context shared by many connections (SMTP). */
ms_err_t ms_tls_ssl_setup(void *ssl_ptr, const char *host,
                          struct ms_tls_watch *w)
{
  SSL *ssl = ssl_ptr;
  if (!ensure_indexes())
    return MS_ESYS;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, host) != 1)
    return MS_ESYS;
  if (SSL_set_ex_data(ssl, ssl_idx, w) != 1)
    return MS_ESYS;
  SSL_set_verify(ssl, SSL_VERIFY_NONE, verify_cb);
  SSL_set_info_callback(ssl, info_cb);
  return MS_OK;
}

/* New heap string with the RFC 2253 text of name (NULL when none). The
 * flags escape control characters and non-ASCII bytes, so the text is safe
 * to put in the JSON record as is. */
static char *name_text(const X509_NAME *name)
{
  if (!name)
    return NULL;
  BIO *bio = BIO_new(BIO_s_mem());
  char *out = NULL;
  if (!bio)
    return NULL;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    out = ms_xstrndup(data ? data : "", n > 0 ? (size_t)n : 0);
  }
  BIO_free(bio);
  return out;
}

/* Unix seconds of an ASN1_TIME, 0 when absent or unreadable. */
static int64_t asn1_unix(const ASN1_TIME *t)
{
  struct tm tm;
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
    return 0;
  return (int64_t)timegm(&tm);
}

/* Copies a SAN value, replacing bytes outside printable ASCII with '?'
 * (an embedded NUL must not turn "a.test\0.evil" into "a.test"). */
static char *san_copy(const unsigned char *p, int len)
{
  size_t n = len > 0 ? (size_t)len : 0;
  char *s = ms_xmalloc(n + 1);
  for (size_t i = 0; i < n; i++)
    s[i] = (p[i] >= 0x21 && p[i] <= 0x7e) ? (char)p[i] : '?';
  s[n] = '\0';
  return s;
}

/* Only DNS names are kept: RFC 8461 section 4.2 matches DNS-IDs (RFC
 * 6125); IP and URI SANs play no part. Beyond MS_SAN_MAX names are dropped
 * (the cap is far above what real certificates carry). */
void ms_tls_cert_info_export(const void *x509, struct ms_cert_info *out)
{
  const X509 *x = x509;
  free(out->subject);
  free(out->issuer);
  for (size_t i = 0; i < out->n_san; i++)
    free(out->san[i]);
  out->subject = out->issuer = NULL;
  out->n_san = 0;
  out->present = x != NULL;
  if (!x)
    return;
  out->subject = name_text(X509_get_subject_name(x));
  out->issuer = name_text(X509_get_issuer_name(x));
  out->not_before = asn1_unix(X509_get0_notBefore(x));
  out->not_after = asn1_unix(X509_get0_notAfter(x));
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    if (g->type != GEN_DNS || out->n_san >= MS_SAN_MAX)
      continue;
    const ASN1_IA5STRING *v = g->d.dNSName;
    out->san[out->n_san++] =
        san_copy(ASN1_STRING_get0_data(v), ASN1_STRING_length(v));
  }
  GENERAL_NAMES_free(gens);
}

/* TLS 1.3 signals HANDSHAKE_DONE again for post-handshake messages
 * (session tickets), hence the once-only guard. */
void ms_tls_capture(const void *ssl_ptr, struct ms_tls_watch *w)
{
  const SSL *ssl = ssl_ptr;
  if (!ssl || !w || w->captured)
    return;
  w->captured = true;
  snprintf(w->protocol, sizeof(w->protocol), "%s", SSL_get_version(ssl));
  const SSL_CIPHER *ciph = SSL_get_current_cipher(ssl);
  snprintf(w->cipher, sizeof(w->cipher), "%s",
           ciph ? SSL_CIPHER_get_name(ciph) : "");
  w->verify_result = SSL_get_verify_result(ssl);
  if (w->cert)
    ms_tls_cert_info_export(SSL_get0_peer_certificate(ssl), w->cert);
}

/* Both our own record and OpenSSL's verdict must be clean: a problem the
 * callback somehow missed still shows in SSL_get_verify_result. */
void ms_tls_watch_finish(struct ms_tls_watch *w)
{
  if (!w || !w->cert)
    return;
  struct ms_cert_info *c = w->cert;
  c->chain_verified =
      c->present && c->errors == 0 && w->verify_result == X509_V_OK;
}
