/*
 * RFC 8461 section 3.2 policy body parser. A cursor walks the body line by
 * line (LF or CRLF; a bare CR is reported), reads "key: value" fields the
 * way a lenient sender would and reports every deviation from the ABNF as a
 * finding, following data/verdict.md "The policy body". mx patterns are
 * checked by core/mx_match.c. Tests: tests/unit/test_policy.c and
 * tests/unit/test_corpus_policy.c.
 */
#include "core/policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/mx_match.h"

#define VALUE_SHOWN   48  /* bytes of a value quoted in a detail */
#define SUBJECT_SHOWN 120 /* bytes of an mx value or key used as subject */
#define ESC_CAP       (SUBJECT_SHOWN * 4 + 8)   /* escaped text buffers */
#define NOTE_CAP      (MS_FINDING_DET_MAX - 24) /* room for "; +N more" */
#define KEY_MAX       32 /* (ALPHA / DIGIT) *31(ALPHA / DIGIT / _ - .) */
#define SHORT_MAX_AGE 86400u

/* The keys the RFC defines; everything else is an extension field. */
enum key {
  K_VERSION,
  K_MODE,
  K_MAX_AGE,
  K_MX,
  K_COUNT
};
#define K_UNKNOWN K_COUNT

static const char *const key_names[K_COUNT] = {"version", "mode", "max_age",
                                               "mx"};

/* Line-level problems of one code: how many, and the first few as text
 * ("line 5: comment line; line 7: no colon"). */
struct notes {
  char text[NOTE_CAP];
  size_t len;
  size_t count;
};

/* One key reported per key: where it was first seen, its value there, and
 * how many lines carried it. */
struct keyrec {
  struct ms_slice key;
  struct ms_slice value;
  size_t line;
  size_t count;
};

struct keylist {
  struct keyrec rec[MS_POLICY_REPORT_MAX];
  size_t n;
  size_t more; /* distinct keys beyond the cap */
};

/* A repeated single-valued field (version, mode, max_age). */
struct dup {
  struct ms_slice first;
  size_t first_line;
  size_t repeats;
  bool differ;
  struct ms_slice other; /* the first differing value, else a repeat */
  size_t other_line;
};

/* mx values already reported, so that each value gets one finding. */
struct vallist {
  struct ms_slice val[MS_POLICY_REPORT_MAX];
  size_t n;
  size_t more; /* lines beyond the cap (not deduplicated) */
};

/* Everything one parse needs; lives on the caller's stack (about 4 KiB),
 * so the parser allocates nothing and is reentrant. */
struct pstate {
  struct ms_policy *out;                    /* the result, reset at the start */
  struct ms_findings *f;                    /* where findings are appended */
  struct notes enc, syn, spc, blank, trail; /* the line-level codes */
  size_t pend_line[MS_POLICY_LINES_SHOWN];  /* empty lines not yet placed */
  size_t n_pend;   /* how many empty lines are waiting */
  bool field_seen; /* a key: value line was read */
  struct keylist unknown, badcase;
  bool seen[K_COUNT];      /* first occurrence of each RFC key read */
  struct dup dup[K_COUNT]; /* repeats (mx repeats are allowed) */
  struct vallist mx_bad, mx_dot;
};

/*
 * Known limits, on purpose or not done yet:
 * - A line that is not a field (comment, no colon, bad key) only gives
 *   POLICY_SYNTAX, even when indented: SPACING is about fields a strict
 *   parser loses, and such a line is lost by every parser.
 * - An unknown key with an empty value is POLICY_SYNTAX only (it is not an
 *   extension field by the grammar), not also POLICY_FIELD_UNKNOWN.
 * - An invalid mx value ending in '.' gives POLICY_MX_INVALID only; the
 *   TRAILING_DOT finding is for names that are valid apart from the dot.
 * - Placeholder names (mail.yourdomain.com) are valid Domains and are not
 *   flagged here; the MX coverage check is what exposes them.
 */

const char *ms_mode_name(enum ms_mode m)
{
  switch (m) {
    case MS_MODE_ENFORCE:
      return "enforce";
    case MS_MODE_TESTING:
      return "testing";
    case MS_MODE_NONE:
      return "none";
    case MS_MODE_UNSET:
    case MS_MODE_INVALID:
      break;
  }
  return NULL;
}

