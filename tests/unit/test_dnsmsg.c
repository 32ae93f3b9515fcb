/*
 * core/dnsmsg.c: response messages are built by hand with a tiny builder
 * (optionally compressing every name it writes), parsed, and the parse is
 * rendered to one text line compared with the row's expectation. Also
 * malformed messages, the CNAME chase, the MX set, and the TXT values of
 * ../shared/corpus/txt.tsv sent through the wire format.
 */
#include "core/dnsmsg.h"

#include <arpa/inet.h>

#include "unit.h"

/* ---- builder -------------------------------------------------------- */

/* The builder writes into a fixed buffer; the messages here are small, and
 * a write past B_CAP is dropped (the parse of such a row then fails). */
#define B_CAP 16384

struct b {
  uint8_t buf[B_CAP];
  size_t len;
  bool compress;
  /* Names written so far (dotted, lower case) and their offsets. */
  char seen[64][256];
  size_t seen_off[64];
  size_t n_seen;
};

static void b_u8(struct b *b, unsigned v)
{
  if (b->len < B_CAP)
    b->buf[b->len++] = (uint8_t)v;
}

static void b_u16(struct b *b, unsigned v)
{
  b_u8(b, (v >> 8) & 0xFF);
  b_u8(b, v & 0xFF);
}

/* Header with NSCOUNT = ARCOUNT = 0: the reader ignores those sections. */
static void b_header(struct b *b, unsigned flags, unsigned qd, unsigned an)
{
  b_u16(b, 0x1234);
  b_u16(b, flags);
  b_u16(b, qd);
  b_u16(b, an);
  b_u16(b, 0);
  b_u16(b, 0);
}

/* Writes a dotted name ("" or "." is the root). With compression on, the
 * longest suffix already written becomes a pointer (RFC 1035 4.1.4). */
static void b_name(struct b *b, const char *name)
{
  const char *p = name;
  if (strcmp(p, ".") == 0)
    p = "";
  while (*p) {
    if (b->compress) {
      for (size_t i = 0; i < b->n_seen; i++) {
        if (strcmp(b->seen[i], p) == 0) {
          b_u16(b, 0xC000u | (unsigned)b->seen_off[i]);
          return;
        }
      }
      if (b->n_seen < 64 && b->len < 0x3FFF) {
        snprintf(b->seen[b->n_seen], sizeof(b->seen[0]), "%s", p);
        b->seen_off[b->n_seen++] = b->len;
      }
    }
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    b_u8(b, (unsigned)l);
    for (size_t i = 0; i < l; i++)
      b_u8(b, (unsigned char)p[i]);
    p += l;
    if (*p == '.')
      p++;
  }
  b_u8(b, 0);
}

/* RR data in text: TXT "a|b" (strings split at '|', "" = no strings),
 * MX "10 host", CNAME "target", A/AAAA address, anything else raw bytes. */
struct rr_spec {
  const char *owner;
  uint16_t type;
  const char *data;
};

static void b_rr(struct b *b, const struct rr_spec *rr)
{
  b_name(b, rr->owner);
  b_u16(b, rr->type);
  b_u16(b, 1); /* IN */
  b_u16(b, 0);
  b_u16(b, 300);
  size_t at = b->len;
  b_u16(b, 0); /* RDLENGTH, patched below */
  const char *d = rr->data;
  if (rr->type == MS_DNS_T_TXT) {
    while (*d) {
      const char *bar = strchr(d, '|');
      size_t l = bar ? (size_t)(bar - d) : strlen(d);
      b_u8(b, (unsigned)l);
      for (size_t i = 0; i < l; i++)
        b_u8(b, (unsigned char)d[i]);
      d += l;
      if (*d == '|') {
        d++;
        if (!*d)
          b_u8(b, 0); /* trailing '|': an empty last string */
      }
    }
  } else if (rr->type == MS_DNS_T_MX) {
    unsigned pref = 0;
    while (*d >= '0' && *d <= '9')
      pref = pref * 10 + (unsigned)(*d++ - '0');
    b_u16(b, pref);
    b_name(b, d + 1);
  } else if (rr->type == MS_DNS_T_CNAME) {
    b_name(b, d);
  } else if (rr->type == MS_DNS_T_A || rr->type == MS_DNS_T_AAAA) {
    uint8_t a[16];
    int fam = rr->type == MS_DNS_T_A ? AF_INET : AF_INET6;
    CU_ASSERT_FATAL(inet_pton(fam, d, a) == 1);
    for (size_t i = 0; i < (rr->type == MS_DNS_T_A ? 4u : 16u); i++)
      b_u8(b, a[i]);
  } else {
    for (; *d; d++)
      b_u8(b, (unsigned char)*d);
  }
  size_t rdlen = b->len - at - 2;
  b->buf[at] = (uint8_t)(rdlen >> 8);
  b->buf[at + 1] = (uint8_t)rdlen;
}

