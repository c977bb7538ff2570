#!/usr/bin/env bash
# Item 5 of BENCHMARKS.md: what the macro costs to build and what it expands to, beside
# axum-macros (`#[axum::debug_handler]`) built and used the same way.
#
#   scripts/build-cost.sh            # 2 clean builds per crate and profile
#   REPS=3 scripts/build-cost.sh
#
# 1. Clean builds. Two throwaway crates under a temporary directory, one depending on
#    `axum-conditional-macros` (by path, this checkout) and one on `axum-macros` (the version in
#    this workspace's Cargo.lock), each with a copy of the workspace's Cargo.lock so that
#    proc-macro2, quote and syn are the versions this workspace builds. Each is built from an
#    empty target directory, `-j 2`, in the dev and the release profile, with `--timings`; the
#    table gives the wall time and, from cargo's timing data, the time of the macro crate itself
#    and of its syn.
# 2. Expansion size. A throwaway crate with a typical read handler and a typical write handler
#    (the README's), expanded with `cargo +nightly rustc -- -Zunpretty=expanded` three times:
#    as written, under `#[conditional(…)]` and under `#[axum::debug_handler]`. The growth over
#    "as written" is the expansion's size, in lines, bytes and tokens. Nightly is used here
#    only (`rustup toolchain install nightly` if it is missing); nothing in CI needs it. The
#    expansion `AXUM_CONDITIONAL_DEBUG=1` prints is measured too.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
REPS="${REPS:-2}"

command -v python3 >/dev/null || { apt-get update && apt-get install -y python3; }
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

axum_macros_version="$(python3 - "$root/Cargo.lock" <<'PY'
import re, sys
lock = open(sys.argv[1]).read()
print(re.search(r'name = "axum-macros"\nversion = "([^"]+)"', lock).group(1))
PY
)"

# --- 1. clean builds ------------------------------------------------------------------------

throwaway() { # DIR DEPENDENCY-LINE
  mkdir -p "$1/src"
  cat >"$1/Cargo.toml" <<EOF
[package]
name = "$(basename "$1")"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$2

[workspace]
EOF
  : >"$1/src/lib.rs"
  cp "$root/Cargo.lock" "$1/Cargo.lock"
  cargo fetch --quiet --manifest-path "$1/Cargo.toml"
}

