#!/usr/bin/env bash
# Dev container Features: devc against the reference CLI (@devcontainers/cli) on a workspace with
# two OCI Features that the reference CLI itself publishes to a throwaway registry. Checks that
# both tools write the same devcontainer-lock.json, then times `build` and a fresh `up`.
# See bench/README.md.
#
#   bash bench/features.sh [--runs N] [--warmup N]
#
# Environment: DEVC (default ./target/release/devc, built if missing),
#              REFCLI (default bench/.refcli/node_modules/.bin/devcontainer, installed if missing).
# Needs Docker, devc-test-busybox:latest and docker-registry (bash tests/docker-env.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

runs=10
warmup=1
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "features.sh: unknown argument: $1" >&2; exit 2 ;;
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
if [[ ! -x "$refcli" ]]; then
  log "installing the reference CLI into bench/.refcli"
  npm install --prefix "$repo/bench/.refcli" --no-audit --no-fund "@devcontainers/cli${REFCLI_VERSION:+@$REFCLI_VERSION}" >&2
fi
for tool in hyperfine docker-registry; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "$tool is missing: apt-get install -y $tool (docker-registry: or bash tests/docker-env.sh)"
    exit 1
  fi
done
if ! docker image inspect "$image" >/dev/null 2>&1; then
  log "$image is missing (or docker does not answer): bash tests/docker-env.sh"
  exit 1
fi

log "devc:         $("$devc" --version 2>/dev/null || echo "$devc")"
log "devcontainer: $("$refcli" --version 2>/dev/null || echo "$refcli")"
log "docker:       $(docker version --format '{{.Server.Version}}')"

