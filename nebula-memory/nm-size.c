/* nm-size.c: parsing and formatting sizes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "nm-size-private.h"

static const struct {
  const char *unit;
  guint64     factor;
} size_units[] = {
  { "B", 1 },
  { "KiB", G_GUINT64_CONSTANT (1) << 10 },
  { "MiB", G_GUINT64_CONSTANT (1) << 20 },
  { "GiB", G_GUINT64_CONSTANT (1) << 30 },
  { "KB", 1000 },
  { "MB", 1000 * 1000 },
  { "GB", 1000 * 1000 * 1000 },
};

gboolean
_nm_size_parse (const char *text,
                guint64    *out)
{
  const char *p = text;
  guint64 value = 0;
  guint64 factor = 1;
  gboolean have_digit = FALSE;

  while (g_ascii_isspace (*p))
    p++;

  for (; g_ascii_isdigit (*p); p++)
    {
      if (!g_uint64_checked_mul (&value, value, 10) ||
          !g_uint64_checked_add (&value, value, (guint64) (*p - '0')))
        return FALSE;
      have_digit = TRUE;
    }

  if (!have_digit)
    return FALSE;

  while (g_ascii_isspace (*p))
    p++;

  if (*p != '\0')
    {
      gsize unit_len = strlen (p);
      gboolean found = FALSE;

      while (unit_len > 0 && g_ascii_isspace (p[unit_len - 1]))
        unit_len--;

      for (guint i = 0; i < G_N_ELEMENTS (size_units); i++)
        {
          if (strlen (size_units[i].unit) == unit_len &&
              strncmp (p, size_units[i].unit, unit_len) == 0)
            {
              factor = size_units[i].factor;
              found = TRUE;
              break;
            }
        }

      if (!found)
        return FALSE;
    }

  if (!g_uint64_checked_mul (&value, value, factor))
    return FALSE;

  *out = value;

  return TRUE;
}

char *
_nm_size_format_exact (guint64 size)
{
  static const char * const units[] = { "GiB", "MiB", "KiB" };

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      guint64 factor = G_GUINT64_CONSTANT (1) << (10 * (3 - i));

      if (size != 0 && size % factor == 0)
        return g_strdup_printf ("%" G_GUINT64_FORMAT "%s", size / factor, units[i]);
    }

  return g_strdup_printf ("%" G_GUINT64_FORMAT, size);
}

char *
_nm_size_format_human (guint64 size)
{
  char *text = g_format_size (size);
  char *nbsp;

  /* U+00A0 is two bytes in UTF-8; the plain space plus a shift replaces it. */
  while ((nbsp = strstr (text, "\xc2\xa0")) != NULL)
    {
      *nbsp = ' ';
      memmove (nbsp + 1, nbsp + 2, strlen (nbsp + 2) + 1);
    }

  return text;
}

char *
_nm_size_format_usage (guint64 used,
                       guint64 capacity)
{
  g_autofree char *used_str = _nm_size_format_human (used);
  g_autofree char *capacity_str = _nm_size_format_human (capacity);
  double percent = capacity ? 100.0 * (double) used / (double) capacity : 0.0;

  return g_strdup_printf ("%s of %s used (%.1f %%)", used_str, capacity_str, percent);
}