/* A whole response: one question and up to RRS_MAX answer RRs (the list
 * ends at the first row with a NULL owner). */
#define RRS_MAX 24

struct msg_spec {
  unsigned flags; /* header flags; 0x8180 = response, RD, RA, NOERROR */
  const char *qname;
  uint16_t qtype;
  bool compress;
  struct rr_spec rr[RRS_MAX];
};

static void build(struct b *b, const struct msg_spec *m)
{
  size_t an = 0;
  memset(b, 0, sizeof(*b));
  b->compress = m->compress;
  while (an < RRS_MAX && m->rr[an].owner)
    an++;
  b_header(b, m->flags, 1, (unsigned)an);
  b_name(b, m->qname);
  b_u16(b, m->qtype);
  b_u16(b, 1);
  for (size_t i = 0; i < an; i++)
    b_rr(b, &m->rr[i]);
}

/* ---- rendering of a parse -------------------------------------------- */

static void cat(char *out, size_t cap, const char *s)
{
  size_t o = strlen(out), n = strlen(s);
  if (o + n + 1 > cap)
    n = cap - o - 1;
  memcpy(out + o, s, n);
  out[o + n] = '\0';
}

/* "rcode=0 tc=0 an=2 | TXT owner "text" | MX owner 10 host | ..." */
static void render(const struct ms_dnsmsg *m, char *out, size_t cap)
{
  char tmp[MS_DNSMSG_TXT_MAX + 600];
  snprintf(out, cap, "rcode=%u tc=%d an=%zu", m->rcode, m->truncated,
           m->ancount);
  for (size_t i = 0; i < m->n_rr; i++) {
    const struct ms_dnsmsg_rr *rr = &m->rr[i];
    switch (rr->type) {
      case MS_DNS_T_TXT: {
        size_t o =
            (size_t)snprintf(tmp, sizeof(tmp), " | TXT %s \"", rr->owner);
        for (size_t k = 0; k < rr->txt_len && o + 6 < sizeof(tmp); k++) {
          unsigned char c = (unsigned char)m->txtbuf[rr->txt_off + k];
          if (c < 0x20 || c > 0x7e)
            o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "\\%03u", c);
          else
            tmp[o++] = (char)c;
        }
        snprintf(tmp + o, sizeof(tmp) - o, "\"%s",
                 rr->txt_truncated ? "+" : "");
        break;
      }
      case MS_DNS_T_MX:
        snprintf(tmp, sizeof(tmp), " | MX %s %u %s", rr->owner, rr->preference,
                 rr->target[0] ? rr->target : ".");
        break;
      case MS_DNS_T_CNAME:
        snprintf(tmp, sizeof(tmp), " | CNAME %s %s", rr->owner, rr->target);
        break;
      case MS_DNS_T_A:
      case MS_DNS_T_AAAA: {
        char a[INET6_ADDRSTRLEN];
        inet_ntop(rr->addr.family == 4 ? AF_INET : AF_INET6, rr->addr.bytes, a,
                  sizeof(a));
        snprintf(tmp, sizeof(tmp), " | %s %s %s",
                 rr->type == MS_DNS_T_A ? "A" : "AAAA", rr->owner, a);
        break;
      }
      default:
        snprintf(tmp, sizeof(tmp), " | T%u %s", rr->type, rr->owner);
        break;
    }
    cat(out, cap, tmp);
  }
  if (m->rr_dropped) {
    snprintf(tmp, sizeof(tmp), " | dropped=%zu", m->rr_dropped);
    cat(out, cap, tmp);
  }
}

/* ---- well-formed messages --------------------------------------------- */

/* Each row: why it exists, the message to build, and the expected rendering
 * of the parse. The corpus' kinds of TXT mistakes (split strings, junk
 * records next to the real one, space before ';') each have a row. */

#define OK_FLAGS 0x8180u

