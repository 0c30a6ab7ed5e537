#!/bin/sh
# The equivalence of issues #6 and #7: replaying a generated snapshot log
# through `viral stream` gives the same scores, bit for bit, and the same
# final model as `viral assemble --window` + `viral eval --progressive` on the
# same log with the same settings (window 2h, horizon 48h, grace 1h, label
# rule, start model). Checked:
#   1. the final models are the same file, byte for byte (eval --final-model
#      vs the stream's exit checkpoint);
#   2. the (video_id, probability) pairs eval --progressive --predictions
#      writes, in scoring order, are exactly the stream's score lines for those
#      videos, in the order it emitted them (probabilities as text: %.17g);
#   3. eval evaluated exactly as many videos as the stream learned from, and
#      some videos (outcome after the log's end) were scored, never learned;
#   4. the log exercises both ways of learning (a sighting past the horizon,
#      and closing by time: seq N.5) and scoring at closing time;
#   5. a control: --no-delay (labels at once) ends with another model.
# Five videos are first seen 18 s before their posted_at (hourly snapshots):
# both ways keep those sightings, the stream rejects no event.
# Usage: tests/progressive_equiv.sh path/to/viral
set -eu
VIRAL=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
L='views_final>=1000000'
M=$ROOT/models/default.json
fail() { echo "progressive_equiv: $*" >&2; exit 1; }

# the log is cut short so that it ends with videos in flight
"$VIRAL" gen --log --format jsonl -n 600 --days 6 -s 11 -q | head -n 7000 > "$T/log.jsonl"
# Hourly snapshots put a post made at 00:00:18 in the 00:00 snapshot: five
# videos are first seen 18 s before their posted_at, within the slack
# (VIRAL_AGE_SLACK_H) both ways must keep alike
for id in v7 v70 v170 v270 v370; do
  seen=$(sed -n "/\"video_id\":\"$id\"/{s/.*\"observed_at\":\"\([^\"]*\)\".*/\1/p;q}" "$T/log.jsonl")
  posted=$(date -u -d "@$(($(date -u -d "$seen" +%s) + 18))" +%Y-%m-%dT%H:%M:%SZ)
  sed -i "/\"video_id\":\"$id\"/s/\"posted_at\":\"[^\"]*\"/\"posted_at\":\"$posted\"/" "$T/log.jsonl"
done
grep -q '"video_id":"v170","observed_at":"2026-03-02T18:59:38Z","posted_at":"2026-03-02T18:59:56Z"' "$T/log.jsonl" ||
  fail "the early sightings were not made"

check() { # W: the stream scores a video at its first sighting at age >= W
  W=$1
  rm -rf "$T/state"
  "$VIRAL" stream -q -m "$M" --window "$W" --at 1h,2h --horizon 48h --grace 1h --label "$L" \
    --checkpoint-every 0 --fsync-every 0 --state "$T/state" "$T/log.jsonl" > "$T/stream.jsonl" 2> "$T/stream.err"
  [ ! -s "$T/stream.err" ] || fail "window $W: the stream said: $(head -n 2 "$T/stream.err")"
  "$VIRAL" assemble -q --id video_id --observed-at observed_at --posted-at posted_at \
    --counters views,likes,shares,comments,saves,watch_ratio:number \
    --attrs author_id,author_followers:number,author_verified:bool,duration_s:number,music_id,music_original:bool,hashtags,caption \
    --at 1h,2h --window "$W" --horizon 48h --grace 1h --label "$L" --unlabeled keep \
    --format jsonl -o "$T/records.jsonl" "$T/log.jsonl"
  "$VIRAL" eval --progressive -m "$M" --predictions "$T/pred.csv" --final-model "$T/final.json" \
    "$T/records.jsonl" > "$T/report.txt" 2> "$T/report.err"

  # 1. the final model
  cmp "$T/final.json" "$T/state/model-1.json" || fail "window $W: final models differ"

  # 2. the scores
  sed -n 's/^{"seq":[0-9]*,"video_id":"\([^"]*\)","probability":\([^,]*\),.*/\1,\2/p' "$T/stream.jsonl" > "$T/stream.csv"
  [ "$(wc -l < "$T/stream.csv")" = "$(wc -l < "$T/stream.jsonl")" ] || fail "unexpected stream lines"
  head -n 1 "$T/pred.csv" | grep -q '^record,video_id,order,label,probability,' || fail "predictions header"
  tail -n +2 "$T/pred.csv" | cut -d, -f2,5 > "$T/eval.csv"
  awk -F, 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' "$T/eval.csv" "$T/stream.csv" > "$T/stream_eval.csv"
  cmp "$T/eval.csv" "$T/stream_eval.csv" || fail "window $W: scores differ"

  # 3. the counts
  n_eval=$(wc -l < "$T/eval.csv")
  learned=$(grep -o '"learned":[[:space:]]*[0-9]*' "$T/state/checkpoint.json" | tr -dc 0-9)
  [ "$n_eval" = "$learned" ] || fail "window $W: eval evaluated $n_eval videos, the stream learned from $learned"
  [ "$n_eval" -gt 200 ] || fail "window $W: only $n_eval videos evaluated"
  grep -q "not evaluated: [0-9]* never scored, [1-9][0-9]* outcome after the data's end" "$T/report.txt" ||
    fail "window $W: expected videos whose outcome comes after the log: $(head -n 1 "$T/report.txt")"

  # 4. both ways of learning
  grep -q '"learned_seq":[0-9]*\.5,' "$T/records.jsonl" || fail "window $W: no video closed by time"
  grep -q '"learned_seq":[0-9]*,' "$T/records.jsonl" || fail "window $W: no video learned at a sighting"
  echo "progressive_equiv: window $W: $n_eval scores and the final model identical"
}
check 2h
# a long window: some videos are not seen between 24h and their deadline
# (49h) and are scored when they close by time
check 24h
grep -q '"scored_seq":[0-9]*\.5,' "$T/records.jsonl" || fail "no video scored at closing time"

# 5. the control
"$VIRAL" eval --progressive --no-delay -m "$M" --final-model "$T/nodelay.json" "$T/records.jsonl" > /dev/null 2>&1
if cmp -s "$T/nodelay.json" "$T/final.json"; then fail "--no-delay gave the same model"; fi
