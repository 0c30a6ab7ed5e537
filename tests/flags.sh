#!/usr/bin/env bash
# flags.sh VIRAL SRCDIR - one set of flags across the commands (issue 15):
#   1. every command's --help lists exactly the options of tests/cli/flags.tsv
#      for that command, with the table's short name and argument: a flag
#      shared by several commands has one row, so one short name, one
#      argument and one meaning everywhere (a command that differs is named
#      in the row's last column, with the reason in its meaning);
#   2. a short name stands for one flag in every command;
#   3. `viral --options CMD` (what shell completion offers) lists what
#      --help lists, and `viral --commands` what `viral --help` lists;
#   4. every --help (viral's own too) has examples: a line "example:" or
#      "examples:" and under it at least one "  viral CMD ...";
#   5. the spellings from before (cli.c's aliases) still do what the new
#      ones do.
# Adding or changing an option means changing the table: that is the point.
set -u
viral=$1 src=$2
table=$src/tests/cli/flags.tsv
help_awk=$src/tools/help.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "flags.sh: $*"; status=1; }

commands=$("$viral" --commands | cut -f1)
[ -n "$commands" ] || { echo "flags.sh: viral --commands lists nothing"; exit 1; }
"$viral" --help | awk -v mode=options -f "$help_awk" > /dev/null
listed=$("$viral" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ "$listed" = "$commands" ] || fail "viral --help lists '$(echo $listed)', viral --commands '$(echo $commands)'"
"$viral" --help | awk '/^examples?:$/ {ex = 1; next} ex && /^  viral [a-z]/ {found = 1} END {exit !found}' ||
  fail "viral --help: no example"

: > "$tmp/seen.tsv" # command TAB flag TAB short TAB arg
for c in $commands; do
  "$viral" "$c" --help > "$tmp/help.txt" || fail "viral $c --help: exit $?"
  awk -v mode=options -f "$help_awk" "$tmp/help.txt" > "$tmp/options.tsv"
  [ -s "$tmp/options.tsv" ] || fail "viral $c --help: no options found"
  "$viral" --options "$c" > "$tmp/complete.tsv"
  diff "$tmp/options.tsv" "$tmp/complete.tsv" > /dev/null ||
    fail "viral $c: --help and --options differ: $(diff "$tmp/options.tsv" "$tmp/complete.tsv" | head -5)"
  awk -F'\t' -v c="$c" '{print c "\t" $1 "\t" $2 "\t" $3}' "$tmp/options.tsv" >> "$tmp/seen.tsv"
  awk -v c="$c" '/^examples?:$/ {ex = 1; next} ex && index($0, "  viral " c " ") == 1 {found = 1}
                 /^options:$/ {ex = 0} END {exit !found}' "$tmp/help.txt" ||
    fail "viral $c --help: no example (\"example:\" then \"  viral $c ...\")"
done

# 1 and 2: the help against the table
awk -F'\t' '
  FNR == NR {
    if ($0 ~ /^#/ || $0 == "") next
    if ($1 in row) { printf "flags.tsv: %s has two rows\n", $1; bad = 1 }
    row[$1] = 1; short[$1] = $2; arg[$1] = $3; want[$1] = $4
    n = split($6, d, ",")
    for (i = 1; i <= n; i++) { split(d[i], kv, "="); differs[$1, kv[1]] = 1; other[$1, kv[1]] = kv[2] }
    if ($2 != "") {
      if ($2 in letter && letter[$2] != $1) { printf "flags.tsv: %s is both %s and %s\n", $2, letter[$2], $1; bad = 1 }
      letter[$2] = $1
    }
    next
  }
  {
    c = $1; f = $2
    if (!(f in row)) { printf "viral %s: %s is not in tests/cli/flags.tsv\n", c, f; bad = 1; next }
    if ($3 != short[f]) { printf "viral %s: %s has short name \"%s\", the table \"%s\"\n", c, f, $3, short[f]; bad = 1 }
    a = (f SUBSEP c) in differs ? other[f, c] : arg[f]
    if ($4 != a) { printf "viral %s: %s takes \"%s\", the table says \"%s\"\n", c, f, $4, a; bad = 1 }
    got[f] = got[f] (got[f] == "" ? "" : ",") c
  }
  END {
    for (f in row)
      if (got[f] != want[f]) { printf "%s: in %s, the table says %s\n", f, got[f] == "" ? "no command" : got[f], want[f]; bad = 1 }
    exit bad
  }' "$table" "$tmp/seen.tsv" || status=1
# 5. old spellings, new spellings: the same output
same_output() { # "old args" "new args"
  (cd "$src" && eval "\"\$viral\" $1" > "$tmp/old.out" 2>&1 && eval "\"\$viral\" $2" > "$tmp/new.out" 2>&1) ||
    { fail "viral $1 / viral $2 failed: $(cat "$tmp/old.out" "$tmp/new.out" | head -3)"; return; }
  cmp -s "$tmp/old.out" "$tmp/new.out" || fail "viral $1 and viral $2 differ"
}
same_output "gen -n 3 -s 4 -f jsonl" "gen -n 3 --seed 4 --to jsonl"
same_output "gen -n 3 --format jsonl" "gen -n 3 --to jsonl"
same_output "inspect -k 2 models/default.json" "inspect --top 2 models/default.json"
same_output "convert -t vw --allow-missing --skip-bad-rows datasets/example.csv" \
  "convert --to vw --allow-missing --skip-bad-rows datasets/example.csv"
same_output "assemble -q -s tracker --format jsonl datasets/examples/tracker/" \
  "assemble -q -s tracker --to jsonl datasets/examples/tracker/"
exit $status
