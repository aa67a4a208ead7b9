#!/bin/sh
# tools/check-deps.sh [SRCDIR] - fail when a layer includes a header of a
# layer above it (docs/ARCHITECTURE.md, "Dependency rule"). Run by
# `make check` (tools/local.mk); prints every violation as file:line.
#
# The layers, and what each may include besides itself and system headers:
#
#   common    module/common         nothing of the project
#   crypto    module/signal/crypto  common (and its own sc_*.proto)
#   proto     module/signal/proto   nothing (generated protobuf-c code)
#   net       module/signal/net     common; of proto only the websocket
#                                   framing (WebSocketResources), never a
#                                   Signal message type
#   store     module/store          common
#   client    module/signal/client  common crypto net proto store
#   matrix    module/matrix         common mxm
#   bridge    module/bridge         common crypto store brstore matrix mxm;
#             (but connector/,      of connector nothing: the core talks to
#             store/)
#                                   the Signal side only through br_net.h
#                                   (its own header), so no Signal client
#                                   or protobuf type reaches it
#   brstore   module/bridge/store   common store: the bridge's typed store
#                                   (br_store.h) knows no handler; only
#                                   the core includes it, never the
#                                   connector
#   connector module/bridge/        common crypto net proto client store
#             connector             mxm; of bridge only br_net.h and
#                                   br_config.h (the ops table, the events
#                                   and the config it reads)
#   plugin    module/plugin.c       every module layer, mxm: it wires the
#                                   core to the connector (br_net_sink)
#   mxm       include/mxm           nothing (the plugin ABI)
#   host      shim/host             mxm
#   shimcommon shim/common          nothing of the project (what mxhs and
#                                   mxm-appservice share: the YAML reader)
#   hs        shim/homeserver       mxm host shimcommon common
#   as        shim/appservice       mxm host shimcommon common (like mxhs)
#   example   examples/*            mxm
#
# So dependencies only go down: plugin -> bridge core / connector -> signal (client -> net, crypto)
# -> common; nothing in module/ includes shim/; libmxmhost sees only the
# ABI. tests/ and bench/ may include anything and are not checked.
#
# shim/homeserver -> module/common: mxhs uses the ut_ utilities (time,
# randomness, wiping, constant-time compare, buffers). The rule is changed
# for it rather than the folder moved: module/common is the leaf of the
# graph (it includes nothing of the project, which this script enforces),
# so letting mxhs use it creates no cycle, and libmxmhost (shim/host,
# installed for other homeservers) still may not. Moving it to a top-level
# common/ is a mechanical rename of the folder and of its -I flags, left for
# when no branch is editing those local.mk lines.
#
# How headers are found: the -I flags in the local.mk files put each
# layer's folder on the include path, so sources name headers by their base
# name ("ut.h", "sig_client.h"). The script maps every header of the tree
# to its layer by base name, and fails if two headers share one (the
# per-subsystem prefixes keep them unique). Generated headers (*.pb-c.h)
# belong to the folder of their .proto.
set -eu

src=${1:-${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$src"

layer_of_path() {
    case $1 in
    module/common/*) echo common ;;
    module/signal/crypto/*) echo crypto ;;
    module/signal/proto/*) echo proto ;;
    module/signal/net/*) echo net ;;
    module/signal/client/*) echo client ;;
    module/store/*) echo store ;;
    module/matrix/*) echo matrix ;;
    module/bridge/connector/*) echo connector ;;
    module/bridge/store/*) echo brstore ;;
    module/bridge/*) echo bridge ;;
    module/*.c | module/*.h) echo plugin ;;
    include/mxm/*) echo mxm ;;
    shim/host/*) echo host ;;
    shim/common/*) echo shimcommon ;;
    shim/homeserver/*) echo hs ;;
    shim/appservice/*) echo as ;;
    examples/*) echo example ;;
    *) echo "" ;;
    esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# header base name -> layer (headers, and the headers .proto files generate)
for f in $(find module include shim examples \( -name '*.h' -o -name '*.proto' \) | sort); do
    l=$(layer_of_path "$f")
    [ -n "$l" ] || continue
    b=$(basename "$f")
    case $b in *.proto) b=${b%.proto}.pb-c.h ;; esac
    echo "$b $l $f"
done > "$tmp/headers"
dups=$(awk '{print $1}' "$tmp/headers" | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "check-deps: these header names are not unique, so includes are ambiguous:"
    for d in $dups; do grep "^$d " "$tmp/headers" | awk '{print "  " $3}'; done
    exit 1
fi

# every include of every checked source: file line layer header
for f in $(find module include shim examples \( -name '*.c' -o -name '*.h' \) | sort); do
    l=$(layer_of_path "$f")
    [ -n "$l" ] || continue
    awk -v f="$f" -v l="$l" '
        /^[ \t]*#[ \t]*include[ \t]*[<"]/ {
            s = $0
            sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
            q = substr(s, 1, 1)
            s = substr(s, 2)
            sub(/[">].*$/, "", s)
            if (q == "<" && s !~ /^mxm\//) next   # system and library headers
            print f, FNR, l, s
        }' "$f"
done > "$tmp/includes"

awk '
    FNR == NR { layer[$1] = $2; next }
    {
        file = $1; line = $2; from = $3; hdr = $4
        n = split(hdr, parts, "/"); base = parts[n]
        to = layer[base]
        if (to == "" && hdr ~ /^mxm\//) to = "mxm"
        if (to == "" || to == from) next        # config.h, own headers
        ok = 0
        if (from == "crypto") ok = (to == "common")
        else if (from == "net") ok = (to == "common" || base == "WebSocketResources.pb-c.h")
        else if (from == "store") ok = (to == "common")
        else if (from == "client") ok = (to ~ /^(common|crypto|net|proto|store)$/)
        else if (from == "matrix") ok = (to ~ /^(common|mxm)$/)
        else if (from == "bridge") ok = (to ~ /^(common|crypto|store|brstore|matrix|mxm)$/)
        else if (from == "brstore") ok = (to ~ /^(common|store)$/)
        else if (from == "connector") ok = (to ~ /^(common|crypto|net|proto|client|store|mxm)$/ ||
                                           base == "br_net.h" || base == "br_config.h")
        else if (from == "plugin") ok = (to ~ /^(common|crypto|net|proto|client|store|matrix|bridge|brstore|connector|mxm)$/)
        else if (from == "host") ok = (to == "mxm")
        else if (from == "hs") ok = (to ~ /^(mxm|host|shimcommon|common)$/)
        else if (from == "as") ok = (to ~ /^(mxm|host|shimcommon|common)$/)
        else if (from == "example") ok = (to == "mxm")
        if (!ok) {
            printf "%s:%s: %s includes \"%s\" of %s, which it may not (tools/check-deps.sh)\n", file, line, from, hdr, to
            bad++
        }
    }
    END { exit bad ? 1 : 0 }
' "$tmp/headers" "$tmp/includes" > "$tmp/out" || {
    cat "$tmp/out"
    echo "check-deps: $(wc -l < "$tmp/out") include(s) against the dependency rule (docs/ARCHITECTURE.md)"
    exit 1
}
echo "check-deps: $(wc -l < "$tmp/includes") project includes, all downward"
