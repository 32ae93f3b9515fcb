/*
 * The _mta-sts TXT RRset, RFC 8461 section 3.1: prefix filtering ("records
 * that do not begin with v=STSv1; are discarded"), the exactly-one rule and
 * the full sts-text-record grammar. Rules: data/verdict.md, "The _mta-sts
 * record". Field cursor and quoting: core/txtrec.c.
 */
#include "core/sts_txt.h"

#include "core/txtrec.h"

/* Room for a quoted excerpt: each source byte may become \xHH.
 *
 * Flow: every record is classified (candidate, mentions v=STS, unrelated);
 * the count of candidates picks MISSING / MALFORMED / MULTIPLE; only a
 * single candidate is parsed field by field. Grammar problems of that one
 * record are collected and reported as ONE STS_RECORD_SYNTAX finding whose
 * detail lists them, so a badly broken record does not flood the list;
 * id and extension findings are separate codes and stay separate. */
#define QBUF (MS_TXTREC_QUOTE_MAX * 4 + 8)

/* Length of "v=STSv1" *WSP ";" at the start of r, or 0 when r is not a
 * candidate. *space tells whether WSP came before the ';'. */
static size_t sts_candidate(struct ms_slice r, bool *space)
{
  size_t i = 7;

  *space = false;
  if (!ms_slice_starts_with(r, "v=STSv1"))
    return 0;
  while (i < r.len && ms_ascii_is_wsp((unsigned char)r.ptr[i]))
    i++;
  if (i == r.len || r.ptr[i] != ';')
    return 0;
  *space = i > 7;
  return i + 1;
}

/* Why a record that mentions v=STS is not a candidate, in a few words.
 * The most specific explanation wins: the exact prefix with a bad tail,
 * then another version, then the letter case, then what precedes it. */
static const char *sts_malformed_why(struct ms_slice r)
{
  if (ms_slice_starts_with(r, "v=STSv1")) {
    size_t i = 7;
    while (i < r.len && ms_ascii_is_wsp((unsigned char)r.ptr[i]))
      i++;
    if (i == r.len)
      return "v=STSv1 without ';' and without any field";
    if (i > 7)
      return "no ';' after v=STSv1";
    if (ms_ascii_is_alnum((unsigned char)r.ptr[i]))
      return "the version is not exactly STSv1";
    return "v=STSv1 is not followed by ';'";
  }
  if (ms_slice_starts_with(r, "v=STS"))
    return "the version is not STSv1";
  if (r.len >= 7 &&
      ms_slice_eq_nocase(ms_slice_make(r.ptr, 7), ms_slice_cstr("v=STSv1")))
    return "wrong letter case (the prefix v=STSv1 is case-sensitive)";
  if (r.len && ms_ascii_is_wsp((unsigned char)r.ptr[0]))
    return "leading whitespace";
  if (r.len && (r.ptr[0] == '"' || r.ptr[0] == '\''))
    return "literal quote characters in the record";
  return "v=STS is not at the start of the record";
}

/* sts-id-value = 1*32(ALPHA / DIGIT). */
static bool sts_id_ok(struct ms_slice v)
{
  if (v.len == 0 || v.len > MS_STS_ID_MAX)
    return false;
  for (size_t i = 0; i < v.len; i++) {
    if (!ms_ascii_is_alnum((unsigned char)v.ptr[i]))
      return false;
  }
  return true;
}

/* Says what is wrong with an id value (sts_id_ok(v) is false). */
static void sts_id_finding(struct ms_slice v, struct ms_findings *f)
{
  char q[QBUF];

  ms_txtrec_quote(v, MS_TXTREC_QUOTE_MAX, q, sizeof(q));
  if (v.len == 0)
    ms_findings_add(f, MS_F_STS_ID_INVALID, MS_SEV_DEFAULT, NULL, "empty id");
  else if (v.len > MS_STS_ID_MAX)
    ms_findings_add(f, MS_F_STS_ID_INVALID, MS_SEV_DEFAULT, NULL,
                    "id is %zu characters long (at most %d): \"%s\"", v.len,
                    MS_STS_ID_MAX, q);
  else
    ms_findings_add(f, MS_F_STS_ID_INVALID, MS_SEV_DEFAULT, NULL,
                    "id has characters other than letters and digits: "
                    "\"%s\"",
                    q);
}

