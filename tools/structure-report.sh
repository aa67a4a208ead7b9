#!/bin/sh
# tools/structure-report.sh [SRCDIR] - print the structure figures of issue
# #12 (docs/ARCHITECTURE.md, "Structure, measured"). Informational only:
# not run by `make check`, always exits 0. Run it on any checkout, e.g. an
# old commit through `git worktree add /tmp/old <rev>`.
#
# It prints:
#  1. files per folder under module/ (.c and .h; generated code is in the
#     build tree and not counted);
#  2. calls running back up: call sites (comment lines left out), in the
#     other .c files of module/bridge (connector/ and store/ included), of
#     the functions defined in module/bridge/br_bridge.c (the dispatcher
#     above the handlers), per function and in all;
#  3. where SQL lives: per file of module/ outside the stores
#     (module/store and module/bridge/store), the sqlite3_* calls and the
#     SQL string literals (a string that starts with an SQL keyword in
#     capitals, as tools/check-sql.sh counts them), and the statements
#     prepared beside the cache (sqlite3_prepare* outside st_db.c).
set -u

src=${1:-${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$src" || exit 0

sqlpat='"(SELECT|INSERT|UPDATE|DELETE|REPLACE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|CREATE|DROP|ALTER|WITH|PRAGMA) '

echo "structure of $(pwd) at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "1. files per folder under module/ (.c and .h)"
find module \( -name '*.c' -o -name '*.h' \) | sed 's|/[^/]*$||' | sort | uniq -c |
    awk '{ printf "   %4d  %s\n", $1, $2; t += $1 } END { printf "   %4d  in all\n", t }'

echo
echo "2. calls running back up into module/bridge/br_bridge.c"
if [ -f module/bridge/br_bridge.c ]; then
    # functions br_bridge.c defines for others: a line at column 0 that
    # names a function, is not static and is not a declaration
    funcs=$(awk '
        /^[A-Za-z_]/ && !/^(static|typedef|struct|enum|union|extern)[ \t]/ && /\(/ && !/;[ \t]*$/ {
            s = $0; sub(/\(.*/, "", s); n = split(s, w, /[ \t*]+/); print w[n]
        }' module/bridge/br_bridge.c | sort -u)
    others=$(find module/bridge -name '*.c' ! -path module/bridge/br_bridge.c | sort)
    total=0
    for f in $funcs; do
        n=0
        for o in $others; do
            c=$(grep -vE '^[ \t]*(\*|/\*|//)' "$o" | grep -oE "(^|[^A-Za-z0-9_])$f[ \t]*\(" | wc -l)
            n=$((n + c))
        done
        [ "$n" -gt 0 ] && printf "   %4d  %s\n" "$n" "$f"
        total=$((total + n))
    done
    printf "   %4d  in all (from %d other .c files of module/bridge)\n" "$total" "$(echo "$others" | wc -w)"
else
    echo "   (no module/bridge/br_bridge.c)"
fi

echo
echo "3. SQL outside the stores (module/store, module/bridge/store)"
echo "   sqlite3_*  SQL strings  file"
tc=0 ts=0 tf=0
for f in $(find module \( -name '*.c' -o -name '*.h' \) ! -path 'module/store/*' \
               ! -path 'module/bridge/store/*' | sort); do
    c=$(grep -oE 'sqlite3_[a-z0-9_]+' "$f" | wc -l)
    s=$(grep -cE "$sqlpat" "$f")
    if [ "$c" -gt 0 ] || [ "$s" -gt 0 ]; then
        printf "   %9d  %11d  %s\n" "$c" "$s" "$f"
        tc=$((tc + c)) ts=$((ts + s)) tf=$((tf + 1))
    fi
done
printf "   %9d  %11d  in all, in %d files\n" "$tc" "$ts" "$tf"
bc=0 bs=0 bf=0
for f in $(find module/bridge \( -name '*.c' -o -name '*.h' \) ! -path 'module/bridge/store/*' | sort); do
    c=$(grep -oE 'sqlite3_[a-z0-9_]+' "$f" | wc -l)
    s=$(grep -cE "$sqlpat" "$f")
    [ "$c" -gt 0 ] || [ "$s" -gt 0 ] && bf=$((bf + 1))
    bc=$((bc + c)) bs=$((bs + s))
done
printf "   %9d  %11d  of them in module/bridge, in %d files\n" "$bc" "$bs" "$bf"
p=$(grep -lE 'sqlite3_prepare' $(find module \( -name '*.c' -o -name '*.h' \) ! -name st_db.c) 2>/dev/null | wc -l)
pc=$(cat $(find module \( -name '*.c' -o -name '*.h' \) ! -name st_db.c) | grep -oE 'sqlite3_prepare[a-z0-9_]*' | wc -l)
printf "   statements prepared beside the cache (sqlite3_prepare* outside st_db.c): %d in %d files\n" "$pc" "$p"
exit 0
