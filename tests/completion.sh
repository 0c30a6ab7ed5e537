#!/usr/bin/env bash
# completion.sh VIRAL SRCDIR - the shell completion (tools/completion):
#   1. bash: `viral <TAB>` offers every command (and help), `viral tr<TAB>`
#      train; `viral train --<TAB>` every option of train (the learners'
#      included) and nothing else; a file argument (-o, -m, FILE) offers
#      files, an argument that is no file (--learner) nothing;
#   2. zsh, when installed: _viral parses (zsh -n), and run with zsh's
#      completion functions replaced by ones that print what they are given,
#      offers the commands with their summaries, and for `viral train` a
#      spec per option (both names of -o, --output, a file for FILE, the
#      learners' options).
set -u
viral=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
touch model-a.json model-b.json data.csv
status=0
fail() { echo "completion.sh: $*"; status=1; }
# complete WORD... : what bash offers for the last word (one a line, sorted)
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _viral; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$src/tools/completion/viral.bash" "$viral" "$@" | sed '/^$/d' | sort
}
commands=$("$viral" --commands | cut -f1)
[ "$(complete_words "")" = "$({ printf '%s\n' $commands; echo help; } | sort)" ] ||
  fail "viral <TAB>: $(complete_words "" | tr '\n' ' ')"
[ "$(complete_words tr)" = train ] || fail "viral tr<TAB>: $(complete_words tr | tr '\n' ' ')"
[ "$(complete_words help sc)" = score ] || fail "viral help sc<TAB>: $(complete_words help sc | tr '\n' ' ')"
[ "$(complete_words train --)" = "$("$viral" --options train | cut -f1 | sort)" ] ||
  fail "viral train --<TAB>: $(complete_words train -- | tr '\n' ' ')"
complete_words train -- | grep -qx -- --kernel || fail "viral train --<TAB>: no learner option --kernel"
[ "$(complete_words eval --fo | tr '\n' ' ')" = "--folds --format " ] ||
  fail "viral eval --fo<TAB>: $(complete_words eval --fo | tr '\n' ' ')"
[ "$(complete_words train -o model- | tr '\n' ' ')" = "model-a.json model-b.json " ] ||
  fail "viral train -o model-<TAB>: $(complete_words train -o model- | tr '\n' ' ')"
[ "$(complete_words score --model model-a)" = model-a.json ] || fail "viral score --model model-a<TAB>"
[ "$(complete_words score da)" = data.csv ] || fail "viral score da<TAB>: $(complete_words score da | tr '\n' ' ')"
[ -z "$(complete_words train --learner "")" ] || fail "viral train --learner <TAB> offers $(complete_words train --learner "" | tr '\n' ' ')"

# zsh_offers CURRENT WORD...: what _viral hands to _describe / _arguments.
# Without LeakSanitizer's exit check: once, in the sanitizer build under
# load, it spun for minutes at the exit of a viral run by zsh's command
# substitution (its output already written); flags.sh runs the same
# --commands and --options under it from bash.
zsh_offers() {
  local current=$1; shift
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 zsh -f -c 'current=$1; shift; words=("$@"); CURRENT=$current
    _describe() { print -rl -- ${(P)4} }
    _arguments() { print -rl -- "$@" }
    source "$0"' "$src/tools/completion/_viral" "$current" "$viral" "$@"
}
if command -v zsh > /dev/null; then
  zsh -n "$src/tools/completion/_viral" || fail "zsh -n _viral failed"
  zsh_offers 2 "" > zsh.txt
  for c in $commands; do grep -q "^$c:." zsh.txt || fail "zsh: viral <TAB> does not offer $c: $(head -3 zsh.txt)"; done
  zsh_offers 3 train -- > zsh.txt
  grep -qxF '(-o --output)--output[where to write the model (required; written atomically)]:FILE:_files' zsh.txt ||
    fail "zsh: viral train --<TAB>: no --output FILE spec: $(head -3 zsh.txt)"
  grep -qF '(-o --output)-o[' zsh.txt || fail "zsh: viral train -<TAB>: no -o"
  grep -q '^--kernel\[.*\]:K: $' zsh.txt || fail "zsh: viral train --<TAB>: no --kernel K spec"
  grep -q '^--shuffle\[[^]]*\]$' zsh.txt || fail "zsh: viral train --<TAB>: no --shuffle flag spec"
  [ "$(grep -c '\[' zsh.txt)" -ge "$("$viral" --options train | wc -l)" ] || fail "zsh: viral train: fewer specs than options"
elif [ "${CI:-}" = true ]; then
  fail "no zsh (tools/setup.sh installs it)"
fi
exit $status