static const struct {
  const char *why;
  struct msg_spec msg;
  const char *want;
} parse_rows[] = {
    {"RFC 8461 3.1: strings of one TXT RR joined without spaces",
     {OK_FLAGS,
      "_mta-sts.a.test",
      MS_DNS_T_TXT,
      false,
      {{"_mta-sts.a.test", MS_DNS_T_TXT, "v=STSv1;|id=20261606010000"}}},
     "rcode=0 tc=0 an=1 | TXT _mta-sts.a.test \"v=STSv1;id=20261606010000\""},
    {"several TXT RRs keep their boundaries (one junk 'v')",
     {OK_FLAGS,
      "_mta-sts.a.test",
      MS_DNS_T_TXT,
      true,
      {{"_mta-sts.a.test", MS_DNS_T_TXT, "v"},
       {"_mta-sts.a.test", MS_DNS_T_TXT, "v=STSv1 ; id=1234"},
       {"_mta-sts.a.test", MS_DNS_T_TXT, "v=STSv1; |id=2"}}},
     "rcode=0 tc=0 an=3 | TXT _mta-sts.a.test \"v\" | TXT _mta-sts.a.test "
     "\"v=STSv1 ; id=1234\" | TXT _mta-sts.a.test \"v=STSv1; id=2\""},
    {"empty character-strings and NUL bytes are kept as bytes",
     {OK_FLAGS,
      "t.test",
      MS_DNS_T_TXT,
      false,
      {{"t.test", MS_DNS_T_TXT, "|a||b|"}, {"t.test", MS_DNS_T_TXT, ""}}},
     "rcode=0 tc=0 an=2 | TXT t.test \"ab\" | TXT t.test \"\""},
    {"CNAME chain to TXT, compressed, mixed case lowered",
     {OK_FLAGS,
      "_MTA-STS.Alias.TEST",
      MS_DNS_T_TXT,
      true,
      {{"_MTA-STS.Alias.TEST", MS_DNS_T_CNAME, "C1.Alias.test."},
       {"c1.alias.test", MS_DNS_T_CNAME, "_mta-sts.main.test"},
       {"_mta-sts.main.test", MS_DNS_T_TXT, "v=STSv1; id=9"}}},
     "rcode=0 tc=0 an=3 | CNAME _mta-sts.alias.test c1.alias.test | CNAME "
     "c1.alias.test _mta-sts.main.test | TXT _mta-sts.main.test \"v=STSv1; "
     "id=9\""},
    {"MX set with compression; exchange names in capitals lowered",
     {OK_FLAGS,
      "example.test",
      MS_DNS_T_MX,
      true,
      {{"example.test", MS_DNS_T_MX, "10 MX1.example.test"},
       {"example.test", MS_DNS_T_MX, "5 mx2.example.test."},
       {"example.test", MS_DNS_T_MX, "20 ASPMX.L.GOOGLE.COM"}}},
     "rcode=0 tc=0 an=3 | MX example.test 10 mx1.example.test | MX "
     "example.test 5 mx2.example.test | MX example.test 20 aspmx.l.google.com"},
    {"RFC 7505 null MX: exchange is the root",
     {OK_FLAGS,
      "null.test",
      MS_DNS_T_MX,
      true,
      {{"null.test", MS_DNS_T_MX, "0 ."}}},
     "rcode=0 tc=0 an=1 | MX null.test 0 ."},
    {"A and AAAA, and an unknown type skipped",
     {OK_FLAGS,
      "h.test",
      MS_DNS_T_A,
      true,
      {{"h.test", MS_DNS_T_A, "192.0.2.1"},
       {"h.test", 99, "xyz"},
       {"h.test", MS_DNS_T_AAAA, "2001:db8::1"},
       {"h.test", MS_DNS_T_TLSA, "\x03\x01\x01"}}},
     "rcode=0 tc=0 an=4 | A h.test 192.0.2.1 | AAAA h.test 2001:db8::1 | T52 "
     "h.test"},
    {"NXDOMAIN with the CNAME that led there, TC bit read",
     {0x8383u,
      "d.test",
      MS_DNS_T_TXT,
      true,
      {{"d.test", MS_DNS_T_CNAME, "missing.test"}}},
     "rcode=3 tc=1 an=1 | CNAME d.test missing.test"},
    {"NODATA: no answer at all",
     {OK_FLAGS, "n.test", MS_DNS_T_TXT, false, {{NULL, 0, NULL}}},
     "rcode=0 tc=0 an=0"},
    {"label bytes that are '.', space or non-ASCII are escaped",
     {OK_FLAGS,
      "x.test",
      MS_DNS_T_CNAME,
      false,
      {{"x.test", MS_DNS_T_CNAME, "a\\b.test"}}},
     "rcode=0 tc=0 an=1 | CNAME x.test a\\092b.test"},
};

static void test_parse_rows(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  char got[8192];
  for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
    build(&b, &parse_rows[i].msg);
    ms_err_t err = ms_dnsmsg_parse(b.buf, b.len, &m);
    MS_CHECK_ROW(err == MS_OK, "%s: err %d", parse_rows[i].why, err);
    if (err != MS_OK)
      continue;
    render(&m, got, sizeof(got));
    MS_CHECK_ROW(strcmp(got, parse_rows[i].want) == 0,
                 "%s\n    want %s\n    got  %s", parse_rows[i].why,
                 parse_rows[i].want, got);
  }
}

/* Every strict prefix of a valid message is malformed (nothing follows the
 * answer section in these messages), and no prefix may be over-read. */
static void test_truncations(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
    build(&b, &parse_rows[i].msg);
    for (size_t n = 0; n < b.len; n++) {
      uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees over-reads */
      memcpy(copy, b.buf, n);
      ms_err_t err = ms_dnsmsg_parse(copy, n, &m);
      free(copy);
      MS_CHECK_ROW(err == MS_ESYNTAX && m.n_rr == 0, "%s cut at %zu of %zu",
                   parse_rows[i].why, n, b.len);
    }
  }
}

