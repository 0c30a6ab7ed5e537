#!/usr/bin/env bash
# kill_model.sh VIRAL - kill `viral train -o m.json` and `viral update -m m.json`
# with SIGKILL at random moments (at least 130 runs and until 50 of them were
# killed mid-run: on a loaded machine more runs finish before their kill,
# so the count of runs adapts; at most 600), and check that m.json is always a
# complete, valid model (the previous one or the new one): model files are
# written to a temporary file, fsynced and renamed into place.
set -u
viral=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$viral" gen --videos 10000 --seed 11 -o "$tmp/data.csv" || exit 1
"$viral" gen --videos 2000 --seed 12 -o "$tmp/more.csv" || exit 1
"$viral" train -q -o "$tmp/m.json" "$tmp/data.csv" || exit 1

# How long one run of each command takes here, so the kills spread over all
# of it (update, on fewer rows and a model loaded without a tree of numbers,
# is much shorter than train).
start=$(date +%s%N)
"$viral" train -q -o "$tmp/probe.json" "$tmp/data.csv" || exit 1
train_us=$(( ($(date +%s%N) - start) / 1000 + 1000 ))
start=$(date +%s%N)
"$viral" update -q -m "$tmp/probe.json" "$tmp/more.csv" || exit 1
update_us=$(( ($(date +%s%N) - start) / 1000 + 1000 ))

RANDOM=20261128
killed=0
i=0
while [ $i -lt 130 ] || { [ $killed -lt 50 ] && [ $i -lt 600 ]; }; do
  i=$((i + 1))
  if [ $((i % 2)) = 0 ]; then
    span_us=$train_us
    "$viral" train -q -o "$tmp/m.json" "$tmp/data.csv" & pid=$!
  else
    span_us=$update_us
    "$viral" update -q -m "$tmp/m.json" "$tmp/more.csv" & pid=$!
  fi
  # Half the kills anywhere in the run, half late in it, where the
  # model file is written.
  delay_us=$(( (RANDOM * 32768 + RANDOM) % span_us ))
  [ $((i % 4)) -lt 2 ] && delay_us=$(( span_us * 3 / 5 + delay_us * 7 / 20 ))
  sleep "$(printf '0.%06d' "$delay_us")"
  kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
  wait "$pid" 2>/dev/null
  if ! "$viral" inspect "$tmp/m.json" >/dev/null 2>"$tmp/err"; then
    echo "iteration $i: m.json is not a valid model after a kill:"; cat "$tmp/err"; exit 1
  fi
done
leftover=$(ls "$tmp" | grep -c '\.tmp\.' || true)
echo "$i runs, $killed killed mid-run, m.json valid after every one ($leftover temporary files left by kills)"
[ "$killed" -ge 50 ] || { echo "too few runs were killed mid-run ($killed): the test proves little"; exit 1; }