throwaway "$work/ours" "axum-conditional-macros = { path = \"$root/macros\" }"
throwaway "$work/theirs" "axum-macros = \"=$axum_macros_version\""
# What a user pays: an axum application already has serde's derive and tokio's macros
# (`#[tokio::main]`) in its build. With this workspace's Cargo.lock both are on syn 3
# (serde_derive 1.0.229 with syn's `derive`, tokio-macros 2.7.2 with `full`): the growth of
# that app's clean build when a macro is added is the macro's real cost.
app_deps='serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }'
throwaway "$work/app" "$app_deps"
throwaway "$work/app-ours" "$app_deps
axum-conditional-macros = { path = \"$root/macros\" }"
throwaway "$work/app-theirs" "$app_deps
axum-macros = \"=$axum_macros_version\""
syn_of() { # CRATE -> the syn version CRATE depends on in this workspace's Cargo.lock
  python3 - "$root/Cargo.lock" "$1" <<'PY'
import re, sys
lock, crate = open(sys.argv[1]).read(), sys.argv[2]
for package in lock.split("[[package]]"):
    if re.search(rf'name = "{re.escape(crate)}"\n', package):
        print(re.search(r'"(syn [0-9.]+)"', package).group(1))
PY
}

unit_time() { # TIMING-HTML CRATE -> seconds of that crate's compilation (lib, not build script)
  python3 - "$1" "$2" <<'PY'
import json, sys
html, crate = open(sys.argv[1]).read(), sys.argv[2]
start = html.index("const UNIT_DATA = ") + len("const UNIT_DATA = ")
units, _ = json.JSONDecoder().raw_decode(html[start:])
print(f'{sum(u["duration"] for u in units if u["name"] == crate and "build-script" not in u["target"]):.2f}')
PY
}

clean_build() { # SIDE PROFILE REP -> wall seconds; leaves the timing report in $work/timing.html
  local target="$work/target-$1-$2-$3" flag=() start end
  [ "$2" = release ] && flag=(--release)
  start="$(date +%s%N)"
  CARGO_TARGET_DIR="$target" cargo build --quiet --manifest-path "$work/$1/Cargo.toml" \
    "${flag[@]}" -j 2 --timings 2>/dev/null
  end="$(date +%s%N)"
  cp "$target/cargo-timings/cargo-timing.html" "$work/timing.html"
  rm -rf "$target"
  printf '%d.%02d' $(((end - start) / 1000000000)) $(((end - start) / 10000000 % 100))
}

printf 'crate\tprofile\trep\twall s\tmacro crate s\tsyn s\n' >"$work/builds"
printf 'profile\trep\tserde + tokio app s\t+ axum-conditional-macros s\t+ axum-macros s\n' >"$work/apps"
for rep in $(seq "$REPS"); do
  for profile in dev release; do
    for side in ours theirs; do
      if [ "$side" = ours ]; then crate=axum-conditional-macros; else crate=axum-macros; fi
      echo "== build $crate ($profile, rep $rep)" >&2
      wall="$(clean_build "$side" "$profile" "$rep")"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$crate" "$profile" "$rep" "$wall" \
        "$(unit_time "$work/timing.html" "$crate")" "$(unit_time "$work/timing.html" syn)" \
        >>"$work/builds"
    done
    echo "== build the serde + tokio app, alone and with each macro ($profile, rep $rep)" >&2
    printf '%s\t%s\t%s\t%s\t%s\n' "$profile" "$rep" "$(clean_build app "$profile" "$rep")" \
      "$(clean_build app-ours "$profile" "$rep")" "$(clean_build app-theirs "$profile" "$rep")" \
      >>"$work/apps"
  done
done

# --- 2. expansion size ------------------------------------------------------------------------

mkdir -p "$work/expand/src"
cat >"$work/expand/Cargo.toml" <<EOF
[package]
name = "expand"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
axum = { version = "0.8", features = ["json", "macros"] }
axum-conditional = { path = "$root/runtime" }
serde = { version = "1", features = ["derive"] }

[workspace]
EOF
cp "$root/Cargo.lock" "$work/expand/Cargo.lock"

# The README's handlers: a read whose validator loads a version, and a write with a JSON body.
handlers() { # ATTRIBUTE-FOR-READ ATTRIBUTE-FOR-WRITE
  cat <<EOF
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
#[allow(unused_imports)]
use axum_conditional::{ETag, conditional};
use serde::{Deserialize, Serialize};

#[derive(Clone)]
pub struct Store;
#[derive(Serialize, Deserialize)]
pub struct Doc { pub title: String }
pub struct ApiError;
impl IntoResponse for ApiError {
    fn into_response(self) -> Response { StatusCode::INTERNAL_SERVER_ERROR.into_response() }
}
impl Store {
    pub async fn version(&self, _id: u64) -> Result<u64, ApiError> { Ok(1) }
    pub async fn load(&self, _id: u64) -> Result<Doc, ApiError> { Ok(Doc { title: String::new() }) }
    pub async fn save(&self, _id: u64, doc: Doc) -> Result<(u64, Doc), ApiError> { Ok((2, doc)) }
}

$1
pub async fn get_doc(State(store): State<Store>, Path(id): Path<u64>) -> Result<Json<Doc>, ApiError> {
    Ok(Json(store.load(id).await?))
}

$2
pub async fn put_doc(State(store): State<Store>, Path(id): Path<u64>, Json(doc): Json<Doc>)
    -> Result<(ETag, Json<Doc>), ApiError>
{
    let (version, doc) = store.save(id, doc).await?;
    Ok((ETag::from_version(version), Json(doc)))
}

pub fn app() -> axum::Router {
    axum::Router::new()
        .route("/docs/{id}", axum::routing::get(get_doc).put(put_doc))
        .with_state(Store)
}
EOF
}

expand() { # NAME ATTRIBUTE-FOR-READ ATTRIBUTE-FOR-WRITE
  handlers "$2" "$3" >"$work/expand/src/lib.rs"
  echo "== expand: $1" >&2
  (cd "$work/expand" && CARGO_TARGET_DIR="$work/target-expand" cargo +nightly rustc --quiet \
    --profile=check -- -Zunpretty=expanded) >"$work/expanded-$1.rs"
}

READ='#[conditional(etag = ETag::from_version(store.version(id).await?))]'
WRITE='#[conditional(etag = ETag::from_version(store.version(id).await?), require = true)]'
expand written "" ""
expand conditional-read "$READ" ""
expand conditional-write "" "$WRITE"
expand debug_handler-read '#[axum::debug_handler]' ""
expand debug_handler-write "" '#[axum::debug_handler]'

# What the macro itself prints for the two handlers (stable toolchain, no nightly needed).
handlers "$READ" "$WRITE" >"$work/expand/src/lib.rs"
(cd "$work/expand" && AXUM_CONDITIONAL_DEBUG=1 CARGO_TARGET_DIR="$work/target-debug" \
  cargo check --quiet 2>"$work/debug-output.txt") || true

# --- report -----------------------------------------------------------------------------------

echo
echo "clean builds ($(nproc) cores, -j 2, empty target directory each; rustc $(rustc --version | cut -d' ' -f2))"
column -t -s $'\t' "$work/builds"
python3 - "$work/builds" <<'PY'
import sys
from collections import defaultdict
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])][1:]
best = defaultdict(lambda: float("inf"))
for crate, profile, _, wall, own, syn in rows:
    best[crate, profile] = min(best[crate, profile], float(wall))