/* Flipping any byte must never crash or over-read (result may be OK). */
static void test_mutations(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  build(&b, &parse_rows[3].msg);
  for (size_t pos = 0; pos < b.len; pos++) {
    for (unsigned v = 0; v < 256; v += 15) {
      uint8_t *copy = malloc(b.len);
      memcpy(copy, b.buf, b.len);
      copy[pos] = (uint8_t)v;
      ms_err_t err = ms_dnsmsg_parse(copy, b.len, &m);
      free(copy);
      MS_CHECK_ROW(err == MS_OK || (err == MS_ESYNTAX && m.n_rr == 0),
                   "byte %zu = %u", pos, v);
    }
  }
}

/* ---- malformed messages, raw bytes ------------------------------------- */

/* Raw bytes for what the builder cannot produce: HDR is a response header,
 * RRH the fixed part of an RR after its owner (type, IN, TTL 300, rdlen). */
#define HDR(qd, an)      0x12, 0x34, 0x81, 0x80, 0, qd, 0, an, 0, 0, 0, 0
#define RRH(type, rdlen) 0, (type), 0, 1, 0, 0, 1, 44, 0, (rdlen)

static const struct {
  const char *why;
  uint8_t bytes[96];
  size_t len;
} bad_rows[] = {
    {"empty", {0}, 0},
    {"header cut", {HDR(0, 0)}, 11},
    {"QR bit clear: a query",
     {0x12, 0x34, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     12},
    {"ancount 1, no RR", {HDR(0, 1)}, 12},
    {"question cut", {HDR(1, 0), 1, 'a', 0, 0, 16}, 17},
    {"compression pointer to itself", {HDR(0, 1), 0xC0, 12, RRH(16, 1), 0}, 25},
    {"compression pointer forward",
     {HDR(0, 1), 0xC0, 14, 0, RRH(16, 1), 0},
     26},
    {"two pointers pointing at each other",
     {HDR(0, 1), 0xC0, 14, 0xC0, 12, RRH(16, 1), 0},
     27},
    {"suffix pointer back to the name's own start",
     {HDR(0, 1), 1, 'a', 0xC0, 12, RRH(16, 1), 0},
     27},
    /* RR 1's TXT RDATA "\1z" sits at 23; RR 2's owner (25) points back to
     * 23, whose label runs forward into that same pointer: a loop that a
     * "pointer before itself" check alone lets through. */
    {"backward pointer into a run that reaches it again",
     {HDR(0, 2), 0, RRH(16, 2), 1, 'z', 0xC0, 23, RRH(16, 1), 0},
     38},
    {"pointer past the end", {HDR(0, 1), 0xC0, 0xFF, RRH(16, 1), 0}, 25},
    {"pointer cut after one byte", {HDR(0, 1), 0xC0}, 13},
    {"reserved label type 0x40", {HDR(0, 1), 0x41, 'a', 0, RRH(16, 1), 0}, 26},
    {"label runs past the end", {HDR(0, 1), 5, 'a', 'b'}, 15},
    {"RDATA runs past the end",
     {HDR(0, 1), 0, RRH(16, 9), 3, 'a', 'b', 'c'},
     27},
    {"TXT string longer than RDATA",
     {HDR(0, 1), 0, RRH(16, 4), 9, 'a', 'b', 'c'},
     27},
    {"A with 5 bytes", {HDR(0, 1), 0, RRH(1, 5), 1, 2, 3, 4, 5}, 28},
    {"AAAA with 4 bytes", {HDR(0, 1), 0, RRH(28, 4), 1, 2, 3, 4}, 27},
    {"MX without exchange", {HDR(0, 1), 0, RRH(15, 2), 0, 10}, 25},
    {"MX exchange followed by junk in RDATA",
     {HDR(0, 1), 0, RRH(15, 5), 0, 10, 0, 'x', 'y'},
     28},
    {"CNAME target leaves RDATA",
     {HDR(0, 1), 0, RRH(5, 2), 3, 'a', 'b', 'c', 0},
     28},
};

/* Each row copied into an exact-size buffer so ASan sees any over-read. */
static void test_bad_rows(void)
{
  static struct ms_dnsmsg m;
  for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
    uint8_t *copy = malloc(bad_rows[i].len ? bad_rows[i].len : 1);
    memcpy(copy, bad_rows[i].bytes, bad_rows[i].len);
    ms_err_t err = ms_dnsmsg_parse(copy, bad_rows[i].len, &m);
    free(copy);
    MS_CHECK_ROW(err == MS_ESYNTAX, "%s: err %d", bad_rows[i].why, err);
  }
  CU_ASSERT_EQUAL(ms_dnsmsg_parse(NULL, 12, &m), MS_ESYNTAX);
}