/* Copies at most max bytes of s into dst (cap bytes) for a subject or a
 * detail: printable ASCII as is, a backslash doubled, any other byte as
 * \xHH (so a truncated detail never holds half a UTF-8 sequence), and
 * "..." when cut. Returns dst. */
static const char *esc(struct ms_slice s, size_t max, char *dst, size_t cap)
{
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.ptr[i];
    size_t need = (c >= 0x20 && c < 0x7f) ? (c == '\\' ? 2 : 1) : 4;
    if (i >= max || o + need + 4 > cap) {
      memcpy(dst + o, "...", 3);
      o += 3;
      break;
    }
    if (need == 4) {
      dst[o++] = '\\';
      dst[o++] = 'x';
      dst[o++] = hex[c >> 4];
      dst[o++] = hex[c & 15];
    } else {
      if (c == '\\')
        dst[o++] = '\\';
      dst[o++] = (char)c;
    }
  }
  dst[o] = '\0';
  return dst;
}

/* Records one line-level problem; only the first few are named. */
static void note_add(struct notes *n, size_t line, const char *what)
{
  if (n->count++ >= MS_POLICY_LINES_SHOWN)
    return;
  size_t room = sizeof(n->text) - n->len;
  int w = snprintf(n->text + n->len, room, "%sline %zu: %s", n->len ? "; " : "",
                   line, what);
  if (w > 0)
    n->len += (size_t)w < room ? (size_t)w : room - 1;
}

/* One finding per line-level code, the detail listing the first lines. */
static void note_emit(struct ms_findings *f, enum ms_finding code,
                      const struct notes *n)
{
  if (n->count == 0)
    return;
  if (n->count > MS_POLICY_LINES_SHOWN)
    ms_findings_add(f, code, MS_SEV_DEFAULT, NULL, "%s; +%zu more", n->text,
                    n->count - MS_POLICY_LINES_SHOWN);
  else
    ms_findings_add(f, code, MS_SEV_DEFAULT, NULL, "%s", n->text);
}

/* Length (1 to 4) of the well-formed UTF-8 sequence at p, n bytes left,
 * or 0 when ill-formed (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
  size_t len;
  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    len = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    len = 3;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    len = 4;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  }
  if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
      (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
    return 0;
  return len;
}

/* POLICY_ENCODING: control bytes (TAB is WSP, CR/LF never get here) and
 * ill-formed UTF-8; the first problem of a line is named. */
static void check_encoding(struct pstate *st, struct ms_slice l, size_t line)
{
  const unsigned char *p = (const unsigned char *)l.ptr;
  char what[40];
  for (size_t i = 0; i < l.len;) {
    if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
      snprintf(what, sizeof(what), "control character 0x%02x", p[i]);
      note_add(&st->enc, line, what);
      return;
    }
    size_t n = utf8_len(p + i, l.len - i);
    if (n == 0) {
      note_add(&st->enc, line, "invalid UTF-8");
      return;
    }
    i += n;
  }
}

/* sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" /
 * "."); the four RFC keys fit it too. */
static bool key_valid(struct ms_slice k)
{
  if (k.len == 0 || k.len > KEY_MAX ||
      !ms_ascii_is_alnum((unsigned char)k.ptr[0]))
    return false;
  for (size_t i = 1; i < k.len; i++) {
    int c = (unsigned char)k.ptr[i];
    if (!ms_ascii_is_alnum(c) && c != '_' && c != '-' && c != '.')
      return false;
  }
  return true;
}

/* Which RFC key k is; *exact is false when only the letter case differs
 * (the ABNF's %s"..." keys are case-sensitive). */
static enum key key_lookup(struct ms_slice k, bool *exact)
{
  for (int i = 0; i < K_COUNT; i++) {
    struct ms_slice name = ms_slice_cstr(key_names[i]);
    if (ms_slice_eq(k, name)) {
      *exact = true;
      return (enum key)i;
    }
    if (ms_slice_eq_nocase(k, name)) {
      *exact = false;
      return (enum key)i;
    }
  }
  *exact = true;
  return K_UNKNOWN;
}