tmp="$(mktemp -d /tmp/devc-bench-features-XXXXXX)"
chmod 755 "$tmp"
registry_pid=""
# Removes both workspaces' containers and images, the reference's content image, the registry.
cleanup() {
  for ws in "$tmp/devc/ws" "$tmp/ref/ws"; do
    filter="label=devcontainer.local_folder=$ws"
    images="$(docker ps -a --filter "$filter" --format '{{.Image}}' 2>/dev/null | grep '^vsc-' | sort -u || true)"
    ids="$(docker ps -aq --filter "$filter" 2>/dev/null || true)"
    if [[ -n "$ids" ]]; then docker rm -f -v $ids >/dev/null 2>&1 || true; fi
    if [[ -n "$images" ]]; then docker rmi $images >/dev/null 2>&1 || true; fi
  done
  # The reference's classic-builder path tags this image for its Feature content.
  docker rmi dev_container_feature_content_temp >/dev/null 2>&1 || true
  if [[ -n "$registry_pid" ]]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Two Features in a collection, published by the reference CLI (`features publish`).
mkdir -p "$tmp/src/alpha" "$tmp/src/beta" "$tmp/registry"
cat >"$tmp/src/alpha/devcontainer-feature.json" <<'EOF'
{ "id": "alpha", "version": "1.0.0", "name": "Alpha",
  "options": { "level": { "type": "string", "enum": ["low", "high"], "default": "low" } },
  "containerEnv": { "ALPHA": "on" } }
EOF
printf '#!/bin/sh\nset -e\nmkdir -p /opt/alpha\necho "$LEVEL" > /opt/alpha/level\n' >"$tmp/src/alpha/install.sh"
cat >"$tmp/src/beta/devcontainer-feature.json" <<'EOF'
{ "id": "beta", "version": "2.0.0", "name": "Beta", "containerEnv": { "BETA": "on" } }
EOF
printf '#!/bin/sh\nset -e\nmkdir -p /opt/beta\n' >"$tmp/src/beta/install.sh"
chmod +x "$tmp/src/alpha/install.sh" "$tmp/src/beta/install.sh"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$tmp/registry" "$port" >"$tmp/registry.yml"
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
# `localhost` (not 127.0.0.1): the reference CLI speaks plain HTTP to localhost registries only.
registry="localhost:$port"
"$refcli" features publish -r "$registry" -n devc-bench/features "$tmp/src" >"$tmp/publish.json" 2>"$tmp/publish.err" || {
  log "devcontainer features publish failed:"; cat "$tmp/publish.err" >&2; exit 1
}

config="{ \"image\": \"$image\", \"features\": { \"$registry/devc-bench/features/alpha:1\": { \"level\": \"high\" }, \"$registry/devc-bench/features/beta:2\": {} } }"
for tool in devc ref; do
  mkdir -p "$tmp/$tool/ws/.devcontainer"
  printf '%s\n' "$config" >"$tmp/$tool/ws/.devcontainer/devcontainer.json"
done
chmod -R a+rX "$tmp"
export DEVC_FEATURE_CACHE="$tmp/devc-cache"
# The reference needs the classic builder when buildx is missing.
if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi

# First (cold) runs, untimed: both must work and agree.
"$devc" up --workspace-folder "$tmp/devc/ws" >"$tmp/devc-up.json" 2>"$tmp/devc-up.err" || { log "devc up failed:"; cat "$tmp/devc-up.json" "$tmp/devc-up.err" >&2; exit 1; }
"$refcli" up --workspace-folder "$tmp/ref/ws" >"$tmp/ref-up.json" 2>"$tmp/ref-up.err" || { log "devcontainer up failed:"; cat "$tmp/ref-up.json" "$tmp/ref-up.err" >&2; exit 1; }
if cmp -s "$tmp/devc/ws/.devcontainer/devcontainer-lock.json" "$tmp/ref/ws/.devcontainer/devcontainer-lock.json"; then
  log "devcontainer-lock.json: identical for devc and the reference CLI"
else
  log "devcontainer-lock.json differs:"; diff "$tmp/devc/ws/.devcontainer/devcontainer-lock.json" "$tmp/ref/ws/.devcontainer/devcontainer-lock.json" >&2 || true
fi
for tool in "$devc:$tmp/devc/ws" "$refcli:$tmp/ref/ws"; do
  got="$("${tool%%:*}" exec --workspace-folder "${tool#*:}" sh -c 'cat /opt/alpha/level; echo "$ALPHA $BETA"' 2>/dev/null | tr '\n' ' ')"
  [[ "$got" == "high on on " ]] || { log "${tool%%:*}: Features not installed as expected: '$got'"; exit 1; }
done

results="$repo/bench/results"
mkdir -p "$results"
out="$results/features-$(date -u +%Y%m%dT%H%M%SZ).json"
q() { printf '%q ' "$@"; }
log "timing ($runs runs, $warmup warmup each) -> ${out#"$repo"/}"
# Warm: Docker's build cache has every layer; devc has the Features in its cache, pinned by
# the lock file (no registry request); the reference fetches manifests and blobs each time.
hyperfine --shell=none --warmup "$warmup" --runs "$runs" --style basic --export-json "$out" \
  --command-name "devc build" "$(q "$devc" build --workspace-folder "$tmp/devc/ws")" \
  --command-name "devcontainer build" "$(q "$refcli" build --workspace-folder "$tmp/ref/ws")" \
  --command-name "devc up (fresh container)" "$(q "$devc" up --workspace-folder "$tmp/devc/ws" --remove-existing-container)" \
  --command-name "devcontainer up (fresh container)" "$(q "$refcli" up --workspace-folder "$tmp/ref/ws" --remove-existing-container)" >&2

python3 - "$out" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ms = lambda name: r[name]["mean"] * 1000
print()
print(f"{'command':<36} {'mean':>10} {'stddev':>9}")
for name, x in r.items():
    print(f"{name:<36} {x['mean']*1000:8.1f} ms {(x['stddev'] or 0)*1000:6.1f} ms")
print()
print("ratios (below 1: devc is faster):")
for label, a, b in [("build: devc / devcontainer", "devc build", "devcontainer build"),
                    ("up:    devc / devcontainer", "devc up (fresh container)", "devcontainer up (fresh container)")]:
    print(f"  {label:<28} {ms(a)/ms(b):6.2f}   ({ms(a):.1f} ms vs {ms(b):.1f} ms)")
EOF
