/*
 * The field cursor, character-set checks and detail quoting shared by the
 * _mta-sts (sts_txt.c) and TLS-RPT (tlsrpt.c) record parsers. Everything
 * works on (ptr,len) slices: a TXT record may hold any byte, NUL included.
 */
#include "core/txtrec.h"

#include <stdarg.h>
#include <stdio.h>

/* The cursor never looks behind itself: c->rest always starts just after
 * a ';' (or after the version), and each turn of the loop consumes one
 * field and the ';' after it. */
bool ms_txtrec_next(struct ms_txtrec_cursor *c, struct ms_slice *field,
                    struct ms_txtrec_problems *p)
{
  for (;;) {
    struct ms_slice r = c->rest;
    /* The *WSP after a ';' belongs to the delimiter. */
    while (r.len && ms_ascii_is_wsp((unsigned char)r.ptr[0])) {
      r.ptr++;
      r.len--;
    }
    c->rest = r;
    if (r.len == 0)
      return false;
    if (r.ptr[0] == ';') {
      /* ";;": field-delim is one ';', and no field may be empty. */
      ms_txtrec_problem(p, "empty field (';;')");
      c->rest = ms_slice_make(r.ptr + 1, r.len - 1);
      continue;
    }
    /* The field runs to the next ';' or to the end of the record. */
    struct ms_slice head;
    bool found;
    c->rest = ms_slice_split(r, ';', &head, &found);
    size_t n = head.len;
    while (n && ms_ascii_is_wsp((unsigned char)head.ptr[n - 1]))
      n--;
    /* WSP before a ';' is part of field-delim; before the end it is not:
     * the last field may be followed by a delimiter, not by bare WSP. */
    if (!found && n < head.len)
      ms_txtrec_problem(p, "whitespace at the end of the record "
                           "without a ';'");
    *field = ms_slice_make(head.ptr, n);
    return true;
  }
}

/* RFC 8461 sts-ext-name and RFC 8460 tlsrpt-ext-name are the same rule:
 * 1 to 32 characters, the first a letter or digit. */
bool ms_txtrec_ext_name_ok(struct ms_slice name)
{
  if (name.len == 0 || name.len > 32 ||
      !ms_ascii_is_alnum((unsigned char)name.ptr[0]))
    return false;
  for (size_t i = 1; i < name.len; i++) {
    int ch = (unsigned char)name.ptr[i];
    if (!ms_ascii_is_alnum(ch) && ch != '_' && ch != '-' && ch != '.')
      return false;
  }
  return true;
}

/* %x21-3A / %x3C / %x3E-7E: printable ASCII without SP, ';' and '='. */
bool ms_txtrec_ext_value_ok(struct ms_slice value)
{
  if (value.len == 0)
    return false;
  for (size_t i = 0; i < value.len; i++) {
    int ch = (unsigned char)value.ptr[i];
    if (ch < 0x21 || ch > 0x7e || ch == ';' || ch == '=')
      return false;
  }
  return true;
}

size_t ms_txtrec_find_wsp(struct ms_slice s)
{
  for (size_t i = 0; i < s.len; i++) {
    if (ms_ascii_is_wsp((unsigned char)s.ptr[i]))
      return i;
  }
  return s.len;
}

/* Details end up in JSON records and terminals: escaping every byte that
 * is not printable ASCII keeps them readable and valid UTF-8. */
void ms_txtrec_quote(struct ms_slice s, size_t max, char *buf, size_t cap)
{
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;

  if (cap == 0)
    return;
  for (size_t i = 0; i < s.len; i++) {
    unsigned char ch = (unsigned char)s.ptr[i];
    /* Cut at max source bytes, or where the longest item (\xHH) plus
     * "..." and the NUL would no longer fit. */
    if (i >= max || o + 8 > cap) {
      if (o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
      }
      break;
    }
    if (ch >= 0x20 && ch <= 0x7e) {
      buf[o++] = (char)ch;
    } else {
      buf[o++] = '\\';
      buf[o++] = 'x';
      buf[o++] = hex[ch >> 4];
      buf[o++] = hex[ch & 15];
    }
  }
  buf[o] = '\0';
}

void ms_txtrec_problems_init(struct ms_txtrec_problems *p)
{
  p->text[0] = '\0';
  p->n = 0;
}

void ms_txtrec_problem(struct ms_txtrec_problems *p, const char *fmt, ...)
{
  size_t used = strlen(p->text);
  va_list ap;

  /* Count every problem, even when the text is already full. */
  p->n++;
  if (used + 3 >= sizeof(p->text))
    return; /* full: counted, not shown */
  if (used) {
    memcpy(p->text + used, "; ", 3);
    used += 2;
  }
  va_start(ap, fmt);
  vsnprintf(p->text + used, sizeof(p->text) - used, fmt, ap);
  va_end(ap);
}

void ms_txtrec_pick(const struct ms_slice *records, size_t n,
                    ms_txtrec_candidate_fn candidate, const char *needle,
                    struct ms_txtrec_pick *out)
{
  *out = (struct ms_txtrec_pick){.mention = n};
  for (size_t i = 0; i < n; i++) {
    bool sp = false;
    size_t len = candidate(records[i], &sp);
    if (len) {
      if (out->n_cand == 0) {
        out->first = i;
        out->prefix_len = len;
        out->space = sp;
      } else if (out->n_cand == 1) {
        out->second = i;
      }
      out->n_cand++;
    } else if (out->mention == n &&
               ms_slice_contains_nocase(records[i], needle)) {
      out->mention = i;
    }
  }
}
