/*
 * A bounds-checked reader of DNS response messages (RFC 1035 section 4),
 * with name decompression that refuses loops. Extracts the answer
 * section's records of interest: TXT (character-strings joined per record),
 * MX, A, AAAA, CNAME, TLSA presence. Pure; fed the bytes c-ares received.
 * Tests: tests/unit/test_dnsmsg.c.
 */
#ifndef MS_CORE_DNSMSG_H
#define MS_CORE_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "util/err.h"

#define MS_DNS_T_A     1
#define MS_DNS_T_CNAME 5
#define MS_DNS_T_MX    15
#define MS_DNS_T_TXT   16
#define MS_DNS_T_AAAA  28
#define MS_DNS_T_TLSA  52

#define MS_DNSMSG_RR_MAX   64   /* answer records kept */
#define MS_DNSMSG_NAME_MAX 255  /* presentation name, no trailing dot */
#define MS_DNSMSG_TXT_MAX  4096 /* joined TXT bytes kept per record */

struct ms_dnsmsg_rr {
  uint16_t type;
  char owner[MS_DNSMSG_NAME_MAX + 1]; /* lower case, no trailing dot */
  /* CNAME target or MX exchange (lower case, no trailing dot; "" = root) */
  char target[MS_DNSMSG_NAME_MAX + 1];
  uint16_t preference;                 /* MX */
  struct ms_addr addr;                 /* A / AAAA */
  size_t txt_off, txt_len;             /* TXT: into ms_dnsmsg.txtbuf */
  bool txt_truncated;                  /* TXT longer than MS_DNSMSG_TXT_MAX */
};

struct ms_dnsmsg {
  uint8_t rcode;
  bool truncated;                      /* TC bit */
  size_t ancount;
  struct ms_dnsmsg_rr rr[MS_DNSMSG_RR_MAX];
  size_t n_rr;
  size_t rr_dropped;
  char txtbuf[MS_DNSMSG_RR_MAX * 512]; /* TXT payloads, joined */
  size_t txtbuf_len;
};

/* Parses a response. On MS_OK *out holds the answer records of types A,
 * AAAA, CNAME, MX, TXT, TLSA (others skipped). MS_ESYNTAX when the message
 * is malformed (truncated RR, bad compression pointer, loop). */
ms_err_t ms_dnsmsg_parse(const uint8_t *buf, size_t len, struct ms_dnsmsg *out);

#endif
