/* bench-svg.c: a bar chart per scenario, as plain SVG text
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One panel per scenario, one bar per row: the median ratio against the
 * baseline on a logarithmic axis, drawn from the line at 1 (to the right:
 * faster; for memory, less memory), with a whisker from the min to the max
 * over the rounds. Logarithmic, because an arena's reset can be a thousand
 * times a free loop and 0.5 is as far from 1 as 2 is.
 */

#include <math.h>

#include "bench.h"

#define WIDTH     900
#define LABEL_W   290
#define BAR_W     520
#define ROW_H     18
#define TITLE_H   40
#define GAP       16

static void
add_text (GString    *out,
          const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    switch (*p)
      {
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '&': g_string_append (out, "&amp;"); break;
      default: g_string_append_c (out, *p);
      }
}

/* Ratio, min, max of a row, as "higher is better". */
static void
row_figures (const BenchResult *result,
             const BenchRow    *row,
             double            *median,
             double            *min,
             double            *max)
{
  if (result->scenario->pattern->memory)
    {
      double r = row->ratio[0] > 0 ? 1.0 / row->ratio[0] : 0;
      *median = *min = *max = r;
      return;
    }
  bench_row_summary (row, row->ratio, min, median, max);
}

static double
axis (double r,
      double lo,
      double hi)
{
  r = CLAMP (r, lo, hi);
  return LABEL_W + BAR_W * (log (r) - log (lo)) / (log (hi) - log (lo));
}

static double
panel (GString           *out,
       const BenchResult *result,
       double             y)
{
  const BenchScenario *s = result->scenario;
  guint n = result->rows->len;
  double lo = 0.5, hi = 2.0;
  const char *base = bench_candidates[result->baseline].label;

  for (guint i = 0; i < n; i++)
    {
      double med, min, max;
      row_figures (result, &g_array_index (result->rows, BenchRow, i), &med, &min, &max);
      if (min > 0)
        lo = MIN (lo, min);
      hi = MAX (hi, max);
    }
  lo /= 1.15;
  hi *= 1.6;  /* room for the value's text */

  g_string_append_printf (out, "<text x=\"8\" y=\"%.0f\" class=\"t\">", y + 16);
  add_text (out, s->title);
  g_string_append (out, "</text>\n");
  g_string_append_printf (out, "<text x=\"8\" y=\"%.0f\" class=\"s\">", y + 32);
  if (s->pattern->memory)
    g_string_append_printf (out, "%s resident memory / row's, log scale (right of the line: less memory)", base);
  else
    g_string_append_printf (out, "%s time / row's time, median of per-round ratios, whisker min-max, log scale (right of the line: faster)", base);
  g_string_append (out, "</text>\n");
  y += TITLE_H;

  for (guint i = 0; i < n; i++)
    {
      const BenchRow *row = &g_array_index (result->rows, BenchRow, i);
      const BenchCandidate *c = &bench_candidates[row->candidate];
      double med, min, max, x1, xm;
      double ym = y + i * ROW_H;

      row_figures (result, row, &med, &min, &max);
      x1 = axis (1.0, lo, hi);
      xm = axis (med > 0 ? med : lo, lo, hi);
      g_string_append_printf (out, "<text x=\"%d\" y=\"%.0f\" class=\"l\">", LABEL_W - 6, ym + 13);
      add_text (out, c->label);
      g_string_append (out, "</text>\n");
      g_string_append_printf (out, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" class=\"%s\"/>\n",
                              MIN (x1, xm), ym + 3, MAX (fabs (xm - x1), 1.0), ROW_H - 5,
                              i == 0 ? "b" : c->nebula ? "n" : "p");
      if (max > min)
        g_string_append_printf (out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" class=\"w\"/>\n",
                                axis (min, lo, hi), axis (max, lo, hi),
                                ym + ROW_H / 2.0 + 1, ym + ROW_H / 2.0 + 1);
      g_string_append_printf (out, "<text x=\"%.1f\" y=\"%.0f\" class=\"v\">%.2f</text>\n",
                              MAX (MAX (x1, xm), axis (max, lo, hi)) + 4, ym + 13, med);
    }
  g_string_append_printf (out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" class=\"one\"/>\n",
                          axis (1.0, lo, hi), axis (1.0, lo, hi), y, y + n * ROW_H);

  return y + n * ROW_H + GAP;
}

char *
bench_svg_write (GPtrArray *results)
{
  GString *body = g_string_new (NULL);
  GString *out = g_string_new (NULL);
  const char *const *machine = bench_machine_describe ();
  double y = 40;

  for (guint i = 0; i < results->len; i++)
    {
      const BenchResult *result = g_ptr_array_index (results, i);

      if (result->rows->len > 0)
        y = panel (body, result, y);
    }

  g_string_append_printf (out,
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
    "viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\">\n"
    "<style>\n"
    ".t{font-size:14px;font-weight:bold} .s{font-size:11px;fill:#555}\n"
    ".l{font-size:12px;text-anchor:end} .v{font-size:11px;fill:#333}\n"
    ".b{fill:#9e9e9e} .p{fill:#7aa6d6} .n{fill:#e8804c}\n"
    ".w{stroke:#222;stroke-width:1.2} .one{stroke:#222;stroke-dasharray:3 3}\n"
    "</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
    WIDTH, y, WIDTH, y);
  g_string_append (out, "<text x=\"8\" y=\"22\" class=\"t\">nm-bench: ");
  for (guint i = 0; machine[i] != NULL && i < 6; i += 2)
    {
      add_text (out, machine[i + 1]);
      g_string_append (out, i + 2 < 6 ? ", " : "");
    }
  g_string_append (out, "</text>\n");
  g_string_append (out, body->str);
  g_string_append (out, "</svg>\n");
  g_string_free (body, TRUE);
  return g_string_free (out, FALSE);
}
