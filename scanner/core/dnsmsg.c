/*
 * DNS response reader (RFC 1035 section 4.1) and the pure decisions on one
 * parsed answer (CNAME chase, MX set). net/dns.c feeds it the bytes c-ares
 * received; nothing here allocates, logs or reads a clock.
 *
 * Message layout (RFC 1035 4.1): a 12-byte header, QDCOUNT questions
 * (name, type, class), then ANCOUNT resource records (owner, type, class,
 * TTL, RDLENGTH, RDATA). Every read goes through a length-checked cursor;
 * every RR is validated even when its type is not kept, so one malformed
 * record makes the whole answer untrusted (the caller reports BAD_REPLY).
 */
#include "core/dnsmsg.h"

#include <stdlib.h>
#include <string.h>

#include "util/slice.h"

#define HDR_LEN       12
#define CLASS_IN      1
#define WIRE_NAME_MAX 255 /* RFC 1035 2.3.4: octets of a wire name */
#define FLAG_QR       0x8000u
#define FLAG_TC       0x0200u

/* A bounds-checked read cursor over the message. */
struct rd {
  const uint8_t *buf;
  size_t len;
  size_t pos;
};

/* Reads a big-endian 16-bit value; false at the end of the buffer. */
static bool rd_u16(struct rd *r, uint16_t *v)
{
  if (r->len - r->pos < 2)
    return false;
  *v = (uint16_t)((r->buf[r->pos] << 8) | r->buf[r->pos + 1]);
  r->pos += 2;
  return true;
}

/* Advances n bytes; false when fewer remain. */
static bool rd_skip(struct rd *r, size_t n)
{
  if (r->len - r->pos < n)
    return false;
  r->pos += n;
  return true;
}

/* Appends one presentation byte of a label: lower-cased, and escaped as
 * \DDD when it would be ambiguous or unprintable. */
static bool put_label_byte(char *out, size_t *olen, uint8_t b)
{
  if (b == '.' || b == '\\' || b < 0x21 || b > 0x7e) {
    if (*olen + 4 > MS_DNSMSG_NAME_MAX)
      return false;
    out[(*olen)++] = '\\';
    out[(*olen)++] = (char)('0' + b / 100);
    out[(*olen)++] = (char)('0' + (b / 10) % 10);
    out[(*olen)++] = (char)('0' + b % 10);
    return true;
  }
  if (*olen + 1 > MS_DNSMSG_NAME_MAX)
    return false;
  out[(*olen)++] = (char)ms_ascii_lower(b);
  return true;
}

/*
 * Reads a possibly compressed name at r->pos into out (MS_DNSMSG_NAME_MAX
 * + 1 bytes). In-place bytes must lie before `end` (the RDATA end for
 * names inside RDATA). Loop safety: every compression pointer must point
 * strictly before the start of the run of labels that contains it, so the
 * run starts decrease and the walk ends (RFC 1035 4.1.4 only ever points
 * to a prior occurrence). On success r->pos is just past the in-place part.
 */
static bool read_name(struct rd *r, size_t end, char *out)
{
  size_t p = r->pos, run_start = r->pos, limit = end, wire = 0, olen = 0;
  bool jumped = false;

  for (;;) {
    if (p >= limit)
      return false;
    uint8_t l = r->buf[p];
    if ((l & 0xC0) == 0xC0) {
      if (p + 1 >= limit)
        return false;
      size_t target = ((size_t)(l & 0x3F) << 8) | r->buf[p + 1];
      if (target >= run_start)
        return false; /* self, forward or looping pointer */
      if (!jumped)
        r->pos = p + 2;
      jumped = true;
      run_start = target;
      p = target;
      limit = r->len; /* after a jump the whole message may be read */
      continue;
    }
    if ((l & 0xC0) != 0)
      return false; /* 0x40/0x80: reserved / obsolete label types */
    wire += (size_t)l + 1;
    if (wire > WIRE_NAME_MAX)
      return false;
    if (l == 0) {
      if (!jumped)
        r->pos = p + 1;
      out[olen] = '\0';
      return true;
    }
    if (limit - (p + 1) < l)
      return false;
    if (olen > 0) {
      if (olen + 1 > MS_DNSMSG_NAME_MAX)
        return false;
      out[olen++] = '.';
    }
    for (size_t i = 0; i < l; i++) {
      if (!put_label_byte(out, &olen, r->buf[p + 1 + i]))
        return false;
    }
    p += 1 + (size_t)l;
  }
}

/* TXT RDATA: <len><bytes> strings that fill it exactly, joined without
 * separator (RFC 8461 3.1: "concatenated ... without adding spaces"). */
