#!/usr/bin/env bash
# trajectory.sh VIRAL - scores at several ages (datasets/STREAM.md, "Scores at
# several ages"): `viral stream --score-at` and `viral score --log`.
#   1. tests/data/stream/trajectory.jsonl (the goldens' log) is what
#      `viral gen` writes for its seed;
#   2. a learning stream's lines at the window age are its lines without
#      --score-at (the "age_h" taken out), in the same order, and it learns
#      the same model;
#   3. score --log at the window age gives what plain `viral score` gives for
#      the records `viral assemble` makes of the same log; at 6h, what it
#      gives for the records assembled at the ages moved by 4h (5h, 6h),
#      renamed to the model's (1h, 2h): the definition, checked from outside;
#   4. a stream stopped and restarted on its state directory writes each
#      (video, age) once: the trajectory ages scored are in the checkpoint;
#   5. score --log --html draws one chart of 8 videos, with no reference
#      outside the page, and a bad log leaves neither page nor output;
#   6. a CSV log gives the scores of the same log as JSON Lines.
set -u
VIRAL=$1
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=models/default.json
status=0
fail() { echo "trajectory.sh: $*"; status=1; }

# 1
"$VIRAL" gen --log --to jsonl -n 4 --seed 3 --days 1 --horizon 30h | cmp -s - tests/data/stream/trajectory.jsonl ||
  fail "tests/data/stream/trajectory.jsonl is not viral gen --log --to jsonl -n 4 --seed 3 --days 1 --horizon 30h"

"$VIRAL" gen --log --to jsonl -n 80 --days 2 --seed 11 --horizon 48h > "$T/log.jsonl"
rows=$(wc -l < "$T/log.jsonl")

# 2
S=(-q -m "$M" --horizon 48h --label 'views_final>=20000' --checkpoint-every 0)
"$VIRAL" stream "${S[@]}" --state "$T/plain" "$T/log.jsonl" > "$T/plain.out" || fail "plain stream failed"
"$VIRAL" stream "${S[@]}" --state "$T/traj" --score-at 2h,6h,24h "$T/log.jsonl" > "$T/traj.out" ||
  fail "stream --score-at failed"
grep '"age_h":2,' "$T/traj.out" | sed 's/"age_h":2,//' > "$T/window.out"
cmp -s "$T/plain.out" "$T/window.out" || fail "the window's lines differ from the stream's without --score-at"
for a in 6 24; do
  n=$(grep -c "\"age_h\":$a," "$T/traj.out")
  [ "$n" -gt 0 ] || fail "no line at age ${a}h"
done
cmp -s "$T/plain/model-1.json" "$T/traj/model-1.json" || fail "--score-at changed what the stream learned"
[ "$(wc -l < "$T/plain.out")" -gt 40 ] || fail "only $(wc -l < "$T/plain.out") videos scored of $rows events"

# 3
C='views,likes,shares,comments,saves,watch_ratio:number'
A='author_id,author_followers:number,author_verified:bool,duration_s:number,music_id,music_original:bool,hashtags,caption'
assembled() { # AGES: the log's records at AGES, scored by plain viral score, sorted
  "$VIRAL" assemble -q --id video_id --observed-at observed_at --posted-at posted_at --counters "$C" --attrs "$A" \
    --at "$1" --unlabeled keep --to jsonl "$T/log.jsonl" > "$T/rec.jsonl" || fail "assemble --at $1 failed"
}
by_log() { # AGE: score --log --score-at AGE as plain score's rows, sorted
  "$VIRAL" score -q -m "$M" --log --score-at "$1" "$T/log.jsonl" | awk -F, 'NR > 1 {print $1 "," $3 "," $4}' | sort
}
assembled 1h,2h
"$VIRAL" score -q -m "$M" "$T/rec.jsonl" | sed 1d | sort > "$T/plain.csv"
by_log 2h > "$T/log2.csv"
[ -s "$T/log2.csv" ] && cmp -s "$T/plain.csv" "$T/log2.csv" ||
  fail "score --log --score-at 2h differs from assemble + score: $(diff "$T/plain.csv" "$T/log2.csv" | head -4)"
