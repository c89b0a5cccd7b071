#!/usr/bin/env bash
# Install the two real QEMU builds used by realqemu/ (run as root, idempotent).
#
#   * QEMU 7.2 from Debian bookworm (system install: /usr/bin/qemu-system-x86_64) + socat
#   * QEMU 10.0 from bookworm-backports, unpacked (not installed) into .qemu/10.0
#
# The Debian mirror is never written here: it is derived from the machine's own apt
# sources (one-line sources.list and deb822 *.sources files).
#
# Usage: scripts/install-qemu.sh                 install (as root)
#        scripts/install-qemu.sh --print-mirror [FILE...]
#                                                print the URI serving bookworm main, taken
#                                                from FILE... (default: the apt sources)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.qemu/10.0"
SUITE=bookworm
BPO=bookworm-backports
SRC_FILE=/etc/apt/sources.list.d/migcheck-${BPO}.sources
PIN_FILE=/etc/apt/preferences.d/migcheck-${BPO}
BPO_PKGS=(qemu-system-x86 qemu-system-common qemu-system-data)

log() { printf 'install-qemu: %s\n' "$*" >&2; }

# Print "URI<TAB>SIGNED_BY" of the first entry that serves SUITE with component main.
# Handles one-line entries ("deb [opts] URI suite comp...") and deb822 stanzas.
derive_mirror() {
    local files=("$@")
    if [ ${#files[@]} -eq 0 ]; then
        files=()
        [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
        local f
        for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            [ "$f" = "$SRC_FILE" ] && continue
            files+=("$f")
        done
    fi
    local f
    for f in "${files[@]}"; do
        case "$f" in
        *.sources) awk -v suite="$SUITE" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") \
                    && (" " comps " ") ~ / main / && enabled != "no" && uris != "") {
                    split(uris, u, " "); print u[1] "\t" signed; found = 1; exit
                }
                types = ""; uris = ""; suites = ""; comps = ""; signed = ""; enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "components") comps = val
                else if (key == "signed-by") signed = val
                else if (key == "enabled") enabled = tolower(val)
            }
            END { if (!found) flush() }' "$f" ;;
        *) awk -v suite="$SUITE" '
            /^[ \t]*#/ { next }
            $1 == "deb" {
                i = 2; opts = ""
                if ($i ~ /^\[/) {
                    while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) { i++; break }; i++ }
                }
                uri = $i; s = $(i + 1); main = 0
                for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
                if (s == suite && main) {
                    signed = ""
                    if (match(opts, /signed-by=[^] ]+/))
                        signed = substr(opts, RSTART + 10, RLENGTH - 10)
                    print uri "\t" signed; exit
                }
            }' "$f" ;;
        esac
    done | head -n 1
}

if [ "${1:-}" = "--print-mirror" ]; then
    shift
    line="$(derive_mirror "$@")"
    if [ -z "$line" ]; then
        log "no apt source serves '$SUITE main'"
        exit 1
    fi
    printf '%s\n' "${line%%$'\t'*}"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# ---- 1. QEMU 7.2 (bookworm) and socat -------------------------------------------------
if [ -x /usr/bin/qemu-system-x86_64 ] && command -v socat >/dev/null \
    && [ -d /usr/share/seabios ]; then
    log "QEMU 7.2 and socat already installed"
else
    log "apt-get update"
    apt-get update -qq
    log "installing qemu-system-x86 socat from $SUITE"
    apt-get install -y -qq --no-install-recommends qemu-system-x86 socat >/dev/null
fi

# ---- 2. QEMU 10.0 (bookworm-backports), unpacked into .qemu/10.0 ------------------------
bpo_version() {
    # version of qemu-system-x86 offered by bookworm-backports ("" if none)
    apt-cache madison qemu-system-x86 2>/dev/null \
        | awk -F'|' -v s="$BPO" '$3 ~ s { gsub(/ /, "", $2); print $2; exit }'
}

if [ -x "$DEST/usr/bin/qemu-system-x86_64" ] && [ -f "$DEST/.complete" ]; then
    log "QEMU 10.0 already unpacked in $DEST"
else
    if [ ! -f "$SRC_FILE" ]; then
        line="$(derive_mirror)"
        if [ -z "$line" ]; then
            log "no apt source serves '$SUITE main'; cannot derive a mirror for $BPO"
            exit 1
        fi
        uri="${line%%$'\t'*}"
        signed="${line#*$'\t'}"
        log "adding $BPO from the mirror already configured for $SUITE"
        {
            echo "# added by migcheck scripts/install-qemu.sh (same mirror as $SUITE)"
            echo "Types: deb"
            echo "URIs: $uri"
            echo "Suites: $BPO"
            echo "Components: main"
            [ -n "$signed" ] && echo "Signed-By: $signed"
        } >"$SRC_FILE"
    fi
    if [ ! -f "$PIN_FILE" ]; then
        printf 'Package: *\nPin: release n=%s\nPin-Priority: 50\n' "$BPO" >"$PIN_FILE"
    fi
    version="$(bpo_version)"
    if [ -z "$version" ]; then
        log "apt-get update (for $BPO)"
        apt-get update -qq
        version="$(bpo_version)"
    fi
    if [ -z "$version" ]; then
        log "$BPO offers no qemu-system-x86"
        exit 1
    fi
    log "downloading QEMU $version and seabios from $BPO"
    work="$(mktemp -d)"
    # apt-get download fetches as the _apt user: let it write there
    chown _apt "$work" 2>/dev/null || chmod 777 "$work"
    trap 'rm -rf "$work"' EXIT
    pkgs=()
    for p in "${BPO_PKGS[@]}"; do pkgs+=("$p=$version"); done
    (cd "$work" && apt-get download -qq "${pkgs[@]}" "seabios/$BPO")
    rm -rf "$DEST"
    mkdir -p "$DEST"
    for deb in "$work"/*.deb; do
        log "unpacking $(basename "$deb")"
        dpkg-deb -x "$deb" "$DEST"
    done
    echo "$version" >"$DEST/.complete"
fi

# ---- 3. report ----------------------------------------------------------------------
v72="$(/usr/bin/qemu-system-x86_64 --version | head -n 1)"
v10="$("$DEST/usr/bin/qemu-system-x86_64" -L "$DEST/usr/share/qemu" --version | head -n 1)"
echo "qemu-7.2:  /usr/bin/qemu-system-x86_64  ($v72)"
echo "qemu-10.0: $DEST/usr/bin/qemu-system-x86_64  ($v10)"
echo "qemu-10.0 firmware: -L $DEST/usr/share/qemu -L $DEST/usr/share/seabios"
echo "socat:     $(command -v socat)"
