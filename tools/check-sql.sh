#!/bin/sh
# tools/check-sql.sh [SRCDIR] - fail when a file of the bridge outside its
# typed store (module/bridge/store/, br_store.h) calls SQLite or holds SQL
# (issue #12: every bridge row is reached through named functions in one
# place; docs/ARCHITECTURE.md, "Where SQL lives"). Run by `make check`
# (tools/local.mk); prints every hit as file:line.
#
# What counts: any `sqlite3_` identifier or <sqlite3.h> include, and any
# string literal that starts with an SQL keyword in capitals.
set -eu

src=${1:-${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$src"

# To move: files whose SQL has not moved into the store yet, by base name
# (so that moving a file to another folder does not break the check).
# Remove a name once its file is clean; the check says when one is.
allowed="
"

pattern='sqlite3_|<sqlite3\.h>|"(SELECT|INSERT|UPDATE|DELETE|REPLACE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|CREATE|DROP|ALTER|WITH|PRAGMA) '
bad=0
checked=0
for f in $(find module/bridge \( -name '*.c' -o -name '*.h' \) ! -path 'module/bridge/store/*' | sort); do
    checked=$((checked + 1))
    hits=$(grep -nE "$pattern" "$f" || true)
    base=$(basename "$f")
    case $allowed in
    *"
$base
"*)
        [ -n "$hits" ] || echo "check-sql: $f holds no SQL any more: remove it from the list in tools/check-sql.sh"
        continue ;;
    esac
    if [ -n "$hits" ]; then
        echo "$hits" | sed "s|^|$f:|; s|\$| (SQL belongs in module/bridge/store, tools/check-sql.sh)|"
        bad=$((bad + 1))
    fi
done
if [ "$bad" -gt 0 ]; then
    echo "check-sql: $bad file(s) of module/bridge hold SQL outside module/bridge/store"
    exit 1
fi
echo "check-sql: $checked bridge files outside the store hold no SQL (to move: $(echo $allowed | wc -w))"
