#!/usr/bin/env bash
# Item 6 of BENCHMARKS.md: instructions the server process executes per request over HTTP/1.1
# keep-alive, on the 304 path and the 200 path, for `#[conditional]` beside the limit (a
# hand-written 304 that checks nothing; a bare handler for the 200 path) and the same check
# written by hand with axum-extra's `TypedHeader<IfNoneMatch>`.
#
#   scripts/instructions-304.sh          # N = 2000: runs of 2000 and 4000 requests per route
#   N=500 scripts/instructions-304.sh
#
# Builds `benches/src/bin/instructions-304.rs` in release and runs it: each route's server runs
# under `valgrind --tool=callgrind` twice, sent N and then 2N requests on one keep-alive
# connection by a client outside valgrind; (total(2N) - total(N)) / N is the cost of one
# request, start-up and shutdown cancelling out. Prints the three figures per path and the
# ratios against the goals. Only 127.0.0.1 is used. The callgrind files are left in
# target/instructions-304/ for `callgrind_annotate --inclusive=yes`.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-2000}"

command -v valgrind >/dev/null 2>&1 || { apt-get update && apt-get install -y valgrind; }

echo "== build (release)" >&2
cargo build --release --quiet -p axum-conditional-benches --bin instructions-304
"${CARGO_TARGET_DIR:-target}/release/instructions-304" "$N"
