# bash completion for viral: commands, each command's options, and files
# for the arguments that are files. It asks the viral being completed for
# its lists (viral --commands, viral --options CMD), so it never goes stale.
# Installed as share/bash-completion/completions/viral; or source it.

# The argument placeholders (ARG of --option ARG) that name files.
_viral_file_arg() {
  case $1 in
    FILE | MODEL | SPEC) return 0 ;;
    *) return 1 ;;
  esac
}

# COMPREPLY: the files (and directories) that start with $1.
_viral_files() {
  compopt -o filenames 2> /dev/null
  local IFS=$'\n'
  COMPREPLY=($(compgen -f -- "$1"))
}

_viral() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local viral=${COMP_WORDS[0]} IFS=$' \t\n'
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$("$viral" --commands 2> /dev/null | cut -f1) help" -- "$cur"))
    return 0
  fi
  local command=${COMP_WORDS[1]}
  if [ "$command" = help ]; then
    [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$("$viral" --commands 2> /dev/null | cut -f1)" -- "$cur"))
    return 0
  fi
  local table
  table=$("$viral" --options "$command" 2> /dev/null) || return 0
  # the argument of the option before the cursor: a file, or nothing to offer
  if [[ $prev == -* ]]; then
    local arg
    arg=$(awk -F'\t' -v o="$prev" '$1 == o || $2 == o {print $3; exit}' <<< "$table")
    if [ -n "$arg" ]; then
      if [ "$arg" = DIR ]; then
        compopt -o filenames 2> /dev/null
        COMPREPLY=($(compgen -d -- "$cur"))
      elif _viral_file_arg "$arg"; then
        _viral_files "$cur"
      fi
      return 0
    fi
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(cut -f1 <<< "$table")" -- "$cur"))
    return 0
  fi
  _viral_files "$cur"
}
complete -F _viral viral
