#!/usr/bin/env bash
# setup.sh - install the Debian packages viral needs to build and test.
# Idempotent: does nothing (quickly) when everything is there. As root it runs
# apt-get; otherwise it prints the exact command to run and exits 1.
set -eu
packages="cmake make gcc pkg-config libsvm-dev liblinear-dev libxgboost-dev libcsv-dev libcjson-dev libyajl-dev libmicrohttpd-dev check"
# Tests feed our vectors to the reference tools; benchmarks use them too.
packages="$packages libsvm-tools liblinear-tools valgrind"
# tools/test.sh builds with clang too (sanitizers, libFuzzer).
packages="$packages clang libclang-rt-dev"
# score, eval and tune over MPI (CMake's VIRAL_MPI); tests/mpi.sh runs mpirun.
packages="$packages libopenmpi-dev openmpi-bin"
# tests/stream_hardening.sh sorts a log by observed_at the way datasets/STREAM.md says.
packages="$packages jq"
# tests/man.sh renders the man pages (man -l, groff); tests/completion.sh runs
# the bash completion and parses the zsh one; bash-completion is where it goes.
packages="$packages man-db groff-base bash-completion zsh"
[ "${VIRAL_SETUP_EXTRA:-}" ] && packages="$packages $VIRAL_SETUP_EXTRA"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "viral needs these Debian packages; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
