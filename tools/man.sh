#!/usr/bin/env bash
# man.sh VIRAL DIR - write the man pages DIR/viral.1 and DIR/viral-COMMAND.1
# (one per command) from the --help text of the binary VIRAL, through
# tools/help.awk: the pages say what --help says. Run by the build (target
# man) and by tests/man.sh.
set -eu
viral=$1 dir=$2
awk_file=$(dirname "$0")/help.awk
version=$("$viral" --version | sed 's/^viral //')
# the date of the page is the source's, so a rebuild writes the same bytes
date=${SOURCE_DATE_EPOCH:+$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)}
mkdir -p "$dir"
page() { # name, help command...
  local name=$1; shift
  "$@" | awk -v mode=man -v version="$version" -v date="${date:-}" -f "$awk_file" > "$dir/$name.1.tmp"
  mv "$dir/$name.1.tmp" "$dir/$name.1"
}
page viral "$viral" --help
for command in $("$viral" --commands | cut -f1); do
  page "viral-$command" "$viral" "$command" --help
done
