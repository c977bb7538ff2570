#!/usr/bin/env bash
# Item 4 of BENCHMARKS.md: the `documents` example over HTTP on loopback, under `oha`, beside a
# plain-axum server with the same store, layers and document (benches/src/bin/plain-documents.rs).
# The stale PUT that `documents` refuses before reading its body is compared with the same stale
# PUT refused by a plain route that checks If-Match by hand after `Json` parsed the body.
#
#   scripts/load.sh                          # 2 rounds of 10 s per scenario, 16 connections
#   ROUNDS=1 DURATION=5s CONNECTIONS=32 scripts/load.sh
#
# Installs oha (cargo install oha --locked) if missing, builds both servers in release, starts
# them on free 127.0.0.1 ports with in-memory databases, seeds the same 64 KiB JSON document into
# each with curl, runs every scenario for a bounded time, prints a table, and stops the servers
# on exit. Only loopback addresses are ever used.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
DOCUMENT_BYTES="${DOCUMENT_BYTES:-65536}"
ROUNDS="${ROUNDS:-2}"

need() { command -v "$1" >/dev/null 2>&1; }
need oha || cargo install oha --locked
need curl || { apt-get update && apt-get install -y curl; }
need python3 || { apt-get update && apt-get install -y python3; }

echo "== build (release)" >&2
cargo build --release --quiet -p axum-conditional-examples --bin documents
cargo build --release --quiet -p axum-conditional-benches --bin plain-documents
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() { # URL
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "server at $1 did not start" >&2
  exit 1
}

conditional_port="$(free_port)"
plain_port="$(free_port)"
conditional="http://127.0.0.1:$conditional_port"
plain="http://127.0.0.1:$plain_port"

# Logging at `warn`: the trace layer's per-request `info` line would otherwise dominate.
RUST_LOG=warn "$target_dir/release/documents" --in-memory --addr "127.0.0.1:$conditional_port" \
  >"$work/documents.log" 2>&1 &
pids+=("$!")
"$target_dir/release/plain-documents" --addr "127.0.0.1:$plain_port" >"$work/plain.log" 2>&1 &
pids+=("$!")
wait_ready "$conditional/documents"
wait_ready "$plain/documents/1"

# The same deterministic document of about DOCUMENT_BYTES bytes for both servers.
python3 - "$DOCUMENT_BYTES" >"$work/document.json" <<'PY'
import json, sys
target = int(sys.argv[1])
words = ["precondition", "entity", "tag", "version", "client", "server", "cache", "request",
         "response", "the", "of", "and", "a", "to", "is", "in", "document", "section"]
doc = {"title": "Minutes of the working group on conditional requests",
       "owner": "alice@example.com", "tags": ["minutes", "http", "rfc9110"], "sections": []}
n = 0
while len(json.dumps(doc, separators=(",", ":"))) < target:
    n += 1
    text = " ".join(words[(n * 7 + i * 13) % len(words)] for i in range(28))
    doc["sections"].append({"number": n, "heading": f"Section {n}", "text": text,
                            "author": "bob" if n % 3 == 0 else "alice", "approved": n % 2 == 0})
json.dump(doc, sys.stdout, separators=(",", ":"))
PY

for server in "$conditional" "$plain"; do
  status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$server/documents" \
    -H 'content-type: application/json' --data-binary "@$work/document.json")"
  [ "$status" = 201 ] || { echo "seeding $server answered $status" >&2; exit 1; }
done
etag="$(curl -s -D - -o /dev/null "$conditional/documents/1" | tr -d '\r' |
  awk 'tolower($1) == "etag:" { print $2 }')"
[ -n "$etag" ] || { echo "documents sent no ETag" >&2; exit 1; }
body_bytes="$(curl -s "$conditional/documents/1" | wc -c)"
plain_bytes="$(curl -s "$plain/documents/1" | wc -c)"
echo "== document: $body_bytes bytes from documents, $plain_bytes from plain; ETag $etag" >&2

run() { # NAME EXPECTED-STATUS URL OHA-ARGS...
  local name="$1" expect="$2" url="$3"
  shift 3
  echo "== round $round: $name" >&2
  # -w: requests in flight at the deadline are completed, not counted as errors.
  oha --no-tui --output-format json -z "$DURATION" -w -c "$CONNECTIONS" "$@" "$url" \
    >"$work/result.json"
  python3 - "$round" "$name" "$expect" "$work/result.json" >>"$work/table" <<'PY'
import json, sys
round_, name, expect, path = sys.argv[1:5]
r = json.load(open(path))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
errors = r.get("errorDistribution", {})
ok = codes.get(expect, 0)
other = sum(codes.values()) - ok
ms = lambda v: "-" if v is None else f"{v * 1000:.2f}"
# Requests per second that got the expected status (oha's own figure counts failures too).
good = ok / s["total"]
outcome = f"{expect} x{ok}" + (f", other x{other}" if other else "")
outcome += "".join(f", {n} x {e!r}" for e, n in errors.items())
print("\t".join([round_, name, f"{good:.0f}", ms(p.get("p50")), ms(p.get("p90")),
                 ms(p.get("p99")), ms(p.get("p99.9")), outcome]))
PY
}

: >"$work/table"
json=(-H 'content-type: application/json' -D "$work/document.json")
for round in $(seq "$ROUNDS"); do
  # The plain server first in even rounds, so that neither always runs on a warmer machine.
  if [ $((round % 2)) = 1 ]; then order=(conditional plain); else order=(plain conditional); fi
  for side in "${order[@]}"; do
    if [ "$side" = conditional ]; then
      run "documents GET 200" 200 "$conditional/documents/1"
      run "documents GET 304" 304 "$conditional/documents/1" -H "If-None-Match: $etag"
      run "documents PUT 412" 412 "$conditional/documents/1" -m PUT -H 'If-Match: "0"' "${json[@]}"
    else
      run "plain GET 200" 200 "$plain/documents/1"
      run "plain PUT 200 (writes)" 200 "$plain/documents/1" -m PUT "${json[@]}"
      run "plain PUT 412 (parsed first)" 412 "$plain/checked/documents/1" -m PUT \
        -H 'If-Match: "0"' "${json[@]}"
    fi
  done
done

echo
echo "oha -z $DURATION -w -c $CONNECTIONS against 127.0.0.1, $ROUNDS round(s);" \
  "$(nproc) cores shared by oha and the server"
echo "req/s counts the responses with the expected status; latency percentiles are over all."
{
  printf 'round\tscenario\treq/s\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tresponses (and client errors)\n'
  cat "$work/table"
} | column -t -s $'\t'
python3 - "$work/table" <<'PY'
import sys
from collections import defaultdict
rps = defaultdict(dict)
for line in open(sys.argv[1]):
    round_, name, good = line.split("\t")[:3]
    rps[round_][name] = float(good)
print("\nratios of req/s, each within one round (mean over rounds)")
# A refused write against what a plain route refusing the same stale write does: parse the
# body, then check If-Match by hand (not against a plain write, which is different work).
pairs = [("documents GET 200", "plain GET 200"), ("documents GET 304", "plain GET 200"),
         ("documents PUT 412", "plain PUT 412 (parsed first)")]
for num, den in pairs:
    values = [r[num] / r[den] for r in rps.values() if r.get(den)]
    shown = ", ".join(f"{v:.2f}" for v in values)
    print(f"  {num} / {den}: {sum(values) / len(values):.2f}   (rounds: {shown})")
PY
