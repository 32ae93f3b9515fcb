/*
 * OpenSSL helpers shared by the HTTPS fetch and (later) the SMTP probe:
 * the one trust store loaded at start-up, a verify callback that collects
 * every certificate problem without aborting the handshake, and export of
 * the peer's certificate details into core's struct ms_cert_info.
 * Owns <openssl/*> together with https.c. Tests: the lab.
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

#endif
