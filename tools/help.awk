# help.awk - read the text of `viral --help` or `viral CMD --help` (the one
# source of the man pages and of the flag table's test) and print it as
#   mode=options  one line per option: --NAME TAB -S TAB ARG TAB help
#                 (empty fields for no short name, no argument)
#   mode=man      a man page in roff (tools/man.sh; version=, date= name it)
# The help's shape (src/cli/cli.c, main.c): "usage: viral CMD USAGE", a
# blank line, the summary, then paragraphs; "example:"/"examples:" starts
# the examples, "options:" (or "commands:") the list, one entry a line:
# "  -S, --NAME ARG  help" or "      --NAME ARG  help", two spaces at least
# before the help.

function roff(s) { # escape text for roff
  gsub(/\\/, "\\e", s)
  gsub(/-/, "\\-", s)
  if (s ~ /^[.']/) s = "\\&" s
  return s
}
function option_line(line,    m, left, help, n, w, i, short, long, arg) {
  # left column and help split at the first run of two spaces after the name
  if (!match(line, /^  (-[^ ], )?( +)?--[^ ]+( [^ ]+)?  +/)) return 0
  left = substr(line, 1, RLENGTH); help = substr(line, RLENGTH + 1)
  gsub(/^ +| +$/, "", left)
  n = split(left, w, / +/)
  short = ""; long = ""; arg = ""
  for (i = 1; i <= n; i++) {
    if (w[i] ~ /^-[^-],$/) short = substr(w[i], 1, 2)
    else if (w[i] ~ /^--/) long = w[i]
    else arg = w[i]
  }
  O_short = short; O_long = long; O_arg = arg; O_help = help
  return 1
}
function flush_text() { # end a block of literal lines
  if (literal) { print ".fi"; print ".RE"; literal = 0 }
}
function text_line(line) { # a line of the description or the examples
  if (line == "") { flush_text(); if (!para) print ".PP"; para = 1; return }
  para = 0
  if (line ~ /^  /) {
    if (!literal) { print ".RS 2"; print ".nf"; literal = 1 }
    sub(/^  /, "", line); print roff(line); return
  }
  flush_text(); print roff(line)
}

NR == 1 {
  sub(/^usage: /, "")
  usage = $0
  name = $2 == "<command>" ? "viral" : "viral-" $2
  command = $2 == "<command>" ? "" : $2
  state = "usage"; next
}
state == "usage" && $0 != "" { sub(/^ +/, ""); usage = usage " " $0; next }
state == "usage" { state = "summary"; next }
mode == "options" {
  if ($0 ~ /^(options|commands):$/) { in_list = 1; next }
  if (in_list && option_line($0)) print O_long "\t" O_short "\t" O_arg "\t" O_help
  next
}
state == "summary" && summary == "" && command != "" {
  summary = $0
  up = toupper(name)
  printf ".TH %s 1 \"%s\" \"viral %s\" \"viral manual\"\n", up, date, version
  print ".nh"; print ".ad l"
  print ".SH NAME"
  print roff(name) " \\- " roff(summary)
  print ".SH SYNOPSIS"
  print ".B viral " command
  print roff(substr(usage, length("viral " command) + 2))
  print ".SH DESCRIPTION"
  para = 1; state = "text"; next
}
state == "summary" && command == "" {
  # the main help: no separate summary line
  printf ".TH VIRAL 1 \"%s\" \"viral %s\" \"viral manual\"\n", date, version
  print ".nh"; print ".ad l"
  print ".SH NAME"
  print "viral \\- predict whether a short video goes viral"
  print ".SH SYNOPSIS"
  print ".B viral"
  print roff(substr(usage, 7))
  print ".SH DESCRIPTION"
  para = 1; state = "text"
}
state == "text" && $0 ~ /^examples?:$/ { flush_text(); print ".SH EXAMPLES"; para = 1; next }
state == "text" && $0 ~ /^(options|commands):$/ {
  flush_text()
  print ($0 == "options:" ? ".SH OPTIONS" : ".SH COMMANDS")
  state = $0 == "options:" ? "options" : "commands"; next
}
state == "text" { text_line($0); next }
state == "options" && option_line($0) {
  print ".TP"
  printf "%s%s%s\n", O_short != "" ? "\\fB" roff(O_short) "\\fR, " : "", "\\fB" roff(O_long) "\\fR",
         O_arg != "" ? " \\fI" roff(O_arg) "\\fR" : ""
  print roff(O_help); next
}
state == "commands" && /^  [a-z]/ {
  n = $1; sub(/^  [^ ]+ +/, "")
  print ".TP"
  print "\\fBviral " n "\\fR (\\fBviral\\-" n "\\fR(1))"
  print roff($0); next
}
state == "commands" && $0 == "" { state = "text"; para = 1; print ".PP"; next }
END {
  if (mode == "options") exit
  flush_text()
  print ".SH EXIT STATUS"
  print "0 ok, 1 data or runtime error, 2 usage error."
  print ".SH SEE ALSO"
  if (command != "") print ".BR viral (1)"
  else print "Each command's page: \\fBviral\\-COMMAND\\fR(1), e.g. \\fBviral\\-train\\fR(1)."
}