static bool read_txt(const uint8_t *rdata, size_t rdlen, struct ms_dnsmsg *m,
                     struct ms_dnsmsg_rr *rr)
{
  size_t off = 0;
  rr->txt_off = m->txtbuf_len;
  rr->txt_len = 0;
  while (off < rdlen) {
    size_t l = rdata[off];
    if (rdlen - off - 1 < l)
      return false;
    /* Keep what fits in both the per-record cap and the shared buffer;
     * the rest is still validated and the record flagged truncated. */
    size_t room = sizeof(m->txtbuf) - m->txtbuf_len;
    if (room > MS_DNSMSG_TXT_MAX - rr->txt_len)
      room = MS_DNSMSG_TXT_MAX - rr->txt_len;
    size_t take = l < room ? l : room;
    if (take < l)
      rr->txt_truncated = true;
    memcpy(m->txtbuf + m->txtbuf_len, rdata + off + 1, take);
    m->txtbuf_len += take;
    rr->txt_len += take;
    off += 1 + l;
  }
  return true;
}

/* The types a lookup can ask for, plus CNAME for following aliases. */
static bool kept_type(uint16_t t)
{
  return t == MS_DNS_T_A || t == MS_DNS_T_AAAA || t == MS_DNS_T_CNAME ||
         t == MS_DNS_T_MX || t == MS_DNS_T_TXT || t == MS_DNS_T_TLSA;
}

/* One answer RR at r->pos. Validates every RR; stores those of interest. */
static bool read_rr(struct rd *r, struct ms_dnsmsg *m)
{
  char owner[MS_DNSMSG_NAME_MAX + 1];
  uint16_t type, klass, ttl_hi, ttl_lo, rdlen;

  if (!read_name(r, r->len, owner) || !rd_u16(r, &type) || !rd_u16(r, &klass) ||
      !rd_u16(r, &ttl_hi) || !rd_u16(r, &ttl_lo) || !rd_u16(r, &rdlen))
    return false;
  size_t rdstart = r->pos, rdend = r->pos + rdlen;
  if (!rd_skip(r, rdlen))
    return false;
  if (klass != CLASS_IN || !kept_type(type))
    return true;
  if (m->n_rr == MS_DNSMSG_RR_MAX) {
    m->rr_dropped++;
    return true;
  }

  /* Only the slot in use is cleared: the struct is ~66 KB and is parsed
   * once per answer, so zeroing all of it would dominate the cost. */
  struct ms_dnsmsg_rr *rr = &m->rr[m->n_rr];
  memset(rr, 0, sizeof(*rr));
  rr->type = type;
  memcpy(rr->owner, owner, sizeof(owner));
  struct rd sub = {r->buf, r->len, rdstart};
  switch (type) {
    case MS_DNS_T_A:
    case MS_DNS_T_AAAA: {
      size_t want = type == MS_DNS_T_A ? 4 : 16;
      if (rdlen != want)
        return false;
      rr->addr.family = type == MS_DNS_T_A ? 4 : 6;
      memcpy(rr->addr.bytes, r->buf + rdstart, want);
      break;
    }
    case MS_DNS_T_MX:
      /* Preference, then the exchange, which may be compressed. */
      if (rdlen < 3 || !rd_u16(&sub, &rr->preference) ||
          !read_name(&sub, rdend, rr->target) || sub.pos != rdend)
        return false;
      break;
    case MS_DNS_T_CNAME:
      if (!read_name(&sub, rdend, rr->target) || sub.pos != rdend)
        return false;
      break;
    case MS_DNS_T_TXT:
      if (!read_txt(r->buf + rdstart, rdlen, m, rr))
        return false;
      break;
    default: /* TLSA: presence only */
      break;
  }
  m->n_rr++;
  return true;
}

/* Single exit on failure (goto bad), outputs reset there (c-ares style). */
ms_err_t ms_dnsmsg_parse(const uint8_t *buf, size_t len, struct ms_dnsmsg *out)
{
  struct rd r = {buf, len, 0};
  uint16_t id, flags, qd, an, ns, ar;
  char scratch[MS_DNSMSG_NAME_MAX + 1];

  out->rcode = 0;
  out->truncated = false;
  out->ancount = 0;
  out->n_rr = 0;
  out->rr_dropped = 0;
  out->txtbuf_len = 0;
  if (!buf || !rd_u16(&r, &id) || !rd_u16(&r, &flags) || !rd_u16(&r, &qd) ||
      !rd_u16(&r, &an) || !rd_u16(&r, &ns) || !rd_u16(&r, &ar))
    goto bad;
  if (!(flags & FLAG_QR))
    goto bad; /* a query, not a response */
  out->rcode = (uint8_t)(flags & 0x0F);
  out->truncated = (flags & FLAG_TC) != 0;
  out->ancount = an;
  /* Questions are skipped: c-ares already matched the answer to its query
   * (id and question), and the owner names below are what we follow. */
  for (uint16_t i = 0; i < qd; i++) {
    if (!read_name(&r, r.len, scratch) || !rd_skip(&r, 4))
      goto bad;
  }
  for (uint16_t i = 0; i < an; i++) {
    if (!read_rr(&r, out))
      goto bad;
  }
  /* Authority and additional sections (NS, SOA, OPT) are not needed. */
  return MS_OK;

bad:
  out->n_rr = 0;
  out->rr_dropped = 0;
  out->txtbuf_len = 0;
  return MS_ESYNTAX;
}

