#!/usr/bin/env bash
# man.sh VIRAL SRCDIR BUILDDIR - the man pages (tools/man.sh, issue 15):
#   1. one page per command and viral(1), and the build's pages are the
#      ones tools/man.sh writes from this binary's --help now;
#   2. each renders with `man -l --warnings` at 80 columns without a
#      warning;
#   3. a page says what --help says: every option of the command, its
#      summary, its examples;
#   4. `cmake --install` puts them where `man viral-train` finds them, and
#      the bash and zsh completion beside them.
set -u
viral=$1 src=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "man.sh: $*"; status=1; }
command -v man > /dev/null || { echo "man.sh: no man (tools/setup.sh installs man-db)"; exit 1; }

"$src/tools/man.sh" "$viral" "$tmp/man" || { echo "man.sh: tools/man.sh failed"; exit 1; }
commands=$("$viral" --commands | cut -f1)
want="viral.1 $(for c in $commands; do printf 'viral-%s.1 ' "$c"; done)"
[ "$(cd "$tmp/man" && echo $(ls | sort))" = "$(echo $(printf '%s\n' $want | sort))" ] ||
  fail "pages: $(ls "$tmp/man"), want $want"
for page in $want; do
  cmp -s "$tmp/man/$page" "$build/man/$page" || fail "$build/man/$page is not what tools/man.sh writes now"
  MANWIDTH=80 man -l --warnings "$tmp/man/$page" > "$tmp/out.txt" 2> "$tmp/err.txt"
  [ -s "$tmp/err.txt" ] && fail "$page: man -l --warnings says: $(head -5 "$tmp/err.txt")"
  [ -s "$tmp/out.txt" ] || fail "$page: renders empty"
done

# 3. the page says what --help says (words joined back over the line ends)
for c in $commands; do
  MANWIDTH=80 man -l "$tmp/man/viral-$c.1" 2> /dev/null | sed 's/\xe2\x80\x90//g' > "$tmp/page.txt"
  for section in NAME SYNOPSIS DESCRIPTION EXAMPLES OPTIONS; do
    grep -q "^$section\$" "$tmp/page.txt" || fail "viral-$c.1: no $section section"
  done
  for option in $("$viral" --options "$c" | cut -f1); do
    grep -qe "^ *$option\b" -e ", $option\b" "$tmp/page.txt" || fail "viral-$c.1: no $option"
  done
  example=$("$viral" "$c" --help | awk '/^examples?:$/ {getline; sub(/^ +/, ""); print; exit}')
  grep -qF -- "$example" "$tmp/page.txt" || fail "viral-$c.1: no example '$example'"
done
MANWIDTH=80 man -l "$tmp/man/viral.1" > "$tmp/page.txt" 2> /dev/null
for c in $commands; do grep -q "viral-$c(1)" "$tmp/page.txt" || fail "viral.1: no viral-$c(1)"; done

# 4. installed
cmake --install "$build" --prefix "$tmp/inst" > /dev/null || { echo "man.sh: cmake --install failed"; exit 1; }
found=$(MANPATH=$tmp/inst/share/man man -w viral-train 2> /dev/null)
[ "$found" = "$tmp/inst/share/man/man1/viral-train.1" ] || fail "man viral-train finds '$found' in the install"
cmp -s "$tmp/inst/share/bash-completion/completions/viral" "$src/tools/completion/viral.bash" ||
  fail "bash completion not installed in share/bash-completion/completions"
cmp -s "$tmp/inst/share/zsh/site-functions/_viral" "$src/tools/completion/_viral" ||
  fail "zsh completion not installed in share/zsh/site-functions"
exit $status
