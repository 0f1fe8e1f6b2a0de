/* nm-error.c: error domains of nebula-memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "nm-error.h"
#include "nm-error-private.h"
#include "nm-size-private.h"

/**
 * SECTION:nm-error
 * @Title: Errors
 * @Short_description: error domains for allocation and configuration
 *
 * Allocation failures are reported in %NM_ALLOCATOR_ERROR, configuration
 * problems in %NM_CONFIG_ERROR. Messages say what was asked, the state of
 * the allocator and what to do about it:
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * gpointer mem = nm_allocator_alloc (alloc, 512, 8, &error);
 *
 * if (mem == NULL)
 *   g_warning ("%s", error->message);
 *   // Bump allocator “request-arena” cannot allocate 512 bytes (alignment 8):
 *   // 3.8 MB of 4.0 MB used (95.2 %). Raise capacity, allow growth with
 *   // max-capacity, or reset between requests.
 * ]|
 *
 * Invalid frees have no caller to return an error to: they are reported once
 * with g_critical() in the log domain `Nebula`, counted in #NmAllocatorStats
 * and ignored. The chapter “Errors and misuse” lists every code with what it
 * means and what to do.
 */

/**
 * nm_allocator_error_quark:
 *
 * The error domain of allocation failures and misuse, %NM_ALLOCATOR_ERROR.
 *
 * Returns: the #GQuark of the domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (nm-allocator-error-quark, nm_allocator_error)

/**
 * nm_config_error_quark:
 *
 * The error domain of configuration problems, %NM_CONFIG_ERROR.
 *
 * Returns: the #GQuark of the domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (nm-config-error-quark, nm_config_error)

/* The composers of nm-error-private.h */

static void
append_request (GString             *text,
                const NmFailureInfo *info)
{
  if (info->what)
    g_string_append (text, info->what);
  else
    g_string_append_printf (text, "%" G_GSIZE_FORMAT " %s", info->size,
                            info->size == 1 ? "byte" : "bytes");
  g_string_append_printf (text, " (alignment %" G_GSIZE_FORMAT ")", info->alignment);
}

GError *
_nm_error_new_request (const char          *label,
                       const char          *name,
                       NmAllocatorError     code,
                       const NmFailureInfo *info)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *state = NULL;

  g_string_append_printf (text, "%s “%s” cannot allocate ", label, name);
  append_request (text, info);

  if (info->state)
    state = g_strdup (info->state);
  else if (info->capacity)
    state = _nm_size_format_usage (info->used, info->capacity);
  if (state)
    g_string_append_printf (text, ": %s", state);
  g_string_append_c (text, '.');

  if (info->suggestion)
    g_string_append_printf (text, " %s", info->suggestion);

  return g_error_new_literal (NM_ALLOCATOR_ERROR, code, text->str);
}

GError *
_nm_error_new_budget (const char            *label,
                      const char            *name,
                      const NmFailureInfo   *info,
                      const NmBudgetRefusal *refusal)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *request = _nm_size_format_human (refusal->request);
  g_autofree char *limit = _nm_size_format_human (refusal->limit);

  if (label != NULL)
    {
      g_string_append_printf (text, "%s “%s” cannot allocate ", label, name);
      append_request (text, info);
      g_string_append (text, ": memory budget");
    }
  else
    g_string_append (text, "Memory budget");

  if (refusal->per_request)
    {
      g_string_append_printf (text, " “%s” refuses single requests above %s "
                              "(%" G_GUINT64_FORMAT " bytes); this one needs %s "
                              "(%" G_GUINT64_FORMAT " bytes). Split the request, or "
                              "raise the budget's max-request.",
                              refusal->path, limit, refusal->limit,
                              request, refusal->request);
    }
  else
    {
      g_autofree char *usage = _nm_size_format_usage (refusal->used, refusal->limit);

      g_string_append_printf (text, " “%s” refused %s (%" G_GUINT64_FORMAT " bytes)%s: "
                              "%s, limit %" G_GUINT64_FORMAT " bytes. ",
                              refusal->path, request, refusal->request,
                              label != NULL ? " of backing memory" : "",
                              usage, refusal->limit);
      g_string_append (text, label != NULL
                       ? "Raise the budget's limit, or reset or trim the allocators "
                         "charged to it."
                       : "Raise the budget's limit, or give back memory charged to it.");
    }

  return g_error_new_literal (NM_ALLOCATOR_ERROR, NM_ALLOCATOR_ERROR_BUDGET_EXCEEDED,
                              text->str);
}

GError *
_nm_error_new_misuse (const char       *label,
                      const char       *name,
                      NmAllocatorError  code,
                      const char       *predicate)
{
  return g_error_new (NM_ALLOCATOR_ERROR, code, "%s “%s” %s", label, name, predicate);
}

char *
_nm_error_invalid_free_text (const char    *label,
                             const char    *name,
                             gconstpointer  mem,
                             const char    *what)
{
  return g_strdup_printf ("%s “%s”: %s (address %p); the free was ignored.",
                          label, name, what, mem);
}

char *
_nm_error_corruption_text (const char    *label,
                           const char    *name,
                           gconstpointer  mem,
                           const char    *what)
{
  return g_strdup_printf ("%s “%s” found corrupted memory at %p: %s.",
                          label, name, mem, what);
}

char *
_nm_error_leak_text (const char *label,
                     const char *name,
                     const char *budget_path,
                     guint64     live_count,
                     guint64     live_bytes,
                     const char *advice)
{
  g_autofree char *bytes = _nm_size_format_human (live_bytes);
  g_autofree char *budget = budget_path != NULL
                            ? g_strdup_printf (" (memory budget “%s”)", budget_path) : NULL;

  return g_strdup_printf ("%s “%s”%s is disposed with %" G_GUINT64_FORMAT " live %s (%s)%s%s",
                          label, name, budget ? budget : "", live_count,
                          live_count == 1 ? "allocation" : "allocations", bytes,
                          advice ? ": " : ".", advice ? advice : "");
}

void
_nm_config_error_set (GError        **error,
                      NmConfigError   code,
                      const char     *format,
                      ...)
{
  g_autofree char *message = NULL;
  g_autofree char *valid = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  valid = g_utf8_make_valid (message, -1);
  g_set_error_literal (error, NM_CONFIG_ERROR, code, valid);
}
