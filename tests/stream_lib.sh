# stream_lib.sh - sourced by the stream_* tests: what a consumer of the
# stream's output does after a crash.
#
# A score line is written with one write(), but a write to a regular file is
# not atomic against a SIGKILL: the kernel copies page by page and stops at a
# page boundary when a fatal signal is pending, so a run killed while writing
# a line that crosses a page leaves its beginning, without a newline (a
# write to a pipe of at most PIPE_BUF bytes cannot tear). The stream had not
# counted that score delivered, so the restart writes it again whole; a
# consumer that appends each run's output to one file drops the torn tail
# before the next run, or the next line would be glued to it.

# drop_torn OUT REF: when OUT does not end in a newline, cut its last line,
# which must be the beginning of a line of REF (a score being written, not
# any other damage); adds 1 to $torn. Returns 1, saying why, otherwise.
drop_torn() {
  [ -s "$1" ] || return 0
  [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" != 0a ] || return 0
  TORN_LINE=$(tail -n 1 "$1") awk 'index($0, ENVIRON["TORN_LINE"]) == 1 { found = 1; exit }
                                   END { exit !found }' "$2" || {
    echo "$1 ends in a line that is no score's beginning: $(tail -n 1 "$1" | head -c 300)" >&2
    return 1
  }
  head -n "$(wc -l < "$1")" "$1" > "$1.whole" && mv "$1.whole" "$1"
  torn=$((${torn:-0} + 1))
}
