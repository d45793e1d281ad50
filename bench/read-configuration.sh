#!/usr/bin/env bash
# Wall time of `devc read-configuration` against the reference CLI (@devcontainers/cli) on the
# sample workspaces. See bench/README.md.
#
#   bash bench/read-configuration.sh [--runs N] [--warmup N] [WORKSPACE...]
#
# WORKSPACE defaults to examples/image examples/dockerfile.
# Environment: DEVC (default ./target/release/devc, built if missing),
#              REFCLI (default bench/.refcli/node_modules/.bin/devcontainer, installed if missing),
#              REFCLI_VERSION (npm version for that install, default: latest).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

runs=20
warmup=3
workspaces=()
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "read-configuration.sh: unknown option: $1" >&2; exit 2 ;;
    *) workspaces+=("$1"); shift ;;
  esac
done
if ((${#workspaces[@]} == 0)); then
  workspaces=(examples/image examples/dockerfile)
fi

log() { printf '[bench] %s\n' "$*" >&2; }

devc="${DEVC:-$repo/target/release/devc}"
refcli="${REFCLI:-$repo/bench/.refcli/node_modules/.bin/devcontainer}"

if [[ ! -x "$devc" ]]; then
  log "building $devc"
  cargo build --release >&2
fi
if [[ ! -x "$refcli" ]]; then
  log "installing the reference CLI into bench/.refcli"
  npm install --prefix "$repo/bench/.refcli" --no-audit --no-fund "@devcontainers/cli${REFCLI_VERSION:+@$REFCLI_VERSION}" >&2
fi
if ! command -v hyperfine >/dev/null 2>&1; then
  log "installing hyperfine"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q hyperfine || { apt-get update -q && apt-get install -y -q hyperfine; }; } >&2
fi

log "devc:         $("$devc" --version 2>/dev/null || echo "$devc")"
log "devcontainer: $("$refcli" --version 2>/dev/null || echo "$refcli")"
log "hyperfine:    $(hyperfine --version)"

results="$repo/bench/results"
mkdir -p "$results"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

summary=()
for ws in "${workspaces[@]}"; do
  ws_abs="$(cd "$ws" && pwd)"
  name="$(basename "$ws_abs")"

  # Both must succeed before timing them; compare their stdout while at it.
  if ! "$devc" read-configuration --workspace-folder "$ws_abs" >"$tmp/devc.json" 2>"$tmp/devc.err"; then
    log "devc read-configuration failed on $ws:"; cat "$tmp/devc.err" >&2; exit 1
  fi
  if ! "$refcli" read-configuration --workspace-folder "$ws_abs" >"$tmp/ref.json" 2>"$tmp/ref.err"; then
    log "reference read-configuration failed on $ws:"; cat "$tmp/ref.err" >&2; exit 1
  fi
  if cmp -s "$tmp/devc.json" "$tmp/ref.json"; then same="identical"; else same="DIFFERENT"; fi

  out="$results/read-configuration-$name-$stamp.json"
  log "timing $ws ($runs runs, $warmup warmup) -> ${out#"$repo"/}"
  # --shell=none: no shell start-up in the measurement; the commands are split on spaces, so quote.
  hyperfine --shell=none --warmup "$warmup" --runs "$runs" --style basic \
    --export-json "$out" \
    --command-name devc "$(printf '%q read-configuration --workspace-folder %q' "$devc" "$ws_abs")" \
    --command-name devcontainer "$(printf '%q read-configuration --workspace-folder %q' "$refcli" "$ws_abs")" >&2

  summary+=("$(python3 - "$out" "$name" "$same" <<'EOF'
import json, sys
path, name, same = sys.argv[1:4]
r = {x["command"]: x for x in json.load(open(path))["results"]}
d, c = r["devc"]["mean"], r["devcontainer"]["mean"]
print(f"{name:<12} devc {d*1000:8.1f} ms   devcontainer {c*1000:8.1f} ms   ratio {c/d:6.1f}x   stdout {same}")
EOF
)")
done

echo
echo "read-configuration, mean wall time (ratio = devcontainer / devc):"
printf '%s\n' "${summary[@]}"