/* Counts a key for a one-per-key finding (keyed by the bytes written). */
static void keylist_add(struct keylist *kl, struct ms_slice key,
                        struct ms_slice value, size_t line)
{
  for (size_t i = 0; i < kl->n; i++) {
    if (ms_slice_eq(kl->rec[i].key, key)) {
      kl->rec[i].count++;
      return;
    }
  }
  if (kl->n == MS_POLICY_REPORT_MAX) {
    kl->more++;
    return;
  }
  struct keyrec r = {key, value, line, 1};
  kl->rec[kl->n++] = r;
}

/* Reports an mx value once per distinct value (subject: the value as
 * written, escaped), at most MS_POLICY_REPORT_MAX values per code. */
static void mx_report(struct pstate *st, struct vallist *vl,
                      enum ms_finding code, struct ms_slice value, size_t line,
                      const char *why)
{
  char subj[ESC_CAP];
  for (size_t i = 0; i < vl->n; i++) {
    if (ms_slice_eq(vl->val[i], value))
      return;
  }
  if (vl->n == MS_POLICY_REPORT_MAX) {
    vl->more++;
    return;
  }
  vl->val[vl->n++] = value;
  ms_findings_add(st->f, code, MS_SEV_DEFAULT,
                  esc(value, SUBJECT_SHOWN, subj, sizeof(subj)), "line %zu: %s",
                  line, why);
}

/* First occurrence of a single-valued field: true. A repeat: false, and
 * the repetition is remembered for POLICY_FIELD_DUPLICATE (the first value
 * counts, as the catalogue says). */
static bool first_value(struct pstate *st, enum key k, struct ms_slice value,
                        size_t line)
{
  struct dup *d = &st->dup[k];
  if (!st->seen[k]) {
    st->seen[k] = true;
    d->first = value;
    d->first_line = line;
    return true;
  }
  d->repeats++;
  bool same = ms_slice_eq(value, d->first);
  if (d->repeats == 1 || (!same && !d->differ)) {
    d->other = value;
    d->other_line = line;
  }
  if (!same)
    d->differ = true;
  return false;
}

static void field_version(struct pstate *st, struct ms_slice v, size_t line)
{
  char e[ESC_CAP];
  if (!first_value(st, K_VERSION, v, line))
    return;
  st->out->has_version = true;
  st->out->version = v;
  /* sts-policy-version-value = %s"STSv1" (case-sensitive). */
  st->out->version_ok = ms_slice_eq_cstr(v, "STSv1");
  if (!st->out->version_ok)
    ms_findings_add(st->f, MS_F_POLICY_VERSION_INVALID, MS_SEV_DEFAULT, NULL,
                    "version '%s' on line %zu",
                    esc(v, VALUE_SHOWN, e, sizeof(e)), line);
}

static void field_mode(struct pstate *st, struct ms_slice v, size_t line)
{
  char e[ESC_CAP];
  if (!first_value(st, K_MODE, v, line))
    return;
  st->out->mode_raw = v;
  /* The values are exact (case-sensitive) words: "enforced", "Enforce"
   * or "enforce # comment" are not a mode. */
  if (ms_slice_eq_cstr(v, "enforce"))
    st->out->mode = MS_MODE_ENFORCE;
  else if (ms_slice_eq_cstr(v, "testing"))
    st->out->mode = MS_MODE_TESTING;
  else if (ms_slice_eq_cstr(v, "none"))
    st->out->mode = MS_MODE_NONE;
  else
    st->out->mode = MS_MODE_INVALID;
  if (st->out->mode == MS_MODE_INVALID)
    ms_findings_add(st->f, MS_F_POLICY_MODE_INVALID, MS_SEV_DEFAULT, NULL,
                    "mode '%s' on line %zu", esc(v, VALUE_SHOWN, e, sizeof(e)),
                    line);
}