/* Names: 255 octets of wire form is the RFC 1035 limit, 256 is over. */
static void test_name_length(void)
{
  static const struct {
    size_t labels, label_len, tail;
    ms_err_t want;
  } rows[] = {
      {3, 63, 61, MS_OK},      /* 3*64 + 62 + 1 = 255 octets */
      {3, 63, 62, MS_ESYNTAX}, /* 256 octets */
      {5, 63, 0, MS_ESYNTAX},  /* 321 octets */
      {127, 1, 0, MS_OK},      /* 127 one-byte labels: 255 octets */
      {128, 1, 0, MS_ESYNTAX},
  };
  static struct b b;
  static struct ms_dnsmsg m;
  char name[700];
  for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
    size_t o = 0;
    for (size_t i = 0; i < rows[r].labels; i++) {
      memset(name + o, 'a' + (int)(i % 26), rows[r].label_len);
      o += rows[r].label_len;
      name[o++] = '.';
    }
    if (rows[r].tail) {
      memset(name + o, 'z', rows[r].tail);
      o += rows[r].tail;
    } else {
      o--;
    }
    name[o] = '\0';
    struct msg_spec spec = {
        OK_FLAGS, "q.test", MS_DNS_T_TXT, false, {{name, MS_DNS_T_TXT, "x"}}};
    build(&b, &spec);
    ms_err_t err = ms_dnsmsg_parse(b.buf, b.len, &m);
    MS_CHECK_ROW(err == rows[r].want, "row %zu (%zu chars): err %d", r, o, err);
    if (err == MS_OK)
      MS_CHECK_ROW(strcmp(m.rr[0].owner, name) == 0, "row %zu owner", r);
  }
}

/* Caps: records beyond MS_DNSMSG_RR_MAX are counted, TXT beyond
 * MS_DNSMSG_TXT_MAX is cut and flagged. */
static void test_caps(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  memset(&b, 0, sizeof(b));
  b.compress = true;
  b_header(&b, OK_FLAGS, 0, 70);
  for (int i = 0; i < 70; i++) {
    struct rr_spec rr = {"many.test", MS_DNS_T_A, "192.0.2.7"};
    b_rr(&b, &rr);
  }
  CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
  CU_ASSERT_EQUAL(m.n_rr, MS_DNSMSG_RR_MAX);
  CU_ASSERT_EQUAL(m.rr_dropped, 70 - MS_DNSMSG_RR_MAX);

  /* 20 strings of 255 bytes = 5100 bytes in one RR. */
  static char big[20 * 256 + 1];
  size_t o = 0;
  for (int i = 0; i < 20; i++) {
    memset(big + o, 'a' + i, 255);
    o += 255;
    big[o++] = '|';
  }
  big[o - 1] = '\0';
  struct msg_spec spec = {OK_FLAGS,
                          "big.test",
                          MS_DNS_T_TXT,
                          false,
                          {{"big.test", MS_DNS_T_TXT, big}}};
  build(&b, &spec);
  CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
  CU_ASSERT_EQUAL(m.n_rr, 1);
  CU_ASSERT_EQUAL(m.rr[0].txt_len, MS_DNSMSG_TXT_MAX);
  CU_ASSERT(m.rr[0].txt_truncated);
  CU_ASSERT_EQUAL(m.txtbuf[MS_DNSMSG_TXT_MAX - 1],
                  'a' + (MS_DNSMSG_TXT_MAX - 1) / 255);
}

/* ---- CNAME chase --------------------------------------------------------- */

/* Rows: the answer's RRs, the result, and the alias targets recorded. The
 * corpus' alias deployments (M05, M23, protonmail) are the two-hop row. */

