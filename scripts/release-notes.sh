#!/usr/bin/env bash
# release-notes.sh VERSION [CHANGELOG]: prints the section of CHANGELOG.md
# (default) for VERSION ("1.2.0", "v1.2.0", or "Unreleased"), without its
# heading, as goreleaser's --release-notes file. Fails when the section is
# missing or empty, so that a release never goes out without notes.
set -euo pipefail
version="${1:?usage: release-notes.sh VERSION [CHANGELOG]}"
file="${2:-CHANGELOG.md}"
version="${version#v}"
notes="$(awk -v v="$version" '
  /^## \[/ {
    if (found) exit
    h = $0; sub(/^## \[/, "", h); sub(/\].*$/, "", h)
    if (h == v) { found = 1; next }
  }
  found { print }
' "$file")"
if [ -z "$(printf '%s' "$notes" | tr -d '[:space:]')" ]; then
  echo "release-notes.sh: no section \"## [$version]\" with content in $file" >&2
  exit 1
fi
printf '%s\n' "$notes" | sed -e '/./,$!d'
