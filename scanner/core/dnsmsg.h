/*
 * A bounds-checked reader of DNS response messages (RFC 1035 section 4),
 * with name decompression that refuses loops. Extracts the answer
 * section's records of interest: TXT (character-strings joined per record),
 * MX, A, AAAA, CNAME, TLSA presence. Pure; fed the bytes c-ares received.
 * Also the pure decisions made on top of one parsed answer: following the
 * CNAME chain it contains, and building the sorted MX host set.
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

#define MS_DNS_RCODE_NOERROR  0
#define MS_DNS_RCODE_SERVFAIL 2
#define MS_DNS_RCODE_NXDOMAIN 3
#define MS_DNS_RCODE_REFUSED  5

#define MS_DNSMSG_RR_MAX    64   /* answer records kept */
#define MS_DNSMSG_NAME_MAX  255  /* presentation name, no trailing dot */
#define MS_DNSMSG_TXT_MAX   4096 /* joined TXT bytes kept per record */
#define MS_DNSMSG_CHAIN_MAX 8    /* alias hops (equals MS_CNAME_MAX) */

struct ms_dnsmsg_rr {
  uint16_t type;
  char owner[MS_DNSMSG_NAME_MAX + 1]; /* lower case, no trailing dot */
  /* CNAME target or MX exchange (lower case, no trailing dot; "" = root) */
  char target[MS_DNSMSG_NAME_MAX + 1];
  uint16_t preference;     /* MX */
  struct ms_addr addr;     /* A / AAAA */
  size_t txt_off, txt_len; /* TXT: into ms_dnsmsg.txtbuf */
  bool txt_truncated;      /* TXT longer than the space kept */
};

struct ms_dnsmsg {
  uint8_t rcode;
  bool truncated; /* TC bit */
  size_t ancount;
  struct ms_dnsmsg_rr rr[MS_DNSMSG_RR_MAX];
  size_t n_rr;
  /* Answer records of the kept types beyond MS_DNSMSG_RR_MAX (they were
   * validated, then not stored). Other types are skipped, not counted. */
  size_t rr_dropped;
  char txtbuf[MS_DNSMSG_RR_MAX * 512]; /* TXT payloads, joined */
  size_t txtbuf_len;
};

/* Parses a response. On MS_OK *out holds the answer records of types A,
 * AAAA, CNAME, MX, TXT, TLSA of class IN (others skipped). MS_ESYNTAX when
 * the message is malformed: shorter than its header says, QR bit clear, an
 * RR or RDATA running past its end, a compression pointer that does not
 * point strictly backwards (loops, self and forward pointers), a reserved
 * label type, a name over 255 octets of wire form, an A/AAAA of the wrong
 * size, TXT strings that do not fill RDATA exactly. On error *out holds no
 * records. Only the header, question and answer sections are read.
 * Names are lower-cased, without trailing dot; the root is "". A label
 * byte that is '.', '\\' or not printable ASCII is written as \DDD
 * (RFC 4343 style), so distinct wire names stay distinct. */
ms_err_t ms_dnsmsg_parse(const uint8_t *buf, size_t len, struct ms_dnsmsg *out);

/* A CNAME chain being followed: the first name asked and the alias targets
 * met so far, in order (lower case, no trailing dot). */
struct ms_dnsmsg_chain {
  char qname[MS_DNSMSG_NAME_MAX + 1];
  char name[MS_DNSMSG_CHAIN_MAX][MS_DNSMSG_NAME_MAX + 1];
  size_t n;
};

/* Starts a chain at qname (copied, lower-cased, one trailing dot dropped).
 * Returns false when qname does not fit (the chain is then empty). */
bool ms_dnsmsg_chain_init(struct ms_dnsmsg_chain *c, const char *qname);
/* The name to look at now: the last alias target, else qname (borrowed). */
const char *ms_dnsmsg_chain_tail(const struct ms_dnsmsg_chain *c);

enum ms_dnsmsg_chase {
  MS_DNSMSG_CHASE_FOUND,   /* records of the type are owned by the tail */
  MS_DNSMSG_CHASE_END,     /* tail has neither the type nor a CNAME here */
  MS_DNSMSG_CHASE_LOOP,    /* an alias target was already in the chain */
  MS_DNSMSG_CHASE_TOO_LONG /* more than MS_DNSMSG_CHAIN_MAX aliases */
};

/* Follows the CNAME RRs of m's answer from the chain's tail, appending
 * each alias target to c, until the tail owns records of type (FOUND) or
 * nothing (END). Records of the type win over a CNAME at the same owner.
 * Called again with the next answer, it continues the same chain, so the
 * hop limit and loop check span every query of one lookup. */
enum ms_dnsmsg_chase ms_dnsmsg_chase(const struct ms_dnsmsg *m, uint16_t type,
                                     struct ms_dnsmsg_chain *c);

/* One MX host as ms_dnsmsg_mx_collect gives it (name borrowed from m). */
struct ms_dnsmsg_mx {
  const char *host;
  uint16_t preference;
};

/* Collects the MX RRs of m owned by owner, sorted by (preference, name),
 * each host kept once (at its lowest preference), at most cap of them;
 * the rest are counted in *dropped (with m->rr_dropped added). RFC 7505:
 * *null_mx is set when the only MX RR has the root as exchange (then 0
 * hosts); root exchanges among other MX RRs are skipped. Returns the
 * number of hosts written to out. */
size_t ms_dnsmsg_mx_collect(const struct ms_dnsmsg *m, const char *owner,
                            struct ms_dnsmsg_mx *out, size_t cap,
                            size_t *dropped, bool *null_mx);

#endif