static const struct {
  const char *why;
  const char *qname;
  uint16_t type;
  struct rr_spec rr[12];
  enum ms_dnsmsg_chase want;
  const char *chain; /* alias targets joined by ' ' */
} chase_rows[] = {
    {"records at the name itself",
     "_mta-sts.a.test.",
     MS_DNS_T_TXT,
     {{"_mta-sts.a.test", MS_DNS_T_TXT, "v=STSv1; id=1"}},
     MS_DNSMSG_CHASE_FOUND,
     ""},
    {"two hops, answer out of order",
     "_MTA-STS.alias.test",
     MS_DNS_T_TXT,
     {{"b.test", MS_DNS_T_TXT, "v=STSv1; id=1"},
      {"a.test", MS_DNS_T_CNAME, "b.test"},
      {"_mta-sts.alias.test", MS_DNS_T_CNAME, "A.test"}},
     MS_DNSMSG_CHASE_FOUND,
     "a.test b.test"},
    {"TXT of another owner does not count",
     "x.test",
     MS_DNS_T_TXT,
     {{"y.test", MS_DNS_T_TXT, "v=STSv1; id=1"}},
     MS_DNSMSG_CHASE_END,
     ""},
    {"chain ends without records (out-of-zone target)",
     "_mta-sts.o.test",
     MS_DNS_T_TXT,
     {{"_mta-sts.o.test", MS_DNS_T_CNAME, "_mta-sts.far.example"}},
     MS_DNSMSG_CHASE_END,
     "_mta-sts.far.example"},
    {"loop back to the query name",
     "l1.test",
     MS_DNS_T_TXT,
     {{"l1.test", MS_DNS_T_CNAME, "l2.test"},
      {"l2.test", MS_DNS_T_CNAME, "l1.test"}},
     MS_DNSMSG_CHASE_LOOP,
     "l2.test"},
    {"self loop",
     "s.test",
     MS_DNS_T_A,
     {{"s.test", MS_DNS_T_CNAME, "s.test"}},
     MS_DNSMSG_CHASE_LOOP,
     ""},
    {"8 hops is the limit",
     "h0.test",
     MS_DNS_T_A,
     {{"h0.test", MS_DNS_T_CNAME, "h1.test"},
      {"h1.test", MS_DNS_T_CNAME, "h2.test"},
      {"h2.test", MS_DNS_T_CNAME, "h3.test"},
      {"h3.test", MS_DNS_T_CNAME, "h4.test"},
      {"h4.test", MS_DNS_T_CNAME, "h5.test"},
      {"h5.test", MS_DNS_T_CNAME, "h6.test"},
      {"h6.test", MS_DNS_T_CNAME, "h7.test"},
      {"h7.test", MS_DNS_T_CNAME, "h8.test"},
      {"h8.test", MS_DNS_T_A, "192.0.2.8"}},
     MS_DNSMSG_CHASE_FOUND,
     "h1.test h2.test h3.test h4.test h5.test h6.test h7.test h8.test"},
    {"a 9th hop is too long",
     "h0.test",
     MS_DNS_T_A,
     {{"h0.test", MS_DNS_T_CNAME, "h1.test"},
      {"h1.test", MS_DNS_T_CNAME, "h2.test"},
      {"h2.test", MS_DNS_T_CNAME, "h3.test"},
      {"h3.test", MS_DNS_T_CNAME, "h4.test"},
      {"h4.test", MS_DNS_T_CNAME, "h5.test"},
      {"h5.test", MS_DNS_T_CNAME, "h6.test"},
      {"h6.test", MS_DNS_T_CNAME, "h7.test"},
      {"h7.test", MS_DNS_T_CNAME, "h8.test"},
      {"h8.test", MS_DNS_T_CNAME, "h9.test"},
      {"h9.test", MS_DNS_T_A, "192.0.2.9"}},
     MS_DNSMSG_CHASE_TOO_LONG,
     "h1.test h2.test h3.test h4.test h5.test h6.test h7.test h8.test"},
    {"records win over a CNAME at the same owner",
     "both.test",
     MS_DNS_T_MX,
     {{"both.test", MS_DNS_T_CNAME, "other.test"},
      {"both.test", MS_DNS_T_MX, "10 mx.test"}},
     MS_DNSMSG_CHASE_FOUND,
     ""},
};

static void chain_text(const struct ms_dnsmsg_chain *c, char *out, size_t cap)
{
  out[0] = '\0';
  for (size_t i = 0; i < c->n; i++) {
    if (i)
      cat(out, cap, " ");
    cat(out, cap, c->name[i]);
  }
}

static void test_chase(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  struct ms_dnsmsg_chain c;
  char got[2400];
  for (size_t i = 0; i < sizeof(chase_rows) / sizeof(chase_rows[0]); i++) {
    struct msg_spec spec = {OK_FLAGS,
                            chase_rows[i].qname,
                            chase_rows[i].type,
                            true,
                            {{NULL, 0, NULL}}};
    memcpy(spec.rr, chase_rows[i].rr, sizeof(chase_rows[i].rr));
    build(&b, &spec);
    CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
    CU_ASSERT_FATAL(ms_dnsmsg_chain_init(&c, chase_rows[i].qname));
    enum ms_dnsmsg_chase r = ms_dnsmsg_chase(&m, chase_rows[i].type, &c);
    chain_text(&c, got, sizeof(got));
    MS_CHECK_ROW(r == chase_rows[i].want, "%s: result %d", chase_rows[i].why,
                 (int)r);
    MS_CHECK_ROW(strcmp(got, chase_rows[i].chain) == 0,
                 "%s: chain [%s] want [%s]", chase_rows[i].why, got,
                 chase_rows[i].chain);
  }
}

/* The chain spans queries: a second answer continues it, and a loop
 * through the first answer's names is still seen. */
