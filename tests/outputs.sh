#!/usr/bin/env bash
# outputs.sh VIRAL - how every command writes its outputs (viral/writer.h),
# seen from the command line:
#   1. "-", /dev/fd/1 (the file stdout is), a FIFO and a device are written
#      into as they are, never replaced by a regular file or created as "-";
#   2. a symbolic link is kept and the file it points to replaced;
#   3. a link planted at a guessable temporary name is not written through;
#   4. new files get 0666 less the umask, a replaced file keeps its mode;
#   5. a command whose stdout cannot be written (/dev/full) exits 1 and says
#      "viral CMD: write error", --help and --version included;
#   6. a command with several outputs that fails on one leaves none of them
#      (and the old files as they were).
# Runs as root in CI: refusals are made by a parent that is a regular file or
# by a device, never by permissions root ignores.
set -u
viral=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
status=0
fail() { echo "outputs.sh: $*"; status=1; }
kind() { stat -c %F "$1" 2>/dev/null || echo missing; }
mode() { stat -c %a "$1" 2>/dev/null || echo missing; }
# no temporary file left in the directory
no_temporaries() { ls -A | grep -q '\.tmp\.' && fail "$1: a temporary file was left: $(ls -A | grep '\.tmp\.')"; }

"$viral" gen --videos 200 --seed 5 -o d.csv || exit 1
"$viral" train -q -o m.json d.csv || exit 1

# ---- 1. stdout, FIFOs and devices are written into ----
"$viral" gen --videos 3 -o - > dash.out || fail "gen -o - failed"
[ -e - ] && fail "gen -o - created a file named '-'"
[ "$(wc -l < dash.out)" = 4 ] || fail "gen -o - did not write the header and 3 rows to stdout"
"$viral" eval -q --json - d.csv > dash.out || fail "eval --json - failed"
[ -e - ] && fail "eval --json - created a file named '-'"
grep -q '"predictors"' dash.out || fail "eval --json - did not write the JSON to stdout"
"$viral" train -q -o - d.csv > piped.json && "$viral" inspect piped.json > /dev/null || fail "train -o - > piped.json failed"
[ -e - ] && fail "train -o - created a file named '-'"

# /dev/fd/1 is stdout: a pipe here, then a regular file the shell opened
"$viral" eval -q --json /dev/fd/1 d.csv | grep -q '"predictors"' || fail "eval --json /dev/fd/1 | grep: no JSON"
"$viral" gen --videos 3 -o /dev/fd/1 > via.csv || fail "gen -o /dev/fd/1 > via.csv failed"
[ "$(wc -l < via.csv)" = 4 ] || fail "gen -o /dev/fd/1 > via.csv: the rows did not reach via.csv"

mkfifo fifo
timeout 20 cat fifo > from_fifo & reader=$!
timeout 20 "$viral" gen --videos 3 -o fifo || fail "gen -o fifo failed"
wait "$reader"
[ "$(kind fifo)" = fifo ] || fail "gen -o fifo replaced the FIFO by a $(kind fifo)"
[ "$(wc -l < from_fifo)" = 4 ] || fail "gen -o fifo: the reader did not get the rows"

# a device (a /dev/full of our own where mknod is allowed, so that a
# regression replaces it rather than the system's)
if mknod full c 1 7 2>/dev/null; then dev=$tmp/full; else dev=/dev/full; fi
"$viral" gen --videos 3 -o "$dev" 2> err && fail "gen -o $dev exited 0"
grep -q "^viral gen: $dev: write error" err || fail "gen -o $dev: $(cat err)"
[ "$(kind "$dev")" = "character special file" ] || fail "gen -o $dev replaced the device by a $(kind "$dev")"
rm -f -- - err
no_temporaries "devices"

# ---- 2. symbolic links are kept, their targets replaced ----
cp m.json real.json
ln -s real.json current.json
"$viral" update -q -m current.json d.csv || fail "update -m current.json failed"
[ "$(kind current.json)" = "symbolic link" ] || fail "update -m current.json made the link a $(kind current.json)"
cmp -s real.json m.json && fail "update -m current.json did not update real.json"
mkdir reports
ln -s reports/r.json link.json # dangling: the report is created where it points
"$viral" eval -q --json link.json d.csv > /dev/null || fail "eval --json link.json failed"
[ "$(kind link.json)" = "symbolic link" ] || fail "eval --json link.json made the link a $(kind link.json)"
grep -q '"predictors"' reports/r.json || fail "eval --json link.json did not write reports/r.json"
no_temporaries "links"

