#!/usr/bin/env bash
# completion.sh VIRAL SRCDIR - the shell completion (tools/completion):
#   1. bash: `viral <TAB>` offers every command (and help), `viral tr<TAB>`
#      train; `viral train --<TAB>` every option of train (the learners'
#      included) and nothing else; a file argument (-o, -m, FILE) offers
#      files, an argument that is no file (--learner) nothing;
#   2. zsh: the completion function parses (zsh -n), when zsh is installed.
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

if command -v zsh > /dev/null; then
  zsh -n "$src/tools/completion/_viral" || fail "zsh -n _viral failed"
elif [ "${CI:-}" = true ]; then
  fail "no zsh (tools/setup.sh installs it)"
fi
exit $status
