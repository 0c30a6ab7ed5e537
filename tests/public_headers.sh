#!/bin/sh
# public_headers.sh CC INCLUDE_DIR - the public headers stand on their own:
# each compiles alone (C11, -Wall -Wextra -Wpedantic -Werror), none reaches
# outside include/ (no "io/...", no libsvm/libcsv/cJSON/yajl types), and
# viral/viral.h includes every one of them.
set -eu
CC=$1
INC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "public_headers: $*" >&2; exit 1; }
for h in "$INC"/viral/*.h; do
  name=viral/$(basename "$h")
  printf '#include "%s"\nint main(void) { return 0; }\n' "$name" > "$T/one.c"
  $CC -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$INC" -c "$T/one.c" -o "$T/one.o" ||
    fail "$name does not compile on its own"
  grep -n '^#include' "$h" | grep -v '#include <std[a-z]*\.h>\|#include "viral/' &&
    fail "$name includes something that is not a standard or a public header"
  [ "$name" = viral/viral.h ] && continue
  grep -q "^#include \"$name\"" "$INC/viral/viral.h" || fail "viral/viral.h does not include $name"
done
echo "public_headers: $(ls "$INC"/viral/*.h | wc -l) headers"
