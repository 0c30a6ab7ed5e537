#!/bin/sh
# exports.sh LIBVIRAL.so - the shared library exports the API alone: every
# function and object it defines for others is named viral_* (src/exports.map).
set -eu
other=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | grep -v '^viral_' || true)
[ -z "$other" ] || { echo "exports.sh: $1 exports names outside the API:" $other >&2; exit 1; }
echo "exports.sh: $(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRW]$/' | wc -l) symbols, all viral_*"