static void field_max_age(struct pstate *st, struct ms_slice v, size_t line)
{
  char e[ESC_CAP];
  uint64_t n = 0;
  if (!first_value(st, K_MAX_AGE, v, line))
    return;
  st->out->has_max_age = true;
  /* sts-policy-max-age-value = 1*10(DIGIT), at most 31557600 (one year).
   * Leading zeros are digits like any other. */
  bool digits = ms_slice_parse_u64(v, 10, &n);
  st->out->max_age = digits ? n : 0;
  st->out->max_age_ok = digits && n <= MS_POLICY_MAX_AGE_MAX;
  if (!st->out->max_age_ok) {
    ms_findings_add(st->f, MS_F_POLICY_MAX_AGE_INVALID, MS_SEV_DEFAULT, NULL,
                    "max_age '%s' on line %zu%s",
                    esc(v, VALUE_SHOWN, e, sizeof(e)), line,
                    digits ? ": above 31557600" : "");
  } else if (n < SHORT_MAX_AGE) {
    /* Zero makes several senders reject the policy: an error then. */
    ms_findings_add(st->f, MS_F_POLICY_MAX_AGE_SHORT,
                    n == 0 ? MS_SEV_ERROR : MS_SEV_DEFAULT, NULL,
                    "max_age %" PRIu64 " seconds on line %zu", n, line);
  }
}

static void field_mx(struct pstate *st, struct ms_slice v, size_t line)
{
  struct ms_policy *out = st->out;
  if (out->n_mx == MS_POLICY_MX_MAX) {
    note_add(&st->syn, line, "more than 256 mx fields, ignored");
    return;
  }
  struct ms_policy_mx *m = &out->mx[out->n_mx++];
  m->pattern = v;
  m->wildcard = v.len >= 2 && v.ptr[0] == '*' && v.ptr[1] == '.';
  /* One validity check for parser and matcher (mx_match.c). */
  const char *why = ms_mx_pattern_problem(v);
  m->valid = why == NULL;
  if (why)
    mx_report(st, &st->mx_bad, MS_F_POLICY_MX_INVALID, v, line, why);
  else if (v.ptr[v.len - 1] == '.')
    mx_report(st, &st->mx_dot, MS_F_POLICY_MX_TRAILING_DOT, v, line,
              "ends in '.', not a Domain in the grammar (matched with the "
              "dot ignored)");
}

/* Empty lines seen so far are between fields: a field follows them. */
static void flush_pending(struct pstate *st, struct notes *to)
{
  for (size_t i = 0; i < st->n_pend; i++)
    note_add(to, i < MS_POLICY_LINES_SHOWN ? st->pend_line[i] : 0,
             "empty line");
  st->n_pend = 0;
}

/* Classifies one line (terminator removed) and reads it when it is a
 * field. Lines that are not fields (comments, no colon, bad key) only
 * give POLICY_SYNTAX; SPACING is for fields a strict parser loses. */
static void do_line(struct pstate *st, struct ms_slice raw, size_t line)
{
  char what[NOTE_CAP], e[ESC_CAP];
  check_encoding(st, raw, line);
  struct ms_slice t = ms_slice_trim_wsp(raw);
  if (t.len == 0) {
    /* Whitespace-only counts as empty; where it lies (between fields or
     * after the last one) is known only later. */
    if (st->n_pend < MS_POLICY_LINES_SHOWN)
      st->pend_line[st->n_pend] = line;
    st->n_pend++;
    return;
  }
  bool indented = ms_ascii_is_wsp((unsigned char)raw.ptr[0]);
  if (t.ptr[0] == '#' || t.ptr[0] == ';') {
    note_add(&st->syn, line, indented ? "indented comment" : "comment line");
    return;
  }
  struct ms_slice key_raw;
  bool colon;
  struct ms_slice rest = ms_slice_split(t, ':', &key_raw, &colon);
  if (!colon) {
    note_add(&st->syn, line,
             t.ptr[0] == '-' ? "list item, no colon" : "no colon");
    return;
  }
  struct ms_slice key = ms_slice_trim_wsp(key_raw);
  bool space_colon = key.len != key_raw.len;
  if (key.len == 0) {
    note_add(&st->syn, line, "empty key");
    return;
  }
  if (!key_valid(key)) {
    snprintf(what, sizeof(what), "invalid key '%s'",
             esc(key, 24, e, sizeof(e)));
    note_add(&st->syn, line, what);
    return;
  }
  struct ms_slice value = ms_slice_trim_wsp(rest);
  bool exact;
  enum key k = key_lookup(key, &exact);
  if (k == K_UNKNOWN && value.len == 0) {
    /* sts-policy-ext-value needs at least one vchar. */
    snprintf(what, sizeof(what), "empty value for key '%s'",
             esc(key, 24, e, sizeof(e)));
    note_add(&st->syn, line, what);
    return;
  }

  /* From here on the line is a field. */
  if (indented || space_colon)
    note_add(&st->spc, line,
             indented && space_colon
                 ? "indented, whitespace before ':'"
                 : (indented ? "indented" : "whitespace before ':'"));
  flush_pending(st, &st->blank);
  st->field_seen = true;
  if (k == K_UNKNOWN) {
    keylist_add(&st->unknown, key, value, line);
    return;
  }
  if (!exact)
    keylist_add(&st->badcase, key, value, line);
  switch (k) {
    case K_VERSION:
      field_version(st, value, line);
      break;
    case K_MODE:
      field_mode(st, value, line);
      break;
    case K_MAX_AGE:
      field_max_age(st, value, line);
      break;
    case K_MX:
      field_mx(st, value, line);
      break;
    case K_COUNT: /* K_UNKNOWN, handled above */
      break;
  }
}

