/* eva-i18n.c: translations by the recipient's locale, not the process's
 *
 * The server renders each mail in its recipient's language, in threads that
 * serve many languages at once, on systems that often have no locales
 * generated at all. So setlocale()/uselocale() and libintl are out: the
 * build compiles each po/LL.po into LL.mo, embeds them as a GResource
 * (/org/everato/server/locale/<ll>[_<RR>].mo), and this file reads them.
 *
 * A .mo file (GNU gettext's binary catalog) is a header of 32-bit words in
 * the writer's byte order — magic 0x950412de, revision, string count N,
 * offsets of the original and translation tables — then two tables of N
 * (length, offset) pairs pointing at NUL-terminated strings. Each catalog is
 * parsed once into a hash table whose keys and values point into the
 * resource's bytes, and kept for the life of the process; only catalogs that
 * exist are cached, so arbitrary locale strings cannot grow the cache.
 * Plural forms are not needed by the mail templates and not supported.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#define G_LOG_DOMAIN "eva-i18n"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "mail/eva-i18n.h"

#define MO_MAGIC        0x950412deU
#define MO_HEADER_SIZE  28
#define LOCALE_MAX      64
#define SUBTAG_MAX      8
#define RESOURCE_PREFIX "/org/everato/server/locale/"

typedef struct
{
  GBytes     *bytes;
  GHashTable *strings;     /* msgid → msgstr, both inside bytes */
  const char *tag;         /* interned BCP 47 tag, e.g. "de-AT" */
} Catalog;

G_LOCK_DEFINE_STATIC (catalogs);
static GHashTable *catalogs;  /* interned file name ("de_AT") → Catalog */

/* ------------------------------------------------------------------ */
/* .mo parsing                                                        */
/* ------------------------------------------------------------------ */

static guint32
read_u32 (const guint8 *p,
          gboolean      swap)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return swap ? GUINT32_SWAP_LE_BE (v) : v;
}

/* Entry @i of the (length, offset) table at @table, or FALSE if it points
 * outside the file or its string is not NUL-terminated. */
static gboolean
mo_string (const guint8  *data,
           gsize          size,
           guint32        table,
           guint32        i,
           gboolean       swap,
           const char   **out)
{
  guint64 entry = (guint64) table + (guint64) i * 8;
  guint32 len, offset;

  if (entry + 8 > size)
    return FALSE;
  len = read_u32 (data + entry, swap);
  offset = read_u32 (data + entry + 4, swap);
  if ((guint64) offset + len >= size || data[(gsize) offset + len] != '\0')
    return FALSE;

  *out = (const char *) data + offset;
  return TRUE;
}

static Catalog *
catalog_parse (GBytes     *bytes,
               const char *name)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autoptr(GHashTable) strings = NULL;
  g_autofree char *tag = NULL;
  Catalog *catalog;
  guint32 n, originals, translations;
  gboolean swap;

  if (data == NULL || size < MO_HEADER_SIZE)
    return NULL;
  swap = read_u32 (data, FALSE) != MO_MAGIC;
  if (swap && read_u32 (data, TRUE) != MO_MAGIC)
    return NULL;
  if ((read_u32 (data + 4, swap) >> 16) > 1)
    return NULL;

  n = read_u32 (data + 8, swap);
  originals = read_u32 (data + 12, swap);
  translations = read_u32 (data + 16, swap);

  strings = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint32 i = 0; i < n; i++)
    {
      const char *msgid, *msgstr;

      if (!mo_string (data, size, originals, i, swap, &msgid) ||
          !mo_string (data, size, translations, i, swap, &msgstr))
        return NULL;
      /* The header (msgid "") and untranslated entries are skipped; for
       * plural entries only the singular (up to the first NUL) is used. */
      if (*msgid == '\0' || *msgstr == '\0')
        continue;
      g_hash_table_insert (strings, (gpointer) msgid, (gpointer) msgstr);
    }

  tag = g_strdup (name);
  g_strdelimit (tag, "_", '-');

  catalog = g_new0 (Catalog, 1);
  catalog->bytes = g_bytes_ref (bytes);
  catalog->strings = g_steal_pointer (&strings);
  catalog->tag = g_intern_string (tag);
  return catalog;
}

