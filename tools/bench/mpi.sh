#!/usr/bin/env bash
# mpi.sh [VIDEOS] - training over MPI (README "Training over MPI"): `viral
# train` on VIDEOS generated rows (default 4,000,000: `viral gen --videos
# VIDEOS`, seed 1) as one process and as 2 processes of one job
# (`mpirun -np 2`, this machine's 2 cores), for the batch optimum
# (--batch-memory large enough for one process to hold every row) and one
# online pass (--passes 1). Prints for each: wall seconds, peak RSS of each
# process, the test AUC on 200,000 other generated rows (seed 2), the
# speed-up, and what process 0 sent to the collective calls (the batch
# optimum: its Newton steps and Hessian-vector products, each a sum of
# features + 1 doubles). Asserts nothing: read the ratios, on an idle
# machine.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
videos=${1:-4000000}
command -v mpirun > /dev/null || { echo "needs Open MPI's mpirun (tools/setup.sh)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
bench_cc "$work/auc" tools/bench/auc.c

data=$(gen_data "$videos")
d=$work/mpi-$videos
mkdir -p "$d"
[ -s "$d/test.csv" ] || "$viral" gen --quiet --videos 200000 --seed 2 -o "$d/test.csv"
[ -s "$d/labels" ] || "$viral" convert --to libsvm "$d/test.csv" | cut -d ' ' -f 1 > "$d/labels"

# run NAME PROCESSES viral-train-arguments...: sets NAME_s (wall), NAME_rss
# (each process's peak RSS, MB), NAME_auc (test AUC) and keeps stderr.
run() {
  local name=$1 n=$2
  shift 2
  rm -f "$d/$name".rank*
  local start end
  start=$(date +%s.%N)
  if [ "$n" = 1 ]; then
    /usr/bin/time -f '%M' -o "$d/$name.rank0" "$viral" train "$@" -o "$d/$name.json" "$data" 2> "$d/$name.err"
  else
    # shellcheck disable=SC2016 # expanded by each process's shell
    mpirun --oversubscribe -np "$n" sh -c \
      '/usr/bin/time -f %M -o "$0.rank$OMPI_COMM_WORLD_RANK" "$@"' "$d/$name" \
      "$viral" train "$@" -o "$d/$name.json" "$data" 2> "$d/$name.err"
  fi
  end=$(date +%s.%N)
  printf -v "${name}_s" '%.1f' "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
  local rss
  rss=$(for f in "$d/$name".rank*; do awk '{ printf "%.0f ", $1 / 1024 }' "$f"; done)
  printf -v "${name}_rss" '%s' "${rss% }"
  "$viral" score -m "$d/$name.json" -o "$d/$name.scores" "$d/test.csv"
  tail -n +2 "$d/$name.scores" | cut -d , -f 2 > "$d/$name.p"
  printf -v "${name}_auc" '%s' "$(auc "$d/labels" "$d/$name.p")"
}

batch_mb=$((videos / 1000 + 1024)) # about 700 bytes a row, and room
run batch1 1 --quiet --batch-memory "$batch_mb"
run batch2 2 --batch-memory "$batch_mb"
run online1 1 --quiet --passes 1
run online2 2 --passes 1

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "viral train on $videos generated rows, test AUC on 200000 others ($(nproc) cores, load $(cut -d ' ' -f 1 /proc/loadavg))"
printf '%-34s %9s %22s %9s %9s\n' "" "wall s" "peak RSS MB (each)" "test AUC" "speed-up"
printf '%-34s %9s %22s %9s %9s\n' "batch optimum, 1 process" "$batch1_s" "$batch1_rss" "$batch1_auc" ""
printf '%-34s %9s %22s %9s %9s\n' "batch optimum, 2 processes" "$batch2_s" "$batch2_rss" "$batch2_auc" \
  "$(ratio "$batch1_s" "$batch2_s")"
printf '%-34s %9s %22s %9s %9s\n' "one online pass, 1 process" "$online1_s" "$online1_rss" "$online1_auc" ""
printf '%-34s %9s %22s %9s %9s\n' "one online pass, 2 processes" "$online2_s" "$online2_rss" "$online2_auc" \
  "$(ratio "$online1_s" "$online2_s")"
echo "communication (process 0):"
grep -h 'batch optimum:\|collective calls' "$d/batch2.err" | sed 's/^viral train: /  batch:  /'
grep -h 'collective calls' "$d/online2.err" | sed 's/^viral train: /  online: /'
