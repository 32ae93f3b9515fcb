/*
 * ms_addr_parse / ms_addr_format / ms_addr_is_private: every non-public
 * range of the SSRF guard has a row at its edges (first and last address
 * inside, and a public neighbour outside), IPv6 forms that embed IPv4 are
 * judged by the embedded address.
 */
#include "core/addr.h"

#include "unit.h"

static const struct {
  const char *ip;
  bool private_;
} priv[] = {
    /* IPv4 */
    {"0.0.0.0", true},
    {"0.255.255.255", true},
    {"1.0.0.0", false},
    {"1.1.1.1", false},
    {"9.255.255.255", false},
    {"10.0.0.0", true},
    {"10.255.255.255", true},
    {"11.0.0.0", false},
    {"100.63.255.255", false},
    {"100.64.0.0", true},
    {"100.127.255.255", true},
    {"100.128.0.0", false},
    {"126.255.255.255", false},
    {"127.0.0.1", true},
    {"127.255.255.255", true},
    {"128.0.0.0", false},
    {"169.253.255.255", false},
    {"169.254.0.1", true},
    {"169.254.255.255", true},
    {"169.255.0.0", false},
    {"172.15.255.255", false},
    {"172.16.0.0", true},
    {"172.31.255.255", true},
    {"172.32.0.0", false},
    {"192.0.0.1", true},
    {"192.0.0.255", true},
    {"192.0.1.0", false},
    {"192.0.2.0", true},
    {"192.0.2.255", true},
    {"192.0.3.0", false},
    {"192.88.98.255", false},
    {"192.88.99.1", true},
    {"192.88.100.0", false},
    {"192.167.255.255", false},
    {"192.168.0.0", true},
    {"192.168.255.255", true},
    {"192.169.0.0", false},
    {"198.17.255.255", false},
    {"198.18.0.0", true},
    {"198.19.255.255", true},
    {"198.20.0.0", false},
    {"198.51.99.255", false},
    {"198.51.100.7", true},
    {"198.51.101.0", false},
    {"203.0.112.255", false},
    {"203.0.113.9", true},
    {"203.0.114.0", false},
    {"223.255.255.255", false},
    {"224.0.0.1", true},
    {"239.255.255.255", true},
    {"240.0.0.0", true},
    {"255.255.255.254", true},
    {"255.255.255.255", true},
    {"8.8.8.8", false},
    /* IPv6 */
    {"::", true},
    {"::1", true},
    {"::2", true},
    {"::192.0.2.1", true},      /* IPv4-compatible, deprecated */
    {"::8.8.8.8", true},        /* the whole ::/96 */
    {"::1:0:0:0", false},       /* just outside ::/96 */
    {"::ffff:127.0.0.1", true}, /* mapped: embedded v4 decides */
    {"::ffff:10.1.2.3", true},
    {"::ffff:8.8.8.8", false},
    {"::ffff:0.0.0.0", true},
    {"64:ff9b::10.0.0.1", true}, /* NAT64 well-known prefix */
    {"64:ff9b::8.8.8.8", false},
    {"64:ff9b::7f00:1", true},
    {"64:ff9b:1::1", true}, /* local-use NAT64 */
    {"64:ff9b:1:ffff::1", true},
    {"64:ff9b:2::1", false},
    {"100::", true}, /* discard-only */
    {"100::ffff:ffff:ffff:ffff", true},
    {"100:0:0:1::", false},
    {"2001::1", true}, /* teredo */
    {"2001:0:ffff::1", true},
    {"2001:10::1", true}, /* ORCHID */
    {"2001:1f:ffff::1", true},
    {"2001:20::1", true},            /* ORCHIDv2 */
    {"2001:1ff:ffff:ffff::1", true}, /* end of 2001::/23 */
    {"2001:200::1", false},
    {"2001:db7:ffff::1", false},
    {"2001:db8::1", true}, /* documentation */
    {"2001:db8:ffff:ffff::1", true},
    {"2001:db9::1", false},
    {"2002:c000:0201::1", true},  /* 6to4 of 192.0.2.1 */
    {"2002:0a00:0001::1", true},  /* 6to4 of 10.0.0.1 */
    {"2002:0808:0808::1", false}, /* 6to4 of 8.8.8.8 */
    {"2003::1", false},
    {"2606:4700:4700::1111", false},
    {"2a00:1450:4001::1", false},
    {"fbff:ffff::1", false},
    {"fc00::1", true}, /* unique-local */
    {"fdff:ffff::1", true},
    {"fe00::1", false},
    {"fe80::1", true}, /* link-local */
    {"febf:ffff::1", true},
    {"fec0::1", true}, /* site-local */
    {"feff:ffff::1", true},
    {"ff00::1", true}, /* multicast */
    {"ff02::1", true},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
};

