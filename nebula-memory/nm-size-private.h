/* nm-size-private.h: sizes as people write and read them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every size that enters the library as text, or leaves it in a message or a
 * key file, goes through these four functions, so "64MiB" means the same in
 * a key file, a builder error and a failure message.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Plain bytes or a number with B, KiB, MiB, GiB (powers of 1024) or KB, MB,
 * GB (powers of 1000); white space around the number and the unit is
 * allowed. FALSE for anything else, and for values that do not fit 64 bits. */
gboolean _nm_size_parse          (const char *text,
                                  guint64    *out);

/* The largest binary unit that divides @size exactly ("64MiB", "1000"):
 * what key files are written with, read back by _nm_size_parse(). */
char    *_nm_size_format_exact   (guint64     size);

/* g_format_size() with a plain space before the unit ("4.0 MB"): messages
 * are read in logs and terminals, and grepped. */
char    *_nm_size_format_human   (guint64     size);

/* "3.8 MB of 4.0 MB used (95.2 %)" */
char    *_nm_size_format_usage   (guint64     used,
                                  guint64     capacity);

G_END_DECLS
