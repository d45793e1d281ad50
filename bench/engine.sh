#!/usr/bin/env bash
# Wall time of devc's container commands against raw docker and the reference CLI
# (@devcontainers/cli) on the sample workspace examples/image. See bench/README.md.
#
#   bash bench/engine.sh [--runs N] [--warmup N]
#
# Environment: DEVC (default ./target/release/devc, built if missing),
#              REFCLI (default bench/.refcli/node_modules/.bin/devcontainer, installed if missing),
#              REFCLI_VERSION (npm version for that install, default: latest).
# Needs a running Docker daemon and devc-test-busybox:latest (bash tests/docker-env.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

runs=10
warmup=2
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "engine.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { printf '[bench] %s\n' "$*" >&2; }

devc="${DEVC:-$repo/target/release/devc}"
refcli="${REFCLI:-$repo/bench/.refcli/node_modules/.bin/devcontainer}"
image="devc-test-busybox:latest"

if [[ ! -x "$devc" ]]; then
  log "building $devc"
  cargo build --release -p devc >&2
fi
if ! "$devc" up --help >/dev/null 2>&1; then
  log "$devc has no \`up\` command; rebuild it: cargo build --release -p devc"
  exit 1
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
if ! docker info >/dev/null 2>&1; then
  log "docker does not answer; start it with: bash tests/docker-env.sh"
  exit 1
fi
if ! docker image inspect "$image" >/dev/null 2>&1; then
  log "$image is missing; build it with: bash tests/images/build.sh"
  exit 1
fi

log "devc:         $("$devc" --version 2>/dev/null || echo "$devc")"
log "devcontainer: $("$refcli" --version 2>/dev/null || echo "$refcli")"
log "hyperfine:    $(hyperfine --version)"
log "docker:       $(docker version --format '{{.Server.Version}}')"

# Each tool gets its own copy of examples/image (same folder name, so the same
# remoteWorkspaceFolder), hence its own container: neither re-uses the other's.
tmp="$(mktemp -d)"
ws_devc="$tmp/devc/image"
ws_ref="$tmp/ref/image"
mkdir -p "$tmp/devc" "$tmp/ref"
cp -r examples/image "$ws_devc"
cp -r examples/image "$ws_ref"
chmod 755 "$tmp" "$tmp/devc" "$tmp/ref"

# Removes both containers and the images the tools built for these folders
# (`vsc-image-<hash of the path>[-uid]`: the reference's UID-update image).
cleanup() {
  for ws in "$ws_devc" "$ws_ref"; do
    filter="label=devcontainer.local_folder=$ws"
    images="$(docker ps -a --filter "$filter" --format '{{.Image}}' 2>/dev/null | grep '^vsc-' | sort -u || true)"
    ids="$(docker ps -aq --filter "$filter" 2>/dev/null || true)"
    if [[ -n "$ids" ]]; then docker rm -f -v $ids >/dev/null 2>&1 || true; fi
    if [[ -n "$images" ]]; then docker rmi $images >/dev/null 2>&1 || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Create both containers (and check both tools work here) before timing anything.
if ! "$devc" up --workspace-folder "$ws_devc" >"$tmp/devc-up.json" 2>"$tmp/devc-up.err"; then
  log "devc up failed:"; cat "$tmp/devc-up.json" "$tmp/devc-up.err" >&2; exit 1
fi
if ! "$refcli" up --workspace-folder "$ws_ref" >"$tmp/ref-up.json" 2>"$tmp/ref-up.err"; then
  log "devcontainer up failed:"; cat "$tmp/ref-up.json" "$tmp/ref-up.err" >&2; exit 1
fi
id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerId"])' "$tmp/devc-up.json")"
# (The reference logs that the busybox image has no /etc/os-release; not an error.)
for tool in "$devc:$ws_devc" "$refcli:$ws_ref"; do
  if ! "${tool%%:*}" exec --workspace-folder "${tool#*:}" true >"$tmp/exec.out" 2>&1; then
    log "${tool%%:*} exec true failed:"; cat "$tmp/exec.out" >&2; exit 1
  fi
done

# `docker run -d` then `docker rm -f`: what a fresh `up --remove-existing-container`
# does at the least (create + start, and remove the previous container).
cat >"$tmp/raw-run.sh" <<EOF
id="\$(docker run -d $image sleep infinity)" && docker rm -f "\$id" >/dev/null
EOF

results="$repo/bench/results"
mkdir -p "$results"
out="$results/engine-$(date -u +%Y%m%dT%H%M%SZ).json"
q() { printf '%q ' "$@"; }

log "timing ($runs runs, $warmup warmup each) -> ${out#"$repo"/}"
# Order matters: the fresh `devc up` replaces the container that `docker exec` uses,
# so it comes last. --shell=none: no shell start-up in the measurements.
hyperfine --shell=none --warmup "$warmup" --runs "$runs" --style basic --export-json "$out" \
  --command-name "devc read-configuration" "$(q "$devc" read-configuration --workspace-folder "$ws_devc")" \
  --command-name "devc up (re-up)" "$(q "$devc" up --workspace-folder "$ws_devc")" \
  --command-name "devcontainer up (re-up)" "$(q "$refcli" up --workspace-folder "$ws_ref")" \
  --command-name "devc exec true" "$(q "$devc" exec --workspace-folder "$ws_devc" true)" \
  --command-name "devcontainer exec true" "$(q "$refcli" exec --workspace-folder "$ws_ref" true)" \
  --command-name "docker exec true" "$(q docker exec "$id" true)" \
  --command-name "devc up --remove-existing-container" "$(q "$devc" up --workspace-folder "$ws_devc" --remove-existing-container)" \
  --command-name "docker run -d + rm -f" "$(q bash "$tmp/raw-run.sh")" >&2

python3 - "$out" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ms = lambda name: r[name]["mean"] * 1000
print()
print(f"{'command':<38} {'mean':>10} {'stddev':>9}")
for name, x in r.items():
    print(f"{name:<38} {x['mean']*1000:8.1f} ms {(x['stddev'] or 0)*1000:6.1f} ms")
print()
print("ratios (below 1: devc is faster / closer to raw docker):")
for label, a, b in [
    ("re-up:    devc / devcontainer", "devc up (re-up)", "devcontainer up (re-up)"),
    ("exec:     devc / devcontainer", "devc exec true", "devcontainer exec true"),
    ("exec:     devc / docker exec", "devc exec true", "docker exec true"),
    ("fresh up: devc / docker run+rm", "devc up --remove-existing-container", "docker run -d + rm -f"),
]:
    print(f"  {label:<34} {ms(a)/ms(b):6.2f}   ({ms(a):.1f} ms vs {ms(b):.1f} ms)")
EOF