/* A hint for an extension name that shows a confusion. */
static const char *sts_ext_hint(struct ms_slice name)
{
  static const char *const policy_keys[] = {"version", "mode", "mx", "max_age"};
  if (ms_slice_eq_nocase(name, ms_slice_cstr("id")) ||
      ms_slice_eq_nocase(name, ms_slice_cstr("v")))
    return " (field names are case-sensitive)";
  for (size_t i = 0; i < sizeof(policy_keys) / sizeof(policy_keys[0]); i++) {
    if (ms_slice_eq_nocase(name, ms_slice_cstr(policy_keys[i])))
      return " (a policy-file field in the TXT record?)";
  }
  return "";
}

/* One field of the candidate record (not empty). Grammar problems go to
 * *pr, id and extension findings straight to *f. */
static void sts_field(struct ms_slice fld, bool *have_id,
                      struct ms_sts_txt *out, struct ms_txtrec_problems *pr,
                      struct ms_findings *f)
{
  char q[QBUF], q2[QBUF];
  struct ms_slice name, value;
  bool eq;

  ms_txtrec_quote(fld, MS_TXTREC_QUOTE_MAX, q, sizeof(q));
  value = ms_slice_split(fld, '=', &name, &eq);
  /* sts-field is always name "=" value: a bare word is no field. */
  if (!eq) {
    ms_txtrec_problem(pr, "field without '=': \"%s\"", q);
    return;
  }
  /* Tolerant reading, strict reporting: "id = x" is read as the id. */
  struct ms_slice tname = ms_slice_trim_wsp(name);
  if (tname.len < name.len)
    ms_txtrec_problem(pr, "whitespace before '=' in \"%s\"", q);
  if (value.len && ms_ascii_is_wsp((unsigned char)value.ptr[0])) {
    ms_txtrec_problem(pr, "whitespace after '=' in \"%s\"", q);
    value = ms_slice_trim_wsp(value);
  }
  name = tname;
  /* WSP inside the value: usually "id=1 ext=2" with the ';' forgotten. */
  size_t w = ms_txtrec_find_wsp(value);
  if (w < value.len) {
    struct ms_slice tail =
        ms_slice_trim_wsp(ms_slice_make(value.ptr + w, value.len - w));
    struct ms_slice th;
    bool teq;
    (void)ms_slice_split(tail, '=', &th, &teq);
    ms_txtrec_quote(tail, MS_TXTREC_QUOTE_MAX, q2, sizeof(q2));
    if (teq && ms_txtrec_ext_name_ok(th))
      ms_txtrec_problem(pr, "';' missing before \"%s\"", q2);
    else
      ms_txtrec_problem(pr, "whitespace inside the field \"%s\"", q);
    value.len = w;
  }
  /* %s"id=" is case-sensitive; "ID=" falls through to the extensions. */
  if (ms_slice_eq_cstr(name, "id")) {
    /* A repeated id: senders disagree on which one counts, so it is a
     * grammar error; the first value is kept for the record's evidence. */
    if (*have_id) {
      ms_txtrec_problem(pr, "repeated id field (\"%s\"; the first counts)", q);
      return;
    }
    *have_id = true;
    out->id = value;
    out->id_valid = sts_id_ok(value);
    if (!out->id_valid)
      sts_id_finding(value, f);
    return;
  }
  /* The version is only valid first; a second v= is a repeat. */
  if (ms_slice_eq_cstr(name, "v")) {
    ms_txtrec_problem(pr, "repeated v field (\"%s\")", q);
    return;
  }
  ms_txtrec_quote(name, MS_TXTREC_QUOTE_MAX, q2, sizeof(q2));
  /* sts-extension = sts-ext-name "=" sts-ext-value. */
  if (!ms_txtrec_ext_name_ok(name)) {
    ms_txtrec_problem(pr, "invalid field name \"%s\"", q2);
    return;
  }
  if (!ms_txtrec_ext_value_ok(value)) {
    ms_txtrec_problem(pr, "invalid value for the extension %s: \"%s\"", q2, q);
    return;
  }
  /* RFC 8461 section 3.1: extension fields are allowed; senders ignore. */
  ms_findings_add(f, MS_F_STS_EXTENSION_FIELD, MS_SEV_DEFAULT, NULL, "%s%s", q,
                  sts_ext_hint(name));
}

