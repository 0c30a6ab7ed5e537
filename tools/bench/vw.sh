#!/usr/bin/env bash
# vw.sh - build Vowpal Wabbit 9.x from source as a benchmark reference, outside
# the repository, and print the path of its `vw` binary. Not part of viral's
# build: nothing of VW is committed here, and no test needs it.
#
#   tools/bench/vw.sh            # builds once, then only prints the path
#
#   VW_BUILD_DIR  where to build (default ../vw-build, beside the repository)
#   VW_GIT_DIR    a git directory (bare or not) of VowpalWabbit/vowpal_wabbit,
#                 e.g. a mirror; default /work/.mirror/VowpalWabbit+vowpal_wabbit/repo
#   VW_TAG        the tag to build (default 9.8.0, the version the issue measured)
#   VW_JOBS       parallel compile jobs (default 2: the machine is shared)
#   VW_NO_BUILD=1 only print the path of a binary already built (exit 1 when
#                 there is none): for scripts that use VW when present
#
# The git directory has no submodules: the dependencies VW vendors come from
# Debian packages instead (installed here when run as root), and everything
# that needs a submodule is turned off (tests, C wrapper, flatbuffers, Python,
# Java, benchmarks). Build type Release, as VW ships it.
set -eu
cd "$(dirname "$0")/../.."
build=${VW_BUILD_DIR:-../vw-build}
git_dir=${VW_GIT_DIR:-/work/.mirror/VowpalWabbit+vowpal_wabbit/repo}
tag=${VW_TAG:-9.8.0}
jobs=${VW_JOBS:-2}
mkdir -p "$build"
build=$(cd "$build" && pwd)
bin=$build/obj/vowpalwabbit/cli/vw
if [ -x "$bin" ] && [ "$(cat "$build/tag" 2>/dev/null)" = "$tag" ]; then
  echo "$bin"
  exit 0
fi

[ "${VW_NO_BUILD:-0}" = 1 ] && { echo "vw.sh: no VW $tag built in $build" >&2; exit 1; }

debs="cmake g++ libboost-dev libfmt-dev libspdlog-dev rapidjson-dev libeigen3-dev zlib1g-dev"
missing=
for p in $debs; do dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] || { echo "vw.sh: install the Debian packages:$missing" >&2; exit 1; }
  # shellcheck disable=SC2086 # one word per package
  apt-get install -y -q $missing >&2
fi

[ -d "$git_dir" ] || { echo "vw.sh: no VW git directory at $git_dir (set VW_GIT_DIR)" >&2; exit 1; }
src=$build/src-$tag
if [ ! -f "$src/CMakeLists.txt" ]; then
  rm -rf "$src"
  mkdir -p "$src"
  # Only what the build reads: a mirror may lack large files elsewhere (logos,
  # test sets, a NuGet binary).
  git --git-dir="$git_dir" archive "$tag" -- CMakeLists.txt version.txt LICENSE README.md cmake library \
    ext_libs utl vowpalwabbit ':!vowpalwabbit/.nuget' | tar -x -C "$src"
fi

# -w: VW's own warnings are not ours to read. No -march=native: the flags
# VW ships with (Release: -O3), so the reference is VW as users build it.
cmake -S "$src" -B "$build/obj" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS=-w -DWARNINGS=OFF \
  -DBUILD_TESTING=OFF -DBUILD_FLATBUFFERS=OFF -DBUILD_PYTHON=OFF -DBUILD_JAVA=OFF \
  -DBUILD_BENCHMARKS=OFF -DVW_BUILD_VW_C_WRAPPER=OFF -DVW_INSTALL=OFF \
  -DRAPIDJSON_SYS_DEP=ON -DFMT_SYS_DEP=ON -DSPDLOG_SYS_DEP=ON \
  -DVW_BOOST_MATH_SYS_DEP=ON -DVW_ZLIB_SYS_DEP=ON -DVW_EIGEN_SYS_DEP=ON >&2
cmake --build "$build/obj" --target vw_cli_bin -j "$jobs" >&2
[ -x "$bin" ] || { echo "vw.sh: the build did not make $bin" >&2; exit 1; }
echo "$tag" > "$build/tag"
echo "$bin"
