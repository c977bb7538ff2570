#!/usr/bin/env bash
# Instruction budgets that cannot regress silently (BENCHMARKS.md, "Budgets"): counted under
# `valgrind --tool=callgrind`, which counts instructions, not seconds, so the figures are the
# same on a loaded machine as on an idle one. Each budget is a ratio against a baseline counted
# in the same run (the `headers` crate's evaluation of the same case; the floor handler of the
# same HTTP path), which also holds across machines whose libc picks another memcpy.
#
#   scripts/budgets.sh            # count, compare with benches/budgets.txt, fail past +2%
#   scripts/budgets.sh --update   # count and rewrite benches/budgets.txt (commit it)
#
# .ci/run runs the first form.
set -euo pipefail
cd "$(dirname "$0")/.."

budgets=benches/budgets.txt
tolerance=1.02
N="${N:-300}"

if ! command -v valgrind >/dev/null 2>&1; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind
fi

echo "== build (release)" >&2
cargo build --release --quiet -p axum-conditional-benches \
  --bin evaluator-instructions --bin instructions-304
bin="${CARGO_TARGET_DIR:-target}/release"

measured=$(mktemp)
trap 'rm -f "$measured"' EXIT
echo "== the evaluator against the headers crate" >&2
"$bin/evaluator-instructions" | tee /dev/stderr | sed -n 's/^budget //p' >>"$measured"
echo "== HTTP paths against their floors (N = $N)" >&2
INSTRUCTIONS_304_ONLY=limit,bare,conditional,compressed "$bin/instructions-304" "$N" |
  tee /dev/stderr | sed -n 's/^budget //p' >>"$measured"

if [ "${1:-}" = --update ]; then
  {
    echo "# Instruction budgets: scripts/budgets.sh checks each measured ratio stays within"
    echo "# ${tolerance}x of these; scripts/budgets.sh --update rewrites this file."
    echo "# Measured $(date -u +%Y-%m-%d) on commit $(git rev-parse --short HEAD)."
    sort "$measured"
  } >"$budgets"
  echo "wrote $budgets"
  exit 0
fi

status=0
while read -r name ratio; do
  budget=$(awk -v n="$name" '$1 == n { print $2 }' "$budgets")
  if [ -z "$budget" ]; then
    echo "budget $name: no budget recorded; run scripts/budgets.sh --update" >&2
    status=1
    continue
  fi
  if awk -v r="$ratio" -v b="$budget" -v t="$tolerance" 'BEGIN { exit !(r > b * t) }'; then
    echo "OVER  $name: $ratio > $budget x $tolerance" >&2
    status=1
  else
    echo "ok    $name: $ratio (budget $budget)"
  fi
done <"$measured"
expected=$(grep -vc '^#' "$budgets")
got=$(wc -l <"$measured")
if [ "$expected" != "$got" ]; then
  echo "benches/budgets.txt has $expected budgets, this run measured $got" >&2
  status=1
fi
exit "$status"