static void test_chase_across_answers(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  struct ms_dnsmsg_chain c;
  struct msg_spec first = {OK_FLAGS,
                           "a.test",
                           MS_DNS_T_TXT,
                           true,
                           {{"a.test", MS_DNS_T_CNAME, "b.far"}}};
  struct msg_spec second = {OK_FLAGS,
                            "b.far",
                            MS_DNS_T_TXT,
                            true,
                            {{"b.far", MS_DNS_T_CNAME, "c.far"},
                             {"c.far", MS_DNS_T_TXT, "v=STSv1; id=3"}}};
  struct msg_spec looping = {OK_FLAGS,
                             "b.far",
                             MS_DNS_T_TXT,
                             true,
                             {{"b.far", MS_DNS_T_CNAME, "a.test"}}};

  CU_ASSERT_FATAL(ms_dnsmsg_chain_init(&c, "a.test"));
  build(&b, &first);
  CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
  CU_ASSERT_EQUAL(ms_dnsmsg_chase(&m, MS_DNS_T_TXT, &c), MS_DNSMSG_CHASE_END);
  CU_ASSERT_STRING_EQUAL(ms_dnsmsg_chain_tail(&c), "b.far");
  build(&b, &second);
  CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
  CU_ASSERT_EQUAL(ms_dnsmsg_chase(&m, MS_DNS_T_TXT, &c), MS_DNSMSG_CHASE_FOUND);
  CU_ASSERT_STRING_EQUAL(ms_dnsmsg_chain_tail(&c), "c.far");
  CU_ASSERT_EQUAL(c.n, 2);

  CU_ASSERT_FATAL(ms_dnsmsg_chain_init(&c, "a.test"));
  build(&b, &first);
  CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
  CU_ASSERT_EQUAL(ms_dnsmsg_chase(&m, MS_DNS_T_TXT, &c), MS_DNSMSG_CHASE_END);
  build(&b, &looping);
  CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
  CU_ASSERT_EQUAL(ms_dnsmsg_chase(&m, MS_DNS_T_TXT, &c), MS_DNSMSG_CHASE_LOOP);

  char long_name[300];
  memset(long_name, 'a', 256);
  long_name[256] = '\0';
  CU_ASSERT_FALSE(ms_dnsmsg_chain_init(&c, long_name));
}

/* ---- MX set ----------------------------------------------------------- */

/* Rows: MX RRs of d.test, the cap, and the expected host list rendering. */

static const struct {
  const char *why;
  struct rr_spec rr[RRS_MAX];
  size_t cap;
  const char *want; /* "pref host,..." then " null" / " dropped=N" */
} mx_rows[] = {
    {"sorted by preference then name; duplicate names once (lowest pref)",
     {{"d.test", MS_DNS_T_MX, "10 mx2.d.test"},
      {"d.test", MS_DNS_T_MX, "5 MX1.d.test"},
      {"d.test", MS_DNS_T_MX, "10 mx0.d.test"},
      {"d.test", MS_DNS_T_MX, "20 mx1.d.test."},
      {"d.test", MS_DNS_T_MX, "10 mx2.d.test"}},
     32,
     "5 mx1.d.test,10 mx0.d.test,10 mx2.d.test"},
    {"preference order differs from name order (corpus M03)",
     {{"d.test", MS_DNS_T_MX, "46 route1.mx.cloudflare.net."},
      {"d.test", MS_DNS_T_MX, "11 route2.mx.cloudflare.net."},
      {"d.test", MS_DNS_T_MX, "87 route3.mx.cloudflare.net."}},
     32,
     "11 route2.mx.cloudflare.net,46 route1.mx.cloudflare.net,87 "
     "route3.mx.cloudflare.net"},
    {"null MX", {{"d.test", MS_DNS_T_MX, "0 ."}}, 32, " null"},
    {"null MX with nonzero preference is still null",
     {{"d.test", MS_DNS_T_MX, "10 ."}},
     32,
     " null"},
    {"root among real MX: skipped, not null",
     {{"d.test", MS_DNS_T_MX, "0 ."}, {"d.test", MS_DNS_T_MX, "10 mx.d.test"}},
     32,
     "10 mx.d.test"},
    {"MX of another owner ignored; no MX at all",
     {{"other.test", MS_DNS_T_MX, "10 mx.other.test"}},
     32,
     ""},
    {"over the cap: counted",
     {{"d.test", MS_DNS_T_MX, "30 c.d.test"},
      {"d.test", MS_DNS_T_MX, "10 a.d.test"},
      {"d.test", MS_DNS_T_MX, "20 b.d.test"}},
     2,
     "10 a.d.test,20 b.d.test dropped=1"},
};