# ---- 3. no write through a planted temporary name ----
echo victim > victim.txt
for f in r.json r.html r.csv; do ln -s victim.txt "$f.tmp"; done
"$viral" eval -q --json r.json --html r.html --predictions r.csv d.csv > /dev/null || fail "eval with planted .tmp links failed"
[ "$(cat victim.txt)" = victim ] || fail "eval wrote through a planted r.*.tmp link into victim.txt"
for f in r.json r.html r.csv; do
  [ "$(kind $f)" = "regular file" ] || fail "eval --json/--html/--predictions: $f is a $(kind $f)"
done
rm -f r.json.tmp r.html.tmp r.csv.tmp

# ---- 4. permissions: the umask for new files, the old mode for replaced ones ----
mkdir private
(
  umask 077
  "$viral" gen --videos 3 -o private/g.csv
  "$viral" train -q -o private/m.json d.csv
  "$viral" eval -q --json private/e.json --html private/e.html --predictions private/e.csv d.csv > /dev/null
  "$viral" eval -q --progressive --final-model private/f.json d.csv > /dev/null
) || fail "the runs with umask 077 failed"
for f in private/*; do [ "$(mode "$f")" = 600 ] || fail "with umask 077, $f has mode $(mode "$f")"; done
chmod 640 m.json
"$viral" update -q -m m.json d.csv || fail "update of a 640 model failed"
[ "$(mode m.json)" = 640 ] || fail "update changed the model's mode 640 to $(mode m.json)"

# ---- 5. stdout write errors exit 1 ----
full_stdout() { # CMD ARGS...: run with stdout on /dev/full
  local name=$1
  "$viral" "$@" > /dev/full 2> err
  local rc=$?
  [ $rc = 1 ] || fail "viral $* > /dev/full exited $rc, not 1"
  grep -q "^viral${name:+ $name}: write error" err || fail "viral $* > /dev/full said: $(cat err)"
}
"$viral" --help > /dev/full 2> err; [ $? = 1 ] || fail "viral --help > /dev/full did not exit 1"
grep -q '^viral: write error' err || fail "viral --help > /dev/full said: $(cat err)"
"$viral" --version > /dev/full 2> err; [ $? = 1 ] || fail "viral --version > /dev/full did not exit 1"
full_stdout inspect m.json
full_stdout inspect --json m.json
full_stdout eval -q d.csv
full_stdout eval -q --progressive d.csv
full_stdout tune -q d.csv
full_stdout describe d.csv
full_stdout score -m m.json d.csv
full_stdout convert --to vw d.csv
full_stdout gen --videos 3
full_stdout train --help
full_stdout train --version

# ---- 6. several outputs: all or none ----
mkdir multi && cd multi || exit 1
echo 'a file, not a directory' > afile
echo old > kept.json
"$viral" eval -q --json new.json --predictions kept.json --html afile/x.html ../d.csv > /dev/null 2> err \
  && fail "eval --html afile/x.html exited 0"
grep -q 'afile/x.html: cannot create temporary file: Not a directory' err || fail "eval --html afile/x.html said: $(cat err)"
[ -e new.json ] && fail "eval failed on --html but left --json new.json"
[ "$(cat kept.json)" = old ] || fail "eval failed on --html but replaced --predictions kept.json"
"$viral" eval -q --progressive --json new.json --predictions kept.json --final-model afile/x.json ../d.csv \
  > out 2> err && fail "eval --progressive --final-model afile/x.json exited 0"
[ -e new.json ] && fail "eval --progressive failed on --final-model but left --json new.json"
[ "$(cat kept.json)" = old ] || fail "eval --progressive failed on --final-model but replaced kept.json"
[ -s out ] && fail "eval --progressive failed on an output but printed its report"
"$viral" eval -q --json new.json --html "$dev" ../d.csv > /dev/null 2> err && fail "eval --html $dev exited 0"
[ -e new.json ] && fail "eval failed writing --html $dev but left --json new.json"
no_temporaries "several outputs"
[ "$(ls -A | sort | tr '\n' ' ')" = "afile err kept.json out " ] || fail "left in the directory: $(ls -A)"
cd ..

[ $status = 0 ] && echo "outputs.sh: all checks passed"
exit $status