/* Parses the only candidate with the full grammar. */
static void sts_parse(struct ms_slice r, size_t pfx, bool space,
                      struct ms_sts_txt *out, struct ms_findings *f)
{
  struct ms_txtrec_problems pr;
  struct ms_txtrec_cursor cur = {ms_slice_make(r.ptr + pfx, r.len - pfx)};
  struct ms_slice fld;
  bool have_id = false;

  ms_txtrec_problems_init(&pr);
  /* Grammatical (sts-field-delim = *WSP ";" *WSP), but erratum 6285 and
   * prefix-matching senders: see the catalogue. */
  if (space)
    ms_findings_add(f, MS_F_STS_RECORD_PREFIX_SPACE, MS_SEV_DEFAULT, NULL,
                    "whitespace between v=STSv1 and the first ';'");
  while (ms_txtrec_next(&cur, &fld, &pr))
    sts_field(fld, &have_id, out, &pr, f);
  /* "v=STSv1;" alone breaks 1*(sts-field-delim sts-field), but the thing
   * to fix is the missing id, so that is all it reports. */
  if (!have_id)
    ms_findings_add(f, MS_F_STS_ID_MISSING, MS_SEV_DEFAULT, NULL,
                    "no id= field");
  if (pr.n)
    ms_findings_add(f, MS_F_STS_RECORD_SYNTAX, MS_SEV_DEFAULT, NULL, "%s",
                    pr.text);
  /* Section 3.1: a syntactically invalid record means no policy. */
  out->state =
      (pr.n || !have_id || !out->id_valid) ? MS_STS_INVALID : MS_STS_OK;
  out->usable = out->state == MS_STS_OK;
}

void ms_sts_txt_eval(const struct ms_slice *records, size_t n,
                     struct ms_sts_txt *out, struct ms_findings *f)
{
  char q[QBUF];

  /* Outputs start as "no record"; id is an empty slice, never NULL. */
  out->state = MS_STS_MISSING;
  out->index = 0;
  out->id = ms_slice_make("", 0);
  out->id_valid = false;
  out->usable = false;

  /* One pass: the first two candidates (for the MULTIPLE detail) and
   * the first record that mentions v=STS in any case (for MALFORMED). */
  struct ms_txtrec_pick pk;
  ms_txtrec_pick(records, n, sts_candidate, "v=STS", &pk);
  size_t ncand = pk.n_cand, first = pk.first, second = pk.second;
  size_t pfx = pk.prefix_len, mention = pk.mention;
  bool space = pk.space;

  if (ncand == 0 && mention == n) {
    ms_findings_add(f, MS_F_STS_RECORD_MISSING, MS_SEV_DEFAULT, NULL, NULL);
    return;
  }
  /* Section 3.1: non-candidates are discarded, so an intended record
   * with a broken prefix is as good as none; say why it was dropped. */
  if (ncand == 0) {
    out->state = MS_STS_MALFORMED;
    out->index = mention;
    ms_txtrec_quote(records[mention], MS_TXTREC_QUOTE_MAX, q, sizeof(q));
    ms_findings_add(f, MS_F_STS_RECORD_MALFORMED_PREFIX, MS_SEV_DEFAULT, NULL,
                    "%s: \"%s\"", sts_malformed_why(records[mention]), q);
    return;
  }
  out->index = first;
  if (ncand > 1) {
    /* Section 3.1: the number of records left must be exactly one. */
    out->state = MS_STS_MULTIPLE;
    ms_findings_add(f, MS_F_STS_RECORD_MULTIPLE, MS_SEV_DEFAULT, NULL,
                    "%zu records begin with v=STSv1; (records %zu and %zu"
                    "%s)",
                    ncand, first + 1, second + 1, ncand > 2 ? ", ..." : "");
    return;
  }
  sts_parse(records[first], pfx, space, out, f);
}