static void test_private(void)
{
  for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
    struct ms_addr a;
    bool parsed = ms_addr_parse(priv[i].ip, &a);
    MS_CHECK_ROW(parsed, "%s: parse", priv[i].ip);
    if (!parsed)
      continue;
    bool got = ms_addr_is_private(&a);
    MS_CHECK_ROW(got == priv[i].private_, "%s: private %d, want %d", priv[i].ip,
                 (int)got, (int)priv[i].private_);
  }
}

static void test_unknown_family(void)
{
  struct ms_addr a;
  char buf[MS_ADDR_STR_MAX];
  memset(&a, 0, sizeof(a));
  a.family = 5;
  CU_ASSERT(ms_addr_is_private(&a)); /* fail closed */
  ms_addr_format(&a, buf, sizeof(buf));
  CU_ASSERT_STRING_EQUAL(buf, "?");
}

static const struct {
  const char *in;
  int family;      /* 0: must not parse */
  const char *out; /* canonical text */
} parse_rows[] = {
    {"192.0.2.1", 4, "192.0.2.1"},
    {"0.0.0.0", 4, "0.0.0.0"},
    {"255.255.255.255", 4, "255.255.255.255"},
    {"2001:DB8:0:0:0:0:0:1", 6, "2001:db8::1"},
    {"::", 6, "::"},
    {"::ffff:192.0.2.1", 6, "::ffff:192.0.2.1"},
    {"fe80::1", 6, "fe80::1"},
    {"256.0.0.1", 0, NULL},
    {"1.2.3", 0, NULL},
    {"01.2.3.4", 0, NULL},
    {"1.2.3.4 ", 0, NULL},
    {"[::1]", 0, NULL},
    {"fe80::1%eth0", 0, NULL},
    {"example.com", 0, NULL},
    {"", 0, NULL},
    {"::1::2", 0, NULL},
};

static void test_parse_format(void)
{
  for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
    struct ms_addr a;
    char buf[MS_ADDR_STR_MAX];
    bool ok = ms_addr_parse(parse_rows[i].in, &a);
    MS_CHECK_ROW(ok == (parse_rows[i].family != 0), "\"%s\": parse %d",
                 parse_rows[i].in, (int)ok);
    if (!ok) {
      MS_CHECK_ROW(a.family == 0, "\"%s\": family left %d", parse_rows[i].in,
                   a.family);
      continue;
    }
    MS_CHECK_ROW(a.family == parse_rows[i].family, "\"%s\": family %d",
                 parse_rows[i].in, a.family);
    ms_addr_format(&a, buf, sizeof(buf));
    MS_CHECK_ROW(strcmp(buf, parse_rows[i].out) == 0, "\"%s\": format %s",
                 parse_rows[i].in, buf);
  }
  struct ms_addr a;
  CU_ASSERT_FALSE(ms_addr_parse(NULL, &a));
  /* IPv4 lives in the first 4 bytes, the rest is zero. */
  CU_ASSERT(ms_addr_parse("10.20.30.40", &a));
  CU_ASSERT(a.bytes[0] == 10 && a.bytes[3] == 40 && a.bytes[4] == 0 &&
            a.bytes[15] == 0);
}

CU_TestInfo ms_tests_addr[] = {
    {"private ranges", test_private},
    {"unknown family", test_unknown_family},
    {"parse and format", test_parse_format},
    CU_TEST_INFO_NULL,
};
