#!/bin/sh
# check-potfiles.sh SOURCE_ROOT
#
# Fails unless every source file with translatable strings is listed in
# po/POTFILES.in, every listed file exists, xgettext reads them without
# warnings, and every language in po/LINGUAS is a valid catalog that
# translates every server (mail) string.
set -u

root=$1
po=$root/po
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
keywords="--keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2"
status=0

cd "$root" || exit 1
grep -v '^#' po/POTFILES.in | sed '/^[[:space:]]*$/d' | sort > "$tmp/listed"

while read -r file; do
  if [ ! -f "$file" ]; then
    echo "po/POTFILES.in lists $file, which does not exist"
    status=1
  fi
done < "$tmp/listed"

# xgettext decides what is translatable; files it cannot read are skipped.
find server common desktop data -type f \
     \( -name '*.c' -o -name '*.h' -o -name '*.txt' -o -name '*.html' -o -name '*.ui' \) \
     2>/dev/null | sort > "$tmp/candidates"
while read -r file; do
  rm -f "$tmp/one.pot"
  xgettext --from-code=UTF-8 $keywords -o "$tmp/one.pot" "$file" 2>/dev/null
  if [ -s "$tmp/one.pot" ] && ! grep -qxF "$file" "$tmp/listed"; then
    echo "$file has translatable strings but is not in po/POTFILES.in"
    status=1
  fi
done < "$tmp/candidates"

if ! xgettext --from-code=UTF-8 $keywords --add-comments -f "$tmp/listed" \
       -o "$tmp/all.pot" 2> "$tmp/xgettext.log"; then
  cat "$tmp/xgettext.log"
  exit 1
fi
# Template markup read as C: an unbalanced quote would swallow text.
if grep -v 'extension .* is unknown; will try C' "$tmp/xgettext.log" | grep -q .; then
  grep -v 'extension .* is unknown; will try C' "$tmp/xgettext.log"
  echo "xgettext warnings: in templates, write ’ instead of ' outside {{_(\"…\")}}"
  status=1
fi

# Mail goes out in the recipient's language, so every language in LINGUAS
# translates every server string; elsewhere (the desktop app) a missing
# translation falls back to English.
grep '^server/' "$tmp/listed" > "$tmp/server"
xgettext --from-code=UTF-8 $keywords -f "$tmp/server" -o "$tmp/server.pot" 2> /dev/null
for lang in $(grep -v '^#' po/LINGUAS); do
  if ! msgfmt --check -o /dev/null "po/$lang.po"; then
    status=1
  fi
  # (Its "not used" warnings are the desktop strings: not shown.)
  if ! msgcmp "po/$lang.po" "$tmp/server.pot" > "$tmp/msgcmp.log" 2>&1; then
    grep -v 'this message is not used' "$tmp/msgcmp.log"
    echo "po/$lang.po does not translate every server string: run ninja everato-update-po"
    status=1
  fi
done

exit $status