/* FIELD_UNKNOWN and FIELD_CASE, one per key, subject: the key. */
static void emit_keys(struct pstate *st)
{
  char k[ESC_CAP], v[ESC_CAP], times[40];
  for (size_t i = 0; i < st->unknown.n; i++) {
    const struct keyrec *r = &st->unknown.rec[i];
    times[0] = '\0';
    if (r->count > 1)
      snprintf(times, sizeof(times), " (%zu lines)", r->count);
    esc(r->key, VALUE_SHOWN, k, sizeof(k));
    ms_findings_add(st->f, MS_F_POLICY_FIELD_UNKNOWN, MS_SEV_DEFAULT, k,
                    "key '%s' on line %zu%s, value '%s'", k, r->line, times,
                    esc(r->value, VALUE_SHOWN, v, sizeof(v)));
  }
  if (st->unknown.more)
    ms_findings_add(st->f, MS_F_POLICY_FIELD_UNKNOWN, MS_SEV_DEFAULT, NULL,
                    "%zu more unknown keys not listed", st->unknown.more);
  for (size_t i = 0; i < st->badcase.n; i++) {
    const struct keyrec *r = &st->badcase.rec[i];
    bool exact;
    enum key kk = key_lookup(r->key, &exact);
    times[0] = '\0';
    if (r->count > 1)
      snprintf(times, sizeof(times), " (%zu lines)", r->count);
    esc(r->key, VALUE_SHOWN, k, sizeof(k));
    ms_findings_add(st->f, MS_F_POLICY_FIELD_CASE, MS_SEV_DEFAULT, k,
                    "key '%s' on line %zu%s should be '%s'", k, r->line, times,
                    kk < K_COUNT ? key_names[kk] : "?");
  }
  if (st->badcase.more)
    ms_findings_add(st->f, MS_F_POLICY_FIELD_CASE, MS_SEV_DEFAULT, NULL,
                    "%zu more mis-cased keys not listed", st->badcase.more);
}

/* FIELD_DUPLICATE: warning with the same value, error with another. */
static void emit_dups(struct pstate *st)
{
  char a[ESC_CAP], b[ESC_CAP];
  for (int k = 0; k < K_MX; k++) {
    const struct dup *d = &st->dup[k];
    if (d->repeats == 0)
      continue;
    esc(d->first, VALUE_SHOWN, a, sizeof(a));
    esc(d->other, VALUE_SHOWN, b, sizeof(b));
    ms_findings_add(st->f, MS_F_POLICY_FIELD_DUPLICATE,
                    d->differ ? MS_SEV_ERROR : MS_SEV_DEFAULT, key_names[k],
                    "'%s' appears %zu times: '%s' (line %zu), '%s' (line %zu)"
                    "%s",
                    key_names[k], d->repeats + 1, a, d->first_line, b,
                    d->other_line, d->differ ? "; the first value counts" : "");
  }
}

