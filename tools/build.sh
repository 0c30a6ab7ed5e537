#!/usr/bin/env bash
# build.sh - set up and build viral into build/ (the binary is build/viral).
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
cmake -S . -B "${VIRAL_BUILD_DIR:-build}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIRAL_WERROR=ON >/dev/null
cmake --build "${VIRAL_BUILD_DIR:-build}" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
