/*
 * Fuzz target for core/dnsmsg: parses a DNS response, then runs the CNAME
 * chase and the MX collection on what it found. Properties: on error no
 * records are kept; on success counts, names and TXT offsets stay inside
 * their arrays.
 */
#include "core/dnsmsg.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint8_t *buf = (uint8_t *)ms_fuzz_dup(data, size);
  struct ms_dnsmsg *m = calloc(1, sizeof(*m));
  struct ms_dnsmsg_chain *c = calloc(1, sizeof(*c));
  MS_FUZZ_CHECK(m != NULL && c != NULL);
  ms_err_t err = ms_dnsmsg_parse(buf, size, m);
  if (err != MS_OK) {
    MS_FUZZ_CHECK(m->n_rr == 0);
    goto done;
  }
  MS_FUZZ_CHECK(m->n_rr <= MS_DNSMSG_RR_MAX);
  MS_FUZZ_CHECK(m->txtbuf_len <= sizeof(m->txtbuf));
  for (size_t i = 0; i < m->n_rr; i++) {
    const struct ms_dnsmsg_rr *rr = &m->rr[i];
    MS_FUZZ_CHECK(memchr(rr->owner, '\0', sizeof(rr->owner)) != NULL);
    MS_FUZZ_CHECK(memchr(rr->target, '\0', sizeof(rr->target)) != NULL);
    if (rr->type == MS_DNS_T_TXT)
      MS_FUZZ_CHECK(rr->txt_off + rr->txt_len <= m->txtbuf_len);
  }
  /* Follow the chain from the first owner (or a fixed name) for MX. */
  const char *start = m->n_rr ? m->rr[0].owner : "example.com";
  if (ms_dnsmsg_chain_init(c, start)) {
    enum ms_dnsmsg_chase r = ms_dnsmsg_chase(m, MS_DNS_T_MX, c);
    MS_FUZZ_CHECK(c->n <= MS_DNSMSG_CHAIN_MAX);
    const char *tail = ms_dnsmsg_chain_tail(c);
    MS_FUZZ_CHECK(tail != NULL);
    if (r == MS_DNSMSG_CHASE_FOUND) {
      struct ms_dnsmsg_mx mx[16];
      size_t dropped = 0;
      bool null_mx = false;
      size_t k = ms_dnsmsg_mx_collect(m, tail, mx, 16, &dropped, &null_mx);
      MS_FUZZ_CHECK(k <= 16);
      MS_FUZZ_CHECK(!null_mx || k == 0);
      for (size_t i = 1; i < k; i++)
        MS_FUZZ_CHECK(mx[i - 1].preference <= mx[i].preference);
    }
  }
done:
  free(c);
  free(m);
  free(buf);
  return 0;
}