assembled 5h,6h
sed -e 's/_5h"/_1h"/g' -e 's/_6h"/_2h"/g' "$T/rec.jsonl" > "$T/moved.jsonl"
"$VIRAL" score -q -m "$M" "$T/moved.jsonl" | sed 1d | sort > "$T/moved.csv"
by_log 6h > "$T/log6.csv"
# score --log writes a video only when a look reaches 6h; the assembled
# records of the others have uncovered counters
join -t, "$T/moved.csv" "$T/log6.csv" | awk -F, '$2 != $4 || $3 != $5 {bad++} END {exit bad > 0}' ||
  fail "score --log --score-at 6h is not the record with its ages moved by 4h"
[ "$(wc -l < "$T/log6.csv")" -gt 40 ] && [ "$(join -t, "$T/moved.csv" "$T/log6.csv" | wc -l)" = "$(wc -l < "$T/log6.csv")" ] ||
  fail "score --log --score-at 6h: $(wc -l < "$T/log6.csv") videos, not all among the assembled ones"

# 4
half=$((rows / 2))
head -n "$half" "$T/log.jsonl" > "$T/half.jsonl"
"$VIRAL" stream "${S[@]}" --state "$T/restart" --score-at 2h,6h,24h "$T/half.jsonl" > "$T/part1.out" &&
  "$VIRAL" stream "${S[@]}" --state "$T/restart" --score-at 2h,6h,24h "$T/log.jsonl" > "$T/part2.out" ||
  fail "stopped and restarted stream failed"
cat "$T/part1.out" "$T/part2.out" | cmp -s - "$T/traj.out" ||
  fail "a restarted stream's lines differ from one run's: $(cat "$T/part1.out" "$T/part2.out" | diff - "$T/traj.out" | head -3 | cut -c1-100)"
[ -s "$T/part1.out" ] && [ -s "$T/part2.out" ] || fail "the restart split nothing"
# 6. a CSV log (viral gen --log) gives what its JSON Lines form gives; a bad
# row is said with its line
"$VIRAL" gen --log -n 80 --days 2 --seed 11 --horizon 48h > "$T/log.csv"
"$VIRAL" score -q -m "$M" --log "$T/log.jsonl" > "$T/looks.jsonl.out" &&
  "$VIRAL" score -q -m "$M" --log "$T/log.csv" > "$T/looks.csv.out" ||
  fail "score --log on the CSV or JSON Lines log failed"
[ "$(wc -l < "$T/looks.csv.out")" -gt 400 ] && cmp -s "$T/looks.jsonl.out" "$T/looks.csv.out" ||
  fail "score --log: the CSV log's scores differ from the JSON Lines log's"
awk -F, 'BEGIN {OFS = ","} NR == 5 {$4 = "abc"} {print}' "$T/log.csv" > "$T/badrow.csv"
"$VIRAL" score -m "$M" --log "$T/badrow.csv" > /dev/null 2> "$T/bad.err"
[ $? = 1 ] && grep -q "badrow.csv:5: field 'views': bad count 'abc'" "$T/bad.err" ||
  fail "a bad CSV row: $(cat "$T/bad.err")"

# 5. the page: one chart of at most 8 videos, self-contained; none on an error
"$VIRAL" score -q -m "$M" --log --score-at 2h,6h,24h --html "$T/page.html" "$T/log.jsonl" > /dev/null ||
  fail "score --log --html failed"
[ "$(grep -c '<svg ' "$T/page.html")" = 1 ] && [ "$(grep -c '<polyline ' "$T/page.html")" = 8 ] ||
  fail "the page does not draw 8 videos in one chart"
grep -Eq 'https?:|src=|href=|<script|url\(' "$T/page.html" && fail "the page has an external reference"
{ head -n 50 "$T/log.jsonl"; echo '{"event":"observe"}'; } > "$T/bad.jsonl"
"$VIRAL" score -q -m "$M" --log --html "$T/bad.html" -o "$T/bad.csv" "$T/bad.jsonl" 2> /dev/null
[ $? = 1 ] && [ ! -e "$T/bad.html" ] && [ ! -e "$T/bad.csv" ] || fail "a bad log left a page or an output, or did not exit 1"
exit $status