print("\nfastest of the repetitions (wall s), ours / axum-macros")
for profile in ["dev", "release"]:
    ours, theirs = best["axum-conditional-macros", profile], best["axum-macros", profile]
    print(f"  {profile:<8} {ours:6.2f} / {theirs:6.2f}  = {ours / theirs:.2f}")
PY

echo
echo "clean build of an application crate with serde's derive and tokio's macros, with each"\
  "macro added"
for crate in serde_derive tokio-macros axum-conditional-macros axum-macros; do
  echo "  $crate builds $(syn_of "$crate")"
done
column -t -s $'\t' "$work/apps"
python3 - "$work/apps" <<'PY'
import sys
from collections import defaultdict
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])][1:]
best = defaultdict(lambda: [float("inf")] * 3)
for profile, _, *walls in rows:
    best[profile] = [min(b, float(w)) for b, w in zip(best[profile], walls)]
print("\nadded to the app's clean build (fastest of the repetitions, wall s)")
for profile, (app, ours, theirs) in best.items():
    print(f"  {profile:<8} axum-conditional-macros +{ours - app:.2f}   axum-macros +{theirs - app:.2f}")
PY

python3 - "$work" <<'PY'
import re, sys
work = sys.argv[1]
TOKEN = re.compile(r'''
    r\#*"  |                                  # raw string start, handled below
    "(?:\\.|[^"\\])*" |                       # string
    b?'(?:\\.|[^'\\])' |                      # char, byte
    '[A-Za-z_][A-Za-z0-9_]* |                 # lifetime
    [0-9][0-9A-Za-z_.]* |                     # number
    [A-Za-z_][A-Za-z0-9_]* |                  # identifier, keyword
    [(\[{] |                                  # a group (its closing delimiter is not counted)
    [^\s)\]}]                                 # one punctuation character
''', re.VERBOSE)

def tokens(text):
    # Comments do not survive expansion; raw strings are rare, count them as one token.
    text = re.sub(r'r(#*)".*?"\1', '""', text, flags=re.S)
    return len(TOKEN.findall(text))

def size(path):
    text = open(path).read()
    return text.count("\n"), len(text.encode()), tokens(text)

written = size(f"{work}/expanded-written.rs")
print("\nexpansion of the README's handlers (cargo +nightly rustc -- -Zunpretty=expanded):")
print("growth of the crate over the same crate with the handlers as written")
print(f"  {'':<34} {'lines':>7} {'bytes':>8} {'tokens':>7}")
print(f"  {'whole crate, as written':<34} {written[0]:>7} {written[1]:>8} {written[2]:>7}")
for handler in ["read", "write"]:
    for macro in ["conditional", "debug_handler"]:
        grown = [a - b for a, b in zip(size(f"{work}/expanded-{macro}-{handler}.rs"), written)]
        label = f"{handler}: + #[{macro}]"
        print(f"  {label:<34} {grown[0]:>+7} {grown[1]:>+8} {grown[2]:>+7}")

# Each printed expansion starts with `pub async fn` at the start of a line.
debug = open(f"{work}/debug-output.txt").read()
blocks = re.split(r"(?m)^(?=pub async fn)", debug)[1:]
print("\nwhat AXUM_CONDITIONAL_DEBUG=1 prints, per handler (whitespace runs counted as one byte)")
for block, name in zip(blocks, ["read (get_doc)", "write (put_doc, Json body)"]):
    text = " ".join(block.split())
    print(f"  {name:<28} {len(text.encode()):>6} bytes {tokens(text):>6} tokens")
PY