/* dropped and null_mx start at wrong values so a missing write shows. */
static void test_mx_collect(void)
{
  static struct b b;
  static struct ms_dnsmsg m;
  struct ms_dnsmsg_mx out[32];
  char got[1024], tmp[300];
  for (size_t i = 0; i < sizeof(mx_rows) / sizeof(mx_rows[0]); i++) {
    struct msg_spec spec = {
        OK_FLAGS, "d.test", MS_DNS_T_MX, true, {{NULL, 0, NULL}}};
    memcpy(spec.rr, mx_rows[i].rr, sizeof(mx_rows[i].rr));
    build(&b, &spec);
    CU_ASSERT_EQUAL_FATAL(ms_dnsmsg_parse(b.buf, b.len, &m), MS_OK);
    size_t dropped = 99;
    bool null_mx = true;
    size_t n = ms_dnsmsg_mx_collect(&m, "d.test", out, mx_rows[i].cap, &dropped,
                                    &null_mx);
    got[0] = '\0';
    for (size_t k = 0; k < n; k++) {
      snprintf(tmp, sizeof(tmp), "%s%u %s", k ? "," : "", out[k].preference,
               out[k].host);
      cat(got, sizeof(got), tmp);
    }
    if (null_mx)
      cat(got, sizeof(got), " null");
    if (dropped) {
      snprintf(tmp, sizeof(tmp), " dropped=%zu", dropped);
      cat(got, sizeof(got), tmp);
    }
    MS_CHECK_ROW(strcmp(got, mx_rows[i].want) == 0, "%s: got [%s] want [%s]",
                 mx_rows[i].why, got, mx_rows[i].want);
  }
}

/* ---- the corpus' TXT values through the wire format ---------------- */

/* txt.tsv: kind, value (records separated by a literal "\n"), note, zone
 * (quoted character-strings; a literal "\n" between RRs). Each zone value
 * is sent as TXT RRs; the joined records must equal the value column. */
static void test_corpus_txt(void)
{
  const char *dir = ms_test_corpus_dir();
  char path[4200];
  size_t len, rows = 0;
  static struct b b;
  static struct ms_dnsmsg m;
  if (!dir)
    return; /* no ../shared/corpus next to this checkout */
  snprintf(path, sizeof(path), "%s/txt.tsv", dir);
  char *tsv = ms_test_read_file(path, &len);
  if (!tsv)
    return;
  for (char *line = tsv, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *col[4] = {line, NULL, NULL, NULL};
    for (int k = 1; k < 4 && col[k - 1]; k++) {
      col[k] = strchr(col[k - 1], '\t');
      if (col[k])
        *col[k]++ = '\0';
    }
    if (!col[3] || strcmp(col[0], "kind") == 0)
      continue;
    /* Zone text -> TXT RRs: "a" "b"\n"c" is {a|b}, {c}. */
    static char rdtext[RRS_MAX][1024];
    size_t n_rr = 0, o = 0;
    bool in_q = false;
    memset(rdtext, 0, sizeof(rdtext));
    for (const char *p = col[3]; *p && n_rr < RRS_MAX; p++) {
      if (*p == '"') {
        if (!in_q && o > 0)
          rdtext[n_rr][o++] = '|'; /* next string of the same RR */
        in_q = !in_q;
      } else if (in_q && o + 2 < sizeof(rdtext[0])) {
        rdtext[n_rr][o++] = *p;
      } else if (!in_q && p[0] == '\\' && p[1] == 'n') {
        n_rr++;
        o = 0;
        p++;
      }
    }
    n_rr++;
    struct msg_spec spec = {OK_FLAGS,
                            "_mta-sts.corpus.test",
                            MS_DNS_T_TXT,
                            true,
                            {{NULL, 0, NULL}}};
    for (size_t k = 0; k < n_rr; k++) {
      spec.rr[k].owner = "_mta-sts.corpus.test";
      spec.rr[k].type = MS_DNS_T_TXT;
      spec.rr[k].data = rdtext[k];
    }
    build(&b, &spec);
    ms_err_t err = ms_dnsmsg_parse(b.buf, b.len, &m);
    MS_CHECK_ROW(err == MS_OK && m.n_rr == n_rr, "corpus zone %s", col[3]);
    /* Expected records: the value column split at literal "\n". */
    const char *v = col[1];
    for (size_t k = 0; err == MS_OK && k < m.n_rr; k++) {
      const char *end = strstr(v, "\\n");
      size_t vl = end ? (size_t)(end - v) : strlen(v);
      MS_CHECK_ROW(m.rr[k].txt_len == vl &&
                       memcmp(m.txtbuf + m.rr[k].txt_off, v, vl) == 0,
                   "corpus value %s, record %zu", col[1], k);
      v = end ? end + 2 : v + vl;
    }
    rows++;
  }
  free(tsv);
  CU_ASSERT(rows > 0);
}

CU_TestInfo ms_tests_dnsmsg[] = {
    {"well-formed messages", test_parse_rows},
    {"every truncation rejected", test_truncations},
    {"byte mutations never over-read", test_mutations},
    {"malformed messages rejected", test_bad_rows},
    {"name length limit", test_name_length},
    {"record and TXT caps", test_caps},
    {"CNAME chase", test_chase},
    {"CNAME chase across answers", test_chase_across_answers},
    {"MX set", test_mx_collect},
    {"corpus TXT values", test_corpus_txt},
    CU_TEST_INFO_NULL,
};
