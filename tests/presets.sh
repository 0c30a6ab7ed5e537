#!/bin/sh
# presets.sh VIRAL BUILD_DIR [PRESET|install ...] - each preset's walkthrough
# (all three and the install when none is named), run exactly as
# datasets/PRESETS.md writes it (the ```sh walkthrough=NAME block), on the
# example files of datasets/examples/, from a directory of its own where
# `datasets` leads to them; then the same from an install (cmake --install
# into a temporary prefix, the installed binary finding its presets by
# name). Checks, per preset:
#   - the assembled records and the scores are the expected ones
#     (tests/data/presets/NAME/videos.csv, scores.csv; REGEN=1 rewrites the
#     scores after a deliberate change of the model training fits);
#   - ids exact: the scored ids are the ids of the example files, all 16,
#     every digit;
#   - times right: each record's posted_at is the source's posting time
#     (create_time, createTimeISO, or the id's top 32 bits), the 12 old
#     videos have 8 sightings and their outcome at 24 h, the 4 young ones 3
#     sightings and none;
#   - every feature present: counts at 1 h and 2 h covered for every video,
#     no missing-value indicator among the reasons of any score
#     (--explain 100), no warning from train or score, 12 rows learned and
#     4 unlabelled skipped.
set -eu
VIRAL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BUILD=$(cd "$2" && pwd)
shift 2
[ $# -gt 0 ] || set -- research-api scraper tracker install
REPO=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "presets: $*" >&2; exit 1; }

# The commands of walkthrough NAME.
walkthrough() {
  awk -v start="\`\`\`sh walkthrough=$1" '$0 == start { on = 1; next } on && /^```/ { exit } on' \
    "$REPO/datasets/PRESETS.md"
}

# run NAME VIRAL DATASETS DIR: the walkthrough in DIR, with `datasets` -> DATASETS.
run() {
  mkdir -p "$4"
  ln -s "$3" "$4/datasets"
  walkthrough "$1" > "$4/walkthrough.sh"
  [ -s "$4/walkthrough.sh" ] || fail "$1: no walkthrough block in datasets/PRESETS.md"
  (cd "$4" && V="$2" sh -c 'viral() { "$V" "$@"; }; set -e; . ./walkthrough.sh' 2> "$4/stderr") ||
    { cat "$4/stderr" >&2; fail "$1: the walkthrough failed"; }
}

# The ids and posting times (unix seconds) of the example videos of NAME, "id time" sorted.
source_times() {
  ex=$REPO/datasets/examples/$1
  case $1 in
  research-api)
    cat "$ex"/polls/*.json | grep -o '"id":[0-9]*,"create_time":[0-9]*' |
      sed 's/"id":\([0-9]*\),"create_time":\([0-9]*\)/\1 \2/' ;;
  scraper)
    cat "$ex"/*.json | grep -o '"id":"[0-9]*","text":"[^"]*","createTime":[0-9]*' |
      sed 's/"id":"\([0-9]*\)".*"createTime":\([0-9]*\)/\1 \2/' ;;
  tracker)
    tail -q -n +2 "$ex"/*.csv | cut -d, -f1 | while read -r id; do echo "$id $((id >> 32))"; done ;;
  esac | sort -u
}

check() { # NAME DIR
  name=$1 dir=$2 want=$REPO/tests/data/presets/$1
  cmp -s "$dir/videos.csv" "$want/videos.csv" || { diff "$want/videos.csv" "$dir/videos.csv" | head >&2; fail "$name: videos.csv differs"; }
  # REGEN=1: the scores become the expected ones (a deliberate change of the model fitted)
  [ "${REGEN:-}" = 1 ] && cp "$dir/scores.csv" "$want/scores.csv"
  cmp -s "$dir/scores.csv" "$want/scores.csv" || { diff "$want/scores.csv" "$dir/scores.csv" | head >&2; fail "$name: scores.csv differs"; }
  # ids exact, times right
  source_times "$name" > "$dir/source"
  [ "$(wc -l < "$dir/source")" -eq 16 ] || fail "$name: expected 16 videos in the examples"
  tail -n +2 "$dir/scores.csv" | cut -d, -f1 | sort > "$dir/scored"
  cut -d' ' -f1 "$dir/source" | cmp -s - "$dir/scored" || fail "$name: the scored ids are not the example's"
  while read -r id t; do
    when=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
    grep -q "^$id,$when," "$dir/videos.csv" || fail "$name: video $id: posted_at is not $when"
  done < "$dir/source"
  awk -F, -v name="$name" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      old = $(col["views_final"]) != ""
      if ($(col["sightings"]) != (old ? 8 : 3) || (old && $(col["age_last_h"]) != 24)) bad = bad " " $1
      if ($(col["covered_1h"]) != 1 || $(col["covered_2h"]) != 1) bad = bad " " $1
      n++; olds += old
    }
    END {
      if (bad != "") { print "presets: " name ": sightings, outcome or coverage wrong for" bad > "/dev/stderr"; exit 1 }
      if (n != 16 || olds != 12) { print "presets: " name ": " n " records, " olds " with an outcome" > "/dev/stderr"; exit 1 }
    }' "$dir/videos.csv" || exit 1
  # every feature present
  (cd "$dir" && "$VIRAL" score -m model.json --explain 100 videos.csv > all-reasons.csv 2>> stderr)
  ! grep -Eq ' missing( \(| ->)' "$dir/all-reasons.csv" || fail "$name: a score used a missing-value indicator"
  ! grep -q warning "$dir/stderr" || { cat "$dir/stderr" >&2; fail "$name: a warning"; }
  grep -q "viral train: 12 rows, 2 positives.*4 unlabelled rows skipped" "$dir/stderr" ||
    { cat "$dir/stderr" >&2; fail "$name: train did not learn from the 12 videos with an outcome"; }
}

# Installed: the specs, examples and docs land under the prefix, and the
# installed binary finds the presets beside itself (installed-only exists
# nowhere else), then runs a walkthrough on the installed examples.
installed() {
  cmake --install "$BUILD" --prefix "$T/inst" > /dev/null
  share=$T/inst/share/viral
  for f in specs/research-api.spec.json specs/scraper.spec.json specs/tracker.spec.json \
           examples/research-api/polls/2026-03-02T180000Z.json examples/scraper examples/tracker; do
    [ -e "$share/$f" ] || fail "cmake --install did not install $f"
  done
  [ -f "$T/inst/share/doc/viral/PRESETS.md" ] || fail "cmake --install did not install PRESETS.md"
  cp "$share/specs/tracker.spec.json" "$share/specs/installed-only.spec.json"
  (cd "$T" && "$T/inst/bin/viral" assemble -q -s installed-only -o installed.csv "$share/examples/tracker") ||
    fail "the installed viral did not find a spec installed beside it by name"
  cmp -s "$T/installed.csv" "$REPO/tests/data/presets/tracker/videos.csv" || fail "installed: tracker records differ"
  run research-api "$T/inst/bin/viral" "$share" "$T/installed"
  cmp -s "$T/installed/scores.csv" "$REPO/tests/data/presets/research-api/scores.csv" ||
    fail "installed: research-api scores differ"
  echo "presets: installed under a prefix: presets found by name, walkthrough ok"
}

for name in "$@"; do
  case $name in
  install) installed ;;
  research-api | scraper | tracker)
    run "$name" "$VIRAL" "$REPO/datasets" "$T/$name"
    check "$name" "$T/$name"
    echo "presets: $name: $(sed -n 's/^viral train: //p' "$T/$name/stderr")" ;;
  *) fail "no preset '$name'" ;;
  esac
done