/* Copies name lower-cased without one trailing dot; false if too long. */
static bool copy_name(char *dst, const char *src)
{
  size_t n = strlen(src);
  if (n > 0 && src[n - 1] == '.')
    n--;
  if (n > MS_DNSMSG_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    dst[i] = (char)ms_ascii_lower((uint8_t)src[i]);
  dst[n] = '\0';
  return true;
}

bool ms_dnsmsg_chain_init(struct ms_dnsmsg_chain *c, const char *qname)
{
  c->n = 0;
  c->qname[0] = '\0';
  return qname && copy_name(c->qname, qname);
}

const char *ms_dnsmsg_chain_tail(const struct ms_dnsmsg_chain *c)
{
  return c->n ? c->name[c->n - 1] : c->qname;
}

/* Loop check: the name asked first or any alias already followed. */
static bool chain_has(const struct ms_dnsmsg_chain *c, const char *name)
{
  if (strcmp(c->qname, name) == 0)
    return true;
  for (size_t i = 0; i < c->n; i++) {
    if (strcmp(c->name[i], name) == 0)
      return true;
  }
  return false;
}

/* The answer may list the chain in any order (RFC 1034 3.6.2 only says
 * the resolver includes it), so each step scans the whole answer. At most
 * MS_DNSMSG_CHAIN_MAX + 1 scans of at most MS_DNSMSG_RR_MAX records. */
enum ms_dnsmsg_chase ms_dnsmsg_chase(const struct ms_dnsmsg *m, uint16_t type,
                                     struct ms_dnsmsg_chain *c)
{
  for (;;) {
    const char *tail = ms_dnsmsg_chain_tail(c);
    const struct ms_dnsmsg_rr *alias = NULL;
    for (size_t i = 0; i < m->n_rr; i++) {
      if (strcmp(m->rr[i].owner, tail) != 0)
        continue;
      if (m->rr[i].type == type)
        return MS_DNSMSG_CHASE_FOUND;
      if (m->rr[i].type == MS_DNS_T_CNAME && !alias)
        alias = &m->rr[i];
    }
    if (!alias)
      return MS_DNSMSG_CHASE_END;
    if (chain_has(c, alias->target))
      return MS_DNSMSG_CHASE_LOOP;
    if (c->n == MS_DNSMSG_CHAIN_MAX)
      return MS_DNSMSG_CHASE_TOO_LONG;
    memcpy(c->name[c->n], alias->target, sizeof(alias->target));
    c->n++;
  }
}

/* Deterministic order for output and tests: preference, then name. */
static int mx_cmp(const void *a, const void *b)
{
  const struct ms_dnsmsg_mx *x = a, *y = b;
  if (x->preference != y->preference)
    return x->preference < y->preference ? -1 : 1;
  return strcmp(x->host, y->host);
}

size_t ms_dnsmsg_mx_collect(const struct ms_dnsmsg *m, const char *owner,
                            struct ms_dnsmsg_mx *out, size_t cap,
                            size_t *dropped, bool *null_mx)
{
  struct ms_dnsmsg_mx all[MS_DNSMSG_RR_MAX];
  size_t n_all = 0, n_rr = 0, n = 0;

  *null_mx = false;
  *dropped = m->rr_dropped;
  for (size_t i = 0; i < m->n_rr; i++) {
    const struct ms_dnsmsg_rr *rr = &m->rr[i];
    if (rr->type != MS_DNS_T_MX || strcmp(rr->owner, owner) != 0)
      continue;
    n_rr++;
    if (rr->target[0] == '\0')
      continue; /* root exchange: counted for the null-MX test only */
    all[n_all].host = rr->target;
    all[n_all].preference = rr->preference;
    n_all++;
  }
  /* RFC 7505 3: a null MX is a single RR "0 ."; with other RRs present
   * the root entries are unusable and are simply skipped. */
  if (n_rr == 1 && n_all == 0 && m->rr_dropped == 0) {
    *null_mx = true;
    return 0;
  }
  qsort(all, n_all, sizeof(all[0]), mx_cmp);
  for (size_t i = 0; i < n_all; i++) {
    bool dup = false;
    /* Sorted by preference first, so the first copy kept is the lowest. */
    for (size_t j = 0; j < i && !dup; j++)
      dup = strcmp(all[j].host, all[i].host) == 0;
    if (dup)
      continue;
    if (n == cap) {
      (*dropped)++;
      continue;
    }
    out[n++] = all[i];
  }
  return n;
}
