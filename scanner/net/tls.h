/*
 * OpenSSL helpers shared by the HTTPS fetch and (later) the SMTP probe:
 * the one trust store loaded at start-up, a verify callback that collects
 * every certificate problem without aborting the handshake, and export of
 * the peer's certificate details into core's struct ms_cert_info.
 * Owns the OpenSSL headers together with https.c. Tests: the lab.
 */
#ifndef MS_NET_TLS_H
#define MS_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/obs.h"
#include "util/err.h"

struct ms_tls_store; /* wraps one X509_STORE, shared by every connection */

/* Loads ca_file (PEM) or, when NULL, the system default trust store.
 * MS_EINVAL when the file cannot be read or holds no certificate. */
ms_err_t ms_tls_store_new(const char *ca_file, struct ms_tls_store **out,
                          char *errbuf, size_t errlen);
void ms_tls_store_free(struct ms_tls_store *s);
/* The X509_STORE * (as void * so callers need no OpenSSL header). */
void *ms_tls_store_x509(struct ms_tls_store *s);

/*
 * What one TLS connection collects. The caller embeds it (zeroed by
 * ms_tls_watch_init), points it at the ms_cert_info to fill, and attaches
 * it to an SSL_CTX (ms_tls_ctx_setup, one context per connection as curl
 * does) or to one SSL (ms_tls_ssl_setup, for a context shared by many
 * connections). The verify callback then records every problem into
 * cert->errors / verify_code / verify_error / untrusted_reason and lets
 * the handshake go on; the info callback exports the peer's details once
 * the handshake is done. The watch must outlive the SSL it is attached to.
 */
struct ms_tls_watch {
  struct ms_cert_info *cert; /* borrowed: receives problems and details */
  bool captured;             /* peer details exported (done once) */
  long verify_result;        /* SSL_get_verify_result at capture */
  char protocol[24];         /* "TLSv1.3", "" until captured */
  char cipher[80];           /* "TLS_AES_256_GCM_SHA384", "" until captured */
};

/* Zeroes w and makes it fill *cert (borrowed). */
void ms_tls_watch_init(struct ms_tls_watch *w, struct ms_cert_info *cert);
/* Prepares ssl_ctx (an SSL_CTX *) for one connection to host: installs the
 * shared store s (SSL_CTX_set1_cert_store), the expected DNS name (RFC 6125
 * DNS-ID, no partial wildcards), SSL_VERIFY_NONE with the collecting verify
 * callback, the info callback, and attaches w through SSL_CTX ex-data.
 * MS_ESYS when OpenSSL refuses (out of memory). */
ms_err_t ms_tls_ctx_setup(struct ms_tls_store *s, void *ssl_ctx,
                          const char *host, struct ms_tls_watch *w);
/* Same for one SSL * whose context may be shared: host name, verify and
 * info callbacks and the watch go on the SSL itself (SSL ex-data wins over
 * SSL_CTX ex-data in the callbacks). The context's store is the caller's
 * business (ms_tls_store_x509). */
ms_err_t ms_tls_ssl_setup(void *ssl, const char *host, struct ms_tls_watch *w);
/* Exports protocol, cipher, verify result and the leaf's details from a
 * live SSL * into w (first call only; later calls do nothing). The info
 * callback calls it at handshake end; call it yourself when in doubt. */
void ms_tls_capture(const void *ssl, struct ms_tls_watch *w);
/* Final verdict: cert->chain_verified = a certificate was seen, no problem
 * was recorded and OpenSSL's verify result is X509_V_OK. */
void ms_tls_watch_finish(struct ms_tls_watch *w);
/* Fills present, subject, issuer (RFC 2253), san (DNS names; bytes other
 * than printable ASCII become '?', so an embedded NUL cannot shorten a
 * name), not_before and not_after from an X509 *. Frees what *out held in
 * those fields first. Leaves the verify fields alone. */
void ms_tls_cert_info_export(const void *x509, struct ms_cert_info *out);

#endif