void ms_policy_parse(const char *buf, size_t len, struct ms_policy *out,
                     struct ms_findings *f)
{
  struct pstate st;
  memset(out, 0, sizeof(*out));
  memset(&st, 0, sizeof(st));
  st.out = out;
  st.f = f;
  /* The caller reports POLICY_TOO_LARGE and hands over the first 64 KiB;
   * clamp anyway so the cap holds whatever it passes. */
  if (len > MS_POLICY_MAX_BYTES)
    len = MS_POLICY_MAX_BYTES;
  if (!buf)
    len = 0;

  size_t pos = 0, line = 0;
  /* A UTF-8 byte order mark is outside the grammar; lenient senders strip
   * it, so the parser reads on after it. */
  if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
    note_add(&st.enc, 1, "byte order mark");
    pos = 3;
  }
  while (pos < len) {
    size_t start = pos;
    while (pos < len && buf[pos] != '\n' && buf[pos] != '\r')
      pos++;
    struct ms_slice raw = ms_slice_make(buf + start, pos - start);
    line++;
    /* sts-policy-term = LF / CRLF (erratum 6253), independently per line;
     * the last line needs none. A bare CR still ends the line, as old
     * Mac text does for lenient parsers, and is reported. */
    if (pos < len && buf[pos] == '\r') {
      if (pos + 1 < len && buf[pos + 1] == '\n') {
        pos += 2;
      } else {
        pos++;
        note_add(&st.syn, line, "bare CR line break");
      }
    } else if (pos < len) {
      pos++;
    }
    do_line(&st, raw, line);
  }
  /* Empty lines left over lie after the last field. A body without any
   * field gets only the missing-field findings. */
  if (st.field_seen)
    flush_pending(&st, &st.trail);

  note_emit(f, MS_F_POLICY_ENCODING, &st.enc);
  note_emit(f, MS_F_POLICY_SYNTAX, &st.syn);
  note_emit(f, MS_F_POLICY_SPACING, &st.spc);
  note_emit(f, MS_F_POLICY_BLANK_LINE, &st.blank);
  note_emit(f, MS_F_POLICY_TRAILING_BLANK_LINE, &st.trail);
  emit_keys(&st);
  emit_dups(&st);
  if (st.mx_bad.more)
    ms_findings_add(f, MS_F_POLICY_MX_INVALID, MS_SEV_DEFAULT, NULL,
                    "%zu more mx lines with invalid values not listed",
                    st.mx_bad.more);
  if (st.mx_dot.more)
    ms_findings_add(f, MS_F_POLICY_MX_TRAILING_DOT, MS_SEV_DEFAULT, NULL,
                    "%zu more mx lines ending in '.' not listed",
                    st.mx_dot.more);

  if (!out->has_version)
    ms_findings_add(f, MS_F_POLICY_VERSION_MISSING, MS_SEV_DEFAULT, NULL, NULL);
  if (out->mode == MS_MODE_UNSET)
    ms_findings_add(f, MS_F_POLICY_MODE_MISSING, MS_SEV_DEFAULT, NULL, NULL);
  if (!out->has_max_age)
    ms_findings_add(f, MS_F_POLICY_MAX_AGE_MISSING, MS_SEV_DEFAULT, NULL, NULL);
  /* The ABNF comment: mx is required unless the mode is none. */
  bool needs_mx = out->mode == MS_MODE_ENFORCE || out->mode == MS_MODE_TESTING;
  if (needs_mx && out->n_mx == 0)
    ms_findings_add(f, MS_F_POLICY_MX_MISSING, MS_SEV_DEFAULT, NULL, NULL);
  if (out->mode == MS_MODE_TESTING)
    ms_findings_add(f, MS_F_POLICY_MODE_TESTING, MS_SEV_DEFAULT, NULL, NULL);
  if (out->mode == MS_MODE_NONE)
    ms_findings_add(f, MS_F_POLICY_MODE_NONE, MS_SEV_DEFAULT, NULL, NULL);

  /* data/verdict.md: valid when version, mode and max_age are valid and,
   * unless the mode is none, at least one mx pattern is valid. */
  bool any_mx = false;
  for (size_t i = 0; i < out->n_mx; i++)
    any_mx = any_mx || out->mx[i].valid;
  out->usable = out->version_ok && out->max_age_ok &&
                (out->mode == MS_MODE_NONE || (needs_mx && any_mx));
}
