#!/usr/bin/env bash
# Issue 14's figures: confirmed writes/s and 412s/s of the `documents` example on PostgreSQL,
# 1 instance vs 3 instances on the same database, and one hot document vs writes spread across
# documents. Every client does read -> modify -> PUT If-Match, each request to the next instance.
#
#   scripts/pg-scaling.sh                    # 32 clients, 10 s per point, release build
#   CLIENTS=64 SECONDS_PER_POINT=5 PROFILE=debug scripts/pg-scaling.sh
#
# Starts a throwaway cluster (initdb, default settings: fsync on) in a temporary directory on a
# free loopback port, as the `postgres` user when run as root, and three instances on it; stops
# them all by pid on exit. Needs PostgreSQL under /usr/lib/postgresql/*/bin (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS="${CLIENTS:-32}"
SECONDS_PER_POINT="${SECONDS_PER_POINT:-10}"
SPREAD="${SPREAD:-32}"
PROFILE="${PROFILE:-release}"

bin_dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
[ -x "$bin_dir/postgres" ] || { echo "PostgreSQL is not installed (scripts/test.sh installs it)" >&2; exit 1; }

flag=(--release)
[ "$PROFILE" = release ] || flag=()
echo "== build ($PROFILE)" >&2
cargo build "${flag[@]}" --quiet -p axum-conditional-examples --bin documents --example pg_scaling
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
out="$target_dir/$([ "$PROFILE" = release ] && echo release || echo debug)"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

as_postgres=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$work"
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
(cd "$work" && "${as_postgres[@]}" "$bin_dir/initdb" -D "$work/data" -U postgres --auth=trust \
  -E UTF8 >/dev/null)
pg_port="$(free_port)"
(cd "$work" && exec "${as_postgres[@]}" "$bin_dir/postgres" -D "$work/data" -p "$pg_port" \
  -k "$work" -c listen_addresses=127.0.0.1 -c max_connections=200 >"$work/postgres.log" 2>&1) &
pids+=($!)
until "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; do sleep 0.1; done
url="postgres://postgres@127.0.0.1:$pg_port/postgres"

bases=()
for i in 1 2 3; do
  port="$(free_port)"
  RUST_LOG=warn "$out/documents" --addr "127.0.0.1:$port" --database-url "$url" \
    >"$work/instance-$i.log" 2>&1 &
  pids+=($!)
  bases+=("http://127.0.0.1:$port")
done
for base in "${bases[@]}"; do
  until curl -s -o /dev/null "$base/documents/0"; do sleep 0.1; done
done
one="${bases[0]}"
three="$(IFS=,; echo "${bases[*]}")"

echo "== $(nproc) cores; PostgreSQL $("$bin_dir/postgres" --version | awk '{print $3}'); $CLIENTS clients; ${SECONDS_PER_POINT}s per point"
load() { "$out/examples/pg_scaling" "$1" "$CLIENTS" "$SECONDS_PER_POINT" "$2"; }
load "$one" "$SPREAD"
load "$three" "$SPREAD"
load "$one" 1
load "$three" 1
