#!/usr/bin/env bash
# The README's test command: installs what the end-to-end tests run and this machine lacks,
# then runs every test of the workspace. Arguments go to `cargo test`; `--tools-only` installs
# and stops (.ci/run runs `cargo test --workspace` itself after it).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== system packages the end-to-end tests run (from Debian, only those missing)"
# Go: examples/tests/it/attachments.rs compares ranges with Go's http.ServeContent. PostgreSQL:
# examples/tests/it/postgres.rs runs three instances on a throwaway cluster it starts from
# /usr/lib/postgresql/*/bin as the unprivileged `postgres` user the package creates. nginx and
# curl: examples/tests/it/nginx.rs runs the example behind nginx (which lands in /usr/sbin, which a
# non-root PATH may lack). python3-venv: the OpenAPI validator's virtual environment below.
# chromium and chromium-driver: examples/tests/it/editor.rs drives the example's editor in
# Chromium through chromedriver (both in /usr/bin).
# Each of those tests skips, loudly, only when its tool is missing, and fails instead when
# REQUIRE_E2E=1, as .ci/run sets it (examples/tests/it/support/e2e.rs).
missing=()
command -v go >/dev/null || missing+=(golang-go)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  echo "installing: ${missing[*]}"
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
go version
ls -d /usr/lib/postgresql/*/bin
"$(command -v nginx || echo /usr/sbin/nginx)" -v
# --etag-save and --etag-compare came with curl 7.68.
curl --version | sed -n 1p
# chromedriver and Chromium come from the same Debian source package, so the same version.
/usr/bin/chromedriver --version

echo "== openapi-spec-validator for examples/tests/it/openapi.rs (from PyPI)"
# In a virtual environment under target/, kept between runs; the test fails if it is missing.
validator_env=target/openapi-validator
if [ ! -x "$validator_env/bin/openapi-spec-validator" ]; then
  rm -rf "$validator_env"
  python3 -m venv "$validator_env"
  "$validator_env/bin/pip" install --quiet openapi-spec-validator==0.7.2
fi
export OPENAPI_SPEC_VALIDATOR="$PWD/$validator_env/bin/openapi-spec-validator"

if [ "${1:-}" = --tools-only ]; then
  exit 0
fi

echo "== cargo test --workspace"
exec cargo test --workspace "$@"
