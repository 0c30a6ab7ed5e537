#!/usr/bin/env bash
# shellcheck disable=SC2154 # measure() in lib.sh sets NAME_s and NAME_kb
# vw_compare.sh - one logistic pass of `viral train` from CSV and from its
# vector cache against Vowpal Wabbit on the same feature vectors, paired runs
# (the issue "ahead of Vowpal Wabbit on every input path").
#
#   tools/bench/vw_compare.sh [VIDEOS [PAIRS]]   # default 200000 3; the full run is 1000000 3
#
# VW is the binary tools/bench/vw.sh builds (or $VW); without it the script
# says so and stops. Data: `viral gen --videos VIDEOS` (seed 1), first 80% of
# the rows to train, last 20% to test. VW reads what viral's default spec
# makes of all rows (`viral convert`, scaling fitted on all rows, as train.sh
# gives liblinear):
#   (a) named    the .vw text `viral convert --to vw` writes (namespaces,
#                feature names such as log1p(views_2h) and sound=snd_60)
#   (b) integer  the same vectors with integer names: `viral convert --to
#                libsvm` rewritten as "label |f 1:0.016 3:0.17 ..."
#   (c) cache    (b) from VW's binary cache (--cache_file, made by one run
#                before the timed ones)
# and viral trains (v) from the CSV and (w) from its own vector cache
# (`viral convert --to cache`, made before the timed runs; the same model).
# VW flags: --loss_function logistic -b 18 (viral's hash_bits) --passes 1,
# no interactions, its default learner (adaptive, normalized, invariant),
# model written with -f as viral writes its model. Each pair runs viral then
# (a), (b), (c), then viral from its cache, PAIRS times in turn; medians and
# ratios at the end. Test AUC of each (tools/bench/auc.c): viral score on the
# test CSV, VW -t with
# --link logistic on the test vectors. Wall clock (VW parses in a second
# thread); asserts nothing.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
videos=${1:-200000}
pairs=${2:-3}
vw=${VW:-}
if [ -z "$vw" ]; then
  vw=$(VW_JOBS=${VW_JOBS:-2} tools/bench/vw.sh 2>"$work/vw-build.log") || vw=
fi
[ -n "$vw" ] && [ -x "$vw" ] || {
  echo "vw_compare.sh: no Vowpal Wabbit binary (tools/bench/vw.sh failed: see $work/vw-build.log)" >&2
  exit 1
}
bench_cc "$work/auc" tools/bench/auc.c

d=$work/vw-$videos
split_data "$videos" "$d"
"$viral" convert --to vw -o "$d/all.vw" "$data"
"$viral" convert --to libsvm -o "$d/all.svm" "$data"
split_svm "$d"
head -n "$ntrain" "$d/all.vw" > "$d/train.vw"
tail -n "$ntest" "$d/all.vw" > "$d/test.vw"
to_vw_int() { awk '{ printf "%d |f", $1 == 1 ? 1 : -1; for (i = 2; i <= NF; i++) printf " %s", $i; printf "\n" }' "$1"; }
to_vw_int "$d/train.svm" > "$d/train-int.vw"
to_vw_int "$d/test.svm" > "$d/test-int.vw"
flags="--quiet --loss_function logistic -b 18 --passes 1"
rm -f "$d/train.cache"
# shellcheck disable=SC2086 # flags are words
"$vw" $flags -d "$d/train-int.vw" --cache_file "$d/train.cache" -f "$d/cache-maker.model"
"$viral" convert --quiet --to cache -o "$d/train.vc" "$d/train.csv"

times=$d/times.txt
: > "$times"
for pair in $(seq "$pairs"); do
  measure v "$viral" train --quiet --passes 1 -o "$d/viral.json" "$d/train.csv"
  # shellcheck disable=SC2086
  measure a "$vw" $flags -d "$d/train.vw" -f "$d/named.model"
  # shellcheck disable=SC2086
  measure b "$vw" $flags -d "$d/train-int.vw" -f "$d/int.model"
  # shellcheck disable=SC2086
  measure c "$vw" $flags --cache_file "$d/train.cache" -f "$d/cache.model"
  measure w "$viral" train --quiet --passes 1 -o "$d/viral-cache.json" "$d/train.vc"
  echo "$pair $v_s $a_s $b_s $c_s $v_kb $a_kb $b_kb $c_kb $v_cpu $a_cpu $b_cpu $c_cpu $w_s $w_kb $w_cpu" >> "$times"
done

"$viral" score -m "$d/viral.json" -o "$d/scores.csv" "$d/test.csv"
tail -n +2 "$d/scores.csv" | cut -d , -f 2 > "$d/viral.p"
vw_auc() { # model test-file
  "$vw" --quiet -t -i "$1" --link logistic -d "$2" -p "$d/vw.p" > /dev/null
  auc "$d/labels" "$d/vw.p"
}
auc_v=$(auc "$d/labels" "$d/viral.p")
"$viral" score -m "$d/viral-cache.json" -o "$d/scores-cache.csv" "$d/test.csv"
tail -n +2 "$d/scores-cache.csv" | cut -d , -f 2 > "$d/viral-cache.p"
auc_w=$(auc "$d/labels" "$d/viral-cache.p")
auc_a=$(vw_auc "$d/named.model" "$d/test.vw")
auc_b=$(vw_auc "$d/int.model" "$d/test-int.vw")
auc_c=$(vw_auc "$d/cache.model" "$d/test-int.vw")

median() { cut -d ' ' -f "$1" "$times" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "vw_compare.sh: $videos videos ($ntrain train rows, $ntest test rows), $pairs pairs, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "VW: $("$vw" --version | head -n 1) ($vw), flags: $flags"
row() { printf '%-11s %14s %14s %14s %14s %14s\n' "$@"; }
row "wall s" "viral train" "VW named" "VW integer" "VW cache" "viral cache"
while read -r pair v a b c _ _ _ _ _ _ _ _ w _; do row "pair $pair" "$v" "$a" "$b" "$c" "$w"; done < "$times"
mv=$(median 2) ma=$(median 3) mb=$(median 4) mc=$(median 5) mw=$(median 14)
row median "$mv" "$ma" "$mb" "$mc" "$mw"
row "cpu s" "" "" "" "" ""
while read -r pair _ _ _ _ _ _ _ _ v a b c _ _ w; do row "pair $pair" "$v" "$a" "$b" "$c" "$w"; done < "$times"
cv=$(median 10) ca=$(median 11) cb=$(median 12) cc=$(median 13) cw=$(median 16)
row median "$cv" "$ca" "$cb" "$cc" "$cw"
row "peak KiB" "$(median 6)" "$(median 7)" "$(median 8)" "$(median 9)" "$(median 15)"
row "test AUC" "$auc_v" "$auc_a" "$auc_b" "$auc_c" "$auc_w"
echo "ratio VW / viral train (medians; > 1: viral faster), wall clock and CPU (user + system):"
echo "  named   $(div "$ma" "$mv")  cpu $(div "$ca" "$cv")"
echo "  integer $(div "$mb" "$mv")  cpu $(div "$cb" "$cv")  (target >= 2 at equal AUC)"
echo "  cache   $(div "$mc" "$mv")  cpu $(div "$cc" "$cv")"
echo "ratio VW from its cache / viral from its cache (> 1: viral faster):"
echo "  cache   $(div "$mc" "$mw")  cpu $(div "$cc" "$cw")  (target >= 2 at equal AUC)"
echo "cache files: VW $(wc -c < "$d/train.cache") bytes, viral $(wc -c < "$d/train.vc") bytes"