/* The catalog compiled in as @name.mo, or NULL. */
static Catalog *
catalog_get (const char *name)
{
  Catalog *catalog;

  G_LOCK (catalogs);

  if (catalogs == NULL)
    catalogs = g_hash_table_new (g_str_hash, g_str_equal);

  catalog = g_hash_table_lookup (catalogs, name);
  if (catalog == NULL)
    {
      g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, ".mo", NULL);
      g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                                         NULL);

      if (bytes != NULL)
        {
          catalog = catalog_parse (bytes, name);
          if (catalog == NULL)
            g_warning ("the compiled-in catalog %s is damaged", path);
          else
            g_hash_table_insert (catalogs, (gpointer) g_intern_string (name), catalog);
        }
    }

  G_UNLOCK (catalogs);
  return catalog;
}

/* ------------------------------------------------------------------ */
/* Locale names                                                       */
/* ------------------------------------------------------------------ */

/* Splits "de-at", "de_AT.UTF-8@euro", "zh-Hant-TW" into a lower-case
 * language and an upper-case region ("" when there is none). FALSE if
 * @locale does not look like a language tag at all. */
static gboolean
parse_locale (const char *locale,
              char        language[SUBTAG_MAX + 1],
              char        region[SUBTAG_MAX + 1])
{
  char copy[LOCALE_MAX + 1];
  char *saveptr = NULL;
  char *part;
  guint index = 0;

  language[0] = region[0] = '\0';
  if (locale == NULL || strlen (locale) > LOCALE_MAX)
    return FALSE;

  g_strlcpy (copy, locale, sizeof copy);
  copy[strcspn (copy, ".@")] = '\0';

  for (part = strtok_r (copy, "-_", &saveptr); part != NULL;
       part = strtok_r (NULL, "-_", &saveptr), index++)
    {
      gsize len = strlen (part);
      gboolean alpha = TRUE, digit = TRUE;

      if (len > SUBTAG_MAX)
        return FALSE;
      for (gsize i = 0; i < len; i++)
        {
          if (!g_ascii_isalnum (part[i]))
            return FALSE;
          alpha = alpha && g_ascii_isalpha (part[i]);
          digit = digit && g_ascii_isdigit (part[i]);
        }

      if (index == 0)
        {
          if (!alpha || len < 2 || len > 3)
            return FALSE;
          for (gsize i = 0; i <= len; i++)
            language[i] = g_ascii_tolower (part[i]);
        }
      else if (region[0] == '\0' && ((alpha && len == 2) || (digit && len == 3)))
        {
          for (gsize i = 0; i <= len; i++)
            region[i] = g_ascii_toupper (part[i]);
        }
      /* Scripts, variants and extensions are ignored. */
    }

  return language[0] != '\0';
}

static Catalog *
catalog_for_locale (const char *locale)
{
  char language[SUBTAG_MAX + 1];
  char region[SUBTAG_MAX + 1];
  Catalog *catalog = NULL;

  if (!parse_locale (locale, language, region))
    return NULL;

  if (region[0] != '\0')
    {
      char name[2 * SUBTAG_MAX + 2];

      g_snprintf (name, sizeof name, "%s_%s", language, region);
      catalog = catalog_get (name);
    }
  if (catalog == NULL)
    catalog = catalog_get (language);
  return catalog;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

const char *
eva_i18n_gettext (const char *locale,
                  const char *msgid)
{
  Catalog *catalog;
  const char *msgstr;

  g_return_val_if_fail (msgid != NULL, NULL);

  catalog = catalog_for_locale (locale);
  if (catalog == NULL)
    return msgid;
  msgstr = g_hash_table_lookup (catalog->strings, msgid);
  return msgstr != NULL ? msgstr : msgid;
}

const char *
eva_i18n_language (const char *locale)
{
  Catalog *catalog = catalog_for_locale (locale);

  return catalog != NULL ? catalog->tag : "en";
}
