#!/usr/bin/env bash
# Runs one fuzz target the way fuzz/README.md describes: seeds copied into the working corpus,
# one libFuzzer job and worker, at the lowest CPU priority, for a fixed time.
#
#   fuzz/run.sh <tag_list|http_date|coding|evaluator> [seconds, default 600] [extra libFuzzer flags]
#
# libFuzzer writes the job's output to fuzz-0.log; this moves it to logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh <tag_list|http_date|coding|evaluator> [seconds] [libFuzzer flags]}
seconds=${2:-600}
shift $(($# < 2 ? $# : 2))
mkdir -p "corpus/$target" logs
cp -n "seeds/$target/"* "corpus/$target/"
status=0
nice -n 19 cargo +nightly fuzz run "$target" "corpus/$target" -- \
  -max_total_time="$seconds" -jobs=1 -workers=1 -print_final_stats=1 "$@" || status=$?
if [ -f fuzz-0.log ]; then
  mv fuzz-0.log "logs/$target.log"
  grep -E '^stat::|^#[0-9]+.*DONE|^==[0-9]+==|panicked|Test unit written' "logs/$target.log" || true
fi
exit "$status"
